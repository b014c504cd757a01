"""The public functions: ask Ayrshare (or the demo sandbox) and get tidy polars frames back.

Each function takes an optional ``client``; without one it builds an :class:`AyrshareClient`
from the settings (arguments, environment, ``.env``). Without an API key that client talks to the
built-in demo sandbox and says so once.

>>> import ayr_analysis as ayr
>>> ids = ayr.history(last_days=0)["post_id"].unique(maintain_order=True).head(3).to_list()
>>> frames = ayr.fetch_post_analytics(ids, progress=False)
>>> frames.source, frames.wide.height > 0
('demo', True)
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from .client import AyrshareClient
    from .normalize import AnalyticsFrames

__all__ = [
    "HISTORY_MAX_REQUESTS",
    "HISTORY_PAGE_SIZE",
    "PLATFORM_MAX_PAGES",
    "PLATFORM_PAGE_SIZE",
    "followers",
    "account_analytics",
    "fetch_post_analytics",
    "history",
    "post_analytics",
    "social_post_analytics",
]

#: Posts asked per ``GET /history`` request when :func:`history` gathers a whole window (no
#: ``limit`` given). Ayrshare's docs give the largest ``limit`` as 1000 today and 500 in older
#: versions; 500 is accepted under both, so a page of 500 posts is known to be full (the window
#: may hold more) and never a page silently cut short by a smaller cap.
HISTORY_PAGE_SIZE = 500
#: The most ``GET /history`` requests one :func:`history` call makes while splitting a window
#: (about 250 posts a request at worst: tens of thousands of posts); then it stops and warns.
HISTORY_MAX_REQUESTS = 200
#: Posts asked per ``GET /history/{platform}`` page when :func:`history` follows the ``next``
#: cursor (a moderate page: that endpoint gathers each post's numbers from the network).
PLATFORM_PAGE_SIZE = 100
#: The most ``GET /history/{platform}`` pages one :func:`history` call follows; then it warns.
PLATFORM_MAX_PAGES = 100


def _client(client: AyrshareClient | None) -> tuple[AyrshareClient, bool]:
    """The client to use, and whether we made it (and so must close it)."""
    if client is not None:
        return client, False
    from .client import AyrshareClient

    return AyrshareClient(), True


def _ask(client: AyrshareClient | None, call: Any) -> tuple[Any, bool]:
    """Run ``call(client)`` on the given client (or a new one, closed afterwards); return the
    answer and whether it came from the demo sandbox."""
    c, owned = _client(client)
    try:
        return call(c), c.is_demo
    finally:
        if owned:
            c.close()


def _frames(answer: Any, demo: bool, **expected: Any) -> AnalyticsFrames:
    from .normalize import normalize

    frames = normalize(answer, **expected)
    if frames.source is None:
        frames.source = "demo" if demo else "live"
    return frames


def fetch_post_analytics(
    ids: str | Iterable[str],
    platforms: str | Iterable[str] | None = None,
    *,
    client: AyrshareClient | None = None,
    concurrency: int = 8,
    progress: bool | None = None,
    posts: pl.DataFrame | None = None,
) -> AnalyticsFrames:
    """Analytics of one or many posts (Ayrshare ids) as :class:`AnalyticsFrames`.

    Ids are checked before any request. Posts are fetched ``concurrency`` at a time, paced to the
    profile's rate limit, with a progress bar on long runs. A post that fails does not stop the
    others: it becomes a row of ``errors`` (as does a network that failed inside an answer).

    Many networks' analytics carry no publication time or text; pass ``posts`` (the frame of
    :func:`history`) to fill them in (needed to compare posts at equal age).

    >>> import ayr_analysis as ayr
    >>> post_id = ayr.history(last_days=0)["post_id"][0]
    >>> frames = ayr.fetch_post_analytics([post_id, "no-such-post"], progress=False)
    >>> frames.errors.select("post_id", "code", "http_status").row(-1)
    ('no-such-post', 186, 404)
    """
    ids_list = [ids] if isinstance(ids, str) else ids
    result, demo = _ask(
        client,
        lambda c: c.fetch_many(ids_list, platforms, concurrency=concurrency, progress=progress),
    )
    frames = _frames(result, demo, platforms=platforms, posts=posts)
    return frames if posts is None else frames.with_posts(posts)


def post_analytics(
    ids: str | Iterable[str],
    platforms: str | Iterable[str] | None = None,
    *,
    client: AyrshareClient | None = None,
    progress: bool | None = None,
    posts: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The wide frame (one row per post, network and tweet) of :func:`fetch_post_analytics`.

    >>> import ayr_analysis as ayr
    >>> post_id = ayr.history(last_days=0)["post_id"][0]
    >>> wide = ayr.post_analytics(post_id, progress=False)
    >>> {"post_id", "platform", "likes", "impressions", "watch_time_s"} <= set(wide.columns)
    True
    """
    return fetch_post_analytics(ids, platforms, client=client, progress=progress, posts=posts).wide


def social_post_analytics(
    social_id: str, platform: str, *, client: AyrshareClient | None = None
) -> AnalyticsFrames:
    """Analytics of a post by the network's own id (also for posts not sent through Ayrshare).

    Exactly one platform. The linked account must own the post.

    >>> import ayr_analysis as ayr
    >>> posts = ayr.history(last_days=0).drop_nulls("social_id")
    >>> row = posts.filter(posts["platform"] == "bluesky").row(0, named=True)
    >>> ayr.social_post_analytics(row["social_id"], "bluesky").wide["platform"].to_list()
    ['bluesky']
    """
    answer, demo = _ask(client, lambda c: c.analytics_by_social_id(social_id, platform))
    return _frames(answer, demo)


def history(
    *,
    client: AyrshareClient | None = None,
    platform: str | None = None,
    page_size: int | None = None,
    **filters: Any,
) -> pl.DataFrame:
    """Every post of a window as a frame: one row per post and network with ids, text, created,
    status, social ids and urls (:data:`ayr_analysis.schema.POSTS_SCHEMA`), from ``GET /history``.

    The window: ``last_days`` (posts created in the last that many days; 0 = all history; the
    API's default is 30), or ``start_date`` and/or ``end_date`` (ISO text, date or datetime,
    UTC when no zone is given). Both dates are inclusive and a bare date means its whole day:
    ``end_date="2026-10-08"`` keeps the posts of 8 October (it is sent as the day's last
    millisecond). One date alone leaves the other side open; dates and a ``last_days`` other
    than 0 cannot be combined. Other filters: ``status``, ``type``, ``platforms``.

    Without ``limit``, every post of the window is returned. The API answers at most a page of
    posts per request, so the window is asked for ``page_size`` posts at a time (default
    :data:`HISTORY_PAGE_SIZE`); a page that comes back full is split in two at a time inside it
    and both parts are asked again (a post found twice is kept once), until no page is full.
    Most windows take one request; a full page costs about two more. If it cannot be sure to
    have every post (a full page of posts created at one instant, or
    :data:`HISTORY_MAX_REQUESTS` requests made), it warns (``UserWarning``) with the number of
    posts returned. With ``limit`` (1 to :data:`~ayr_analysis.client.HISTORY_MAX_LIMIT`), only the newest ``limit`` posts are asked for, in
    one request, as the API does, with a warning when the answer is full (there may be more).

    With ``platform``, ``GET /history/{platform}`` is asked instead (posts on that network, also
    those not sent through Ayrshare): every page, following the ``next`` cursor
    (:data:`PLATFORM_PAGE_SIZE` posts a page or ``page_size``, at most
    :data:`PLATFORM_MAX_PAGES` pages, then a warning); from the page ``next`` names, if given.
    With ``limit``, one page of that many posts, with a warning when there are more.

    >>> import ayr_analysis as ayr
    >>> posts = ayr.history(last_days=0)
    >>> posts.columns[:4]
    ['post_id', 'platform', 'social_id', 'url']
    >>> posts["post_id"].n_unique(), ayr.history(last_days=30)["post_id"].n_unique()
    (207, 41)
    >>> day = ayr.history(start_date="2026-10-08", end_date="2026-10-08")
    >>> day["created_at"].dt.strftime("%Y-%m-%d %H:%M").unique(maintain_order=True).to_list()
    ['2026-10-08 13:56', '2026-10-08 12:02']
    """
    from .client import HISTORY_MAX_LIMIT
    from .normalize import normalize_history

    if platform is not None:
        size = _page_size(page_size, filters, None)
        (answer, note), _ = _ask(client, lambda c: _platform_pages(c, platform, filters, size))
        if note:
            warnings.warn(note, UserWarning, stacklevel=2)
        return normalize_history(answer, platform=platform)
    opts = _history_options(filters)
    size = _page_size(page_size, opts, HISTORY_MAX_LIMIT)
    (answer, note), _ = _ask(client, lambda c: _history_pages(c, opts, size))
    if note:
        warnings.warn(note, UserWarning, stacklevel=2)
    return normalize_history(answer)


_HISTORY_ALIASES = {"last_days": "lastDays", "start_date": "startDate", "end_date": "endDate"}


def _page_size(page_size: Any, opts: Mapping[str, Any], high: int | None) -> int | None:
    from .client.validation import check_int
    from .errors import ValidationError

    if page_size is None:
        return None
    if opts.get("limit") is not None:
        raise ValidationError(
            "page_size is the page history() asks for while gathering every post; with limit "
            "only one page of that size is asked for: give one of them"
        )
    return check_int("page_size", page_size, 1, high)


def _history_options(filters: Mapping[str, Any]) -> dict[str, Any]:
    """The filters under the API's names, checked before any request, with the window made
    explicit: dates set ``lastDays=0`` (so the API's default of 30 days does not cut them, and
    so the API's readings of dates with ``lastDays`` agree) and a bare end date its whole day."""
    from .client.validation import check_history_filters
    from .errors import ValidationError

    opts: dict[str, Any] = {}
    for key, value in filters.items():
        name = _HISTORY_ALIASES.get(key, key)
        if value is None:
            continue
        if name in opts:
            raise ValidationError(f"history filter {name!r} is given twice")
        opts[name] = value
    check_history_filters(opts)
    if "startDate" in opts or "endDate" in opts:
        if opts.get("lastDays", 0) != 0:
            raise ValidationError(
                f"last_days={opts['lastDays']!r} and start_date/end_date both set the window: "
                "give the days, or the dates (with last_days=0 or left out)"
            )
        opts["lastDays"] = 0
        for name in ("startDate", "endDate"):
            if name in opts:
                opts[name] = _iso_bound(opts[name], end=name == "endDate")
    return opts


def _iso_bound(value: Any, *, end: bool) -> str:
    """A window bound as sent: a bare date as the start of its day, or (``end``) as the day's
    last millisecond; a datetime in UTC to the millisecond; other ISO text as given."""
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            value = dt.date.fromisoformat(text)
        except ValueError:
            return text
    day = value.isoformat()
    return f"{day}T23:59:59.999Z" if end else day


def _iso(moment: dt.datetime) -> str:
    moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
    moment = moment.astimezone(dt.UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _items(answer: Any) -> list[Any] | None:
    items = answer.get("history") if isinstance(answer, Mapping) else None
    return items if type(items) is list else None


def _created(item: Any) -> dt.datetime | None:
    """When a ``/history`` item was created (``created`` text, or the legacy ``create_date``
    Firestore timestamp), or None."""
    if type(item) is not dict:
        return None
    value = item.get("created", item.get("create_date"))
    if isinstance(value, dict):
        value = value.get("utc") or value.get("_seconds")
    try:
        if isinstance(value, str):
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return dt.datetime.fromtimestamp(value, dt.UTC)
    except (ValueError, OverflowError, OSError):
        pass
    return None


def _key(item: Any) -> Any:
    """What makes two ``/history`` items the same post: its Ayrshare id."""
    pid = item.get("id") if type(item) is dict else None
    if isinstance(pid, str) and pid:
        return pid
    return json.dumps(item, sort_keys=True, default=str)


def _cut(items: list[Any]) -> dt.datetime | None:
    """Where to split the window of a full page: the first whole second after the page's
    oldest post if it comes before the newest (else the middle between them, to the
    millisecond), so the newer part leaves the oldest post out and the older part the newest
    one; both parts include the cut, so no post between them is lost. None when the page's posts
    were all created within a millisecond: no date separates them."""
    times = sorted(t for t in map(_created, items) if t is not None)
    if len(times) < 2:
        return None
    oldest, newest = times[0], times[-1]
    cut = oldest.replace(microsecond=0) + dt.timedelta(seconds=1)
    if cut < newest:
        return cut
    middle = oldest + (newest - oldest) / 2
    cut = middle.replace(microsecond=middle.microsecond // 1000 * 1000)
    return cut if oldest < cut < newest else None


def _history_pages(c: AyrshareClient, opts: dict[str, Any], size: int | None) -> tuple[Any, Any]:
    """The answer of ``GET /history`` for the whole window of ``opts`` (or the one page of
    ``opts["limit"]``), and the warning to give when it may not hold every post."""
    if "limit" in opts:
        answer = c.history(**opts)
        items = _items(answer)
        limit = opts["limit"]
        if items is not None and len(items) >= limit:
            return answer, (
                f"history returned {len(items)} posts, the limit={limit} asked for: there may be "
                "more posts in the window; leave out limit to get every post"
            )
        if items is not None and len(items) == HISTORY_PAGE_SIZE:
            return answer, (
                f"history returned {len(items)} posts with limit={limit}, and {len(items)} may "
                "be the API's own largest page: there may be more posts in the window; leave "
                "out limit to get every post"
            )
        return answer, None
    size = size or HISTORY_PAGE_SIZE
    base = {k: v for k, v in opts.items() if k not in ("startDate", "endDate")}
    windows: list[tuple[str | None, str | None]] = [(opts.get("startDate"), opts.get("endDate"))]
    found: dict[Any, Any] = {}
    requests = 0
    first: Any = None
    unsure: list[str] = []
    while windows:
        if requests >= HISTORY_MAX_REQUESTS:
            unsure.append(f"it stopped after {requests} requests (HISTORY_MAX_REQUESTS)")
            break
        start, end = windows.pop()
        window = {k: v for k, v in (("startDate", start), ("endDate", end)) if v is not None}
        answer = c.history(**base, **window, limit=size)
        requests += 1
        items = _items(answer)
        if first is None:
            first = answer
            if items is None or len(items) < size:
                return answer, None  # the whole window in one page (or a shape normalize reports)
        if items is None:
            unsure.append("an answer held no list of posts")
            continue
        for item in items:
            found.setdefault(_key(item), item)
        if len(items) < size:
            continue
        cut = _cut(items)
        lo, hi = _moment(start), _moment(end)
        if cut is None:
            # the page's posts share one instant: ask around it, and say so
            times = [t for t in map(_created, items) if t is not None]
            if not times:
                unsure.append("a full page's posts carry no creation time to split it by")
                continue
            oldest, newest = min(times), max(times)
            unsure.append(
                f"a full page ({size}) of posts was created at {_iso(oldest)}, and no date "
                "window can ask for more posts of that instant"
            )
            before, after = oldest - _MS, newest + _MS
            if lo is None or before >= lo:
                windows.append((start, _iso(before)))
            if hi is None or after <= hi:
                windows.append((_iso(after), end))
            continue
        if (lo is not None and cut <= lo) or (hi is not None and cut >= hi):
            unsure.append(
                f"a full page's creation times lie outside its window {start} to {end}, "
                "so it cannot be split by date"
            )
            continue
        windows.append((start, _iso(cut)))  # the older part, asked after
        windows.append((_iso(cut), end))  # the newer part
    posts = sorted(found.values(), key=_newest_first)
    note = None
    if unsure:
        note = (
            f"history returned {len(posts)} posts, but there may be more in the window: "
            + "; ".join(dict.fromkeys(unsure))
        )
    return {**first, "history": posts}, note


_MS = dt.timedelta(milliseconds=1)


def _newest_first(item: Any) -> tuple[int, float]:
    created = _created(item)
    return (1, 0.0) if created is None else (0, -created.timestamp())


def _moment(bound: str | None) -> dt.datetime | None:
    if bound is None:
        return None
    text = bound.strip().replace("Z", "+00:00").replace("z", "+00:00")
    moment = dt.datetime.fromisoformat(text)  # a bare date is its midnight
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _platform_pages(
    c: AyrshareClient, platform: str, filters: Mapping[str, Any], size: int | None
) -> tuple[Any, Any]:
    """Every page of ``GET /history/{platform}`` (or the one page of ``limit``) as one answer,
    and the warning to give when it may not hold every post."""
    from .client.validation import check_history_platform_filters

    opts = {k: v for k, v in filters.items() if v is not None}
    check_history_platform_filters(opts)  # unknown filters are refused before any request
    if "limit" in opts:
        answer = c.history_platform(platform, **opts)
        if isinstance(answer, Mapping) and answer.get("next"):
            return answer, (
                f"history returned one page of {platform} posts (limit={opts['limit']}) and the "
                "API has more (a next cursor); leave out limit to get every post"
            )
        return answer, None
    size = size or PLATFORM_PAGE_SIZE
    cursor = opts.get("next")
    found: dict[Any, Any] = {}
    seen: set[str] = set()
    first: Any = None
    pages = 0
    note = None
    while True:
        answer = c.history_platform(platform, **({"next": cursor} if cursor else {}), limit=size)
        pages += 1
        posts = answer.get("posts") if isinstance(answer, Mapping) else None
        if type(posts) is not list:
            if first is None:
                return answer, None  # a shape normalize_history reports
            note = f"page {pages} held no list of posts"
            break
        first = answer if first is None else first
        for post in posts:
            found.setdefault(_key(post), post)
        cursor = answer.get("next")
        if not cursor:
            break
        if not isinstance(cursor, str) or cursor in seen:
            note = f"the API gave the cursor {cursor!r} again, or one that is not text"
            break
        if pages >= PLATFORM_MAX_PAGES:
            note = f"it stopped after {pages} pages (PLATFORM_MAX_PAGES)"
            break
        seen.add(cursor)
    merged = {k: v for k, v in first.items() if k != "next"}
    merged["posts"] = list(found.values())
    if note:
        note = f"history returned {len(found)} {platform} posts, but there may be more: {note}"
    return merged, note


def account_analytics(
    platforms: str | Iterable[str], *, client: AyrshareClient | None = None, **options: Any
) -> pl.DataFrame:
    """Account-level numbers per network (followers and totals; ``daily=True`` adds a daily
    series where the network gives one), from ``POST /analytics/social``.

    >>> import ayr_analysis as ayr
    >>> acc = ayr.account_analytics(["instagram", "youtube"])
    >>> acc.filter(acc["metric"] == "followers")["platform"].sort().to_list()
    ['instagram', 'youtube']
    """
    from .normalize import normalize_social

    answer, _ = _ask(client, lambda c: c.analytics_social(platforms, **options))
    return normalize_social(answer)


def followers(
    platforms: str | Iterable[str], *, client: AyrshareClient | None = None
) -> pl.DataFrame:
    """``(platform, followers)``: each network's latest follower count (the base of a rate per
    follower), asked of ``POST /analytics/social``
    (:func:`ayr_analysis.analysis.followers_by_network` of :func:`account_analytics`).

    >>> import ayr_analysis as ayr
    >>> ayr.followers(["tiktok"])["platform"].to_list()
    ['tiktok']
    """
    from .analysis import followers_by_network

    return followers_by_network(account_analytics(platforms, client=client))
