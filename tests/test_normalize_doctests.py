"""The >>> examples in the normaliser's and the field maps' docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    ["ayr_analysis.normalize", "ayr_analysis.platforms", "ayr_analysis.platforms._base"],
)
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
