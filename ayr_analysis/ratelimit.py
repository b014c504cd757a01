"""Client-side pacing to Ayrshare's per-profile rate limit (default 300 requests per 5 minutes).

A :class:`RateLimiter` keeps the times of the requests sent in the last window (a sliding window)
and makes the caller wait before a request that would exceed the limit, so bulk work never causes a
429. It stays in step with the server: ``x-ratelimit-max``/``x-ratelimit-count`` (and the legacy
``x-ratelimit-remaining``/``x-ratelimit-reset``) headers are read after each answer, and when the
server counts more requests than we do, we believe the server.

One limiter is shared by every client of the process that talks to the same base URL for the same
profile (see :func:`shared_limiter`), since the quota is per profile.

>>> t = [0.0]
>>> limiter = RateLimiter(limit=2, window=10.0, clock=lambda: t[0], margin=0.0)
>>> def fake_sleep(s): t[0] += s
>>> [limiter.acquire(fake_sleep) for _ in range(3)]
[0.0, 0.0, 10.0]
"""

from __future__ import annotations

import asyncio
import bisect
import inspect
import threading
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["RateLimitInfo", "RateLimiter", "shared_limiter"]

Clock = Callable[[], float]

#: default safety margin: this fraction of the window, but never more than MAX_MARGIN seconds
MARGIN_FRACTION = 0.02
MAX_MARGIN = 1.0
Sleep = Callable[[float], Any]


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value.strip()))
    except ValueError:
        return None


@dataclass(frozen=True)
class RateLimitInfo:
    """What the server said about the rate limit in one answer.

    ``reset_after`` is in seconds from when the answer was received (from the legacy
    ``x-ratelimit-reset`` header, given in milliseconds: a duration, or an epoch time when large).

    >>> RateLimitInfo.from_headers({"x-ratelimit-max": "300", "x-ratelimit-count": "12"})
    RateLimitInfo(limit=300, count=12, remaining=288, reset_after=None)
    """

    limit: int | None = None
    count: int | None = None
    remaining: int | None = None
    reset_after: float | None = None

    @classmethod
    def from_headers(
        cls, headers: Mapping[str, str], *, wall_time: float | None = None
    ) -> RateLimitInfo | None:
        """Read the rate-limit headers (names in lower case); ``None`` when there are none."""
        lower = {k.lower(): v for k, v in headers.items()}
        limit = _header_int(lower, "x-ratelimit-max")
        if limit is None:
            limit = _header_int(lower, "x-ratelimit-limit")
        count = _header_int(lower, "x-ratelimit-count")
        remaining = _header_int(lower, "x-ratelimit-remaining")
        reset_raw = _header_int(lower, "x-ratelimit-reset")
        if limit is None and count is None and remaining is None and reset_raw is None:
            return None
        if count is None and limit is not None and remaining is not None:
            count = max(0, limit - remaining)
        if remaining is None and limit is not None and count is not None:
            remaining = max(0, limit - count)
        reset_after = None
        if reset_raw is not None:
            if reset_raw > 100_000_000_000:  # an epoch time in milliseconds
                now = time.time() if wall_time is None else wall_time
                reset_after = max(0.0, reset_raw / 1000.0 - now)
            else:
                reset_after = max(0.0, reset_raw / 1000.0)
        return cls(limit=limit, count=count, remaining=remaining, reset_after=reset_after)


class RateLimiter:
    """A sliding-window limiter: at most ``limit`` acquisitions in any ``window`` seconds.

    ``clock`` gives seconds (monotonic); the caller passes its ``sleep`` to :meth:`acquire` (or an
    async one to :meth:`acquire_async`), so tests can run on a fake clock. ``margin`` keeps each
    request in the window a little longer, to allow for the time it takes to reach the server
    (which varies from one request to the next). By default it is 2% of the window, at most 1 s:
    1 s for Ayrshare's 5-minute window, 0.1 s for a 5-second test window, so a short window is
    not capped far below its quota (a fixed 1 s would allow only 5/6 of a 5 s window). Callers
    that report answers with :meth:`complete` need no more: a request then stays in the window
    until ``window`` seconds after its answer, which covers any time it took to reach the server.

    Thread-safe; async waiters of one event loop queue in order behind an ``asyncio.Lock``.

    >>> RateLimiter(300, 300.0).margin, RateLimiter(300, 5.0).margin
    (1.0, 0.1)
    """

    def __init__(
        self,
        limit: int = 300,
        window: float = 300.0,
        *,
        clock: Clock | None = None,
        margin: float | None = None,
    ) -> None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ValueError(f"limit must be an integer >= 1, got {limit!r}")
        if window <= 0:
            raise ValueError(f"window must be > 0 seconds, got {window!r}")
        self.configured_limit = limit
        self.limit = limit
        self.window = float(window)
        if margin is None:
            margin = min(MAX_MARGIN, MARGIN_FRACTION * float(window))
        if margin < 0:
            raise ValueError(f"margin must be >= 0 seconds, got {margin!r}")
        self.margin = float(margin)
        self.clock: Clock = clock or time.monotonic
        # (time, made_elsewhere): requests in the window, oldest first; entries marked
        # made_elsewhere were added because the server counted more than we did
        self._stamps: deque[tuple[float, bool]] = deque()
        self._blocked_until = float("-inf")
        self._lock = threading.Lock()
        self._sync_gate = threading.Lock()
        self._async_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def __repr__(self) -> str:
        return (
            f"RateLimiter(limit={self.limit}, window={self.window:g}, in_window={self.in_window()})"
        )

    # -- state -------------------------------------------------------------------------------
    def _prune(self, now: float) -> None:
        horizon = now - self.window - self.margin
        stamps = self._stamps
        while stamps and stamps[0][0] <= horizon:
            stamps.popleft()

    def in_window(self) -> int:
        """How many requests count against the current window."""
        with self._lock:
            self._prune(self.clock())
            return len(self._stamps)

    def _try_reserve(self) -> tuple[float, float]:
        """Take a slot and return (0, its time), or (how long to wait before trying again, 0)."""
        with self._lock:
            now = self.clock()
            if self._blocked_until > now:
                return self._blocked_until - now, 0.0
            self._prune(now)
            if len(self._stamps) < self.limit:
                self._stamps.append((now, False))
                return 0.0, now
            excess = len(self._stamps) - self.limit
            oldest = self._stamps[excess][0]
            return max(oldest + self.window + self.margin - now, 1e-3), 0.0

    def acquire(self, sleep: Sleep = time.sleep) -> float:
        """Wait (with ``sleep``) until a request may be sent, take the slot; return seconds waited."""
        return self.acquire_slot(sleep)[0]

    def acquire_slot(self, sleep: Sleep = time.sleep) -> tuple[float, float]:
        """:meth:`acquire`, returning (seconds waited, the slot's time) for :meth:`complete`."""
        waited = 0.0
        with self._sync_gate:
            while True:
                delay, stamp = self._try_reserve()
                if delay <= 0:
                    return waited, stamp
                sleep(delay)
                waited += delay

    def complete(self, stamp: float) -> None:
        """The request whose slot was taken at ``stamp`` got its answer (or failed) just now.

        The server counted it at some moment between the two, so from now on the request stays
        in the window until ``window`` seconds after its answer (never less than before). This
        makes the pacing safe whatever the time to reach the server, without a large fixed
        margin.

        >>> t = [0.0]
        >>> limiter = RateLimiter(limit=1, window=10.0, clock=lambda: t[0], margin=0.0)
        >>> waited, stamp = limiter.acquire_slot()
        >>> t[0] = 2.0  # the answer came 2 s later
        >>> limiter.complete(stamp)
        >>> def fake_sleep(s): t[0] += s
        >>> limiter.acquire(fake_sleep)  # 10 s after the answer, not after the request
        10.0
        """
        with self._lock:
            moved = self.clock() - self.margin
            if moved <= stamp:
                return
            stamps = self._stamps
            at = bisect.bisect_left(stamps, (stamp, False))
            if at < len(stamps) and stamps[at] == (stamp, False):
                del stamps[at]
                stamps.insert(bisect.bisect_right(stamps, (moved, False)), (moved, False))

    def _async_gate(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._lock:
            gate = self._async_gates.get(loop)
            if gate is None:
                gate = self._async_gates[loop] = asyncio.Lock()
            return gate

    async def acquire_async(
        self, sleep: Callable[[float], Awaitable[Any] | Any] = asyncio.sleep
    ) -> float:
        """Async :meth:`acquire`; ``sleep`` may be a coroutine function or a plain one."""
        return (await self.acquire_slot_async(sleep))[0]

    async def acquire_slot_async(
        self, sleep: Callable[[float], Awaitable[Any] | Any] = asyncio.sleep
    ) -> tuple[float, float]:
        """Async :meth:`acquire_slot`."""
        waited = 0.0
        async with self._async_gate():
            while True:
                delay, stamp = self._try_reserve()
                if delay <= 0:
                    return waited, stamp
                result = sleep(delay)
                if inspect.isawaitable(result):
                    await result
                waited += delay

    # -- keeping in step with the server --------------------------------------------------------
    def observe(self, info: RateLimitInfo | None) -> None:
        """Take the server's view into account after an answer.

        A lower ``x-ratelimit-max`` than ours lowers our limit; a higher count than ours adds
        requests we did not know of (made elsewhere with the same profile) to the window.
        """
        if info is None:
            return
        with self._lock:
            now = self.clock()
            self._prune(now)
            if info.limit is not None and info.limit >= 1:
                self.limit = min(self.configured_limit, info.limit)
            if info.count is None:
                return
            ours = len(self._stamps)
            if info.count > ours:
                if info.reset_after is not None:
                    # they leave the window when the server resets it
                    stamp = now + min(info.reset_after, self.window) - self.window - self.margin
                else:
                    stamp = now  # unknown age: count them as just made (the safe side)
                at = bisect.bisect_right(self._stamps, (stamp, True))
                for _ in range(info.count - ours):
                    self._stamps.insert(at, (stamp, True))
            elif info.count < ours and any(elsewhere for _, elsewhere in self._stamps):
                # the server counts fewer: drop our guesses (never our own requests, which the
                # server may not have counted yet)
                surplus = ours - info.count
                kept: deque[tuple[float, bool]] = deque()
                for entry in self._stamps:
                    if entry[1] and surplus > 0:
                        surplus -= 1
                        continue
                    kept.append(entry)
                self._stamps = kept

    def block_for(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (after a 429: wait for the server's window to roll over)."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self.clock() + max(0.0, seconds))

    @property
    def blocked_for(self) -> float:
        """Seconds until requests may be sent again after :meth:`block_for` (0 when not blocked)."""
        with self._lock:
            return max(0.0, self._blocked_until - self.clock())


_REGISTRY: weakref.WeakValueDictionary[Hashable, RateLimiter] = weakref.WeakValueDictionary()
_REGISTRY_LOCK = threading.Lock()


def shared_limiter(
    key: Hashable, *, limit: int, window: float, clock: Clock | None = None
) -> RateLimiter:
    """The process-wide limiter for ``key`` (e.g. base URL and a digest of the profile), created
    on first use. Limiters on different clocks or with different settings are kept apart.

    >>> a = shared_limiter(("https://x", "p"), limit=5, window=60.0)
    >>> a is shared_limiter(("https://x", "p"), limit=5, window=60.0)
    True
    """
    full_key = (key, limit, float(window), clock)
    with _REGISTRY_LOCK:
        limiter = _REGISTRY.get(full_key)
        if limiter is None:
            limiter = RateLimiter(limit, window, clock=clock)
            _REGISTRY[full_key] = limiter
        return limiter
