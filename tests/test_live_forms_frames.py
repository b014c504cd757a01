"""What ``fetch_post_analytics`` makes of each awkward answer of the live API (switched on in the
sandbox by ``Quirks``): a row, data or error, for every network asked for.

A network asked for (or expected from history) with neither data nor an error gets an errors
row of its own (reason ``missing_from_answer``); a whole request that failed gets one per network.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from sandbox_helpers import find_post, make_client

import ayr_analysis as ayr
from ayr_analysis.client import AyrshareClient
from ayr_analysis.sandbox import Quirks, SandboxTransport, VirtualClock
from ayr_analysis.sandbox.analytics import cache_window, counts_at
from ayr_analysis.sandbox.world import build_world

W = build_world(7)
STORY = find_post(lambda p: p.media_type == "story" and list(p.networks) == ["facebook", "instagram"]
                  and p.created > W.now - timedelta(hours=4))  # fmt: skip
X_POST = find_post(lambda p: "twitter" in p.networks and len(p.networks) >= 3
                   and p.created < W.now - timedelta(days=3) and p.media_type != "thread")  # fmt: skip
TIKTOK_POST = find_post(lambda p: "tiktok" in p.networks and len(p.networks) >= 2
                        and p.created < W.now - timedelta(days=3))  # fmt: skip
NO_TIKTOK = find_post(lambda p: "tiktok" not in p.networks and "bluesky" in p.networks
                      and p.created < W.now - timedelta(days=3))  # fmt: skip
MISSING = "missing_from_answer"


class StepClock:
    """Seconds that move only when the client sleeps: its waits are instant, and the sandbox's
    rate windows (on the same clock) roll over when the client has waited long enough."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)


def quirky(quirks=None, *, at=None, profile=0, max_retries=2):
    """A demo client on a private sandbox with ``quirks``, its simulated time at ``at``."""
    step = StepClock()
    transport = SandboxTransport(W, clock=VirtualClock(start=at or W.now), quirks=quirks,
                                 rate_limit=300, rate_window=300.0, rate_time=step)  # fmt: skip
    key = W.profiles[profile].profile_key if profile else None
    client = AyrshareClient(source="demo", transport=transport, rate_limit=300, rate_window=300.0,
                            clock=step, sleep=step.sleep, max_retries=max_retries,
                            profile_key=key)  # fmt: skip
    return client, transport


def fetch(client, ids, platforms=None, **kw):
    return ayr.fetch_post_analytics(ids, platforms, client=client, progress=False, **kw)


def rows(frame: pl.DataFrame, post_id: str, platform: str | None) -> pl.DataFrame:
    missing = frame["platform"].is_null() if platform is None else frame["platform"] == platform
    return frame.filter((pl.col("post_id") == post_id) & missing)


def says_missing(frames, post_id: str, platform: str) -> bool:
    """An error row for the network, giving ``missing_from_answer`` as its reason."""
    found = rows(frames.errors, post_id, platform)
    return any(MISSING in str(v) for row in found.iter_rows() for v in row)


# ------------------------------------------------------------------------- errors[] and partial
def test_partial_answer_with_the_errors_array_gives_data_and_error_rows():
    client, _ = quirky(Quirks(errors_form="array", partial_status="partial"))
    frames = fetch(client, [STORY.id])
    assert rows(frames.wide, STORY.id, "instagram").height == 1
    fb = rows(frames.errors, STORY.id, "facebook")
    assert fb.height == 1 and fb["code"].to_list() == [484]
    assert frames.errors.height == 1 and rows(frames.wide, STORY.id, "facebook").height == 0


def test_failure_in_place_and_in_the_errors_array_is_one_row():
    client, _ = quirky(Quirks(errors_form="both"))
    frames = fetch(client, [STORY.id])
    assert rows(frames.wide, STORY.id, "instagram").height == 1
    fb = rows(frames.errors, STORY.id, "facebook")
    assert set(fb["code"]) == {484}
    assert fb.height == 1
    assert "Facebook Stories do not provide analytics." in fb["message"][0]


# ------------------------------------------------------------------------- missing networks
def test_filtered_tiktok_video_asked_for_gives_an_error_row():
    client, _ = quirky(Quirks(tiktok_filtered_ids={TIKTOK_POST.id}))
    frames = fetch(client, [TIKTOK_POST.id], list(TIKTOK_POST.networks))
    others = set(TIKTOK_POST.networks) - {"tiktok"}
    assert set(frames.wide.filter(pl.col("post_id") == TIKTOK_POST.id)["platform"]) == others
    assert rows(frames.wide, TIKTOK_POST.id, "tiktok").height == 0
    assert says_missing(frames, TIKTOK_POST.id, "tiktok")


def test_filtered_tiktok_video_expected_from_history_gives_an_error_row():
    client, _ = quirky(Quirks(tiktok_filtered_ids={TIKTOK_POST.id}))
    posts = ayr.history(last_days=0, client=client)
    assert "tiktok" in set(posts.filter(pl.col("post_id") == TIKTOK_POST.id)["platform"])
    frames = fetch(client, [TIKTOK_POST.id], posts=posts)
    assert rows(frames.wide, TIKTOK_POST.id, "tiktok").height == 0
    assert says_missing(frames, TIKTOK_POST.id, "tiktok")


def test_network_never_sent_to_gives_an_error_row():
    client, _ = quirky()
    frames = fetch(client, [NO_TIKTOK.id], ["bluesky", "tiktok"])
    assert rows(frames.wide, NO_TIKTOK.id, "bluesky").height == 1
    assert says_missing(frames, NO_TIKTOK.id, "tiktok")


def test_network_never_sent_to_as_an_error_object_gives_an_error_row():
    client, _ = quirky(Quirks(unsent_platforms="error"))
    frames = fetch(client, [NO_TIKTOK.id], ["bluesky", "tiktok"])
    assert rows(frames.wide, NO_TIKTOK.id, "bluesky").height == 1
    tiktok = rows(frames.errors, NO_TIKTOK.id, "tiktok")
    assert tiktok["code"].to_list() == [186] and tiktok["retryable"].to_list() == [False]


# ------------------------------------------------------------------------- EU/JP story replies
def test_story_replies_of_a_profile_in_europe_come_out_as_zero_comments():
    post = next(p for p in W.ayrshare_posts() if p.profile == 0 and p.media_type == "story"
                and "instagram" in p.networks
                and counts_at(p.networks["instagram"], cache_window(20 * 3600)[0] / 3600)[
                    "repliesCount"] >= 5)  # fmt: skip
    at = post.networks["instagram"].published + timedelta(hours=20)

    def comments(quirks):
        client, _ = quirky(quirks, at=at)
        wide = rows(fetch(client, [post.id], ["instagram"]).wide, post.id, "instagram")
        return wide["comments"].to_list(), wide["views"].to_list()

    (us, views), (de, views_de) = comments(None), comments(Quirks(profile_regions={0: "DE"}))
    assert us[0] >= 5 and de == [0] and views == views_de  # reported zero, not null


# ------------------------------------------------------------------------- suspension
def test_suspended_profile_gives_one_error_row_per_post():
    client, transport = quirky(Quirks(suspend_after_429s=1000))
    raw, _ = make_client(app=transport.app)
    statuses = [raw.get("/history", params={"limit": 1}).status_code for _ in range(1301)]
    assert statuses.count(429) == 1000 and statuses[-1] == 403
    frames = fetch(client, [X_POST.id, STORY.id])
    assert frames.wide.height == 0
    errors = frames.errors.sort("post_id")
    assert sorted(errors["post_id"]) == sorted([X_POST.id, STORY.id])
    assert errors["platform"].null_count() == 2
    assert set(errors["http_status"]) == {403} and set(errors["code"]) == {403}
    assert errors["retryable"].to_list() == [False, False]


# ------------------------------------------------------------------------- X's daily quota
def test_x_quota_in_place_gives_an_error_row_and_keeps_the_other_networks():
    client, _ = quirky(Quirks(x_daily_quota=1, x_quota_form="in_place"))
    fetch(client, [X_POST.id])
    frames = fetch(client, [X_POST.id])
    x = rows(frames.errors, X_POST.id, "twitter")
    assert x["code"].to_list() == [429] and "24 hours" in x["message"][0]
    others = set(X_POST.networks) - {"twitter"}
    assert set(frames.wide.filter(pl.col("post_id") == X_POST.id)["platform"]) == others


def test_x_quota_as_http_429_gives_a_row_for_every_network_asked_for():
    client, _ = quirky(Quirks(x_daily_quota=1))
    asked = list(X_POST.networks)
    assert rows(fetch(client, [X_POST.id], asked).wide, X_POST.id, "twitter").height == 1
    frames = fetch(client, [X_POST.id], asked)
    x = rows(frames.errors, X_POST.id, "twitter")
    assert x["http_status"].to_list() == [429] and x["code"].to_list() == [429]
    seen = set(frames.wide["platform"]) | set(frames.errors["platform"].drop_nulls())
    assert seen == set(asked)


# ------------------------------------------------------------------------- Instagram's 435
def test_instagram_limit_in_place_gives_a_retryable_error_row():
    ig = find_post(lambda p: "instagram" in p.networks and len(p.networks) >= 2
                   and p.media_type == "image" and p.created < W.now - timedelta(days=3))  # fmt: skip
    client, _ = quirky(Quirks(instagram_limit=1, instagram_form="in_place"))
    fetch(client, [ig.id])
    frames = fetch(client, [ig.id])
    err = rows(frames.errors, ig.id, "instagram")
    assert err["code"].to_list() == [435] and err["retryable"].to_list() == [True]
    others = set(ig.networks) - {"instagram"}
    assert set(frames.wide.filter(pl.col("post_id") == ig.id)["platform"]) == others


def test_instagram_limit_as_http_429_is_waited_out_with_its_details():
    ig = find_post(lambda p: "instagram" in p.networks and len(p.networks) >= 2
                   and p.media_type == "image" and p.created < W.now - timedelta(days=3))  # fmt: skip
    client, transport = quirky(Quirks(instagram_limit=1, instagram_window_s=240.0))
    fetch(client, [ig.id])
    frames = fetch(client, [ig.id])  # 429 code 435, details 240: the client waits, then succeeds
    assert frames.errors.height == 0
    assert set(frames.wide.filter(pl.col("post_id") == ig.id)["platform"]) == set(ig.networks)
    assert transport.app.stats()["status_429"] == 1


# ------------------------------------------------------------------------- YouTube's delay
def test_youtube_video_of_a_big_channel_has_numbers_before_24_hours():
    video = next(p for p in W.ayrshare_posts() if p.profile == 0 and "youtube" in p.networks
                 and p.networks["youtube"].finals["views"] > 20_000)  # fmt: skip
    np_ = video.networks["youtube"]
    at = np_.published + timedelta(hours=np_.delay_h - 2.5)

    def views(quirks):
        client, _ = quirky(quirks, at=at)
        return rows(fetch(client, [video.id], ["youtube"]).wide, video.id, "youtube")["views"][0]

    assert views(None) == 0  # every demo channel is small: the 24-48 h of zeros
    assert views(Quirks(youtube_small_channel=10_000)) > 0
