"""Chart helpers draw analysis results: specs (to_dict) hold the analysis layer's numbers, absences
are named, not drawn as zero; row limits, empty input, rendering, export."""

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

from ayr_analysis import analysis, charts, schema

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
        "best_time_heatmap": charts.best_time_heatmap(
            wide, "likes", at_age=None, tz="UTC", min_n=1, **kw
        ),
        "funnel": charts.funnel(wide, **kw),
        "video_retention": charts.video_retention(
            FakeFrames(long, wide, reactions, source=None), **kw
        ),
        "network_mix": charts.network_mix(wide, by="media_type", **kw),
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


def single_panel_layers(spec: dict) -> list[dict]:
    """The layers of a one-panel chart, or of every panel of a concatenated one."""
    if "layer" in spec:
        return spec["layer"]
    return [layer for panel in spec["concat"] for layer in panel["layer"]]


def panels(spec: dict) -> dict[str, dict]:
    """Panels of a concatenated chart by their title."""
    return {p["title"]["text"]: p for p in spec.get("concat", spec.get("vconcat", []))}


# --------------------------------------------------------------------------- every helper


def test_marks_of_every_helper(built):
    assert marks(spec_of(built["platform_comparison"])) == ["bar", "rule", "text"]
    growth = marks(spec_of(built["growth_curves"]))
    assert growth == ["area", "line", "line"] * 2  # two networks, one panel each
    assert marks(spec_of(built["campaign_comparison"])) == ["rule", "point", "text", "text"]
    assert marks(spec_of(built["reactions_by_type"])) == ["bar"]
    assert marks(spec_of(built["top_posts"])) == ["bar", "text"]
    assert marks(spec_of(built["best_time_heatmap"])) == ["rect", "text"]
    assert marks(spec_of(built["funnel"])) == ["bar", "text", "point", "text"]
    video = marks(spec_of(built["video_retention"]))
    assert video == ["area", "line", "line", "rule", "point", "text"]
    assert marks(spec_of(built["network_mix"])) == ["bar", "text"]


def test_each_chart_draws_the_analysis_result_it_is_given(wide, snapshots, reactions, long, built):
    """A chart given a frame calls the analysis function; given its result, it draws the same."""
    pairs = {
        "platform_comparison": charts.platform_comparison(
            analysis.distribution(wide, "likes", by="platform")
        ),
        "growth_curves": charts.growth_curves(analysis.growth_curves(snapshots, "likes")),
        "reactions_by_type": charts.reactions_by_type(analysis.reactions_by_type(reactions)),
        "top_posts": charts.top_posts(analysis.top_posts(wide, "likes", 3), n=3),
        "best_time_heatmap": charts.best_time_heatmap(
            analysis.best_time_to_post(wide, "likes", at_age=None, tz="UTC", min_n=1), min_n=1
        ),
        "funnel": charts.funnel(analysis.funnel(wide)),
        "video_retention": charts.video_retention(analysis.video_retention(long, wide)),
        "network_mix": charts.network_mix(analysis.network_mix(wide, "media_type"), "media_type"),
    }
    for name, chart in pairs.items():
        assert spec_of(chart) == spec_of(built[name]), name


def test_titles_say_metric_and_unit(built, wide):
    assert "Median likes (count)" in title_texts(spec_of(built["platform_comparison"]))
    assert "Likes (count)" in title_texts(spec_of(built["growth_curves"]))
    assert "Likes (count)" in title_texts(spec_of(built["top_posts"]))
    best = title_texts(spec_of(built["best_time_heatmap"]))
    assert "Likes ÷ the network's median post (1 = typical)" in best  # a ratio: no unit
    raw = charts.best_time_heatmap(wide, "likes", at_age=None, tz="UTC", relative_to=None)
    assert "Median likes (count)" in title_texts(spec_of(raw))
    assert "Engagement rate (%)" in title_texts(spec_of(built["campaign_comparison"]))
    assert "Reactions (count)" in title_texts(spec_of(built["reactions_by_type"]))
    assert "Completion rate (%)" in title_texts(spec_of(built["video_retention"]))
    watch = charts.top_posts(wide.with_columns(watch_time_s=pl.col("likes") * 1.5), "watch_time_s")
    assert spec_of(watch)["layer"][0]["encoding"]["x"]["title"] == "Watch time (s)"
    rate = spec_of(charts.platform_comparison(wide, "completion_rate"))
    x = rate["layer"][0]["encoding"]["x"]
    assert x["title"] == "Median completion rate (%)"
    assert x["axis"]["format"] == ".2~%"


def test_value_formats_counts_rates_and_others(wide):
    assert charts.value_format("likes") == ",.0f"
    assert charts.value_format("engagement_rate") == ".2~%"
    assert charts.value_format("avg_watch_time_s") == ",.3~r"
    spec = spec_of(charts.platform_comparison(wide, "likes"))
    tips = {t["field"]: t for t in spec["layer"][0]["encoding"]["tooltip"]}
    assert tips["median"]["format"] == ",.0f"
    assert tips["n"]["format"] == ",d"
    rate = spec_of(charts.platform_comparison(wide, "completion_rate"))
    assert {t["field"]: t for t in rate["layer"][0]["encoding"]["tooltip"]}["median"][
        "format"
    ] == ".2~%"


def test_platform_colour_scale_is_identical_everywhere(built):
    expected = {
        "domain": list(charts.PLATFORM_COLORS),
        "range": list(charts.PLATFORM_COLORS.values()),
    }
    coloured = ["platform_comparison", "top_posts", "funnel", "video_retention", "network_mix"]
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
    # growth panels are one network each: drawn in that network's colour
    growth = spec_of(built["growth_curves"])
    colours = {p["title"]["text"]: p["layer"][2]["encoding"]["color"] for p in growth["concat"]}
    assert colours == {
        "facebook": {"value": charts.PLATFORM_COLORS["facebook"]},
        "instagram": {"value": charts.PLATFORM_COLORS["instagram"]},
    }
    assert len(set(charts.PLATFORM_COLORS.values())) == len(charts.PLATFORM_COLORS)
    assert tuple(charts.PLATFORM_COLORS) == schema.PLATFORMS


def test_legends_list_only_the_networks_present(built):
    for name in ("platform_comparison", "top_posts", "funnel", "network_mix"):
        legends = [
            d["color"]["legend"]["values"]
            for d in walk(spec_of(built[name]))
            if isinstance(d.get("color"), dict)
            and isinstance(d["color"].get("legend"), dict)
            and "values" in d["color"]["legend"]
        ]
        assert legends, name
        present = {
            r["platform"]
            for v in datasets(spec_of(built[name]))
            for r in v
            if isinstance(r, dict) and "platform" in r
        }
        for values in legends:
            assert set(values) <= present and values, name
    top = spec_of(built["top_posts"])
    assert top["layer"][0]["encoding"]["color"]["legend"]["values"] == ["instagram", "tiktok"]


def test_demo_subtitle_only_for_demo(wide, snapshots, reactions, long, campaign_result, built):
    demo = all_charts(wide, snapshots, reactions, long, campaign_result, demo=True)
    for name, chart in demo.items():
        assert charts.DEMO_SUBTITLE in top_subtitle(spec_of(chart)), name
    for name, chart in built.items():
        assert "demo data" not in chart.to_json(), name


def test_demo_detected_from_analytics_frames_and_results(wide, reactions, long, snapshots):
    frames = FakeFrames(long, wide, reactions, source="demo")
    for chart in (
        charts.platform_comparison(frames),
        charts.top_posts(frames),
        charts.funnel(frames),
        charts.reactions_by_type(frames),
        charts.growth_curves(FakeFrames(long, snapshots, reactions)),
        charts.best_time_heatmap(frames, at_age=None),
        charts.video_retention(frames),
        charts.network_mix(frames, by="media_type"),
    ):
        assert charts.DEMO_SUBTITLE in top_subtitle(spec_of(chart))
    live = FakeFrames(long, wide, reactions, source="live")
    assert "demo data" not in charts.platform_comparison(live).to_json()
    # a demo source is not hidden by demo=False
    assert "demo data" in charts.platform_comparison(frames, demo=False).to_json()
    # results made from demo data (a `source` column) carry it to the chart
    tagged = snapshots.with_columns(source=pl.lit("demo"))
    assert analysis.growth_curves(tagged, "likes").demo
    growth = charts.growth_curves(analysis.growth_curves(tagged, "likes"))
    assert charts.DEMO_SUBTITLE in top_subtitle(spec_of(growth))
    assert charts.DEMO_SUBTITLE in top_subtitle(spec_of(charts.platform_comparison(tagged)))


# --------------------------------------------------------------------------- platform comparison


def test_platform_comparison_values(built):
    spec = spec_of(built["platform_comparison"])
    rows = {r["platform"]: r for r in layer_values(spec, 0)}
    # latest observation of f1 (likes 10, not 999)
    assert (rows["facebook"]["median"], rows["facebook"]["q25"], rows["facebook"]["q75"]) == (
        20,
        15,
        25,
    )
    assert rows["facebook"]["n"] == 3
    assert rows["facebook"]["n_label"] == "n=3 posts"
    assert rows["instagram"]["median"] == 200
    assert rows["instagram"]["n_label"] == "n=2 posts"
    assert "reddit" not in rows  # never reported likes: not a zero bar
    assert "no value: reddit (1 not reported by the network)" in top_subtitle(spec)
    bars, spread, text = spec["layer"]
    enc = bars["encoding"]
    assert (enc["x"]["field"], enc["x"]["type"]) == ("median", "quantitative")
    assert enc["x"]["title"] == "Median likes (count)"
    assert enc["x"]["scale"].get("type") is None  # medians 4..200: a linear axis
    assert enc["y"]["sort"][0] == "instagram"  # highest median first
    assert (spread["encoding"]["x"]["field"], spread["encoding"]["x2"]["field"]) == ("q25", "q75")
    assert text["encoding"]["text"]["field"] == "n_label"
    assert {t["field"] for t in enc["tooltip"]} >= {"median", "q25", "q75", "n", "why_excluded"}
    with pytest.raises(ValueError, match="no column 'nope'"):
        charts.platform_comparison(wide_frame([]), "nope")


def test_platform_comparison_names_each_absence_apart(snapshots):
    late = [post("y1", "youtube", hours=48, likes=40)]  # first seen at 48 h: nothing near 24 h
    silent = [post("n1", "pinterest", hours=h) for h in (1, 24, 48)]  # likes never reported
    frame = pl.concat([snapshots, wide_frame(late + silent)])
    spec = spec_of(charts.platform_comparison(frame, "likes", at_age="24h"))
    assert spec["title"]["text"] == "Median likes per post by network at post age 24h"
    assert (
        "no value: pinterest (1 not reported by the network); youtube (1 no snapshot near 24h)"
        in top_subtitle(spec)
    )
    rows = {r["platform"]: r for r in layer_values(spec, 0)}
    assert set(rows) == {"facebook", "instagram"}
    assert rows["facebook"]["median"] == 48  # 24, 48, 72 likes at 24 h
    assert rows["facebook"]["age"] == "24h"


def test_platform_comparison_log_scale_when_networks_differ_a_lot():
    rows = [post(f"t{i}", "tiktok", views=v) for i, v in enumerate((900_000, 1_100_000))]
    rows += [post(f"b{i}", "linkedin", views=v) for i, v in enumerate((40, 60, 80))]
    spec = spec_of(charts.platform_comparison(wide_frame(rows), "views"))
    enc = spec["layer"][0]["encoding"]
    assert enc["x"]["scale"]["type"] == "log"
    assert enc["x"]["title"] == "Median views (count), log scale"
    assert enc["x2"] == {"datum": enc["x"]["scale"]["domain"][0]}  # bars start at the axis
    assert any("log scale" in s for s in top_subtitle(spec))
    linear = spec_of(charts.platform_comparison(wide_frame(rows), "views", log_scale=False))
    assert "type" not in linear["layer"][0]["encoding"]["x"]["scale"]


def test_platform_comparison_and_top_posts_of_an_engagement_rate(wide):
    spec = spec_of(charts.platform_comparison(wide, "engagement_rate"))
    rows = {r["platform"]: r for r in layer_values(spec, 0)}
    assert rows["facebook"]["median"] == pytest.approx(0.035)  # 50/1000, 90/3000, 70/2000
    assert rows["instagram"]["median"] == pytest.approx((0.08 + 0.0875) / 2)
    assert spec["layer"][0]["encoding"]["x"]["axis"]["format"] == ".2~%"
    assert "tiktok (2 not reported by the network)" in " ".join(top_subtitle(spec))
    top = layer_values(spec_of(charts.top_posts(wide, "engagement_rate", n=2)), 0)
    assert [(r["post_id"], r["value"]) for r in top] == [("i2", 0.0875), ("i1", 0.08)]
    with pytest.raises(ValueError, match="no column 'engagements'"):
        charts.platform_comparison(wide.drop("engagements"), "engagement_rate")


def test_platform_comparison_rejects_a_result_of_another_metric(wide):
    dist = analysis.distribution(wide, "likes", by="platform")
    with pytest.raises(ValueError, match="of 'likes', not 'views'"):
        charts.platform_comparison(dist, "views")
    with pytest.raises(ValueError, match="several rows per network"):
        charts.platform_comparison(analysis.distribution(wide, "likes", by=["platform", "post_id"]))


# --------------------------------------------------------------------------- growth curves


def test_growth_curves_cohort_median_and_band(built):
    spec = spec_of(built["growth_curves"])
    by = panels(spec)
    assert set(by) == {"facebook", "instagram"}
    band, thin, median = by["facebook"]["layer"]
    assert thin["encoding"]["x"]["field"] == "age_h"
    assert thin["encoding"]["x"]["title"] == "Post age (hours, log scale)"
    assert thin["encoding"]["detail"]["field"] == "series"
    assert thin["encoding"]["y"]["title"] == "Likes (count)"
    med = {r["age"]: r for r in values_of(median)}
    # at 48 h facebook posts have 48, 96, 144 likes; at 2 h (between 1 h and 3 h) 2, 4, 6
    assert (med["48h"]["median"], med["48h"]["n"]) == (96, 3)
    assert med["2h"]["median"] == 4
    assert "72h" not in med  # no post observed that long: the curve stops at 48 h
    ig = {r["age"]: r for r in values_of(by["instagram"]["layer"][2])}
    assert ig["48h"]["q25"] == pytest.approx(4 * 48 + 0.5 * 48)
    assert by["facebook"]["title"]["subtitle"] == [
        "median over the same 3 posts at every age, up to 48h"
    ]
    assert {r["n"] for r in values_of(band)} == {3}
    tips = {t["field"] for t in thin["encoding"]["tooltip"]}
    assert {"label", "age", "value"} <= tips


def test_growth_median_never_falls_and_late_posts_are_counted_not_drawn():
    """Old posts first seen days after publication (with large counts) used to be mixed into
    the later ages, so a cross-section's median rose and fell with age."""
    rows = []
    for i in range(4):  # followed from 1 h: 10..40 likes per hour for 48 h, then flat
        rows += [post(f"e{i}", "tiktok", hours=h, likes=10 * (i + 1) * min(h, 48))
                 for h in (1, 6, 24, 48, 72)]  # fmt: skip
    for i in range(5):  # first observed at 60 h
        rows += [post(f"o{i}", "tiktok", hours=h, likes=50_000) for h in (60, 72)]
    spec = spec_of(charts.growth_curves(wide_frame(rows), "likes"))
    median = sorted(layer_values(spec, 2), key=lambda r: r["age_h"])
    values = [r["median"] for r in median]
    assert values == sorted(values)  # a cumulative count's median never falls
    assert {r["n"] for r in median} == {4}  # the same four posts at every age
    assert values[-1] == 25 * 48  # median of 480, 960, 1440, 1920
    assert any("5 first observed later than 1h after publication" in s for s in top_subtitle(spec))
    assert spec["title"]["subtitle"][0].startswith("thin lines: posts; bold line: median")


def test_growth_curves_name_groups_without_a_curve(snapshots):
    silent = wide_frame([post(f"n{i}", "pinterest", hours=h) for i in range(2) for h in (1, 48)])
    spec = spec_of(charts.growth_curves(pl.concat([snapshots, silent]), "likes"))
    assert "no curve: pinterest (2 not reported by the network)" in top_subtitle(spec)
    assert set(panels(spec)) == {"facebook", "instagram"}
    few = spec_of(charts.growth_curves(snapshots, "likes", min_posts=4))
    assert "no data" in few["title"]["text"]
    assert any("fewer than 4, no curve" in s for s in top_subtitle(few))


def test_growth_curves_max_age_and_its_older_spelling(snapshots):
    short = spec_of(charts.growth_curves(snapshots, "likes", max_age="12h"))
    assert max(r["age_h"] for r in single_panel_layers(short)[2]["data"]["values"]) == 12
    older = spec_of(charts.growth_curves(snapshots, "likes", max_age_hours=12))
    assert older == short
    assert "up to 12h" in panels(short)["facebook"]["title"]["subtitle"][0]


def test_growth_curves_by_other_column_or_none(snapshots):
    by_media = spec_of(charts.growth_curves(snapshots, by="media_type"))
    assert by_media["title"]["subtitle"][0].startswith("thin lines")
    assert [c["value"] for c in (u["encoding"]["color"] for u in units(by_media))] == [
        "#4c78a8"
    ] * 3
    assert by_media["title"]["subtitle"][-1] == (
        "video: median over the same 6 posts at every age, up to 48h"
    )
    one = spec_of(charts.growth_curves(snapshots, by=None))
    median = layer_values(one, 2)
    assert {r["n"] for r in median} == {6}
    assert "median over the same 6 posts at every age, up to 48h" in top_subtitle(one)
    with pytest.raises(ValueError, match="no column 'campaign'"):
        charts.growth_curves(snapshots, by="campaign")
    with pytest.raises(ValueError, match="curves given are of 'likes'"):
        charts.growth_curves(analysis.growth_curves(snapshots, "likes"), "views")


def test_growth_curves_older_arguments(snapshots):
    with pytest.warns(DeprecationWarning, match="bin_hours"):
        binned = charts.growth_curves(snapshots, "likes", bin_hours=2)
    assert spec_of(binned) == spec_of(charts.growth_curves(snapshots, "likes"))
    with pytest.raises(ValueError, match="max_age_hours must be positive"):
        charts.growth_curves(snapshots, max_age_hours=0)


def test_growth_curves_from_age_zero_use_a_symlog_axis():
    rows = [
        post(f"z{i}", "bluesky", hours=h, likes=(i + 1) * h) for i in range(3) for h in (0, 6, 48)
    ]
    spec = spec_of(charts.growth_curves(wide_frame(rows), ages=["0h", "6h", "48h"]))
    x = spec["layer"][0]["encoding"]["x"]
    assert x["scale"] == {"domain": [0.0, 48.0], "nice": False, "type": "symlog"}
    assert [r["median"] for r in layer_values(spec, 2)] == [0.0, 12.0, 96.0]


def test_growth_curves_log_scale(snapshots):
    spec = spec_of(charts.growth_curves(snapshots, log_scale=True))
    thin = panels(spec)["facebook"]["layer"][1]
    assert thin["encoding"]["y"]["scale"]["type"] == "symlog"
    assert thin["encoding"]["y"]["title"] == "Likes (count), log scale"


# --------------------------------------------------------------------------- campaigns


def test_campaign_comparison_ranked_by_lower_bound(built):
    spec = spec_of(built["campaign_comparison"])
    rule, point, n_text, no_data = spec["layer"]
    assert rule["encoding"]["y"]["sort"] == ["summer", "evergreen", "spring-launch"]
    assert rule["encoding"]["y"]["axis"]["labelLimit"] == 0  # full names
    assert rule["encoding"]["x"]["field"] == "low"
    assert rule["encoding"]["x2"]["field"] == "high"
    assert rule["encoding"]["x"]["axis"]["format"] == ".2~%"
    assert point["encoding"]["x"]["field"] == "estimate"
    assert n_text["encoding"]["text"]["field"] == "n_label"
    rows = layer_values(spec, 0)
    assert [(r["group"], r["n_label"]) for r in rows] == [
        ("summer", "n=60"),
        ("evergreen", "n=120"),
        ("spring-launch", "n=8"),
    ]


def test_campaign_comparison_configurable_columns():
    res = pl.DataFrame(
        {"platform": ["tiktok", "youtube"], "m": [1.0, 2.0], "lo": [0.5, 1.5], "hi": [2.0, 3.0]}
    )
    chart = charts.campaign_comparison(
        res, group="platform", estimate="m", low="lo", high="hi", n=None,
        metric_label="Views (count)",
    )  # fmt: skip
    spec = spec_of(chart)
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["youtube", "tiktok"]
    assert platform_color_scales(spec)
    with pytest.raises(ValueError, match="no column 'n'"):
        charts.campaign_comparison(res, group="platform", estimate="m", low="lo", high="hi")


@pytest.fixture(scope="module")
def campaign_posts() -> pl.DataFrame:
    rows = []
    names = {
        "A": "spring launch 2026: the long name of a campaign that must not be cut",
        "B": "evergreen",
        "C": "no likes anywhere",
    }
    for i in range(6):
        for camp, base in (("A", 100), ("B", 10)):
            for platform in ("tiktok", "youtube"):
                rows.append(
                    post(f"{camp}{i}", platform, likes=base + i)
                    | {"campaign": names[camp], "source": "demo"}
                )
    rows += [post(f"C{i}", "tiktok") | {"campaign": names["C"], "source": "demo"} for i in range(3)]
    return pl.DataFrame(rows, schema={**schema.WIDE_SCHEMA, "campaign": pl.String,
                                      "source": pl.String})  # fmt: skip


def test_campaign_comparison_draws_a_comparison(campaign_posts):
    with pytest.warns(analysis.AnalysisWarning, match="no post counted"):
        result = analysis.compare(campaign_posts, "campaign", "likes", at_age=None)
    spec = spec_of(charts.campaign_comparison(result))
    rule, point, n_text, no_data = spec["layer"]
    long_name = "spring launch 2026: the long name of a campaign that must not be cut"
    assert rule["encoding"]["y"]["sort"] == [long_name, "evergreen", "no likes anywhere"]
    rows = {r["group"]: r for r in layer_values(spec, 0)}
    assert rows[long_name]["estimate"] == result.table["estimate"][0] == 102.5
    assert rows[long_name]["n_label"] == "n=12"
    assert rows["no likes anywhere"]["no_data"] == "no data (3 not reported by the network)"
    assert rows["no likes anywhere"]["n_label"] is None
    assert rule["transform"] == [{"filter": "isValid(datum.estimate)"}]  # no point for no data
    assert no_data["transform"] == [{"filter": "!isValid(datum.estimate)"}]
    assert spec["title"]["text"] == "Likes, latest values (median per post) by campaign"
    assert charts.DEMO_SUBTITLE in top_subtitle(spec)  # from result.demo
    assert result.method in "; ".join(top_subtitle(spec))
    assert "n = posts counted (a post on a network, an X thread once; latest value)" in (
        top_subtitle(spec)
    )
    assert rule["encoding"]["x"]["title"] == result.label[0].upper() + result.label[1:]


def test_campaign_comparison_within_a_network_and_relative(campaign_posts):
    with pytest.warns(analysis.AnalysisWarning):
        result = analysis.compare(campaign_posts, "campaign", "likes", None, within="platform")
    spec = spec_of(charts.campaign_comparison(result))
    by = panels(spec)
    assert list(by) == ["tiktok", "youtube"]
    tiktok = {r["group"]: r for r in values_of(by["tiktok"]["layer"][0], by["tiktok"])}
    assert tiktok["evergreen"]["estimate"] == 12.5
    assert tiktok["no likes anywhere"]["no_data"].startswith("no data")
    youtube = values_of(by["youtube"]["layer"][0], by["youtube"])
    assert "no likes anywhere" not in {r["group"] for r in youtube}
    relative = analysis.compare(
        campaign_posts.filter(pl.col("campaign") != "no likes anywhere"),
        "campaign", "likes", None, relative_to="platform",
    )  # fmt: skip
    rspec = spec_of(charts.campaign_comparison(relative))
    assert rspec["layer"][-1]["encoding"]["x"]["field"] == "reference"
    assert rspec["layer"][-1]["data"]["values"] == [{"reference": 1.0}]
    assert "format" not in rspec["layer"][0]["encoding"]["x"]["axis"]


def test_campaign_comparison_description_in_the_tooltip(campaign_result):
    table = campaign_result.with_columns(description=pl.lit("Spring push on every network"))
    spec = spec_of(charts.campaign_comparison(table))
    tips = {t["field"]: t for t in spec["layer"][0]["encoding"]["tooltip"]}
    assert tips["description"]["title"] == "Description"
    assert layer_values(spec, 0)[0]["description"] == "Spring push on every network"


# --------------------------------------------------------------------------- reactions


def test_reactions_use_latest_observation(built):
    spec = spec_of(built["reactions_by_type"])
    rows = {(r["platform"], r["reaction"]): r for r in values_of(spec)}
    assert rows[("facebook", "like")]["total"] == 80  # (5 + 3) * 10, from the latest snapshot
    assert rows[("facebook", "wow")]["total"] == 0  # reported zero stays zero
    assert rows[("linkedin", "praise")]["total"] == 20
    assert rows[("facebook", "like")]["share"] == pytest.approx(80 / 110)
    assert rows[("facebook", "like")]["posts"] == 2
    enc = spec["encoding"]
    assert enc["x"]["sort"] == ["facebook (n=2)", "linkedin (n=1)"]  # n per network
    assert enc["color"]["field"] == "reaction"
    assert enc["color"]["sort"][0] == "like"  # most reactions over all networks first
    assert enc["y"]["stack"] == "zero"
    grouped = charts.reactions_by_type(_r(), mode="grouped")
    assert spec_of(grouped)["encoding"]["xOffset"]["field"] == "reaction"


def _r() -> pl.DataFrame:
    return pl.DataFrame(
        [{"post_id": "a", "platform": "facebook", "reaction": "like", "count": 1}],
        schema=schema.REACTIONS_SCHEMA,
    )


# --------------------------------------------------------------------------- top posts


def test_top_posts_order_labels_and_links(built):
    spec = spec_of(built["top_posts"])
    bars = spec["layer"][0]
    rows = layer_values(spec, 0)
    assert [r["post_id"] for r in rows] == ["i2", "i1", "t2"]
    assert [r["value"] for r in rows] == [300, 100, 70]
    assert rows[0]["label"] == "Post i2 about the spring launch #Spring… · instagram · 2026-08-03"
    assert bars["encoding"]["y"]["field"] == "label"
    assert bars["encoding"]["y"]["sort"] == [r["label"] for r in rows]
    assert bars["encoding"]["href"]["field"] == "url"
    assert rows[0]["published_at"] == "2026-08-03 09:00:00 UTC"  # datetimes serialised
    tips = {t["field"] for t in bars["encoding"]["tooltip"]}
    assert {"post_id", "snippet", "url", "value", "label"} <= tips
    assert spec["title"]["subtitle"] == [
        "each post's latest reported value; a post on a network, an X thread counted once "
        "(tweets summed)"
    ]


def test_top_posts_at_an_age_and_text_length(snapshots):
    spec = spec_of(charts.top_posts(snapshots, "likes", n=2, at_age="6h", text_chars=12))
    rows = layer_values(spec, 0)
    assert [(r["post_id"], r["value"]) for r in rows] == [("p5", 36), ("p4", 30)]
    assert rows[0]["label"] == "Post p5 abo… · instagram · 2026-08-03"
    assert spec["title"]["text"] == "Top 2 posts by likes at post age 6h"


def test_x_threads_count_as_one_post_as_in_the_analysis_layer():
    rows = [
        post("th", "twitter", likes=5) | {"thread_position": 0},
        post("th", "twitter", likes=7) | {"thread_position": 1},
        post("th", "twitter") | {"thread_position": 2},  # this tweet reported nothing
        post("nl", "twitter") | {"thread_position": 0},
        post("nl", "twitter") | {"thread_position": 1},  # no tweet of this thread reported likes
        post("so", "twitter", likes=10) | {"thread_position": 0},
    ]
    frame = wide_frame(rows)
    spec = spec_of(charts.top_posts(frame, "likes"))
    drawn = [(r["post_id"], r["value"], r.get("tweets")) for r in layer_values(spec, 0)]
    assert drawn == [("th", 12, 3), ("so", 10, 1)]  # the thread's 12 beats the single tweet
    ranked = analysis.top_posts(frame, "likes")
    assert drawn == list(zip(ranked["post_id"], ranked["value"], ranked["tweets"], strict=True))
    comparison = spec_of(charts.platform_comparison(frame, "likes"))
    row = layer_values(comparison, 0)[0]
    assert (row["n"], row["excluded"], row["median"]) == (2, 1, 11)


# --------------------------------------------------------------------------- best time


def test_best_time_heatmap_from_the_analysis_cells(built, wide):
    spec = spec_of(built["best_time_heatmap"])
    rows = layer_values(spec, 0)
    # all posts published Monday 09:00 UTC; 9 posts report likes; each relative to its
    # network's median post: the cell's median is the typical post, 1.0
    assert [(r["weekday_name"], r["hour"], r["n"], r["median"], r["rank"]) for r in rows] == [
        ("Mon", 9, 9, 1.0, 1)
    ]
    rect = spec["layer"][0]["encoding"]
    assert rect["x"]["field"] == "hour" and rect["x"]["type"] == "ordinal"
    assert rect["y"]["scale"]["domain"] == list(charts.WEEKDAYS)
    assert rect["x"]["title"] == "Hour published (UTC)"
    sub = top_subtitle(spec)
    assert (
        sub[0] == "colour: median likes relative to the median post of its platform (1 = typical)"
    )
    assert sub[1].startswith("each post's latest reported value")
    assert sub[2] == "time zone: UTC; cells with n < 1 shown faded, not ranked; blank: no post"
    raw = spec_of(charts.best_time_heatmap(wide, "likes", at_age=None, tz="UTC", relative_to=None))
    assert layer_values(raw, 0)[0]["median"] == 30  # 4, 9, 10, 20, 30, 50, 70, 100, 300


def test_best_time_heatmap_names_the_time_zone(wide):
    spec = spec_of(charts.best_time_heatmap(wide, "likes", at_age=None, tz="Europe/Paris"))
    assert layer_values(spec, 0)[0]["hour"] == 11  # 09:00 UTC is 11:00 in Paris in August
    assert any(s.startswith("time zone: Europe/Paris") for s in top_subtitle(spec))
    assert spec["layer"][0]["encoding"]["x"]["title"] == "Hour published (Europe/Paris)"
    cells = analysis.best_time_to_post(wide, "likes", at_age=None, tz="America/New_York")
    ny = spec_of(charts.best_time_heatmap(cells))
    assert any("time zone: America/New_York" in s for s in top_subtitle(ny))
    assert layer_values(ny, 0)[0]["hour"] == 5
    with pytest.raises(ValueError, match="unknown time zone"):
        charts.best_time_heatmap(wide, tz="Mars/Olympus")


def test_best_time_heatmap_fades_cells_without_a_rank(snapshots):
    cells = pl.DataFrame(
        {"weekday": [1, 1, 3], "weekday_name": ["Mon", "Mon", "Wed"], "hour": [9, 10, 9],
         "n": [5, 1, 4], "median": [2.0, 9.0, 1.0], "rank": [1, None, 2], "tz": ["UTC"] * 3,
         "measure": ["likes"] * 3, "metric": ["likes"] * 3, "age": ["24h"] * 3,
         "unit": ["post"] * 3},
    )  # fmt: skip
    spec = spec_of(charts.best_time_heatmap(cells))
    rows = {(r["weekday_name"], r["hour"]): r for r in layer_values(spec, 0)}
    assert rows[("Mon", 10)]["faded"] is True  # 9.0 but one post: faded, not ranked
    assert rows[("Mon", 9)]["faded"] is False and rows[("Mon", 9)]["top"] == "#1"
    assert spec["layer"][0]["encoding"]["opacity"]["condition"]["test"] == "datum.faded"
    assert top_subtitle(spec)[1] == "at post age 24h; a post on a network, an X thread counted once"


def test_best_time_heatmap_accepts_the_older_table():
    pre = pl.DataFrame({"weekday": [1, 7], "hour": [8, 20], "value": [3.0, 5.0], "n": [2, 9]})
    spec = spec_of(charts.best_time_heatmap(pre, "comments"))
    rows = layer_values(spec, 0)
    assert [(r["weekday_name"], r["median"], r["faded"]) for r in rows] == [
        ("Mon", 3.0, True),
        ("Sun", 5.0, False),
    ]
    older = spec_of(charts.best_time_heatmap(pre, "comments", min_posts=1))
    assert [r["faded"] for r in layer_values(older, 0)] == [False, False]
    twice = pl.concat([pre, pre])
    with pytest.raises(ValueError, match="several rows for one weekday and hour"):
        charts.best_time_heatmap(twice)


# --------------------------------------------------------------------------- funnel


def test_funnel_not_reported_is_not_zero(built):
    spec = spec_of(built["funnel"])
    bars, n_text, crosses, zeros = spec["layer"]
    rows = {(r["platform"], r["stage"]): r for r in values_of(bars, spec)}
    # instagram never reported clicks: null and "not reported", never 0
    ig = rows[("instagram", "clicks")]
    assert ig["total"] is None
    assert ig["status"] == "not_reported"
    assert ig["reported_for"] == "not reported by the network"
    # linkedin reported zero clicks: a real 0
    assert rows[("linkedin", "clicks")]["total"] == 0
    assert rows[("linkedin", "clicks")]["status"] == "reported"
    assert rows[("facebook", "clicks")]["total"] == 12
    assert rows[("facebook", "clicks")]["reported_for"] == "3 of 3 posts"
    assert rows[("facebook", "clicks")]["n_label"] == "n=3"
    assert rows[("facebook", "engagements")]["of_first"] == pytest.approx(210 / 6000)
    assert bars["transform"] == [{"filter": "isValid(datum.total)"}]
    assert n_text["encoding"]["text"]["field"] == "n_label"
    assert ("instagram", "clicks") in {(r["platform"], r["stage"]) for r in values_of(crosses)}
    assert crosses["encoding"]["shape"]["scale"]["domain"] == ["no value"]
    assert [(r["platform"], r["stage"]) for r in values_of(zeros)] == [("linkedin", "clicks")]
    assert zeros["encoding"]["text"] == {"value": "0"}
    assert any(t.get("field") == "reported_for" for t in crosses["encoding"]["tooltip"])


def test_funnel_at_an_age_names_what_was_not_observed(snapshots):
    frame = snapshots.with_columns(impressions=pl.col("likes") * 10)
    spec = spec_of(charts.funnel(frame, stages=["impressions", "likes"], at_age="72h"))
    assert "no data" not in spec["title"]["text"]
    rows = {(r["platform"], r["stage"]): r for r in layer_values(spec, 0)}
    assert rows[("facebook", "likes")]["reported_for"] == "no snapshot near 72h"
    at_6h = spec_of(charts.funnel(frame, stages=["impressions", "likes"], at_age="6h"))
    fb = {(r["platform"], r["stage"]): r for r in layer_values(at_6h, 0)}
    assert fb[("facebook", "likes")]["total"] == 6 + 12 + 18


# --------------------------------------------------------------------------- video


def test_video_retention_quartiles_and_completion(built, long, wide):
    spec = spec_of(built["video_retention"])
    retention, completion = spec["hconcat"]
    median = layer_values(retention, 2)
    by_q = {r["quartile"]: r["median"] for r in median}
    assert by_q[0] == 1.0
    assert by_q[50] == pytest.approx((0.4 + 0.7) / 2)
    assert by_q[100] == pytest.approx((0.2 + 0.5) / 2)
    assert {r["n"] for r in median} == {2}
    assert "twitter: 2 videos" in retention["title"]["subtitle"]
    comp = {(r["platform"], r["measure"]): r for r in layer_values(completion, 0)}
    assert comp[("tiktok", "Completion rate")]["median"] == pytest.approx(0.325)
    assert comp[("tiktok", "Completion rate")]["n_label"] == "n=2"
    assert comp[("youtube", "Average view fraction")]["median"] == pytest.approx(0.55)
    assert comp[("twitter", "Completion rate")]["source"] == "playback100 / playback0"
    assert retention["layer"][1]["encoding"]["y"]["axis"]["format"] == ".0%"
    assert any(
        s.startswith("no completion measure reported by: facebook, instagram, linkedin, reddit")
        for s in completion["title"]["subtitle"]
    )
    # from the long frame alone: the quartiles, and X's playback100 / playback0 as completion
    only_long = spec_of(charts.video_retention(long))
    assert marks(only_long) == ["area", "line", "line", "rule", "point", "text"]
    assert {r["platform"] for r in layer_values(only_long["hconcat"][1], 0)} == {"twitter"}
    only_wide = spec_of(charts.video_retention(wide))
    assert marks(only_wide) == ["rule", "point", "text"]
    assert "Completion rate (%)" in only_wide["title"]["text"]


def test_videos_without_playback_starts_are_left_out_and_counted(long):
    no_starts = long.with_columns(
        value=pl.when((pl.col("post_id") == "x2") & pl.col("field").str.contains("playback0Count"))
        .then(0.0)
        .otherwise(pl.col("value"))
    )
    spec = spec_of(charts.video_retention(no_starts))
    retention = spec["hconcat"][0]
    stats = layer_values(retention, 2)
    assert {r["quartile"]: r["n"] for r in stats} == dict.fromkeys((0, 25, 50, 75, 100), 1)
    assert {r["quartile"]: r["median"] for r in stats}[25] == pytest.approx(0.6)
    assert "twitter: 1 videos; left out: 1 no playback starts" in retention["title"]["subtitle"]


# --------------------------------------------------------------------------- network mix


def test_network_mix_stacks_posts_per_network():
    rows = [post(f"a{i}", p) | {"campaign": "autumn"} for i, p in enumerate(["tiktok"] * 3)]
    rows += [post("a9", "youtube") | {"campaign": "autumn"}, post("b1", "tiktok") | {
        "campaign": "brand"}]  # fmt: skip
    frame = pl.DataFrame(rows, schema={**schema.WIDE_SCHEMA, "campaign": pl.String})
    mix = analysis.network_mix(frame)
    spec = spec_of(charts.network_mix(mix, demo=True))
    bars, text = spec["layer"]
    rows = {(r["campaign"], r["platform"]): r for r in layer_values(spec, 0)}
    assert rows[("autumn", "tiktok")]["posts"] == 3
    assert rows[("autumn", "tiktok")]["share"] == 0.75
    assert bars["encoding"]["color"]["legend"]["values"] == ["tiktok", "youtube"]
    assert bars["encoding"]["x"]["stack"] == "zero"
    assert text["encoding"]["text"] == {"field": "posts", "format": ",d", "type": "quantitative"}
    assert charts.DEMO_SUBTITLE in top_subtitle(spec)
    assert spec_of(charts.network_mix(frame, demo=True)) == spec


# --------------------------------------------------------------------------- limits and empties


@pytest.mark.slow
def test_large_input_stays_below_the_row_limit():
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
        charts.growth_curves(big, by=None),
        charts.top_posts(big, n=20),
        charts.best_time_heatmap(big),
        charts.funnel(big),
    ]
    for chart in built:
        spec = spec_of(chart)  # never raises MaxRowsError
        assert all(len(v) <= charts.MAX_ROWS for v in datasets(spec))
    one = spec_of(built[2])
    assert any("thin lines show" in s for s in top_subtitle(one))
    assert {r["n"] for r in layer_values(one, 2)} == {1500}  # the median uses every post
    assert alt.data_transformers.options.get("max_rows", 5000) == 5000


@pytest.mark.slow
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
    assert sorted(r["total"] for r in rows) == [1250] * 6
    many = pl.concat(
        [long.with_columns(post_id=pl.lit(f"x{i}")) for i in range(1200)]
    )  # 13,200 rows, 1,200 videos
    vspec = spec_of(charts.video_retention(many))
    assert all(len(v) <= charts.MAX_ROWS for v in datasets(vspec))
    stats = layer_values(vspec["hconcat"][0], 2)
    assert {r["n"] for r in stats} == {1200}
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
        charts.network_mix(empty_wide.with_columns(campaign=pl.lit(None, pl.String))),
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
    with pytest.raises(ValueError, match="stages must be distinct"):
        charts.funnel(wide, stages=["likes", "likes"])


def test_lazy_frames_are_accepted(wide, snapshots):
    spec = spec_of(charts.platform_comparison(wide.lazy()))
    assert {r["platform"] for r in layer_values(spec, 0)} >= {"facebook", "tiktok"}
    lazy = spec_of(charts.growth_curves(snapshots.lazy()))
    assert lazy == spec_of(charts.growth_curves(snapshots))


def test_public_names_still_import():
    from ayr_analysis.charts import (  # noqa: F401
        DEMO_SUBTITLE,
        MAX_ROWS,
        METRIC_LABELS,
        PLATFORM_COLORS,
        best_time_heatmap,
        campaign_comparison,
        chart_to_image,
        funnel,
        growth_curves,
        metric_title,
        network_mix,
        platform_comparison,
        platform_scale,
        reactions_by_type,
        save_chart,
        top_posts,
        use_theme,
        video_retention,
    )

    assert set(charts.__all__) >= {
        "best_time_heatmap", "campaign_comparison", "chart_to_image", "funnel", "growth_curves",
        "metric_title", "platform_comparison", "platform_scale", "reactions_by_type",
        "save_chart", "top_posts", "use_theme", "video_retention", "network_mix",
    }  # fmt: skip
    assert all(callable(getattr(charts, n)) or n.isupper() for n in charts.__all__)


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


@pytest.mark.slow
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


@pytest.mark.slow
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
