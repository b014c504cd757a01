"""The limits of one exchange: a total deadline (connecting and every read), a cap on the size of
the answer once decompressed, and a JSON decoder that refuses what it cannot hold safely (text
that is not UTF-8, nesting deeper than :data:`MAX_JSON_DEPTH`).

Answers are decoded by msgspec's JSON decoder, about 2.5 times as fast as the standard library's
``json.loads`` and as exact: integers of any size stay integers. What msgspec refuses but
``json.loads`` reads (a byte-order mark, ``NaN`` and ``Infinity``, numbers beyond a float, lone
surrogates) goes to ``json.loads``, so every answer decodes to what ``json.loads`` gives, and
text that is not JSON fails with ``json.loads``' error.

The body is read as it streams in, never whole: :class:`BodyReader` counts each decompressed
piece and stops at the cap, so an endless answer, a huge one or a gzip bomb costs at most the cap
(and one piece) in memory.

>>> reader = BodyReader(limit=10, deadline_s=None)
>>> reader.feed(b'{"a": 1}')
>>> decode_json(reader.finish())
{'a': 1}
>>> reader = BodyReader(limit=4, deadline_s=None)
>>> reader.feed(b"12345")
Traceback (most recent call last):
...
ayr_analysis.client.bounds.BodyTooLarge: the answer is larger than 4 bytes (read 5 bytes so far)

The deadline of the synchronous face is kept by the network layer itself
(:func:`keep_deadlines`): every connect, read and write gets at most the time left, so a server
sending one byte every half second cannot outlast it.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec.json

__all__ = [
    "MAX_JSON_DEPTH",
    "BodyReader",
    "BodyTooLarge",
    "DeadlinePassed",
    "UnreadableBody",
    "Received",
    "decode_json",
    "deadline_scope",
    "keep_deadlines",
]

#: answers nested deeper than this are refused (Ayrshare's are under 10 levels deep)
MAX_JSON_DEPTH = 64
#: the most a single step of decompression may produce (the cap is checked between steps)
INFLATE_STEP = 1 << 20


class BodyTooLarge(Exception):
    """The answer is larger than the cap: announced so (``announced``) or found so while read."""

    def __init__(self, limit: int, seen: int, announced: bool = False) -> None:
        self.limit, self.seen, self.announced = limit, seen, announced
        if announced:
            text = f"the answer announced {seen:,} bytes, more than the limit of {limit:,} bytes"
        else:
            text = f"the answer is larger than {limit:,} bytes (read {seen:,} bytes so far)"
        super().__init__(text)


class DeadlinePassed(Exception):
    """The exchange took longer than its deadline."""

    def __init__(self, deadline_s: float) -> None:
        self.deadline_s = deadline_s
        super().__init__(f"deadline of {deadline_s:g} s exceeded")


#: msgspec's decoder, made once (a decoder keeps no state between answers)
_fast_decode = msgspec.json.Decoder().decode


class UnreadableBody(Exception):
    """A body that is not what JSON must be: not UTF-8, or nested too deep."""


@dataclass(frozen=True)
class Received:
    """An answer read within the limits: status, headers and the decompressed body."""

    status_code: int
    headers: httpx.Headers
    content: bytes


# --------------------------------------------------------------------------------------------
# reading the body
# --------------------------------------------------------------------------------------------
class BodyReader:
    """Collects a body from its raw (still compressed) pieces: decompresses gzip and deflate
    itself, at most up to the cap, and checks the deadline (a ``time.monotonic`` instant) at
    every piece. Other encodings come decoded from httpx (``decoded=True``) and are counted."""

    def __init__(
        self,
        limit: int,
        deadline_s: float | None,
        *,
        encoding: str = "",
        deadline: float | None = None,
    ) -> None:
        self.limit = limit
        self.deadline_s = deadline_s
        self.deadline = deadline
        self.size = 0
        self._parts: list[bytes] = []
        encoding = encoding.strip().lower()
        self._inflate: Any = None
        if encoding in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self._inflate = zlib.decompressobj()
            self._raw_deflate_tried = False
        self.decodes = self._inflate is not None or encoding in ("", "identity")

    def check_deadline(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise DeadlinePassed(self.deadline_s or 0.0)

    def _add(self, piece: bytes) -> None:
        if piece:
            self.size += len(piece)
            if self.size > self.limit:
                raise BodyTooLarge(self.limit, self.size)
            self._parts.append(piece)

    def feed(self, raw: bytes) -> None:
        """Take the next raw piece of the body."""
        if self._inflate is None:
            self._add(raw)
        else:
            data = raw
            while data:
                try:
                    room = min(INFLATE_STEP, self.limit - self.size + 1)
                    out = self._inflate.decompress(data, room)
                except zlib.error:
                    if getattr(self, "_raw_deflate_tried", True) or self.size:
                        raise
                    # a "deflate" answer without the zlib header (as httpx also allows)
                    self._raw_deflate_tried = True
                    self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                self._add(out)
                data = self._inflate.unconsumed_tail
        self.check_deadline()

    def feed_decoded(self, piece: bytes) -> None:
        """Take the next piece of a body httpx decoded."""
        self._add(piece)
        self.check_deadline()

    def finish(self) -> bytes:
        """The whole body."""
        if self._inflate is not None:
            self._add(self._inflate.flush())
        return b"".join(self._parts)


def announced_size(headers: httpx.Headers) -> int | None:
    """The Content-Length of a body sent as is (None when absent, not a number or compressed)."""
    if headers.get("content-encoding", "identity").strip().lower() not in ("", "identity"):
        return None
    try:
        return int(headers.get("content-length", ""))
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------
# decoding JSON
# --------------------------------------------------------------------------------------------
def _too_deep(value: Any, limit: int) -> bool:
    """Whether ``value`` holds lists or objects nested more than ``limit`` deep (iterative)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, dict | list) and child:
                stack.append((child, depth + 1))
            elif isinstance(child, dict | list) and depth + 1 > limit:
                return True
    return False


def decode_json(content: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON value of ``content``, which must be UTF-8 (a byte-order mark is allowed) and
    nested at most ``max_depth`` deep; raises :class:`UnreadableBody` saying which rule it broke,
    or ``ValueError`` when it is not JSON at all.

    >>> decode_json(b'{"a": [1, 2]}')
    {'a': [1, 2]}
    >>> decode_json(b'{"post": "caf\\xe9"}')
    Traceback (most recent call last):
    ...
    ayr_analysis.client.bounds.UnreadableBody: the answer is not valid UTF-8: byte 0xe9 at offset 13 of 16 ('{"post": "caf')
    >>> decode_json(b"[" * 70 + b"]" * 70)
    Traceback (most recent call last):
    ...
    ayr_analysis.client.bounds.UnreadableBody: the answer is nested deeper than 64 levels
    """
    try:
        value = _fast_decode(content)
    except (msgspec.DecodeError, RecursionError):  # read, or refused, as json.loads does
        value = _slow_decode(content, max_depth)
    if (
        isinstance(value, dict | list)
        and content.count(b"[") + content.count(b"{") > max_depth
        and _too_deep(value, max_depth)
    ):
        raise UnreadableBody(f"the answer is nested deeper than {max_depth} levels")
    return value


def _slow_decode(content: bytes, max_depth: int) -> Any:
    """``content`` decoded by ``json.loads``: what msgspec refused."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = content[max(0, exc.start - 24) : exc.start].decode("utf-8", "replace")
        raise UnreadableBody(
            f"the answer is not valid UTF-8: byte 0x{content[exc.start]:02x} at offset "
            f"{exc.start} of {len(content)} ({before!r})"
        ) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise UnreadableBody(f"the answer is nested deeper than {max_depth} levels") from None


# --------------------------------------------------------------------------------------------
# the deadline of the synchronous face, kept by the network layer
# --------------------------------------------------------------------------------------------
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "ayr_analysis_deadline", default=None
)


@contextlib.contextmanager
def deadline_scope(deadline: float) -> Iterator[None]:
    """Within this block, network operations of clients set up by :func:`keep_deadlines` end
    at ``deadline`` (a ``time.monotonic`` instant) at the latest."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _time_left(timeout: float | None, error: type[Exception]) -> float | None:
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("deadline exceeded")
    return left if timeout is None else min(timeout, left)


def _stream_class() -> type:
    import httpcore

    class DeadlineStream(httpcore.NetworkStream):
        """A network stream whose every operation ends by the deadline of its scope."""

        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            return self._inner.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self._inner.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

        def close(self) -> None:
            self._inner.close()

        def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                      timeout: float | None = None) -> Any:  # fmt: skip
            left = _time_left(timeout, httpcore.ConnectTimeout)
            return DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, left))

        def get_extra_info(self, info: str) -> Any:
            return self._inner.get_extra_info(info)

    class DeadlineBackend(httpcore.NetworkBackend):
        """Connects through ``inner`` and hands out :class:`DeadlineStream` objects."""

        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                        local_address: str | None = None, socket_options: Any = None) -> Any:  # fmt: skip
            left = _time_left(timeout, httpcore.ConnectTimeout)
            return DeadlineStream(
                self._inner.connect_tcp(host, port, left, local_address, socket_options)
            )

        def connect_unix_socket(self, path: str, timeout: float | None = None,
                                socket_options: Any = None) -> Any:  # fmt: skip
            left = _time_left(timeout, httpcore.ConnectTimeout)
            return DeadlineStream(self._inner.connect_unix_socket(path, left, socket_options))

        def sleep(self, seconds: float) -> None:
            self._inner.sleep(seconds)

    return DeadlineBackend


_BACKEND: list[type] = []


def keep_deadlines(client: httpx.Client) -> bool:
    """Make every connection pool of ``client`` (its own and its proxies') keep the deadline of
    :func:`deadline_scope`. Returns False when there is none to change (an injected transport,
    which then only has its deadline checked between pieces of the body).

    httpx gives no public way to choose the network backend of the pools it builds (with the
    proxies of the environment), so this wraps ``_network_backend`` of each pool behind the
    client's transports. Should a later httpx move those names, nothing breaks: the deadline is
    then checked between pieces of the body only, and ``tests/test_hostile_http.py`` (a server
    trickling its headers) fails to say so."""
    if not _BACKEND:
        _BACKEND.append(_stream_class())
    backend_class = _BACKEND[0]
    changed = False
    transports = [getattr(client, "_transport", None), *getattr(client, "_mounts", {}).values()]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        inner = getattr(pool, "_network_backend", None)
        if inner is not None and not isinstance(inner, backend_class):
            pool._network_backend = backend_class(inner)  # type: ignore[union-attr]
            changed = True
    return changed
