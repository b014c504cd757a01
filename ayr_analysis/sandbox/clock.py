"""Clocks of the sandbox: a virtual clock for the simulated world, a real one for rate limits.

The virtual clock drives everything the world shows (metric values, ``lastUpdated`` /
``nextUpdate``, story expiry, which posts exist yet). The rate-limit window runs on real
monotonic time by default, because clients pace themselves in real time; see
:class:`ayr_analysis.sandbox.app.RateLimiter`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

#: The demo world's reference "now": every post is dated relative to it.
WORLD_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class VirtualClock:
    """Simulated time: ``start`` plus the real time elapsed times ``speed``.

    ``speed=0.0`` (the default) freezes time at ``start`` until :meth:`set` or :meth:`advance`;
    ``speed=3600.0`` makes one real second one simulated hour. Thread-safe.

    >>> from datetime import timedelta
    >>> clock = VirtualClock(start=WORLD_NOW)
    >>> clock.now().isoformat()
    '2026-11-20T12:00:00+00:00'
    >>> clock.advance(timedelta(hours=2)).isoformat()
    '2026-11-20T14:00:00+00:00'
    """

    def __init__(
        self,
        start: datetime | None = None,
        speed: float = 0.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed < 0:
            raise ValueError(f"speed must be >= 0, got {speed!r}")
        start = WORLD_NOW if start is None else start
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware (UTC)")
        self._lock = threading.Lock()
        self._monotonic = monotonic
        self._base = start.astimezone(UTC)
        self._t0 = monotonic()
        self.speed = float(speed)

    def now(self) -> datetime:
        """The current simulated time (UTC, aware).

        >>> VirtualClock().now().year
        2026
        """
        with self._lock:
            if self.speed == 0.0:
                return self._base
            elapsed = (self._monotonic() - self._t0) * self.speed
            return self._base + timedelta(seconds=elapsed)

    def set(self, when: datetime) -> datetime:
        """Jump to ``when`` (aware datetime); the clock keeps its speed from there.

        >>> VirtualClock().set(datetime(2026, 9, 1, tzinfo=UTC)).month
        9
        """
        if when.tzinfo is None:
            raise ValueError("when must be timezone-aware (UTC)")
        with self._lock:
            self._base = when.astimezone(UTC)
            self._t0 = self._monotonic()
        return self.now()

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on (time does not jump).

        >>> clock = VirtualClock()
        >>> clock.set_speed(3600.0)
        >>> clock.speed
        3600.0
        """
        if speed < 0:
            raise ValueError(f"speed must be >= 0, got {speed!r}")
        with self._lock:
            if self.speed:
                self._base += timedelta(seconds=(self._monotonic() - self._t0) * self.speed)
            self._t0 = self._monotonic()
            self.speed = float(speed)

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward (or back, with a negative delta) and return the new time.

        >>> VirtualClock().advance(timedelta(days=1)).day
        21
        """
        return self.set(self.now() + delta)

    def __repr__(self) -> str:
        return f"VirtualClock(now={self.now().isoformat()}, speed={self.speed})"


def iso_ms(when: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a ``Z``, as Ayrshare writes times.

    >>> iso_ms(WORLD_NOW)
    '2026-11-20T12:00:00.000Z'
    """
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def iso_s(when: datetime) -> str:
    """ISO 8601 in UTC to the second with a ``Z`` (the ``created`` of history items).

    >>> iso_s(WORLD_NOW)
    '2026-11-20T12:00:00Z'
    """
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
