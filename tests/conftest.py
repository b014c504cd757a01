"""Shared fixtures, and the kind of every test. The default run needs no network and no API key.

Every test file is of exactly one kind, and each of its tests carries that kind's marker:

``unit``
    one layer in process: frames, analysis, charts, widgets driven headless, the client against
    the in-process sandbox transport. A test may start a fresh interpreter to check what an
    import does, nothing more.
``integration``
    pieces together the way a user runs them: over HTTP to the sandbox server, the CLI in a
    subprocess, the whole demo world recorded through client, normaliser and store, the README's
    examples, the benchmark scripts, a built wheel.
``notebooks``
    notebooks executed with papermill (and the HTML reports made from them).
``browser``
    a real headless chromium driving a page.

The kind of a file comes from, in this order: the folder it is in when that folder is named after
a kind (``tests/unit/...``); :data:`TEST_KINDS` below; the words of its name (:data:`NAME_RULES`:
``browser``, ``notebook``, or ``http``, ``cli``, ``subprocess``, ``installed``, ``integration``,
``e2e`` for ``integration``); otherwise ``unit``. A new file therefore runs in the inner loop
unless its name says otherwise: add it to :data:`TEST_KINDS` when the rule is wrong for it.
``slow`` and ``browser`` may also be put on single tests (a notebook test that opens its report
in chromium is both ``notebooks`` and ``browser``). The end of each run prints how many tests of
each kind ran (or were skipped).

``make test`` runs every kind; ``make test-fast`` leaves out notebooks, browser and slow tests.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent

#: The kinds of test, in the order the summary lists them.
KINDS: tuple[str, ...] = ("unit", "integration", "notebooks", "browser")

#: The kind of each test file whose kind is not given by its folder. One entry per file.
TEST_KINDS: dict[str, str] = {
    "test_analysis.py": "unit",
    "test_api.py": "unit",
    "test_campaigns.py": "unit",
    "test_charts.py": "unit",
    "test_client.py": "unit",
    "test_config.py": "unit",
    "test_docstrings.py": "unit",
    "test_errors.py": "unit",
    "test_fuzz_structured.py": "unit",
    "test_history_pages.py": "unit",
    "test_layering.py": "unit",
    "test_metrics.py": "unit",
    "test_normalize.py": "unit",
    "test_normalize_fields.py": "unit",
    "test_normalize_history.py": "unit",
    "test_normalize_hypothesis.py": "unit",
    "test_normalize_name.py": "unit",
    "test_package.py": "unit",
    "test_pandas_interop.py": "unit",
    "test_platforms.py": "unit",
    "test_profiles_pacing.py": "unit",
    "test_ratelimit.py": "unit",
    "test_reports.py": "unit",
    "test_sandbox_protocol.py": "unit",
    "test_sandbox_quirks.py": "unit",
    "test_sandbox_world.py": "unit",
    "test_seams.py": "unit",
    "test_store.py": "unit",
    "test_test_kinds.py": "unit",
    "test_widgets.py": "unit",
    "test_bad_input.py": "integration",
    "test_bench_scripts.py": "integration",
    "test_demo_comparison.py": "integration",
    "test_demo_store.py": "integration",
    "test_docs_site.py": "integration",
    "test_types.py": "integration",
    "test_durability.py": "integration",
    "test_engines.py": "integration",
    "test_faults.py": "integration",
    "test_installed.py": "integration",
    "test_readme.py": "integration",
    "test_sandbox_http.py": "integration",
    "test_secrets.py": "integration",
    "test_store_s3.py": "integration",
    "test_scale_e2e.py": "integration",
    "test_tracking.py": "integration",
    "test_caveat_notebooks.py": "notebooks",
    "test_live_monitor_notebook.py": "notebooks",
    "test_notebooks.py": "notebooks",
    "test_post_performance_notebook.py": "notebooks",
    "test_dashboard_browser.py": "browser",
}

#: Files all of whose tests are slow, whoever writes them (a wheel build and install).
SLOW_FILES: frozenset[str] = frozenset({"test_installed.py"})

#: Words of a file name (between underscores) that give its kind when neither its folder nor
#: TEST_KINDS do: ``test_sandbox_http_paging.py`` is an integration test, ``test_client_x.py`` not.
NAME_RULES: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"browser"}), "browser"),
    (frozenset({"notebook", "notebooks"}), "notebooks"),
    (frozenset({"http", "cli", "subprocess", "installed", "integration", "e2e"}), "integration"),
)


def kind_of(path: Path) -> str:
    """The kind of the test file at ``path`` (see the module's docstring for the rule)."""
    path = Path(path)
    try:
        parts = path.resolve().relative_to(TESTS).parts[:-1]
    except ValueError:
        parts = ()
    for part in parts:
        if part in KINDS:
            return part
    if path.name in TEST_KINDS:
        return TEST_KINDS[path.name]
    words = set(path.stem.split("_"))
    for names, kind in NAME_RULES:
        if words & names:
            return kind
    return "unit"


#: Markers of the tests that take long: their files run first (:func:`heavy_first`).
HEAVY_MARKERS: tuple[str, ...] = ("slow", "notebooks", "browser")


def heavy_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """The files holding a slow, notebook or browser test first, then the others; each file's
    tests kept together and in their order.

    ``make test`` hands whole files to its workers in this order (``--dist loadfile
    --no-loadscope-reorder``): the long files start at once and the many short ones fill in at
    the end, instead of one worker finishing a long file alone.
    """
    heavy = {
        str(item.path)
        for item in items
        if any(item.get_closest_marker(name) is not None for name in HEAVY_MARKERS)
    }
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        first.setdefault(str(item.path), index)
    # stable: a file's tests keep their order
    return sorted(items, key=lambda item: (str(item.path) not in heavy, first[str(item.path)]))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each test's kind (and ``slow`` for :data:`SLOW_FILES`); then the long files first."""
    for item in items:
        path = Path(str(item.path))
        item.add_marker(kind_of(path))
        if path.name in SLOW_FILES:
            item.add_marker("slow")
    items[:] = heavy_first(items)


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    """One line: how many of the tests that ran were of each kind."""
    counts: Counter[str] = Counter()
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) == "call" or (
                getattr(report, "when", None) == "setup" and not report.passed
            ):
                counts[kind_of(config.rootpath / report.nodeid.split("::")[0])] += 1
    if counts:
        line = ", ".join(f"{counts[kind]} {kind}" for kind in KINDS)
        terminalreporter.write_line(f"tests by kind: {line}")


#: Where screenshots and other artefacts of browser tests are kept (git-ignored).
ARTIFACTS = REPO / "test-artifacts"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """Debian's chromium (Playwright cannot download its own browser here)."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser():
    """A headless Debian chromium driven by Playwright.

    Module-scoped: Playwright's sync API keeps an asyncio loop running in the main thread while
    it is open, which would break every later test that calls ``asyncio.run``.

    Skipped (with the reason) only where chromium is not installed; `.ci/run` installs it with
    apt-get, so in CI this test always runs.
    """
    path = chromium_path()
    if path is None:
        pytest.skip(
            "chromium is not installed on this machine (sudo apt-get install chromium); "
            "CI installs it, so the real-browser checks run there"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# --------------------------------------------------------------------------- curated reports


def run_report_cli(name: str, params: dict[str, str], out: Path) -> subprocess.CompletedProcess:
    """``ayr-analysis report NAME -o OUT -p KEY VALUE ...`` in a subprocess run in ``out``, on
    the demo sandbox (no ``AYRSHARE_*`` variable of this environment reaches it)."""
    cmd = [sys.executable, "-m", "ayr_analysis", "report", name, "-o", str(out)]
    for key, value in params.items():
        cmd += ["-p", key, value]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AYRSHARE_")}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=out)


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (created if missing), held between processes."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def default_report(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Callable[[str], tuple[subprocess.CompletedProcess, Path, float]]:
    """A function: a curated report's name -> (the completed ``ayr-analysis report NAME``
    with its default parameters, its output folder, the seconds it took).

    Each report runs once per test run, whichever tests and workers ask for it: the first
    asker runs it under a file lock in the run's shared temporary folder, the others wait and
    read the same outputs. The outputs are shared: read them, do not change them.
    """
    root = tmp_path_factory.getbasetemp()
    if hasattr(pytestconfig, "workerinput"):  # a pytest-xdist worker: its folder is in the run's
        root = root.parent
    shared = root / "default-reports"
    shared.mkdir(exist_ok=True)

    def run(name: str) -> tuple[subprocess.CompletedProcess, Path, float]:
        out, record = shared / name, shared / f"{name}.json"
        with _exclusive(shared / f"{name}.lock"):
            if not record.exists():
                out.mkdir()
                started = time.monotonic()
                proc = run_report_cli(name, {}, out)
                done = {"args": proc.args, "returncode": proc.returncode, "stdout": proc.stdout,
                        "stderr": proc.stderr, "seconds": time.monotonic() - started}  # fmt: skip
                record.write_text(json.dumps(done), encoding="utf-8")
        done = json.loads(record.read_text(encoding="utf-8"))
        proc = subprocess.CompletedProcess(
            done["args"], done["returncode"], done["stdout"], done["stderr"]
        )
        return proc, out, done["seconds"]

    return run
