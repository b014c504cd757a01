"""Every ``>>>`` example in the package's docstrings runs and gives what it shows.

Examples run on the demo sandbox (no key, no network) in an empty working folder.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import ayr_analysis

# modules whose examples need the optional notebook tools are included: `make test` installs them
MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(ayr_analysis.__path__, prefix="ayr_analysis.")
    if not m.name.endswith("__main__")
)
# modules that must carry runnable examples (public functions live there)
MUST_HAVE_EXAMPLES = {
    "ayr_analysis.api",
    "ayr_analysis.campaigns",
    "ayr_analysis.client",
    "ayr_analysis.config",
    "ayr_analysis.metrics",
    "ayr_analysis.normalize",
    "ayr_analysis.store",
    "ayr_analysis.tracking",
}


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env, nothing written into the checkout
    for var in [v for v in __import__("os").environ if v.startswith("AYRSHARE_")]:
        monkeypatch.delenv(var)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if name in MUST_HAVE_EXAMPLES:
        assert result.attempted > 0
