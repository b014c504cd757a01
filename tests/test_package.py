"""Package-level promises: nothing happens at import, the schemas are complete, the CLI answers."""

import subprocess
import sys

import polars as pl

from ayr_analysis import schema
from ayr_analysis.cli import main


def test_import_is_light_and_silent(tmp_path):
    code = (
        "import sys, ayr_analysis; "
        "heavy = [m for m in ('altair', 'ipywidgets', 'papermill', 'pandas') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
    assert out.stderr == ""
    assert list(tmp_path.iterdir()) == []  # no files written at import


def test_every_schema_builds_an_empty_frame():
    for name in ("LONG", "WIDE", "REACTIONS", "BREAKDOWNS", "ERRORS", "POSTS"):
        s = getattr(schema, f"{name}_SCHEMA")
        frame = schema.empty(s)
        assert frame.height == 0
        assert frame.schema == s


def test_wide_schema_holds_every_canonical_metric_with_its_type():
    wide = schema.WIDE_SCHEMA
    assert wide["likes"] == pl.Int64
    assert wide["watch_time_s"] == pl.Float64
    assert set(schema.CANONICAL_METRICS) <= set(wide.names())


def test_cli_version(capsys):
    assert main(["version"]) == 0
    assert capsys.readouterr().out.strip() == "0.1.0"


def test_pyproject_ships_every_subpackage_and_the_curated_notebooks():
    """The packages are listed by hand in pyproject.toml (the notebooks are mapped from the
    top-level notebooks/ folder, which a packages.find search does not see): a new subpackage
    must be listed there too, or the wheel would lack it."""
    import tomllib
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    config = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join(init.parent.relative_to(repo).parts)
        for init in (repo / "ayr_analysis").rglob("__init__.py")
    }
    assert set(config["packages"]) == on_disk | {"ayr_analysis.notebooks"}
    assert config["package-dir"] == {"ayr_analysis.notebooks": "notebooks"}
    assert (repo / "notebooks" / "__init__.py").is_file()
    assert config["package-data"]["ayr_analysis.notebooks"] == ["*.ipynb"]
    assert "py.typed" in config["package-data"]["ayr_analysis"]


def test_the_package_never_looks_for_the_repository():
    """Nothing in the package finds files relative to its own source (the repository's data/ or
    notebooks/ do not exist when installed): the notebooks are read as package resources."""
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "ayr_analysis"
    found = [
        f"{path.relative_to(package)}:{n}"
        for path in package.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "__file__" in line
    ]
    assert found == []
