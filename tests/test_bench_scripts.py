"""The benchmark scripts start and know their options (the benchmarks themselves run with
``make bench``, never in the test suite)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = [
    "bench_fetch",
    "bench_normalize",
    "bench_import",
    "bench_store",
    "bench_reports",
    "bench_thrift",
    "backtest_forecast",
    "bench_big_store",
    "bench_profiles",
]


def _run(script: str, option: str, timeout: float = 60) -> str:
    """The script's output with ``option``; it must exit with 0."""
    proc = subprocess.run(
        [sys.executable, str(BENCH / f"{script}.py"), option],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("name", SCRIPTS)
def test_bench_script_help(name):
    out = _run(name, "--help")
    assert "--quick" in out and "--smoke" in out


def test_reports_bench_knows_the_curated_reports():
    out = _run("bench_reports", "--smoke")
    assert (
        "(quickstart, engagement_analysis, campaign_comparison, post_performance); nothing timed"
        in out
    )


@pytest.mark.slow
def test_normalize_bench_runs_every_way_against_the_floor():
    out = _run("bench_normalize", "--smoke", timeout=120)
    assert "| 200     | floor: json.loads" in out
    assert "ours: decode as the client + normalize" in out and "normalize alone" in out
    assert "the client's decoding alone" in out
    # the smoke batch gives rows in long and in wide
    assert "long 5,330, wide 536" in out


@pytest.mark.slow  # a day of tracking both ways in a subprocess: about 9 s
def test_thrift_bench_tracks_both_ways_side_by_side():
    out = _run("bench_thrift", "--smoke", timeout=180)
    assert "| every round |" in out and "| thrift " in out
    assert "curve resolution kept:" in out


@pytest.mark.slow
def test_forecast_backtest_bench_prints_the_table_and_the_timings():
    out = _run("backtest_forecast", "--smoke", timeout=180)
    assert "| network | from | n | model | typical | stays | scaled | coverage | enough |" in out
    assert "| baseline: at_age at the 5 ages " in out
    assert "| alerts, band crossings only (`forecast=None`) " in out
    assert "| alerts, band and forecast (the default) " in out
    assert "| backtest, intercept='median_growth' " in out
    # one tiktok profile has too few posts for a fold: the check says so rather than MET
    assert "| tiktok  | not judged | no post scored from 24h" in out
    assert out.count("targets at 24h -> 7d: not judged (no network with at least 20") == 1


@pytest.mark.slow
def test_profiles_bench_paces_every_profile_and_times_a_slow_one():
    out = _run("bench_profiles", "--smoke", timeout=240)
    assert "| 1        | 600      | 0      |" in out and "| 3        | 1800     | 0      |" in out
    assert "a slow profile (2000 ms per answer) among 3: the other 2 finished in" in out


@pytest.mark.slow  # a small store generated, then the demo history appended twice: about 60 s
def test_big_store_bench_times_the_append_against_its_former_key_read_back(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(BENCH / "bench_big_store.py"), "--smoke", "--only", "append",
         "--store", str(tmp_path / "store")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "| append, baseline: every stored key of its posts read back |" in out
    assert "| append: only the stored keys equal to its keys " in out
    assert "| append: ours / baseline " in out and "ratios (time, CPU, peak)" in out
    # both appends found the same store: the same rows new (the files written are removed)
    news = [line.split("rows, ")[1].split(" new")[0] for line in out.splitlines()
            if "new; " in line]  # fmt: skip
    assert len(news) == 2 and news[0] == news[1] != "0"
