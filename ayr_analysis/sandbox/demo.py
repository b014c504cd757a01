"""The demo sandbox as one object: :class:`Demo`, the seam between the client and the demo world.

A :class:`Demo` holds a simulated Ayrshare server: the demo world (built from a seed), the
virtual clock that decides what the world shows, and the server's rate limit. It hands out the
in-process httpx transport that reaches that server. Give one to a client and everything that
needs demo time asks the client for it:

>>> from ayr_analysis import AyrshareClient
>>> from ayr_analysis.sandbox import WORLD_NOW, VirtualClock
>>> demo = Demo(seed=7, clock=VirtualClock(start=WORLD_NOW))
>>> client = AyrshareClient(demo=demo)
>>> client.demo is demo, client.is_demo, client.demo.clock.now().isoformat()
(True, True, '2026-11-20T12:00:00+00:00')
>>> client.settings.rate_limit, client.settings.rate_window  # paced to the demo's server
(300, 10.0)

Tracking compares ``nextUpdate`` with ``client.demo.clock``; reports and ``ayr-analysis track
--demo-speed`` move or speed up that same clock. Swapping the demo world, its clock or its limits
is one argument: ``Demo(seed=...)``, ``Demo(clock=...)``, ``Demo(rate_limit=..., rate_window=...)``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ..ratelimit import MAX_HEADER_COUNT
from .app import RateLimiter, SandboxApp
from .clock import VirtualClock
from .transport import DEMO_RATE_WINDOW, SandboxTransport

if TYPE_CHECKING:  # pragma: no cover
    from .faults import Faults
    from .world import World

__all__ = ["UNLIMITED", "Demo"]

#: A request count no run reaches: the rate limit of :meth:`Demo.frozen` demos. It is the
#: highest limit a client believes from a server (a larger ``x-ratelimit-max`` is ignored with
#: a warning: :data:`~ayr_analysis.ratelimit.MAX_HEADER_COUNT`).
UNLIMITED = MAX_HEADER_COUNT


class Demo:
    """A simulated Ayrshare server over a demo world, with its clock and its rate limit.

    ``seed`` picks the world (the default world is seed 7); ``world`` gives one built beforehand
    (:func:`~ayr_analysis.sandbox.build_world`). ``clock`` is the
    :class:`~ayr_analysis.sandbox.VirtualClock` the world runs on; by default a new clock frozen
    at the world's "now" (``demo.clock.set_speed(3600)`` makes a real second a simulated hour).
    ``rate_limit`` requests per ``rate_window`` real seconds per profile is the server's limit
    (default: Ayrshare's 300 over a compressed :data:`DEMO_RATE_WINDOW`, so that demos run in
    seconds); a client given this demo paces to it. ``faults`` injects latency and failures
    (:class:`~ayr_analysis.sandbox.Faults`).

    >>> demo = Demo(rate_limit=5, rate_window=1.0)
    >>> demo.rate_limit, demo.rate_window, demo.world.seed, demo.clock.speed
    (5, 1.0, 7, 0.0)
    >>> demo.transport() is demo.transport()
    True
    """

    def __init__(
        self,
        seed: int = 7,
        *,
        world: World | None = None,
        clock: VirtualClock | None = None,
        rate_limit: int = 300,
        rate_window: float = DEMO_RATE_WINDOW,
        faults: Faults | None = None,
    ) -> None:
        from .world import build_world

        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an integer, got {seed!r}")
        world = world if world is not None else build_world(seed)
        clock = clock if clock is not None else VirtualClock(start=world.now)
        app = SandboxApp(world, clock=clock, rate_limiter=RateLimiter(rate_limit, rate_window))
        self._transport = SandboxTransport(app=app, faults=faults)

    @classmethod
    def serving(cls, transport: SandboxTransport) -> Demo:
        """The demo behind an existing sandbox transport (which :meth:`transport` then returns).

        >>> t = SandboxTransport()
        >>> Demo.serving(t).transport() is t
        True
        """
        if not isinstance(transport, SandboxTransport):
            raise TypeError(f"transport must be a SandboxTransport, got {type(transport).__name__}")
        demo = cls.__new__(cls)
        demo._transport = transport
        return demo

    @classmethod
    def frozen(cls, seed: int = 7) -> Demo:
        """A private demo for reproducible runs: its own clock, frozen at the world's "now",
        and no rate limit. The same calls give the same numbers on every run (reports and
        :func:`~ayr_analysis.sandbox.demo_store` use one).

        >>> demo = Demo.frozen()
        >>> demo.clock.now() == demo.world.now, demo.rate_limit == UNLIMITED
        (True, True)
        """
        return cls(seed, rate_limit=UNLIMITED, rate_window=1.0)

    @classmethod
    def default(cls) -> Demo:
        """The process-wide demo that clients use when no API key is set: seed 7, a clock
        frozen at the world's "now", 300 requests per :data:`DEMO_RATE_WINDOW` s per profile.

        >>> Demo.default() is Demo.default()
        True
        """
        global _DEFAULT
        with _DEFAULT_LOCK:
            if _DEFAULT is None:
                _DEFAULT = cls()
            return _DEFAULT

    # ------------------------------------------------------------------ what it holds
    @property
    def world(self) -> World:
        """The simulated world (profiles, posts, campaigns)."""
        return self._transport.app.world

    @property
    def clock(self) -> VirtualClock:
        """The virtual clock the world runs on: what "now" is for the server and for tracking."""
        return self._transport.app.clock

    @property
    def rate_limit(self) -> int:
        """Requests per :attr:`rate_window` per profile the server allows."""
        return self._transport.app.rate_limiter.max_requests

    @property
    def rate_window(self) -> float:
        """The server's rate window in real seconds."""
        limiter = self._transport.app.rate_limiter
        return limiter.window_s / limiter.time_scale

    def transport(self) -> SandboxTransport:
        """The in-process httpx transport to this server. One object serves both
        :class:`httpx.Client` and :class:`httpx.AsyncClient`; every call returns the same one, so
        all clients of a demo share its world, clock and rate-limit counts.

        >>> import httpx
        >>> from ayr_analysis.sandbox import DEMO_API_KEY
        >>> with httpx.Client(transport=Demo().transport(), base_url="http://demo/api") as c:
        ...     c.get("/history", headers={"Authorization": f"Bearer {DEMO_API_KEY}"}).status_code
        200
        """
        return self._transport

    def __repr__(self) -> str:
        return (
            f"Demo(seed={self.world.seed}, now={self.clock.now().isoformat()}, "
            f"speed={self.clock.speed}, rate_limit={self.rate_limit}, "
            f"rate_window={self.rate_window:g})"
        )


_DEFAULT: Demo | None = None
_DEFAULT_LOCK = threading.Lock()
