"""Benchmark: wall time of building the reports on the demo world (``make report``).

    .venv/bin/python bench/bench_reports.py [--quick]

Times ``make report`` (full mode: also each curated notebook alone with ``ayr-analysis report
NAME``) in a fresh process, without an API key, so that the reports run on the demo world. The
baseline is the bare start-up of the CLI (``ayr-analysis --help``), which every report pays.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    return time.perf_counter() - t0, proc.returncode, (proc.stderr or proc.stdout)[-400:]


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
    rows.append(["make report", f"{t:.1f}", rc])
    if rc:
        print(f"make report failed (exit {rc}): ...{tail}")
    if not args.quick:
        for name in CURATED_REPORTS:
            t, rc, tail = timed([cli, "report", name], env)
            rows.append([f"ayr-analysis report {name}", f"{t:.1f}", rc])
            if rc:
                print(f"report {name} failed (exit {rc}): ...{tail}")
    print(_common.table(rows, ["command", "wall s", "exit code"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
