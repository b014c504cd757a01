"""Client-side pacing: never more than the limit in any window, in step with the server."""

import asyncio
import json

import httpx
import pytest
from client_fakes import (
    KEY,
    PROFILE,
    AsyncAyrshareClient,
    AyrshareClient,
    FakeClock,
    make_client,
    ok,
)

from ayr_analysis.config import Settings
from ayr_analysis.ratelimit import RateLimiter, RateLimitInfo, shared_limiter


def max_in_any_window(times, window):
    """The largest number of requests whose times fall within one window of length ``window``."""
    times = sorted(times)
    best = 0
    start = 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def echo(request, n):
    return ok({"status": "success", "id": json.loads(request.content)["id"]})


def test_helper_counts_windows_correctly():
    assert max_in_any_window([0, 1, 2, 300, 301], 300) == 3
    assert max_in_any_window([0, 299.9], 300) == 2
    assert max_in_any_window([0, 300], 300) == 1


def test_700_sequential_requests_never_exceed_300_per_5_minutes():
    client, rec, clock = make_client(echo)
    start = clock()
    for i in range(700):
        client.analytics_post(f"p{i}")
    assert len(rec.times) == 700
    assert max_in_any_window(rec.times, 300.0) == 300
    # paced, not stalled: 700 requests need two roll-overs and not much more
    assert 600 <= clock() - start <= 610
    assert rec.times[299] == start and rec.times[300] >= start + 300


def test_700_queued_requests_in_a_bulk_fetch_never_exceed_300_per_5_minutes():
    clock = FakeClock()
    times = []

    def handler(request):
        times.append(clock())
        return echo(request, 0)

    async def main():
        async with AsyncAyrshareClient(
            settings=Settings(api_key=KEY, profile_key=PROFILE),
            transport=httpx.MockTransport(handler),
            clock=clock,
            sleep=clock.sleep,
        ) as client:
            return await client.fetch_many(
                [f"p{i}" for i in range(700)], concurrency=8, progress=False
            )

    result = asyncio.run(main())
    assert result.ok and len(result.responses) == 700
    assert [r["id"] for r in result.responses] == [f"p{i}" for i in range(700)]
    assert max_in_any_window(times, 300.0) == 300
    assert max(times) - min(times) <= 610


def test_configurable_limit_and_window():
    client, rec, clock = make_client(echo, rate_limit=10, rate_window=60)
    for i in range(25):
        client.analytics_post(f"p{i}")
    assert max_in_any_window(rec.times, 60.0) == 10
    assert 120 <= rec.times[-1] - rec.times[0] <= 125


def test_server_count_higher_than_ours_is_believed():
    # someone else used 9 of the 10 requests of this window
    headers = {"x-ratelimit-max": "10", "x-ratelimit-count": "10"}
    client, rec, clock = make_client(
        lambda r, n: ok(headers=headers if n == 1 else {}), rate_limit=10, rate_window=60
    )
    client.analytics_post("p1")
    client.analytics_post("p2")
    assert rec.times[1] - rec.times[0] >= 60.0


def test_server_max_lower_than_ours_lowers_the_limit():
    client, rec, _ = make_client(
        lambda r, n: ok(headers={"x-ratelimit-max": "3", "x-ratelimit-count": str(n)}),
        rate_limit=300,
        rate_window=60,
    )
    for i in range(7):
        client.analytics_post(f"p{i}")
    assert client.rate_limiter.limit == 3
    assert max_in_any_window(rec.times, 60.0) == 3


def test_legacy_remaining_and_reset_headers():
    # 0 remaining, the window resets in 20 s (milliseconds in the header)
    headers = {"x-ratelimit-limit": "5", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "20000"}
    client, rec, _ = make_client(
        lambda r, n: ok(headers=headers if n == 1 else {}), rate_limit=5, rate_window=300
    )
    client.analytics_post("p1")
    client.analytics_post("p2")
    waited = rec.times[1] - rec.times[0]
    assert 20.0 <= waited <= 22.0  # the reset time, not the whole 300 s window


def test_rate_limit_info_from_headers():
    info = RateLimitInfo.from_headers({"X-RateLimit-Max": "300", "X-RateLimit-Count": "42"})
    assert info == RateLimitInfo(limit=300, count=42, remaining=258, reset_after=None)
    legacy = RateLimitInfo.from_headers(
        {"x-ratelimit-remaining": "10", "x-ratelimit-reset": "1767225660000"},
        wall_time=1767225600.0,
    )
    assert legacy.remaining == 10 and legacy.reset_after == 60.0  # epoch milliseconds
    assert RateLimitInfo.from_headers({"content-type": "application/json"}) is None
    assert RateLimitInfo.from_headers({"x-ratelimit-count": "many"}) is None


def test_lower_server_count_drops_only_our_guesses():
    t = [0.0]
    limiter = RateLimiter(limit=10, window=60.0, clock=lambda: t[0], margin=0.0)
    limiter.acquire(lambda s: None)
    limiter.observe(RateLimitInfo(limit=10, count=8))
    assert limiter.in_window() == 8
    limiter.acquire(lambda s: None)
    limiter.observe(RateLimitInfo(limit=10, count=3))
    assert limiter.in_window() == 3
    limiter.observe(RateLimitInfo(limit=10, count=0))
    assert limiter.in_window() == 2  # our own two requests stay


def test_clients_of_one_profile_share_one_limiter():
    clock = FakeClock()
    a, rec_a, _ = make_client(echo, clock, profile_key=PROFILE, rate_limit=5, rate_window=60)
    b, rec_b, _ = make_client(echo, clock, profile_key=PROFILE, rate_limit=5, rate_window=60)
    other, rec_o, _ = make_client(echo, clock, profile_key="pk-other", rate_limit=5, rate_window=60)
    assert a.rate_limiter is b.rate_limiter
    assert other.rate_limiter is not a.rate_limiter
    for i in range(3):
        a.analytics_post(f"a{i}")
        b.analytics_post(f"b{i}")
    assert max_in_any_window(rec_a.times + rec_b.times, 60.0) == 5
    start = clock()
    other.analytics_post("o1")
    assert rec_o.times == [start]  # another profile has its own quota


def test_shared_limiter_is_kept_apart_by_settings():
    a = shared_limiter(("u", "p"), limit=5, window=60.0)
    assert shared_limiter(("u", "p"), limit=5, window=60.0) is a
    assert shared_limiter(("u", "p"), limit=6, window=60.0) is not a


def test_async_waiters_are_served_in_order():
    clock = FakeClock(0.0)
    limiter = RateLimiter(limit=2, window=10.0, clock=clock, margin=0.0)
    order = []

    async def worker(name):
        await limiter.acquire_async(clock.sleep)
        order.append((name, clock()))

    async def main():
        await asyncio.gather(*(worker(i) for i in range(6)))

    asyncio.run(main())
    assert [name for name, _ in order] == list(range(6))
    assert [t for _, t in order] == [0.0, 0.0, 10.0, 10.0, 20.0, 20.0]


def test_limiter_rejects_bad_settings():
    with pytest.raises(ValueError):
        RateLimiter(limit=0)
    with pytest.raises(ValueError):
        RateLimiter(window=0)


def test_sync_client_blocks_on_a_blocked_limiter():
    client, rec, clock = make_client(echo)
    client.rate_limiter.block_for(42.0)
    start = clock()
    client.analytics_post("p1")
    assert rec.times == [start + 42.0]
    assert isinstance(client, AyrshareClient)


def test_default_margin_is_proportional_to_the_window():
    assert RateLimiter(300, 300.0).margin == 1.0  # Ayrshare's 5 minutes: 1 s, as before
    assert RateLimiter(300, 10.0).margin == pytest.approx(0.2)
    assert RateLimiter(300, 5.0).margin == pytest.approx(0.1)
    assert RateLimiter(300, 5.0, margin=0.0).margin == 0.0
    with pytest.raises(ValueError, match="margin"):
        RateLimiter(300, 5.0, margin=-1.0)


def fixed_window_counts(arrivals, window):
    """What a server with a fixed window opened by the first request counts, window by window."""
    counts, start = [], None
    for t in sorted(arrivals):
        if start is None or t - start >= window:
            start = t
            counts.append(0)
        counts[-1] += 1
    return counts


def test_a_slow_first_request_does_not_overrun_the_servers_fixed_window():
    # the first request takes 0.9 s to reach the server (far more than the 0.1 s margin of a
    # 5 s window); the server's window opens when it arrives, so pacing from the time the
    # request was sent would put a 4th request in that window
    clock = FakeClock()
    arrivals = []

    def handler(request):
        if not arrivals:
            clock.t += 0.9
        arrivals.append(clock.t)
        return httpx.Response(200, json={"status": "success"})

    client = AyrshareClient(
        settings=Settings(api_key=KEY, rate_limit=3, rate_window=5.0),
        transport=httpx.MockTransport(handler),
        clock=clock,
        sleep=clock.sleep,
    )
    for i in range(9):
        client.analytics_post(f"p{i}")
    assert fixed_window_counts(arrivals, 5.0) == [3, 3, 3]
    # and no slower than needed: three windows and a little
    assert arrivals[-1] - arrivals[0] < 2 * 5.0 + 1.0


def test_complete_keeps_a_request_in_the_window_after_its_answer():
    t = [0.0]
    limiter = RateLimiter(limit=2, window=10.0, clock=lambda: t[0], margin=0.5)
    _, first = limiter.acquire_slot(lambda s: None)
    _, second = limiter.acquire_slot(lambda s: None)
    t[0] = 3.0
    limiter.complete(first)  # answered at 3 s: counts until 13 s
    limiter.complete(123.0)  # an unknown slot changes nothing
    t[0] = 10.6
    assert limiter.in_window() == 1  # the second (sent at 0, no answer reported) left at 10.5
    t[0] = 13.0
    assert limiter.in_window() == 0
