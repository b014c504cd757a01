"""normalize_history() and normalize_social(): posts and account numbers."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ayr_analysis import schema
from ayr_analysis.normalize import DataQualityWarning, normalize_history, normalize_social

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str):
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kw)


def test_history_2022_item():
    posts = quiet(normalize_history, sample("history_response_2022_first_item.json"))
    assert posts.schema == schema.POSTS_SCHEMA
    assert posts.select("post_id", "platform", "social_id", "platform_status").rows() == [
        ("rhn6u7wwz2WxGv6MZGK9", "twitter", "1288968500063775749", "success"),
        ("rhn6u7wwz2WxGv6MZGK9", "facebook", "104923907983682_108683297607743", "success"),
    ]
    row = posts.row(0, named=True)
    assert row["text"] == "This is the  post I sent"
    assert row["created_at"] == datetime(2022, 5, 20, 17, 25, 6, tzinfo=UTC)
    assert row["scheduled_at"] == datetime(2020, 11, 5, 12, 21, 29, tzinfo=UTC)  # from .utc
    assert (row["status"], row["type"], row["notes"]) == (
        "deleted",
        "now",
        "Approved by John Smith",
    )
    assert row["media_urls"] is None  # not reported


def test_history_legacy_bare_array():
    posts = quiet(normalize_history, sample("history_response_legacy_array.json"))
    assert posts.schema == schema.POSTS_SCHEMA
    assert posts.height == 4
    assert posts["post_id"].to_list() == ["rhn6u7wwz2WxGv6MZGK9"] * 2 + ["wWIY0OEirdNeYSJYm1Xa"] * 2
    first = posts.row(0, named=True)
    # create_date._seconds + _nanoseconds; scheduleDate._seconds
    assert first["created_at"] == datetime(2020, 7, 30, 22, 43, 56, 358000, tzinfo=UTC)
    assert first["scheduled_at"] == datetime(2020, 7, 30, 22, 43, 56, tzinfo=UTC)
    assert posts["status"].to_list() == ["deleted", "deleted", "success", "success"]
    assert posts.row(3, named=True)["social_id"] == "104923907983682_108329970009742"


def test_history_platform_answer():
    posts = quiet(
        normalize_history, sample("history_platform_bluesky_item.json"), platform="bluesky"
    )
    assert posts.schema == schema.POSTS_SCHEMA
    row = posts.row(0, named=True)
    assert row["post_id"] is None  # not known: the post may not have gone through Ayrshare
    assert row["platform"] == "bluesky"
    assert row["social_id"].startswith("at://did:plc:")
    assert row["url"] == "https://bsky.app/profile/ayrshare.com/post/3lf43nl5jis24"
    assert row["text"] == "What a wonderful data day!"
    assert row["created_at"] == datetime(2025, 1, 6, 21, 35, 8, 951000, tzinfo=UTC)


def test_history_platform_taken_from_the_endpoint():
    class Resp(dict):
        endpoint = "/history/bluesky"

    posts = quiet(normalize_history, Resp(sample("history_platform_bluesky_item.json")))
    assert posts["platform"].to_list() == ["bluesky"]


def test_history_networks_without_post_ids_and_failures():
    item = {
        "id": "AYR9",
        "post": "hi",
        "platforms": ["tiktok", "instagram", "linkedin"],
        "postIds": [
            {"platform": "tiktok", "id": "tt", "status": "success", "postUrl": "https://t/1"}
        ],
        "errors": [{"platform": "instagram", "code": 138, "message": "failed"}],
        "mediaUrls": ["https://img/1.png"],
        "status": "error",
    }
    posts = quiet(normalize_history, {"history": [item]})
    assert posts.select("platform", "social_id", "url", "platform_status").rows() == [
        ("tiktok", "tt", "https://t/1", "success"),
        ("instagram", None, None, "error"),
        ("linkedin", None, None, None),
    ]
    assert posts["media_urls"].to_list() == [["https://img/1.png"]] * 3


@pytest.mark.parametrize("answer", [{}, [], {"history": []}, {"status": "error", "code": 221}])
def test_empty_history_has_full_schema(answer):
    posts = quiet(normalize_history, answer)
    assert posts.schema == schema.POSTS_SCHEMA
    assert posts.height == 0


def test_bad_history_shapes_warn_not_crash():
    with pytest.warns(DataQualityWarning):
        posts = normalize_history({"history": [1, {"id": "A", "created": "nope", "postIds": 3}]})
    assert posts.schema == schema.POSTS_SCHEMA
    assert posts.select("post_id", "platform", "created_at").rows() == [("A", None, None)]
    with pytest.warns(DataQualityWarning):
        assert normalize_history(5).height == 0


def test_social_followers_and_daily_series():
    fetched = datetime(2026, 6, 1, tzinfo=UTC)
    answer = {
        "status": "success",
        "instagram": {"analytics": {"followersCount": 1200, "mediaCount": 40}},
        "linkedin": {"analytics": {"followerCount": 300}},
        "youtube": {"analytics": {"subscriberCount": "77"}},
        "reddit": {"analytics": {"subscribers": 5}},
        "facebook": {
            "analytics": {
                "followersCount": 10,
                "impressions": [
                    {"date": "2026-05-30", "value": 3},
                    {"date": "2026-05-31T00:00:00Z", "value": 0},
                ],
            }
        },
        "tiktok": {"status": "error", "code": 500, "message": "x"},
    }
    rows = quiet(normalize_social, answer, fetched_at=fetched)
    assert rows.schema == schema.ACCOUNT_SCHEMA
    followers = {
        r["platform"]: r["value"] for r in rows.iter_rows(named=True) if r["metric"] == "followers"
    }
    assert followers == {
        "instagram": 1200.0,
        "linkedin": 300.0,
        "youtube": 77.0,
        "reddit": 5.0,
        "facebook": 10.0,
    }
    daily = rows.filter(rows["field"] == "impressions").sort("date")
    assert daily.select("date", "value").rows() == [
        (date(2026, 5, 30), 3.0),
        (date(2026, 5, 31), 0.0),
    ]
    totals = rows.filter(rows["date"].is_null())
    assert ("instagram", "mediaCount", None, 40.0) in totals.select(
        "platform", "field", "metric", "value"
    ).rows()
    assert set(rows["fetched_at"].to_list()) == {fetched}


@pytest.mark.parametrize("answer", [{}, {"status": "success"}, None])
def test_empty_social_has_full_schema(answer):
    rows = quiet(normalize_social, answer)
    assert rows.schema == schema.ACCOUNT_SCHEMA
    assert rows.height == 0
