"""The package as a user gets it: the wheel, installed with its ``notebooks`` extra (from the
package index) into a fresh virtual environment outside the repository, used from a folder that
is not the repository. Nothing here may find the checkout: the reports run the notebooks shipped
in the wheel, the demo campaigns come from the demo world, settings from the working folder.

The wheel is built from a copy of the sources (no stale ``build/`` of the checkout can leak into
it). The reports run in the background while the other commands are tried.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ayr_analysis.reports import CURATED_REPORTS
from ayr_analysis.sandbox import DEMO_API_KEY

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parent.parent
#: What a wheel is built from (pyproject.toml's packages, package-dir, readme and license).
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "ayr_analysis", "notebooks")
#: Charts each curated report shows (at least), as in test_notebooks.py.
EXPECTED_CHARTS = {
    "quickstart": 1,
    "engagement_analysis": 5,
    "campaign_comparison": 3,
    "post_performance": 2,
}
#: What ipykernel and jupyter_client print when a kernel's channel is not encrypted or its
#: connection file is not private: none of it may reach the user's terminal. (Not checked: an
#: ERROR "KeyboardInterrupt caught in kernel." that a loaded machine may show at the end of a
#: report, when papermill's closing kernel_info request is still being handled as
#: jupyter_client interrupts the kernel before shutting it down.)
KERNEL_WARNINGS = ("without encryption", "insecure", "[IPKernelApp] WARNING")
SVG_OUTPUT = re.compile(
    r'data-mime-type="image/svg\+xml"[^>]*>\s*<img[^>]*src="data:image/svg\+xml;base64,([^"]+)"'
)


@dataclass
class Installed:
    venv: Path
    work: Path  # the user's folder: outside the repository and the virtual environment
    env: dict[str, str]
    reports: subprocess.Popen  # `ayr-analysis report all -o out`, started after installing

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def run(self, *argv: str, cwd: Path | None = None, timeout: float = 120):
        return subprocess.run(
            argv, cwd=cwd or self.work, env=self.env, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip


def _check(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, (proc.args, proc.stdout[-2000:], proc.stderr[-3000:])
    return proc


@pytest.fixture(scope="module")
def installed():
    # the system's temporary folder: outside the repository whatever pytest's basetemp is
    base = Path(tempfile.mkdtemp(prefix="ayr-installed-"))
    try:
        assert REPO not in base.resolve().parents
        src = base / "src"
        for name in SOURCES:
            origin = REPO / name
            if origin.is_dir():
                ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
                shutil.copytree(origin, src / name, ignore=ignore)
            else:
                src.mkdir(exist_ok=True)
                shutil.copy2(origin, src / name)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AYRSHARE_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}  # fmt: skip
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
        dist = base / "dist"
        _check(subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(src)],
            cwd=base, env=env, capture_output=True, text=True, timeout=600,
        ))  # fmt: skip
        (wheel,) = dist.glob("ayr_analysis-*.whl")
        # no pip inside (the one running the tests installs into it) and no .pyc compiled ahead
        # (only what runs gets compiled): the same environment, in a fraction of the time
        venv = base / "venv"
        _check(subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)],
                              env=env, capture_output=True, text=True, timeout=300))  # fmt: skip
        _check(subprocess.run(
            [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
             "--quiet", "--no-compile", f"{wheel}[notebooks]"],
            cwd=base, env=env, capture_output=True, text=True, timeout=900,
        ))  # fmt: skip
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        work = base / "work"
        (work / "reports").mkdir(parents=True)
        reports = subprocess.Popen(
            [str(venv / "bin" / "ayr-analysis"), "report", "all", "-o", "out"],
            cwd=work / "reports", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            yield Installed(venv=venv, work=work, env=env, reports=reports)
        finally:
            if reports.poll() is None:
                reports.kill()
                reports.communicate()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_the_installed_package_is_the_wheel_with_its_notebooks(installed):
    code = (
        "import json, ayr_analysis\n"
        "from ayr_analysis import reports\n"
        "print(json.dumps({'module': ayr_analysis.__file__, 'reports': reports.available_reports(),"
        " 'notebooks': str(reports.notebooks_dir())}))\n"
    )
    found = json.loads(_check(installed.run(installed.bin("python"), "-c", code)).stdout)
    site = installed.venv / "lib"
    assert site in Path(found["module"]).parents
    assert site in Path(found["notebooks"]).parents
    assert set(CURATED_REPORTS) | {"live_monitor"} <= set(found["reports"])
    assert not any(p.endswith(".py") for p in found["reports"])


def test_notebooks_command_copies_the_curated_notebooks(installed):
    proc = _check(installed.run(installed.bin("ayr-analysis"), "notebooks", "nb"))
    copied = sorted(p.name for p in (installed.work / "nb").iterdir())
    assert copied == sorted(f"{n}.ipynb" for n in (*CURATED_REPORTS, "live_monitor"))
    assert all(f"nb/{name}" in proc.stdout for name in copied)
    again = installed.run(installed.bin("ayr-analysis"), "notebooks", "nb")
    assert again.returncode == 2 and "--force" in again.stderr
    _check(installed.run(installed.bin("ayr-analysis"), "notebooks", "nb", "--force"))


def test_sandbox_serves_the_analytics_endpoint(installed):
    server = subprocess.Popen(
        [installed.bin("ayr-analysis"), "sandbox", "--port", "0"],
        cwd=installed.work, env=installed.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        first = server.stdout.readline()
        match = re.search(r"serving on (http://127\.0\.0\.1:\d+/api)", first)
        assert match, first
        with httpx.Client(base_url=match.group(1), trust_env=False, timeout=30,
                          headers={"Authorization": f"Bearer {DEMO_API_KEY}"}) as http:  # fmt: skip
            history = http.get("/history", params={"limit": 5}).json()["history"]
            post = next(p for p in history if p["status"] == "success")
            network = next(n for n in post["platforms"] if n != "twitter")  # X needs BYO keys
            answer = http.post("/analytics/post", json={"id": post["id"], "platforms": [network]})
        assert answer.status_code == 200
        body = answer.json()
        assert body["status"] == "success" and body["id"] == post["id"]
        entry = body[network][0] if isinstance(body[network], list) else body[network]
        assert entry["analytics"] and entry["lastUpdated"] < entry["nextUpdate"]
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C: what a user does
        try:
            server.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()


def test_readme_first_script_and_demo_campaigns_run(installed):
    readme = (REPO / "README.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.S)
                 if "ayr.fetch_post_analytics(" in b)  # fmt: skip
    folder = installed.work / "script"
    folder.mkdir()
    (folder / "first_look.py").write_text(block)
    proc = _check(installed.run(installed.bin("python"), "first_look.py", cwd=folder))
    assert "likes" in proc.stdout and "impressions" in proc.stdout
    assert "DEMO data" in proc.stderr  # no key: the demo sandbox, saying so
    # the Install section: demo-data writes the campaigns file the examples name
    _check(installed.run(installed.bin("ayr-analysis"), "demo-data", "--out", "data", cwd=folder))
    listed = _check(installed.run(installed.bin("ayr-analysis"), "campaigns", cwd=folder)).stdout
    assert "reel-rush" in listed and "OK in data/campaigns.toml" in listed


def test_report_all_from_the_users_folder(installed):
    """Runs last: `ayr-analysis report all -o out`, started after installing, is collected."""
    stdout, stderr = installed.reports.communicate(timeout=600)
    assert installed.reports.returncode == 0, (stdout[-2000:], stderr[-3000:])
    for warning in KERNEL_WARNINGS:
        assert warning not in stderr, stderr[-3000:]
    out = installed.work / "reports" / "out"
    for name in CURATED_REPORTS:
        html = (out / f"{name}.html").read_text(encoding="utf-8")
        assert str(out / f"{name}.html") in stdout
        charts = [base64.b64decode(m).decode() for m in SVG_OUTPUT.findall(html)]
        vega = [svg for svg in charts if svg.startswith("<svg") and 'class="marks"' in svg]
        assert len(vega) >= EXPECTED_CHARTS[name], (name, len(charts), len(vega))
        assert "DEMO" in html and "<script src=" not in html.replace("'", '"')
    # the demo campaigns came from the demo world, into the output folder; nothing else written
    assert "reel-rush" in (out / "campaigns.toml").read_text()
    assert [p.name for p in (installed.work / "reports").iterdir()] == ["out"]
