"""Reports that fail, and reports given a secret: what the user sees and what stays on disk.

A failure inside a report's notebook ends in one line naming the cell's error, with the executed
notebook kept; a Profile-Key given to a report reaches its kernel by the environment and appears
in no file the report writes nor in papermill's logs (DEBUG included).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from ayr_analysis import reports
from ayr_analysis.sandbox.world import build_world

pytestmark = pytest.mark.slow


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AYRSHARE_")}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def _cell_errors(notebook: Path) -> list[str]:
    nb = nbformat.read(notebook, as_version=4)
    return [
        out["ename"]
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]


def test_a_bad_campaigns_file_ends_in_one_line_and_keeps_the_notebook(tmp_path):
    (tmp_path / "bad.toml").write_text("[[campaign]]\nname = \n")
    proc = subprocess.run(
        [sys.executable, "-m", "ayr_analysis", "report", "campaign_comparison", "-o", "out",
         "-p", "campaigns_file", "bad.toml"],
        cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-3000:]  # not papermill's 47-line traceback
    kept = tmp_path / "out" / "campaign_comparison.ipynb"
    assert lines[0].startswith(
        "ayr-analysis report: error: report campaign_comparison failed at In ["
    )
    assert "CampaignsFileError: " in lines[0] and "bad.toml" in lines[0]
    assert lines[0].endswith(f"(executed notebook kept: {kept})")
    assert _cell_errors(kept) == ["CampaignsFileError"]
    assert not (tmp_path / "out" / "campaign_comparison.html").exists()


def test_a_401_inside_a_report_is_a_clear_exception(tmp_path, monkeypatch):
    from ayr_analysis.sandbox import serve_in_thread

    for var in [v for v in os.environ if v.startswith("AYRSHARE_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.chdir(tmp_path)
    with serve_in_thread(port=0) as server:
        monkeypatch.setenv("AYRSHARE_BASE_URL", server.base_url)
        monkeypatch.setenv("AYRSHARE_API_KEY", "WRONG-KEY-0123456789")
        with pytest.raises(reports.ReportError) as info:
            reports.run_report("quickstart", {"source": "live"}, "out")
    err = info.value
    assert err.error_class == "AuthenticationError" and "401" in err.error_message
    assert err.notebook == tmp_path / "out" / "quickstart.ipynb"
    assert "\n" not in str(err) and str(err).endswith(f"(executed notebook kept: {err.notebook})")
    assert err.__cause__ is None and err.__suppress_context__  # no papermill traceback below
    assert _cell_errors(err.notebook) == ["AuthenticationError"]
    assert "WRONG-KEY" not in str(err) + err.notebook.read_text()


def test_a_store_that_cannot_be_made_ends_in_one_line(tmp_path):
    (tmp_path / "a-file").write_text("")
    proc = subprocess.run(
        [sys.executable, "-m", "ayr_analysis", "report", "live_monitor", "-o", "out",
         "-p", "store_path", "a-file/store"],
        cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-3000:]
    assert "report live_monitor failed at In [" in lines[0]
    assert str(tmp_path / "a-file" / "store") in lines[0]  # the store, named absolute
    assert (tmp_path / "out" / "live_monitor.ipynb").is_file()


def _files_holding(folder: Path, secrets: list[str]) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for s in secrets:
                if s.encode() in data or s.encode("utf-16-le") in data:
                    found.append(f"{path.relative_to(folder)}: {s}")
    return found


@pytest.fixture
def debug_log(tmp_path):
    """Every logger at DEBUG into a file (papermill's, nbclient's, the package's)."""
    path = tmp_path / "debug.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def test_a_profile_key_is_in_no_file_and_no_log(tmp_path, monkeypatch, debug_log):
    key = build_world(7).profiles[1].profile_key  # a demo profile: the report succeeds
    secrets = [key, key[-6:]]
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "reports"
    nb, html = reports.run_report("quickstart", {"profile_key": key}, out)
    executed = nb.read_text()
    assert "DEMO" in html.read_text() and "profile 1" in executed  # the posts, by their label
    assert _files_holding(tmp_path, secrets) == []  # the log, the notebook, the HTML, the charts
    assert "injected-parameters" in executed and "Executing" in debug_log.read_text()
    assert reports.PROFILE_KEYS_ENV not in os.environ  # handed to the kernel only

    # a key the demo does not know: the report fails, and the key is nowhere either
    fake = "PK-FAKE-7QX9Z-DISTINCT"
    with pytest.raises(reports.ReportError) as info:
        reports.run_report("quickstart", {"profile_key": fake}, out)
    assert info.value.error_class == "PermissionDeniedError"
    assert fake not in str(info.value)
    assert _files_holding(tmp_path, [fake, fake[-6:]]) == []


def test_the_readme_campaign_example_runs_from_an_unrelated_folder(tmp_path):
    """`ayr-analysis report campaign_comparison -p campaigns_file my_campaigns.toml` (README),
    run from a folder of the user's: the relative file is read from there, and the executed
    notebook names it by its absolute path (demo data here: live needs a key)."""
    work = tmp_path / "somewhere" / "else"
    work.mkdir(parents=True)
    (work / "my_campaigns.toml").write_text(
        '[[campaign]]\nname = "only-reels"\nhashtags = ["reels"]\n'
        '[[campaign]]\nname = "only-tips"\nhashtags = ["tips"]\n'
    )
    proc = subprocess.run(
        [sys.executable, "-m", "ayr_analysis", "report", "campaign_comparison",
         "-p", "campaigns_file", "my_campaigns.toml", "-o", "out"],
        cwd=work, env=_clean_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    nb = nbformat.read(work / "out" / "campaign_comparison.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert f'campaigns_file = "{work / "my_campaigns.toml"}"' in injected.source
    html = (work / "out" / "campaign_comparison.html").read_text()
    assert "only-reels" in html and "only-tips" in html  # the user's campaigns were read
    assert _cell_errors(work / "out" / "campaign_comparison.ipynb") == []
