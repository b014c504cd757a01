"""One source per fact: each is imported from its one home, and its old copies are gone.

* the Ayrshare error-code table: :data:`ayr_analysis.errors.ERROR_CODES`, read by the client's
  errors and by the normaliser's errors frame, and shown in docs/METRICS.md;
* the key columns, the snapshot times, the rate bases and the default ages: :mod:`ayr_analysis.schema`;
* the follower count of each network: :func:`ayr_analysis.analysis.followers_by_network`;
* the wide columns of the normaliser: made in one place, for small batches as for large ones.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import polars as pl
import pytest

import ayr_analysis
from ayr_analysis import errors, schema
from ayr_analysis.analysis import followers_by_network
from ayr_analysis.errors import (
    ERROR_CODES,
    LASTING,
    ErrorCode,
    NotFoundError,
    error_from_response,
    is_retryable,
)
from ayr_analysis.normalize import normalize, normalize_social

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "ayr_analysis"
MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(ayr_analysis.__path__, prefix="ayr_analysis.")
    if not m.name.endswith("__main__")
)


def package_sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def relative(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


# --------------------------------------------------------------------------- error codes


def test_no_other_module_keeps_error_code_semantics():
    for name in MODULES:
        module = importlib.import_module(name)
        for old in ("NON_RETRYABLE_CODES", "RETRYABLE_CODES", "_retryable", "_code_class"):
            assert not hasattr(module, old), f"{name}.{old} is a second copy of ERROR_CODES"
    assert not hasattr(errors, "_HINTS")


def test_every_entry_says_how_long_its_answer_lasts():
    for code, entry in ERROR_CODES.items():
        assert isinstance(entry, ErrorCode) and entry.code == code
        assert entry.lasting in LASTING
        assert entry.retryable is (entry.lasting in ("retry_after", "retry_now"))
        assert entry.source in ("reference", "example", "sandbox")
        assert issubclass(entry.error_class, errors.AyrshareError)
    # the cases the reference describes
    assert ERROR_CODES[485].lasting == "permanent"  # story expired
    assert ERROR_CODES[186].lasting == "permanent"  # not an Ayrshare post id
    assert ERROR_CODES[435].lasting == "retry_after"  # Instagram's delay in details
    assert {ERROR_CODES[c].lasting for c in (156, 161, 272, 419)} == {"until_fixed"}


@pytest.mark.parametrize("code", sorted(ERROR_CODES))
def test_the_client_and_the_errors_frame_read_the_same_entry(code):
    entry = ERROR_CODES[code]
    err = error_from_response(200, {"status": "error", "code": code, "message": "m"})
    assert type(err) is entry.error_class
    assert err.retryable is entry.retryable
    assert err.hint == entry.hint
    frames = normalize({"id": "p1", "facebook": {"status": "error", "code": code, "message": "m"}})
    assert frames.errors.select("code", "retryable").row(0) == (code, entry.retryable)
    assert is_retryable(code, None) is entry.retryable


def test_a_changed_entry_changes_both_readers(monkeypatch):
    monkeypatch.setitem(
        ERROR_CODES, 9001, ErrorCode(9001, "a test code", NotFoundError, "retry_now", "try again")
    )
    err = error_from_response(200, {"status": "error", "code": 9001, "message": "m"})
    assert type(err) is NotFoundError and err.retryable is True
    assert str(err).endswith("Hint: try again")
    frames = normalize({"id": "p1", "tiktok": {"status": "error", "code": 9001, "message": "m"}})
    assert frames.errors["retryable"].to_list() == [True]


def test_unknown_codes_follow_the_http_status():
    assert is_retryable(9002, None) is None
    assert is_retryable(9002, 503) is True and is_retryable(9002, 404) is False
    rows = normalize(
        {"id": "p1", "tiktok": {"status": "error", "code": 9002, "message": "new"}}
    ).errors
    assert rows["retryable"].to_list() == [None]
    assert type(error_from_response(400, {"code": 435, "message": "IG"})) is errors.RateLimitError


def test_the_sandbox_speaks_codes_of_the_table():
    from ayr_analysis.sandbox import analytics

    assert ERROR_CODES[analytics.STORY_EXPIRED].lasting == "permanent"
    assert ERROR_CODES[analytics.FACEBOOK_STORY].lasting == "permanent"
    assert ERROR_CODES[analytics.FACEBOOK_STORY].source == "sandbox"
    assert ERROR_CODES[analytics.X_KEYS_MISSING].lasting == "until_fixed"


def test_the_docs_table_is_the_error_code_table():
    doc = (REPO / "docs" / "METRICS.md").read_text(encoding="utf-8")
    header = "| code | meaning | class (in a 200 answer) | lasting | retryable | source |"
    assert doc.count(header) == 1
    rows = {}
    for line in doc.split(header, 1)[1].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[int(cells[0])] = cells[1:]
    assert rows == {
        e.code: [
            e.meaning,
            f"`{e.error_class.__name__}`",
            e.lasting,
            "yes" if e.retryable else "no",
            e.source,
        ]
        for e in ERROR_CODES.values()
    }
    for lasting in LASTING:
        assert f"- `{lasting}`: " in doc


# --------------------------------------------------------------------------- key columns

#: Sequences spelled out once, in schema.py: a list, tuple or set literal, or a call's positional
#: arguments, starting with these values is a copy.
SPELLED_ONCE: dict[str, tuple[str, ...]] = {
    "POST_KEY": schema.POST_KEY,
    "SNAPSHOT_TIMES": schema.SNAPSHOT_TIMES,
    "RATE_BASES": schema.RATE_BASES,
    "DEFAULT_AGES": schema.DEFAULT_AGES,
}

#: Files that still spell a key out and are to use schema's constant. Remove a file from this set
#: once it passes; never add one.
NOT_YET: frozenset[str] = frozenset({"ayr_analysis/tracking.py"})


def spelled_out(source: str, filename: str = "<source>") -> list[str]:
    """``"file:line: NAME"`` for each sequence of :data:`SPELLED_ONCE` written out in ``source``
    (type hints included, docstrings and comments not)."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        runs = []
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            runs.append(node.elts)
        elif isinstance(node, ast.Call):
            runs.append(node.args)
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple):
            runs.append(node.slice.elts)  # Literal["impressions", "reach", ...]
        for elts in runs:
            values = tuple(e.value if isinstance(e, ast.Constant) else None for e in elts)
            for name, seq in SPELLED_ONCE.items():
                if values[: len(seq)] == seq:
                    found.append(f"{filename}:{node.lineno}: {name}")
    return sorted(set(found))


def test_the_check_finds_spelled_out_keys():
    code = '''
"""The docstring may say ("post_id", "platform")."""
def f(frame):
    frame.group_by("post_id", "platform")  # a comment: ["observed_at", "fetched_at"]
    return frame.sort(["observed_at", "fetched_at", "x"]), Literal["impressions", "reach", "views", "followers"]
'''
    assert spelled_out(code, "x.py") == [
        "x.py:4: POST_KEY",
        "x.py:5: RATE_BASES",
        "x.py:5: SNAPSHOT_TIMES",
    ]


@pytest.mark.parametrize("path", [relative(p) for p in package_sources()])
def test_keys_rate_bases_and_ages_are_spelled_out_in_schema_only(path):
    if path == "ayr_analysis/schema.py":
        return
    found = spelled_out((REPO / path).read_text(encoding="utf-8"), path)
    if path in NOT_YET:
        assert found, f"{path} passes now: remove it from NOT_YET"
        return
    assert not found, f"spelled out again; use ayr_analysis.schema's constant: {found}"


def test_the_keys_build_on_each_other():
    assert schema.UNIT_KEY[: len(schema.POST_KEY)] == schema.POST_KEY
    assert (*schema.UNIT_KEY, "observed_at") == schema.OBSERVATION_KEY
    assert (*schema.POST_KEY, "fetched_at") == schema.FETCH_KEY
    for frame_schema in (schema.LONG_SCHEMA, schema.WIDE_SCHEMA, schema.REACTIONS_SCHEMA):
        assert set(schema.OBSERVATION_KEY) | set(schema.SNAPSHOT_TIMES) <= set(frame_schema)
    assert set(schema.POST_KEY) <= set(schema.POSTS_SCHEMA) & set(schema.ERRORS_SCHEMA)


def test_the_store_and_the_dashboard_use_the_schema_constants():
    from ayr_analysis import metrics, reports, widgets
    from ayr_analysis.sandbox import history
    from ayr_analysis.store import TABLE_KEYS, TABLES

    assert TABLE_KEYS["wide"] == schema.OBSERVATION_KEY
    assert TABLES["wide"].entity == schema.UNIT_KEY
    assert TABLES["posts"].entity == TABLES["errors"].entity == schema.POST_KEY
    assert widgets.RATE_BASES is metrics.RATE_BASES is schema.RATE_BASES
    assert widgets.AGES[1:] == schema.DEFAULT_AGES == reports.SNAPSHOT_AGES
    assert history.DEFAULT_AGES[: len(schema.DEFAULT_AGES)] == schema.DEFAULT_AGES


# --------------------------------------------------------------------------- followers


def test_follower_counts_have_one_home_in_the_analysis_layer():
    from ayr_analysis import api, reports, widgets

    assert followers_by_network.__module__ == "ayr_analysis.analysis.rates"
    for module in (api, reports, widgets):
        assert not hasattr(module, "followers_by_network")
    # the selection of the follower count is written once
    pattern = re.compile(r"""pl\.col\(["']metric["']\)\s*==\s*["']followers["']""")
    writers = [relative(p) for p in package_sources() if pattern.search(p.read_text("utf-8"))]
    assert writers == ["ayr_analysis/analysis/rates.py"]


def test_followers_asked_of_the_api_are_the_analysis_layer_s_answer():
    import ayr_analysis as ayr

    account = ayr.account_analytics(["tiktok", "youtube"])
    assert ayr.followers(["tiktok", "youtube"]).equals(followers_by_network(account))


def test_followers_by_network_keeps_totals_and_the_last_count():
    import datetime as dt

    answer = {
        "tiktok": {
            "analytics": {"followerCount": 90, "daily": [{"date": "2026-09-01", "value": 5}]}
        },
        "youtube": {"analytics": {"subscriberCount": 12}},
    }
    account = normalize_social(answer, fetched_at=dt.datetime(2026, 9, 2, tzinfo=dt.UTC))
    assert followers_by_network(account).rows() == [("tiktok", 90.0), ("youtube", 12.0)]
    with pytest.raises(ValueError, match="needs column"):
        followers_by_network(pl.DataFrame({"platform": ["x"]}))


# --------------------------------------------------------------------------- wide columns


def test_the_wide_columns_are_made_in_one_place():
    frames_module = importlib.import_module("ayr_analysis.normalize.frames")
    for name in MODULES:
        if name.startswith("ayr_analysis.normalize"):
            module = importlib.import_module(name)
            assert not hasattr(module, "SMALL_BATCH"), name
    source = (PACKAGE / "normalize").glob("*.py")
    makers = [p.name for p in source if "def _metric_columns" in p.read_text("utf-8")]
    assert makers == ["frames.py"]
    assert callable(frames_module._metric_columns)


def test_the_default_intercept_is_named_once_and_used_by_forecasts_backtests_and_alerts():
    from ayr_analysis.analysis import expected

    spelled = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and node.value == expected.DEFAULT_INTERCEPT:
                spelled.append((path.name, node.lineno))
    # the Literal type, the tuple of choices and the default, on three lines; nowhere else
    assert [name for name, _ in spelled] == ["expected.py"] * 3
    assert len({line for _, line in spelled}) == 3
    for fn in (expected.forecast, expected.backtest, expected._fit):
        assert inspect.signature(fn).parameters["intercept"].default == expected.DEFAULT_INTERCEPT
