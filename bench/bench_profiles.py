"""Benchmark: one process, many profiles, each paced to its own quota (requests/s, CPU/request).

    .venv/bin/python bench/bench_profiles.py [--quick | --smoke] [--profiles 1 10 50 100]
        [--window S] [--latency S]

Each profile has its own :class:`~ayr_analysis.client.AsyncAyrshareClient` (its Profile-Key, its
own rate limiter: 300 requests per window) and asks for a batch of posts with ``fetch_many``;
all profiles run at once in one event loop of one process. The server is an in-process
transport that answers every request after ``--latency`` seconds (default 50 ms) with a real
sandbox answer (an ``/analytics/post`` answer of the demo world) and counts what each
Profile-Key sent. Ayrshare's window is 5 minutes; here it is compressed to ``--window`` seconds
(default 3 s), so a profile's ceiling is 300 / window requests per second and a batch of
3 x 300 requests takes 2 windows at the ceiling (plus the time to send the last window's 300, 32
at a time).

For 1, 10, 50 and 100 profiles it prints the requests per second reached (all profiles
together), their share of the profiles' ceilings, and the CPU time of the process per request
(the client alone, then with ``normalize`` of each answer: what a tracker spends). The baseline
is the ideal time at the ceiling (2 windows per batch), in the same run. Profiles one process
serves at Ayrshare's real ceiling (1 request per second each) = the requests per second it
reaches when CPU-bound, or better, one core divided by the CPU time per request (wall times on a
shared machine also count the time other programs hold the cores).

A last run checks that a slow profile holds up no other: one profile's answers take 40x longer,
and the other profiles' batches must finish as fast as when all are fast.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

QUOTA = 300
CONCURRENCY = 32  # requests in flight per profile (fetch_many's concurrency)


def _answer() -> bytes:
    """A real sandbox answer: the demo world's first post with several networks."""
    from ayr_analysis.client import AyrshareClient
    from ayr_analysis.sandbox import Demo

    demo = Demo.frozen()
    world = demo.world
    post = next(
        p for p in world.ayrshare_posts() if len(p.networks) >= 3 and p.publish_at < world.now
    )
    key = world.profiles[post.profile].profile_key
    with AyrshareClient(demo=demo, profile_key=key) as client:
        return json.dumps(dict(client.analytics_post(post.id)), default=str).encode()


def _transport(body: bytes, latency: float, slow: dict[str, float], counts: Counter):
    import httpx

    async def handler(request: httpx.Request) -> httpx.Response:
        key = request.headers.get("profile-key", "")
        counts[key] += 1
        await asyncio.sleep(slow.get(key, latency))
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    return httpx.MockTransport(handler)


async def _run(
    n: int, per_profile: int, window: float, latency: float, body: bytes, slow: dict[str, float]
) -> dict:
    from ayr_analysis.client import AsyncAyrshareClient

    counts: Counter = Counter()
    transport = _transport(body, latency, slow, counts)
    clients = [
        AsyncAyrshareClient(
            "bench-key", profile_key=f"profile-{i:03d}", transport=transport,
            rate_limit=QUOTA, rate_window=window, base_url="https://bench.invalid/api",
        )
        for i in range(n)
    ]  # fmt: skip
    finished: dict[int, float] = {}
    t0 = time.perf_counter()
    cpu0 = time.process_time()

    async def one(i: int) -> object:
        ids = [f"post-{i}-{k}" for k in range(per_profile)]
        result = await clients[i].fetch_many(ids, concurrency=CONCURRENCY, progress=False)
        finished[i] = time.perf_counter() - t0
        return result

    results = await asyncio.gather(*(one(i) for i in range(n)))
    wall = time.perf_counter() - t0
    cpu_client = time.process_time() - cpu0
    for c in clients:
        await c.close()
    failures = sum(len(r.failures) for r in results)  # type: ignore[attr-defined]
    from ayr_analysis.normalize import normalize

    cpu1 = time.process_time()
    for r in results:
        normalize(r)
    cpu_norm = time.process_time() - cpu1
    requests = sum(counts.values())
    return {
        "wall": wall,
        "requests": requests,
        "failures": failures,
        "cpu_client": cpu_client,
        "cpu_norm": cpu_norm,
        "finished": finished,
    }


def main(argv: list[str] | None = None) -> int:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--profiles", type=int, nargs="+", help="profile counts (full: 1 10 50 100)")
    p.add_argument("--window", type=float, default=3.0, help="the compressed 5-minute window, s")
    p.add_argument("--latency", type=float, default=0.05, help="the server's answer time, s")
    args = p.parse_args(argv)
    mode = _common.mode_of(args)
    sizes = args.profiles or ([1, 3] if args.smoke else [1, 10, 50] if args.quick else
                              [1, 10, 50, 100])  # fmt: skip
    windows_per_batch = 1 if args.smoke else 2
    per_profile = QUOTA * (windows_per_batch + 1)
    # at the ceiling: a window's requests go at once (32 at a time, each answered after the
    # latency), the next window's when the first ones leave the sliding window
    ideal = windows_per_batch * args.window + QUOTA / CONCURRENCY * args.latency
    _common.header("profiles: one process, many profiles", mode, "httpx", "polars")
    print(
        f"each profile: {per_profile} requests, ceiling {QUOTA} per {args.window:g} s window "
        f"({QUOTA / args.window:.0f}/s); ideal batch time at the ceiling {ideal:.2f} s; "
        f"server latency {args.latency * 1000:.0f} ms"
    )
    _common.flush()
    body = _answer()
    rows = []
    for n in sizes:
        r = asyncio.run(_run(n, per_profile, args.window, args.latency, body, {}))
        rate = r["requests"] / r["wall"]
        rows.append(
            [n, r["requests"], r["failures"], f"{r['wall']:.1f}", f"{rate:,.0f}",
             f"{ideal / r['wall']:.0%}",
             f"{r['cpu_client'] / r['requests'] * 1000:.2f}",
             f"{(r['cpu_client'] + r['cpu_norm']) / r['requests'] * 1000:.2f}"]
        )  # fmt: skip
        _common.flush()
    print(
        _common.table(
            rows,
            [
                "profiles",
                "requests",
                "failed",
                "wall s",
                "requests/s",
                "share of ceiling",
                "CPU ms/request (client)",
                "CPU ms/request (+ normalize)",
            ],
        )  # fmt: skip
    )
    n = max(sizes[1] if len(sizes) > 1 else sizes[0], 2)  # the second size (10 in full runs)
    # all fast, then one slow, in alternating rounds (the best of each: on a shared machine
    # other programs' load comes and goes between runs)
    slowest = {"profile-000": args.latency * 40}
    fast, slow = [], []
    for _ in range(1 if args.smoke else 2):
        fast.append(asyncio.run(_run(n, per_profile, args.window, args.latency, body, {})))
        slow.append(asyncio.run(_run(n, per_profile, args.window, args.latency, body, slowest)))

    def others(runs: list[dict]) -> float:
        return min(max(t for i, t in r["finished"].items() if i != 0) for r in runs)

    print(
        f"a slow profile ({args.latency * 40 * 1000:.0f} ms per answer) among {n}: the other "
        f"{n - 1} finished in {others(slow):.1f} s (all fast: {others(fast):.1f} s; ratio "
        f"{others(slow) / others(fast):.2f}; best of {len(fast)} rounds each); the slow one in "
        f"{min(r['finished'][0] for r in slow):.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
