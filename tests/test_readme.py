"""The README's Python examples run as written, on the demo sandbox, from a clean folder."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: the ```python blocks; a ```py block is shown, not run: the Spark example (its reading of the
#: store is checked by tests/test_engines.py, which starts one Spark session for the whole run)
BLOCKS = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)
#: examples that record the whole demo world's history (half a minute each) are slow
INDEXES = [
    pytest.param(i, marks=pytest.mark.slow) if "demo_store(" in block else i
    for i, block in enumerate(BLOCKS)
]


@pytest.mark.parametrize("index", INDEXES)
def test_readme_python_example_runs(index, tmp_path, monkeypatch):
    (tmp_path / "data").symlink_to(REPO / "data")  # examples name data/campaigns.toml
    monkeypatch.chdir(tmp_path)
    for var in [v for v in os.environ if v.startswith("AYRSHARE_")]:
        monkeypatch.delenv(var)
    namespace: dict = {"__name__": "__readme__"}
    exec(compile(BLOCKS[index], f"README.md block {index}", "exec"), namespace)


@pytest.mark.slow
def test_readme_tracking_example_ranks_the_demo_campaigns(tmp_path, monkeypatch, capsys):
    block = next(b for b in BLOCKS if "compare(" in b)
    (tmp_path / "data").symlink_to(REPO / "data")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    table = namespace["result"].table.sort("rank")
    assert table["group"].to_list() == ["reel-rush", "dev-tips"]
    assert (table["n"] > 30).all()  # both campaigns compared at 24 h
    assert (tmp_path / "campaigns_at_24h.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "snapshots" / "demo" / "wide").is_dir()
    # the recorded history already holds the numbers as of the demo world's now, and its errors
    # table the stories' permanent refusals and the schedule of the pending posts: the tracker
    # asks nothing and stores nothing twice
    run = namespace["run"]
    assert run.requests == 0 and run.snapshots == 0
    assert run.saved["permanent"] > 0 and run.saved["scheduled"] == 3
    assert namespace["frames"].wide["published_at"].null_count() == 0
