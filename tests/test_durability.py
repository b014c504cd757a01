"""Durability: a real ``ayr-analysis track`` process killed with SIGKILL mid-run, twice, then run
to a clean end on the same store. After each kill the store reads, holds no duplicate key (per
``TABLE_KEYS``) and keeps every row it held before.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from ayr_analysis.config import ENV_VARS
from ayr_analysis.store import TABLE_KEYS, SnapshotStore

pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS.values()}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _start(store: Path, cwd: Path, *extra: str) -> subprocess.Popen:
    argv = [sys.executable, "-m", "ayr_analysis", "track", "--last-days", "30", "--store",
            str(store), "--demo-speed", "3600", "--quiet", *extra]  # fmt: skip
    return subprocess.Popen(
        argv, cwd=cwd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _files(store: Path) -> int:
    """Snapshot files written so far (the history rows of the posts are written first)."""
    return sum(1 for _ in store.glob("wide/**/*.parquet"))


def _wait_for_files(proc: subprocess.Popen, store: Path, more_than: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _files(store) <= more_than:
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"track ended before writing (code {proc.returncode}): {err[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("track wrote nothing in time")
        time.sleep(0.02)


def _snapshot(store: Path) -> dict[str, pl.DataFrame]:
    s = SnapshotStore(store)
    tables = {name: s.read(name) for name in TABLE_KEYS}
    for name, frame in tables.items():
        keys = list(TABLE_KEYS[name])
        dups = frame.height - frame.unique(subset=keys).height
        assert dups == 0, f"{name}: {dups} duplicate rows by {keys}"
    return tables


def _assert_kept(before: dict[str, pl.DataFrame], after: dict[str, pl.DataFrame]) -> None:
    for name, old in before.items():
        new = after[name]
        assert new.height >= old.height, name
        lost = old.join(new, on=old.columns, how="anti", nulls_equal=True)
        assert lost.height == 0, f"{name}: {lost.height} rows lost after the restart"


def test_track_killed_with_sigkill_twice_then_restarted(tmp_path):
    store = tmp_path / "store"
    history: list[dict[str, pl.DataFrame]] = []
    for cycle, pause in enumerate((0.15, 0.4)):
        proc = _start(store, tmp_path)
        _wait_for_files(proc, store, more_than=_files(store), timeout=60)
        time.sleep(pause)  # let it get into the next batch, then kill it wherever it is
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL, f"cycle {cycle}: not killed"
        tables = _snapshot(store)
        assert tables["wide"].height > 0
        if history:
            _assert_kept(history[-1], tables)
        history.append(tables)
    # a clean run on the same store finishes and keeps everything
    proc = _start(store, tmp_path, "--rounds", "1")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    assert "tracking ended" in out
    final = _snapshot(store)
    _assert_kept(history[-1], final)
    _assert_kept(history[0], final)
    # hidden temporary files of a killed write are never read as data
    summary = SnapshotStore(store).summary()
    assert summary["rows"].sum() == sum(f.height for f in final.values())
    print(
        "\nrows after kill 1, kill 2, clean restart:",
        [sum(f.height for f in t.values()) for t in (*history, final)],
        "stray temp files:",
        int(summary["stray_temp_files"].sum()),
    )
