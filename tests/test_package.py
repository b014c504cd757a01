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
