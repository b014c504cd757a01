"""Layering: only :mod:`ayr_analysis.analysis` computes. Charts, the dashboard and the reports draw
and show its results; a statistic of metric values computed in one of them is a second copy that
can disagree with the analysis layer (an X thread ranked twice, a median over other posts...).

The check reads the source (no import) and fails on a call of ``group_by``, ``quantile``,
``median``, ``mean``, ``sum`` or ``over``, naming the file and line. Drawing-only transforms
(renaming, formatting labels, sorting rows, choosing scales) are not calls of these.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "ayr_analysis"

#: Calls that compute a statistic, or group rows to compute one.
FORBIDDEN: frozenset[str] = frozenset({"group_by", "quantile", "median", "mean", "sum", "over"})

#: Modules that must not compute (a module, or a package of modules).
SCANNED: tuple[str, ...] = ("charts", "widgets", "reports")

#: Files that still compute and are being moved onto the analysis layer. Remove a file from this
#: set once it passes; never add one.
ALLOWED_FOR_NOW: frozenset[str] = frozenset()


def sources(name: str) -> list[Path]:
    """The Python files of module ``name``: ``name.py``, or every file of package ``name/``."""
    package = PACKAGE / name
    if package.is_dir():
        return sorted(package.rglob("*.py"))
    module = PACKAGE / f"{name}.py"
    return [module] if module.is_file() else []


def computations(source: str, filename: str = "<source>") -> list[str]:
    """``"file:line: .name()"`` for every call of a :data:`FORBIDDEN` name in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in FORBIDDEN
        ):
            found.append((node.lineno, f"{filename}:{node.lineno}: .{node.func.attr}()"))
    return [text for _, text in sorted(found)]


def relative(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


ALL_FILES = [relative(p) for name in SCANNED for p in sources(name)]


def test_every_scanned_module_exists():
    for name in SCANNED:
        assert sources(name), f"ayr_analysis/{name} is gone: update SCANNED in {__file__}"


def test_the_check_finds_computations_and_ignores_words():
    code = '''
"""A docstring may say median, group_by(...) and .sum() freely."""
import polars as pl

# a comment about .mean() is fine too
def draw(frame):
    label = "median"
    by = frame.group_by("platform").agg(pl.col("likes").median())
    return frame.with_columns(share=pl.col("x") / pl.col("x").sum().over("platform"))
'''
    assert computations(code, "x.py") == [
        "x.py:8: .group_by()",
        "x.py:8: .median()",
        "x.py:9: .over()",
        "x.py:9: .sum()",
    ]


@pytest.mark.parametrize("path", ALL_FILES)
def test_drawing_layers_do_not_compute(path):
    found = computations((REPO / path).read_text(encoding="utf-8"), path)
    if path in ALLOWED_FOR_NOW:
        pytest.skip(f"{path} still computes ({len(found)} calls); it is being moved to analysis")
    assert not found, (
        f"{path} computes statistics itself; call an ayr_analysis.analysis function and draw "
        "or show its result instead:\n" + "\n".join(found)
    )


def test_allowed_files_are_scanned():
    assert set(ALLOWED_FOR_NOW) <= set(ALL_FILES), set(ALLOWED_FOR_NOW) - set(ALL_FILES)
