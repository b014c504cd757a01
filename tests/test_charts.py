"""Chart helpers: specs (to_dict), null-vs-zero, row limits, empty input, rendering, export."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import polars as pl
import pytest

from ayr_analysis import charts, schema

T0 = dt.datetime(2026, 8, 3, 9, 0, tzinfo=dt.UTC)  # a Monday, 09:00 UTC
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def wide_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema.WIDE_SCHEMA)


def post(post_id: str, platform: str, *, hours: float = 48, published=T0, **metrics) -> dict:
    return {
        "post_id": post_id,
        "platform": platform,
        "social_id": f"s-{post_id}",
        "thread_position": 0,
        "published_at": published,
        "observed_at": published + dt.timedelta(hours=hours),
        "fetched_at": published + dt.timedelta(hours=hours),
        "url": f"https://example.com/{platform}/{post_id}",
        "text": f"Post {post_id} about the spring launch #SpringLaunch, with more words after",
        "media_type": "video",
        **metrics,
    }


@pytest.fixture(scope="module")
def wide() -> pl.DataFrame:
    rows = [
        # facebook reports clicks; instagram never does (null), linkedin reports a zero.
        post("f1", "facebook", likes=10, impressions=1000, engagements=50, clicks=7),
        post("f2", "facebook", likes=30, impressions=3000, engagements=90, clicks=0),
        post("f3", "facebook", likes=20, impressions=2000, engagements=70, clicks=5),
        post("i1", "instagram", likes=100, impressions=5000, engagements=400),
        post("i2", "instagram", likes=300, impressions=8000, engagements=700),
        post("l1", "linkedin", likes=4, impressions=400, engagements=12, clicks=0),
        post("t1", "tiktok", likes=50, views=900, completion_rate=0.25),
        post("t2", "tiktok", likes=70, views=1200, completion_rate=0.40),
        post("y1", "youtube", likes=9, views=300, avg_view_fraction=0.55),
        post("r1", "reddit"),  # reports no likes at all
    ]
    # an older observation of f1 that must be ignored (latest observation wins)
    rows.append(post("f1", "facebook", hours=2, likes=999, impressions=1, engagements=1, clicks=1))
    return wide_frame(rows)


@pytest.fixture(scope="module")
def snapshots() -> pl.DataFrame:
    rows = []
    for i in range(6):
        for h in (1, 3, 6, 12, 24, 48):
            platform = "facebook" if i < 3 else "instagram"
            rows.append(post(f"p{i}", platform, hours=h, likes=(i + 1) * h))
    return wide_frame(rows)


@pytest.fixture(scope="module")
def reactions() -> pl.DataFrame:
    rows = []
    for obs_h, scale in ((2, 1), (24, 10)):  # the 24 h observation is the latest
        observed = T0 + dt.timedelta(hours=obs_h)
        for pid, platform, kinds in (
            ("f1", "facebook", {"like": 5, "love": 2, "wow": 0}),
            ("f2", "facebook", {"like": 3, "haha": 1}),
            ("l1", "linkedin", {"like": 4, "praise": 2}),
        ):
            for reaction, count in kinds.items():
                rows.append(
                    {
                        "post_id": pid,
                        "platform": platform,
                        "social_id": f"s-{pid}",
                        "thread_position": 0,
                        "reaction": reaction,
                        "count": count * scale,
                        "observed_at": observed,
                        "fetched_at": observed,
                    }
                )
    return pl.DataFrame(rows, schema=schema.REACTIONS_SCHEMA)


@pytest.fixture(scope="module")
def long() -> pl.DataFrame:
    rows = []
    for pid, counts in (("x1", (1000, 600, 400, 300, 200)), ("x2", (500, 400, 350, 300, 250))):
        for q, c in zip((0, 25, 50, 75, 100), counts, strict=True):
            rows.append(
                {
                    "post_id": pid,
                    "platform": "twitter",
                    "social_id": f"s-{pid}",
                    "thread_position": 0,
                    "field": f"nonPublicMetrics.video.playback{q}Count",
                    "metric": "completions" if q == 100 else None,
                    "value": float(c),
                    "unit": "count",
                    "raw_value": float(c),
                    "observed_at": T0,
                    "fetched_at": T0,
                }
            )
    rows.append({**rows[0], "field": "publicMetrics.likeCount", "metric": "likes", "value": 9.0})
    return pl.DataFrame(rows, schema=schema.LONG_SCHEMA)


@pytest.fixture(scope="module")
def campaign_result() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "campaign": ["spring-launch", "summer", "evergreen"],
            "estimate": [0.060, 0.045, 0.030],
            "low": [0.020, 0.040, 0.025],
            "high": [0.100, 0.050, 0.035],
            "n": [8, 60, 120],
        }
    )


@dataclass
class FakeFrames:  # AnalyticsFrames-like
    long: pl.DataFrame
    wide: pl.DataFrame
    reactions: pl.DataFrame
    source: str | None = "demo"
    extra: dict = field(default_factory=dict)


def all_charts(wide, snapshots, reactions, long, campaign_result, **kw) -> dict[str, Any]:
    return {
        "platform_comparison": charts.platform_comparison(wide, "likes", **kw),
        "growth_curves": charts.growth_curves(snapshots, "likes", **kw),
        "campaign_comparison": charts.campaign_comparison(
            campaign_result, metric_label="Engagement rate (%)", **kw
        ),
        "reactions_by_type": charts.reactions_by_type(reactions, **kw),
        "top_posts": charts.top_posts(wide, "likes", n=3, **kw),
        "best_time_heatmap": charts.best_time_heatmap(wide, "likes", **kw),
        "funnel": charts.funnel(wide, **kw),
        "video_retention": charts.video_retention(
            FakeFrames(long, wide, reactions, source=None), **kw
        ),
    }


@pytest.fixture(scope="module")
def built(wide, snapshots, reactions, long, campaign_result) -> dict[str, Any]:
    return all_charts(wide, snapshots, reactions, long, campaign_result)


# --------------------------------------------------------------------------- spec helpers


def walk(spec: Any):
    """Every dict inside a spec."""
    if isinstance(spec, dict):
        yield spec
        for v in spec.values():
            yield from walk(v)
    elif isinstance(spec, list):
        for v in spec:
            yield from walk(v)


def units(spec: dict) -> list[dict]:
    """Unit specs (those with a mark)."""
    return [d for d in walk(spec) if "mark" in d]


def marks(spec: dict) -> list[str]:
    return [u["mark"]["type"] if isinstance(u["mark"], dict) else u["mark"] for u in units(spec)]


def datasets(spec: dict) -> list[list[dict]]:
    return [d["values"] for d in walk(spec) if isinstance(d.get("values"), list)]


def spec_of(chart: Any) -> dict:
    """chart.to_dict() with the named top-level datasets put back inline where they are used."""
    spec = chart.to_dict()
    named = spec.pop("datasets", {})
    for d in walk(spec):
        data = d.get("data")
        if isinstance(data, dict) and "name" in data and data["name"] in named:
            d["data"] = {"values": named[data["name"]]}
    return spec


def values_of(unit: dict, parent: dict | None = None) -> list[dict]:
    """The rows a unit draws (Altair lifts data shared by all layers to the parent)."""
    data = unit.get("data") or (parent or {}).get("data")
    return data["values"]


def layer_values(spec: dict, i: int) -> list[dict]:
    return values_of(spec["layer"][i], spec)


def title_texts(spec: dict) -> str:
    out = []
    for d in walk(spec):
        t = d.get("title")
        if isinstance(t, str):
            out.append(t)
        elif isinstance(t, dict):
            out.append(str(t.get("text", "")))
            sub = t.get("subtitle", [])
            out.extend([sub] if isinstance(sub, str) else sub)
    return "\n".join(out)


def top_subtitle(spec: dict) -> list[str]:
    sub = spec.get("title", {}).get("subtitle", [])
    return [sub] if isinstance(sub, str) else list(sub)


def platform_color_scales(spec: dict) -> list[dict]:
    return [
        d["color"]["scale"]
        for d in walk(spec)
        if isinstance(d.get("color"), dict)
        and "scale" in d["color"]
        and d["color"]["scale"].get("domain") == list(charts.PLATFORM_COLORS)
    ]


# --------------------------------------------------------------------------- spec tests


def test_marks_of_every_helper(built):
    assert marks(spec_of(built["platform_comparison"])) == ["bar", "tick", "text"]
    assert marks(spec_of(built["growth_curves"])) == ["area", "line", "line"]
    assert marks(spec_of(built["campaign_comparison"])) == ["rule", "point"]
    assert marks(spec_of(built["reactions_by_type"])) == ["bar"]
    assert marks(spec_of(built["top_posts"])) == ["bar", "text"]
    assert marks(spec_of(built["best_time_heatmap"])) == ["rect"]
    assert marks(spec_of(built["funnel"])) == ["bar", "point", "text"]
    assert marks(spec_of(built["video_retention"])) == ["area", "line", "line", "rule", "point"]


def test_titles_say_metric_and_unit(built, wide):
    assert "Likes (count)" in title_texts(spec_of(built["platform_comparison"]))
    assert "Likes (count)" in title_texts(spec_of(built["growth_curves"]))
    assert "Likes (count)" in title_texts(spec_of(built["top_posts"]))
    assert "likes (count)" in title_texts(spec_of(built["best_time_heatmap"])).lower()
    assert "Engagement rate (%)" in title_texts(spec_of(built["campaign_comparison"]))
    assert "Reactions (count)" in title_texts(spec_of(built["reactions_by_type"]))
    assert "Completion rate (%)" in title_texts(spec_of(built["video_retention"]))
    watch = charts.top_posts(wide.with_columns(watch_time_s=pl.col("likes") * 1.5), "watch_time_s")
    assert spec_of(watch)["layer"][0]["encoding"]["x"]["title"] == "Watch time (s)"
    rate = spec_of(charts.platform_comparison(wide, "completion_rate"))
    x = rate["layer"][0]["encoding"]["x"]
    assert x["title"] == "Median completion rate (%)"
    assert x["axis"]["format"] == ".0%"


def test_platform_colour_scale_is_identical_everywhere(built):
    expected = {
        "domain": list(charts.PLATFORM_COLORS),
        "range": list(charts.PLATFORM_COLORS.values()),
    }
    coloured = ["platform_comparison", "growth_curves", "top_posts", "funnel", "video_retention"]
    for name in coloured:
        scales = platform_color_scales(spec_of(built[name]))
        assert scales, name
        for s in scales:
            assert s == expected, name
    # every colour encoding of platform, anywhere, uses that scale
    for name, chart in built.items():
        for d in walk(spec_of(chart)):
            c = d.get("color")
            if isinstance(c, dict) and c.get("field") == "platform":
                assert c["scale"] == expected, name
    assert len(set(charts.PLATFORM_COLORS.values())) == len(charts.PLATFORM_COLORS)
    assert tuple(charts.PLATFORM_COLORS) == schema.PLATFORMS


def test_demo_subtitle_only_for_demo(wide, snapshots, reactions, long, campaign_result, built):
    demo = all_charts(wide, snapshots, reactions, long, campaign_result, demo=True)
    for name, chart in demo.items():
        assert charts.DEMO_SUBTITLE in top_subtitle(spec_of(chart)), name
    for name, chart in built.items():
        assert "demo data" not in chart.to_json(), name


def test_demo_detected_from_analytics_frames(wide, reactions, long):
    frames = FakeFrames(long, wide, reactions, source="demo")
    for chart in (
        charts.platform_comparison(frames),
        charts.top_posts(frames),
        charts.funnel(frames),
        charts.reactions_by_type(frames),
        charts.growth_curves(frames),
        charts.best_time_heatmap(frames),
        charts.video_retention(frames),
    ):
        assert charts.DEMO_SUBTITLE in top_subtitle(spec_of(chart))
    live = FakeFrames(long, wide, reactions, source="live")
    assert "demo data" not in charts.platform_comparison(live).to_json()
    # a demo source is not hidden by demo=False
    assert "demo data" in charts.platform_comparison(frames, demo=False).to_json()


def test_platform_comparison_values(built):
    spec = spec_of(built["platform_comparison"])
    rows = {r["platform"]: r for r in layer_values(spec, 0)}
    # latest observation of f1 (likes 10, not 999)
    assert rows["facebook"]["median"] == 20
    assert rows["facebook"]["mean"] == 20
    assert rows["facebook"]["n"] == 3
    assert rows["instagram"]["median"] == 200
    assert "reddit" not in rows  # never reported likes: not a zero bar
    assert "not reported by: reddit" in top_subtitle(spec)
    enc = spec["layer"][0]["encoding"]
    assert (enc["x"]["field"], enc["x"]["type"]) == ("median", "quantitative")
    assert enc["x"]["title"] == "Median likes (count)"
    assert enc["y"]["sort"][0] == "instagram"  # highest median first
    assert spec["layer"][1]["encoding"]["x"]["field"] == "mean"
    assert {t["field"] for t in enc["tooltip"]} >= {"median", "mean", "n", "platform"}
    with pytest.raises(ValueError, match="stat must be"):
        charts.platform_comparison(pl.DataFrame(), stat="max")
    with pytest.raises(ValueError, match="no column 'nope'"):
        charts.platform_comparison(wide_frame([]), "nope")


def test_growth_curves_bins_and_band(built):
    spec = spec_of(built["growth_curves"])
    band, thin, median = spec["layer"]
    assert thin["encoding"]["x"]["field"] == "age_h"
    assert thin["encoding"]["detail"]["field"] == "series"
    assert thin["encoding"]["y"]["title"] == "Likes (count)"
    med = {(r["platform"], r["age_from"]): r for r in values_of(median)}
    # 2-hour bins up to 48 h; at 48 h facebook posts have 48, 96, 144 likes
    assert med[("facebook", 48.0)]["median"] == 96
    assert med[("facebook", 48.0)]["n_posts"] == 3
    assert med[("instagram", 48.0)]["q25"] == pytest.approx(4 * 48 + 0.5 * 48)
    assert all(r["n_posts"] >= 3 for r in values_of(band))
    tips = {t["field"] for t in thin["encoding"]["tooltip"]}
    assert {"post_id", "snippet", "url", "likes", "age_h"} <= tips


def test_growth_curves_band_needs_enough_posts(snapshots):
    spec = spec_of(charts.growth_curves(snapshots, min_posts=4))
    assert marks(spec) == ["line", "line"]  # 3 posts per network: no band


def test_campaign_comparison_ranked_by_lower_bound(built):
    spec = spec_of(built["campaign_comparison"])
    rule, point = spec["layer"]
    assert rule["encoding"]["y"]["sort"] == ["summer", "evergreen", "spring-launch"]
    assert rule["encoding"]["x"]["field"] == "low"
    assert rule["encoding"]["x2"]["field"] == "high"
    assert rule["encoding"]["x"]["axis"]["format"] == ".0%"
    assert point["encoding"]["x"]["field"] == "estimate"
    rows = layer_values(spec, 0)
    assert [(r["group"], r["rank"], r["n"]) for r in rows] == [
        ("summer", 1, 60),
        ("evergreen", 2, 120),
        ("spring-launch", 3, 8),
    ]


def test_campaign_comparison_configurable_columns():
    res = pl.DataFrame(
        {"platform": ["tiktok", "youtube"], "m": [1.0, 2.0], "lo": [0.5, 1.5], "hi": [2.0, 3.0]}
    )
    chart = charts.campaign_comparison(
        res,
        group="platform",
        estimate="m",
        low="lo",
        high="hi",
        n=None,
        metric_label="Views (count)",
    )
    spec = spec_of(chart)
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["youtube", "tiktok"]
    assert platform_color_scales(spec)
    with pytest.raises(ValueError, match="no column 'n'"):
        charts.campaign_comparison(res, group="platform", estimate="m", low="lo", high="hi")


def test_reactions_use_latest_observation(built):
    spec = spec_of(built["reactions_by_type"])
    rows = {(r["platform"], r["reaction"]): r for r in values_of(spec)}
    assert rows[("facebook", "like")]["total"] == 80  # (5 + 3) * 10, from the latest snapshot
    assert rows[("facebook", "wow")]["total"] == 0  # reported zero stays zero
    assert rows[("linkedin", "praise")]["total"] == 20
    assert rows[("facebook", "like")]["share"] == pytest.approx(80 / 110)
    enc = spec["encoding"]
    assert enc["color"]["field"] == "reaction"
    assert enc["y"]["stack"] == "zero"
    grouped = charts.reactions_by_type(_r(), mode="grouped")
    assert spec_of(grouped)["encoding"]["xOffset"]["field"] == "reaction"


def _r() -> pl.DataFrame:
    return pl.DataFrame(
        [{"post_id": "a", "platform": "facebook", "reaction": "like", "count": 1}],
        schema=schema.REACTIONS_SCHEMA,
    )


def test_top_posts_order_labels_and_links(built):
    spec = spec_of(built["top_posts"])
    bars = spec["layer"][0]
    rows = layer_values(spec, 0)
    assert [r["post_id"] for r in rows] == ["i2", "i1", "t2"]
    assert [r["likes"] for r in rows] == [300, 100, 70]
    assert rows[0]["label"] == "Post i2 about the spring launch #Spring… · instagram"
    assert bars["encoding"]["y"]["sort"] == [r["label"] for r in rows]
    assert bars["encoding"]["href"]["field"] == "url"
    assert rows[0]["published_at"] == "2026-08-03 09:00:00 UTC"  # datetimes serialised
    tips = {t["field"] for t in bars["encoding"]["tooltip"]}
    assert {"post_id", "snippet", "url", "likes"} <= tips


def test_best_time_heatmap_from_wide_and_precomputed(built, wide):
    spec = spec_of(built["best_time_heatmap"])
    rows = values_of(spec)
    # all posts published Monday 09:00 UTC; 9 posts report likes, median 30
    assert rows == [{"weekday": "Mon", "hour": 9, "value": 30.0, "n": 9}]
    assert spec["encoding"]["x"]["field"] == "hour" and spec["encoding"]["x"]["type"] == "ordinal"
    assert spec["encoding"]["y"]["scale"]["domain"] == list(charts.WEEKDAYS)
    paris = spec_of(charts.best_time_heatmap(wide, "likes", tz="Europe/Paris"))
    assert values_of(paris)[0]["hour"] == 11  # 09:00 UTC is 11:00 in Paris in August
    pre = pl.DataFrame({"weekday": [1, 7], "hour": [8, 20], "value": [3.0, 5.0], "n": [2, 9]})
    pspec = spec_of(charts.best_time_heatmap(pre, "comments"))
    assert [r["weekday"] for r in values_of(pspec)] == ["Mon", "Sun"]
    twice = pl.concat([pre, pre])
    with pytest.raises(ValueError, match="several rows for one weekday and hour"):
        charts.best_time_heatmap(twice)
    with pytest.raises(ValueError, match="unknown time zone"):
        charts.best_time_heatmap(wide, tz="Mars/Olympus")


def test_funnel_not_reported_is_not_zero(built):
    spec = spec_of(built["funnel"])
    bars, crosses, zeros = spec["layer"]
    rows = {(r["platform"], r["stage"]): r for r in values_of(bars)}
    # instagram never reported clicks: null and "not reported", never 0
    ig = rows[("instagram", "clicks")]
    assert ig["total"] is None
    assert ig["status"] == "not reported"
    assert ig["reported_for"] == "not reported"
    # linkedin reported zero clicks: a real 0
    assert rows[("linkedin", "clicks")]["total"] == 0
    assert rows[("linkedin", "clicks")]["status"] == "reported"
    assert rows[("facebook", "clicks")]["total"] == 12
    assert rows[("facebook", "clicks")]["reported_for"] == "3 of 3 posts"
    assert rows[("facebook", "engagements")]["of_first"] == pytest.approx(210 / 6000)
    assert bars["transform"] == [{"filter": "isValid(datum.total)"}]
    assert ("instagram", "clicks") in {(r["platform"], r["stage"]) for r in values_of(crosses)}
    assert crosses["encoding"]["shape"]["scale"]["domain"] == ["not reported"]
    assert [(r["platform"], r["stage"]) for r in values_of(zeros)] == [("linkedin", "clicks")]
    assert zeros["encoding"]["text"] == {"value": "0"}
    assert any(t.get("field") == "reported_for" for t in crosses["encoding"]["tooltip"])


def test_video_retention_quartiles_and_completion(built, long, wide):
    spec = spec_of(built["video_retention"])
    retention, completion = spec["hconcat"]
    median = layer_values(retention, 2)
    by_q = {r["quartile"]: r["median"] for r in median}
    assert by_q[0] == 1.0
    assert by_q[50] == pytest.approx((0.4 + 0.7) / 2)
    assert by_q[100] == pytest.approx((0.2 + 0.5) / 2)
    comp = {(r["platform"], r["measure"]): r for r in layer_values(completion, 0)}
    assert comp[("tiktok", "Completion rate")]["median"] == pytest.approx(0.325)
    assert comp[("youtube", "Average view fraction")]["median"] == pytest.approx(0.55)
    assert comp[("twitter", "Completion rate")]["source"] == "playback100 / playback0"
    assert retention["layer"][1]["encoding"]["y"]["axis"]["format"] == ".0%"
    # from the long frame alone: the quartiles, and X's playback100 / playback0 as completion
    only_long = spec_of(charts.video_retention(long))
    assert marks(only_long) == ["area", "line", "line", "rule", "point"]
    assert {r["platform"] for r in layer_values(only_long["hconcat"][1], 0)} == {"twitter"}
    only_wide = spec_of(charts.video_retention(wide))
    assert marks(only_wide) == ["rule", "point"]
    assert "Completion rate (%)" in only_wide["title"]["text"]


# --------------------------------------------------------------------------- limits and empties


def test_large_input_is_aggregated_below_the_row_limit():
    rows = []
    platforms = ["facebook", "instagram", "tiktok", "youtube"]
    for i in range(1500):
        published = T0 + dt.timedelta(hours=i % 150)
        for h in (1, 6, 24, 72):
            rows.append(
                post(
                    f"p{i}",
                    platforms[i % 4],
                    hours=h,
                    published=published,
                    likes=i + h,
                    impressions=10 * i,
                    engagements=i,
                )
            )
    big = wide_frame(rows)
    assert big.height == 6000
    built = [
        charts.platform_comparison(big),
        charts.growth_curves(big),
        charts.top_posts(big, n=20),
        charts.best_time_heatmap(big),
        charts.funnel(big),
    ]
    for chart in built:
        spec = spec_of(chart)  # never raises MaxRowsError
        assert all(len(v) <= charts.MAX_ROWS for v in datasets(spec))
    growth = spec_of(built[1])
    assert any("thin lines show" in s for s in top_subtitle(growth))
    stats = {(r["platform"], r["age_from"]): r["n_posts"] for r in layer_values(growth, 2)}
    assert sum(stats.values()) == 1500 * 4  # median and band still use every post
    assert alt.data_transformers.options.get("max_rows", 5000) == 5000


def test_large_reactions_and_playback_frames(long):
    reactions = pl.DataFrame(
        {
            "post_id": [f"p{i // 3}" for i in range(7500)],
            "platform": ["facebook", "linkedin"] * 3750,
            "thread_position": [0] * 7500,
            "reaction": ["like", "love", "wow"] * 2500,
            "count": [1] * 7500,
            "observed_at": [T0] * 7500,
        }
    ).cast({"thread_position": pl.Int32, "observed_at": schema.UTC_TIME})
    spec = spec_of(charts.reactions_by_type(reactions))
    rows = values_of(spec)
    assert len(rows) == 6
    assert sum(r["total"] for r in rows) == 7500
    many = pl.concat(
        [long.with_columns(post_id=pl.lit(f"x{i}")) for i in range(1200)]
    )  # 13,200 rows, 1,200 videos
    vspec = spec_of(charts.video_retention(many))
    assert all(len(v) <= charts.MAX_ROWS for v in datasets(vspec))
    stats = layer_values(vspec["hconcat"][0], 2)
    assert {r["n_posts"] for r in stats} == {1200}
    assert any("thin lines show" in s for s in vspec["hconcat"][0]["title"]["subtitle"])


def test_empty_inputs_give_no_data_charts():
    empty_wide = schema.empty(schema.WIDE_SCHEMA)
    results = [
        charts.platform_comparison(empty_wide),
        charts.growth_curves(empty_wide),
        charts.campaign_comparison(
            pl.DataFrame(
                schema={
                    "campaign": pl.String,
                    "estimate": pl.Float64,
                    "low": pl.Float64,
                    "high": pl.Float64,
                    "n": pl.Int64,
                }
            )
        ),
        charts.reactions_by_type(schema.empty(schema.REACTIONS_SCHEMA)),
        charts.top_posts(empty_wide),
        charts.best_time_heatmap(empty_wide),
        charts.funnel(empty_wide),
        charts.video_retention(schema.empty(schema.LONG_SCHEMA)),
        charts.video_retention(empty_wide),
    ]
    for chart in results:
        spec = spec_of(chart)
        assert "no data" in spec["title"]["text"]
    demo_empty = spec_of(charts.top_posts(empty_wide, demo=True))
    assert charts.DEMO_SUBTITLE in top_subtitle(demo_empty)


def test_bad_input_is_a_clear_error(wide):
    with pytest.raises(TypeError, match="expects a polars DataFrame"):
        charts.top_posts([{"likes": 1}])
    with pytest.raises(ValueError, match="not numeric"):
        charts.top_posts(wide, "text")
    with pytest.raises(ValueError, match="n must be a positive integer"):
        charts.top_posts(wide, n=0)
    with pytest.raises(ValueError, match="mode must be"):
        charts.reactions_by_type(_r(), mode="pie")


def test_lazy_frames_are_accepted(wide, snapshots):
    spec = spec_of(charts.platform_comparison(wide.lazy()))
    assert {r["platform"] for r in layer_values(spec, 0)} >= {"facebook", "tiktok"}
    lazy = spec_of(charts.growth_curves(snapshots.lazy()))
    assert lazy == spec_of(charts.growth_curves(snapshots))


# --------------------------------------------------------------------------- theme and import


def test_theme_registered_not_enabled():
    assert "ayr" in alt.theme.names()
    assert alt.theme.active != "ayr"
    with charts.use_theme():
        assert alt.theme.active == "ayr"
        cfg = alt.Chart(alt.Data(values=[{"a": 1}])).mark_point().to_dict()["config"]
        assert cfg["title"]["anchor"] == "start"
    assert alt.theme.active != "ayr"


def test_importing_the_package_does_not_import_altair(tmp_path):
    code = "import sys, ayr_analysis, ayr_analysis.schema; print('altair' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- rendering


def test_every_helper_renders_to_svg_and_png(built, wide):
    for name, chart in [*built.items(), ("empty", charts.funnel(schema.empty(schema.WIDE_SCHEMA)))]:
        svg = charts.chart_to_image(chart, "svg")
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg"), name
        assert "<svg" in svg
        drawn = [e for e in root.iter() if e.tag.endswith(("path", "rect", "line", "text"))]
        assert len(drawn) > 5, name
        assert 'class="mark-' in svg, name
        png = charts.chart_to_image(chart, "png", scale=1)
        assert png[:8] == PNG_SIGNATURE, name
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert 100 < width < 4000 and 50 < height < 4000, (name, width, height)
    # marks that carry the data are drawn (e.g. one bar per network in the comparison)
    svg = charts.chart_to_image(built["platform_comparison"], "svg")
    assert svg.count('class="mark-rect') >= 1 and "instagram" in svg


def test_save_chart_writes_png_svg_and_offline_html(built, tmp_path):
    chart = built["top_posts"]
    png = charts.save_chart(chart, tmp_path / "top.png")
    png1 = charts.save_chart(chart, tmp_path / "top1.png", scale=1)
    svg = charts.save_chart(chart, tmp_path / "top.svg")
    html = charts.save_chart(chart, tmp_path / "top.HTML")
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    w2 = int.from_bytes(png.read_bytes()[16:20], "big")
    w1 = int.from_bytes(png1.read_bytes()[16:20], "big")
    assert w2 == 2 * w1  # scale=2 by default
    assert ET.fromstring(svg.read_text()).tag.endswith("svg")
    text = html.read_text()
    assert "<html" in text.lower() and "vega" in text.lower()
    import re

    assert not re.search(r"<script[^>]+src=[\"']https?://", text)
    assert "Top 3 posts by likes" in text
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.html.*'\.pdf'"):
        charts.save_chart(chart, tmp_path / "top.pdf")
    with pytest.raises(ValueError, match="no extension"):
        charts.save_chart(chart, tmp_path / "top")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "top.HTML",
        "top.png",
        "top.svg",
        "top1.png",
    ]


def test_x_threads_count_as_one_post():
    rows = [
        post("th", "twitter", likes=5) | {"thread_position": 0},
        post("th", "twitter", likes=7) | {"thread_position": 1},
        post("th", "twitter") | {"thread_position": 2},  # this tweet reported nothing
        post("nl", "twitter") | {"thread_position": 0},
        post("nl", "twitter") | {"thread_position": 1},  # no tweet of this thread reported likes
    ]
    spec = spec_of(charts.top_posts(wide_frame(rows), "likes"))
    assert [(r["post_id"], r["likes"]) for r in layer_values(spec, 0)] == [("th", 12)]
    comparison = spec_of(charts.platform_comparison(wide_frame(rows), "likes"))
    row = layer_values(comparison, 0)[0]
    assert (row["n"], row["n_not_reported"], row["median"]) == (1, 1, 12)


def test_videos_without_playback_starts_are_left_out(long):
    no_starts = long.with_columns(
        value=pl.when((pl.col("post_id") == "x2") & pl.col("field").str.contains("playback0Count"))
        .then(0.0)
        .otherwise(pl.col("value"))
    )
    spec = spec_of(charts.video_retention(no_starts))
    stats = layer_values(spec["hconcat"][0], 2)
    assert {r["quartile"]: r["n_posts"] for r in stats} == dict.fromkeys((0, 25, 50, 75, 100), 1)
    assert {r["quartile"]: r["median"] for r in stats}[25] == pytest.approx(0.6)


def test_growth_curves_by_other_column_or_none(snapshots):
    by_media = spec_of(charts.growth_curves(snapshots, by="media_type"))
    colors = [u["encoding"]["color"] for u in units(by_media)]
    assert all(c["field"] == "media_type" and "scale" not in c for c in colors)
    one = spec_of(charts.growth_curves(snapshots, by=None))
    median = layer_values(one, 2)
    assert {r["group"] for r in median} == {"all posts"}
    assert max(r["n_posts"] for r in median) == 6
    with pytest.raises(ValueError, match="no column 'campaign'"):
        charts.growth_curves(snapshots, by="campaign")
