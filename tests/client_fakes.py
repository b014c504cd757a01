"""Test helpers for the client layer: a fake clock, a recording mock transport, a client factory."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from ayr_analysis.client import AsyncAyrshareClient, AyrshareClient
from ayr_analysis.config import Settings

KEY = "sk-test-SECRET-a1b2c3d4e5"
PROFILE = "pk-test-SECRET-profile-77"
X_KEY = "xk-test-SECRET-x-key"
X_SECRET = "xs-test-SECRET-x-secret"
SECRETS = (KEY, PROFILE, X_KEY, X_SECRET)
EXAMPLES = Path(__file__).parent / "data" / "ayrshare"


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


class FakeClock:
    """Seconds that only move when someone sleeps."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.t += seconds


class Recorder:
    """A MockTransport handler: answers with ``respond(request, n)`` and records each request
    with the fake time it arrived at."""

    def __init__(self, clock: FakeClock, respond: Callable[[httpx.Request, int], httpx.Response]):
        self.clock = clock
        self.respond = respond
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.times.append(self.clock())
        return self.respond(request, len(self.requests))

    @property
    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]


def ok(body: Any = None, status: int = 200, headers: dict[str, str] | None = None):
    body = {"status": "success"} if body is None else body
    return httpx.Response(status, json=body, headers=headers)


def make_client(
    respond: Callable[[httpx.Request, int], httpx.Response],
    clock: FakeClock | None = None,
    *,
    cls: type = AyrshareClient,
    **settings: Any,
) -> tuple[Any, Recorder, FakeClock]:
    clock = clock or FakeClock()
    extra = {k: settings.pop(k) for k in ("max_retry_time",) if k in settings}
    settings.setdefault("api_key", KEY)
    recorder = Recorder(clock, respond)
    client = cls(
        settings=Settings(**settings),
        transport=httpx.MockTransport(recorder),
        clock=clock,
        sleep=clock.sleep,
        **extra,
    )
    return client, recorder, clock


__all__ = [
    "KEY",
    "PROFILE",
    "SECRETS",
    "X_KEY",
    "X_SECRET",
    "AsyncAyrshareClient",
    "AyrshareClient",
    "FakeClock",
    "Recorder",
    "example",
    "make_client",
    "ok",
]
