"""The sandbox over HTTP: a stdlib ``ThreadingHTTPServer`` around the same app, on 127.0.0.1.

>>> srv = serve_in_thread(port=0)
>>> srv.base_url.startswith("http://127.0.0.1:") and srv.base_url.endswith("/api")
True
>>> srv.stop()
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .app import ApiRequest, RateLimiter, SandboxApp
from .clock import VirtualClock
from .faults import Faults, Quirks, malformed_body, server_error_body, truncated_body
from .world import World, build_world


class _Handler(BaseHTTPRequestHandler):
    server_version = "ayr-sandbox/1"
    protocol_version = "HTTP/1.1"

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header from the virtual clock, so answers hold no wall-clock time."""
        from email.utils import format_datetime

        return format_datetime(self.server.app.clock.now(), usegmt=True)  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    def _serve(self) -> None:
        srv: Any = self.server
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        faults: Faults = srv.faults
        decision = faults.decide()
        if decision.latency_s:
            time.sleep(decision.latency_s)
        if decision.kind == "timeout":
            time.sleep(faults.timeout_s)
            self.close_connection = True
            return
        if decision.kind == "error":
            self._send(decision.status, {"content-type": "application/json; charset=utf-8"},
                       server_error_body(decision.status))  # fmt: skip
            return
        parts = urlsplit(self.path)
        req = ApiRequest.build(self.command, parts.path, parts.query, self.headers.items(), body)
        answer = srv.app.handle(req)
        content = answer.body
        if decision.kind == "malformed":
            content = malformed_body()
        elif decision.kind == "truncated":
            content = truncated_body(content)
        self._send(answer.status, answer.headers, content)

    def _send(self, status: int, headers: dict[str, str], content: bytes) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("content-length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve
    do_DELETE = _serve


class _HTTPServer(ThreadingHTTPServer):
    # the default listen backlog (5) drops connections when a client opens dozens at once, and
    # the client's retry of the connection (after about 1 s) would show as a latency spike
    request_queue_size = 128


class SandboxServer:
    """A running HTTP sandbox: ``base_url`` (``http://127.0.0.1:PORT/api``), ``stop()``."""

    def __init__(self, httpd: ThreadingHTTPServer, thread: threading.Thread | None) -> None:
        self.httpd = httpd
        self.thread = thread
        host, port = httpd.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else str(host)
        self.port = int(port)
        self.base_url = f"http://{host}:{self.port}/api"

    @property
    def app(self) -> SandboxApp:
        return self.httpd.app  # type: ignore[attr-defined]

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_server(
    port: int = 8787,
    *,
    host: str = "127.0.0.1",
    world: World | None = None,
    seed: int = 7,
    clock: VirtualClock | None = None,
    speed: float = 0.0,
    faults: Faults | None = None,
    rate_limit: int = 300,
    rate_window: float = 300.0,
    rate_time_scale: float = 1.0,
    verbose: bool = False,
    api_keys: Iterable[str] | None = None,
    quirks: Quirks | None = None,
) -> ThreadingHTTPServer:
    """Bind a server (not yet serving) over a fresh app. ``api_keys``: the keys it accepts
    (default: the demo key only); ``quirks``: the live API's awkward answers to switch on."""
    world = world if world is not None else build_world(seed)
    clock = clock if clock is not None else VirtualClock(start=world.now, speed=speed)
    limiter = RateLimiter(rate_limit, rate_window, time_scale=rate_time_scale)
    httpd = _HTTPServer((host, port), _Handler)
    httpd.daemon_threads = True
    httpd.app = SandboxApp(  # type: ignore[attr-defined]
        world, clock=clock, rate_limiter=limiter, api_keys=api_keys, quirks=quirks
    )
    httpd.faults = faults or Faults()  # type: ignore[attr-defined]
    httpd.verbose = verbose  # type: ignore[attr-defined]
    return httpd


def serve_in_thread(port: int = 0, **options: Any) -> SandboxServer:
    """Start the HTTP sandbox in a daemon thread (``port=0``: a free port); see
    :func:`make_server` for the options. Call ``.stop()`` when done (or use ``with``).

    >>> with serve_in_thread() as srv:
    ...     srv.port > 0
    True
    >>> import httpx
    >>> with serve_in_thread(api_keys=["my-test-key"]) as srv:
    ...     httpx.get(srv.base_url + "/history", trust_env=False,
    ...               headers={"Authorization": "Bearer my-test-key"}).status_code
    200
    """
    httpd = make_server(port, **options)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="ayr-sandbox", daemon=True
    )
    thread.start()
    return SandboxServer(httpd, thread)


def serve_forever(port: int = 8787, **options: Any) -> None:
    """Serve in the foreground until Ctrl-C, after printing the base URL and the demo keys."""
    from . import DEMO_API_KEY, DEMO_X_API_KEY, DEMO_X_API_SECRET

    httpd = make_server(port, **options)
    srv = SandboxServer(httpd, None)
    app = srv.app
    print(f"Ayrshare demo sandbox serving on {srv.base_url}", flush=True)
    print(f"  export AYRSHARE_BASE_URL={srv.base_url}")
    print(f"  API key (demo):     {DEMO_API_KEY}")
    print(f"  X BYO keys (demo):  {DEMO_X_API_KEY} / {DEMO_X_API_SECRET}")
    for p in app.world.profiles:
        label = "primary, used without Profile-Key" if p.primary else "Profile-Key"
        print(f"  profile {p.title!r}: {p.profile_key} ({label})")
    print(f"  simulated now: {app.clock.now().isoformat()} (speed {app.clock.speed})")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
