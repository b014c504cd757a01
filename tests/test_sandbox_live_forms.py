"""The live API's awkward answers, each switched on by a ``Quirks`` option: the exact bodies the
sandbox gives in process, and what the official SDK (social-post-api) reads over HTTP."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from sandbox_helpers import FakeMonotonic, find_post, headers_for, make_client

from ayr_analysis.errors import RateLimitError, error_from_response
from ayr_analysis.sandbox import (
    DEMO_API_KEY,
    DEMO_X_API_KEY,
    DEMO_X_API_SECRET,
    Quirks,
    VirtualClock,
    serve_in_thread,
)
from ayr_analysis.sandbox.analytics import cache_window, counts_at, youtube_delayed
from ayr_analysis.sandbox.faults import (
    EUROPE_JAPAN,
    SUSPEND_AFTER_429S,
    X_DAILY_QUOTA_BUSINESS,
    X_DAILY_QUOTA_PREMIUM,
)
from ayr_analysis.sandbox.world import build_world

W = build_world(7)
#: The fresh story (3 h old at the world's now) on Instagram (answers) and Facebook (refused).
STORY = find_post(lambda p: p.media_type == "story" and list(p.networks) == ["facebook", "instagram"]
                  and p.created > W.now - timedelta(hours=4))  # fmt: skip
#: A post on X and two other networks, well past its first day.
X_POST = find_post(lambda p: "twitter" in p.networks and len(p.networks) >= 3
                   and p.created < W.now - timedelta(days=3) and p.media_type != "thread")  # fmt: skip
TIKTOK_POST = find_post(lambda p: "tiktok" in p.networks and len(p.networks) >= 2
                        and p.created < W.now - timedelta(days=3))  # fmt: skip


def _ask(post, *, quirks=None, platforms=None, x_keys=True, profile=None, **kw):
    client, transport = make_client(quirks=quirks, x_keys=x_keys,
                                    profile=post.profile if profile is None else profile, **kw)  # fmt: skip
    body = {"id": post.id} | ({"platforms": platforms} if platforms else {})
    return client.post("/analytics/post", json=body), client, transport


# ------------------------------------------------------------------------- errors[] and partial
def test_errors_array_and_partial_status():
    r, _, _ = _ask(
        X_POST, x_keys=False, quirks=Quirks(errors_form="array", partial_status="partial")
    )
    body = r.json()
    assert r.status_code == 200 and body["status"] == "partial" and body["id"] == X_POST.id
    assert "twitter" not in body
    assert body["errors"] == [{"action": "analytics", "status": "error", "code": 419,
                               "message": body["errors"][0]["message"], "platform": "twitter"}]  # fmt: skip
    others = [n for n in X_POST.networks if n != "twitter"]
    assert all("analytics" in body[n] for n in others)
    # the default form is unchanged: the error in place, status success
    default = _ask(X_POST, x_keys=False)[0].json()
    assert default["status"] == "success" and default["twitter"]["code"] == 419
    assert "errors" not in default
    # partial_status "error": the /post convention (any failure makes the status "error")
    strict = _ask(X_POST, x_keys=False, quirks=Quirks(partial_status="error"))[0].json()
    assert strict["status"] == "error" and strict["twitter"]["code"] == 419


def test_errors_both_in_place_and_listed_worded_differently():
    body = _ask(STORY, quirks=Quirks(errors_form="both"))[0].json()
    assert body["status"] == "success" and "analytics" in body["instagram"]
    in_place, listed = body["facebook"], body["errors"][0]
    assert in_place["code"] == listed["code"] == 484 and listed["platform"] == "facebook"
    assert in_place["message"] != listed["message"] and in_place["message"] in listed["message"]


def test_every_network_failed_in_the_errors_array():
    old_story = find_post(lambda p: p.media_type == "story" and set(p.networks) == {"facebook",
                          "instagram"} and p.created < W.now - timedelta(days=2))  # fmt: skip
    body = _ask(old_story, quirks=Quirks(errors_form="array", partial_status="partial"))[0].json()
    assert body["status"] == "error" and set(body) == {"status", "id", "errors"}
    assert sorted((e["platform"], e["code"]) for e in body["errors"]) == [
        ("facebook", 484), ("instagram", 485)]  # fmt: skip


# ------------------------------------------------------------------------- missing networks
def test_filtered_tiktok_video_is_absent_asked_for_or_not():
    q = Quirks(tiktok_filtered_ids={TIKTOK_POST.id})
    everything = _ask(TIKTOK_POST, quirks=q)[0].json()
    assert everything["status"] == "success" and "tiktok" not in everything
    assert set(everything) == {"status", "id", *TIKTOK_POST.networks} - {"tiktok"}
    asked = _ask(TIKTOK_POST, quirks=q, platforms=["tiktok"])[0].json()
    assert asked == {"status": "success", "id": TIKTOK_POST.id}
    # by social id too, and a filter by the TikTok id works the same
    sid = TIKTOK_POST.networks["tiktok"].social_id
    client, _ = make_client(quirks=Quirks(tiktok_filtered_ids={sid}), profile=TIKTOK_POST.profile)
    r = client.post("/analytics/post",
                    json={"id": sid, "platforms": ["tiktok"], "searchPlatformId": True})  # fmt: skip
    assert r.status_code == 200 and r.json() == {"status": "success", "id": sid}
    # without the quirk the video is there
    assert "analytics" in _ask(TIKTOK_POST, platforms=["tiktok"])[0].json()["tiktok"]


def test_filtered_rate_picks_a_stable_share_of_videos():
    q = Quirks(tiktok_filtered_rate=0.3)
    tiktoks = [p for p in W.ayrshare_posts() if "tiktok" in p.networks and p.profile == 0
               and p.publish_at <= W.now][:40]  # fmt: skip
    client, _ = make_client(quirks=q)
    gone = [p.id for p in tiktoks
            if "tiktok" not in client.post("/analytics/post", json={"id": p.id}).json()]  # fmt: skip
    again = [p.id for p in tiktoks
             if "tiktok" not in client.post("/analytics/post", json={"id": p.id}).json()]  # fmt: skip
    assert gone == again and 0.1 * len(tiktoks) < len(gone) < 0.5 * len(tiktoks)


def test_network_the_post_was_never_sent_to():
    post = find_post(lambda p: "tiktok" not in p.networks and "bluesky" in p.networks
                     and p.created < W.now - timedelta(days=3))  # fmt: skip
    # the reading of the docs ("platforms narrows the answer"): simply absent
    body = _ask(post, platforms=["bluesky", "tiktok", "snapchat"])[0].json()
    assert set(body) == {"status", "id", "bluesky"} and body["status"] == "success"
    # the other reading: an error object in its place
    body = _ask(post, platforms=["bluesky", "tiktok", "snapchat"],
                quirks=Quirks(unsent_platforms="error"))[0].json()  # fmt: skip
    assert body["status"] == "success" and "analytics" in body["bluesky"]
    assert (body["tiktok"]["code"], body["tiktok"]["platform"]) == (186, "tiktok")
    assert (body["snapchat"]["code"], body["snapchat"]["platform"]) == (156, "snapchat")
    only = _ask(post, platforms=["tiktok"], quirks=Quirks(unsent_platforms="error"))[0].json()
    assert only["status"] == "error" and only["tiktok"]["code"] == 186


# ------------------------------------------------------------------------- EU/JP story replies
def _story_with_replies():
    for post in W.ayrshare_posts():
        if post.media_type == "story" and "instagram" in post.networks and post.profile == 0:
            np_ = post.networks["instagram"]
            if counts_at(np_, cache_window(20 * 3600)[0] / 3600)["repliesCount"] >= 5:
                return post
    raise LookupError


def test_instagram_story_replies_are_zero_for_profiles_in_europe_and_japan():
    post = _story_with_replies()
    clock = VirtualClock(start=post.networks["instagram"].published + timedelta(hours=20))

    def story(quirks=None):
        r, _, _ = _ask(post, quirks=quirks, platforms=["instagram"], clock=clock)
        return r.json()["instagram"]["analytics"]

    us = story()
    assert us["repliesCount"] >= 5 and W.profiles[0].region == "US"
    for region in ("DE", "jp", "EU", "GB"):
        local = story(Quirks(profile_regions={0: region}))
        assert local["repliesCount"] == 0, region
        assert {k: v for k, v in local.items() if k != "repliesCount"} == {
            k: v for k, v in us.items() if k != "repliesCount"}  # fmt: skip
    assert story(Quirks(profile_regions={0: "BR"})) == us
    by_key = story(Quirks(profile_regions={W.profiles[0].profile_key: "FR"}))
    assert by_key["repliesCount"] == 0
    assert story(Quirks(profile_regions={1: "DE"})) == us  # another profile moved
    assert {"DE", "FR", "GB", "JP", "EU"} <= EUROPE_JAPAN and "US" not in EUROPE_JAPAN


# ------------------------------------------------------------------------- suspension
def test_suspension_after_1000_429s_in_24_hours():
    t = FakeMonotonic()
    client, transport = make_client(rate_limit=2, rate_time=t,
                                    quirks=Quirks(suspend_after_429s=SUSPEND_AFTER_429S))  # fmt: skip
    assert SUSPEND_AFTER_429S == 1000
    assert [client.get("/history", params={"limit": 1}).status_code for _ in range(2)] == [200] * 2
    statuses = [client.get("/history", params={"limit": 1}).status_code for _ in range(999)]
    assert statuses == [429] * 999 and not transport.app.suspended(W.profiles[0].profile_key)
    r = client.get("/history", params={"limit": 1})
    assert r.status_code == 429  # the 1,000th 429 ...
    t.t += 300  # ... and even once the window has rolled over, the profile stays suspended
    r = client.get("/history", params={"limit": 1})
    assert r.status_code == 403 and r.json()["code"] == 403 and "suspended" in r.json()["message"]
    assert r.json()["status"] == "error" and r.headers["x-ratelimit-count"] == "0"
    post = client.post("/analytics/post", json={"id": X_POST.id})
    assert post.status_code == 403
    err = error_from_response(post.status_code, post.content)
    assert type(err).__name__ == "PermissionDeniedError" and not err.retryable
    # another profile is not touched; reactivation lifts it
    other, _ = make_client(app=transport.app, profile=1)
    assert other.get("/history", params={"limit": 1}).status_code == 200
    transport.app.reactivate(W.profiles[0].profile_key)
    assert client.get("/history", params={"limit": 1}).status_code == 200


def test_429s_older_than_a_day_do_not_count():
    t = FakeMonotonic()
    q = Quirks(suspend_after_429s=10, day_s=1000.0)
    client, transport = make_client(rate_limit=1, rate_window=100.0, rate_time=t, quirks=q)
    key = W.profiles[0].profile_key
    for _ in range(6):  # 5 429s per window, windows 1500 s apart
        codes = [client.get("/history").status_code for _ in range(6)]
        assert codes == [200] + [429] * 5, codes
        t.t += 1500.0
    assert not transport.app.suspended(key)  # 30 429s, never 10 of them within 1000 s
    for _ in range(2):  # two windows 400 s apart: 10 429s within 1000 s
        [client.get("/history") for _ in range(6)]
        t.t += 400.0
    assert transport.app.suspended(key)
    assert client.get("/history").status_code == 403


# ------------------------------------------------------------------------- X's daily quota
def test_x_daily_quota_answers_429_for_the_rest_of_the_day():
    t = FakeMonotonic()
    assert (X_DAILY_QUOTA_BUSINESS, X_DAILY_QUOTA_PREMIUM) == (1000, 500)
    q = Quirks(x_daily_quota=3, day_s=86_400.0)
    client, _ = make_client(quirks=q, rate_time=t)
    ok = [client.post("/analytics/post", json={"id": X_POST.id}).status_code for _ in range(3)]
    assert ok == [200] * 3
    r = client.post("/analytics/post", json={"id": X_POST.id})
    assert r.status_code == 429
    assert r.json() == {"action": "analytics", "status": "error", "code": 429,
                        "message": r.json()["message"], "platform": "twitter"}  # fmt: skip
    assert "3 requests per 24 hours" in r.json()["message"]
    # networks other than X are not counted, nor refused
    other = [n for n in X_POST.networks if n != "twitter"]
    r = client.post("/analytics/post", json={"id": X_POST.id, "platforms": other})
    assert r.status_code == 200 and all("analytics" in r.json()[n] for n in other)
    social = client.post("/analytics/social", json={"platforms": ["twitter"]})
    assert social.status_code == 429
    t.t += 86_400.0
    assert client.post("/analytics/post", json={"id": X_POST.id}).status_code == 200


def test_x_daily_quota_in_place():
    q = Quirks(x_daily_quota=1, x_quota_form="in_place")
    client, _ = make_client(quirks=q)
    first = client.post("/analytics/post", json={"id": X_POST.id}).json()
    assert "analytics" in first["twitter"]
    second = client.post("/analytics/post", json={"id": X_POST.id}).json()
    assert second["status"] == "success" and second["twitter"]["code"] == 429
    assert second["twitter"]["platform"] == "twitter"
    assert all("analytics" in second[n] for n in X_POST.networks if n != "twitter")
    social = client.post("/analytics/social", json={"platforms": ["twitter", "bluesky"]}).json()
    assert social["twitter"]["code"] == 429 and "followersCount" in social["bluesky"]["analytics"]


# ------------------------------------------------------------------------- Instagram's 435
def test_instagram_rate_limit_435_with_details():
    t = FakeMonotonic()
    ig = find_post(lambda p: "instagram" in p.networks and p.media_type == "image"
                   and len(p.networks) >= 2 and p.created < W.now - timedelta(days=3))  # fmt: skip
    client, _ = make_client(quirks=Quirks(instagram_limit=2, instagram_window_s=600.0),
                            rate_time=t)  # fmt: skip
    assert [client.post("/analytics/post", json={"id": ig.id}).status_code
            for _ in range(2)] == [200, 200]  # fmt: skip
    t.t += 100.5
    r = client.post("/analytics/post", json={"id": ig.id})
    assert r.status_code == 429
    assert r.json() == {"action": "analytics", "status": "error", "code": 435,
                        "message": r.json()["message"], "details": 500,
                        "platform": "instagram"}  # fmt: skip
    err = error_from_response(429, r.content, "/analytics/post", ig.id)
    assert isinstance(err, RateLimitError) and err.retry_after == 500.0 and err.retryable
    others = [n for n in ig.networks if n != "instagram"]
    assert client.post("/analytics/post",
                       json={"id": ig.id, "platforms": others}).status_code == 200  # fmt: skip
    t.t += 500.0
    assert client.post("/analytics/post", json={"id": ig.id}).status_code == 200
    # in place: the other networks keep their numbers
    client, _ = make_client(quirks=Quirks(instagram_limit=1, instagram_form="in_place"),
                            rate_time=FakeMonotonic())  # fmt: skip
    client.post("/analytics/post", json={"id": ig.id})
    body = client.post("/analytics/post", json={"id": ig.id}).json()
    assert body["instagram"]["code"] == 435 and body["instagram"]["details"] == 3600
    assert all("analytics" in body[n] for n in others) and body["status"] == "success"


# ------------------------------------------------------------------------- YouTube's delay
def test_youtube_delay_only_for_few_views_or_small_channels():
    youtube = [p for p in W.posts if "youtube" in p.networks]
    # every channel of the demo world is small: every video is delayed, as the numbers always were
    assert all(youtube_delayed(W, p, p.networks["youtube"]) for p in youtube)
    big = Quirks(youtube_small_channel=10_000, youtube_few_views=5_000)
    subs = {i: W.profiles[i].accounts["youtube"].followers0 for i in range(3)}
    assert subs[0] > 10_000 > max(subs[1], subs[2])
    popular = next(p for p in youtube if p.profile == 0 and p.via_ayrshare
                   and p.networks["youtube"].finals["views"] > 20_000)  # fmt: skip
    quiet = next(p for p in youtube if p.profile == 0 and p.via_ayrshare
                 and p.networks["youtube"].finals["views"] < 5_000)  # fmt: skip
    small = next(p for p in youtube if p.profile == 1 and p.via_ayrshare)

    def early(post, quirks):
        np_ = post.networks["youtube"]
        clock = VirtualClock(start=np_.published + timedelta(hours=np_.delay_h - 2.5))
        r, _, _ = _ask(post, quirks=quirks, platforms=["youtube"], clock=clock)
        return r.json()["youtube"]["analytics"]

    a = early(popular, big)
    assert a["views"] > 0 and a["estimatedMinutesWatched"] > 0
    assert early(popular, None)["views"] == 0  # a small channel by the default threshold
    assert early(popular, Quirks(youtube_delay="all", youtube_small_channel=10_000))["views"] == 0
    assert early(quiet, big)["views"] == 0  # few views, even on a big channel
    assert early(small, big)["views"] == 0  # a small channel
    assert not youtube_delayed(W, popular, popular.networks["youtube"], big)


def test_quirks_are_checked():
    with pytest.raises(ValueError, match="errors_form"):
        Quirks(errors_form="inline")
    with pytest.raises(ValueError, match="tiktok_filtered_rate"):
        Quirks(tiktok_filtered_rate=2)
    with pytest.raises(ValueError, match="x_daily_quota"):
        Quirks(x_daily_quota=0)
    with pytest.raises(ValueError, match="collection"):
        Quirks(tiktok_filtered_ids="abc")
    assert not Quirks().active and Quirks(x_daily_quota=500).active


# ------------------------------------------------------------------------- the official SDK
@pytest.fixture
def sdk(monkeypatch):
    """The official SDK pointed at an HTTP sandbox started with ``start(quirks=...)``."""
    import ayrshare.ayrshare as ayrshare_mod
    from ayrshare import SocialPost

    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    servers = []

    def start(**options):
        srv = serve_in_thread(port=0, **options)
        servers.append(srv)
        monkeypatch.setattr(ayrshare_mod, "base", srv.base_url + "/")
        return SocialPost(DEMO_API_KEY).set_twitter_byo(DEMO_X_API_KEY, DEMO_X_API_SECRET), srv

    yield start
    for srv in servers:
        srv.stop()


def test_sdk_reads_the_errors_array_filtered_and_unsent_networks(sdk):
    social, _ = sdk(quirks=Quirks(errors_form="array", partial_status="partial",
                                  tiktok_filtered_ids={TIKTOK_POST.id},
                                  unsent_platforms="error"))  # fmt: skip
    partial = social.analyticsPost({"id": STORY.id})
    assert partial["status"] == "partial" and "facebook" not in partial
    assert [(e["platform"], e["code"]) for e in partial["errors"]] == [("facebook", 484)]
    assert "analytics" in partial["instagram"]
    filtered = social.analyticsPost({"id": TIKTOK_POST.id})
    assert "tiktok" not in filtered and filtered["status"] == "success"
    assert len(filtered) == len(TIKTOK_POST.networks) + 1  # status, id, the other networks
    unsent = social.analyticsPost({"id": STORY.id, "platforms": ["instagram", "youtube"]})
    assert unsent["status"] == "partial"
    assert unsent["errors"] == [{"action": "analytics", "status": "error", "code": 186,
                                 "platform": "youtube",
                                 "message": unsent["errors"][0]["message"]}]  # fmt: skip


def test_sdk_reads_zero_story_replies_in_japan_and_youtube_numbers_of_a_big_channel(sdk):
    post = _story_with_replies()
    at = post.networks["instagram"].published + timedelta(hours=20)
    social, _ = sdk(clock=VirtualClock(start=at), quirks=Quirks(profile_regions={0: "JP"}))
    story = social.analyticsPost({"id": post.id, "platforms": ["instagram"]})
    assert story["instagram"]["analytics"]["repliesCount"] == 0
    assert story["instagram"]["analytics"]["viewsCount"] > 0
    video = next(p for p in W.ayrshare_posts() if p.profile == 0 and "youtube" in p.networks
                 and p.networks["youtube"].finals["views"] > 20_000)  # fmt: skip
    np_ = video.networks["youtube"]
    at = np_.published + timedelta(hours=np_.delay_h - 2.5)
    social, _ = sdk(clock=VirtualClock(start=at), quirks=Quirks(youtube_small_channel=10_000))
    assert social.analyticsPost({"id": video.id, "platforms": ["youtube"]})["youtube"][
        "analytics"]["views"] > 0  # fmt: skip
    social, _ = sdk(clock=VirtualClock(start=at))
    assert social.analyticsPost({"id": video.id, "platforms": ["youtube"]})["youtube"][
        "analytics"]["views"] == 0  # fmt: skip


def test_sdk_reads_x_quota_instagram_limit_and_suspension(sdk):
    social, srv = sdk(rate_limit=3, rate_window=3600.0,
                      quirks=Quirks(x_daily_quota=1, instagram_limit=1, suspend_after_429s=4))  # fmt: skip
    ig = find_post(lambda p: "instagram" in p.networks and "twitter" not in p.networks
                   and p.media_type == "image" and p.created < W.now - timedelta(days=3))  # fmt: skip
    assert "analytics" in social.analyticsPost({"id": X_POST.id, "platforms": ["twitter"]})[
        "twitter"]  # fmt: skip
    quota = social.analyticsPost({"id": X_POST.id, "platforms": ["twitter"]})
    assert (quota["code"], quota["platform"], quota["status"]) == (429, "twitter", "error")
    assert "analytics" in social.analyticsPost({"id": ig.id, "platforms": ["instagram"]})[
        "instagram"]  # fmt: skip
    # the 3 requests of the window are used: from now on the profile limit answers 429
    limited = [social.analyticsPost({"id": ig.id}) for _ in range(4)]
    assert [a["code"] for a in limited] == [429] * 4
    assert "limit is 3 requests" in limited[0]["message"]
    suspended = social.history({"limit": 1})
    assert suspended["code"] == 403 and "suspended" in suspended["message"]
    assert srv.app.suspended(W.profiles[0].profile_key)
    # Instagram's own limit, on a fresh sandbox
    social, _ = sdk(quirks=Quirks(instagram_limit=1))
    social.analyticsPost({"id": ig.id, "platforms": ["instagram"]})
    throttled = social.analyticsPost({"id": ig.id, "platforms": ["instagram"]})
    assert throttled["code"] == 435 and throttled["platform"] == "instagram"
    assert isinstance(throttled["details"], int) and 3590 <= throttled["details"] <= 3600
    assert math.isclose(error_from_response(429, throttled).retry_after, throttled["details"])


def test_headers_for_profiles_still_work_with_quirks():
    # quirks leave the protocol's other answers alone: Profile-Key scoping, auth, 404s
    client, _ = make_client(quirks=Quirks(errors_form="array", x_daily_quota=5))
    r = client.get("/history", headers=headers_for(1), params={"limit": 1000, "lastDays": 0})
    assert r.status_code == 200
    assert {i["id"] for i in r.json()["history"]} == {p.id for p in W.ayrshare_posts()
                                                       if p.profile == 1 and p.created <= W.now}  # fmt: skip
    assert client.post("/analytics/post", json={"id": "nope"}).status_code == 404
