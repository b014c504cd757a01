"""The benchmark scripts start and know their options (the benchmarks themselves run with
``make bench``, never in the test suite)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = ["bench_fetch", "bench_normalize", "bench_import", "bench_store", "bench_reports"]


@pytest.mark.parametrize("name", SCRIPTS)
def test_bench_script_help(name):
    proc = subprocess.run(
        [sys.executable, str(BENCH / f"{name}.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "--quick" in proc.stdout and "--smoke" in proc.stdout


def test_reports_bench_knows_the_curated_reports():
    proc = subprocess.run(
        [sys.executable, str(BENCH / "bench_reports.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "(quickstart, engagement_analysis, campaign_comparison); nothing timed" in proc.stdout


def test_normalize_bench_runs_every_way_against_the_floor():
    proc = subprocess.run(
        [sys.executable, str(BENCH / "bench_normalize.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "| 200     | floor: json.loads" in out
    assert "ours: json.loads + normalize" in out and "normalize alone" in out
    # the smoke batch gives rows in long and in wide
    assert "long 5,334, wide 536" in out
