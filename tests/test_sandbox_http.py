"""The HTTP sandbox on a free port, driven by the official SDK (social-post-api) and httpx."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from ayr_analysis.cli import build_parser
from ayr_analysis.normalize import normalize, normalize_history
from ayr_analysis.sandbox import (
    DEMO_API_KEY,
    DEMO_X_API_KEY,
    DEMO_X_API_SECRET,
    Faults,
    serve_in_thread,
)
from ayr_analysis.sandbox.world import NETWORKS, build_world

#: One field per network from fields.json (confidence "asserted"; Reddit has only "inferred").
ASSERTED = {
    "bluesky": "likeCount",
    "facebook": "reactions.total",
    "instagram": "likeCount",
    "linkedin": "likeCount",
    "pinterest": "totalReactions",
    "reddit": "ups",
    "threads": "views",
    "tiktok": "videoViews",
    "twitter": "publicMetrics.likeCount",
    "youtube": "views",
}


def _get(obj, path):
    for part in path.split("."):
        obj = obj[part]
    return obj


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    srv = serve_in_thread(port=0)
    yield srv
    srv.stop()


def test_official_sdk_reads_every_network_with_raw_field_names(server, monkeypatch):
    import ayrshare.ayrshare as ayrshare_mod  # the official SDK (a dev dependency)
    from ayrshare import SocialPost

    monkeypatch.setattr(ayrshare_mod, "base", server.base_url + "/")
    sdk = SocialPost(DEMO_API_KEY).set_twitter_byo(DEMO_X_API_KEY, DEMO_X_API_SECRET)
    world = build_world(7)
    old = world.now - timedelta(days=4)
    seen: set[str] = set()
    answers = []
    for net in NETWORKS:
        post = next(p for p in world.ayrshare_posts() if p.profile == 0 and net in p.networks
                    and p.created < old and p.media_type != "story")  # fmt: skip
        answer = sdk.analyticsPost({"id": post.id, "platforms": [net]})
        assert answer["status"] == "success" and answer["id"] == post.id
        answers.append(answer)
        entry = answer[net][0] if isinstance(answer[net], list) else answer[net]
        assert entry["id"] == post.networks[net].social_id and entry["postUrl"]
        assert entry["lastUpdated"] < entry["nextUpdate"]
        value = _get(entry["analytics"], ASSERTED[net])
        assert isinstance(value, int) and value >= 0
        seen.add(net)
    assert seen == set(NETWORKS)
    # our normaliser turns the SDK's raw answers into non-empty frames for every network
    frames = normalize(answers)
    assert frames.errors.height == 0
    for net in NETWORKS:
        rows = frames.wide.filter(platform=net)
        assert rows.height >= 1, net
        assert rows["likes"].drop_nulls().len() + rows["reactions"].drop_nulls().len() > 0, net
        assert frames.long.filter(platform=net).drop_nulls("metric").height > 0, net
    history = sdk.history({"lastDays": 0, "limit": 40, "platforms": ["tiktok"]})
    items = history["history"]
    assert len(items) == 40 and all("tiktok" in i["platforms"] for i in items)
    posts = normalize_history(history)
    assert posts.filter(platform="tiktok").height == 40
    missing = sdk.analyticsPost({"id": "IHvCmacgIc6hMU9IQ6C"})
    assert missing == {"action": "analytics", "status": "error", "code": 186,
                       "message": "Post ID not found.", "id": "IHvCmacgIc6hMU9IQ6C"}  # fmt: skip
    other = world.profiles[1]
    sdk.setProfileKey(other.profile_key)
    mine = sdk.history({"lastDays": 0, "limit": 1000})["history"]
    ids = {p.id for p in world.ayrshare_posts() if p.profile == 1}
    assert mine and {i["id"] for i in mine} == ids


def test_http_answers_carry_ratelimit_headers_and_auth_errors(server):
    r = httpx.get(server.base_url + "/history", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["code"] == 102
    r = httpx.get(server.base_url + "/history",
                  headers={"Authorization": f"Bearer {DEMO_API_KEY}"})  # fmt: skip
    assert r.status_code == 200 and r.headers["x-ratelimit-max"] == "300"
    assert r.headers["x-ratelimit-count"] == "1"
    assert r.headers["date"] == "Fri, 20 Nov 2026 12:00:00 GMT"  # the virtual clock, not the wall


def test_http_server_accepts_the_keys_it_is_given(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with serve_in_thread(api_keys=["k-one", "k-two"]) as srv:
        for key, status in (("k-one", 200), ("k-two", 200), (DEMO_API_KEY, 401)):
            r = httpx.get(srv.base_url + "/history", headers={"Authorization": f"Bearer {key}"})
            assert r.status_code == status, key


def test_http_fault_injection_and_short_stall(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with serve_in_thread(faults=Faults(error_rate=1.0, seed=2)) as srv:
        r = httpx.get(srv.base_url + "/history")
        assert r.status_code in (500, 502, 503, 504) and r.json()["status"] == "error"
    with (
        serve_in_thread(faults=Faults(timeout_rate=1.0, timeout_s=0.5)) as srv,
        pytest.raises(httpx.TransportError),
    ):
        httpx.get(srv.base_url + "/history", timeout=0.2)


def test_cli_parses_sandbox_options():
    args = build_parser().parse_args(
        ["sandbox", "--port", "0", "--seed", "3", "--speed", "3600", "--error-rate", "0.1"]
    )
    assert (args.port, args.seed, args.speed, args.error_rate) == (0, 3, 3600.0, 0.1)
    assert callable(args.handler)
