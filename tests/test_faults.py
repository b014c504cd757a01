"""Fault suite: a 500-post bulk fetch through the sandbox with injected 5xx answers, timeouts,
malformed and truncated bodies. Every post ends fetched or listed with its reason, no request goes
beyond the rate limit and our pacing causes no 429.

Two runs: in process on virtual time (the real limit of 300 requests per 5 minutes, an event loop
whose clock jumps to the next timer, so it runs in about a second), and over real HTTP with a
compressed window (300 per 2 s) and real timeouts.
"""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import re
import time
from collections import Counter

import httpx
import pytest

from ayr_analysis.client import AsyncAyrshareClient, BulkResult
from ayr_analysis.errors import AyrshareError
from ayr_analysis.normalize import normalize
from ayr_analysis.sandbox import (
    DEMO_API_KEY,
    DEMO_X_API_KEY,
    DEMO_X_API_SECRET,
    Faults,
    SandboxTransport,
    build_world,
    serve_in_thread,
)
from ayr_analysis.sandbox.world import World

N_IDS = 500
MAX_RETRIES = 4
FAULTS = {
    "error_rate": 0.10,  # 500/502/503/504
    "timeout_rate": 0.10,
    "malformed_rate": 0.05,  # an HTML page in place of JSON
    "truncated_rate": 0.05,  # JSON cut in half
}


# ------------------------------------------------------------------------------- helpers
class _VirtualSelector:
    """Wraps the loop's selector: when nothing is ready, time jumps to the next timer."""

    def __init__(self, inner, loop: VirtualTimeLoop) -> None:
        self._inner = inner
        self._loop = loop

    def select(self, timeout=None):
        events = self._inner.select(0)
        if events or timeout is None:
            return events or self._inner.select(timeout)
        if timeout > 0:
            self._loop.virtual_now += timeout
        return events

    def __getattr__(self, name):
        return getattr(self._inner, name)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop on virtual time: ``asyncio.sleep`` returns at once and moves ``time()``."""

    def __init__(self) -> None:
        super().__init__()
        self.virtual_now = 0.0
        self._selector = _VirtualSelector(self._selector, self)

    def time(self) -> float:
        return self.virtual_now


def big_world() -> World:
    """The demo worlds of seeds 7 and 8 merged into one primary profile (750 Ayrshare posts), so
    one profile (one rate-limit bucket) holds more than 500 posts."""
    a, b = build_world(7), build_world(8)
    posts = [dataclasses.replace(p, profile=0) for p in (*a.posts, *b.posts)]
    return World(a.seed, a.now, a.start, a.profiles, posts, a.campaigns, a.expected_ranking)


def pick_ids(world: World) -> tuple[list[str], set[str], set[str]]:
    """500 ids: published posts, the scheduled (not yet published) ones and unknown ids."""
    posts = world.ayrshare_posts()
    scheduled = [p.id for p in posts if p.publish_at > world.now]
    unknown = [f"no-such-post-{i:02d}" for i in range(8)]
    published = [p.id for p in posts if p.publish_at <= world.now]
    ids = published[: N_IDS - len(scheduled) - len(unknown)] + scheduled + unknown
    assert len(ids) == len(set(ids)) == N_IDS
    return ids, set(scheduled), set(unknown)


def max_in_window(times: list[float], window: float) -> int:
    """The largest number of requests in any half-open interval of ``window`` seconds."""
    times = sorted(times)
    return max(bisect.bisect_left(times, t + window) - i for i, t in enumerate(times))


def check_accounted(result: BulkResult, ids, scheduled, unknown) -> dict[str, int]:
    """Every post is fetched or failed with a reason; returns failure counts per kind."""
    fetched = [r.request_id for r in result.responses]
    failed = [f.post_id for f in result.failures]
    assert len(fetched) + len(failed) == N_IDS
    assert set(fetched) | set(failed) == set(ids) and not set(fetched) & set(failed)
    kinds: Counter[str] = Counter()
    for f in result.failures:
        err = f.error
        assert isinstance(err, AyrshareError) and err.message, f
        if f.post_id in unknown:
            assert err.http_status == 404, repr(err)
            kinds["unknown id"] += 1
        elif f.post_id in scheduled:
            assert err.http_status == 400, repr(err)
            kinds["not published"] += 1
        else:
            # a real post fails only when every attempt met a transient fault
            assert err.retryable and err.attempts == MAX_RETRIES + 1, repr(err)
            kinds["gave up after retries"] += 1
    assert kinds["unknown id"] == len(unknown)
    assert kinds["not published"] == len(scheduled)
    # and the errors frame lists each failure with its reason
    errors = normalize(result).errors.filter(errors_platform_is_null())
    assert sorted(errors["post_id"].to_list()) == sorted(failed)
    assert errors["message"].null_count() == 0
    return dict(kinds)


def errors_platform_is_null():
    import polars as pl

    return pl.col("platform").is_null()


# ------------------------------------------------------------------------------- in process
class CountingTransport(SandboxTransport):
    """The sandbox transport, recording (arrival time, status or "timeout") of every request."""

    def __init__(self, *args, now, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.now = now
        self.log: list[tuple[float, int | str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        at = self.now()
        try:
            response = await super().handle_async_request(request)
        except httpx.TimeoutException:
            self.log.append((at, "timeout"))
            raise
        kind = response.status_code
        if kind == 200 and not response.content.rstrip().endswith(b"}"):
            kind = "broken 200"
        self.log.append((at, kind))
        return response


def test_500_posts_with_faults_in_process_on_virtual_time():
    world = big_world()
    ids, scheduled, unknown = pick_ids(world)
    loop = VirtualTimeLoop()
    transport = CountingTransport(
        world,
        faults=Faults(latency_s=0.05, seed=11, **FAULTS),
        rate_limit=300,
        rate_window=300.0,
        rate_time=loop.time,
        now=loop.time,
    )

    async def run() -> BulkResult:
        async with AsyncAyrshareClient(
            DEMO_API_KEY,
            x_api_key=DEMO_X_API_KEY,
            x_api_secret=DEMO_X_API_SECRET,
            transport=transport,
            clock=loop.time,
            rate_limit=300,
            rate_window=300.0,
            max_retries=MAX_RETRIES,
        ) as client:
            return await client.fetch_many(ids, concurrency=8, progress=False)

    started = time.perf_counter()
    try:
        result = loop.run_until_complete(run())
    finally:
        loop.close()
    wall = time.perf_counter() - started

    kinds = check_accounted(result, ids, scheduled, unknown)
    statuses = Counter(kind for _, kind in transport.log)
    sent = len(transport.log)
    # faults really happened, and were retried
    assert statuses["timeout"] > 20 and statuses["broken 200"] > 20
    assert sum(n for s, n in statuses.items() if isinstance(s, int) and s >= 500) > 20
    assert sent > N_IDS + 60
    # no 429 at all, never more than 300 requests in any 300 s, and pacing did wait
    assert statuses[429] == 0
    assert max_in_window([t for t, _ in transport.log], 300.0) <= 300
    assert loop.virtual_now > 300.0
    # almost every real post came through despite about 30 % of requests failing
    assert kinds.get("gave up after retries", 0) <= 5
    assert len(result.responses) >= N_IDS - len(scheduled) - len(unknown) - 5
    summary = result.summary()
    assert summary.startswith(f"fetched {len(result.responses)} of 500 posts; ")
    # (an unknown id whose 404 body was damaged is an InvalidResponseError 404: also listed)
    assert re.search(r"\d NotFoundError 404 code 186 \(Post ID not found\.\)", summary)
    assert re.search(r"\d BadRequestError 400 code 189 \(Post not published yet", summary)
    if kinds.get("gave up after retries"):
        assert re.search(r"\d \w+Error( \d{3})? after 5 attempts \(", summary)
    print(
        f"\nin process: {N_IDS} posts, {sent} requests ({sent - N_IDS} retries), "
        f"statuses {dict(statuses)}, {kinds}, virtual {loop.virtual_now:.0f} s, "
        f"wall {wall:.2f} s\n  {summary}"
    )


# ------------------------------------------------------------------------------- over HTTP
class CountingHttp(httpx.AsyncBaseTransport):
    """A real HTTP transport, recording (monotonic time, status or "timeout") of each request."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport(retries=0)
        self.log: list[tuple[float, int | str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        at = time.monotonic()
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TimeoutException:
            self.log.append((at, "timeout"))
            raise
        self.log.append((at, response.status_code))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.slow
def test_500_posts_with_faults_over_http_with_a_compressed_window(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    world = big_world()
    ids, scheduled, unknown = pick_ids(world)
    faults = Faults(latency_s=0.002, timeout_s=0.6, seed=5, **FAULTS)
    transport = CountingHttp()

    async def quick_sleep(seconds: float) -> None:
        # backoffs at a tenth of their length; the limiter re-checks the real clock after each
        await asyncio.sleep(seconds / 10)

    async def run(base_url: str) -> BulkResult:
        async with AsyncAyrshareClient(
            DEMO_API_KEY,
            base_url=base_url,
            x_api_key=DEMO_X_API_KEY,
            x_api_secret=DEMO_X_API_SECRET,
            transport=transport,
            rate_limit=300,
            rate_window=2.0,
            timeout=0.25,
            # the whole answer's deadline (4 timeouts by default) well above a read's timeout:
            # a machine busy with other tests must not turn a slow answer into a final error
            deadline=10.0,
            max_retries=MAX_RETRIES,
            sleep=quick_sleep,
        ) as client:
            return await client.fetch_many(ids, concurrency=16, progress=False)

    started = time.perf_counter()
    with serve_in_thread(world=world, faults=faults, rate_limit=300, rate_window=2.0) as srv:
        result = asyncio.run(run(srv.base_url))
    wall = time.perf_counter() - started

    kinds = check_accounted(result, ids, scheduled, unknown)
    statuses = Counter(kind for _, kind in transport.log)
    sent = len(transport.log)
    assert statuses["timeout"] > 20 and sent > N_IDS + 60
    assert statuses[429] == 0
    assert max_in_window([t for t, _ in transport.log], 2.0) <= 300
    assert kinds.get("gave up after retries", 0) <= 5
    print(
        f"\nover HTTP: {N_IDS} posts, {sent} requests ({sent - N_IDS} retries), "
        f"statuses {dict(statuses)}, {kinds}, wall {wall:.2f} s\n  {result.summary()}"
    )
