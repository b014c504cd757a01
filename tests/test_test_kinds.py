"""Every test is of exactly one kind (unit, integration, notebooks, browser), given by its file
(the rule is in tests/conftest.py), and the kinds are registered markers."""

from __future__ import annotations

import tomllib
from pathlib import Path

from conftest import KINDS, TEST_KINDS, kind_of

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
