"""The examples in the docstrings of the client layer run and give what they show."""

import doctest
import importlib

import pytest

MODULES = [
    "ayr_analysis.config",
    "ayr_analysis.errors",
    "ayr_analysis.ratelimit",
    "ayr_analysis.client",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env
    for var in ("AYRSHARE_API_KEY", "AYRSHARE_PROFILE_KEY", "AYRSHARE_BASE_URL", "AYRSHARE_SOURCE"):
        monkeypatch.delenv(var, raising=False)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
