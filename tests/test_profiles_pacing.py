"""One process, many profiles: each profile is paced to its own quota, and a profile that is
slow (slow answers, or waiting for its rate-limit window) never holds up another."""

from __future__ import annotations

import asyncio
import time

import httpx

from ayr_analysis.client import AsyncAyrshareClient

#: how long the slow profile's answers take (the fast profile must finish well before)
SLOW_S = 10.0
BODY = b'{"status": "success", "id": "p", "tiktok": {"analytics": {"likes": 1}}}'


def _transport(slow_s: float, seen: list[str]) -> httpx.MockTransport:
    async def handler(request: httpx.Request) -> httpx.Response:
        key = request.headers.get("profile-key", "")
        seen.append(key)
        await asyncio.sleep(slow_s if key == "slow-profile" else 0.0)
        return httpx.Response(200, content=BODY, headers={"content-type": "application/json"})

    return httpx.MockTransport(handler)


def _client(key: str, transport: httpx.MockTransport, limit: int) -> AsyncAyrshareClient:
    return AsyncAyrshareClient(
        "test-key", profile_key=key, transport=transport, rate_limit=limit, rate_window=30.0,
        base_url="https://profiles.invalid/api",
    )  # fmt: skip


def test_a_slow_or_exhausted_profile_holds_up_no_other():
    seen: list[str] = []

    async def main() -> tuple[float, int, bool, int]:
        transport = _transport(SLOW_S, seen)
        slow = _client("slow-profile", transport, limit=5)  # 5 per 30 s: the 6th waits
        fast = _client("fast-profile", transport, limit=300)
        try:
            # the slow profile: answers take 10 s, and its quota is spent after 5 requests
            stuck = asyncio.create_task(
                slow.fetch_many([f"s{i}" for i in range(8)], concurrency=8, progress=False)
            )
            await asyncio.sleep(0.1)
            t0 = time.monotonic()
            result = await fast.fetch_many(
                [f"f{i}" for i in range(60)], concurrency=8, progress=False
            )
            elapsed = time.monotonic() - t0
            still_waiting = not stuck.done()
            stuck.cancel()
            return elapsed, len(result.responses), still_waiting, len(result.failures)
        finally:
            await slow.close()
            await fast.close()

    elapsed, answered, still_waiting, failed = asyncio.run(main())
    assert (answered, failed) == (60, 0)
    assert still_waiting  # the slow profile is still in its answers / waiting for its window
    # not held up by the 10 s answers nor the 30 s window (60 answers take a fraction of a
    # second alone; the slack is for a machine busy with other tests)
    assert elapsed < SLOW_S / 2, elapsed
    assert seen.count("slow-profile") == 5  # its own limit, and only its own, held it back
    assert seen.count("fast-profile") == 60
