"""Benchmark: fetching post analytics through the HTTP sandbox, against the rate limit.

    .venv/bin/python bench/bench_fetch.py [--quick]

The sandbox serves over real HTTP on 127.0.0.1 with a fixed latency per answer and a rate limit
of 300 requests per window per profile, the window shrunk from Ayrshare's 5 minutes to a few
seconds so that a run shows several windows. Three runs, each against a fresh server:

* baseline: the official ``social-post-api`` SDK used as its README shows, one
  ``social.analyticsPost({"id": ...})`` after the other (on a subset of the posts; its rate is
  extrapolated to all of them, and labelled so);
* ours: ``AyrshareClient(...).fetch_many(ids, concurrency=...)`` on one profile;
* ours on three profiles at once (three clients, three Profile-Keys, three threads).

Requests and 429s are counted by the server. "Quota use" is the sustained rate as a fraction of
the ceiling: the window divided by the mean time between request k and request k + limit at the
server (1.0 = exactly the limit in every window; the sliding-window ceiling).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

LIMIT = 300


def bench_world(copies: int):
    """The demo world with each Ayrshare post cloned ``copies`` times under new ids."""
    from ayr_analysis.sandbox import build_world
    from ayr_analysis.sandbox.world import World

    base = build_world(7)
    posts = list(base.posts)
    for k in range(1, copies):
        posts += [dataclasses.replace(p, id=f"{p.id}c{k}") for p in base.posts if p.id is not None]
    fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(World) if f.init}
    fields.update(posts=posts, posts_by_id={}, by_social_id={})
    return World(**fields)


def visible_ids(world, profile_index: int) -> list[str]:
    return [
        p.id
        for p in world.posts
        if p.id is not None and p.profile == profile_index and p.publish_at <= world.now
    ]


def serve(latency: float, window: float, copies: int) -> None:
    """Server process: serve, print the base URL; on "stats" print the numbers as JSON."""
    import json

    from ayr_analysis.sandbox import Faults, serve_in_thread

    srv = serve_in_thread(
        world=bench_world(copies),
        faults=Faults(latency_s=latency),
        rate_limit=LIMIT,
        rate_window=window,
    )
    arrivals: dict[str, list[float]] = {}
    limiter = srv.app.rate_limiter
    original = limiter.hit
    lock = threading.Lock()

    def hit(key: str) -> tuple[bool, int]:
        result = original(key)
        with lock:
            arrivals.setdefault(key, []).append(time.monotonic())
        return result

    limiter.hit = hit  # type: ignore[method-assign]
    print(srv.base_url, flush=True)
    for line in sys.stdin:
        if line.strip() == "stats":
            with lock:
                snapshot = {k: sorted(v) for k, v in arrivals.items()}
            print(json.dumps({"stats": srv.app.stats(), "arrivals": snapshot}), flush=True)
        else:
            break
    srv.stop()


class Server:
    """A fresh HTTP sandbox in its own process (so that it does not share the client's GIL),
    recording when each request reached the rate limiter."""

    def __init__(self, latency: float, window: float, copies: int) -> None:
        import subprocess

        self.window = window
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", f"{latency}", f"{window}", f"{copies}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()
        if not self.base_url.startswith("http"):
            raise RuntimeError("the sandbox server process did not start")
        self._numbers: dict | None = None

    def numbers(self) -> dict:
        import json

        if self._numbers is None:
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write("stats\n")
            self.proc.stdin.flush()
            self._numbers = json.loads(self.proc.stdout.readline())
        return self._numbers

    def stats(self) -> dict[str, int]:
        return self.numbers()["stats"]

    def quota_use(self) -> float | None:
        """Window / mean(t[k + limit] - t[k]) over every profile; None when too few requests."""
        gaps = []
        for times in self.numbers()["arrivals"].values():
            gaps += [times[k + LIMIT] - times[k] for k in range(len(times) - LIMIT)]
        return self.window / statistics.fmean(gaps) if gaps else None

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def run_sdk(copies: int, ids: list[str], latency: float, window: float) -> dict:
    from ayrshare import SocialPost
    from ayrshare import ayrshare as sdk_module

    from ayr_analysis.sandbox import DEMO_API_KEY, DEMO_X_API_KEY, DEMO_X_API_SECRET

    server = Server(latency, window, copies)
    try:
        sdk_module.base = server.base_url + "/"
        social = SocialPost(DEMO_API_KEY)
        social.set_twitter_byo(DEMO_X_API_KEY, DEMO_X_API_SECRET)
        ok = 0
        t0 = time.perf_counter()
        for pid in ids:  # the README's way: one call after the other
            answer = social.analyticsPost({"id": pid})
            ok += answer.get("status") != "error"
        wall = time.perf_counter() - t0
        return {"posts": len(ids), "ok": ok, "wall": wall, **_server_numbers(server)}
    finally:
        server.stop()


def _client(base_url: str, window: float, profile_key: str | None = None):
    from ayr_analysis.client import AyrshareClient
    from ayr_analysis.sandbox import DEMO_API_KEY, DEMO_X_API_KEY, DEMO_X_API_SECRET

    return AyrshareClient(
        api_key=DEMO_API_KEY,
        profile_key=profile_key,
        base_url=base_url,
        rate_limit=LIMIT,
        rate_window=window,
        x_api_key=DEMO_X_API_KEY,
        x_api_secret=DEMO_X_API_SECRET,
        max_retries=4,
    )


def run_ours(
    copies: int, ids_by_profile: dict[str | None, list[str]], latency, window, concurrency
) -> dict:
    server = Server(latency, window, copies)
    results: dict[str | None, object] = {}
    try:

        def one(pkey: str | None, ids: list[str]) -> None:
            with _client(server.base_url, window, pkey) as client:
                results[pkey] = client.fetch_many(ids, concurrency=concurrency, progress=False)

        threads = [
            threading.Thread(target=one, args=(pk, ids)) for pk, ids in ids_by_profile.items()
        ]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        posts = sum(len(ids) for ids in ids_by_profile.values())
        ok = sum(len(r.responses) for r in results.values())  # type: ignore[attr-defined]
        failures = sum(len(r.failures) for r in results.values())  # type: ignore[attr-defined]
        return {
            "posts": posts,
            "ok": ok,
            "failures": failures,
            "wall": wall,
            "quota_use": server.quota_use(),
            **_server_numbers(server),
        }
    finally:
        server.stop()


def _server_numbers(server: Server) -> dict:
    stats = server.stats()
    return {"requests": stats["requests"], "429s": stats["rate_limited"]}


def main(argv: list[str] | None = None) -> int:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, help="posts per profile for our client (full: 900)")
    p.add_argument("--sdk-n", type=int, help="posts for the SDK baseline (full: 100)")
    p.add_argument("--latency", type=float, default=0.15, help="seconds per answer (0.15)")
    p.add_argument("--window", type=float, default=5.0, help="rate window in seconds (5)")
    p.add_argument("--concurrency", type=int, default=16, help="our concurrency (16)")
    p.add_argument("--serve", nargs=3, type=float, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve:
        serve(args.serve[0], args.serve[1], int(args.serve[2]))
        return 0
    mode = _common.mode_of(args)
    if args.smoke:
        n, sdk_n, latency, window = args.n or 12, args.sdk_n or 3, 0.0, args.window
    elif args.quick:
        n, sdk_n, latency, window = args.n or 600, args.sdk_n or 30, args.latency, args.window
    else:
        n, sdk_n, latency, window = args.n or 900, args.sdk_n or 100, args.latency, args.window
    ceiling = LIMIT / window
    _common.header("fetch: N posts through the HTTP sandbox", mode, "httpx", "social-post-api")
    print(
        f"sandbox: latency {latency:g} s per answer, limit {LIMIT} requests per {window:g} s per "
        f"profile (ceiling {ceiling:g} req/s per profile); our concurrency {args.concurrency}"
    )
    copies = max(1, -(-n // 80) + 1)
    world = bench_world(copies)
    ids = {
        None: visible_ids(world, 0)[:n],
        world.profiles[1].profile_key: visible_ids(world, 1)[:n],
        world.profiles[2].profile_key: visible_ids(world, 2)[:n],
    }
    if any(len(v) < n for v in ids.values()):
        raise SystemExit("not enough posts in the bench world")

    sdk = run_sdk(copies, ids[None][:sdk_n], latency, window)
    sdk_rate = sdk["posts"] / sdk["wall"]
    ours = run_ours(copies, {None: ids[None]}, latency, window, args.concurrency)
    three = run_ours(copies, ids, latency, window, args.concurrency)

    def rate(r: dict) -> float:
        return r["posts"] / r["wall"]

    def quota(r: dict) -> str:
        return (
            "n/a (fewer than limit+1 requests)"
            if r["quota_use"] is None
            else (f"{r['quota_use']:.1%}")
        )

    rows = [
        [
            f"baseline: SDK, sequential ({sdk_n} posts)",
            f"{sdk['wall']:.1f}",
            f"{sdk_rate:.1f}",
            sdk["requests"],
            sdk["429s"],
            f"{sdk_rate / ceiling:.1%} (rate / ceiling)",
        ],
        [
            f"baseline: SDK, extrapolated to {n} posts",
            f"{n / sdk_rate:.1f} (extrapolated)",
            f"{sdk_rate:.1f}",
            "-",
            "-",
            "-",
        ],
        [
            f"ours: fetch_many, 1 profile ({n} posts)",
            f"{ours['wall']:.1f}",
            f"{rate(ours):.1f}",
            ours["requests"],
            ours["429s"],
            quota(ours),
        ],
        [
            f"ours: fetch_many, 3 profiles at once ({3 * n} posts)",
            f"{three['wall']:.1f}",
            f"{rate(three):.1f}",
            three["requests"],
            three["429s"],
            quota(three),
        ],
    ]
    print(
        _common.table(
            rows, ["run", "wall s", "posts/s", "requests (server)", "429s (server)", "quota use"]
        )
    )
    print(
        f"speed-up of ours over the SDK for {n} posts: {(n / sdk_rate) / ours['wall']:.1f}x; "
        f"3 profiles vs 1: {rate(three) / rate(ours):.2f}x the throughput"
    )
    failures = ours["failures"] + three["failures"]
    if failures:
        print(f"WARNING: {failures} posts failed in our runs")
    if not args.smoke and ours["quota_use"] is not None:
        met = ours["quota_use"] >= 0.95 and ours["429s"] == 0 and three["429s"] == 0
        print(f"target (>= 95% of the ceiling, zero 429s): {'met' if met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
