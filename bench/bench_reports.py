"""Benchmark: wall time of building the reports on the demo world (``make report``).

    .venv/bin/python bench/bench_reports.py [--quick]

Times ``make report`` (full mode: also each curated notebook alone with ``ayr-analysis report
NAME``) in a fresh process, without an API key, so that the reports run on the demo world. The
baseline is the bare start-up of the CLI (``ayr-analysis --help``), which every report pays. In
full mode ``make report`` is also set against the sum of the reports run alone (each records the
demo world's history it needs; ``report all`` records it once for all of them).

Then, in this process, the demo world's history as the reports get it: recorded by each report
that reads it (``collect_snapshots`` for the engagement, campaign and post-performance reports'
posts, into one store, as ``report all`` did) against recorded once
(``reports.record_demo_history``) and read by each of them: CPU seconds and their ratio.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    return time.perf_counter() - t0, proc.returncode, (proc.stderr or proc.stdout)[-400:]


def history_once_against_per_report() -> list[list[object]]:
    """CPU and wall seconds of the demo history as the reports get it: recorded by each of the
    three reports that read it, against recorded once and then read by each."""
    import polars as pl

    from ayr_analysis import reports
    from ayr_analysis.campaigns import assign_campaigns, load_campaigns

    def report_posts(out: Path) -> list[tuple[reports.ReportParameters, object, pl.DataFrame]]:
        jobs = []
        for name in reports.HISTORY_REPORTS:
            p = reports.check_parameters(
                output_dir=str(out), **({"profile_key": "all"} if name == "campaign_comparison"
                                        else {})
            )  # fmt: skip
            client = reports.report_client(p)
            posts = reports.load_posts(p, client)
            if name == "campaign_comparison":  # the report follows the campaign posts only
                campaigns = load_campaigns(reports.resolve_campaigns_file(p))
                posts = assign_campaigns(posts, campaigns).filter(pl.col("campaign").is_not_null())
            jobs.append((p, client, posts))
        return jobs

    def collect(jobs: list) -> None:
        for p, client, posts in jobs:
            reports.collect_snapshots(p, client, posts)

    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory(prefix="ayr-bench-history-") as tmp:
        os.environ.pop(reports.DEMO_HISTORY_ENV, None)
        report_posts(Path(tmp) / "warm-up")  # imports and the demo world, built once per process
        jobs = report_posts(Path(tmp) / "per-report")
        c0, t0 = time.process_time(), time.perf_counter()
        collect(jobs)
        per_report = (time.process_time() - c0, time.perf_counter() - t0)
        jobs = report_posts(Path(tmp) / "once")
        c0, t0 = time.process_time(), time.perf_counter()
        history = reports.record_demo_history(Path(tmp) / "once")
        os.environ[reports.DEMO_HISTORY_ENV] = history.to_json()
        try:
            collect(jobs)
        finally:
            os.environ.pop(reports.DEMO_HISTORY_ENV, None)
        once = (time.process_time() - c0, time.perf_counter() - t0)
    rows.append(["baseline: recorded by each of the 3 reports", f"{per_report[0]:.1f}",
                 f"{per_report[1]:.1f}", "1.00"])  # fmt: skip
    rows.append(["recorded once, read by each", f"{once[0]:.1f}", f"{once[1]:.1f}",
                 f"{once[0] / per_report[0]:.2f}"])  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    p = _common.parser(__doc__.splitlines()[0])
    args = p.parse_args(argv)
    mode = _common.mode_of(args)
    _common.header("reports on the demo world", mode, "papermill", "nbconvert")
    from ayr_analysis.reports import CURATED_REPORTS

    if args.smoke:
        print(f"smoke mode: would time make report ({', '.join(CURATED_REPORTS)}); nothing timed")
        return 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("AYRSHARE_")}
    env["AYRSHARE_SOURCE"] = "demo"
    cli = str(Path(sys.executable).with_name("ayr-analysis"))
    rows = []
    t, rc, _ = timed([cli, "--help"], env)
    rows.append(["baseline: ayr-analysis --help", f"{t:.1f}", rc])
    t, rc, tail = timed(["make", "report"], env)
    together = t
    rows.append(["make report", f"{t:.1f}", rc])
    if rc:
        print(f"make report failed (exit {rc}): ...{tail}")
    if not args.quick:
        alone = 0.0
        for name in CURATED_REPORTS:
            t, rc, tail = timed([cli, "report", name], env)
            alone += t
            rows.append([f"ayr-analysis report {name}", f"{t:.1f}", rc])
            if rc:
                print(f"report {name} failed (exit {rc}): ...{tail}")
        rows.append(["sum of the reports alone", f"{alone:.1f}", ""])
        rows.append(["ratio make report / sum alone", f"{together / alone:.2f}", ""])
    print(_common.table(rows, ["command", "wall s", "exit code"]))
    print()
    print("the demo world's history for the 3 reports that read it, in this process:")
    print(_common.table(history_once_against_per_report(),
                        ["history", "CPU s", "wall s", "CPU ratio"]))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
