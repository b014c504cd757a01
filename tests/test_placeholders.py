"""A placeholder 0 (a 0 on a snapshot carrying a code of ``analysis.PLACEHOLDER_CAVEATS``: a
YouTube video still processing) is "not reported" in every analysis, before any median, rank,
sum, rate or comparison; a reported 0 (no such code) stays 0."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from ayr_analysis import analysis, charts, reports
from ayr_analysis.analysis import _base, expected

T0 = datetime(2026, 8, 3, 9, tzinfo=UTC)  # a Monday
H = timedelta(hours=1)
PROCESSING = ["youtube_processing"]


def _snapshots() -> pl.DataFrame:
    """Two campaigns. YouTube: y0 and y1 (campaign A) report 0 for everything while processing
    (1 h and 24 h), then 40 and 60 likes at 72 h. TikTok: t0 (A) reports a real 0 likes at every
    age, t1 (B) 10, 20, 30. Every post has 100, 200, 300 impressions, except the processing
    snapshots (0)."""
    rows = []
    series = {
        ("y0", "youtube", "A"): [0, 0, 40],
        ("y1", "youtube", "A"): [0, 0, 60],
        ("t0", "tiktok", "A"): [0, 0, 0],
        ("t1", "tiktok", "B"): [10, 20, 30],
    }
    for (pid, platform, campaign), likes in series.items():
        for age, n, imp in zip((1, 24, 72), likes, (100, 200, 300), strict=True):
            processing = platform == "youtube" and age < 48
            rows.append(
                {
                    "post_id": pid,
                    "platform": platform,
                    "thread_position": 0,
                    "campaign": campaign,
                    "text": f"post {pid}",
                    "published_at": T0,
                    "observed_at": T0 + age * H,
                    "fetched_at": T0 + age * H,
                    "likes": n,
                    "engagements": n,
                    "impressions": 0 if processing else imp,
                    "caveats": PROCESSING if processing else [],
                }  # fmt: skip
            )
    return pl.DataFrame(rows).with_columns(pl.col("thread_position").cast(pl.Int32))


def _status(vals: pl.DataFrame) -> dict[str, tuple[float | None, str]]:
    return {r["post_id"]: (r["value"], r["status"]) for r in vals.iter_rows(named=True)}


def test_the_rule_has_one_home_and_expected_performance_reads_it():
    assert expected.PLACEHOLDER_CAVEATS is _base.PLACEHOLDER_CAVEATS
    assert analysis.PLACEHOLDER_CAVEATS is _base.PLACEHOLDER_CAVEATS
    assert expected._without_placeholders is _base.without_placeholders
    f = pl.DataFrame(
        {"likes": [0, 0, 5, None], "caveats": [PROCESSING, [], PROCESSING, PROCESSING]}
    )
    assert _base.without_placeholders(f, "likes")["likes"].to_list() == [None, 0, 5, None]
    # without a caveats column there is nothing to tell a placeholder by: the frame is unchanged
    assert _base.without_placeholders(f.drop("caveats"), "likes")["likes"].to_list() == [
        0,
        0,
        5,
        None,
    ]


@pytest.mark.parametrize("lazy", [False, True])
def test_values_at_an_age_read_a_placeholder_zero_as_not_reported_yet(lazy):
    f = _snapshots()
    vals = analysis.values(f.lazy() if lazy else f, "likes", "24h")
    assert _status(vals) == {
        "t0": (0.0, "reported"),  # a real 0 stays 0
        "t1": (20.0, "reported"),
        "y0": (None, "not_reported_yet"),
        "y1": (None, "not_reported_yet"),
    }
    assert analysis.exclusions(vals, ["platform"]).rows() == [
        ("tiktok", 2, 0, ""),
        ("youtube", 0, 2, "2 not reported yet (still processing)"),
    ]
    # at 72 h the videos have their numbers
    assert _status(analysis.values(f, "likes", "72h"))["y0"] == (40.0, "reported")


def test_values_latest_read_a_placeholder_zero_as_not_reported_yet():
    early = _snapshots().filter(pl.col("observed_at") <= T0 + 24 * H)
    assert _status(analysis.values(early, "likes")) == {
        "t0": (0.0, "reported"),
        "t1": (20.0, "reported"),
        "y0": (None, "not_reported_yet"),
        "y1": (None, "not_reported_yet"),
    }
    # a rate whose numerator and base are both placeholders: not reported yet, not "no base"
    rate = analysis.values(early, "engagement_rate")
    assert _status(rate)["y0"] == (None, "not_reported_yet")
    assert _status(rate)["t0"] == (0.0, "reported")


def test_a_placeholder_zero_between_real_values_is_not_interpolated_through():
    """y2 reports 10 likes at 1 h (before YouTube holds its numbers back), 0 (placeholder) at
    20 h and 30 h, then 110 at 50 h: at 24 h the value lies between 10 and 110, not near 0; the
    lazy read (only the snapshots around the age) gives the same."""
    rows = [
        {"post_id": "y2", "platform": "youtube", "published_at": T0, "observed_at": T0 + h * H,
         "fetched_at": T0 + h * H, "likes": n, "caveats": PROCESSING if n == 0 else []}
        for h, n in [(1, 10), (20, 0), (30, 0), (50, 110)]
    ]  # fmt: skip
    f = pl.DataFrame(rows)
    eager = analysis.values(f, "likes", "24h")["value"].item()
    lazy = analysis.values(f.lazy(), "likes", "24h")["value"].item()
    assert eager == lazy == pytest.approx(10 + 100 * 23 / 49)


def test_a_comparison_within_networks_says_a_network_is_not_reported_yet():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = analysis.compare(_snapshots(), metric="likes", at_age="24h", within="platform")
    assert any("no post counted for A (youtube)" in str(w.message) for w in caught)
    table = c.table.select("platform", "group", "rank", "n", "excluded", "estimate", "why_excluded")
    assert table.rows() == [
        ("tiktok", "B", 1, 1, 0, 20.0, ""),
        ("tiktok", "A", 2, 1, 0, 0.0, ""),  # the real 0 is counted and ranked
        ("youtube", "A", None, 0, 2, None, "2 not reported yet (still processing)"),
    ]
    assert c.without_data.rows() == [
        (
            "youtube", ["A"], 2, 2, "2 not reported yet (still processing)",
            "A: not reported yet at post age 24h, all 2 posts still processing (their 0s are "
            "placeholders, not values)",
        )
    ]  # fmt: skip
    # at 72 h every network has values: nothing to say
    later = analysis.compare(_snapshots(), metric="likes", at_age="72h", within="platform")
    assert later.without_data.is_empty()
    assert later.table.filter(pl.col("platform") == "youtube")["estimate"].item() == 50.0


def test_a_comparison_relative_to_the_network_leaves_placeholders_out_with_the_reason():
    c = analysis.compare(_snapshots(), metric="likes", at_age="24h", relative_to="platform")
    a = c.table.filter(pl.col("group") == "A").row(0, named=True)
    # A's posts with a value: t0 only (0 / the TikTok median 10); its two videos are not reported
    assert (a["n"], a["excluded"], a["estimate"]) == (1, 2, 0.0)
    assert a["why_excluded"] == "2 not reported yet (still processing)"
    assert a["caveats"] == PROCESSING and a["caveat_posts"] == [2]


def test_rates_rankings_and_summaries_leave_placeholder_zeros_out():
    f = _snapshots()
    rate = analysis.engagement_rate(f, group_by="platform", at_age="24h")
    assert rate.select("platform", "n", "excluded", "why_excluded", "numerator", "rate").rows() == [
        ("tiktok", 2, 0, "", 20.0, 0.05),
        ("youtube", 0, 2, "2 not reported yet (still processing)", None, None),
    ]
    top = analysis.top_posts(f, "likes", at_age="24h", n=10)
    assert top["post_id"].to_list() == ["t1", "t0"]  # the videos are not ranked as 0s
    dist = analysis.distribution(f, "likes", by="platform", at_age="24h")
    youtube = dist.filter(pl.col("platform") == "youtube").row(0, named=True)
    assert (youtube["n"], youtube["median"]) == (0, None)
    summary = analysis.network_summary(f, "likes", at_age="24h")
    assert summary.select("platform", "n", "median", "total", "why_excluded").rows() == [
        ("tiktok", 2, 10.0, 20.0, ""),
        ("youtube", 0, None, None, "2 not reported yet (still processing)"),
    ]


def test_the_funnel_and_the_best_time_leave_placeholder_zeros_out():
    f = _snapshots()
    funnel = analysis.funnel(f, ["impressions", "likes"], at_age="24h")
    youtube = funnel.filter(pl.col("platform") == "youtube")
    assert youtube.select("stage", "n", "total").rows() == [
        ("impressions", 0, None),
        ("likes", 0, None),
    ]
    tiktok = funnel.filter(pl.col("platform") == "tiktok")
    assert tiktok.select("stage", "n", "total").rows() == [
        ("impressions", 2, 400.0),
        ("likes", 2, 20.0),
    ]
    best = analysis.best_time_to_post(f, "likes", "24h", tz="UTC", relative_to=None, min_n=1)
    assert best.select("weekday_name", "hour", "n", "median").rows() == [("Mon", 9, 2, 10.0)]
    why = analysis.time_exclusions(f, "likes", "24h").filter(pl.col("platform") == "youtube")
    assert why.select("n", "excluded", "why_excluded").row(0) == (
        0, 2, "2 not reported yet (still processing)"
    )  # fmt: skip


def test_growth_reads_placeholder_zeros_as_not_observed():
    f = _snapshots()
    g = analysis.growth(f, "likes").filter(pl.col("post_id") == "y0")
    assert g.select("value", "delta").rows() == [(40.0, None)]  # no jump of 40 from a fake 0
    assert analysis.growth(f, "likes").filter(pl.col("post_id") == "t0")["value"].to_list() == [
        0.0, 0.0, 0.0
    ]  # fmt: skip
    half = analysis.half_life(f, "likes").filter(pl.col("post_id") == "y0")
    assert half.select("latest", "n_snapshots").row(0) == (40.0, 1)
    curves = analysis.growth_curves(f, "likes", ages=["1h", "24h", "72h"], min_posts=1)
    cohorts = curves.cohorts.select("group", "n", "excluded", "why_excluded")
    assert cohorts.rows() == [
        ("tiktok", 2, 0, ""),
        ("youtube", 0, 2, "2 not reported yet at 1h (still processing)"),
    ]
    assert curves.curve.filter(pl.col("group") == "youtube").is_empty()  # no curve of fake 0s


def _lines(spec: dict, panel: dict) -> list[str]:
    """The text lines a text panel of ``spec`` shows (its data, looked up by name)."""
    return [row["line"] for row in spec["datasets"][panel["data"]["name"]]]


def test_the_campaign_chart_says_a_network_is_not_reported_yet_instead_of_a_zero_axis():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", analysis.AnalysisWarning)
        c = analysis.compare(_snapshots(), metric="likes", at_age="24h", within="platform")
    spec = charts.campaign_comparison(c).to_dict()
    panels = {p["title"]["text"]: p for p in spec["concat"]}
    assert sorted(panels) == ["tiktok", "youtube"]
    youtube = panels["youtube"]
    # words and no axis: a text mark, the lines one under the other, no x scale drawn
    assert "layer" not in youtube and youtube["mark"]["type"] == "text"
    assert youtube["encoding"]["y"]["axis"] is None and youtube["encoding"]["x"] == {"value": 4}
    assert " ".join(_lines(spec, youtube)) == (
        "A: not reported yet at post age 24h, all 2 posts still processing (their 0s are "
        "placeholders, not values)"
    )
    # the network with values keeps its axis, points and n labels
    assert [layer["mark"]["type"] for layer in panels["tiktok"]["layer"]] == [
        "rule", "point", "text", "text"
    ]  # fmt: skip


def test_the_demo_ranking_note_tells_the_measured_order_beside_the_designed_one():
    summary = pl.DataFrame(
        {"campaign": ["reel-rush", "dev-tips", "autumn-launch"], "rank": [1, 2, 3]}
    )
    note = reports.demo_ranking_note(["reel-rush", "autumn-launch", "dev-tips"], summary)
    lines = note.splitlines()
    assert (
        lines[0]
        == "demo world, designed ranking (mean likes per post): reel-rush, autumn-launch, dev-tips"
    )
    assert lines[1] == (
        "measured above (relative to each network's median post): reel-rush, dev-tips, "
        "autumn-launch"
    )
    assert lines[2].startswith("The two orders differ (dev-tips, autumn-launch placed otherwise)")
