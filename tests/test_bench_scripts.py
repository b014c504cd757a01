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
    for what in ("the demo history", "the demo history + a tenth new"):
        assert f"| append {what}, baseline: every stored key of its posts " in out
        assert f"| append {what}: the stored keys of its posts at its times " in out
        assert f"| append {what}: ours / baseline " in out
    # both ways found the same store (the files written are removed after each) and drop the
    # same rows; the second append holds a tenth more rows, all new (the smoke store holds a
    # part of the demo history only: in the big store, the first one writes nothing)
    counts = [(int(r.replace(",", "")), int(n.replace(",", ""))) for line in out.splitlines()
              if "new; " in line
              for r, n in [line.split("| ")[-1].split(" new")[0].split(" rows, ")]]  # fmt: skip
    assert len(counts) == 4
    assert counts[0] == counts[1] and counts[2] == counts[3]
    assert counts[2][1] - counts[0][1] == counts[2][0] - counts[0][0] > 0
