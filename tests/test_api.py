"""The public functions on the demo sandbox: ids in, tidy frames out, failures kept as rows."""

from __future__ import annotations

import httpx
import polars as pl
import pytest

import ayr_analysis as ayr
from ayr_analysis import schema
from ayr_analysis.errors import ValidationError
from ayr_analysis.sandbox import SandboxTransport, build_world
from ayr_analysis.sandbox.transport import DEMO_RATE_WINDOW


class Recorder(SandboxTransport):
    def __init__(self, **kwargs):
        super().__init__(rate_window=DEMO_RATE_WINDOW, **kwargs)
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return super().handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await super().handle_async_request(request)


@pytest.fixture
def client():
    transport = Recorder()
    c = ayr.AyrshareClient(source="demo", transport=transport, rate_window=DEMO_RATE_WINDOW)
    c.recorder = transport
    return c


def primary_posts(**where):
    world = build_world()
    return [
        p
        for p in world.ayrshare_posts()
        if p.profile == 0
        and p.publish_at <= world.now
        and all(getattr(p, k) == v for k, v in where.items())
    ]


def test_fetch_post_analytics_gives_every_frame_with_its_schema(client):
    post = next(p for p in primary_posts() if len(p.networks) >= 3 and p.media_type != "story")
    frames = ayr.fetch_post_analytics(post.id, client=client, progress=False)
    assert frames.source == "demo"
    assert frames.wide.schema == schema.WIDE_SCHEMA
    assert frames.long.schema == schema.LONG_SCHEMA
    assert sorted(frames.wide["platform"].unique()) == sorted(post.networks)
    assert set(frames.wide["post_id"]) == {post.id}
    assert frames.errors.height == 0
    for net, network_post in post.networks.items():
        row = frames.wide.filter(platform=net).row(0, named=True)
        assert row["social_id"] == network_post.social_id


def test_a_failing_post_is_a_row_of_errors_and_the_others_are_kept(client):
    good = [p.id for p in primary_posts(media_type="image")[:3]]
    frames = ayr.fetch_post_analytics([*good, "NoSuchPost123"], client=client, progress=False)
    assert set(frames.wide["post_id"]) == set(good)
    err = frames.errors.filter(post_id="NoSuchPost123").row(0, named=True)
    assert (err["code"], err["http_status"], err["retryable"]) == (186, 404, False)


def test_post_analytics_is_the_wide_frame_and_platforms_narrow_it(client):
    post = next(p for p in primary_posts() if {"facebook", "instagram"} <= set(p.networks)
                and p.media_type != "story")  # fmt: skip
    wide = ayr.post_analytics(post.id, "instagram", client=client, progress=False)
    assert wide["platform"].to_list() == ["instagram"]
    assert wide["likes"][0] is not None


def test_bad_ids_and_platforms_fail_before_any_request(client):
    for bad in ([], [""], ["has space"], [42]):
        with pytest.raises(ValidationError):
            ayr.fetch_post_analytics(bad, client=client, progress=False)
    with pytest.raises(ValidationError, match="bluesky"):  # the message lists the valid names
        ayr.fetch_post_analytics(["abc"], ["myspace"], client=client, progress=False)
    assert client.recorder.paths == []


def test_history_one_row_per_post_and_network(client):
    posts = ayr.history(client=client, last_days=0)
    assert posts.schema == schema.POSTS_SCHEMA
    world_rows = sum(len(p.networks) for p in primary_posts())
    published = posts.filter(pl.col("social_id").is_not_null())
    assert published.height == world_rows
    on_bluesky = ayr.history(client=client, platform="bluesky", limit=5)
    assert on_bluesky.height == 5 and set(on_bluesky["platform"]) == {"bluesky"}


def test_social_post_analytics_by_the_networks_own_id(client):
    post = next(p for p in primary_posts() if "youtube" in p.networks)
    social_id = post.networks["youtube"].social_id
    frames = ayr.social_post_analytics(social_id, "youtube", client=client)
    assert frames.wide["social_id"].to_list() == [social_id]
    assert frames.wide["views"][0] is not None
    with pytest.raises(ValidationError, match="exactly one"):
        client.analytics_by_social_id(social_id, ["youtube", "tiktok"])


def test_account_analytics_gives_followers_per_network(client):
    acc = ayr.account_analytics(["instagram", "youtube", "linkedin"], client=client)
    followers = acc.filter(pl.col("metric") == "followers", pl.col("date").is_null())
    followers = followers.sort("platform")
    assert followers["platform"].to_list() == ["instagram", "linkedin", "youtube"]
    assert (followers["value"] > 0).all()
