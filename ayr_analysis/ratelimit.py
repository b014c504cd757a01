"""Client-side pacing to Ayrshare's per-profile rate limit (default 300 requests per 5 minutes).

A :class:`RateLimiter` keeps the times of the requests sent in the last window (a sliding window)
and makes the caller wait before a request that would exceed the limit, so bulk work never causes a
429. It stays in step with the server: ``x-ratelimit-max``/``x-ratelimit-count`` (and the legacy
``x-ratelimit-remaining``/``x-ratelimit-reset``) headers are read after each answer, and when the
server counts more requests than we do, we believe the server. Values no server could mean (a
count of a hundred million, a reset in three years) are ignored with a warning.

One limiter is shared by every client of the process that talks to the same base URL for the same
profile (see :func:`shared_limiter`), since the quota is per profile. Processes of one machine
share it too when the limiter keeps its state in a pacing file (:func:`pacing_file`): the
request times and any pause after a 429 live in that small file, under an exclusive lock.

After a 429 the profile is blocked until the server's window rolls over; then a single request
(a probe) goes first and the others wait for its answer, so a limit that has not lifted costs one
429, not one per waiting request. After :data:`STORM_STRIKES` 429s in a row the limiter pauses
the profile: requests fail at once (see :class:`LimiterRefusal`) instead of being sent, since
Ayrshare suspends a profile after 1,000 429 answers in 24 hours.

>>> t = [0.0]
>>> limiter = RateLimiter(limit=2, window=10.0, clock=lambda: t[0], margin=0.0)
>>> def fake_sleep(s): t[0] += s
>>> [limiter.acquire(fake_sleep) for _ in range(3)]
[0.0, 0.0, 10.0]
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import hashlib
import inspect
import logging
import math
import os
import struct
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # POSIX: the pacing file is locked with flock; elsewhere pacing stays in the process
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "LimiterRefusal",
    "RateLimitInfo",
    "RateLimiter",
    "default_pacing_dir",
    "pacing_file",
    "shared_limiter",
]

logger = logging.getLogger("ayr_analysis")

Clock = Callable[[], float]

#: default safety margin: this fraction of the window, but never more than MAX_MARGIN seconds
MARGIN_FRACTION = 0.02
MAX_MARGIN = 1.0
Sleep = Callable[[float], Any]

#: the largest request count or limit a rate-limit header may give (no plan allows a million
#: requests in a window); larger values, and negative ones, are ignored with a warning
MAX_HEADER_COUNT = 1_000_000
#: the longest reset a rate-limit header may announce: two days (Ayrshare's longest window is
#: the 24 hours of X's quota); later ones are ignored with a warning
MAX_RESET_S = 2 * 86_400.0
#: 429 answers in a row (each to a request sent after the previous one) that pause the profile
STORM_STRIKES = 5
#: how often a request waiting for the probe's answer looks again (at most; seconds)
PROBE_POLL_S = 1.0
#: a probe without an answer after this long no longer holds the others back (seconds)
PROBE_STALE_S = 600.0
#: pacing files untouched for this long are removed when a limiter opens one (seconds)
STALE_PACING_FILE_S = 7 * 86_400.0


# --------------------------------------------------------------------------------------------
# what the server said
# --------------------------------------------------------------------------------------------
def _warn(warned: set[tuple[str, str]] | None, name: str, value: str, why: str) -> None:
    """Warn that a header was ignored; with ``warned`` (the caller's memory), once per header
    and value (a hostile server repeats itself on every answer)."""
    key = (name, value[:40])
    if warned is not None:
        if key in warned:
            return
        if len(warned) < 256:
            warned.add(key)
    logger.warning("ignored the server's %s: %r (%s)", name, value[:40], why)


def _header_int(
    headers: Mapping[str, str], name: str, low: int = 0, warned: set[Any] | None = None
) -> int | None:
    """A whole number between ``low`` and :data:`MAX_HEADER_COUNT` from header ``name``; None
    when absent, not a number, or out of those bounds (then with a warning)."""
    value = headers.get(name)
    if value is None:
        return None
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number) or not low <= number <= MAX_HEADER_COUNT:
        _warn(warned, name, text, f"not a count between {low} and {MAX_HEADER_COUNT:,}")
        return None
    return int(number)


def _reset_after(
    headers: Mapping[str, str], wall_time: float | None, warned: set[Any] | None
) -> float | None:
    """Seconds until the window resets from the legacy ``x-ratelimit-reset`` header (in
    milliseconds: a duration, or an epoch time when large); None when absent or not believable."""
    value = headers.get("x-ratelimit-reset")
    if value is None:
        return None
    text = value.strip()
    try:
        millis = float(text)
    except ValueError:
        return None
    if not math.isfinite(millis) or millis < 0:
        _warn(warned, "x-ratelimit-reset", text, "not a number of milliseconds >= 0")
        return None
    if millis > 100_000_000_000:  # an epoch time in milliseconds
        now = time.time() if wall_time is None else wall_time
        seconds = millis / 1000.0 - now
        if seconds < -86_400.0:
            _warn(warned, "x-ratelimit-reset", text, "a time in the past")
            return None
        seconds = max(0.0, seconds)
    else:
        seconds = millis / 1000.0
    if seconds > MAX_RESET_S:
        _warn(warned, "x-ratelimit-reset", text, f"a reset {seconds:,.0f} s away, over two days")
        return None
    return seconds


@dataclass(frozen=True)
class RateLimitInfo:
    """What the server said about the rate limit in one answer.

    ``reset_after`` is in seconds from when the answer was received (from the legacy
    ``x-ratelimit-reset`` header, given in milliseconds: a duration, or an epoch time when large).
    A value outside sane bounds (a count over :data:`MAX_HEADER_COUNT`, a reset over two days
    away, not a number) counts as absent, with a warning in the ``ayr_analysis`` log.

    >>> RateLimitInfo.from_headers({"x-ratelimit-max": "300", "x-ratelimit-count": "12"})
    RateLimitInfo(limit=300, count=12, remaining=288, reset_after=None)
    >>> RateLimitInfo.from_headers({"x-ratelimit-count": "100000000"}) is None
    True
    """

    limit: int | None = None
    count: int | None = None
    remaining: int | None = None
    reset_after: float | None = None

    @classmethod
    def from_headers(
        cls,
        headers: Mapping[str, str],
        *,
        wall_time: float | None = None,
        warned: set[tuple[str, str]] | None = None,
    ) -> RateLimitInfo | None:
        """Read the rate-limit headers (names in lower case); ``None`` when there are none.
        ``warned``: the (header, value) pairs already warned about, to warn about each once."""
        lower = {k.lower(): v for k, v in headers.items()}
        limit = _header_int(lower, "x-ratelimit-max", 1, warned)
        if limit is None:
            limit = _header_int(lower, "x-ratelimit-limit", 1, warned)
        count = _header_int(lower, "x-ratelimit-count", 0, warned)
        remaining = _header_int(lower, "x-ratelimit-remaining", 0, warned)
        reset_after = _reset_after(lower, wall_time, warned)
        if limit is None and count is None and remaining is None and reset_after is None:
            return None
        if count is None and limit is not None and remaining is not None:
            count = max(0, limit - remaining)
        if remaining is None and limit is not None and count is not None:
            remaining = max(0, limit - count)
        return cls(limit=limit, count=count, remaining=remaining, reset_after=reset_after)


class LimiterRefusal(Exception):
    """Raised by :meth:`RateLimiter.acquire_slot` instead of waiting: the profile is paused
    after a run of 429s, or blocked for longer than the caller may wait (``max_block``).
    ``seconds`` is how long the pause or block still lasts; ``paused`` tells which."""

    def __init__(self, seconds: float, *, paused: bool) -> None:
        self.seconds = seconds
        self.paused = paused
        what = "paused after repeated 429 answers" if paused else "rate limited"
        super().__init__(f"the profile is {what} for another {seconds:.0f} s")


# --------------------------------------------------------------------------------------------
# where the request times live: in memory, or in a pacing file shared by processes
# --------------------------------------------------------------------------------------------
class _MemoryState:
    """Request times (``stamps``: (time, made_elsewhere), oldest first) and the end of a block,
    for this process only."""

    shared = False

    def __init__(self) -> None:
        self.stamps: deque[tuple[float, bool]] = deque()
        self.blocked_until = float("-inf")

    @contextlib.contextmanager
    def hold(self) -> Iterator[_MemoryState]:
        yield self


_MAGIC = b"AYRPACE1"
_HEAD = struct.Struct("<dI")


class _FileState(_MemoryState):
    """The same state kept in a small binary file, read and written under ``flock`` at every
    use, so the processes of one machine pace one profile together. The file holds request times
    (wall-clock seconds) and the end of a block, nothing else."""

    shared = True

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._fd: int | None = None
        self._pid = 0
        self._open()
        weakref.finalize(self, _close_fd, self._fd_box)

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if self._fd is not None:
            _close_fd([self._fd])
        self._fd = fd
        self._pid = os.getpid()
        if not hasattr(self, "_fd_box"):
            self._fd_box = [fd]
        else:
            self._fd_box[0] = fd

    def _reopen_if_needed(self) -> None:
        # after a fork the lock would be shared with the parent; a removed file would pace alone
        if self._pid != os.getpid() or os.fstat(self._fd).st_nlink == 0:  # type: ignore[arg-type]
            self._open()

    @contextlib.contextmanager
    def hold(self) -> Iterator[_FileState]:
        self._reopen_if_needed()
        fd = self._fd
        assert fd is not None
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            raw = os.pread(fd, os.fstat(fd).st_size, 0)
            self._load(raw)
            yield self
            new = self._dump()
            if new != raw:
                os.pwrite(fd, new, 0)
                if len(new) < len(raw):
                    os.ftruncate(fd, len(new))
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _load(self, raw: bytes) -> None:
        self.stamps = deque()
        self.blocked_until = float("-inf")
        if not raw.startswith(_MAGIC) or len(raw) < len(_MAGIC) + _HEAD.size:
            return  # new, or not ours: start afresh
        blocked, n = _HEAD.unpack_from(raw, len(_MAGIC))
        at = len(_MAGIC) + _HEAD.size
        if len(raw) != at + 9 * n:
            return
        times = struct.unpack_from(f"<{n}d", raw, at)
        flags = raw[at + 8 * n :]
        self.stamps = deque(zip(times, (bool(f) for f in flags), strict=True))
        if math.isfinite(blocked):
            self.blocked_until = blocked

    def _dump(self) -> bytes:
        n = len(self.stamps)
        times = [t for t, _ in self.stamps]
        flags = bytes(1 if e else 0 for _, e in self.stamps)
        blocked = self.blocked_until if math.isfinite(self.blocked_until) else -1.0
        return _MAGIC + _HEAD.pack(blocked, n) + struct.pack(f"<{n}d", *times) + flags


def _close_fd(box: list[int]) -> None:
    with contextlib.suppress(OSError):
        os.close(box[0])


def default_pacing_dir() -> Path:
    """The folder of the pacing files: the user cache folder's ``ayr-analysis/pacing``
    (``$XDG_CACHE_HOME`` or ``~/.cache`` on Linux, ``~/Library/Caches`` on macOS).

    >>> default_pacing_dir().parts[-2:]
    ('ayr-analysis', 'pacing')
    """
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    elif sys.platform == "win32":  # pragma: no cover
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "ayr-analysis" / "pacing"


#: values of the pacing folder setting that turn cross-process pacing off
PACING_OFF = frozenset({"off", "none", "no", "false", "0"})


def pacing_file(folder: str | os.PathLike[str] | None, *parts: str) -> Path | None:
    """The pacing file of the quota named by ``parts`` (base URL and keys) in ``folder`` (None:
    :func:`default_pacing_dir`), or None when cross-process pacing is off (``folder`` is "off")
    or impossible here (no ``fcntl``). The name is a digest of ``parts``: the file never holds
    or names a key.

    >>> pacing_file("/tmp/p", "https://api.ayrshare.com/api", "key", "").name.endswith(".pace")
    True
    >>> pacing_file("off", "u", "k") is None
    True
    """
    if fcntl is None:
        return None
    if folder is not None and str(folder).strip().lower() in PACING_OFF:
        return None
    digest = hashlib.sha256("\x00".join(("ayr-analysis pacing", *parts)).encode()).hexdigest()
    base = Path(folder).expanduser() if folder is not None else default_pacing_dir()
    return base / f"{digest[:32]}.pace"


_swept: set[Path] = set()


def _sweep(folder: Path) -> None:
    """Remove pacing files nobody touched for a week (once per folder and process)."""
    if folder in _swept:
        return
    _swept.add(folder)
    cutoff = time.time() - STALE_PACING_FILE_S
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name.endswith(".pace"):
                with contextlib.suppress(OSError):
                    if entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)


# --------------------------------------------------------------------------------------------
# the limiter
# --------------------------------------------------------------------------------------------
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

    ``shared_file``: keep the request times and blocks in that pacing file (see
    :func:`pacing_file`), so every process of the machine using it paces together; the clock is
    then the wall clock (``clock`` must be None).

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
        shared_file: str | os.PathLike[str] | None = None,
    ) -> None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ValueError(f"limit must be an integer >= 1, got {limit!r}")
        if not window > 0 or not math.isfinite(window):
            raise ValueError(f"window must be a finite number of seconds > 0, got {window!r}")
        self.configured_limit = limit
        self.limit = limit
        self.window = float(window)
        if margin is None:
            margin = min(MAX_MARGIN, MARGIN_FRACTION * float(window))
        if margin < 0:
            raise ValueError(f"margin must be >= 0 seconds, got {margin!r}")
        self.margin = float(margin)
        if shared_file is not None:
            if clock is not None:
                raise ValueError("a limiter sharing a pacing file runs on the wall clock")
            path = Path(shared_file)
            self._state: _MemoryState = _FileState(path)
            _sweep(path.parent)
            self.clock: Clock = time.time
        else:
            self._state = _MemoryState()
            self.clock = clock or time.monotonic
        # in this process only: the run of 429s, the probe in flight, a pause
        self._strikes = 0
        self._probe: tuple[float, float] | None = None  # (slot stamp, when it was taken)
        self._paused_until = float("-inf")
        self._lock = threading.Lock()
        self._sync_gate = threading.Lock()
        self._async_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def __repr__(self) -> str:
        return (
            f"RateLimiter(limit={self.limit}, window={self.window:g}, in_window={self.in_window()})"
        )

    @property
    def shared_file(self) -> Path | None:
        """The pacing file shared with other processes, or None (pacing in this process only)."""
        return self._state.path if isinstance(self._state, _FileState) else None

    # -- state -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _held(self) -> Iterator[_MemoryState]:
        with self._lock, self._state.hold() as state:
            yield state

    def _prune(self, state: _MemoryState, now: float) -> None:
        horizon = now - self.window - self.margin
        stamps = state.stamps
        while stamps and stamps[0][0] <= horizon:
            stamps.popleft()

    def in_window(self) -> int:
        """How many requests count against the current window."""
        with self._held() as state:
            self._prune(state, self.clock())
            return len(state.stamps)

    def _try_reserve(self) -> tuple[float, float, bool]:
        """Take a slot and return (0, its time, False), or (how long to wait before trying
        again, 0, whether the wait is for a block rather than for room in the window). Raises
        :class:`LimiterRefusal` while the profile is paused."""
        with self._held() as state:
            now = self.clock()
            if self._paused_until > now:
                raise LimiterRefusal(self._paused_until - now, paused=True)
            if state.blocked_until > now:
                return state.blocked_until - now, 0.0, True
            if self._probe is not None:
                if now - self._probe[1] < PROBE_STALE_S:
                    return min(PROBE_POLL_S, self.window / 20), 0.0, True
                self._probe = None
            self._prune(state, now)
            if len(state.stamps) < self.limit:
                state.stamps.append((now, False))
                if self._strikes:  # the first request after a 429 goes alone
                    self._probe = (now, now)
                return 0.0, now, False
            excess = len(state.stamps) - self.limit
            oldest = state.stamps[excess][0]
            return max(oldest + self.window + self.margin - now, 1e-3), 0.0, False

    def _refuse_long_block(self, delay: float, blocked: float, max_block: float | None) -> None:
        if max_block is not None and blocked + delay > max_block:
            raise LimiterRefusal(delay, paused=False)

    def acquire(self, sleep: Sleep = time.sleep) -> float:
        """Wait (with ``sleep``) until a request may be sent, take the slot; return seconds waited."""
        return self.acquire_slot(sleep)[0]

    def acquire_slot(
        self, sleep: Sleep = time.sleep, *, max_block: float | None = None
    ) -> tuple[float, float]:
        """:meth:`acquire`, returning (seconds waited for room in the window, the slot's time)
        for :meth:`complete`. Waits for a block after a 429 are not in the first number (they are
        time spent retrying); with ``max_block``, a block that would keep the caller waiting
        longer than that raises :class:`LimiterRefusal` instead, as does a paused profile."""
        waited = blocked = 0.0
        with self._sync_gate:
            while True:
                delay, stamp, is_block = self._try_reserve()
                if delay <= 0:
                    return waited, stamp
                if is_block:
                    self._refuse_long_block(delay, blocked, max_block)
                    blocked += delay
                else:
                    waited += delay
                sleep(delay)

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
        with self._held() as state:
            if self._probe is not None and self._probe[0] == stamp:
                self._probe = None
            moved = self.clock() - self.margin
            if moved <= stamp:
                return
            stamps = state.stamps
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
        self,
        sleep: Callable[[float], Awaitable[Any] | Any] = asyncio.sleep,
        *,
        max_block: float | None = None,
    ) -> tuple[float, float]:
        """Async :meth:`acquire_slot`."""
        waited = blocked = 0.0
        async with self._async_gate():
            while True:
                delay, stamp, is_block = self._try_reserve()
                if delay <= 0:
                    return waited, stamp
                if is_block:
                    self._refuse_long_block(delay, blocked, max_block)
                    blocked += delay
                else:
                    waited += delay
                result = sleep(delay)
                if inspect.isawaitable(result):
                    await result
                else:  # a plain (fake) sleep: let the request in flight get its answer
                    await asyncio.sleep(0)

    # -- keeping in step with the server --------------------------------------------------------
    def observe(self, info: RateLimitInfo | None) -> None:
        """Take the server's view into account after an answer.

        A lower ``x-ratelimit-max`` than ours lowers our limit; a higher count than ours adds
        requests we did not know of (made elsewhere with the same profile) to the window, never
        more than fill it.
        """
        if info is None:
            return
        with self._held() as state:
            now = self.clock()
            self._prune(state, now)
            if info.limit is not None and info.limit >= 1:
                self.limit = min(self.configured_limit, info.limit)
            if info.count is None:
                return
            ours = len(state.stamps)
            counted = min(info.count, self.limit)
            if counted > ours:
                if info.reset_after is not None:
                    # they leave the window when the server resets it
                    stamp = now + min(info.reset_after, self.window) - self.window - self.margin
                else:
                    stamp = now  # unknown age: count them as just made (the safe side)
                at = bisect.bisect_right(state.stamps, (stamp, True))
                for _ in range(counted - ours):
                    state.stamps.insert(at, (stamp, True))
            elif info.count < ours and any(elsewhere for _, elsewhere in state.stamps):
                # the server counts fewer: drop our guesses (never our own requests, which the
                # server may not have counted yet)
                surplus = ours - info.count
                kept: deque[tuple[float, bool]] = deque()
                for entry in state.stamps:
                    if entry[1] and surplus > 0:
                        surplus -= 1
                        continue
                    kept.append(entry)
                state.stamps = kept

    def block_for(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (after a 429: wait for the server's window to roll over).
        A wait that is not a finite number of seconds >= 0 is no wait; at most a day."""
        if not math.isfinite(seconds) or seconds <= 0:
            return
        with self._held() as state:
            state.blocked_until = max(state.blocked_until, self.clock() + min(seconds, 86_400.0))

    def rate_limited(self, seconds: float, *, sent_at: float, pause: float) -> bool:
        """The request whose slot was taken at ``sent_at`` got a 429 of the profile's limit: block
        the profile for ``seconds`` and count the 429 in the run of 429s when it is the first of
        the run or the answer to the probe (requests already in flight when the run began count
        once, as one). After :data:`STORM_STRIKES` in a row, pause the profile for ``pause``
        seconds. Returns True when the profile is now paused."""
        self.block_for(seconds)
        with self._lock:
            now = self.clock()
            probe = self._probe is not None and self._probe[0] == sent_at
            if probe or not self._strikes:
                self._strikes += 1
            if probe:
                self._probe = None
            if self._strikes >= STORM_STRIKES and pause > 0:
                self._paused_until = max(self._paused_until, now + pause)
                return True
            return False

    def succeeded(self) -> None:
        """An answer that was not a 429 of the profile's limit: the run of 429s is over."""
        if self._strikes or self._paused_until > float("-inf"):
            with self._lock:
                self._strikes = 0
                self._paused_until = float("-inf")

    @property
    def strikes(self) -> int:
        """429 answers of the profile's limit in a row (0 after any other answer)."""
        return self._strikes

    @property
    def blocked_for(self) -> float:
        """Seconds until requests may be sent again after :meth:`block_for` (0 when not blocked)."""
        with self._held() as state:
            return max(0.0, state.blocked_until - self.clock())

    @property
    def paused_for(self) -> float:
        """Seconds the profile stays paused after a run of 429s (0 when not paused)."""
        with self._lock:
            return max(0.0, self._paused_until - self.clock())


_REGISTRY: weakref.WeakValueDictionary[Hashable, RateLimiter] = weakref.WeakValueDictionary()
_REGISTRY_LOCK = threading.Lock()


def shared_limiter(
    key: Hashable,
    *,
    limit: int,
    window: float,
    clock: Clock | None = None,
    shared_file: Path | None = None,
) -> RateLimiter:
    """The process-wide limiter for ``key`` (e.g. base URL and a digest of the profile), created
    on first use. Limiters on different clocks or with different settings are kept apart. With
    ``shared_file`` the limiter paces with the other processes using that file; when the file
    cannot be opened (a read-only home), pacing stays in the process, with a warning.

    >>> a = shared_limiter(("https://x", "p"), limit=5, window=60.0)
    >>> a is shared_limiter(("https://x", "p"), limit=5, window=60.0)
    True
    """
    full_key = (key, limit, float(window), clock, shared_file)
    with _REGISTRY_LOCK:
        limiter = _REGISTRY.get(full_key)
        if limiter is None:
            try:
                limiter = RateLimiter(limit, window, clock=clock, shared_file=shared_file)
            except OSError as exc:
                logger.warning(
                    "pacing with other processes is off: the pacing file %s cannot be used (%s)",
                    shared_file,
                    exc.strerror or exc,
                )
                limiter = RateLimiter(limit, window, clock=clock)
            _REGISTRY[full_key] = limiter
        return limiter
