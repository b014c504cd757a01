"""The live API's awkward answers, built by hand from the reference: nothing asked for goes
missing, numbers in error objects are kept, impossible values are caught, caveats are on the rows,
and the last reported value is used once a network stops reporting a field."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import httpx
import polars as pl
import pytest

import ayr_analysis as ayr
from ayr_analysis.analysis import AnalysisWarning, engagement_rate
from ayr_analysis.analysis.selection import at_age, latest, values
from ayr_analysis.client import AyrshareClient
from ayr_analysis.normalize import DataQualityWarning, normalize

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)


def norm(answer, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frames = normalize(answer, fetched_at=T0, **kw)
    return frames, [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]


def mock_client(handler, key: str) -> AyrshareClient:
    """A client on ``handler``; its own key, so no other test's rate window is shared."""
    return AyrshareClient(api_key=key * 20, transport=httpx.MockTransport(handler), max_retries=0)


# ------------------------------------------------------------------ 1. missing from the answer
def test_network_asked_for_but_absent_gives_a_missing_row():
    answer = {"status": "success", "id": "p1", "bluesky": {"analytics": {"likeCount": 1}}}
    frames, _ = norm(answer, platforms=["bluesky", "tiktok"])
    err = frames.errors.filter(pl.col("platform") == "tiktok")
    assert err["reason"].to_list() == ["missing_from_answer"]
    assert "filtered" in err["message"][0] and "not sent" in err["message"][0]
    assert frames.wide["platform"].to_list() == ["bluesky"]


def test_network_expected_from_history_but_absent_gives_a_missing_row():
    answer = {"status": "success", "id": "p1", "bluesky": {"analytics": {"likeCount": 1}}}
    posts = pl.DataFrame({"post_id": ["p1", "p1", "p2"], "platform": ["bluesky", "tiktok", "x"]})
    frames, _ = norm(answer, posts=posts)
    assert frames.errors.select("post_id", "platform", "reason").rows() == [
        ("p1", "tiktok", "missing_from_answer")
    ]


def test_whole_request_failure_through_the_client_gives_a_row_per_network_asked_for():
    def handler(request):
        return httpx.Response(
            429,
            json={"status": "error", "code": 429, "message": "X analytics daily limit reached."},
        )

    frames = ayr.fetch_post_analytics(
        ["p1"], ["twitter", "facebook", "bluesky"], client=mock_client(handler, "q"), progress=False
    )
    assert sorted(frames.errors["platform"].to_list()) == ["bluesky", "facebook", "twitter"]
    assert set(frames.errors["http_status"]) == {429}
    assert set(frames.errors["reason"]) == {"request_failed"}


def test_fetch_with_platforms_reports_the_filtered_tiktok_video():
    def handler(request):
        return httpx.Response(
            200, json={"status": "success", "id": "p1", "bluesky": {"analytics": {"likeCount": 2}}}
        )

    frames = ayr.fetch_post_analytics(
        ["p1"], ["bluesky", "tiktok"], client=mock_client(handler, "f"), progress=False
    )
    assert frames.errors.select("platform", "reason").rows() == [("tiktok", "missing_from_answer")]


# ------------------------------------------------------------------ 2. error objects
def test_numbers_inside_an_error_object_are_kept_and_flagged():
    answer = {
        "id": "p1",
        "facebook": {
            "status": "error",
            "code": 500,
            "message": "partial",
            "analytics": {"likeCount": 10, "commentsCount": 2},
        },
    }
    frames, _ = norm(answer)
    wide = frames.wide
    assert wide.select("platform", "likes", "comments", "from_error").rows() == [
        ("facebook", 10, 2, True)
    ]
    assert frames.long["from_error"].to_list() == [True, True]
    assert frames.errors.height == 1


def test_one_failure_reported_twice_in_other_words_is_one_row_with_both_messages():
    answer = {
        "status": "partial",
        "id": "p1",
        "facebook": {"status": "error", "code": 484, "message": "No analytics for stories."},
        "errors": [
            {
                "platform": "facebook",
                "code": 484,
                "status": "error",
                "message": "Facebook Stories do not provide analytics.",
            }
        ],
    }
    frames, _ = norm(answer)
    assert frames.errors.height == 1
    msg = frames.errors["message"][0]
    assert "No analytics for stories." in msg and "Facebook Stories do not provide" in msg


# ------------------------------------------------------------------ 3. value checks
def tiktok(**analytics):
    return {"id": "p1", "tiktok": {"id": "t1", "analytics": analytics}}


def test_breakdown_shares_sent_as_fractions_are_not_divided_again():
    frames, msgs = norm(
        tiktok(
            videoViews=10,
            impressionSources=[
                {"impressionSource": "For You", "percentage": 0.87},
                {"impressionSource": "Follow", "percentage": 0.13},
            ],
        )
    )
    assert frames.breakdowns["share"].to_list() == pytest.approx([0.87, 0.13])
    assert any("impressionSources" in m for m in msgs)


def test_breakdown_shares_in_percent_still_divided():
    frames, msgs = norm(
        tiktok(
            videoViews=10,
            audienceCountries=[
                {"country": "US", "percentage": 60.0},
                {"country": "DE", "percentage": 40.0},
            ],
        )
    )
    assert frames.breakdowns["share"].to_list() == pytest.approx([0.6, 0.4])
    assert msgs == []


def test_rate_in_the_wrong_scale_is_null_in_wide_with_a_warning_and_kept_in_long():
    frames, msgs = norm(tiktok(videoViews=10, fullVideoWatchedRate=18.5))
    assert frames.wide["completion_rate"].to_list() == [None]
    assert frames.long.filter(pl.col("field") == "fullVideoWatchedRate")["raw_value"].to_list() == [
        18.5
    ]
    assert any("fullVideoWatchedRate" in m and "18.5" in m and "'p1'" in m for m in msgs)


def test_impossible_values_become_null_with_a_warning():
    answer = {
        "id": "p1",
        "youtube": {
            "analytics": {
                "likes": 12,
                "dislikes": -2,
                "comments": -3,
                "averageViewDuration": -1,
                "averageViewPercentage": 250,
            }
        },
    }
    frames, msgs = norm(answer)
    row = frames.wide.row(0, named=True)
    assert row["dislikes"] is None and row["comments"] is None
    assert row["avg_watch_time_s"] is None and row["avg_view_fraction"] is None
    assert row["engagements"] == 12
    assert frames.long.height == 5
    for f in ("dislikes", "comments", "averageViewDuration", "averageViewPercentage"):
        assert any(f"'{f}'" in m and "youtube" in m and "'p1'" in m for m in msgs), f


def test_fractional_count_is_flagged_not_rounded():
    frames, msgs = norm({"id": "p1", "bluesky": {"analytics": {"likeCount": 12.5}}})
    assert frames.wide["likes"].to_list() == [None]
    assert any("likeCount" in m and "12.5" in m for m in msgs)


def test_counts_beyond_2_53_stay_exact_in_wide():
    big = 2**53 + 1
    frames, _ = norm({"id": "p1", "bluesky": {"analytics": {"likeCount": big, "replyCount": 1}}})
    assert frames.wide["likes"].to_list() == [big]
    assert frames.wide["engagements"].to_list() == [big + 1]


# ------------------------------------------------------------------ 4. caveats
def caveats(answer):
    frames, _ = norm(answer)
    return {(r["platform"], tuple(r["caveats"])) for r in frames.wide.iter_rows(named=True)}


def test_caveats_are_set_on_the_rows_they_apply_to():
    young = (T0 - timedelta(hours=10)).isoformat()
    answer = {
        "id": "p1",
        "youtube": {"created": young, "analytics": {"views": 0, "likes": 0}},
        "instagram": {
            "mediaProductType": "STORY",
            "analytics": {"reachCount": 3, "viewsCount": 0, "repliesCount": 0},
        },
        "facebook": {"analytics": {"likeCount": 1, "commentsCount": 4}},
        "linkedin": {"analytics": {"likeCount": 3, "commentCount": 1}},
        "pinterest": {"analytics": {"totalComments": 1}},
        "tiktok": {"analytics": {"videoViews": 100, "likeCount": 3}},
        "bluesky": {"analytics": {"likeCount": 3}},
    }
    got = dict(caveats(answer))
    assert "youtube_processing" in got["youtube"]
    assert {"ig_story_floor", "ig_story_replies_region", "meta_comment_count"} <= set(
        got["instagram"]
    )
    assert got["facebook"] == ("meta_comment_count",)
    assert got["linkedin"] == ("linkedin_personal_page",)
    assert got["pinterest"] == ("pinterest_delayed",)
    assert got["tiktok"] == ("tiktok_inactive_fields",)
    assert got["bluesky"] == ()


def test_a_rows_caveats_keep_the_networks_order_and_every_network_row_gets_a_list():
    # three caveats of one network on one row (the most the per-row table holds), listed in the
    # order the network declares them; the same answer in either order of networks
    story = {"mediaProductType": "STORY", "analytics": {"commentsCount": 0, "reachCount": 3}}
    for answer in (
        {"id": "p1", "instagram": story, "bluesky": {"analytics": {"likeCount": 1}}},
        {"id": "p1", "bluesky": {"analytics": {"likeCount": 1}}, "instagram": story},
    ):
        got = dict(caveats(answer))
        assert got["instagram"] == (
            "meta_comment_count",
            "ig_story_floor",
            "ig_story_replies_region",
        )
        assert got["bluesky"] == ()
    wide = normalize([], fetched_at=T0).wide
    assert wide.schema["caveats"] == pl.List(pl.String) and wide.height == 0
    only_bluesky = normalize({"id": "p2", "bluesky": {"analytics": {"likeCount": 1}}}).wide
    assert only_bluesky["caveats"].to_list() == [[]]


def test_caveat_notes_explain_each_code_once():
    from ayr_analysis.formatting import caveat_notes

    frames, _ = norm(
        {
            "id": "p1",
            "facebook": {"analytics": {"commentsCount": 4}},
            "instagram": {"analytics": {"commentsCount": 1}},
        }
    )
    notes = caveat_notes(frames.wide)
    assert len(notes) == 1 and "meta_comment_count" in notes[0] and "private" in notes[0]
    assert caveat_notes(pl.DataFrame({"likes": [1]})) == []


# ------------------------------------------------------------------ 5. last reported value
def tiktok_snapshots():
    pub = T0 - timedelta(days=20)
    rows = [
        (pub + timedelta(days=1), 100, 10, 80),
        (pub + timedelta(days=5), 200, 20, 150),
        (pub + timedelta(days=15), 210, 21, None),  # reach gone after 7 inactive days
    ]
    return pl.DataFrame(
        {
            "post_id": ["p1"] * 3,
            "platform": ["tiktok"] * 3,
            "thread_position": [0] * 3,
            "published_at": [pub] * 3,
            "observed_at": [r[0] for r in rows],
            "views": [r[1] for r in rows],
            "engagements": [r[2] for r in rows],
            "reach": [r[3] for r in rows],
        },
        schema_overrides={"reach": pl.Int64},
    )


def test_latest_rows_keep_the_last_reported_value_and_say_so():
    snaps = tiktok_snapshots()
    row = latest(snaps).row(0, named=True)
    assert row["reach"] == 150 and row["views"] == 210
    assert row["carried"] == ["reach"]
    assert row["carried_from"] == T0 - timedelta(days=15)
    assert latest(snaps, fill="none")["reach"].to_list() == [None]
    rate = engagement_rate(latest(snaps), by="reach")
    assert rate.select("n", "excluded").row(0) == (1, 0)


def test_values_at_an_age_after_the_field_vanished_use_the_last_reported_value():
    snaps = tiktok_snapshots()
    v = values(snaps, "reach", at_age="10d")
    assert v.select("value", "status").row(0) == (150.0, "reported")
    assert v["reported_at_age_s"][0] == pytest.approx(5 * 86400)
    assert values(snaps, "reach", at_age="10d", fill="none")["status"][0] == "not_observed"
    a = at_age(snaps, ["10d"], "reach")
    assert a["reach"].to_list() == [150.0]
    # never beyond the last snapshot: nothing observed at 30 days
    assert at_age(snaps, ["30d"], "reach")["reach"].to_list() == [None]


def test_latest_value_says_when_it_was_reported():
    v = values(tiktok_snapshots(), "reach")
    assert v.select("value", "status").row(0) == (150.0, "reported")
    assert v["reported_at"][0] == T0 - timedelta(days=15)


# ------------------------------------------------------------------ caveats through the analysis
def youtube_snapshots():
    """Two videos: one observed at 20 h (processing zeros) and 100 h, one observed only later."""
    pub = T0 - timedelta(days=10)
    rows = [
        ("v1", 20, 0, ["youtube_processing"]),
        ("v1", 100, 400, []),
        ("v2", 10, 0, ["youtube_processing"]),
        ("v2", 30, 0, ["youtube_processing"]),
        ("v2", 120, 900, []),
    ]
    return pl.DataFrame(
        {
            "post_id": [r[0] for r in rows],
            "platform": ["youtube"] * len(rows),
            "thread_position": [0] * len(rows),
            "campaign": ["A", "A", "B", "B", "B"],
            "published_at": [pub] * len(rows),
            "observed_at": [pub + timedelta(hours=r[1]) for r in rows],
            "views": [r[2] for r in rows],
            "engagements": [r[2] // 10 for r in rows],
            "impressions": [r[2] * 2 for r in rows],
            "caveats": [r[3] for r in rows],
        },
        schema_overrides={"caveats": pl.List(pl.String)},
    )


def test_values_at_an_age_carry_the_caveats_of_the_snapshots_around_it():
    snaps = youtube_snapshots()
    at24 = values(snaps, "views", at_age="24h").sort("post_id")
    assert at24["caveats"].to_list() == [["youtube_processing"], ["youtube_processing"]]
    at4d = values(snaps, "views", at_age="4d").sort("post_id")
    # v1 between 20 h (processing) and 100 h; v2 between 30 h (processing) and 120 h
    assert at4d["caveats"].to_list() == [["youtube_processing"], ["youtube_processing"]]
    assert values(snaps, "views", at_age="110h").sort("post_id")["caveats"].to_list() == [
        [],
        ["youtube_processing"],
    ]
    assert values(snaps, "views")["caveats"].to_list() == [[], []]  # latest: past processing


def test_aggregated_rows_count_the_posts_behind_each_caveat():
    from ayr_analysis.analysis import campaign_summary, compare, distribution, network_mix
    from ayr_analysis.analysis import network_summary as summary

    snaps = youtube_snapshots()
    dist = distribution(snaps, "views", by="platform", at_age="110h")
    assert dist.select("caveats", "caveat_posts").row(0) == (["youtube_processing"], [1])
    net = summary(snaps, "views", at_age="24h")
    assert net.select("caveats", "caveat_posts").row(0) == (["youtube_processing"], [2])
    rate = engagement_rate(snaps, group_by="campaign", at_age="110h").sort("campaign")
    assert rate["caveats"].to_list() == [[], ["youtube_processing"]]
    assert rate["caveat_posts"].to_list() == [[], [1]]
    assert engagement_rate(snaps)["caveats"].to_list() == [[]]  # latest values: none applies
    with pytest.warns(AnalysisWarning, match="no post counted for A"):  # v1 not seen at 110 h
        comp = compare(snaps, metric="views", at_age="110h", n_resamples=50)
    got = {r["group"]: (r["caveats"], r["caveat_posts"]) for r in comp.table.iter_rows(named=True)}
    assert got == {"A": ([], []), "B": (["youtube_processing"], [1])}
    within = compare(snaps, metric="views", at_age="24h", within="platform", n_resamples=50)
    assert within.table["caveat_posts"].to_list() == [[1], [1]]
    s = campaign_summary(comp, network_mix(snaps))
    assert dict(zip(s["campaign"], s["caveats"].to_list(), strict=True)) == {
        "A": [],
        "B": ["youtube_processing"],
    }


def test_fill_is_chosen_the_same_way_in_rates_and_comparisons():
    from ayr_analysis.analysis import compare, distribution, network_summary, top_posts

    snaps = tiktok_snapshots().with_columns(pl.lit("A").alias("campaign"))
    assert engagement_rate(snaps, by="reach").select("n", "excluded").row(0) == (1, 0)
    none = engagement_rate(snaps, by="reach", fill="none")
    assert none.select("n", "excluded").row(0) == (0, 1)
    comp = compare(snaps, metric="reach", at_age="10d", n_resamples=20)
    assert comp.table.select("n", "estimate").row(0) == (1, 150.0)
    with pytest.warns(AnalysisWarning, match="no post counted for A"):
        comp_none = compare(snaps, metric="reach", at_age="10d", fill="none", n_resamples=20)
    assert comp_none.table.select("n", "excluded").row(0) == (0, 1)
    assert distribution(snaps, "reach", by="platform", fill="none")["n"].to_list() == [0]
    assert network_summary(snaps, "reach")["median"].to_list() == [150.0]
    assert top_posts(snaps, "reach", fill="none").height == 0
    with pytest.raises(ValueError, match="fill='last'"):
        engagement_rate(snaps, fill="last")  # type: ignore[arg-type]


# ------------------------------------------------------------------ caveats in report tables
def test_report_tables_show_caveats_as_footnote_markers_not_python_lists():
    from ayr_analysis.analysis import network_summary
    from ayr_analysis.formatting import caveat_markers, caveat_notes, format_table
    from ayr_analysis.reports import report_table_html

    table = network_summary(youtube_snapshots(), "views", at_age="24h")
    shown = format_table(table)
    assert "caveat_posts" not in shown.columns  # folded into the caveats cell
    assert shown["caveats"].to_list() == ["[1] 2 posts"] == caveat_markers(table)
    assert caveat_notes(table) == [
        "[1] youtube_processing: YouTube takes 24-48 h to report numbers for videos with few "
        "views or a small channel: zeros before 48 h may not be real."
    ]
    html = report_table_html(table)
    assert '<td class="notes">[1] 2 posts</td>' in html
    assert "<li>[1] youtube_processing: YouTube takes" in html
    assert "[&#x27;" not in html and "['" not in html
    # a post's own row: markers only; other list columns as plain text
    post = pl.DataFrame(
        {"caveats": [["b", "a"], [], ["a"]], "carried": [["reach"], [], ["reach", "views"]]}
    )
    assert format_table(post).rows() == [
        ("[1] [2]", "reach"),
        ("", ""),
        ("[2]", "reach, views"),
    ]
    assert [n[:6] for n in caveat_notes(post)] == ["[1] b:", "[2] a:"]
