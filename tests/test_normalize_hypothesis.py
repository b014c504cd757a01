"""Arbitrary JSON in place of fields and of whole network objects never breaks normalize()."""

from __future__ import annotations

import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ayr_analysis import platforms, schema
from ayr_analysis.normalize import (
    DataQualityWarning,
    normalize,
    normalize_history,
    normalize_social,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | st.sampled_from(["-", "", "12", "1e3", "nan", "abc", "2026-01-01T00:00:00Z"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)

FIELD_PATHS = sorted(
    {(name, f.path) for name, spec in platforms.REGISTRY.items() for f in spec.fields}
    | {("facebook", "reactions"), ("tiktok", "impressionSources"), ("linkedin", "reactions")}
)
ENVELOPE_KEYS = ["id", "postUrl", "lastUpdated", "nextUpdate", "status", "analytics"]

SCHEMAS = {
    "long": schema.LONG_SCHEMA,
    "wide": schema.WIDE_SCHEMA,
    "reactions": schema.REACTIONS_SCHEMA,
    "breakdowns": schema.BREAKDOWNS_SCHEMA,
    "errors": schema.ERRORS_SCHEMA,
    "posts": schema.POSTS_SCHEMA,
}


def _nest(path: str, value) -> dict:
    out: dict = {}
    node = out
    parts = path.split(".")
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value
    return out


def _run(answer):
    """normalize() with every warning recorded; only DataQualityWarning may appear."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frames = normalize(answer)
    others = [w for w in caught if not issubclass(w.category, DataQualityWarning)]
    assert others == [], [str(w.message) for w in others]
    for name, s in SCHEMAS.items():
        assert getattr(frames, name).schema == s, name
    assert frames.thread_totals().schema == schema.THREAD_TOTALS_SCHEMA
    return frames, caught


FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.sampled_from(FIELD_PATHS), json_values)
def test_any_value_in_place_of_a_field(field, value):
    plat, path = field
    analytics = _nest(path, value)
    analytics["neighbourCount"] = 4  # a good neighbour must survive
    frames, _ = _run({"status": "success", "id": "A", plat: {"id": "s", "analytics": analytics}})
    assert frames.wide.height == 1
    assert ("neighbourCount", 4.0) in frames.long.select("field", "value").rows()
    row = frames.wide.row(0, named=True)
    spec = platforms.get(plat)
    fs = spec.field_map.get(path)
    if fs is not None and fs.metric is not None and spec.metric_sources[fs.metric] == (path,):
        v = row[fs.metric]
        # whatever was sent, the column holds null or a number
        assert v is None or isinstance(v, int | float)
        if value is None or value in ("-", "") or isinstance(value, bool | dict | list):
            assert v is None


@FAST
@given(st.sampled_from(list(platforms.REGISTRY)), json_values)
def test_any_value_in_place_of_a_network_object(plat, value):
    frames, _ = _run({"status": "success", "id": "A", plat: value, "youtube_ok": None})
    # a good network next to it keeps its numbers
    frames2, _ = _run({"id": "A", plat: value, "bluesky": {"analytics": {"likeCount": 2}}})
    if plat != "bluesky":
        assert 2 in frames2.wide["likes"].to_list()


@FAST
@given(st.sampled_from(ENVELOPE_KEYS), json_values, json_values)
def test_any_value_in_the_envelope(key, value, top):
    obj = {"id": "s", "analytics": {"views": 3}}
    obj[key] = value
    _run({"id": "A", "youtube": obj, "errors": top})
    _run({"id": "A", "twitter": [obj, value]})


@FAST
@given(json_values)
def test_any_json_as_the_whole_answer(value):
    _run(value)
    _run([value, value])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        assert normalize_history(value).schema == schema.POSTS_SCHEMA
        assert normalize_history({"history": [value]}).schema == schema.POSTS_SCHEMA


@FAST
@given(st.sampled_from(list(platforms.REGISTRY)), json_values)
def test_any_value_in_a_social_answer(plat, value):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        for answer in (value, {plat: value}, {plat: {"analytics": value}}):
            assert normalize_social(answer).schema == schema.ACCOUNT_SCHEMA
        rows = normalize_social({plat: {"analytics": {"x": value, "followersCount": 3}}})
    assert rows.schema == schema.ACCOUNT_SCHEMA
    assert 3.0 in rows["value"].to_list()
