"""Every test is of exactly one kind (unit, integration, notebooks, browser), given by its file
(the rule is in tests/conftest.py), and the kinds are registered markers."""

from __future__ import annotations

import tomllib
from pathlib import Path

from conftest import KINDS, TEST_KINDS, heavy_first, kind_of

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


def test_every_test_file_has_one_known_kind():
    files = sorted(TESTS.rglob("test_*.py"))
    assert files
    for path in files:
        assert kind_of(path) in KINDS, path
    assert set(TEST_KINDS.values()) <= set(KINDS)


def test_unmapped_files_get_a_kind_from_their_folder_or_name():
    assert kind_of(TESTS / "browser" / "test_anything.py") == "browser"
    assert kind_of(TESTS / "integration" / "test_normalize.py") == "integration"
    assert kind_of(TESTS / "test_report_notebooks_new.py") == "notebooks"
    assert kind_of(TESTS / "test_sandbox_http_new.py") == "integration"
    assert kind_of(TESTS / "test_something_new.py") == "unit"
    assert kind_of(TESTS / "test_client_transport_new.py") == "unit"  # words, not letters
    assert kind_of(TESTS / "test_cli_new.py") == "integration"


def test_the_kinds_are_registered_markers():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    markers = config["tool"]["pytest"]["ini_options"]["markers"]
    registered = {line.split(":", 1)[0] for line in markers}
    assert set(KINDS) | {"slow"} <= registered


def test_each_collected_test_carries_exactly_one_kind(request):
    for item in request.session.items:
        kinds = {m.name for m in item.iter_markers() if m.name in KINDS}
        expected = {kind_of(Path(str(item.path)))}
        if item.get_closest_marker("browser") is not None:
            expected.add("browser")  # a notebook test that also drives chromium
        assert kinds == expected, item.nodeid


class _Item:
    """What heavy_first reads of a collected test: its file and its markers."""

    def __init__(self, path: str, name: str, *marks: str) -> None:
        self.path, self.name, self.marks = Path(path), name, marks

    def get_closest_marker(self, name: str) -> str | None:
        return name if name in self.marks else None


def test_files_with_long_tests_are_handed_out_first_and_whole():
    items = [
        _Item("a.py", "a1"), _Item("b.py", "b1"), _Item("b.py", "b2", "slow"),
        _Item("c.py", "c1", "notebooks"), _Item("d.py", "d1"), _Item("e.py", "e1", "browser"),
        _Item("b.py", "b3"),
    ]  # fmt: skip
    ordered = [item.name for item in heavy_first(items)]  # type: ignore[arg-type]
    # b, c and e hold a long test: first, each whole and in its order; then a and d as collected
    assert ordered == ["b1", "b2", "b3", "c1", "e1", "a1", "d1"]
