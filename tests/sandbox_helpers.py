"""Shared helpers of the sandbox tests (not a test module)."""

from __future__ import annotations

from datetime import datetime

import httpx

from ayr_analysis.sandbox import DEMO_API_KEY, DEMO_X_API_KEY, DEMO_X_API_SECRET, Faults
from ayr_analysis.sandbox.clock import VirtualClock
from ayr_analysis.sandbox.transport import SandboxTransport
from ayr_analysis.sandbox.world import build_world

X_HEADERS = {"X-Twitter-OAuth1-Api-Key": DEMO_X_API_KEY,
             "X-Twitter-OAuth1-Api-Secret": DEMO_X_API_SECRET}  # fmt: skip


class CountingFaults(Faults):
    """No faults; counts the requests that reach the sandbox (``seen``)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.seen = 0

    def decide(self):
        self.seen += 1
        return super().decide()


class FakeMonotonic:
    """A hand-driven monotonic clock for the rate-limit window."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def make_client(
    *, now: datetime | None = None, x_keys: bool = True, profile: int = 0, **transport_kw
) -> tuple[httpx.Client, SandboxTransport]:
    world = build_world(7)
    clock = transport_kw.pop("clock", None) or VirtualClock(start=now or world.now)
    transport_kw.setdefault("rate_limit", 100_000)
    transport_kw.setdefault("rate_time", FakeMonotonic())
    transport = SandboxTransport(world, clock=clock, **transport_kw)
    headers = {"Authorization": f"Bearer {DEMO_API_KEY}"}
    if x_keys:
        headers |= X_HEADERS
    if profile:
        headers["Profile-Key"] = world.profiles[profile].profile_key
    client = httpx.Client(transport=transport, base_url="http://sandbox.invalid/api",
                          headers=headers)  # fmt: skip
    return client, transport


def headers_for(profile: int, x_keys: bool = True) -> dict[str, str]:
    world = build_world(7)
    h = {
        "Authorization": f"Bearer {DEMO_API_KEY}",
        "Profile-Key": world.profiles[profile].profile_key,
    }
    if x_keys:
        h |= X_HEADERS
    return h


def find_post(pred, *, profile: int | None = 0):
    """The first Ayrshare post of the demo world (oldest first) matching ``pred``."""
    for post in build_world(7).ayrshare_posts():
        if (profile is None or post.profile == profile) and pred(post):
            return post
    raise LookupError("no such post in the demo world")


def get_path(obj, path: str):
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj
