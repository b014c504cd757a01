"""``ayr.history()`` returns every post of the window, page after page, on the demo sandbox."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import warnings

import httpx
import polars as pl
import pytest

import ayr_analysis as ayr
from ayr_analysis.api import HISTORY_PAGE_SIZE
from ayr_analysis.errors import ValidationError
from ayr_analysis.sandbox import (
    DEMO_API_KEY,
    ApiRequest,
    SandboxApp,
    SandboxTransport,
    World,
    build_world,
)
from ayr_analysis.sandbox.app import HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT

WORLD = build_world(7)


class Counting(SandboxTransport):
    """The sandbox, keeping the query of every request it answers."""

    def __init__(self, world: World = WORLD) -> None:
        super().__init__(world, rate_limit=100_000)
        self.queries: list[dict[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.queries.append(dict(request.url.params))
        return super().handle_request(request)


def demo_client(world: World = WORLD) -> ayr.AyrshareClient:
    transport = Counting(world)
    client = ayr.AyrshareClient(source="demo", transport=transport, rate_limit=100_000)
    client.queries = transport.queries
    return client


def created_ids(world: World = WORLD, since: dt.datetime | None = None, until=None) -> set[str]:
    """Ayrshare ids of the primary profile's posts created in ``since``..``until`` (inclusive)."""
    return {
        p.id
        for p in world.ayrshare_posts()
        if p.profile == 0
        and p.created <= world.now
        and (since is None or p.created >= since)
        and (until is None or p.created <= until)
    }


def ids_of(posts: pl.DataFrame) -> list[str]:
    return posts["post_id"].unique(maintain_order=True).to_list()


def quiet_history(**kwargs) -> pl.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning when every post is there
        return ayr.history(**kwargs)


# -- whole windows ------------------------------------------------------------------------------
def test_last_30_days_gives_every_post_of_the_window_in_one_request():
    client = demo_client()
    month = created_ids(since=WORLD.now - dt.timedelta(days=30))
    assert len(month) > HISTORY_DEFAULT_LIMIT  # more than the API's default page of 25
    posts = quiet_history(client=client, last_days=30)
    assert set(ids_of(posts)) == month and len(ids_of(posts)) == len(month) == 41
    assert client.queries == [{"lastDays": "30", "limit": str(HISTORY_PAGE_SIZE)}]
    # without last_days the API's default window is 30 days too
    assert set(ids_of(quiet_history(client=client))) == month
    assert client.queries[-1] == {"limit": str(HISTORY_PAGE_SIZE)}


def test_last_days_counts_grow_with_the_window_and_zero_is_everything():
    client = demo_client()
    counts = {d: len(ids_of(quiet_history(client=client, last_days=d))) for d in (30, 90, 0)}
    everything = created_ids()
    assert counts[0] == len(everything) == 207
    assert counts[30] < counts[90] <= counts[0]
    assert counts[90] == len(created_ids(since=WORLD.now - dt.timedelta(days=90)))
    assert len(client.queries) == 3  # one request each: every window fits a page


def test_posts_come_newest_first_with_one_row_per_post_and_network():
    posts = quiet_history(client=demo_client(), last_days=0)
    assert posts.select("post_id", "platform").is_duplicated().sum() == 0
    created = posts["created_at"].to_list()
    assert created == sorted(created, reverse=True)


# -- splitting full pages ------------------------------------------------------------------------
@pytest.mark.parametrize(("last_days", "page_size"), [(0, 10), (0, 50), (90, 7), (30, 4)])
def test_a_window_larger_than_a_page_is_split_until_complete(last_days, page_size):
    client = demo_client()
    since = WORLD.now - dt.timedelta(days=last_days) if last_days else None
    expected = created_ids(since=since)
    assert len(expected) > page_size
    posts = quiet_history(client=client, last_days=last_days, page_size=page_size)
    got = ids_of(posts)
    assert len(got) == len(set(got)) == len(expected) and set(got) == expected
    assert posts.select("post_id", "platform").is_duplicated().sum() == 0
    created = posts["created_at"].to_list()
    assert created == sorted(created, reverse=True)
    # every request asks one page; splitting costs about two requests per page of new posts
    queries = client.queries
    assert {q["limit"] for q in queries} == {str(page_size)}
    assert all(q.get("lastDays", "30") == str(last_days) for q in queries)
    assert len(queries) <= 2 * math.ceil(len(expected) / (page_size - 1)) + 1
    assert len(queries) >= math.ceil(len(expected) / page_size)


def test_a_date_window_is_split_within_its_dates():
    client = demo_client()
    start, end = dt.date(2026, 9, 1), dt.date(2026, 10, 15)
    expected = created_ids(
        since=dt.datetime(2026, 9, 1, tzinfo=dt.UTC),
        until=dt.datetime(2026, 10, 15, 23, 59, 59, tzinfo=dt.UTC),
    )
    assert len(expected) > 20
    posts = quiet_history(client=client, start_date=start, end_date=end, page_size=6)
    assert sorted(ids_of(posts)) == sorted(expected)
    first, *rest = client.queries
    assert first == {"lastDays": "0", "limit": "6", "startDate": "2026-09-01",
                     "endDate": "2026-10-15T23:59:59.999Z"}  # fmt: skip
    # every part stays inside the asked dates
    assert all(q.get("startDate", "2026-09-01") >= "2026-09-01" for q in rest)
    assert all(q.get("endDate", "2026-10-15T23:59:59.999Z") <= "2026-10-15T23:59:59.999Z"
               for q in rest)  # fmt: skip


def crowded_world(instant: dt.datetime, count: int) -> World:
    """The demo world with ``count`` of the primary profile's posts all created at ``instant``."""
    moved = 0
    posts = []
    for post in WORLD.posts:
        if moved < count and post.profile == 0 and post.id and post.created < instant:
            post = dataclasses.replace(post, created=instant, publish_at=instant, type="now")
            moved += 1
        posts.append(post)
    posts.sort(key=lambda p: (p.created, p.id or ""))
    return dataclasses.replace(WORLD, posts=posts, posts_by_id={}, by_social_id={})


def test_a_full_page_at_one_instant_warns_and_the_rest_is_still_complete():
    instant = dt.datetime(2026, 10, 1, 12, 0, tzinfo=dt.UTC)
    world = crowded_world(instant, 8)
    client = demo_client(world)
    with pytest.warns(UserWarning, match="may be more") as caught:
        posts = ayr.history(client=client, last_days=0, page_size=5)
    got = set(ids_of(posts))
    everything = created_ids(world)
    at_instant = {p.id for p in world.ayrshare_posts() if p.profile == 0 and p.created == instant}
    assert len(at_instant) == 8
    assert got == everything - at_instant | (got & at_instant)  # all but that instant's posts
    assert len(got & at_instant) == 5  # one page of them: the API cannot be asked for more
    message = str(caught[0].message)
    assert f"history returned {len(got)} posts" in message
    assert "2026-10-01T12:00:00Z" in message


def test_more_requests_than_allowed_stop_with_a_warning(monkeypatch):
    from ayr_analysis import api

    monkeypatch.setattr(api, "HISTORY_MAX_REQUESTS", 6)
    client = demo_client()
    with pytest.warns(UserWarning, match=r"there may be more .*stopped after 6 requests"):
        posts = ayr.history(client=client, last_days=0, page_size=10)
    assert len(client.queries) == 6
    assert 10 < len(ids_of(posts)) < len(created_ids())


# -- an explicit limit -------------------------------------------------------------------------
def test_an_explicit_limit_is_one_request_and_warns_when_full():
    client = demo_client()
    with pytest.warns(UserWarning, match=r"returned 50 posts, the limit=50 .*leave out limit"):
        posts = ayr.history(client=client, last_days=0, limit=50)
    mine = sorted((p for p in WORLD.ayrshare_posts() if p.profile == 0), key=lambda p: p.created)
    newest = mine[-50:]
    assert set(ids_of(posts)) == {p.id for p in newest}
    assert client.queries == [{"lastDays": "0", "limit": "50"}]
    assert len(ids_of(quiet_history(client=client, last_days=0, limit=1000))) == 207
    with pytest.raises(ValidationError, match="page_size"):
        ayr.history(client=client, limit=50, page_size=10)
    assert len(client.queries) == 2


# -- dates --------------------------------------------------------------------------------------
def test_end_date_includes_its_whole_day():
    oct8 = {p.id for p in WORLD.ayrshare_posts()
            if p.profile == 0 and p.created.date() == dt.date(2026, 10, 8)}  # fmt: skip
    assert len(oct8) == 2
    client = demo_client()
    for start, end in [("2026-10-08", "2026-10-08"), (dt.date(2026, 10, 8), dt.date(2026, 10, 8))]:
        posts = quiet_history(client=client, start_date=start, end_date=end)
        assert set(ids_of(posts)) == oct8
    assert client.queries[-1] == {"lastDays": "0", "limit": str(HISTORY_PAGE_SIZE),
                                  "startDate": "2026-10-08",
                                  "endDate": "2026-10-08T23:59:59.999Z"}  # fmt: skip
    # the sandbox reads a bare endDate as its whole day too, as the API's docs say
    raw = client.history(lastDays=0, startDate="2026-10-08", endDate="2026-10-08", limit=100)
    assert {item["id"] for item in raw["history"]} == oct8
    # an end time is kept as given
    noon = quiet_history(client=client, start_date="2026-10-08", end_date="2026-10-08T13:00:00Z")
    assert len(ids_of(noon)) == 1


def test_dates_alone_are_not_cut_by_the_default_30_days():
    client = demo_client()
    expected = created_ids(until=dt.datetime(2026, 8, 31, 23, 59, 59, tzinfo=dt.UTC))
    assert expected  # all older than 30 days
    posts = quiet_history(client=client, end_date="2026-08-31")
    assert set(ids_of(posts)) == expected
    since = created_ids(since=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    assert set(ids_of(quiet_history(client=client, start_date="2026-11-01"))) == since


def test_days_and_dates_together_are_refused_before_any_request():
    client = demo_client()
    with pytest.raises(ValidationError, match="last_days=7 and start_date/end_date"):
        ayr.history(client=client, last_days=7, start_date="2026-10-01")
    with pytest.raises(ValidationError, match="page_size must be between 1 and 1000"):
        ayr.history(client=client, page_size=5000)
    assert client.queries == []
    # last_days=0 with dates is the same window as the dates alone
    posts = quiet_history(
        client=client, last_days=0, start_date="2026-10-08", end_date="2026-10-08"
    )
    assert len(ids_of(posts)) == 2


# -- the sandbox's page --------------------------------------------------------------------------
def test_the_sandbox_speaks_the_documented_history_page():
    client = demo_client()
    raw = client.history(lastDays=0)
    assert len(raw["history"]) == HISTORY_DEFAULT_LIMIT == 25
    assert len(client.history(lastDays=0, limit=HISTORY_MAX_LIMIT)["history"]) == 207
    assert HISTORY_PAGE_SIZE <= HISTORY_MAX_LIMIT == ayr.client.HISTORY_MAX_LIMIT == 1000
    app = SandboxApp(WORLD)
    ask = ApiRequest.build("GET", "/api/history", f"lastDays=0&limit={HISTORY_MAX_LIMIT + 1}",
                           {"Authorization": f"Bearer {DEMO_API_KEY}"})  # fmt: skip
    assert app.handle(ask).status == 400


# -- /history/{platform} ------------------------------------------------------------------------
def test_platform_history_follows_the_next_cursor_to_the_end():
    client = demo_client()
    expected = {
        p.networks["instagram"].social_id
        for p in WORLD.posts
        if p.profile == 0 and "instagram" in p.networks and p.publish_at <= WORLD.now
    }
    posts = quiet_history(client=client, platform="instagram", page_size=7)
    assert sorted(posts["social_id"]) == sorted(expected) and posts.height == len(expected)
    assert set(posts["platform"]) == {"instagram"}
    assert len(client.queries) == math.ceil(len(expected) / 7)
    assert client.queries[0] == {"limit": "7"} and client.queries[1] == {"limit": "7", "next": "c7"}
    # with the default page
    assert quiet_history(client=client, platform="instagram").height == len(expected)
    # an explicit limit is one page, with a warning when there are more
    client.queries.clear()
    with pytest.warns(UserWarning, match="next cursor"):
        one = ayr.history(client=client, platform="instagram", limit=5)
    assert one.height == 5 and len(client.queries) == 1
    with pytest.raises(ValidationError, match="unknown history filter 'last_days'"):
        ayr.history(client=client, platform="instagram", last_days=3)


def test_platform_history_stops_at_the_page_cap_with_a_warning(monkeypatch):
    from ayr_analysis import api

    monkeypatch.setattr(api, "PLATFORM_MAX_PAGES", 2)
    client = demo_client()
    with pytest.warns(UserWarning, match="returned 6 instagram posts, but there may be more"):
        posts = ayr.history(client=client, platform="instagram", page_size=3)
    assert posts.height == 6 and len(client.queries) == 2
