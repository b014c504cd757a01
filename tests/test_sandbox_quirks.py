"""Every per-network quirk of REFERENCE.md, as the sandbox simulates it."""

from __future__ import annotations

import math
from datetime import timedelta

from sandbox_helpers import find_post, make_client

from ayr_analysis.sandbox import VirtualClock
from ayr_analysis.sandbox.analytics import (
    PINTEREST_DELAYED,
    TIKTOK_EXTENDED,
    cache_window,
    tiktok_inactive_since_h,
)
from ayr_analysis.sandbox.world import build_world

W = build_world(7)


def _at(post, hours: float, *, platforms=None, x_keys=True, net=None):
    """The answer for ``post`` when ``net`` (or its first network) is ``hours`` old."""
    np_ = post.networks[net or next(iter(post.networks))]
    clock = VirtualClock(start=np_.published + timedelta(hours=hours))
    client, _ = make_client(clock=clock, x_keys=x_keys, profile=post.profile)
    body = {"id": post.id} | ({"platforms": platforms} if platforms else {})
    return client.post("/analytics/post", json=body)


def test_x_thread_is_a_list_of_tweets_in_order():
    post = find_post(lambda p: p.media_type == "thread" and len(p.networks["twitter"].thread) >= 2)
    tw = _at(post, 72, platforms=["twitter"]).json()["twitter"]
    np_ = post.networks["twitter"]
    assert isinstance(tw, list) and len(tw) == len(np_.thread) + 1
    assert [t["id"] for t in tw] == [np_.social_id, *(t.social_id for t in np_.thread)]
    imps = [t["analytics"]["publicMetrics"]["impressionCount"] for t in tw]
    assert imps[0] > imps[-1]  # later tweets of a thread are seen less
    assert all("nonPublicMetrics" in t["analytics"] for t in tw)
    single = find_post(lambda p: p.media_type == "image" and "twitter" in p.networks)
    assert isinstance(_at(single, 72, platforms=["twitter"]).json()["twitter"], dict)


def test_x_without_byo_keys_gives_a_419_entry_and_keeps_other_networks():
    post = find_post(lambda p: "twitter" in p.networks and len(p.networks) >= 2)
    body = _at(post, 72, x_keys=False).json()
    assert body["status"] == "success"
    assert body["twitter"] == {
        "status": "error",
        "code": 419,
        "message": body["twitter"]["message"],
        "platform": "twitter",
    }
    assert "X-Twitter-OAuth1-Api-Key" in body["twitter"]["message"]
    others = [n for n in post.networks if n != "twitter"]
    assert all("analytics" in body[n] or body[n]["code"] != 419 for n in others)
    only_x = find_post(lambda p: list(p.networks) == ["twitter"])
    assert _at(only_x, 72, x_keys=False).json()["status"] == "error"
    client, _ = make_client(x_keys=False)
    r = client.get("/history/twitter")
    assert r.status_code == 400 and r.json()["code"] == 419
    social = client.post("/analytics/social", json={"platforms": ["twitter", "bluesky"]}).json()
    assert social["twitter"]["code"] == 419 and "followersCount" in social["bluesky"]["analytics"]


def test_x_non_public_metrics_only_for_30_days():
    post = find_post(lambda p: "twitter" in p.networks and p.media_type == "video")
    young = _at(post, 29 * 24, platforms=["twitter"], net="twitter").json()["twitter"]["analytics"]
    old = _at(post, 31 * 24, platforms=["twitter"], net="twitter").json()["twitter"]["analytics"]
    assert young["nonPublicMetrics"]["video"]["playback100Count"] > 0
    assert (
        "organicMetrics" in young and "nonPublicMetrics" not in old and "organicMetrics" not in old
    )
    assert old["publicMetrics"]["likeCount"] >= young["publicMetrics"]["likeCount"]


def test_tiktok_extended_fields_vanish_after_7_inactive_days():
    post = find_post(lambda p: "tiktok" in p.networks)
    np_ = post.networks["tiktok"]
    inactive = tiktok_inactive_since_h(np_)
    # inactive: growth per day below 1 % of the final views, from then on
    g = np_.share
    assert g(inactive - 1 + 24) - g(inactive - 1) >= 0.01
    assert all(g(h + 24) - g(h) < 0.01 for h in range(int(inactive), int(inactive) + 60 * 24))
    before = _at(post, inactive + 7 * 24 - 7, platforms=["tiktok"], net="tiktok").json()["tiktok"]
    after = _at(post, inactive + 7 * 24 + 7, platforms=["tiktok"], net="tiktok").json()["tiktok"]
    a, b = before["analytics"], after["analytics"]
    assert all(k in a for k in TIKTOK_EXTENDED) and not any(k in b for k in TIKTOK_EXTENDED)
    assert b["videoViews"] >= a["videoViews"] and b["likeCount"] >= a["likeCount"]
    sources = a["impressionSources"]
    assert {"impressionSource", "percentage"} == set(sources[0])
    assert abs(sum(s["percentage"] for s in sources) - 100) < 0.1
    assert {"country", "percentage"} == set(a["audienceCountries"][0])
    assert 0 < a["fullVideoWatchedRate"] < 1


def test_instagram_story_small_numbers_are_zero_and_expire_after_24h():
    stories = [
        p for p in W.ayrshare_posts() if p.media_type == "story" and "instagram" in p.networks
    ]
    zeros = nonzero = 0
    for post in stories[:10]:
        np_ = post.networks["instagram"]
        a = _at(post, 20, platforms=["instagram"], net="instagram").json()["instagram"]["analytics"]
        assert a["mediaProductType"] == "STORY"
        age_h = cache_window(20 * 3600)[0] / 3600
        raw = {k: math.floor(v * np_.share(age_h)) for k, v in np_.finals.items()}
        for k, v in raw.items():
            assert a[k] == (v if v >= 5 else 0), k
            zeros += 0 < v < 5
            nonzero += v >= 5
    assert zeros > 0 and nonzero > 0  # both sides of the threshold were exercised
    expired = _at(stories[0], 25, platforms=["instagram"], net="instagram").json()
    assert expired["instagram"]["status"] == "error" and expired["instagram"]["code"] == 485


def test_facebook_story_analytics_are_refused():
    post = find_post(lambda p: p.media_type == "story" and "facebook" in p.networks, profile=None)
    fb = _at(post, 5, platforms=["facebook"], net="facebook").json()["facebook"]
    assert fb["status"] == "error" and fb["code"] == 484 and "Stories" in fb["message"]


def test_linkedin_personal_page_has_only_likes_comments_reactions():
    personal = find_post(lambda p: "linkedin" in p.networks and p.networks["linkedin"].personal,
                         profile=None)  # fmt: skip
    a = _at(personal, 72, platforms=["linkedin"], net="linkedin").json()["linkedin"]["analytics"]
    assert set(a) == {"likeCount", "commentCount", "reactions"}
    assert a["likeCount"] == sum(a["reactions"].values())
    company = find_post(lambda p: "linkedin" in p.networks and not p.networks["linkedin"].personal)
    c = _at(company, 72, platforms=["linkedin"], net="linkedin").json()["linkedin"]["analytics"]
    assert {"impressionCount", "clickCount", "shareCount", "engagement"} <= set(c)


def test_youtube_numbers_zero_until_24_to_48h():
    post = find_post(lambda p: "youtube" in p.networks)
    np_ = post.networks["youtube"]
    assert 24 <= np_.delay_h <= 48
    early = _at(post, np_.delay_h - 2.5, platforms=["youtube"], net="youtube").json()["youtube"]
    late = _at(post, np_.delay_h + 6.5, platforms=["youtube"], net="youtube").json()["youtube"]
    e, la = early["analytics"], late["analytics"]
    assert (e["views"], e["likes"], e["comments"]) == (0, 0, 0)
    assert "estimatedMinutesWatched" not in e and "title" in e
    assert la["views"] > 0 and la["estimatedMinutesWatched"] > 0
    assert {"averageViewDuration", "subscribersGained", "videosAddedToPlaylists"} <= set(la)


def test_pinterest_keys_absent_for_24_to_72h():
    post = find_post(lambda p: "pinterest" in p.networks)
    np_ = post.networks["pinterest"]
    assert 24 <= np_.delay_h <= 72
    early = _at(post, np_.delay_h - 3.5, platforms=["pinterest"], net="pinterest").json()
    late = _at(post, np_.delay_h + 6.5, platforms=["pinterest"], net="pinterest").json()
    e, la = early["pinterest"]["analytics"], late["pinterest"]["analytics"]
    assert not any(k in e for k in PINTEREST_DELAYED)
    assert "totalReactions" in e and "totalComments" in e
    assert all(k in la for k in PINTEREST_DELAYED) and la["impression"] > 0


def test_facebook_reactions_and_x_nesting_use_raw_field_names():
    post = find_post(lambda p: p.media_type == "video" and {"facebook", "twitter"} <= set(p.networks),
                     profile=None)  # fmt: skip
    body = _at(post, 72).json()
    fb = body["facebook"]["analytics"]
    assert set(fb["reactions"]) == {"like", "love", "wow", "haha", "sorry", "anger", "total"}
    assert fb["reactions"]["total"] == sum(v for k, v in fb["reactions"].items() if k != "total")
    assert fb["videoViews"] > 0 and fb["videoViewTime"] > 0
    x = body["twitter"]
    x = x[0] if isinstance(x, list) else x
    video = x["analytics"]["nonPublicMetrics"]["video"]
    counts = [video[f"playback{q}Count"] for q in (0, 25, 50, 75, 100)]
    assert counts == sorted(counts, reverse=True) and counts[0] > 0


def test_last_updated_and_next_update_follow_the_refresh_grid():
    assert cache_window(0) == (0, 3600)
    assert cache_window(5 * 3600 + 59) == (5 * 3600, 6 * 3600)
    assert cache_window(47 * 3600) == (46 * 3600, 48 * 3600)
    assert cache_window(100 * 3600) == (99 * 3600, 102 * 3600)
    assert cache_window(1000 * 3600) == (996 * 3600, 1002 * 3600)
    post = find_post(lambda p: "instagram" in p.networks and p.media_type == "image")
    e = _at(post, 30.5, platforms=["instagram"], net="instagram").json()["instagram"]
    published = post.networks["instagram"].published
    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    assert e["lastUpdated"] == (published + timedelta(hours=30)).strftime(fmt)
    assert e["nextUpdate"] == (published + timedelta(hours=32)).strftime(fmt)
