"""Benchmark: a year of hourly snapshots, still interactive (the store, analysis, dashboard, reports).

    .venv/bin/python bench/bench_big_store.py [--quick | --smoke] [--scale S] [--days D]
        [--store PATH] [--skip-reports] [--skip-append] [--only STEPS]

Generates once (then reuses, from ``--store`` or ``$AYR_BIG_STORE``, by default a folder in the
system temp dir named after the sizes) a snapshot store as a tracker polling every post hourly
for its first ``--track-hours`` (720: 30 days) would have written over ``--days`` (365) days, for
about ``3,000 x --scale`` posts of the demo world's 3 profiles:

* the demo world's own history first (``demo_store``: every post at its ages, the post history);
* then each demo post is copied (new ids, publication times spread evenly over the days; the
  first copy keeps the demo world's ids and times) and given a snapshot every hour from
  publication on: its counts follow the demo world's growth curve of its network
  (``sandbox.world.CURVES``) towards the totals the demo world reports for it, its other numbers
  (rates, seconds) stay as reported. Written with ``SnapshotStore.append``, one append per day
  (the store's own layout: one file per table, network and day).

Then each measurement runs in its own subprocess, which reports its time and peak resident
memory (VmHWM); DuckDB runs the same query on the same files where one applies:

* ``latest()`` of ``wide`` and of ``long``;
* an equal-age comparison: ``analysis.compare`` of networks on likes at 24 h, on the whole
  ``wide`` table and on the 7 columns it needs (DuckDB: each post's likes interpolated at 24 h,
  median per network);
* a question about last week: the latest likes of every post seen in the last 7 days, summed
  per network (``read(since=...)``: only last week's partitions are opened);
* the dashboard: ``widgets.Dashboard`` on the store, loaded, then control changes timed
  without a browser: the metric (to one not shown yet: its alerts are computed), the age and
  the networks (the same metric: the alerts known since the load are filtered), the metric
  back to the first one; then what the first switch computes (the new metric's alerts and
  outlooks) for the selected posts (``for_posts`` then ``posts=``, the dashboard's way)
  against the same over every post of the history (the baseline: the dashboard's way before),
  interleaved;
* appends into the big store: the demo world's history (as ``ayr-analysis report all``
  records it: every row already stored), then the same plus a snapshot 1 minute later of a
  tenth of its rows (new keys), by ``SnapshotStore.append`` and by the same append with the
  key read-back it had before (``_OldStore``: every stored key of the posts appended, in the
  partitions touched, read back then anti-joined); the files the appends write are removed
  after each, so both find the same store (``--skip-append`` leaves this out);
* the curated reports: ``ayr-analysis report all`` with the big store as their snapshot store
  (peak memory: the sum over the process tree, kernels included, sampled every 0.2 s).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib

import _common  # noqa: E402

POSTS = 3_000  # posts at scale 1
MARKER = "_bench_big_store.json"


# --------------------------------------------------------------------------- generation


def _growth(age_h):
    """The demo world's growth share at ``age_h`` hours (polars expression), per platform."""
    import polars as pl

    from ayr_analysis.sandbox.world import CURVES, TAIL_TAU_H

    expr = pl.lit(1.0)
    age = age_h.clip(lower_bound=0.0)
    for platform, curve in CURVES.items():
        x = (age / curve.tau_h).pow(curve.k)
        fast = 1.0 - (-x).exp() if curve.kind == "weibull" else x / (1.0 + x)
        share = (1.0 - curve.tail) * fast + curve.tail * age / (age + TAIL_TAU_H)
        expr = pl.when(pl.col("platform") == platform).then(share).otherwise(expr)
    return expr


def generate(path: Path, scale: float, days: int, track_hours: int, small_demo: bool) -> dict:
    import polars as pl

    from ayr_analysis import schema as S
    from ayr_analysis.sandbox import WORLD_NOW
    from ayr_analysis.sandbox.history import demo_store

    t0 = time.perf_counter()
    narrow = {"profiles": [None], "ages": ["24h"]} if small_demo else {}
    store = demo_store(path, progress=False, **narrow)
    recorded = time.perf_counter() - t0
    frames = store.frames()
    unit = list(S.UNIT_KEY)
    wide_t = (
        frames.wide.filter(pl.col("published_at").is_not_null())
        .sort("observed_at")
        .group_by(unit)
        .last()
    )
    long_t = store.latest("long").join(
        wide_t.select(*unit), on=unit, how="semi"
    )  # the units with a publication time
    templates = wide_t["post_id"].unique().sort()
    n_posts = max(1, round(POSTS * scale))
    start = WORLD_NOW - timedelta(days=days)
    first = wide_t.group_by("post_id").agg(pl.col("published_at").min().alias("pub0"))
    mapping = (
        pl.DataFrame({"j": pl.int_range(0, n_posts, eager=True)})
        .with_columns(
            orig=templates.gather(pl.Series(range(n_posts)) % templates.len()),
            copy=pl.col("j") // templates.len(),
        )
        .join(first, left_on="orig", right_on="post_id", how="left")
        .with_columns(
            new=pl.when(pl.col("copy") == 0)
            .then(pl.col("orig"))
            .otherwise(pl.format("{}x{}", pl.col("orig"), pl.col("copy"))),
            offset=pl.when(pl.col("copy") == 0)
            .then(pl.duration(seconds=0))
            .otherwise(
                pl.lit(start)
                + pl.duration(seconds=pl.col("j") * (days * 86400 // n_posts))
                - pl.col("pub0")
            ),
        )
        .select("orig", "new", "offset")
    )
    units = (
        wide_t.select(*unit, "published_at")
        .join(mapping, left_on="post_id", right_on="orig")
        .with_columns(pub=pl.col("published_at") + pl.col("offset"))
    )
    units = units.filter(pl.col("pub") < WORLD_NOW)
    # the post history of every copy, its times moved with it
    posts = frames.posts.join(mapping, left_on="post_id", right_on="orig").filter(
        pl.col("new") != pl.col("post_id")
    )
    shifted = [c for c, t in S.POSTS_SCHEMA.items() if isinstance(t, pl.Datetime)]
    posts = posts.with_columns(
        pl.col("new").alias("post_id"), *(pl.col(c) + pl.col("offset") for c in shifted)
    ).select(S.POSTS_SCHEMA.names())
    store.append({"posts": posts}, source="demo")

    counts = [m for m in S.COUNT_METRICS if m in S.WIDE_SCHEMA]
    hours = pl.DataFrame({"h": pl.int_range(0, 24, eager=True)})
    rows = {"wide": 0, "long": 0}
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    window = timedelta(hours=track_hours)
    while day < WORLD_NOW:
        end = day + timedelta(days=1)
        active = units.filter((pl.col("pub") < end) & (pl.col("pub") + window > day))
        snaps = (
            active.join(hours, how="cross")
            .with_columns(t=pl.lit(day) + pl.duration(hours=pl.col("h")))
            .filter(
                (pl.col("t") > pl.col("pub"))
                & (pl.col("t") <= pl.col("pub") + window)
                & (pl.col("t") <= WORLD_NOW)
            )
            .with_columns(age_h=(pl.col("t") - pl.col("pub")).dt.total_seconds() / 3600)
            .with_columns(g=_growth(pl.col("age_h")))
            .select(*unit, "new", "pub", "t", "g")
        )
        if snaps.height:
            wide = (
                snaps.join(wide_t, on=unit)
                .with_columns(
                    pl.col("new").alias("post_id"),
                    pl.col("t").alias("observed_at"),
                    pl.col("t").alias("fetched_at"),
                    pl.col("t").alias("last_updated"),
                    (pl.col("t") + timedelta(hours=1)).alias("next_update"),
                    pl.col("pub").alias("published_at"),
                    *((pl.col(m) * pl.col("g")).floor().cast(pl.Int64).alias(m) for m in counts),
                )
                .select(S.WIDE_SCHEMA.names())
            )
            is_count = pl.col("unit") == "count"
            long = (
                snaps.join(long_t, on=unit)
                .with_columns(
                    pl.col("new").alias("post_id"),
                    pl.col("t").alias("observed_at"),
                    pl.col("t").alias("fetched_at"),
                    *(
                        pl.when(is_count)
                        .then((pl.col(c) * pl.col("g")).floor())
                        .otherwise(pl.col(c))
                        .alias(c)
                        for c in ("value", "raw_value")
                    ),
                )
                .select(S.LONG_SCHEMA.names())
            )
            got = store.append({"wide": wide, "long": long}, source="demo")
            rows["wide"] += got["wide"]
            rows["long"] += got["long"]
        day = end
    summary = store.summary()
    info = {
        "scale": scale,
        "days": days,
        "track_hours": track_hours,
        "posts": n_posts,
        "demo_store_s": recorded,
        "generate_s": time.perf_counter() - t0,
        "tables": {
            r["table"]: {"rows": r["rows"], "files": r["files"], "bytes": r["bytes"]}
            for r in summary.iter_rows(named=True)
        },
    }
    (path / MARKER).write_text(json.dumps(info, indent=1))
    return info


# --------------------------------------------------------------------------- measurements


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _duck(path: str):
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for table in ("wide", "long"):
        con.execute(
            f"CREATE VIEW {table} AS SELECT * FROM "
            f"read_parquet('{path}/{table}/**/*.parquet', hive_partitioning = true)"
        )
    return con


AT_24H_SQL = """
WITH s AS (
    SELECT post_id, platform, thread_position, likes,
           epoch(observed_at - published_at) / 3600.0 AS age_h
    FROM wide WHERE likes IS NOT NULL AND published_at IS NOT NULL
), b AS (
    SELECT post_id, platform, thread_position,
           max(age_h) FILTER (WHERE age_h <= 24) AS a0,
           arg_max(likes, age_h) FILTER (WHERE age_h <= 24) AS v0,
           min(age_h) FILTER (WHERE age_h >= 24) AS a1,
           arg_min(likes, age_h) FILTER (WHERE age_h >= 24) AS v1
    FROM s GROUP BY ALL
)
SELECT platform, count(*) AS n,
       median(CASE WHEN a1 = a0 THEN v0 ELSE v0 + (v1 - v0) * (24 - a0) / (a1 - a0) END) AS m
FROM b WHERE a0 IS NOT NULL AND a1 IS NOT NULL GROUP BY platform ORDER BY platform
"""


def _rss_now_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


APPEND_FRAMES = "AYR_BENCH_APPEND_FRAMES"  # table -> Parquet file of the frames to append


def _old_existing_keys(self, table, folders, keys):
    """The key read-back of ``SnapshotStore.append`` before it was narrowed: every stored key
    of the posts appended, in the partitions touched (the baseline)."""
    import polars as pl

    key = list(keys.columns)
    ids = keys["post_id"].drop_nulls().unique() if "post_id" in key else None

    def read():
        files = [str(f) for f in self._files(table, folders)]
        if not files:
            return None
        return (
            pl.scan_parquet(files, hive_partitioning=False)
            .select(key)
            .filter(
                pl.lit(True)
                if ids is None
                else pl.col("post_id").is_in(pl.lit(ids).implode()) | pl.col("post_id").is_null()
            )
            .collect(engine="streaming")
        )

    return self._guarded([table], read)


def _old_store():
    """``SnapshotStore`` with the key read-back it had before (the baseline): ``_OldStore``."""
    from ayr_analysis.store import SnapshotStore

    return type("_OldStore", (SnapshotStore,), {"_existing_keys": _old_existing_keys})


def _append_frames(work: Path) -> dict[str, dict[str, str]]:
    """Two appends, each table in a Parquet file of ``work``: ``again``, the demo world's
    history as ``report all`` records it (every row stored already), and ``mixed``, the same
    plus a snapshot 1 minute later of every tenth row of the time-keyed tables (new keys)."""
    import polars as pl

    from ayr_analysis.reports import SNAPSHOT_AGES
    from ayr_analysis.sandbox.history import demo_store
    from ayr_analysis.store import TABLES

    demo = demo_store(work / "history", seed=7, ages=SNAPSHOT_AGES, profiles="all",
                      progress=False)  # fmt: skip
    files: dict[str, dict[str, str]] = {"again": {}, "mixed": {}}
    for table in ("long", "wide", "reactions", "breakdowns", "posts"):
        frame = demo.read(table)
        files["again"][table] = str(work / f"again-{table}.parquet")
        frame.write_parquet(files["again"][table])
        time_col = TABLES[table].time
        if table != "posts":
            later = frame.gather_every(10).with_columns(pl.col(time_col) + timedelta(minutes=1))
            frame = pl.concat([frame, later])
        files["mixed"][table] = str(work / f"mixed-{table}.parquet")
        frame.write_parquet(files["mixed"][table])
    return files


def _append(path: Path) -> dict[str, list[dict]]:
    """The append step, for each append of :func:`_append_frames`: the baseline and ours, each
    in its own process, the files each writes removed after it (both find the same store)."""
    work = Path(tempfile.mkdtemp(prefix="ayr-big-append-"))
    try:
        out: dict[str, list[dict]] = {}
        for case, files in _append_frames(work).items():
            env = {**os.environ, APPEND_FRAMES: json.dumps(files)}
            results = out.setdefault(case, [])
            for name in ("append-baseline", "append"):
                before = {str(f) for f in path.rglob("*.parquet")}
                proc = subprocess.run(
                    [sys.executable, __file__, "--measure", name, str(path)],
                    capture_output=True, text=True, env=env,
                )  # fmt: skip
                for f in path.rglob("*.parquet"):
                    if str(f) not in before:
                        f.unlink()
                if proc.returncode != 0:
                    err = (proc.stderr.strip().splitlines() or ["failed"])[-1]
                    results.append({"error": err})
                else:
                    results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _cpu_s(who: int = 0) -> float:
    import resource

    use = resource.getrusage(who or resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def measure(name: str, path: str) -> dict:
    """Run in a subprocess: one measurement; its time, CPU time, a result size, peak memory."""
    out = _measure(name, path)
    out["cpu_s"] = _cpu_s() - out.pop("cpu0", 0.0)
    return out


def _measure(name: str, path: str) -> dict:
    import polars as pl

    from ayr_analysis.sandbox import WORLD_NOW

    week = WORLD_NOW - timedelta(days=7)
    out: dict = {}
    t0 = time.perf_counter()
    if name.startswith("duckdb-"):
        con = _duck(path)
        t0 = time.perf_counter()
        out["cpu0"] = _cpu_s()
        if name == "duckdb-latest-wide":
            n = con.execute(
                "SELECT count(*) FROM (SELECT *, row_number() OVER (PARTITION BY post_id, "
                "platform, thread_position ORDER BY observed_at DESC, fetched_at DESC) AS r "
                "FROM wide) WHERE r = 1"
            ).fetchall()[0][0]
        elif name == "duckdb-latest-long":
            n = len(
                con.execute(
                    "SELECT post_id, platform, thread_position, field, "
                    "arg_max(value, observed_at) FROM long GROUP BY ALL"
                ).fetchall()
            )
        elif name == "duckdb-at-24h":
            res = con.execute(AT_24H_SQL).fetchall()
            n = sum(r[1] for r in res)
        elif name == "duckdb-last-week":
            res = con.execute(
                "SELECT platform, sum(likes) FROM (SELECT platform, arg_max(likes, observed_at) "
                "AS likes FROM wide WHERE observed_at >= ? "
                "GROUP BY post_id, platform, thread_position) GROUP BY platform",
                [week],
            ).fetchall()
            n = len(res)
        else:
            raise SystemExit(f"unknown measurement {name}")
        out["rows"] = n
    elif name in ("append", "append-baseline"):
        from ayr_analysis.store import SnapshotStore

        frames = {t: pl.read_parquet(f) for t, f in json.loads(os.environ[APPEND_FRAMES]).items()}
        store = _old_store()(path) if name == "append-baseline" else SnapshotStore(path)
        before = _rss_now_mb()
        t0 = time.perf_counter()
        out["cpu0"] = _cpu_s()
        written = store.append(frames, source="demo")
        out["rows"] = sum(f.height for f in frames.values())
        out["written"] = sum(written.values())
        out["s"] = time.perf_counter() - t0
        out["rss_mb"] = _rss_mb()
        out["before_mb"] = before
        return out
    elif name == "dashboard":
        from ayr_analysis.client import AyrshareClient
        from ayr_analysis.sandbox import Demo
        from ayr_analysis.widgets import Dashboard

        dash = Dashboard(AyrshareClient(demo=Demo.frozen()), store=path)
        t0 = time.perf_counter()
        assert dash.load(), dash.status.value
        out["load_s"] = time.perf_counter() - t0
        out["snapshots"] = dash.snapshots.height if dash.snapshots is not None else 0
        c1, t1 = _cpu_s(), time.perf_counter()
        dash.metric.value = "comments"
        out["control_s"], out["control_cpu"] = time.perf_counter() - t1, _cpu_s() - c1
        assert dash.current_chart is not None, dash.status.value
        c2, t2 = _cpu_s(), time.perf_counter()
        dash.age.value = "24h"
        out["age_s"], out["age_cpu"] = time.perf_counter() - t2, _cpu_s() - c2
        assert dash.current_chart is not None, dash.status.value
        # the same metric: the alerts of the history are known, only filtered to the networks
        c3, t3 = _cpu_s(), time.perf_counter()
        dash.platforms.value = ("tiktok", "instagram")
        out["platforms_s"], out["platforms_cpu"] = time.perf_counter() - t3, _cpu_s() - c3
        assert dash.current_chart is not None, dash.status.value
        c4, t4 = _cpu_s(), time.perf_counter()
        dash.metric.value = "likes"  # back to a metric already shown since the load
        out["back_s"], out["back_cpu"] = time.perf_counter() - t4, _cpu_s() - c4
        assert dash.current_chart is not None, dash.status.value
        # what the first switch computes, the dashboard's way (the selected posts against the
        # history: what both read chosen once by for_posts, then posts=) and as it was before
        # (every post of the history, then filtered); interleaved, the best of two rounds each
        from ayr_analysis import analysis

        selected = dash.snapshots.select("post_id", "platform").unique()

        def for_selected() -> tuple:
            frame, now = analysis.for_posts(dash.history, "comments", selected)
            return (
                analysis.alerts(frame, "comments", posts=selected, now=now),
                analysis.outlooks(frame, "comments", posts=selected, now=now),
            )

        ways = {
            "posts": for_selected,
            "every": lambda: (
                analysis.alerts(dash.history, "comments"),
                analysis.outlooks(dash.history, "comments"),
            ),
        }
        for _ in range(2):
            for way, run in ways.items():
                c5, t5 = _cpu_s(), time.perf_counter()
                run()
                took, cpu = time.perf_counter() - t5, _cpu_s() - c5
                if took < out.get(f"{way}_s", float("inf")):
                    out[f"{way}_s"], out[f"{way}_cpu"] = took, cpu
        out["history"] = dash.history.height if dash.history is not None else 0
        out["rows"] = out["snapshots"]
        out["rss_mb"] = _rss_mb()
        return out
    else:
        from ayr_analysis import analysis
        from ayr_analysis.store import SnapshotStore

        store = SnapshotStore(path)
        t0 = time.perf_counter()
        out["cpu0"] = _cpu_s()
        if name == "latest-wide":
            n = store.latest("wide").height
        elif name == "latest-long":
            n = store.latest("long").height
        elif name == "at-24h":
            result = analysis.compare(
                store.read("wide"), by="platform", metric="likes", at_age="24h", seed=0,
                n_resamples=200,
            )  # fmt: skip
            n = int(result.table["n"].sum())
        elif name == "at-24h-scan":  # the same on a LazyFrame: only the rows around 24 h whole
            result = analysis.compare(
                store.scan("wide"), by="platform", metric="likes", at_age="24h", seed=0,
                n_resamples=200,
            )  # fmt: skip
            n = int(result.table["n"].sum())
        elif name == "at-24h-columns":  # the same, reading only the columns it needs
            cols = ["post_id", "platform", "thread_position", "observed_at", "fetched_at",
                    "published_at", "likes"]  # fmt: skip
            result = analysis.compare(
                store.scan("wide").select(cols), by="platform", metric="likes",
                at_age="24h", seed=0, n_resamples=200,
            )  # fmt: skip
            n = int(result.table["n"].sum())
        elif name == "last-week":
            recent = analysis.latest(store.read("wide", since=week))
            n = recent.group_by("platform").agg(pl.col("likes").sum()).height
            out["files_opened"] = len(store._checked)
            out["files_total"] = sum(1 for _ in Path(path, "wide").rglob("*.parquet"))
        else:
            raise SystemExit(f"unknown measurement {name}")
        out["rows"] = n
    out["s"] = time.perf_counter() - t0
    out["rss_mb"] = _rss_mb()
    return out


def _run_measure(name: str, path: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--measure", name, str(path)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _reports(path: Path) -> dict:
    """``ayr-analysis report all`` with the big store as its snapshot store; time and the peak
    of the summed resident memory of its process tree (kernels included)."""
    import psutil

    out_dir = Path(tempfile.mkdtemp(prefix="ayr-big-reports-"))
    (out_dir / "snapshots-demo").symlink_to(path)
    cli = Path(sys.executable).with_name("ayr-analysis")
    import resource

    peak = 0.0
    cpu0 = _cpu_s(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(cli), "report", "all", "-o", str(out_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ps = psutil.Process(proc.pid)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                procs = [ps, *ps.children(recursive=True)]
                total = 0
                for p in procs:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
                peak = max(peak, total / 2**20)
            except psutil.Error:
                pass
            done.wait(0.2)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    stdout, stderr = proc.communicate()
    done.set()
    th.join()
    elapsed = time.perf_counter() - t0
    shutil.rmtree(out_dir, ignore_errors=True)
    if proc.returncode != 0:
        return {"error": (stderr.strip().splitlines() or ["failed"])[-1][:200], "s": elapsed}
    cpu = _cpu_s(resource.RUSAGE_CHILDREN) - cpu0  # the CLI and the kernels it waited for
    return {"s": elapsed, "cpu_s": cpu, "rss_mb": peak, "rows": stdout.count(".html")}


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, help="posts: about 3,000 x SCALE (full 1.0)")
    p.add_argument("--days", type=int, help="days of hourly snapshots (full 365)")
    p.add_argument("--track-hours", type=int, default=720, help="hours each post is polled")
    p.add_argument(
        "--store",
        default=os.environ.get("AYR_BIG_STORE"),
        help="where the generated store is kept and reused (default: $AYR_BIG_STORE, else a "
        "folder in the system temp dir named after the sizes)",
    )
    p.add_argument("--skip-reports", action="store_true", help="do not run the curated reports")
    p.add_argument(
        "--skip-append", action="store_true", help="do not time the append (baseline and ours)"
    )
    p.add_argument(
        "--only",
        help="run only these steps, comma-separated: queries, dashboard, append, reports",
    )
    p.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return 0
    mode = _common.mode_of(args)
    scale = args.scale or (0.02 if args.smoke else 0.1 if args.quick else 1.0)
    days = args.days or (10 if args.smoke else 60 if args.quick else 365)
    track = min(args.track_hours, 72) if args.smoke else args.track_hours
    path = Path(
        args.store
        or Path(tempfile.gettempdir()) / f"ayr-big-store-s{scale:g}-d{days}-h{track}"
        + ("-small" if args.smoke else "")
    )
    _common.header("big store: a year of hourly snapshots", mode, "polars", "duckdb")
    marker = path / MARKER
    if marker.exists():
        info = json.loads(marker.read_text())
        print(f"store: {path} (generated before, in {info['generate_s']:.0f} s)")
    else:
        if path.exists() and any(path.iterdir()):
            raise SystemExit(f"{path} exists and was not made by this benchmark: remove it")
        print(f"store: generating {path} ...", flush=True)
        info = generate(path, scale, days, track, small_demo=args.smoke)
        print(f"store: generated in {info['generate_s']:.0f} s "
              f"(the demo world's history {info['demo_store_s']:.0f} s)")  # fmt: skip
    tables = info["tables"]
    per_row = {
        t: tables[t]["bytes"] / tables[t]["rows"] for t in ("wide", "long") if tables[t]["rows"]
    }
    print(
        f"store: {info['posts']:,} posts, {days} days, polled hourly for {track} h: "
        + ", ".join(
            f"{t} {v['rows']:,} rows in {v['files']:,} files ({v['bytes'] / 1e6:,.0f} MB)"
            for t, v in tables.items()
            if v["rows"]
        )
        + "; bytes per row: "
        + ", ".join(f"{t} {b:.1f}" for t, b in per_row.items())
    )
    _common.flush()
    pairs = [
        ('latest("wide")', "latest-wide", "duckdb-latest-wide"),
        ('latest("long")', "latest-long", "duckdb-latest-long"),
        ("compare networks on likes at 24 h", "at-24h", "duckdb-at-24h"),
        ('the same on `scan("wide")` (a LazyFrame)', "at-24h-scan", "duckdb-at-24h"),
        ("the same, reading only the 7 columns it needs", "at-24h-columns", "duckdb-at-24h"),
        ("last week: latest likes per network", "last-week", "duckdb-last-week"),
    ]
    rows = []
    only = None if args.only is None else {x.strip() for x in args.only.split(",")}
    if only is not None and only - {"queries", "dashboard", "append", "reports"}:
        raise SystemExit(f"--only: unknown steps {sorted(only)}")
    if only is not None and "queries" not in only:
        pairs = []
    for label, ours, theirs in pairs:
        a, b = _run_measure(ours, path), _run_measure(theirs, path)
        extra = ""
        if "files_opened" in a:
            extra = f"{a['files_opened']:,} of {a['files_total']:,} wide files opened"
        rows.append(_row(label, a, b, extra))
        print(f"  {label}: done", flush=True)
    dash = _run_measure("dashboard", path) if only is None or "dashboard" in only else None
    if dash is None:
        pass
    elif "error" in dash:
        rows.append(["dashboard", f"failed: {dash['error']}", "", "", "", "", "", "", ""])
    else:
        for label, key in (("dashboard: metric changed (a metric not shown yet)", "control_s"),
                           ("dashboard: age changed", "age_s"),
                           ("dashboard: networks changed", "platforms_s"),
                           ("dashboard: metric back to one shown before", "back_s"),
                           ("dashboard: load (history, fetch, read)", "load_s")):  # fmt: skip
            cpu = f"{dash[key.replace('_s', '_cpu')]:.2f}" if key != "load_s" else "-"
            rows.append(
                [label, f"{dash[key]:.2f}", cpu, f"{dash['rss_mb']:.0f}", "-", "-", "-", "-",
                 f"{dash['snapshots']:,} snapshots in the view"]
            )  # fmt: skip
        ratio = dash["every_s"] / dash["posts_s"] if dash["posts_s"] > 0 else math.inf
        for label, way, note in (
            ("  its alerts + outlooks: the selected posts (for_posts, posts=)", "posts",
             f"{ratio:.1f}x faster than over every post"),
            ("  the same over every post of the history (before)", "every",
             f"baseline, same run; {dash['history']:,} snapshots in the history"),
        ):  # fmt: skip
            rows.append(
                [label, f"{dash[way + '_s']:.2f}", f"{dash[way + '_cpu']:.2f}", "-", "-", "-",
                 "-", "-", note]
            )  # fmt: skip
    if not args.skip_append and (only is None or "append" in only):
        cases = {"again": "the demo history", "mixed": "the demo history + a tenth new"}
        for case, (base, ours) in _append(path).items():
            what = cases[case]
            if "error" in base or "error" in ours:
                err = base.get("error") or ours.get("error")
                rows.append([f"append {what}", f"failed: {err}", "", "", "", "", "", "", ""])
                continue
            for label, r in ((f"append {what}, baseline: every stored key of its posts", base),
                             (f"append {what}: the stored keys of its posts at its times",
                              ours)):  # fmt: skip
                rows.append(
                    [label, f"{r['s']:.1f}", f"{r['cpu_s']:.1f}", f"{r['rss_mb']:.0f}", "-",
                     "-", "-", "-",
                     f"{r['rows']:,} rows, {r['written']:,} new; "
                     f"{r['rss_mb'] - r['before_mb']:.0f} MB over the frames loaded"]
                )  # fmt: skip
            rows.append(
                [f"append {what}: ours / baseline", f"{ours['s'] / base['s']:.2f}",
                 f"{ours['cpu_s'] / base['cpu_s']:.2f}", f"{ours['rss_mb'] / base['rss_mb']:.2f}",
                 "-", "-", "-", "-", "ratios (time, CPU, peak)"]
            )  # fmt: skip
        print("  append: done", flush=True)
    if not args.skip_reports and (only is None or "reports" in only):
        rep = _reports(path)
        if "error" in rep:
            rows.append(
                ["ayr-analysis report all", f"failed: {rep['error']}", "", "", "", "", "", "", ""]
            )
        else:
            rows.append(
                ["ayr-analysis report all", f"{rep['s']:.1f}", f"{rep['cpu_s']:.1f}",
                 f"{rep['rss_mb']:.0f}", "-", "-", "-", "-",
                 f"{rep['rows']} reports; memory summed over the kernels"]
            )  # fmt: skip
    print(
        _common.table(
            rows,
            [
                "question",
                "ours s",
                "ours CPU s",
                "ours peak MB",
                "DuckDB s",
                "DuckDB CPU s",
                "DuckDB peak MB",
                "time ours/DuckDB",
                "note",
            ],
        )  # fmt: skip
    )
    return 0


def _row(label: str, a: dict, b: dict, extra: str) -> list[str]:
    if "error" in a:
        return [label, f"failed: {a['error']}", "", "", "", "", "", "", extra]
    ours = [f"{a['s']:.2f}", f"{a['cpu_s']:.2f}", f"{a['rss_mb']:.0f}"]
    if "error" in b:
        return [label, *ours, f"failed: {b['error']}", "", "", "", extra]
    ratio = a["s"] / b["s"] if b["s"] > 0 else math.inf
    note = f"{a['rows']:,} vs {b['rows']:,} result rows"
    return [label, *ours, f"{b['s']:.2f}", f"{b['cpu_s']:.2f}", f"{b['rss_mb']:.0f}",
            f"{ratio:.1f}x", f"{note}; {extra}" if extra else note]  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
