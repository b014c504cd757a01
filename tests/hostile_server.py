"""A hostile HTTP server for the client's tests (not a test module), and a runner that points a
client in a fresh subprocess at it and measures what the attack cost: wall time and the growth
of the peak resident memory.

The server listens on 127.0.0.1 only, on a free port, and every attack is bounded: a connection
is dropped after ``MAX_SECONDS`` or ``MAX_BYTES`` sent, or as soon as the client goes away.

>>> with HostileServer("nested") as srv:
...     srv.base_url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

#: every connection ends after this many seconds or bytes sent, whatever the attack
MAX_SECONDS = 60.0
MAX_BYTES = 2_000_000_000
#: the size of the body of the "huge" attacks and of the decompressed gzip bomb
HUGE_BYTES = 200_000_000
BOMB_BYTES = 400_000_000
TRICKLE_EVERY_S = 0.5
NESTING = 100_000
CHUNK = b"a" * 65536

RATE_429 = json.dumps(
    {"action": "request", "status": "error", "code": 429, "message": "Too many requests."}
).encode()


class _Gone(Exception):
    """The client went away (or a bound was reached): stop sending."""


class _Conn:
    def __init__(self, sock: socket.socket, stop: threading.Event) -> None:
        self.sock = sock
        self.stop = stop
        self.sent = 0
        self.start = time.monotonic()

    def send(self, data: bytes) -> None:
        if self.stop.is_set() or time.monotonic() - self.start > MAX_SECONDS:
            raise _Gone
        if self.sent + len(data) > MAX_BYTES:
            raise _Gone
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise _Gone from exc
        self.sent += len(data)

    def pause(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise _Gone


def _head(
    status: int = 200, headers: dict[str, str] | None = None, length: int | None = None
) -> bytes:
    reason = {200: "OK", 429: "Too Many Requests", 503: "Service Unavailable"}.get(status, "X")
    lines = [f"HTTP/1.1 {status} {reason}", "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    lines.append(f"Content-Length: {length}" if length is not None else "Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _answer(conn: _Conn, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
    conn.send(_head(status, headers, len(body)) + body)


# ------------------------------------------------------------------------------ the attacks
def endless(conn: _Conn) -> None:
    """200, no length, a JSON string that never ends."""
    conn.send(_head(200) + b'{"status":"success","pad":"')
    while True:
        conn.send(CHUNK)


def trickle(conn: _Conn) -> None:
    """200 with a length, then one byte of the body every 0.5 s."""
    body = b'{"status":"success","pad":"' + b"a" * 10_000 + b'"}'
    conn.send(_head(200, length=len(body)))
    for i in range(len(body)):
        conn.send(body[i : i + 1])
        conn.pause(TRICKLE_EVERY_S)


def trickle_headers(conn: _Conn) -> None:
    """The status line, then one byte of a header every 0.5 s (the answer never starts)."""
    conn.send(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    while True:
        conn.send(b"a")
        conn.pause(TRICKLE_EVERY_S)


def _huge(conn: _Conn, announce: bool) -> None:
    start = b'{"status":"success","pad":"'
    end = b'"}'
    conn.send(_head(200, length=HUGE_BYTES if announce else None) + start)
    left = HUGE_BYTES - len(start) - len(end)
    while left > 0:
        piece = CHUNK[: min(len(CHUNK), left)]
        conn.send(piece)
        left -= len(piece)
    conn.send(end)


def huge(conn: _Conn) -> None:
    """A 200 MB answer with its Content-Length."""
    _huge(conn, announce=True)


def huge_unannounced(conn: _Conn) -> None:
    """A 200 MB answer without a length (ends when the connection closes)."""
    _huge(conn, announce=False)


_BOMB: list[bytes] = []


def gzip_bomb_body() -> bytes:
    """About 400 KB of gzip that inflate to 400 MB of valid JSON (built once, in 1 MB steps)."""
    if not _BOMB:
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0) as gz:
            gz.write(b'{"status":"success","pad":"')
            block = b"0" * 1_000_000
            for _ in range(BOMB_BYTES // len(block)):
                gz.write(block)
            gz.write(b'"}')
        _BOMB.append(out.getvalue())
    return _BOMB[0]


def gzip_bomb(conn: _Conn) -> None:
    """About 400 KB on the wire, ``Content-Encoding: gzip``, 400 MB once inflated."""
    body = gzip_bomb_body()
    conn.send(_head(200, {"Content-Encoding": "gzip"}, len(body)) + body)


def nested(conn: _Conn) -> None:
    """A 200 answer of lists nested 100,000 deep inside the object."""
    body = b'{"status":"success","id":"p1","x":' + b"[" * NESTING + b"]" * NESTING + b"}"
    _answer(conn, 200, body)


def nested_error(conn: _Conn) -> None:
    """A 500 whose body is nested 100,000 deep."""
    _answer(conn, 503, b"[" * NESTING + b"]" * NESTING)


def bad_utf8(conn: _Conn) -> None:
    """A 200 answer with one byte that is not UTF-8 (0xE9, Latin-1's e-acute)."""
    _answer(conn, 200, b'{"status":"success","id":"p1","bluesky":{"post":"caf\xe9"}}')


def _limited(headers: dict[str, str]) -> Callable[[_Conn], None]:
    def attack(conn: _Conn) -> None:
        _answer(conn, 429, RATE_429, headers)

    return attack


def _counted(headers: dict[str, str]) -> Callable[[_Conn], None]:
    def attack(conn: _Conn) -> None:
        _answer(conn, 200, b'{"status":"success","id":"p1"}', headers)

    return attack


ATTACKS: dict[str, Callable[[_Conn], None]] = {
    "endless": endless,
    "trickle": trickle,
    "trickle_headers": trickle_headers,
    "huge": huge,
    "huge_unannounced": huge_unannounced,
    "gzip_bomb": gzip_bomb,
    "nested": nested,
    "nested_error": nested_error,
    "bad_utf8": bad_utf8,
    "retry_after_huge": _limited({"Retry-After": "999999999"}),
    "retry_after_inf": _limited({"Retry-After": "inf"}),
    "retry_after_2100": _limited({"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT"}),
    "reset_huge": _limited({"x-ratelimit-reset": "99999999999"}),
    "count_huge": _counted({"x-ratelimit-max": "300", "x-ratelimit-count": "100000000"}),
}


class HostileServer:
    """Serve one attack (a name of :data:`ATTACKS` or a function of a connection) to every
    request, on 127.0.0.1. ``requests`` counts the requests read."""

    def __init__(self, attack: str | Callable[[_Conn], None]) -> None:
        self.attack = ATTACKS[attack] if isinstance(attack, str) else attack
        if self.attack is gzip_bomb:
            gzip_bomb_body()  # built before the client starts, not while it waits
        self.stop_event = threading.Event()
        self.requests = 0
        self._lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}/api"
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, name="hostile", daemon=True)
        self._acceptor.start()

    def _accept(self) -> None:
        while not self.stop_event.is_set():
            try:
                sock, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(t)
            t.start()

    def _read_request(self, sock: socket.socket) -> bool:
        sock.settimeout(5.0)
        data = b""
        while b"\r\n\r\n" not in data:
            piece = sock.recv(65536)
            if not piece or len(data) > 65536:
                return False
            data += piece
        head, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = min(int(value.strip() or 0), 1_000_000)
        while len(rest) < length:
            piece = sock.recv(65536)
            if not piece:
                return False
            rest += piece
        return True

    def _serve(self, sock: socket.socket) -> None:
        conn = _Conn(sock, self.stop_event)
        try:
            while self._read_request(sock):
                with self._lock:
                    self.requests += 1
                self.attack(conn)
        except (_Gone, OSError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def stop(self) -> None:
        self.stop_event.set()
        self.sock.close()
        self._acceptor.join(timeout=5)
        for t in self._threads:
            t.join(timeout=5)

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ------------------------------------------------------------------------------ the client side
#: run in a fresh interpreter: settings come from the environment, the call from argv
CLIENT_SCRIPT = r"""
import json, os, resource, sys, time

limit = int(os.environ["HOSTILE_AS_LIMIT"])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

def hwm_kb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

from ayr_analysis.client import AyrshareClient

call = sys.argv[1]
base = hwm_kb()
start = time.monotonic()
outcome = {}
try:
    with AyrshareClient() as client:
        if call == "post":
            answer = client.analytics_post("p1")
            outcome["result"] = "answer with keys " + ",".join(sorted(answer))
        elif call == "history":
            client.history()
            outcome["result"] = "answer"
        elif call.startswith("bulk"):
            result = client.fetch_many([f"p{i}" for i in range(int(call[4:]))], progress=False)
            outcome["result"] = result.summary()
            outcome["errors"] = sorted({type(f.error).__name__ for f in result.failures})
except BaseException as exc:
    outcome["error"] = type(exc).__name__
    outcome["message"] = str(exc)[:500]
outcome["seconds"] = round(time.monotonic() - start, 3)
outcome["peak_mb"] = round(max(0, hwm_kb() - base) / 1024, 1)
print("RESULT " + json.dumps(outcome), flush=True)
"""


def run_client(
    base_url: str,
    call: str = "post",
    *,
    env: dict[str, str] | None = None,
    timeout: float = 120.0,
    memory_limit: int = 3_000_000_000,
) -> dict[str, Any]:
    """Run a live client against ``base_url`` in a fresh interpreter, with ``env`` added to a
    clean ``AYRSHARE_*`` environment and an address-space limit of ``memory_limit`` bytes (so a
    client that gives way cannot take the machine down). Returns what it printed: ``result`` or
    ``error`` and ``message``, ``seconds``, ``peak_mb`` (growth of the peak resident memory
    during the call). A client still running after ``timeout`` seconds is killed and reported
    as ``{"error": "killed", "seconds": timeout}``."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("AYRSHARE_")}
    full.update(
        {
            "AYRSHARE_API_KEY": "hostile-test-key-1234",
            "AYRSHARE_BASE_URL": base_url,
            "AYRSHARE_SOURCE": "live",
            "NO_PROXY": "127.0.0.1,localhost",
            "HOSTILE_AS_LIMIT": str(memory_limit),
            "PYTHONPATH": str(ROOT),
        }
    )
    full.update(env or {})
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", CLIENT_SCRIPT, call],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=full,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return {"error": "killed", "seconds": round(time.monotonic() - start, 1), "peak_mb": None}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {
        "error": f"exit {proc.returncode}",
        "message": proc.stderr[-2000:],
        "seconds": round(time.monotonic() - start, 1),
        "peak_mb": None,
    }
