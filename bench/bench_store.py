"""Benchmark: scanning and aggregating the snapshot store with polars and with DuckDB.

    .venv/bin/python bench/bench_store.py [--quick] [--rows N] [--keep PATH]

Writes N synthetic long rows (full: 10 million, quick: 1 million) into a fresh store with
``SnapshotStore.append``, one append per daily tracking round (the partitioned Parquet layout of
the store, as the tracker writes it), then runs the same two queries on the same files with each
engine, each engine in its own subprocess so that its peak memory (VmHWM, the peak resident
set size of the process) is its own:

* Q1: per platform and metric, sum and count of the values;
* Q2: per post, platform and metric, the latest value (by ``observed_at``); with polars also
  through the package's own ``SnapshotStore.latest("long")`` (whole rows), in a third process.

polars reads through ``SnapshotStore.scan("long")`` (lazy, as the package does); DuckDB reads
``read_parquet('<store>/long/**/*.parquet', hive_partitioning = true)``.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

PLATFORMS = ("bluesky", "facebook", "instagram", "linkedin", "pinterest", "threads", "tiktok",
             "twitter", "youtube", "reddit")  # fmt: skip
METRICS = ("likes", "comments", "shares", "saves", "impressions", "reach", "views", "clicks",
           "watch_time", "engagements")  # fmt: skip
ROUND_ROWS = 200_000  # rows per tracking round: 2,000 posts x 10 networks x 10 metrics


def generate(path: str, rows: int) -> tuple[float, int]:
    """Write ``rows`` long rows into a store at ``path``; return (seconds, files)."""
    import polars as pl

    from ayr_analysis.schema import LONG_SCHEMA
    from ayr_analysis.store import SnapshotStore

    store = SnapshotStore(path)
    per_round = min(rows, ROUND_ROWS)
    n_posts = max(1, per_round // (len(PLATFORMS) * len(METRICS)))
    idx = pl.int_range(0, per_round, eager=True)
    base = pl.DataFrame({"i": idx}).with_columns(
        post=(pl.col("i") // (len(PLATFORMS) * len(METRICS))) % n_posts,
        p=(pl.col("i") // len(METRICS)) % len(PLATFORMS),
        m=pl.col("i") % len(METRICS),
    )
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    written, rnd = 0, 0
    t0 = time.perf_counter()
    while written < rows:
        take = min(per_round, rows - written)
        at = start + timedelta(days=rnd)
        frame = (
            base.head(take)
            .select(
                post_id=pl.format("AYR{}", pl.col("post")),
                platform=pl.lit(pl.Series(PLATFORMS)).get(pl.col("p")),
                social_id=pl.format("s{}-{}", pl.col("post"), pl.col("p")),
                thread_position=pl.lit(0, pl.Int32),
                field=pl.lit(pl.Series(METRICS)).get(pl.col("m")),
                metric=pl.lit(pl.Series(METRICS)).get(pl.col("m")),
                value=(pl.col("i").hash(rnd) % 10_000).cast(pl.Float64) * (1 + rnd / 10),
                unit=pl.lit("count"),
                raw_value=pl.lit(None, pl.Float64),
                observed_at=pl.lit(at),
                fetched_at=pl.lit(at),
            )
            .with_columns(raw_value=pl.col("value"))
            .cast(dict(LONG_SCHEMA))
            .select(LONG_SCHEMA.names())
        )
        store.append({"long": frame})
        written += take
        rnd += 1
    files = sum(1 for _ in Path(path, "long").rglob("*.parquet"))
    return time.perf_counter() - t0, files


def engine(name: str, path: str) -> dict:
    """Run in a subprocess: both queries with one engine; times, rows and peak memory."""
    if name == "polars-latest":
        from ayr_analysis.store import SnapshotStore

        store = SnapshotStore(path)
        out = {"rss_ready_mb": _rss_mb()}
        t0 = time.perf_counter()
        latest = store.latest("long")
        out.update(q2_s=time.perf_counter() - t0, q2_rows=latest.height, rss_peak_mb=_rss_mb())
        return out
    if name == "polars":
        import polars as pl

        from ayr_analysis.store import SnapshotStore

        store = SnapshotStore(path)
        rss_ready = _rss_mb()

        def q1():
            return (
                store.scan("long")
                .group_by("platform", "metric")
                .agg(pl.col("value").sum().alias("sum"), pl.len().alias("count"))
                .collect()
            )

        def q2():
            return (
                store.scan("long")
                .group_by("post_id", "platform", "metric")
                .agg(pl.col("value").sort_by("observed_at").last())
                .collect()
            )

        count = lambda df: df.height  # noqa: E731
    else:
        import duckdb

        con = duckdb.connect()
        rss_ready = _rss_mb()
        src = f"read_parquet('{path}/long/**/*.parquet', hive_partitioning = true)"

        def q1():
            return con.sql(
                f"SELECT platform, metric, sum(value) AS sum, count(*) AS count FROM {src} "
                "GROUP BY platform, metric"
            ).fetchall()

        def q2():
            return con.sql(
                f"SELECT post_id, platform, metric, arg_max(value, observed_at) AS value "
                f"FROM {src} GROUP BY post_id, platform, metric"
            ).fetchall()

        count = len
    out = {"rss_ready_mb": rss_ready}
    for label, q in (("q1", q1), ("q2", q2)):
        t0 = time.perf_counter()
        result = q()
        out[f"{label}_s"] = time.perf_counter() - t0
        out[f"{label}_rows"] = count(result)
        if label == "q1":
            total = int(result["count"].sum()) if name == "polars" else sum(r[3] for r in result)
            out["rows_scanned"] = total
    out["rss_peak_mb"] = _rss_mb()
    return out


def _rss_mb() -> float:
    """Peak resident memory of this process so far, in MB. VmHWM (Linux) belongs to this
    program only; ru_maxrss would keep the parent's peak across fork and exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str] | None = None) -> int:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, help="long rows to generate (full 10,000,000)")
    p.add_argument("--keep", help="write the store here and keep it (default: a temp folder)")
    p.add_argument("--engine", nargs=2, help=__import__("argparse").SUPPRESS)
    args = p.parse_args(argv)
    if args.engine:
        print(json.dumps(engine(*args.engine)))
        return 0
    mode = _common.mode_of(args)
    rows = args.rows or (20_000 if args.smoke else 1_000_000 if args.quick else 10_000_000)
    _common.header("store: scan and aggregate long rows", mode, "polars", "duckdb", "pyarrow")
    path = args.keep or tempfile.mkdtemp(prefix="ayr-bench-store-")
    try:
        gen_s, files = generate(path, rows)
        size = sum(f.stat().st_size for f in Path(path).rglob("*.parquet")) / 1e6
        print(
            f"store: {rows:,} long rows written with SnapshotStore.append in {gen_s:.1f} s "
            f"({rows / gen_s / 1e6:.2f} M rows/s), {files} Parquet files, {size:.0f} MB"
        )
        results = {}
        for name in ("duckdb", "polars", "polars-latest"):
            out = subprocess.run(
                [sys.executable, __file__, "--engine", name, path],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            results[name] = json.loads(out.strip().splitlines()[-1])
        table = []
        for name, r in results.items():
            if r.get("rows_scanned", rows) != rows:
                print(f"WARNING: {name} counted {r['rows_scanned']:,} rows, not {rows:,}")
            label = {
                "duckdb": "baseline: DuckDB",
                "polars": "ours: polars (store.scan + group_by)",
                "polars-latest": 'ours: SnapshotStore.latest("long") (Q2 only)',
            }[name]
            table.append(
                [
                    label,
                    f"{r['q1_s']:.2f}" if "q1_s" in r else "-",
                    f"{r['q2_s']:.2f}",
                    f"{r['q2_rows']:,}",
                    f"{r['rss_ready_mb']:.0f}",
                    f"{r['rss_peak_mb']:.0f}",
                ]  # fmt: skip
            )
        print(
            _common.table(
                table,
                [
                    "engine",
                    "Q1 sum/count s",
                    "Q2 latest s",
                    "Q2 groups",
                    "RSS after import MB",
                    "peak RSS MB",
                ],  # fmt: skip
            )
        )
        d, pl_ = results["duckdb"], results["polars"]
        print(
            f"polars / DuckDB: Q1 {pl_['q1_s'] / d['q1_s']:.2f}x, Q2 {pl_['q2_s'] / d['q2_s']:.2f}x "
            f"the time; peak memory {pl_['rss_peak_mb'] / d['rss_peak_mb']:.2f}x"
        )
    finally:
        if not args.keep:
            shutil.rmtree(path, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
