"""The per-network field maps agree with fields.json and are internally consistent."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ayr_analysis import platforms, schema
from ayr_analysis.platforms import FieldSpec, PlatformSpec, UnknownPlatformError

SAMPLES = Path(__file__).parent / "samples"
FIELDS = json.loads((SAMPLES / "fields.json").read_text(encoding="utf-8"))["platforms"]

#: fields.json entries whose `canonical` we deliberately feed from another path, and why.
EXCEPTIONS: dict[tuple[str, str], tuple[str, str]] = {
    # Facebook `reactions` is an object {like, love, ..., total}: only its `total` is a number
    # that feeds the canonical `reactions`; the other keys feed the reactions frame.
    ("facebook", "reactions"): ("reactions.total", "reactions"),
}

NUMERIC_TYPES = {"int", "float"}


def _canonical_entries():
    for plat, entries in FIELDS.items():
        for e in entries:
            if "canonical" in e:
                yield pytest.param(plat, e, id=f"{plat}:{e['path']}")


def test_registry_has_every_platform_in_schema_order():
    assert tuple(platforms.REGISTRY) == schema.PLATFORMS
    for name, spec in platforms.REGISTRY.items():
        assert spec.name == name


def test_get_is_case_insensitive_and_knows_x():
    assert platforms.get("YouTube") is platforms.REGISTRY["youtube"]
    assert platforms.get(" x ") is platforms.REGISTRY["twitter"]


def test_get_unknown_lists_valid_names():
    with pytest.raises(UnknownPlatformError) as info:
        platforms.get("myspace")
    msg = str(info.value)
    assert "'myspace'" in msg
    for name in schema.PLATFORMS:
        assert name in msg
    assert isinstance(info.value, ValueError)
    with pytest.raises(UnknownPlatformError):
        platforms.get(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(("plat", "entry"), list(_canonical_entries()))
def test_every_canonical_field_of_fields_json_is_mapped(plat, entry):
    spec = platforms.get(plat)
    path, metric = entry["path"], entry["canonical"]
    if (plat, path) in EXCEPTIONS:
        path, metric = EXCEPTIONS[(plat, path)]
    assert path in spec.field_map, f"{plat}.{path} is not in the field map"
    assert spec.field_map[path].metric == metric
    assert path in spec.metric_sources[metric]


@pytest.mark.parametrize(("plat", "entry"), list(_canonical_entries()))
def test_units_follow_fields_json(plat, entry):
    if (plat, entry["path"]) in EXCEPTIONS:
        return
    fs = platforms.get(plat).field_map[entry["path"]]
    assert fs.raw_unit == entry.get("unit", "count" if entry["type"] == "int" else fs.raw_unit)
    expected_unit = {"ms": "s", "min": "s", "s": "s", "percent": "fraction", "fraction": "fraction"}
    if "unit" in entry:
        assert fs.unit == expected_unit[entry["unit"]]


def test_numeric_fields_without_canonical_are_not_mapped():
    for plat, entries in FIELDS.items():
        spec = platforms.get(plat)
        for e in entries:
            if "canonical" in e or e["type"] not in NUMERIC_TYPES:
                continue
            fs = spec.field_map.get(e["path"])
            assert fs is None or fs.metric is None, f"{plat}.{e['path']} mapped to {fs.metric}"


def test_every_metric_is_canonical_and_engagements_are_counts():
    for spec in platforms.REGISTRY.values():
        for fs in spec.fields:
            assert fs.metric is None or fs.metric in schema.CANONICAL_METRICS
        for m in spec.engagement_metrics:
            assert m in schema.COUNT_METRICS
            assert m not in ("engagements", "engagements_reported", "impressions", "views")
        if spec.name != "snapchat":
            assert spec.engagement, spec.name
            assert spec.engagement_reason, spec.name


def test_snapchat_maps_nothing():
    spec = platforms.get("snapchat")
    assert spec.fields == ()
    assert spec.engagement == ()


def test_renamed_fields_are_understood_under_both_names():
    tiktok = platforms.get("tiktok").metric_sources
    assert tiktok["likes"] == ("likeCount", "likes")
    assert tiktok["comments"] == ("commentsCount", "comments")
    assert tiktok["shares"] == ("shareCount", "shares")
    ig = platforms.get("instagram").field_map
    assert ig["viewsCount"].metric == "views"
    assert ig["impressionsCount"].metric == "impressions"


def test_documented_precedence():
    x = platforms.get("twitter").metric_sources["impressions"]
    assert x == ("nonPublicMetrics.impressionCount", "publicMetrics.impressionCount")
    ig = platforms.get("instagram").metric_sources["comments"]
    assert ig == ("commentsCount", "repliesCount")
    assert platforms.get("twitter").field_map["nonPublicMetrics.video.playback100Count"].metric == (
        "completions"
    )
    for q in (0, 25, 50, 75):
        fs = platforms.get("twitter").field_map[f"nonPublicMetrics.video.playback{q}Count"]
        assert fs.metric is None


@pytest.mark.parametrize(
    ("unit", "raw", "value", "out_unit"),
    [
        ("ms", 1145, 1.145, "s"),
        ("min", 12.5, 750.0, "s"),
        ("s", 3.5, 3.5, "s"),
        ("percent", 42, 0.42, "fraction"),
        ("fraction", 0.3, 0.3, "fraction"),
        ("count", 7, 7, "count"),
    ],
)
def test_unit_conversion(unit, raw, value, out_unit):
    metric = {"count": "likes", "percent": "avg_view_fraction", "fraction": "completion_rate"}.get(
        unit, "watch_time_s"
    )
    fs = FieldSpec("x", metric, unit)
    assert fs.convert(raw) == value
    assert fs.unit == out_unit


def test_fieldspec_rejects_inconsistent_definitions():
    with pytest.raises(ValueError, match="unknown unit"):
        FieldSpec("x", "likes", "hours")
    with pytest.raises(ValueError, match="not a canonical metric"):
        FieldSpec("x", "hearts")
    with pytest.raises(ValueError, match="does not fit"):
        FieldSpec("x", "likes", "ms")
    with pytest.raises(ValueError, match="does not fit"):
        FieldSpec("x", "watch_time_s", "count")
    with pytest.raises(ValueError, match="listed twice"):
        PlatformSpec("n", fields=(FieldSpec("a", "likes"), FieldSpec("a", "comments")))
    with pytest.raises(ValueError, match="not a count"):
        PlatformSpec("n", engagement=("watch_time_s",))


def test_decision_log_table_matches_the_field_maps():
    """docs/METRICS.md's source table says exactly what the field maps do."""
    doc = (Path(__file__).parent.parent / "docs" / "METRICS.md").read_text(encoding="utf-8")
    lines = [ln for ln in doc.splitlines() if ln.startswith("| metric | unit |")]
    assert len(lines) == 1
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    nets = ["twitter" if h.startswith("X ") else h for h in header[2:]]
    seen = set()
    for ln in doc.splitlines():
        cells = [c.strip() for c in ln.strip("|").split("|")]
        if len(cells) != len(header) or not cells[0].startswith("`"):
            continue
        metric = cells[0].strip("`")
        if metric == "engagements":
            continue
        seen.add(metric)
        for net, cell in zip(nets, cells[2:], strict=True):
            documented = tuple(p.split("`")[1] for p in cell.split(" > ")) if cell else ()
            assert documented == platforms.get(net).metric_sources.get(metric, ()), (metric, net)
    assert seen == set(schema.CANONICAL_METRICS) - {"engagements"}


def test_x_is_twitter_everywhere_a_network_is_named(tmp_path):
    """One resolver: the client, campaigns files, report parameters and the dashboard all take
    'x' (any case) for twitter, and all refuse a typo with the same hint."""
    from ayr_analysis import AyrshareClient
    from ayr_analysis.campaigns import load_campaigns
    from ayr_analysis.client import ValidationError
    from ayr_analysis.platforms import resolve
    from ayr_analysis.reports import ReportParameterError, check_parameters
    from ayr_analysis.widgets import build_controls

    assert resolve("X") == resolve(" x ") == "twitter"
    client = AyrshareClient(source="demo")
    post = client.history()["history"][0]["id"]
    answer = client.analytics_post(post, platforms=["X"])
    assert answer.status_code == 200
    toml = tmp_path / "c.toml"
    toml.write_text('[[campaign]]\nname = "a"\nplatforms = ["X", "TikTok"]\n')
    assert load_campaigns(toml)[0].platforms == ("twitter", "tiktok")
    assert check_parameters(platforms="x,tiktok").platforms == ("twitter", "tiktok")
    controls = build_controls([("All posts", ("recent", 7))], platforms=["x"])
    assert controls.platforms.value == ("twitter",)
    hint = "unknown platform 'tiktokk' (did you mean 'tiktok'?)"
    for call, error in [
        (lambda: client.analytics_post(post, platforms=["tiktokk"]), ValidationError),
        (lambda: check_parameters(platforms="tiktokk"), ReportParameterError),
        (lambda: build_controls([("All", ("recent", 7))], platforms=["tiktokk"]), ValueError),
    ]:
        with pytest.raises(error, match=re.escape(hint)):
            call()
