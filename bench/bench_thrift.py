"""Benchmark: quota spent by tracking, with the thrift rules and with the every-round behaviour.

    .venv/bin/python bench/bench_thrift.py [--quick] [--days N] [--tick MINUTES]

Tracks the same demo posts (everything posted in the last 7 days of the demo world: stories,
scheduled posts, YouTube and Pinterest among them) on a frozen virtual clock moved by hand
(``ayr_analysis.tracking.simulate``): a round whenever something is due, at least ``--tick``
simulated minutes apart (a tracker waking up every 10 minutes at most). Once with
``thrift=False`` (every network asked again at each ``nextUpdate``, errors and schedules aside:
the behaviour before the thrift rules) and once with the defaults, each into its own store.
Full: a simulated week; quick: two days; smoke: six hours.

Reported per run: requests, new snapshots, the share of requests that brought a new snapshot
and a changed number, requests saved per rule, errors rows and files, and the curve resolution
kept: of the baseline's snapshots that carried a changed number, the share the thrifty run also
has (all of them, and those taken before the network's settle age).
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402


def run(path: Path, *, thrift: bool, days: float, tick: float) -> dict[str, object]:
    from ayr_analysis import AyrshareClient, SnapshotStore, history
    from ayr_analysis.sandbox import SandboxTransport, VirtualClock
    from ayr_analysis.sandbox.transport import DEMO_RATE_WINDOW
    from ayr_analysis.tracking import Tracker, simulate

    clock = VirtualClock(speed=0.0)
    transport = SandboxTransport(clock=clock, rate_limit=1_000_000, rate_window=DEMO_RATE_WINDOW)
    client = AyrshareClient(
        source="demo", transport=transport, rate_limit=1_000_000, rate_window=DEMO_RATE_WINDOW
    )
    posts = history(client=client, last_days=7)
    ids = posts["post_id"].unique(maintain_order=True).to_list()
    store = SnapshotStore(path)
    tracker = Tracker(client, store, ids, posts=posts, progress=False, clock=clock, thrift=thrift)
    t0 = time.perf_counter()
    until = clock.now() + timedelta(days=days)
    result = simulate(tracker, clock, until=until, tick=timedelta(minutes=tick))
    return {
        "result": result,
        "seconds": time.perf_counter() - t0,
        "store": store,
        "posts": len(ids),
        "error_files": len(list((path / "errors").rglob("*.parquet"))),
    }


def resolution(base, thrift) -> tuple[float, float]:
    """Share of the baseline's moving snapshots the thrifty store also has: all, before settle."""
    from datetime import timedelta as td

    import polars as pl

    from ayr_analysis.store import TABLE_KEYS
    from ayr_analysis.tracking import SETTLED_AFTER

    key = list(TABLE_KEYS["wide"])
    b = base.scan("wide").collect()
    t = thrift.scan("wide").collect()
    if b.height == 0:
        return 1.0, 1.0
    unit = ["post_id", "platform", "thread_position"]
    metrics = [c for c in b.columns if b[c].dtype.is_numeric() and c != "thread_position"]
    moved = (
        b.sort([*unit, "observed_at"])
        .with_columns(
            pl.any_horizontal(
                [pl.col(m).ne_missing(pl.col(m).shift(1).over(unit)) for m in metrics]
            ).alias("moved"),
            (pl.col("observed_at") - pl.col("published_at")).alias("age"),
            pl.col("platform").replace_strict(SETTLED_AFTER, default=td(days=7)).alias("settle"),
        )
        .filter(pl.col("moved"))
    )
    kept = moved.join(t.select(key), on=key, how="semi", nulls_equal=True)
    young = moved.filter(pl.col("age") < pl.col("settle"))
    young_kept = kept.filter(pl.col("age") < pl.col("settle"))
    return kept.height / max(moved.height, 1), young_kept.height / max(young.height, 1)


def main() -> None:
    p = _common.parser(__doc__.split("\n\n")[0])
    p.add_argument("--days", type=float, help="simulated days (full 7, quick 2, smoke 0.25)")
    p.add_argument("--tick", type=float, default=10.0, help="simulated minutes between wake-ups")
    args = p.parse_args()
    mode = _common.mode_of(args)
    days = args.days or {"smoke": 0.25, "quick": 2.0, "full": 7.0}[mode]
    _common.header(f"tracking thrift, {days:g} simulated days", mode, "polars", "httpx")
    with tempfile.TemporaryDirectory() as tmp:
        runs = {
            name: run(Path(tmp, name), thrift=name == "thrift", days=days, tick=args.tick)
            for name in ("every round", "thrift")
        }
        whole, young = resolution(runs["every round"]["store"], runs["thrift"]["store"])
        rows = []
        for name, r in runs.items():
            res = r["result"]
            errors = r["store"].scan("errors").collect()
            saved = ", ".join(f"{k} {v}" for k, v in res.saved.items() if v) or "-"
            rows.append([
                name, r["posts"], res.requests, res.snapshots,
                f"{res.productive / max(res.requests, 1):.0%}",
                f"{res.changed / max(res.requests, 1):.0%}",
                errors.height, int(errors["count"].sum() or 0), r["error_files"],
                saved if name == "thrift" else "-", f"{r['seconds']:.1f}",
            ])  # fmt: skip
        print(
            _common.table(
                rows,
                [
                    "run",
                    "posts",
                    "requests",
                    "new snapshots",
                    "new snapshot / request",
                    "changed number / request",
                    "errors rows",
                    "errors answered",
                    "errors files",
                    "saved (per rule, counted per round)",
                    "wall s",
                ],
            )  # fmt: skip
        )
        base, thrift = runs["every round"]["result"], runs["thrift"]["result"]
        print(
            f"requests: thrift / every round = {thrift.requests / max(base.requests, 1):.2f}; "
            f"snapshots: {thrift.snapshots / max(base.snapshots, 1):.2f}"
        )
        print(
            f"curve resolution kept: {whole:.1%} of the baseline's moving snapshots, "
            f"{young:.1%} of those before the settle age"
        )
        _common.flush()


if __name__ == "__main__":
    main()
