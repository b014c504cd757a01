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

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from .client import AyrshareClient
    from .normalize import AnalyticsFrames

__all__ = [
    "account_analytics",
    "fetch_post_analytics",
    "history",
    "post_analytics",
    "social_post_analytics",
]


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


def _frames(answer: Any, demo: bool) -> AnalyticsFrames:
    from .normalize import normalize

    frames = normalize(answer)
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
    frames = _frames(result, demo)
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
    *, client: AyrshareClient | None = None, platform: str | None = None, **filters: Any
) -> pl.DataFrame:
    """Posts as a frame: one row per post and network with ids, text, created, status, social ids
    and urls (:data:`ayr_analysis.schema.POSTS_SCHEMA`).

    ``filters`` are those of ``GET /history`` (``last_days`` (0 = all), ``limit``, ``status``,
    ``type``, ``platforms``, ``start_date``, ``end_date``). With ``platform``, ``GET
    /history/{platform}`` is asked instead (posts on that network, also those not sent through
    Ayrshare; ``limit``, ``next``).

    >>> import ayr_analysis as ayr
    >>> posts = ayr.history(last_days=0, limit=50)
    >>> posts.columns[:4]
    ['post_id', 'platform', 'social_id', 'url']
    """
    from .normalize import normalize_history

    if platform is not None:
        answer, _ = _ask(client, lambda c: c.history_platform(platform, **filters))
        return normalize_history(answer, platform=platform)
    answer, _ = _ask(client, lambda c: c.history(**filters))
    return normalize_history(answer)


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
