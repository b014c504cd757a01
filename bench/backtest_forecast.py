"""Benchmark: the forecast's time-ordered backtest on the demo world, and the time it takes.

    .venv/bin/python bench/backtest_forecast.py [--quick | --smoke] [--metric likes]

Records the sandbox demo world into a temporary snapshot store (``demo_store``: every profile,
each post asked at 1 h, 6 h, 24 h, 72 h and 7 d), then runs
``ayr_analysis.analysis.backtest`` (fitted on older posts, predicting newer ones, in weekly
folds) and prints, per network and forecast age, the median relative error at the 7-day horizon
of the log-linear model and of its three baselines ("typical post", "current value stays",
"typical curve scaled by the post's index"), and the 80% interval's coverage; then the model's
error with the earlier intercept (the median log growth) on the same folds. The rows from 24 h
are checked against the targets per network (coverage 70-90%, the model's error below both
"typical" and "stays"), saying which networks cannot be judged and why, then over all networks
together; the last line says MET or MISSED. The demo world is simulated: these figures say the
code works as designed, not how well it forecasts a real account.

Then it times ``typical_curves``, ``performance_index``, ``forecast`` and ``alerts`` (with and
without its forecast alerts) on a synthetic store of hourly snapshots (3,000 posts over two
weeks in full mode), against the baseline every one of them starts with: ``analysis.at_age`` of the same snapshots at the same ages.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402


def backtest_table(metric: str, smoke: bool) -> None:
    from ayr_analysis import analysis
    from ayr_analysis.sandbox import build_world
    from ayr_analysis.sandbox.history import demo_store

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        if smoke:
            key = build_world(7).profiles[1].profile_key
            store = demo_store(tmp, profiles=[key], platforms="tiktok", progress=False)
        else:
            store = demo_store(tmp, progress=False)
        wide = store.read("wide")
        built = time.perf_counter() - t0
        t0 = time.perf_counter()
        bt = analysis.backtest(wide, metric, horizon="7d")
        took = time.perf_counter() - t0
        pooled = analysis.backtest(wide, metric, horizon="7d", report_by=())
        # the earlier intercept, the median log growth, on the same folds
        earlier = analysis.backtest(wide, metric, horizon="7d", intercept="median_growth")
        earlier_pooled = analysis.backtest(
            wide, metric, horizon="7d", report_by=(), intercept="median_growth"
        )
    posts = wide.select("post_id", "platform").unique().height
    print(
        f"demo store: {wide.height:,} snapshots of {posts:,} posts on a network "
        f"(recorded in {built:.1f} s); backtest in {took:.2f} s"
    )
    print(
        f"metric {metric}, horizon 7d, 80% interval; errors are median |forecast - actual| / actual"
    )
    rows = []
    for r in bt.summary.iter_rows(named=True):
        rows.append(
            [r["platform"], r["from_age"], r["n"], *(_pct(r[k]) for k in
             ("model", "typical", "stays", "scaled", "coverage")),
             "yes" if r["enough"] else "no (n < 20)"]
        )  # fmt: skip
    headers = ["network", "from", "n", "model", "typical", "stays", "scaled", "coverage", "enough"]
    print(_common.table(rows, headers))
    rows = [
        [r["from_age"], r["n"], *(_pct(r[k]) for k in
         ("model", "typical", "stays", "scaled", "coverage")),
         "yes" if r["model_best"] else "no"]
        for r in pooled.summary.iter_rows(named=True)
    ]  # fmt: skip
    print("all networks together (each post forecast by its own network's model):")
    print(_common.table(rows, ["from", "n", *headers[3:8], "model best"]))
    compare_intercepts(bt.summary, earlier.summary, pooled.summary, earlier_pooled.summary)
    index = analysis.performance_index(wide, metric, at="24h")
    verdict = check_targets(bt.summary, pooled.summary, index, wide["platform"].unique().sort())
    print(f"targets at 24h -> 7d: {verdict}")


def compare_intercepts(now, before, pooled, before_pooled) -> None:
    """The model's error with its intercept (the training posts' median relative error
    minimised) against the earlier one (their median log growth), per network and from each
    age, on the same folds."""
    import polars as pl

    keys = ["platform", "from_age"]
    both = now.join(before.select(*keys, pl.col("model").alias("earlier")), on=keys, how="left")
    rows = [
        [r["platform"], r["from_age"], r["n"], _pct(r["model"]), _pct(r["earlier"]),
         _pct(r["stays"]), "yes" if r["enough"] else "no (n < 20)"]
        for r in both.iter_rows(named=True)
    ]  # fmt: skip
    all_ = pooled.join(
        before_pooled.select("from_age", pl.col("model").alias("earlier")), on="from_age"
    )
    rows += [
        ["all networks", r["from_age"], r["n"], _pct(r["model"]), _pct(r["earlier"]),
         _pct(r["stays"]), "yes" if r["enough"] else "no (n < 20)"]
        for r in all_.iter_rows(named=True)
    ]  # fmt: skip
    print("the model's error by intercept: median relative error minimised (now) or median growth:")
    print(
        _common.table(rows, ["network", "from", "n", "model", "median growth", "stays", "enough"])
    )


def check_targets(summary, pooled, index, networks) -> str:
    """Print, per network, whether the rows from 24h meet the targets (coverage of the 80%
    interval within 70-90%, the model's median relative error below both "typical" and "stays"),
    or why it cannot be judged; then the same for all networks together. Returns "MET" when every
    judged row meets them, "MISSED" when one does not, or why nothing could be judged."""
    import polars as pl

    def verdict(r: dict) -> list[str]:
        missed = []
        if not 0.7 <= r["coverage"] <= 0.9:
            missed.append(f"coverage {_pct(r['coverage'])} outside 70-90%")
        for base in ("typical", "stays"):
            if r[base] is None or not r["model"] < r[base]:
                missed.append(f"model {_pct(r['model'])} not below {base} {_pct(r[base])}")
        return missed

    day = summary.filter(pl.col("from_age") == "24h")
    rows, all_ok, judged = [], True, 0
    for net in networks:
        row = day.filter(pl.col("platform") == net)
        if row.is_empty():
            why = index.filter((pl.col("platform") == net) & (pl.col("status") != "ok"))
            top = why.group_by("reason").len().sort("len", descending=True)
            words = "; ".join(f"{n} posts: {r}" for r, n in top.iter_rows())
            rows.append([net, "not judged", (
                f"no held-out post with a value at 24h ({words})" if words else
                "no post scored from 24h (too few posts, or too short a history, for a fold)")])  # fmt: skip
            continue
        r = row.row(0, named=True)
        if not r["enough"]:
            rows.append([net, "not judged", f"only {r['n']} held-out posts (fewer than 20)"])
            continue
        judged += 1
        missed = verdict(r)
        all_ok = all_ok and not missed
        rows.append([net, "MISSED" if missed else "met", "; ".join(missed) or (
            f"coverage {_pct(r['coverage'])}, model {_pct(r['model'])} < typical "
            f"{_pct(r['typical'])} and stays {_pct(r['stays'])}")])  # fmt: skip
    both = pooled.filter((pl.col("from_age") == "24h") & pl.col("enough"))
    if judged and not both.is_empty():
        r = both.row(0, named=True)
        missed = verdict(r)
        all_ok = all_ok and not missed
        rows.append(["all networks", "MISSED" if missed else "met", "; ".join(missed) or (
            f"coverage {_pct(r['coverage'])}, model {_pct(r['model'])} < typical "
            f"{_pct(r['typical'])} and stays {_pct(r['stays'])}")])  # fmt: skip
    print("targets at 24h -> 7d, per network with at least 20 held-out posts:")
    print(_common.table(rows, ["network", "targets", "why"]))
    if not judged:
        return "not judged (no network with at least 20 held-out posts from 24h)"
    return "MET" if all_ok else "MISSED"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def synthetic(n_posts: int, days: int):
    """Hourly snapshots of ``n_posts`` tiktok and instagram posts, published over ``days``."""
    import polars as pl

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    hours = days * 24
    post = pl.int_range(n_posts, eager=True)
    posts = pl.DataFrame(
        {
            "post_id": post.cast(pl.String),
            "platform": pl.Series(["tiktok", "instagram"] * n_posts)[:n_posts],
            "media_type": pl.Series(["video", "reel"] * n_posts)[:n_posts],
            "scale": 100 + (post * 7919 % 1000).cast(pl.Float64),
            "published_at": [t0 + timedelta(hours=(i * hours) // n_posts) for i in range(n_posts)],
        }
    )
    end = t0 + timedelta(hours=hours)
    snaps = (
        posts.join(pl.DataFrame({"h": pl.int_range(1, hours + 1, eager=True)}), how="cross")
        .with_columns(
            (pl.col("published_at") + pl.duration(hours=pl.col("h"))).alias("observed_at"),
            pl.lit(0, pl.Int32).alias("thread_position"),
        )
        .filter(pl.col("observed_at") <= end)
        .with_columns(
            (pl.col("scale") * (1 - (-pl.col("h") / 12).exp()))
            .round()
            .cast(pl.Int64)
            .alias("likes")
        )  # fmt: skip
        .drop("h", "scale")
    )
    return snaps


def timings(n_posts: int, days: int) -> None:
    from ayr_analysis import analysis
    from ayr_analysis.schema import DEFAULT_AGES

    snaps = synthetic(n_posts, days)
    print(
        f"\nsynthetic store: {snaps.height:,} hourly snapshots of {n_posts:,} posts over {days} "
        f"days (tiktok and instagram)"
    )

    def timed(fn) -> float:
        best = math.inf
        for _ in range(2):
            t = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t)
        return best

    base = timed(lambda: analysis.at_age(snaps, list(DEFAULT_AGES), ["likes"]))
    cases = {
        "typical_curves": lambda: analysis.typical_curves(snaps, "likes"),
        "performance_index": lambda: analysis.performance_index(snaps, "likes"),
        "forecast": lambda: analysis.forecast(snaps, "likes"),
        "forecast, intercept='median_growth'": lambda: analysis.forecast(
            snaps, "likes", intercept="median_growth"
        ),
        "alerts, band crossings only (`forecast=None`)": lambda: analysis.alerts(
            snaps, "likes", forecast=None
        ),
        "alerts, band and forecast (the default)": lambda: analysis.alerts(snaps, "likes"),
        "backtest": lambda: analysis.backtest(snaps, "likes", step="1d"),
        "backtest, intercept='median_growth'": lambda: analysis.backtest(
            snaps, "likes", step="1d", intercept="median_growth"
        ),
    }
    rows = [["baseline: at_age at the 5 ages", f"{base:.2f}", "1.0x"]]
    for name, fn in cases.items():
        t = timed(fn)
        rows.append([name, f"{t:.2f}", f"{t / base:.1f}x"])
    print(_common.table(rows, ["function", "best of 2, s", "vs baseline"]))


def main(argv: list[str] | None = None) -> int:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--metric", default="likes", help="the metric to forecast (default: likes)")
    args = p.parse_args(argv)
    mode = _common.mode_of(args)
    _common.header("forecast backtest on the demo world", mode, "polars")
    backtest_table(args.metric, smoke=args.smoke)
    sizes = {"smoke": (60, 10), "quick": (600, 14), "full": (3000, 14)}[mode]
    timings(*sizes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
