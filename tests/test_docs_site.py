"""The documentation site (``make docs``): it builds offline with ``mkdocs build --strict``, so a
broken link, a missing page or a docstring mkdocstrings cannot read fails the suite; its pages hold
the README, the notes in docs/ and the API reference; links between repository files become links
between pages."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.mark.slow
def test_the_site_builds_strictly_with_every_page(site):
    for page in ("index.html", "METRICS/index.html", "CAMPAIGNS/index.html",
                 "PERFORMANCE/index.html", "RELIABILITY/index.html", "benchmarks/index.html",
                 "contributing/index.html", "reference/index.html"):  # fmt: skip
        assert (site / page).is_file(), page
    index = (site / "index.html").read_text()
    assert "Quickstart" in index and 'href="METRICS/"' in index
    assert 'href="docs/' not in index  # repository links became site links
    assert "Layers" in (site / "contributing" / "index.html").read_text()


@pytest.mark.slow
def test_the_reference_documents_the_public_api_from_its_docstrings(site):
    def page(name: str) -> str:
        return (site / "reference" / name / "index.html").read_text()

    assert 'id="ayr_analysis.client.AyrshareClient"' in page("client")
    assert 'id="ayr_analysis.api.fetch_post_analytics"' in page("api")
    assert 'id="ayr_analysis.normalize.normalize"' in page("normalize")
    assert 'id="ayr_analysis.tracking.track"' in page("tracking")
    assert 'id="ayr_analysis.sandbox.history.demo_store"' in page("sandbox")
    store = page("store")
    # doctest examples shown as highlighted console code (prompts), not as nested quotes
    assert 'class="gp"' in store and "<blockquote" not in store
    assert ":class:" not in store and ":func:" not in store  # Sphinx roles became links


@pytest.mark.slow
def test_nothing_in_the_site_loads_from_the_web(site):
    for path in site.rglob("*.html"):
        text = path.read_text()
        assert "fonts.googleapis.com" not in text, path
        assert '<script src="http' not in text, path


def test_repository_links_become_page_links():
    hooks = _load("docs_hooks", REPO / "docs" / "_hooks.py")
    hooks.PAGES["docs/METRICS.md"] = "METRICS.md"
    line = "see [m](docs/METRICS.md#glossary), [b](bench/README.md) and [x](https://x.org/a.md)"
    assert hooks._rewrite(line, "README.md", "index.md") == (
        "see [m](METRICS.md#glossary), [b](benchmarks.md) and [x](https://x.org/a.md)"
    )
    assert hooks._rewrite("[b](../bench/README.md)", "docs/PERFORMANCE.md", "PERFORMANCE.md") == (
        "[b](benchmarks.md)"
    )
    # a file the site does not show is left as it is: the strict build reports it
    assert hooks._rewrite("[d](data/README.md)", "README.md", "index.md") == "[d](data/README.md)"


def test_doctest_examples_are_fenced_and_prose_is_not():
    ext = _load("docs_griffe", REPO / "docs" / "_griffe.py")
    text = "Intro.\n\n>>> 1 + 1\n2\n\nAfter.\n\n```python\n>>> kept\n```"
    assert ext.fence_doctests(text) == (
        "Intro.\n\n```pycon\n>>> 1 + 1\n2\n```\n\nAfter.\n\n```python\n>>> kept\n```"
    )
