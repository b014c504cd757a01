"""Shared fixtures. The default run needs no network and no API key."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

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
