"""In-process way into the sandbox: an httpx transport (sync and async).

>>> import httpx
>>> from ayr_analysis.sandbox import DEMO_API_KEY
>>> with httpx.Client(transport=SandboxTransport(), base_url="http://sandbox.invalid/api") as c:
...     r = c.get("/history", params={"limit": 1},
...               headers={"Authorization": f"Bearer {DEMO_API_KEY}"})
>>> r.status_code, len(r.json()["history"])
(200, 1)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from .app import ApiAnswer, ApiRequest, RateLimiter, SandboxApp
from .clock import VirtualClock
from .faults import Faults, Quirks, malformed_body, server_error_body, truncated_body
from .world import World


class SandboxTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Serve httpx requests from the simulated API, in process.

    Routes on the URL path after ``/api`` (the host is ignored). ``faults`` injects latency,
    5xx answers, timeouts (``httpx.ReadTimeout``), malformed and truncated bodies; ``quirks``
    switches on the live API's awkward answers (:class:`~.faults.Quirks`). ``sleep``
    (default :func:`time.sleep`) is used for injected latency in the sync path; the async path
    uses :func:`asyncio.sleep` unless ``sleep`` is given.
    """

    def __init__(
        self,
        world: World | None = None,
        *,
        clock: VirtualClock | None = None,
        faults: Faults | None = None,
        api_keys: Iterable[str] | None = None,
        rate_limit: int = 300,
        rate_window: float = 300.0,
        rate_time: Callable[[], float] | None = None,
        rate_time_scale: float = 1.0,
        sleep: Callable[[float], Any] | None = None,
        app: SandboxApp | None = None,
        quirks: Quirks | None = None,
    ) -> None:
        if app is None:
            limiter = RateLimiter(
                rate_limit,
                rate_window,
                time_fn=rate_time or time.monotonic,
                time_scale=rate_time_scale,
            )
            app = SandboxApp(
                world, clock=clock, api_keys=api_keys, rate_limiter=limiter, quirks=quirks
            )
        elif quirks is not None:
            app.quirks = quirks
        self.app = app
        self.faults = faults or Faults()
        self._sleep = sleep

    @property
    def world(self) -> World:
        return self.app.world

    @property
    def clock(self) -> VirtualClock:
        return self.app.clock

    def _request(self, request: httpx.Request, body: bytes) -> ApiRequest:
        return ApiRequest.build(
            request.method,
            request.url.path,
            request.url.query.decode("ascii", "replace"),
            request.headers.multi_items(),
            body,
        )

    def _respond(self, request: httpx.Request, body: bytes) -> tuple[float, httpx.Response]:
        decision = self.faults.decide()
        if decision.kind == "timeout":
            raise httpx.ReadTimeout("sandbox: injected read timeout", request=request)
        if decision.kind == "error":
            headers = {"content-type": "application/json; charset=utf-8"}
            resp = httpx.Response(decision.status, headers=headers,
                                  content=server_error_body(decision.status), request=request)  # fmt: skip
            return decision.latency_s, resp
        answer: ApiAnswer = self.app.handle(self._request(request, body))
        content = answer.body
        if decision.kind == "malformed":
            content = malformed_body()
        elif decision.kind == "truncated":
            content = truncated_body(content)
        resp = httpx.Response(answer.status, headers=answer.headers, content=content,
                              request=request)  # fmt: skip
        return decision.latency_s, resp

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        latency, resp = self._respond(request, body)
        if latency:
            (self._sleep or time.sleep)(latency)
        return resp

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        latency, resp = self._respond(request, body)
        if latency:
            if self._sleep is not None:
                result = self._sleep(latency)
                if asyncio.iscoroutine(result):
                    await result
            else:
                await asyncio.sleep(latency)
        return resp

    def close(self) -> None:  # both base classes define close / aclose
        pass

    async def aclose(self) -> None:
        pass


#: The demo sandbox's rate window in seconds: the real limit (300 requests per profile) over a
#: compressed window, so that demos and reports run in seconds. Clients in demo mode pace to it.
DEMO_RATE_WINDOW = 10.0


def default_transport() -> SandboxTransport:
    """The transport of the process-wide shared demo (:meth:`Demo.default
    <ayr_analysis.sandbox.Demo.default>`: seed 7, frozen clock at the world's now).

    Its rate limit is 300 requests per :data:`DEMO_RATE_WINDOW` seconds per profile.

    >>> default_transport() is default_transport()
    True
    """
    from .demo import Demo

    return Demo.default().transport()
