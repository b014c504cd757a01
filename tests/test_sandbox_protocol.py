"""The sandbox speaks the protocol of REFERENCE.md: auth, scoping, routes, shapes, rate limits,
determinism, clock, faults."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sandbox_helpers import FakeMonotonic, find_post, headers_for, make_client

from ayr_analysis.sandbox import DEMO_API_KEY, Faults, VirtualClock
from ayr_analysis.sandbox.analytics import NOT_CUMULATIVE
from ayr_analysis.sandbox.app import FOLLOWER_FIELD
from ayr_analysis.sandbox.transport import SandboxTransport, default_transport
from ayr_analysis.sandbox.world import build_world

W = build_world(7)
NOT_FOUND_EXAMPLE = {
    "action": "analytics",
    "status": "error",
    "code": 186,
    "message": "Post ID not found.",
    "id": "IHvCmacgIc6hMU9IQ6C",
}  # examples/error_analytics_post_id_not_found_404.json


def _numbers(obj, prefix=""):
    """Flatten every int (not bool) leaf of a JSON value: path -> value."""
    out = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out |= _numbers(v, f"{prefix}{k}.")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out |= _numbers(v, f"{prefix}{i}.")
    elif isinstance(obj, int) and not isinstance(obj, bool):
        out[prefix.rstrip(".")] = obj
    return out


# ------------------------------------------------------------------------------------- auth


def test_missing_or_bad_key_is_401_with_ratelimit_headers():
    client, _ = make_client()
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer wrong"}):
        r = client.get("/history", headers=headers)
        assert r.status_code == 401
        body = r.json()
        assert body["status"] == "error" and body["code"] == 102
        assert "API Key" in body["message"] and "wrong" not in r.text
        assert r.headers["x-ratelimit-max"] == "100000"


def test_unknown_profile_key_is_403_with_clear_message():
    client, _ = make_client()
    r = client.get("/history", headers={"Profile-Key": "NOPE"})
    assert r.status_code == 403
    assert r.json()["code"] == 147 and "Profile-Key" in r.json()["message"]


def test_profile_key_scopes_posts_and_unknown_id_is_exact_404():
    client, _ = make_client()
    other = find_post(lambda p: True, profile=1)
    r = client.post("/analytics/post", json={"id": other.id})  # primary profile
    assert r.status_code == 404
    assert r.json() == {**NOT_FOUND_EXAMPLE, "id": other.id}
    assert list(r.json()) == list(NOT_FOUND_EXAMPLE)  # same keys, same order
    r = client.post("/analytics/post", json={"id": other.id}, headers=headers_for(1))
    assert r.status_code == 200 and r.json()["id"] == other.id
    r = client.post("/analytics/post", json={"id": "IHvCmacgIc6hMU9IQ6C"})
    assert r.status_code == 404 and r.json() == NOT_FOUND_EXAMPLE
    # a network's own id sent as an Ayrshare id is the classic 186
    mine = find_post(lambda p: "facebook" in p.networks)
    sid = mine.networks["facebook"].social_id
    assert client.post("/analytics/post", json={"id": sid}).json()["code"] == 186


# ------------------------------------------------------------------------- /analytics/post


def test_analytics_post_shape_and_platform_filter():
    client, _ = make_client()
    post = find_post(lambda p: len(p.networks) >= 3 and p.media_type in ("image", "carousel"))
    body = client.post("/analytics/post", json={"id": post.id}).json()
    assert body["status"] == "success" and body["id"] == post.id
    assert set(body) - {"status", "id"} == set(post.networks)
    for net, np_ in post.networks.items():
        entry = body[net] if net != "twitter" or not np_.thread else body[net][0]
        assert list(entry) == ["id", "postUrl", "analytics", "lastUpdated", "nextUpdate"]
        assert entry["id"] == np_.social_id and entry["postUrl"] == np_.url
    nets = sorted(post.networks)[:2]
    body = client.post("/analytics/post", json={"id": post.id, "platforms": nets}).json()
    assert set(body) == {"status", "id", *nets}


def test_analytics_post_bad_input_is_400():
    client, _ = make_client()
    assert client.post("/analytics/post", json={}).status_code == 400
    r = client.post("/analytics/post", json={"id": "x", "platforms": ["myspace"]})
    assert r.status_code == 400 and "myspace" in r.json()["message"]
    r = client.post("/analytics/post", content=b"{not json")
    assert r.status_code == 400 and "JSON" in r.json()["message"]
    r = client.post("/analytics/post",
                    json={"id": "1", "platforms": ["tiktok", "twitter"], "searchPlatformId": True})  # fmt: skip
    assert r.status_code == 400 and "exactly one platform" in r.json()["message"]
    assert client.get("/analytics/post").status_code == 405
    assert client.get("/nothing/here").status_code == 404


def test_search_platform_id_finds_native_posts_and_thread_tweets():
    client, _ = make_client()
    native = next(p for p in W.posts if p.id is None and p.profile == 0)
    net, np_ = next(iter(native.networks.items()))
    r = client.post("/analytics/post",
                    json={"id": np_.social_id, "platforms": [net], "searchPlatformId": True})  # fmt: skip
    assert r.status_code == 200
    assert r.json()[net]["id"] == np_.social_id and "analytics" in r.json()[net]
    # not in /history (it was not sent through Ayrshare)
    hist = client.get("/history", params={"lastDays": 0, "limit": 1000}).json()["history"]
    assert np_.social_id not in {pid["id"] for h in hist for pid in h["postIds"]}
    thread = find_post(lambda p: p.media_type == "thread").networks["twitter"]
    second = thread.thread[0]
    r = client.post("/analytics/post",
                    json={"id": second.social_id, "platforms": ["twitter"], "searchPlatformId": True})  # fmt: skip
    tw = r.json()["twitter"]
    assert isinstance(tw, dict) and tw["id"] == second.social_id
    r = client.post("/analytics/post",
                    json={"id": "123", "platforms": ["tiktok"], "searchPlatformId": True})  # fmt: skip
    assert r.status_code == 404 and r.json()["code"] == 186


# ------------------------------------------------------------------------- /analytics/social


def test_analytics_social_follower_fields_totals_and_daily():
    client, _ = make_client()
    nets = sorted(FOLLOWER_FIELD)
    body = client.post("/analytics/social",
                       json={"platforms": [*nets, "snapchat"], "daily": True}).json()  # fmt: skip
    for net in nets:
        a = body[net]["analytics"]
        assert a[FOLLOWER_FIELD[net]] == W.primary.accounts[net].followers_at(W.now, W.start)
        assert a["postsCount"] > 0
        assert ("daily" in a) == (net in ("facebook", "instagram", "tiktok", "youtube"))
    assert body["youtube"]["analytics"]["subscriberCount"] > 0
    assert body["reddit"]["analytics"]["subscribers"] > 0
    daily = body["facebook"]["analytics"]["daily"]
    assert len(daily) == 30
    assert all(a["followers"] <= b["followers"] for a, b in zip(daily, daily[1:], strict=False))
    assert body["snapchat"]["status"] == "error" and body["snapchat"]["code"] == 156
    body60 = client.post("/analytics/social",
                         json={"platforms": ["instagram"], "daily": True, "period60Days": True})  # fmt: skip
    assert len(body60.json()["instagram"]["analytics"]["daily"]) == 60
    bad = client.post("/analytics/social", json={"platforms": ["facebook"], "quarters": 7})
    assert bad.status_code == 400 and "quarters" in bad.json()["message"]


# ----------------------------------------------------------------------------------- /history


def test_history_shape_defaults_and_filters():
    client, _ = make_client()
    body = client.get("/history").json()
    items = body["history"]
    assert len(items) == 25  # default limit
    example_keys = {"errors", "post", "platforms", "postIds", "urls", "type", "created", "status",
                    "id"}  # fmt: skip
    assert all(example_keys <= set(i) for i in items)
    assert all(set(pid) == {"status", "id", "platform", "postUrl"} for i in items
               for pid in i["postIds"])  # fmt: skip
    created = [i["created"] for i in items]
    assert created == sorted(created, reverse=True)  # newest first
    month = client.get("/history", params={"limit": 1000}).json()["history"]
    cutoff = (W.now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert month and all(i["created"] >= cutoff for i in month)  # lastDays default 30
    everything = client.get("/history", params={"lastDays": 0, "limit": 1000}).json()["history"]
    mine = [p for p in W.ayrshare_posts() if p.profile == 0]
    assert len(everything) == len(mine) > len(month)
    assert client.get("/history", params={"limit": 1001}).status_code == 400
    tt = client.get("/history", params={"lastDays": 0, "limit": 1000, "platforms[0]": "tiktok"})
    assert tt.json()["history"] and all("tiktok" in i["platforms"] for i in tt.json()["history"])
    sched = client.get("/history", params={"lastDays": 0, "limit": 1000, "type": "schedule"})
    assert all(i["type"] == "schedule" and "scheduleDate" in i for i in sched.json()["history"])
    window = client.get("/history", params={"lastDays": 0, "limit": 1000,
                                            "startDate": "2026-10-01", "endDate": "2026-10-08"})  # fmt: skip
    got = window.json()["history"]
    assert got and all("2026-10-01" <= i["created"] < "2026-10-09" for i in got)
    assert any(i["created"].startswith("2026-10-08") for i in got)  # the end date's whole day
    assert client.get("/history", params={"startDate": "yesterday"}).status_code == 400
    one = client.get(f"/history/{items[0]['id']}").json()
    assert one == items[0]


def test_history_platform_pages_with_next_cursor():
    client, _ = make_client()
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 7} | ({"next": cursor} if cursor else {})
        body = client.get("/history/instagram", params=params).json()
        assert body["status"] == "success" and "lastUpdated" in body and "nextUpdate" in body
        seen += [p["id"] for p in body["posts"]]
        pages += 1
        cursor = body.get("next")
        if not cursor:
            break
    expected = [np_.social_id for p in W.posts if p.profile == 0 and "instagram" in p.networks
                and p.publish_at <= W.now for np_ in [p.networks["instagram"]]]  # fmt: skip
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))
    assert pages == -(-len(expected) // 7)
    example = json.loads(
        '{"cid":"","created":"","id":"","indexedAt":"","labels":[],"likeCount":2,"post":"",'
        '"postUrl":"","quoteCount":3,"replyCount":2,"repostCount":1,"viewer":{}}'
    )  # keys of examples/history_platform_bluesky_item.json
    sky = client.get("/history/bluesky", params={"limit": 3}).json()["posts"]
    assert sky and all(list(item) == list(example) for item in sky)


# ------------------------------------------------------------------------------ rate limits


def test_301st_request_is_429_and_other_profiles_are_unaffected():
    mono = FakeMonotonic()
    client, _ = make_client(rate_limit=300, rate_window=300.0, rate_time=mono)
    for i in range(300):
        r = client.get("/history", params={"limit": 1})
        assert r.status_code == 200, i
        mono.t += 0.5  # 150 s in all: still one window
    assert r.headers["x-ratelimit-count"] == "300"
    r = client.get("/history", params={"limit": 1})
    assert r.status_code == 429
    assert r.headers["x-ratelimit-max"] == "300" and r.headers["x-ratelimit-count"] == "301"
    assert r.json()["status"] == "error" and "Too many requests" in r.json()["message"]
    other = client.get("/history", params={"limit": 1}, headers=headers_for(2))
    assert other.status_code == 200 and other.headers["x-ratelimit-count"] == "1"
    mono.t += 150.0  # the window has rolled over
    r = client.get("/history", params={"limit": 1})
    assert r.status_code == 200 and r.headers["x-ratelimit-count"] == "1"


def test_rate_window_is_configurable():
    mono = FakeMonotonic()
    client, _ = make_client(rate_limit=3, rate_window=5.0, rate_time=mono)
    codes = [client.get("/history", params={"limit": 1}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    mono.t += 5.0
    assert client.get("/history", params={"limit": 1}).status_code == 200


# ---------------------------------------------------------------------- determinism, clock


def test_same_seed_and_time_give_byte_identical_answers():
    post = find_post(lambda p: len(p.networks) >= 3)
    bodies = []
    for _ in range(2):
        client, _t = make_client()
        a = client.post("/analytics/post", json={"id": post.id}).content
        h = client.get("/history", params={"lastDays": 0, "limit": 50}).content
        s = client.post("/analytics/social", json={"platforms": ["tiktok"], "daily": True}).content
        p = client.get("/history/facebook").content
        bodies.append((a, h, s, p))
    assert bodies[0] == bodies[1]


def test_metrics_grow_with_time_and_stay_until_next_update():
    young = [p for p in W.ayrshare_posts() if p.profile == 0 and
             W.now - timedelta(days=40) < p.created < W.now - timedelta(days=1)][:25]  # fmt: skip
    clock = VirtualClock(start=W.now - timedelta(days=3))
    client, _ = make_client(clock=clock)
    previous: dict[str, dict] = {}
    grew = False
    for step in range(6):
        for post in young:
            if post.created > clock.now():
                continue
            r = client.post("/analytics/post", json={"id": post.id})
            if r.status_code != 200:
                continue
            nums = {k: v for k, v in _numbers(r.json()).items()
                    if k.rsplit(".", 1)[-1] not in NOT_CUMULATIVE}  # fmt: skip
            old = previous.get(post.id, {})
            for k, v in nums.items():
                if k in old:  # a key may vanish (documented drops), never shrink
                    assert v >= old[k], (post.id, k, step)
                    grew |= v > old[k]
            previous[post.id] = nums
        clock.advance(timedelta(hours=13))
    assert grew


def test_same_numbers_until_next_update_then_fresh_ones():
    post = find_post(lambda p: "tiktok" in p.networks and p.created < W.now - timedelta(days=2))
    tt = post.networks["tiktok"]
    clock = VirtualClock(start=tt.published + timedelta(hours=20, minutes=10))
    client, _ = make_client(clock=clock)
    first = client.post("/analytics/post", json={"id": post.id, "platforms": ["tiktok"]}).json()
    entry = first["tiktok"]
    assert entry["lastUpdated"] < entry["nextUpdate"]
    clock.advance(timedelta(minutes=100))  # still before nextUpdate (2 h refresh at this age)
    again = client.post("/analytics/post", json={"id": post.id, "platforms": ["tiktok"]}).json()
    assert again == first
    clock.advance(timedelta(minutes=15))  # past nextUpdate
    later = client.post("/analytics/post", json={"id": post.id, "platforms": ["tiktok"]}).json()
    assert later["tiktok"]["lastUpdated"] == entry["nextUpdate"]
    assert later["tiktok"]["analytics"]["videoViews"] > entry["analytics"]["videoViews"]


def test_virtual_clock_speed_and_posts_appear_over_time():
    mono = FakeMonotonic()
    clock = VirtualClock(start=W.now, speed=3600.0, monotonic=mono)
    mono.t += 2.0
    assert clock.now() == W.now + timedelta(hours=2)
    with pytest.raises(ValueError):
        VirtualClock(speed=-1)
    early = VirtualClock(start=W.now - timedelta(days=100))
    client, _ = make_client(clock=early)
    later_post = find_post(lambda p: p.created > W.now - timedelta(days=50))
    assert client.post("/analytics/post", json={"id": later_post.id}).status_code == 404


def test_scheduled_post_answers_pending_then_publishes():
    future = next(p for p in W.ayrshare_posts() if p.publish_at > W.now)
    clock = VirtualClock(start=W.now)
    client, _ = make_client(clock=clock)
    item = client.get(f"/history/{future.id}").json()
    assert item["status"] == "pending" and item["postIds"] == [] and item["type"] == "schedule"
    assert item["scheduleDate"]["utc"] == future.publish_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    r = client.post("/analytics/post", json={"id": future.id})
    assert r.status_code == 400 and r.json()["code"] == 189
    assert "scheduled for" in r.json()["message"]
    clock.set(future.publish_at + timedelta(hours=30))
    r = client.post("/analytics/post", json={"id": future.id})
    assert r.status_code == 200 and set(future.networks) <= set(r.json())
    assert client.get(f"/history/{future.id}").json()["status"] == "success"


# ---------------------------------------------------------------------------- transports, faults


def test_async_transport_and_default_transport():
    async def go():
        async with httpx.AsyncClient(transport=SandboxTransport(), base_url="http://h/api",
                                     headers={"Authorization": f"Bearer {DEMO_API_KEY}"}) as c:  # fmt: skip
            return await c.get("/history", params={"limit": 2})

    r = asyncio.run(go())
    assert r.status_code == 200 and len(r.json()["history"]) == 2
    assert default_transport() is default_transport()


def test_faults_errors_timeouts_and_broken_bodies():
    client, _ = make_client(faults=Faults(error_rate=1.0, seed=3))
    statuses = {client.get("/history").status_code for _ in range(40)}
    assert statuses == {500, 502, 503, 504}
    client, _ = make_client(faults=Faults(timeout_rate=1.0))
    with pytest.raises(httpx.ReadTimeout):
        client.get("/history")
    client, _ = make_client(faults=Faults(malformed_rate=1.0))
    with pytest.raises(json.JSONDecodeError):
        client.get("/history").json()
    good_client, _ = make_client()
    good = good_client.get("/history", params={"limit": 3}).content
    client, _ = make_client(faults=Faults(truncated_rate=1.0))
    cut = client.get("/history", params={"limit": 3}).content
    assert good.startswith(cut) and len(cut) < len(good)
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut)
    slept = []
    client, _ = make_client(faults=Faults(latency_s=0.25), sleep=slept.append)
    client.get("/history")
    assert slept == [0.25]
    with pytest.raises(ValueError):
        Faults(error_rate=2.0)


def test_faults_are_reproducible_per_seed():
    def run(seed):
        client, _ = make_client(faults=Faults(error_rate=0.3, malformed_rate=0.2, seed=seed))
        out = []
        for _ in range(30):
            r = client.get("/history", params={"limit": 1})
            out.append(r.status_code if r.content.startswith(b"{") else -1)
        return out

    assert run(5) == run(5)
    assert run(5) != run(6)
    assert 200 in run(5) and -1 in run(5) and any(s >= 500 for s in run(5))


def test_data_files_exist_in_repo():
    data = Path(__file__).resolve().parents[1] / "data"
    assert {"profiles.json", "posts.csv", "campaigns.toml", "README.md"} <= {
        p.name for p in data.iterdir()
    }
