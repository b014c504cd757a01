"""The analysis layer: one unit of analysis, three absences, cohort growth, honest comparisons."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ayr_analysis import analysis
from ayr_analysis.analysis import AnalysisWarning

T0 = datetime(2026, 8, 3, 9, tzinfo=UTC)  # a Monday
H = timedelta(hours=1)


def _thread_frame() -> pl.DataFrame:
    """An X thread of 3 tweets (likes 50 + 40 + 30 = 120) and a single tweet with 100 likes."""
    rows = []
    for pos, likes, imp in [(0, 50, 1000), (1, 40, 800), (2, 30, 700)]:
        rows.append(
            {
                "post_id": "thread",
                "platform": "twitter",
                "thread_position": pos,
                "fetched_at": T0 + 30 * H,
                "observed_at": T0 + 30 * H,
                "published_at": T0,
                "text": ["A thread opener", "second", "third"][pos],
                "likes": likes,
                "engagements": likes,
                "impressions": imp,
            }  # fmt: skip
        )
    rows.append(
        {
            "post_id": "single",
            "platform": "twitter",
            "thread_position": 0,
            "fetched_at": T0 + 30 * H,
            "observed_at": T0 + 30 * H,
            "published_at": T0,
            "text": "One tweet",
            "likes": 100,
            "engagements": 100,
            "impressions": 1000,
        }  # fmt: skip
    )
    return pl.DataFrame(rows).with_columns(pl.col("thread_position").cast(pl.Int32))


# --------------------------------------------------------------------------- one thread rule


def test_a_thread_is_one_post_everywhere():
    f = _thread_frame()
    post = analysis.units(f)
    assert post.height == 2
    thread = post.filter(pl.col("post_id") == "thread").row(0, named=True)
    assert (thread["likes"], thread["impressions"], thread["tweets"]) == (120, 2500, 3)
    assert thread["text"] == "A thread opener"  # metadata from the first tweet
    # rankings: the thread (120 summed) beats the single tweet (100)
    assert analysis.top_posts(f, "likes")["post_id"].to_list() == ["thread", "single"]
    # distributions count posts, not tweets
    dist = analysis.distribution(f, "likes", by="platform")
    assert dist.select("n", "median", "unit").row(0) == (2, 110.0, "post")
    # rates count the thread once: (120 + 100) / (2500 + 1000)
    rate = analysis.engagement_rate(f, group_by="platform").row(0, named=True)
    assert rate["n"] == 2
    assert rate["rate"] == pytest.approx(220 / 3500)
    # the tweet level only when asked
    assert analysis.distribution(f, "likes", by="platform", unit="tweet")["n"].item() == 4


def test_thread_sum_stays_null_when_no_tweet_reported():
    f = _thread_frame().with_columns(pl.lit(None, pl.Int64).alias("comments"))
    vals = analysis.values(f, "comments")
    assert vals["status"].to_list() == ["not_reported", "not_reported"]
    assert vals["value"].to_list() == [None, None]


# --------------------------------------------------------------------------- three absences


def _absences() -> pl.DataFrame:
    rows = [  # a: views reported 0; b: views reported, only at 100h; c: never reports views
        ("a", "tiktok", 23, 0),
        ("a", "tiktok", 25, 0),
        ("b", "tiktok", 100, 50),
        ("c", "linkedin", 23, None),
        ("c", "linkedin", 25, None),
    ]
    return pl.DataFrame(
        [
            {
                "post_id": p,
                "platform": n,
                "published_at": T0,
                "observed_at": T0 + h * H,
                "views": v,
            }  # fmt: skip
            for p, n, h, v in rows
        ],
        schema_overrides={"views": pl.Int64},
    )


def test_three_absences_three_words():
    vals = analysis.values(_absences(), "views", at_age="24h")
    got = dict(zip(vals["post_id"], zip(vals["status"], vals["value"], strict=True), strict=True))
    assert got == {
        "a": ("reported", 0.0),  # a reported zero is a value
        "b": ("not_observed", None),  # reported, but first seen at 100 h
        "c": ("not_reported", None),  # the network never gave it
    }
    table = analysis.exclusions(vals, ["platform"])
    assert table.rows() == [
        ("linkedin", 0, 1, "1 not reported by the network"),
        ("tiktok", 1, 1, "1 no snapshot near 24h"),
    ]


def test_latest_keeps_the_last_reported_value():
    f = pl.DataFrame(
        {
            "post_id": ["a", "a"],
            "platform": ["tiktok"] * 2,
            "observed_at": [T0, T0 + 200 * H],
            "reach": [500, None],
        }  # fmt: skip
    )
    vals = analysis.values(f, "reach")
    assert vals.select("value", "status").row(0) == (500.0, "reported")


def test_latest_tie_break_is_deterministic():
    rows = [
        {"post_id": "a", "platform": "x", "observed_at": T0, "fetched_at": T0 + H, "likes": 1,
         "views": None},
        {"post_id": "a", "platform": "x", "observed_at": T0, "fetched_at": T0 + H, "likes": 2,
         "views": 7},
        {"post_id": "a", "platform": "x", "observed_at": T0, "fetched_at": T0, "likes": 3,
         "views": 9},
    ]  # fmt: skip
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        frame = pl.DataFrame([rows[i] for i in order])
        assert analysis.latest(frame)["likes"].to_list() == [2]  # latest fetch, most reported


# --------------------------------------------------------------------------- comparisons


def test_groups_without_data_get_no_rank_and_a_warning():
    f = pl.DataFrame(
        {
            "post_id": list("abcd"),
            "platform": ["x"] * 4,
            "published_at": [T0] * 4,
            "observed_at": [T0 + 24 * H] * 3 + [T0 + 500 * H],
            "campaign": ["A", "A", "B", "C"],
            "likes": [5, 7, 3, 100],
        }  # fmt: skip
    )
    with pytest.warns(AnalysisWarning, match="C"):
        c = analysis.compare(f, metric="likes", at_age="24h")
    table = {r["group"]: r for r in c.table.iter_rows(named=True)}
    assert table["A"]["rank"] == 1 and table["B"]["rank"] == 2
    assert table["C"]["rank"] is None and table["C"]["n"] == 0
    assert table["C"]["why_excluded"] == "1 no snapshot near 24h"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        analysis.compare(f.filter(pl.col("campaign") != "C"), metric="likes", at_age="24h")


def test_relative_to_network_does_not_reward_the_network_mix():
    # campaign A runs on TikTok (big numbers), B on LinkedIn (small): raw medians crown A, but
    # relative to each network's median post, B's posts are the better ones
    f = pl.DataFrame(
        {
            "post_id": [f"p{i}" for i in range(8)],
            "platform": ["tiktok"] * 4 + ["linkedin"] * 4,
            "campaign": ["A", "A", "C", "C", "B", "B", "C", "C"],
            "likes": [900, 1000, 1000, 1100, 30, 32, 10, 12],
        }  # fmt: skip
    )
    raw = analysis.compare(f, metric="likes", at_age=None)
    assert raw.table.filter(pl.col("rank") == 1)["group"].item() == "A"
    fair = analysis.compare(f, metric="likes", at_age=None, relative_to="platform")
    assert fair.table.filter(pl.col("rank") == 1)["group"].item() == "B"
    assert "relative to" in fair.label
    within = analysis.compare(f, metric="likes", at_age=None, within="platform")
    assert set(within.table["platform"]) == {"tiktok", "linkedin"}
    assert within.table.filter(pl.col("platform") == "linkedin")["group"].to_list() == ["B", "C"]


# --------------------------------------------------------------------------- growth


def _post_snapshots(pid: str, platform: str, first_h: float, values: list[tuple[float, int]]):
    return [
        {
            "post_id": pid,
            "platform": platform,
            "published_at": T0,
            "observed_at": T0 + timedelta(hours=h),
            "likes": v,
        }  # fmt: skip
        for h, v in values
        if h >= first_h
    ]


def test_growth_curves_leave_out_posts_first_seen_late():
    rows = []
    for i in range(4):  # tracked from 1 h on
        rows += _post_snapshots(f"early{i}", "tiktok", 0, [(1, 10 * i), (24, 50 + 10 * i),
                                                          (200, 90 + 10 * i)])  # fmt: skip
    for i in range(3):  # first seen weeks later, with huge counts
        rows += _post_snapshots(f"late{i}", "tiktok", 0, [(1200, 9000), (1500, 9500)])
    g = analysis.growth_curves(pl.DataFrame(rows), "likes", max_age="7d")
    cohort = g.cohorts.row(0, named=True)
    assert (cohort["n"], cohort["horizon"], cohort["excluded"]) == (4, "7d", 3)
    assert "3 first observed later than 1h after publication" in cohort["why_excluded"]
    assert g.curve["n"].unique().to_list() == [4]  # the same posts at every age
    assert g.curve["median"].max() < 200  # nothing of the late posts' 9,000
    assert set(g.posts["post_id"]) == {f"early{i}" for i in range(4)}


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.5, 30),  # first observation (hours after publication)
            st.lists(st.integers(0, 500), min_size=1, max_size=6),  # increments
            st.lists(st.floats(1, 60), min_size=1, max_size=6),  # hours between snapshots
        ),
        min_size=3,
        max_size=12,
    )
)
def test_cohort_median_of_cumulative_counts_never_falls(posts):
    rows = []
    for i, (first, steps, gaps) in enumerate(posts):
        t, total = first, 0
        for step, gap in zip(steps, gaps, strict=False):
            total += step
            rows.append(
                {
                    "post_id": f"p{i}",
                    "platform": "tiktok",
                    "published_at": T0,
                    "observed_at": T0 + timedelta(hours=t),
                    "likes": total,
                }  # fmt: skip
            )
            t += gap
    g = analysis.growth_curves(pl.DataFrame(rows), "likes", max_age="30d", min_posts=1)
    for col in ("median", "q25", "q75", "q10", "q90"):
        series = g.curve.sort("age_h")[col].to_list()
        assert all(b >= a - 1e-9 for a, b in zip(series, series[1:], strict=False)), col
    assert g.curve["n"].n_unique() <= 1


# --------------------------------------------------------------------------- timing and labels


def test_best_time_is_in_the_chosen_zone_and_thin_cells_are_not_ranked():
    rows = [
        {
            "post_id": f"p{i}",
            "platform": "x",
            "published_at": T0 + timedelta(days=d),
            "likes": v,
        }  # fmt: skip
        for i, (d, v) in enumerate([(0, 10), (0, 12), (0, 14), (1, 99)])
    ]
    cells = analysis.best_time_to_post(
        pl.DataFrame(rows), "likes", at_age=None, tz="America/New_York", relative_to=None
    )
    # 09:00 UTC is 05:00 in New York (summer time)
    assert cells.select("weekday_name", "hour", "n", "rank", "tz").rows() == [
        ("Mon", 5, 3, 1, "America/New_York"),
        ("Tue", 5, 1, None, "America/New_York"),  # n < 3: shown, not ranked
    ]
    with pytest.raises(ValueError, match="time zone"):
        analysis.best_time_to_post(pl.DataFrame(rows), "likes", at_age=None, tz="Mars/Base")


def test_top_posts_are_labelled_by_text_network_and_day():
    top = analysis.top_posts(_thread_frame(), "likes", n=1)
    assert top["label"].item() == "A thread opener · twitter · 2026-08-03"


# --------------------------------------------------------------------------- caveats


def _caveated() -> pl.DataFrame:
    """Three YouTube videos (two of them processing at 1 h: 0 likes, ``youtube_processing``)
    and a pin whose likes are not reported yet (``pinterest_delayed``), seen at 1 h, 24 h, 72 h."""
    rows = []
    for i, (pid, platform) in enumerate(
        [("v0", "youtube"), ("v1", "youtube"), ("v2", "youtube"), ("p0", "pinterest")]
    ):
        for age, likes in [(1, 10), (24, 50), (72, 90)]:
            processing = platform == "youtube" and i < 2 and age == 1
            rows.append(
                {
                    "post_id": pid,
                    "platform": platform,
                    "thread_position": 0,
                    "published_at": T0,
                    "observed_at": T0 + timedelta(hours=age),
                    "likes": None if platform == "pinterest" else 0 if processing else likes + i,
                    "caveats": ["youtube_processing"]
                    if processing
                    else ["pinterest_delayed"]
                    if platform == "pinterest"
                    else [],
                }  # fmt: skip
            )
    return pl.DataFrame(rows).with_columns(pl.col("thread_position").cast(pl.Int32))


def test_growth_cohorts_and_curves_carry_the_caveats_of_their_posts_at_each_age():
    """The two videos processing at 1 h report placeholder zeros there: not reported yet, so
    they are left out of a cohort that starts at 1 h (with the reason and their caveat), and
    the curve is the third video's, not a median of fake zeros."""
    g = analysis.growth_curves(_caveated(), "likes", ages=["1h", "24h", "72h"], min_posts=1)
    assert g.curve.select("group", "age", "median", "caveats", "caveat_posts").rows() == [
        ("youtube", "1h", 12.0, [], []),
        ("youtube", "24h", 52.0, [], []),
        ("youtube", "72h", 92.0, [], []),
    ]
    cohorts = g.cohorts.select("group", "n", "excluded", "why_excluded", "caveats", "caveat_posts")
    assert cohorts.rows() == [
        ("pinterest", 0, 1, "1 not reported by the network", ["pinterest_delayed"], [1]),
        ("youtube", 1, 2, "2 not reported yet at 1h (still processing)",
         ["youtube_processing"], [2]),
    ]  # fmt: skip
    assert g.table().select("group", "1h", "caveats", "caveat_posts").rows() == [
        ("pinterest", None, ["pinterest_delayed"], [1]),
        ("youtube", 12.0, ["youtube_processing"], [2]),
    ]
    # from 24 h on every video has its numbers: all three are in the cohort
    later = analysis.growth_curves(_caveated(), "likes", ages=["24h", "72h"], min_posts=2)
    assert later.curve.select("group", "age", "n", "median").rows() == [
        ("youtube", "24h", 3, 51.0),
        ("youtube", "72h", 3, 91.0),
    ]


def test_best_time_cells_and_the_funnel_carry_the_caveats_of_their_posts():
    f = _caveated()
    early = analysis.best_time_to_post(f, "likes", "1h", tz="UTC", relative_to=None, min_n=1)
    # the two processing videos (placeholder zeros at 1 h) and the pin are in no cell
    assert early.select(
        "weekday_name", "hour", "n", "median", "caveats", "caveat_posts"
    ).rows() == [("Mon", 9, 1, 12.0, [], [])]
    left_out = analysis.time_exclusions(_caveated(), "likes", "1h")
    assert left_out.rows() == [
        ("pinterest", 0, 1, "1 not reported by the network"),
        ("youtube", 1, 2, "2 not reported yet (still processing)"),
    ]
    late = analysis.best_time_to_post(f, "likes", "72h", tz="UTC", relative_to=None, min_n=1)
    assert late.select("n", "caveats", "caveat_posts").rows() == [(3, [], [])]
    funnel = analysis.funnel(f, ["likes"], at_age="1h")
    assert funnel.select("platform", "n", "excluded", "caveats", "caveat_posts").rows() == [
        ("pinterest", 0, 1, ["pinterest_delayed"], [1]),
        ("youtube", 1, 2, ["youtube_processing"], [2]),  # two placeholders left out, with why
    ]
    latest = analysis.funnel(f, ["likes"])  # the latest snapshots: processing is over
    assert latest.filter(pl.col("platform") == "youtube")["caveats"].to_list() == [[]]
