"""Per-network: every field of fields.json lands in the right canonical column, in the right unit.

Answers are built from tests/samples/fields.json (a copy of the API reference's field list), so
the expected column and conversion come from the reference, not from our own field maps.
"""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from ayr_analysis import schema
from ayr_analysis.normalize import normalize

SAMPLES = Path(__file__).parent / "samples"
FIELDS = json.loads((SAMPLES / "fields.json").read_text(encoding="utf-8"))["platforms"]
FETCHED = datetime(2026, 6, 1, 12, tzinfo=UTC)

#: conversion of the reference's units into ours: (multiplier, divisor, unit after conversion)
CONVERSION = {
    None: (1, 1, "count"),
    "ms": (1, 1000, "s"),
    "min": (60, 1, "s"),
    "s": (1, 1, "s"),
    "percent": (1, 100, "fraction"),
    "fraction": (1, 1, "fraction"),
}


def _nest(path: str, value) -> dict:
    """{"a.b.c": v} -> {"a": {"b": {"c": v}}}"""
    out: dict = {}
    node = out
    parts = path.split(".")
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value
    return out


def _merge(dst: dict, src: dict) -> dict:
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            _merge(dst[k], v)
        else:
            dst[k] = v
    return dst


def _numeric_entries(confidence: str | None = None):
    for plat, entries in FIELDS.items():
        for e in entries:
            if e["type"] not in ("int", "float") or "canonical" not in e:
                continue
            if confidence and e["confidence"] != confidence:
                continue
            yield pytest.param(plat, e, id=f"{plat}:{e['path']}")


def _answer(plat: str, analytics: dict) -> dict:
    return {
        "status": "success",
        "id": "AYR1",
        plat: {"id": "S1", "postUrl": f"https://{plat}.example/p/1", "analytics": analytics},
    }


@pytest.mark.parametrize(("plat", "entry"), list(_numeric_entries()))
def test_field_lands_in_its_canonical_column(plat, entry):
    raw = 12.5 if entry["type"] == "float" else 1145
    if entry.get("unit") == "fraction":
        raw = 0.35  # a fraction within 0-1 (12.5 would fail its value check)
    mul, div, unit = CONVERSION[entry.get("unit")]
    if entry["canonical"] == "engagement_rate_reported":
        unit = "rate"  # the network's own ratio, kept as sent
    expected = raw * mul / div
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a well-formed answer raises no warning
        frames = normalize(_answer(plat, _nest(entry["path"], raw)), fetched_at=FETCHED)
    wide = frames.wide
    assert wide.height == 1
    row = wide.row(0, named=True)
    metric = entry["canonical"]
    if schema.WIDE_SCHEMA[metric] == pl.Int64:
        assert row[metric] == round(expected)
    else:
        assert row[metric] == pytest.approx(expected, rel=1e-12)
    # no other canonical column is filled (engagements is derived from the mapped ones)
    filled = {m for m in schema.CANONICAL_METRICS if row[m] is not None and m != "engagements"}
    assert filled == {metric}
    # the long frame keeps the raw value, the converted value and the unit
    long = frames.long.filter(pl.col("field") == entry["path"])
    assert long.height == 1
    lrow = long.row(0, named=True)
    assert (lrow["metric"], lrow["unit"], lrow["raw_value"]) == (metric, unit, raw)
    assert lrow["value"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("plat", "path", "raw", "column", "expected"),
    [
        ("youtube", "estimatedMinutesWatched", 12.5, "watch_time_s", 750.0),
        ("youtube", "averageViewPercentage", 42, "avg_view_fraction", 0.42),
        ("youtube", "averageViewDuration", 31.5, "avg_watch_time_s", 31.5),
        ("instagram", "igReelsAvgWatchTimeCount", 1145, "avg_watch_time_s", 1.145),
        ("instagram", "igReelsVideoViewTotalTimeCount", 90_000, "watch_time_s", 90.0),
        ("facebook", "videoViewTime", 2500, "watch_time_s", 2.5),
        ("linkedin", "videoWatchTimeMs", 61_000, "watch_time_s", 61.0),
        ("pinterest", "videoAvgWatchTime", 4200, "avg_watch_time_s", 4.2),
        ("tiktok", "fullVideoWatchedRate", 0.35, "completion_rate", 0.35),
        ("tiktok", "totalTimeWatched", 1234.5, "watch_time_s", 1234.5),
        ("linkedin", "engagement", 0.043, "engagement_rate_reported", 0.043),
    ],
)
def test_unit_conversions_exact(plat, path, raw, column, expected):
    frames = normalize(_answer(plat, {path: raw}), fetched_at=FETCHED)
    assert frames.wide[column].to_list() == [expected]


@pytest.mark.parametrize("plat", sorted(FIELDS))
def test_all_asserted_fields_together_and_absent_is_null(plat):
    entries = [e for e in FIELDS[plat] if e["type"] in ("int", "float") and "canonical" in e]
    asserted = [e for e in entries if e["confidence"] == "asserted"]
    analytics: dict = {}
    expected: dict[str, float] = {}
    for i, e in enumerate(asserted):
        raw = 10 + i
        _merge(analytics, _nest(e["path"], raw))
        mul, div, _ = CONVERSION[e.get("unit")]
        expected.setdefault(e["canonical"], raw * mul / div)
    row = normalize(_answer(plat, analytics), fetched_at=FETCHED).wide.row(0, named=True)
    for metric, value in expected.items():
        assert row[metric] == pytest.approx(value), metric
    # every canonical metric not fed by an asserted field is null: absent means unknown
    for m in schema.CANONICAL_METRICS:
        if m not in expected and m != "engagements":
            assert row[m] is None, m


@pytest.mark.parametrize("plat", sorted(p for p in FIELDS if FIELDS[p]))
def test_reported_zero_stays_zero(plat):
    analytics: dict = {}
    metrics = set()
    for e in FIELDS[plat]:
        if e["type"] in ("int", "float") and "canonical" in e:
            _merge(analytics, _nest(e["path"], 0))
            metrics.add(e["canonical"])
    if plat == "facebook":  # reactions is an object; its total is the number
        analytics["reactions"] = {"like": 0, "total": 0}
        metrics.add("reactions")
    row = normalize(_answer(plat, analytics), fetched_at=FETCHED).wide.row(0, named=True)
    for m in metrics:
        assert row[m] == 0, m
    assert row["engagements"] == 0  # zeros were reported, so the sum is 0, not null
    untouched = set(schema.CANONICAL_METRICS) - metrics - {"engagements"}
    assert {m: row[m] for m in untouched if row[m] is not None} == {}


def test_field_absent_everywhere_gives_null_row():
    row = normalize(_answer("youtube", {}), fetched_at=FETCHED).wide.row(0, named=True)
    assert all(row[m] is None for m in schema.CANONICAL_METRICS)
    assert row["url"] == "https://youtube.example/p/1"
    assert row["media_type"] == "video"  # every YouTube post is a video


def test_facebook_reactions_object_feeds_total_and_reactions_frame():
    reactions = {"like": 5, "love": 2, "wow": 0, "haha": 1, "sorry": 0, "anger": 1, "total": 9}
    frames = normalize(_answer("facebook", {"reactions": reactions}), fetched_at=FETCHED)
    assert frames.wide["reactions"].to_list() == [9]
    got = dict(frames.reactions.select("reaction", "count").iter_rows())
    assert got == {"like": 5, "love": 2, "wow": 0, "haha": 1, "sorry": 0, "anger": 1}
    assert frames.reactions.schema == schema.REACTIONS_SCHEMA


def test_facebook_reactions_by_type_used_when_reactions_absent():
    analytics = {"reactionsByType": {"LIKE": 4, "LOVE": 1}}
    frames = normalize(_answer("facebook", analytics), fetched_at=FETCHED)
    assert sorted(frames.reactions.select("reaction", "count").iter_rows()) == [
        ("like", 4),
        ("love", 1),
    ]
    assert frames.wide["reactions"].to_list() == [None]  # no total was given


def test_linkedin_reactions_feed_the_reactions_frame_only():
    analytics = {"likeCount": 7, "reactions": {"like": 4, "praise": 2, "empathy": 1}}
    frames = normalize(_answer("linkedin", analytics), fetched_at=FETCHED)
    assert frames.wide.select("likes", "reactions").row(0) == (7, None)
    assert frames.reactions.filter(pl.col("reaction") == "praise")["count"].to_list() == [2]
    assert frames.reactions["platform"].unique().to_list() == ["linkedin"]


def test_tiktok_breakdowns_become_fractions():
    analytics = {
        "videoViews": 1000,
        "impressionSources": [
            {"impressionSource": "For You", "percentage": 75.5},
            {"impressionSource": "Follow", "percentage": 24.5},
        ],
        "audienceCountries": [
            {"country": "US", "percentage": 60},
            {"country": "DE", "percentage": 0},
        ],
    }
    frames = normalize(_answer("tiktok", analytics), fetched_at=FETCHED)
    rows = sorted(frames.breakdowns.select("breakdown", "key", "share").iter_rows())
    assert rows == [
        ("audience_country", "DE", 0.0),
        ("audience_country", "US", 0.6),
        ("impression_source", "Follow", 0.245),
        ("impression_source", "For You", 0.755),
    ]
    assert frames.breakdowns.schema == schema.BREAKDOWNS_SCHEMA
    assert frames.wide["views"].to_list() == [1000]


def test_x_playback_quartiles_stay_in_long():
    video = {f"playback{q}Count": 100 - q for q in (0, 25, 50, 75, 100)}
    frames = normalize(
        _answer("twitter", {"nonPublicMetrics": {"video": video}}), fetched_at=FETCHED
    )
    long = frames.long.sort("field")
    assert long["field"].to_list() == [
        f"nonPublicMetrics.video.playback{q}Count" for q in (0, 100, 25, 50, 75)
    ]
    assert long["metric"].to_list() == [None, "completions", None, None, None]
    assert frames.wide["completions"].to_list() == [0]
