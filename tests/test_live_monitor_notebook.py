"""notebooks/live_monitor.ipynb runs headless top to bottom (papermill), on the demo sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "live_monitor.ipynb"


def test_committed_without_outputs_and_with_a_parameters_cell():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and 'source = "demo"' in tagged[0].source


@pytest.mark.slow
def test_runs_headless_and_tracks_into_the_store(tmp_path, monkeypatch):
    import papermill

    for var in [v for v in __import__("os").environ if v.startswith("AYRSHARE_")]:
        monkeypatch.delenv(var)
    store = tmp_path / "snaps"
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"store_path": str(store), "tracking_seconds": 30.0},
        cwd=str(NOTEBOOK.parent),
        progress_bar=False,
        kernel_name="python3",
    )
    nb = nbformat.read(out, as_version=4)
    text = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "application/vnd.jupyter.widget-view+json" in text  # the dashboard was displayed
    assert "tracking stopped" in text and "stopped by request" in text
    assert "Traceback" not in text and "\\u26a0" not in text
    from ayr_analysis import SnapshotStore

    summary = SnapshotStore(store).summary()
    wide = summary.filter(summary["table"] == "wide").row(0, named=True)
    assert wide["rows"] > 0 and wide["posts"] > 0
    assert SnapshotStore(store).source == "demo"
