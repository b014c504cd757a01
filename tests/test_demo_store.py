"""The demo world's recorded history (``demo_store``), the store's join on read
(``SnapshotStore.frames``) and the reports that use both."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

import ayr_analysis
from ayr_analysis import cli, reports, sandbox
from ayr_analysis.api import fetch_post_analytics, history
from ayr_analysis.client import AyrshareClient
from ayr_analysis.metrics import compare
from ayr_analysis.normalize import normalize
from ayr_analysis.reports import check_parameters
from ayr_analysis.sandbox import (
    DEMO_API_KEY,
    UNLIMITED,
    SandboxTransport,
    VirtualClock,
    build_world,
)
from ayr_analysis.sandbox.history import ASK_DELAY, DEFAULT_AGES, demo_store
from ayr_analysis.store import TABLES, SnapshotStore, StoreError

WORLD = build_world(7)
NOW = WORLD.now
#: networks whose analytics answers carry no publication time
UNDATED = ("facebook", "linkedin", "pinterest", "threads")

#: most tests here read the whole demo world's recording, made once per module (seconds of work)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """The whole demo world, recorded once for the module."""
    return demo_store(tmp_path_factory.mktemp("demo"), progress=False)


@pytest.fixture(scope="module")
def frames(recorded):
    return recorded.frames()


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    keys = [c for c, t in frame.schema.items() if not isinstance(t, pl.List)]
    return frame.sort(keys, nulls_last=True)


#: a post's publication time in a history row: its schedule time if scheduled, else its creation
PUBLISHED = pl.coalesce(
    pl.when(pl.col("type") == "schedule").then(pl.col("scheduled_at")), pl.col("created_at")
)


# --------------------------------------------------------------------------- the recording


def test_exported_from_the_package_and_the_sandbox():
    assert ayr_analysis.demo_store is demo_store is sandbox.demo_store
    assert DEFAULT_AGES == ("1h", "6h", "24h", "72h", "7d", "30d")


def test_every_profile_post_and_network_is_recorded(recorded, frames):
    assert recorded.source == "demo" and frames.source == "demo"
    ayrshare_posts = WORLD.ayrshare_posts()
    assert len(ayrshare_posts) == 375
    assert set(frames.posts["post_id"]) == {p.id for p in ayrshare_posts}
    # the posts table holds the history rows (POSTS_SCHEMA: no column for the profile)
    assert frames.posts.columns == list(TABLES["posts"].schema.names())
    assert "profile_key" not in frames.posts.columns
    published = {p.id for p in ayrshare_posts if p.publish_at <= NOW}
    seen = set(frames.wide["post_id"]) | set(frames.errors["post_id"])
    assert seen == {p.id for p in ayrshare_posts}
    # published posts without any snapshot: Facebook stories alone (Facebook gives stories no
    # analytics), each refused with 484 at every ask
    silent = published - set(frames.wide["post_id"])
    assert silent == {
        p.id for p in ayrshare_posts if p.media_type == "story" and list(p.networks) == ["facebook"]
    }
    assert len(silent) == 6
    assert set(frames.errors.filter(pl.col("post_id").is_in(list(silent)))["code"]) == {484}
    # scheduled posts not yet published: asked once at now, refused with 189
    pending = {p.id for p in ayrshare_posts if p.publish_at > NOW}
    assert len(pending) == 3
    refused = frames.errors.filter(pl.col("post_id").is_in(list(pending)))
    assert set(refused["code"]) == {189} and set(refused["fetched_at"]) == {NOW}
    assert frames.wide.filter(pl.col("post_id").is_in(list(pending))).height == 0


def test_each_post_is_asked_at_each_age_it_has_reached(frames):
    wide = frames.wide
    # an ask leaves a snapshot stamped with its simulated time, or an error (one row per post,
    # network and error, seen from first_seen to last_seen)
    seen = wide.select("post_id", "fetched_at").unique()
    errors = frames.errors.select("post_id", "first_seen", "last_seen")
    pub = frames.posts.group_by("post_id").agg(PUBLISHED.min().alias("pub"))
    for hours in (1, 6, 24, 72, 168, 720):
        due = pub.filter(pl.col("pub") + pl.duration(hours=hours) + ASK_DELAY < NOW)
        at = due.select("post_id", fetched_at=pl.col("pub") + pl.duration(hours=hours) + ASK_DELAY)
        refused = at.join(errors, on="post_id").filter(
            pl.col("fetched_at").is_between("first_seen", "last_seen")
        )
        found = pl.concat([at.join(seen, on=["post_id", "fetched_at"], how="semi"),
                           refused.select("post_id", "fetched_at")]).unique()  # fmt: skip
        assert found.height == at.height > 0
    assert wide["fetched_at"].max() == NOW


def test_the_latest_snapshots_are_what_the_api_says_now(recorded, frames):
    ids = frames.posts["post_id"].unique().sort().to_list()
    fresh = pl.concat(  # each profile answers for its own posts (404 for the others)
        fetch_post_analytics(ids, client=_private_client(p.profile_key), progress=False).wide
        for p in WORLD.profiles
    )
    key = ["post_id", "platform", "thread_position"]
    cols = [*key, "observed_at", "likes", "comments", "shares", "impressions", "views"]
    latest = recorded.latest("wide")
    assert fresh.height > 800
    assert _sorted(latest.join(fresh, on=key, how="semi").select(cols)).equals(
        _sorted(fresh.select(cols))
    )
    # only expired Instagram stories are no longer answered: their last numbers stay stored
    gone = latest.join(fresh, on=key, how="anti")
    assert set(gone["platform"]) == {"instagram"} and set(gone["media_type"]) == {"story"}


def test_every_post_has_a_snapshot_at_24h_within_minutes(frames):
    """Within a few minutes of publication + 24 h, or the world's now is earlier, or the network
    refuses at that age (Instagram stories expire after 24 h; Facebook stories have none)."""
    rows = frames.posts.filter(pl.col("status") == "success").select(
        "post_id", "platform", PUBLISHED.alias("pub")
    )
    due = rows.filter(pl.col("pub") + pl.duration(hours=24) <= NOW)
    assert due.height > 700
    near = (
        frames.wide.join(due, on=["post_id", "platform"])
        .filter(
            (pl.col("observed_at") - (pl.col("pub") + pl.duration(hours=24))).abs()
            <= dt.timedelta(minutes=5)
        )
        .select("post_id", "platform")
        .unique()
    )
    missing = due.join(near, on=["post_id", "platform"], how="anti")
    refused = missing.join(
        frames.errors.select("post_id", "platform", "code", "first_seen", "last_seen"),
        on=["post_id", "platform"],
    ).filter(
        (pl.col("pub") + pl.duration(hours=24) + ASK_DELAY).is_between("first_seen", "last_seen")
    )
    assert set(refused["code"]) == {484, 485}
    assert missing.join(refused, on=["post_id", "platform"], how="anti").height == 0
    assert near.height >= 0.95 * due.height
    # nothing is observed after the world's now
    assert frames.wide["observed_at"].max() <= NOW


def test_metadata_is_filled_for_every_network(recorded, frames):
    wide = frames.wide
    assert set(wide["platform"]) == {
        "bluesky", "facebook", "instagram", "linkedin", "pinterest", "reddit", "threads",
        "tiktok", "twitter", "youtube",
    }  # fmt: skip
    assert wide["published_at"].null_count() == 0
    assert wide["url"].null_count() == 0
    with_text = frames.posts.filter(pl.col("text").is_not_null()).select("post_id").unique()
    texts = wide.join(with_text, on="post_id", how="semi")
    assert texts.height == wide.height and texts["text"].null_count() == 0
    # the stored rows were normalised with the history too
    for net in UNDATED:
        stored = recorded.read("wide", platforms=net)
        assert stored.height > 100 and stored["published_at"].null_count() == 0, net


def test_networks_without_publication_time_compare_at_24h(frames):
    wide = frames.wide
    for metric, nets in (("likes", ("facebook", "linkedin", "threads")), ("comments", UNDATED)):
        table = compare(wide, by="platform", metric=metric, at_age="24h", seed=0).table
        n = dict(table.select("group", "n").iter_rows())
        for net in nets:
            assert n[net] > 20, (metric, net, n)
    # Pinterest reports no likes at all (null, not 0): none to compare
    likes = compare(wide, by="platform", metric="likes", at_age="24h", seed=0).table
    assert dict(likes.select("group", "n").iter_rows())["pinterest"] == 0
    assert wide.filter(pl.col("platform") == "pinterest")["likes"].null_count() == (
        wide.filter(pl.col("platform") == "pinterest").height
    )


@pytest.mark.slow
def test_recording_is_deterministic_and_adds_nothing_twice(recorded, frames, tmp_path):
    again = demo_store(tmp_path / "again", progress=False)
    second = again.frames()
    for name in ("long", "wide", "reactions", "breakdowns", "errors", "posts"):
        a, b = getattr(frames, name), getattr(second, name)
        assert a.height == b.height > 0, name
        assert _sorted(a).equals(_sorted(b)), name
    before = recorded.summary().select("table", "rows", "files")
    demo_store(recorded, progress=False)  # into the store that already holds it
    assert recorded.summary().select("table", "rows", "files").equals(before)


# --------------------------------------------------------------------------- narrowing, errors


def test_profiles_posts_and_networks_narrow_the_recording(tmp_path):
    second = WORLD.profiles[1]
    ids = [p.id for p in WORLD.ayrshare_posts() if p.profile == 1 and "tiktok" in p.networks]
    store = demo_store(
        tmp_path, profiles=[second.profile_key], post_ids=ids[:3] + ["not-in-this-profile"],
        platforms="tiktok", ages=["1h", "24h"], progress=False,
    )  # fmt: skip
    wide = store.read("wide")
    assert set(wide["post_id"]) == set(ids[:3]) and set(wide["platform"]) == {"tiktok"}
    # 1 h, 24 h and now: three snapshots per post
    assert wide.group_by("post_id").len()["len"].to_list() == [3, 3, 3]
    age = (wide["observed_at"] - wide["published_at"]).dt.total_hours().sort().to_list()
    assert age[:6] == [1, 1, 1, 24, 24, 24]
    assert set(store.read("posts")["platform"]) == {"tiktok"}
    # None is the primary profile (no Profile-Key)
    primary = demo_store(tmp_path / "p", profiles=[None], platforms="bluesky", ages=["1h"],
                         progress=False)  # fmt: skip
    own = {p.id for p in WORLD.ayrshare_posts() if p.profile == 0 and "bluesky" in p.networks}
    assert set(primary.read("posts")["post_id"]) == own


def test_bad_arguments_fail_before_anything_is_written(tmp_path):
    target = tmp_path / "s"
    with pytest.raises(ValueError, match="unknown demo Profile-Key"):
        demo_store(target, profiles=["nope"], progress=False)
    with pytest.raises(ValueError, match="ages must be above 0"):
        demo_store(target, ages=["0h"], progress=False)
    with pytest.raises(ValueError, match="invalid duration 'soon'"):
        demo_store(target, ages=["soon"], progress=False)
    with pytest.raises(ValueError, match="unknown platform 'myspace'"):
        demo_store(target, platforms=["myspace"], progress=False)
    with pytest.raises(TypeError, match="path_or_store must be a SnapshotStore or a path"):
        demo_store(42, progress=False)  # type: ignore[arg-type]
    assert not target.exists()
    live = SnapshotStore(tmp_path / "live")
    live.append(normalize({"id": "p1", "bluesky": {"analytics": {"likeCount": 1}}}), source="live")
    with pytest.raises(StoreError, match="holds live data"):
        demo_store(live, progress=False)


def test_cli_demo_store(tmp_path, capsys):
    argv = ["demo-store", str(tmp_path / "s"), "--platforms", "youtube", "--ages", "24h",
            "--quiet"]  # fmt: skip
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    wide = SnapshotStore(tmp_path / "s").read("wide")
    assert set(wide["platform"]) == {"youtube"}
    assert f"wide {wide.height}, " in out and out.startswith(f"demo store {tmp_path / 's'}: ")
    assert cli.main(argv) == 0  # again: the same rows
    assert SnapshotStore(tmp_path / "s").read("wide").height == wide.height
    assert cli.main(["demo-store", str(tmp_path / "t"), "--profiles", "nope"]) == 2
    assert "unknown demo Profile-Key(s) ['nope']" in capsys.readouterr().err


# --------------------------------------------------------------------------- join on read


def _private_client(profile_key: str | None = None) -> AyrshareClient:
    transport = SandboxTransport(clock=VirtualClock(start=NOW), rate_limit=UNLIMITED)
    return AyrshareClient(source="demo", transport=transport, profile_key=profile_key,
                          rate_limit=UNLIMITED, rate_window=1.0)  # fmt: skip


def test_frames_fill_metadata_of_rows_fetched_without_history(tmp_path):
    client = _private_client()
    posts = history(client=client, last_days=30)
    ids = posts.filter(pl.col("platform").is_in(UNDATED))["post_id"].unique().sort().to_list()
    fetched = fetch_post_analytics(ids, client=client, progress=False)  # no posts=: no metadata
    store = SnapshotStore(tmp_path)
    store.append(fetched)
    raw = store.read("wide")
    undated = raw.filter(pl.col("platform").is_in(UNDATED))
    assert undated.height > 20 and undated["published_at"].null_count() == undated.height
    textless = undated.filter(pl.col("platform") != "pinterest")  # Pinterest gives its text
    assert textless.height > 20 and textless["text"].null_count() == textless.height
    store.append({"posts": posts})  # what track() stores
    frames = store.frames()
    assert frames.source == "demo"
    assert frames.wide.height == raw.height
    assert frames.wide["published_at"].null_count() == 0
    assert frames.wide["text"].null_count() == 0
    # values the answers gave are kept: the network's own publication time (a few seconds after
    # the post's) where it reports one
    check = frames.wide.join(
        posts.select("post_id", "platform", PUBLISHED.alias("pub"), pl.col("text").alias("t")),
        on=["post_id", "platform"],
    )
    gap = (check["published_at"] - check["pub"]).dt.total_seconds()
    assert gap.min() == 0 and 0 < gap.max() <= 40
    filled = check.filter(pl.col("platform").is_in(["facebook", "linkedin", "threads"]))
    assert filled.height > 20 and (filled["text"] == filled["t"]).all()
    assert (filled["published_at"] == filled["pub"]).all()
    assert store.read("wide").equals(raw)  # read() stays as stored


def test_frames_narrow_every_table(recorded, frames):
    one = frames.wide.filter(pl.col("platform") == "facebook")["post_id"][0]
    some = recorded.frames(post_ids=[one], platforms="facebook")
    for name in ("long", "wide", "errors", "posts"):
        part = getattr(some, name)
        assert set(part["post_id"]) <= {one} and set(part["platform"]) <= {"facebook"}, name
    assert some.wide.height > 1 and some.posts.height == 1
    assert some.wide["published_at"].null_count() == 0
    day = dt.date(2026, 10, 1)
    window = recorded.frames(start=day, end=day)
    assert window.wide.height > 0
    assert set(window.wide["observed_at"].dt.date()) == {day}
    assert window.wide["published_at"].null_count() == 0
    assert recorded.frames(post_ids=[]).wide.height == 0
    assert SnapshotStore(recorded.path + "-empty").frames().wide.schema == frames.wide.schema


# --------------------------------------------------------------------------- the reports


def test_demo_reports_record_through_demo_store(tmp_path):
    p = check_parameters(platforms="facebook,linkedin", start_date="2026-10-20",
                         output_dir=str(tmp_path))  # fmt: skip
    client = reports.report_client(p)
    posts = reports.load_posts(p, client)
    store = reports.collect_snapshots(p, client, posts, ages=["1h", "24h"])
    assert store.path == str(tmp_path / "snapshots-demo")
    snaps = reports.snapshot_frames(store, posts, p.platforms)
    assert set(snaps.wide["platform"]) == {"facebook", "linkedin"}
    assert set(snaps.wide["post_id"]) <= set(posts["post_id"])
    assert snaps.wide["published_at"].null_count() == 0
    assert store.read("wide")["published_at"].null_count() == 0  # stored with the history
    n = dict(compare(snaps.wide, by="platform", metric="likes", at_age="24h", seed=0)
             .table.select("group", "n").iter_rows())  # fmt: skip
    assert n["facebook"] > 5 and n["linkedin"] > 5
    # the same rows as the recorder gives for these posts
    direct = demo_store(tmp_path / "direct", ages=["1h", "24h"], profiles=[None],
                        post_ids=posts["post_id"].unique(), platforms=["facebook", "linkedin"],
                        progress=False)  # fmt: skip
    assert _sorted(direct.read("wide")).equals(_sorted(store.read("wide")))


def test_live_reports_store_the_history_with_each_fetch(monkeypatch, tmp_path):
    for var in [v for v in __import__("os").environ if v.startswith("AYRSHARE_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("AYRSHARE_API_KEY", DEMO_API_KEY)
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    p = check_parameters(source="live", networks="facebook,threads", start_date="2026-11-05",
                         output_dir=str(tmp_path))  # fmt: skip
    # a live client on the sandbox's transport: the live code path, no network
    client = AyrshareClient(DEMO_API_KEY, source="live", transport=SandboxTransport())
    assert not client.is_demo
    posts = reports.load_posts(p, client)
    store = reports.collect_snapshots(p, client, posts)
    assert store.source == "live"
    wide = store.read("wide")
    assert set(wide["platform"]) == {"facebook", "threads"}
    assert wide["published_at"].null_count() == 0 and wide["text"].null_count() == 0
    assert set(store.read("posts")["post_id"]) == set(posts["post_id"])
    assert reports.snapshot_frames(store, posts).source == "live"
