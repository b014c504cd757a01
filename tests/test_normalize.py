"""normalize(): threads, partial failure, sentinels and wrong types, empty answers, metadata."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from ayr_analysis import schema
from ayr_analysis.normalize import AnalyticsFrames, DataQualityWarning, normalize

SAMPLES = Path(__file__).parent / "samples"
FETCHED = datetime(2026, 6, 1, 12, tzinfo=UTC)
FRAMES = {
    "long": schema.LONG_SCHEMA,
    "wide": schema.WIDE_SCHEMA,
    "reactions": schema.REACTIONS_SCHEMA,
    "breakdowns": schema.BREAKDOWNS_SCHEMA,
    "errors": schema.ERRORS_SCHEMA,
    "posts": schema.POSTS_SCHEMA,
}


def sample(name: str):
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def assert_schemas(frames: AnalyticsFrames) -> None:
    for name, s in FRAMES.items():
        assert getattr(frames, name).schema == s, name


def quiet_normalize(answers, **kw) -> AnalyticsFrames:
    """normalize() that fails the test on any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return normalize(answers, **kw)


def tweet(i: int, likes, replies=None, impressions=None) -> dict:
    pm = {"likeCount": likes, "retweetCount": i}
    if replies is not None:
        pm["replyCount"] = replies
    if impressions is not None:
        pm["impressionCount"] = impressions
    return {
        "id": f"tw{i}",
        "postUrl": f"https://x.com/a/status/tw{i}",
        "analytics": {"publicMetrics": pm, "post": f"part {i}"},
        "lastUpdated": f"2026-06-01T10:0{i}:00Z",
    }


# -- X threads -------------------------------------------------------------------------------


def test_three_tweet_thread_gives_three_rows_and_totals():
    answer = {
        "status": "success",
        "id": "AYR-T",
        "twitter": [tweet(0, 10, replies=2), tweet(1, 4), tweet(2, 1, replies=0)],
    }
    frames = quiet_normalize(answer, fetched_at=FETCHED)
    wide = frames.wide.sort("thread_position")
    assert wide["thread_position"].to_list() == [0, 1, 2]
    assert wide["social_id"].to_list() == ["tw0", "tw1", "tw2"]
    assert wide["likes"].to_list() == [10, 4, 1]
    assert wide["comments"].to_list() == [2, None, 0]
    assert wide["text"].to_list() == ["part 0", "part 1", "part 2"]
    assert wide["observed_at"].to_list() == [
        datetime(2026, 6, 1, 10, i, tzinfo=UTC) for i in range(3)
    ]
    totals = frames.thread_totals()
    assert totals.schema == schema.THREAD_TOTALS_SCHEMA
    assert totals.height == 1
    row = totals.row(0, named=True)
    assert (row["post_id"], row["platform"], row["social_id"]) == ("AYR-T", "twitter", "tw0")
    assert row["tweets"] == 3
    assert row["likes"] == 15
    assert row["comments"] == 2
    assert row["shares"] == 0 + 1 + 2
    assert row["impressions"] is None  # no tweet reported it: the sum stays null
    assert row["observed_at"] == datetime(2026, 6, 1, 10, 2, tzinfo=UTC)
    assert row["engagements"] == (10 + 2 + 0) + (4 + 1) + (1 + 0 + 2)


def test_thread_totals_keep_fetches_apart_and_other_networks_unchanged():
    a = {"id": "P", "twitter": [tweet(0, 1), tweet(1, 2)], "youtube": {"analytics": {"views": 9}}}
    first = quiet_normalize(a, fetched_at=FETCHED)
    second = quiet_normalize(a, fetched_at=datetime(2026, 6, 2, tzinfo=UTC))
    totals = AnalyticsFrames.concat([first, second]).thread_totals()
    assert totals.height == 4
    x = totals.filter(pl.col("platform") == "twitter")
    assert x["likes"].to_list() == [3, 3]
    assert totals.filter(pl.col("platform") == "youtube")["views"].to_list() == [9, 9]


# -- partial failure -------------------------------------------------------------------------


def test_three_networks_fine_two_failed():
    answer = {
        "status": "error",
        "id": "AYR-P",
        "bluesky": {"id": "b1", "analytics": {"likeCount": 3, "replyCount": 1}},
        "youtube": {"id": "y1", "analytics": {"views": 100, "likes": 5}},
        "threads": {"id": "t1", "analytics": {"likes": 2, "views": 40}},
        "facebook": {"status": "error", "code": 161, "message": "Facebook relink needed."},
        "errors": [
            {
                "action": "analytics",
                "status": "error",
                "code": 435,
                "message": "Instagram rate limit.",
                "platform": "instagram",
            }
        ],
    }
    frames = quiet_normalize(answer, fetched_at=FETCHED)
    assert_schemas(frames)
    assert sorted(frames.wide["platform"].to_list()) == ["bluesky", "threads", "youtube"]
    assert frames.wide.filter(pl.col("platform") == "youtube")["views"].to_list() == [100]
    errors = frames.errors.sort("platform")
    assert errors.select("post_id", "platform", "code", "message", "http_status").rows() == [
        ("AYR-P", "facebook", 161, "Facebook relink needed.", None),
        ("AYR-P", "instagram", 435, "Instagram rate limit.", None),
    ]
    assert errors["retryable"].to_list() == [False, True]
    assert errors["fetched_at"].to_list() == [FETCHED, FETCHED]


def test_a_failure_reported_twice_is_one_row():
    err = {"status": "error", "code": 161, "message": "Relink", "platform": "facebook"}
    answer = {"id": "A", "facebook": dict(err), "errors": [dict(err)]}
    assert quiet_normalize(answer).errors.select("platform", "code").rows() == [("facebook", 161)]


def test_retry_available_wins_over_the_code():
    answer = {
        "id": "A",
        "youtube": {"status": "error", "code": 186, "message": "x", "retryAvailable": True},
        "tiktok": {"status": "error", "code": 999, "message": "unknown"},
    }
    errors = quiet_normalize(answer).errors.sort("platform")
    assert errors.select("platform", "retryable").rows() == [("tiktok", None), ("youtube", True)]


def test_whole_request_error_sample():
    frames = quiet_normalize(sample("error_analytics_post_id_not_found_404.json"))
    assert frames.wide.height == 0
    assert frames.errors.select("post_id", "platform", "code", "message", "retryable").rows() == [
        ("IHvCmacgIc6hMU9IQ6C", None, 186, "Post ID not found.", False)
    ]


def test_multi_platform_error_sample():
    frames = quiet_normalize(sample("error_post_duplicate_multi_platform.json"))
    rows = frames.errors.sort("platform").select("platform", "code", "retryable").rows()
    assert rows == [("facebook", 107, False), ("twitter", 110, False)]


class FakeResponse(dict):
    """Duck-typed ApiResponse: a dict with the client's attributes."""

    def __init__(self, body, *, received_at, demo=True, status_code=200, request_id=None):
        super().__init__(body)
        self.received_at = received_at
        self.demo = demo
        self.status_code = status_code
        self.request_id = request_id


@dataclass
class FakeError:
    message: str
    http_status: int | None = None
    code: int | None = None
    platform: str | None = None
    retryable: bool = False


@dataclass
class FakeFailure:
    post_id: str
    error: FakeError


@dataclass
class FakeBulk:
    responses: list = field(default_factory=list)
    failures: list = field(default_factory=list)


def test_bulk_result_responses_and_failures():
    t1 = datetime(2026, 6, 1, 8, tzinfo=UTC)
    ok = FakeResponse({"id": "A", "youtube": {"analytics": {"views": 1}}}, received_at=t1)
    missing = FakeResponse(
        sample("error_analytics_post_id_not_found_404.json"),
        received_at=t1,
        status_code=404,
    )
    bulk = FakeBulk(
        responses=[ok, missing],
        failures=[
            FakeFailure("B", FakeError("Too many requests", 429, None, None, True)),
            FakeFailure("C", FakeError("Not linked", 400, 156, "tiktok", False)),
        ],
    )
    frames = quiet_normalize(bulk, fetched_at=FETCHED)
    assert frames.source == "demo"
    assert frames.wide["fetched_at"].to_list() == [t1]  # received_at wins over the argument
    errors = frames.errors.sort("post_id")
    assert errors.select("post_id", "platform", "code", "http_status", "retryable").rows() == [
        ("B", None, None, 429, True),
        ("C", "tiktok", 156, 400, False),
        ("IHvCmacgIc6hMU9IQ6C", None, 186, 404, False),
    ]
    assert errors["fetched_at"].to_list() == [FETCHED, FETCHED, t1]


def test_request_id_fills_a_missing_post_id_and_live_source():
    r = FakeResponse(
        {"youtube": {"analytics": {"views": 1}}},
        received_at=FETCHED,
        demo=False,
        request_id="REQ",
    )
    frames = quiet_normalize([r])
    assert frames.source == "live"
    assert frames.wide["post_id"].to_list() == ["REQ"]
    assert quiet_normalize({"id": "x"}).source is None


# -- sentinels and wrong types ---------------------------------------------------------------


def test_sentinels_become_null_silently():
    analytics = {"likeCount": "-", "commentsCount": "", "savedCount": None, "reachCount": 0}
    frames = quiet_normalize({"id": "A", "instagram": {"analytics": analytics}})
    row = frames.wide.row(0, named=True)
    assert (row["likes"], row["comments"], row["saves"], row["reach"]) == (None, None, None, 0)
    assert row["engagements"] is None  # nothing that counts as an engagement was reported
    assert frames.long["field"].to_list() == ["reachCount"]


def test_numeric_strings_are_accepted():
    analytics = {"likeCount": "12", "commentsCount": " 3 ", "igReelsAvgWatchTimeCount": "1145.0"}
    frames = quiet_normalize({"id": "A", "instagram": {"analytics": analytics}})
    row = frames.wide.row(0, named=True)
    assert (row["likes"], row["comments"], row["avg_watch_time_s"]) == (12, 3, 1.145)
    assert row["engagements"] == 15


def test_wrong_types_become_null_with_one_warning_per_network_and_field():
    bad = {"likeCount": "abc", "commentsCount": {"n": 1}, "savedCount": [1], "reachCount": True}
    answers = [
        {"id": "A", "instagram": {"analytics": bad}},
        {"id": "B", "instagram": {"analytics": dict(bad, viewsCount=7)}},
        {"id": "C", "youtube": {"analytics": {"likes": "abc", "views": 3}}},
    ]
    with pytest.warns(DataQualityWarning) as record:
        frames = normalize(answers, fetched_at=FETCHED)
    messages = sorted(str(w.message) for w in record)
    assert len(messages) == 5
    for net, fld in [
        ("instagram", "likeCount"),
        ("instagram", "commentsCount"),
        ("instagram", "savedCount"),
        ("instagram", "reachCount"),
        ("youtube", "likes"),
    ]:
        assert sum(f"'{net}'" in m and f"'{fld}'" in m for m in messages) == 1, (net, fld)
    wide = frames.wide.sort("post_id")
    assert wide["likes"].to_list() == [None, None, None]
    assert wide["comments"].to_list() == [None, None, None]
    assert wide["reach"].to_list() == [None, None, None]
    assert wide["views"].to_list() == [None, 7, 3]
    assert_schemas(frames)


def test_any_iterable_of_answers():
    answers = ({"id": str(i), "youtube": {"analytics": {"views": i}}} for i in range(3))
    frames = quiet_normalize(answers)
    assert frames.wide.sort("post_id")["views"].to_list() == [0, 1, 2]


def test_booleans_are_not_numbers():
    frames = quiet_normalize({"id": "A", "youtube": {"analytics": {"madeForKids": False}}})
    assert frames.long.height == 0
    assert frames.wide.height == 1


def test_unknown_shapes_never_crash():
    odd = [
        5,
        "text",
        None,
        [1, 2],
        {"id": 5, "twitter": 3},
        {"id": "A", "twitter": [1, {"analytics": [1, 2]}, None]},
        {"id": "B", "youtube": {"analytics": "-", "lastUpdated": "yesterday"}},
        {"id": "C", "twitter": {"analytics": {"publicMetrics": 7}}},
        {"id": "D", "facebook": {"analytics": {"reactions": [1, "x"]}}},
        {"id": "E", "errors": "boom", "tiktok": {"analytics": {"impressionSources": "x"}}},
    ]
    with pytest.warns(DataQualityWarning):
        frames = normalize(odd, fetched_at=FETCHED)
    assert_schemas(frames)
    # the odd X number is kept in long (nothing thrown away), unmapped
    x = frames.long.filter(pl.col("post_id") == "C")
    assert x.select("field", "metric", "value").rows() == [("publicMetrics", None, 7.0)]
    with pytest.warns(DataQualityWarning):
        assert_schemas(normalize(42))


def test_a_time_too_large_for_microseconds_is_not_a_time():
    answers = [
        {"id": "A", "youtube": {"analytics": {"views": 1}, "lastUpdated": 1.7976931348623e305}},
        {"id": "B", "youtube": {"analytics": {"views": 2}, "nextUpdate": {"_seconds": 1e300}}},
    ]
    with pytest.warns(DataQualityWarning) as caught:
        frames = normalize(answers, fetched_at=FETCHED)
    assert sorted(str(w.message).split(":")[0] for w in caught) == [
        "network 'youtube', field 'lastUpdated'",
        "network 'youtube', field 'nextUpdate'",
    ]
    wide = frames.wide.sort("post_id")
    assert wide["observed_at"].to_list() == [FETCHED, FETCHED]
    assert wide["next_update"].to_list() == [None, None]
    assert wide["views"].to_list() == [1, 2]


def test_unmapped_and_unknown_fields_are_kept_in_long():
    answer = {
        "id": "A",
        "youtube": {"analytics": {"views": 5, "brandNewMetric": 2.5}},
        "mastodon": {"id": "m1", "analytics": {"boosts": 3}},
        "snapchat": {"analytics": {"storyViews": 11}},
    }
    frames = quiet_normalize(answer, fetched_at=FETCHED)
    long = {(r["platform"], r["field"]): r for r in frames.long.iter_rows(named=True)}
    assert long[("youtube", "brandNewMetric")]["metric"] is None
    assert long[("youtube", "brandNewMetric")]["unit"] is None
    assert long[("youtube", "brandNewMetric")]["value"] == 2.5
    assert long[("mastodon", "boosts")]["value"] == 3.0
    assert long[("snapchat", "storyViews")]["metric"] is None
    snap = frames.wide.filter(pl.col("platform") == "snapchat").row(0, named=True)
    assert all(snap[m] is None for m in schema.CANONICAL_METRICS)


@pytest.mark.parametrize("answer", [{}, [], {"status": "success", "id": "x"}, None])
def test_empty_answers_have_full_schemas(answer):
    frames = quiet_normalize(answer)
    assert_schemas(frames)
    for name in FRAMES:
        assert getattr(frames, name).height == 0
    assert frames.thread_totals().schema == schema.THREAD_TOTALS_SCHEMA


# -- precedence, engagements, times, metadata ------------------------------------------------


def test_x_impressions_prefer_non_public_then_public():
    both = {"publicMetrics": {"impressionCount": 90}, "nonPublicMetrics": {"impressionCount": 100}}
    public_only = {"publicMetrics": {"impressionCount": 90}}
    frames = quiet_normalize(
        [
            {"id": "A", "twitter": {"analytics": both}},
            {"id": "B", "twitter": {"analytics": public_only}},
        ]
    )
    assert frames.wide.sort("post_id")["impressions"].to_list() == [100, 90]
    assert frames.long.filter(pl.col("post_id") == "A").height == 2  # both kept in long


def test_instagram_comments_prefer_comments_then_replies():
    frames = quiet_normalize(
        [
            {"id": "A", "instagram": {"analytics": {"commentsCount": 4, "repliesCount": 9}}},
            {"id": "B", "instagram": {"analytics": {"repliesCount": 9}}},
        ]
    )
    assert frames.wide.sort("post_id")["comments"].to_list() == [4, 9]


def test_tiktok_new_names_win_old_names_understood():
    frames = quiet_normalize(
        [
            {"id": "A", "tiktok": {"analytics": {"likeCount": 8, "likes": 7}}},
            {"id": "B", "tiktok": {"analytics": {"likes": 7, "comments": 2, "shares": 1}}},
        ]
    )
    wide = frames.wide.sort("post_id")
    assert wide.select("likes", "comments", "shares").rows() == [(8, None, None), (7, 2, 1)]


def test_instagram_views_and_impressions_stay_apart():
    analytics = {"viewsCount": 300, "impressionsCount": 250}
    row = quiet_normalize({"id": "A", "instagram": {"analytics": analytics}}).wide.row(
        0, named=True
    )
    assert (row["views"], row["impressions"]) == (300, 250)


@pytest.mark.parametrize(
    ("plat", "analytics", "expected"),
    [
        ("facebook", {"reactions": {"total": 9}, "likeCount": 6, "commentsCount": 1}, 10),
        ("facebook", {"likeCount": 6, "commentsCount": 1, "sharesCount": 2}, 9),
        ("instagram", {"likeCount": 5, "commentsCount": 1, "savedCount": 2, "reachCount": 99}, 8),
        (
            "twitter",
            {"publicMetrics": {"likeCount": 3, "bookmarkCount": 1, "impressionCount": 50}},
            4,
        ),
        ("youtube", {"likes": 3, "dislikes": 9, "comments": 1, "views": 100}, 4),
        ("threads", {"likes": 1, "replies": 1, "reposts": 1, "quotes": 1, "shares": 1}, 5),
        ("pinterest", {"totalReactions": 2, "totalComments": 1, "save": 4, "pinClick": 9}, 7),
        ("youtube", {"views": 100}, None),
        ("snapchat", {"views": 100}, None),
    ],
)
def test_engagements_sum_the_reported_engagement_metrics(plat, analytics, expected):
    frames = quiet_normalize({"id": "A", plat: {"analytics": analytics}})
    assert frames.wide["engagements"].to_list() == [expected]


def test_engagements_reported_is_kept_apart():
    analytics = {"likeCount": 1, "engagementCount": 40}
    row = quiet_normalize({"id": "A", "instagram": {"analytics": analytics}}).wide.row(
        0, named=True
    )
    assert (row["engagements"], row["engagements_reported"]) == (1, 40)


def test_observed_at_and_fetched_at():
    answers = [
        {
            "id": "A",
            "youtube": {
                "analytics": {"views": 1},
                "lastUpdated": "2026-05-31T09:30:00.250Z",
                "nextUpdate": "2026-05-31T10:30:00+00:00",
            },
        },
        {"id": "B", "youtube": {"analytics": {"views": 2}}},
    ]
    frames = quiet_normalize(answers, fetched_at=FETCHED)
    wide = frames.wide.sort("post_id")
    last = datetime(2026, 5, 31, 9, 30, 0, 250000, tzinfo=UTC)
    assert wide["observed_at"].to_list() == [last, FETCHED]
    assert wide["last_updated"].to_list() == [last, None]
    assert wide["next_update"].to_list() == [datetime(2026, 5, 31, 10, 30, tzinfo=UTC), None]
    assert wide["fetched_at"].to_list() == [FETCHED, FETCHED]
    assert frames.long.sort("post_id")["observed_at"].to_list() == [last, FETCHED]


def test_fetched_at_defaults_to_now_and_rejects_non_datetimes():
    before = datetime.now(UTC)
    fetched = quiet_normalize({"id": "A", "youtube": {"analytics": {}}}).wide["fetched_at"][0]
    assert before <= fetched <= datetime.now(UTC)
    with pytest.raises(TypeError, match="fetched_at"):
        normalize({}, fetched_at="2026-01-01")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("plat", "analytics", "media"),
    [
        ("instagram", {"mediaType": "VIDEO", "mediaProductType": "REELS"}, "reel"),
        ("instagram", {"mediaType": "CAROUSEL_ALBUM", "mediaProductType": "FEED"}, "carousel"),
        ("instagram", {"mediaType": "IMAGE", "mediaProductType": "STORY"}, "story"),
        ("instagram", {"mediaType": "IMAGE"}, "image"),
        ("tiktok", {"mediaType": "video"}, "video"),
        ("pinterest", {"media": {"mediaType": "multiple_images"}}, "carousel"),
        ("youtube", {}, "video"),
        ("bluesky", {}, None),
    ],
)
def test_media_type_is_normalised(plat, analytics, media):
    frames = quiet_normalize({"id": "A", plat: {"analytics": analytics}})
    assert frames.wide["media_type"].to_list() == [media]


def test_metadata_url_published_text():
    answer = {
        "id": "A",
        "instagram": {
            "id": "ig1",
            "postUrl": "https://instagram.com/p/1",
            "analytics": {"caption": "Hello #spring", "created": "2026-05-01T08:00:00Z"},
        },
        "youtube": {"id": "yt1", "analytics": {"title": "My video", "description": "long"}},
        "tiktok": {"id": "tt1", "analytics": {"postUrl": "https://tiktok.com/v/1"}},
    }
    wide = quiet_normalize(answer).wide.sort("platform")
    assert wide.select("platform", "social_id", "url", "published_at", "text").rows() == [
        (
            "instagram",
            "ig1",
            "https://instagram.com/p/1",
            datetime(2026, 5, 1, 8, tzinfo=UTC),
            "Hello #spring",
        ),
        ("tiktok", "tt1", "https://tiktok.com/v/1", None, None),
        ("youtube", "yt1", None, None, "My video"),
    ]


def test_concat_stacks_and_keeps_demo_label():
    a = quiet_normalize([FakeResponse({"id": "A"}, received_at=FETCHED, demo=True)])
    b = quiet_normalize({"id": "B", "youtube": {"analytics": {"views": 1}}})
    both = AnalyticsFrames.concat([a, b])
    assert both.source == "demo"
    assert both.wide.height == 1
    assert_schemas(both)
    assert_schemas(AnalyticsFrames.concat([]))
    assert "wide=1 rows" in repr(both)


def test_wide_has_exactly_the_schema_in_order():
    frames = quiet_normalize({"id": "A", "youtube": {"analytics": {"views": 1}}})
    assert frames.wide.columns == list(schema.WIDE_SCHEMA.names())
    assert frames.long.columns == list(schema.LONG_SCHEMA.names())


def _mixed_batch(n: int) -> list[dict]:
    import random

    rng = random.Random(11)
    out = []
    for i in range(n):
        r = rng.randint
        pm = {"likeCount": r(0, 50), "impressionCount": r(0, 900)}
        npm = {"impressionCount": r(0, 900)} if i % 3 else {}
        out.append(
            {
                "id": f"P{i:04d}",
                "twitter": [
                    {"analytics": {"publicMetrics": pm, "nonPublicMetrics": npm}},
                    {"analytics": {"publicMetrics": {"likeCount": r(0, 5)}}},
                ],
                "instagram": {
                    "analytics": {
                        "commentsCount": r(0, 9) if i % 2 else None,
                        "repliesCount": r(0, 9),
                        "likeCount": 1e19 if i == 7 else r(0, 99) + 0.5,
                        "igReelsAvgWatchTimeCount": r(0, 9000),
                    }
                },
                "tiktok": {"analytics": {"likes": r(0, 9), "likeCount": r(0, 9) if i % 4 else "-"}},
                "youtube": {
                    "analytics": {"estimatedMinutesWatched": r(0, 99) / 4, "views": 0, "likes": 0}
                },
            }
        )
    return out


def test_a_batch_gives_the_rows_of_its_answers_normalised_one_by_one():
    batch = _mixed_batch(200)
    with pytest.warns(DataQualityWarning, match="'likeCount'"):
        together = normalize(batch, fetched_at=FETCHED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        alone = AnalyticsFrames.concat(normalize(a, fetched_at=FETCHED) for a in batch)
    assert together.wide.equals(alone.wide)
    assert together.long.equals(alone.long)
    ig = together.wide.filter(pl.col("platform") == "instagram").sort("post_id")
    assert ig["likes"][7] is None  # 1e19 does not fit a count: null plus a warning
    x = together.wide.filter((pl.col("platform") == "twitter") & (pl.col("thread_position") == 0))
    assert x.height == 200


_EDGE_NUMBERS = {
    "inf": float("inf"),
    "minus_inf": float("-inf"),
    "nan": float("nan"),
    "two_pow_70": 2**70,
    "minus_two_pow_70": -(2**70),
    "int64_max": 2**63 - 1,
    "int64_min_plus_one": -(2**63 - 1),
    "two_pow_63": 2**63,
    "minus_two_pow_63": -(2**63),
    "huge_float": 1e300,
    "float_beyond_int64": 9.3e18,
    "small_int": 5,
    "small_float": 2.5,
}
_DROPPED = {
    "inf": "not a finite number",
    "minus_inf": "not a finite number",
    "nan": "not a finite number",
    "two_pow_70": "a number too large to be a count",
    "minus_two_pow_70": "a number too large to be a count",
    "two_pow_63": "a number too large to be a count",
    "minus_two_pow_63": "a number too large to be a count",
    "beyond_float": "a number too large to be a count",
}


@pytest.mark.parametrize("beyond_float", [False, True], ids=["float-sized", "beyond-float"])
def test_numbers_beyond_float_or_int64_are_dropped_with_a_warning(beyond_float):
    numbers = dict(_EDGE_NUMBERS)
    if beyond_float:  # an int no float can hold: polars refuses the whole column
        numbers["beyond_float"] = 10**400
    answer = {"id": "p1", "instagram": {"analytics": {**numbers, "likeCount": 7}}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frames = normalize(answer, fetched_at=FETCHED)
    kept = dict(frames.long.select("field", "raw_value").iter_rows())
    expected = {k: float(v) for k, v in numbers.items() if k not in _DROPPED}
    assert kept == {**expected, "likeCount": 7.0}
    messages = sorted(str(w.message) for w in caught)
    assert messages == sorted(
        f"network 'instagram', field '{k}': {why}; treated as not reported (null)"
        for k, why in _DROPPED.items()
        if k in numbers
    )
    assert frames.wide["likes"].to_list() == [7]


# -- caveats after the post history is attached -----------------------------------------------


def _processing_videos() -> AnalyticsFrames:
    """Two YouTube videos reporting 0 views on 10 September, with no publication time in the
    answer: until their age is known both may be processing (``youtube_processing``)."""
    seen = "2026-09-10T12:00:00Z"
    return quiet_normalize(
        [
            {"id": "old", "youtube": {"analytics": {"views": 0, "likes": 0}, "lastUpdated": seen}},
            {"id": "new", "youtube": {"analytics": {"views": 0, "likes": 0}, "lastUpdated": seen}},
        ]
    )


HISTORY = pl.DataFrame(
    {
        "post_id": ["old", "new"],
        "platform": ["youtube", "youtube"],
        # nine and a half days old at the observation; ten hours old
        "created_at": [datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 9, 10, 2, tzinfo=UTC)],
    }
)


def test_caveats_are_recomputed_once_the_history_gives_the_age():
    from ayr_analysis import analysis

    frames = _processing_videos()
    assert frames.wide.sort("post_id")["caveats"].to_list() == [
        ["youtube_processing"], ["youtube_processing"],  # age unknown: the caveat holds
    ]  # fmt: skip
    wide = frames.with_posts(HISTORY).wide.sort("post_id")
    ages = (wide["observed_at"] - wide["published_at"]).dt.total_hours().to_list()
    assert wide["post_id"].to_list() == ["new", "old"] and ages == [10, 228]
    # the video 228 h old is past YouTube's 48 h of processing: its zero is a reported zero
    assert wide["caveats"].to_list() == [["youtube_processing"], []]
    # and what is derived from the caveats follows: one post carries it, not two; the old
    # video's 0 is counted, the new one's placeholder 0 is not reported yet
    table = analysis.funnel(wide, ["views"])
    assert table.select("platform", "n", "excluded", "total", "caveats", "caveat_posts").rows() == [
        ("youtube", 1, 1, 0.0, ["youtube_processing"], [1])
    ]


def test_caveats_read_back_from_a_store_follow_its_post_history(tmp_path):
    from ayr_analysis.store import SnapshotStore

    store = SnapshotStore(tmp_path / "store")
    store.append(_processing_videos())  # stored before the history was known
    store.append(AnalyticsFrames.empty().with_posts(HISTORY))
    assert store.read("wide")["caveats"].to_list() == [["youtube_processing"]] * 2
    wide = store.frames().wide.sort("post_id")
    assert wide.select("post_id", "caveats").rows() == [
        ("new", ["youtube_processing"]),
        ("old", []),
    ]
