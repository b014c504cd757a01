"""The data contract: one schema constant per frame the toolkit produces.

Every frame built by :mod:`ayr_analysis.normalize`, kept by the snapshot store and read by
:mod:`ayr_analysis.metrics` has exactly one of these schemas, also when it is empty.

Rules that hold in every frame:

* ``null`` means *not reported*; ``0`` means *reported zero*. One is never filled with the other.
* Units are normalised: durations in seconds (``*_s``), rates and shares as fractions 0-1.
* Times are UTC, microsecond precision.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

import polars as pl

UTC_TIME = pl.Datetime("us", "UTC")


def _schema(columns: dict[str, Any]) -> pl.Schema:
    """A frame schema from column -> polars type (classes such as ``pl.String`` and instances
    such as ``UTC_TIME`` side by side, which a type checker cannot join into one mapping type)."""
    return pl.Schema(columns)


#: Platform names as Ayrshare spells them (``twitter`` is X). ``gmb`` has no post analytics.
PLATFORMS: tuple[str, ...] = (
    "bluesky",
    "facebook",
    "instagram",
    "linkedin",
    "pinterest",
    "reddit",
    "snapchat",
    "threads",
    "tiktok",
    "twitter",
    "youtube",
)

#: One post on one network: Ayrshare's post id and the network. The key of the posts and errors
#: frames, and what X threads are summed over.
POST_KEY: tuple[str, ...] = ("post_id", "platform")

#: Keys of one unit of analysis: a post on one network (and one tweet of an X thread, whose
#: rows :func:`ayr_analysis.analysis.units` sums into one post row with ``thread_position`` 0).
UNIT_KEY: tuple[str, ...] = (*POST_KEY, "thread_position")

#: The times of a snapshot, in the order that sorts snapshots: when Ayrshare took the numbers
#: (``observed_at``, its ``lastUpdated`` when given), then when we fetched them.
SNAPSHOT_TIMES: tuple[str, ...] = ("observed_at", "fetched_at")

#: Keys that identify one observation of one post on one network (one tweet of a thread): a row
#: of the wide frame, kept once by the snapshot store.
OBSERVATION_KEY: tuple[str, ...] = (*UNIT_KEY, "observed_at")

#: One fetch of a post on a network: every tweet of an X thread fetched together (the rows a
#: thread total sums).
FETCH_KEY: tuple[str, ...] = (*POST_KEY, "fetched_at")

#: A denominator of an engagement rate (``rate_by``).
RateBase = Literal["impressions", "reach", "views", "followers"]
#: Every denominator of an engagement rate, in the order offered.
RATE_BASES: tuple[RateBase, ...] = get_args(RateBase)

#: Post ages compared by default (snapshots are taken and tables drawn at these ages).
DEFAULT_AGES: tuple[str, ...] = ("1h", "6h", "24h", "72h", "7d")

#: Every numeric field returned, mapped or not.
LONG_SCHEMA = _schema(
    {
        "post_id": pl.String,  # Ayrshare's post id
        "platform": pl.String,
        "social_id": pl.String,  # the network's own post id
        "thread_position": pl.Int32,  # X threads: 0..n-1; 0 elsewhere
        "field": pl.String,  # raw path inside `analytics`, e.g. "publicMetrics.likeCount"
        "metric": pl.String,  # canonical metric, null when the field is not mapped
        "value": pl.Float64,  # in `unit` (a Float64: counts beyond 2**53 are exact in wide only)
        "unit": pl.String,  # count | s | fraction | rate | ... (after conversion)
        "raw_value": pl.Float64,  # as the API sent it
        "observed_at": UTC_TIME,  # Ayrshare's lastUpdated when given, else fetched_at
        "fetched_at": UTC_TIME,
        "from_error": pl.Boolean,  # the numbers came inside a network's error object
    }
)

#: Canonical count metrics (integers) in the wide frame, in display order.
COUNT_METRICS: tuple[str, ...] = (
    "likes",
    "dislikes",
    "comments",
    "shares",
    "quotes",
    "saves",
    "sends",
    "reactions",
    "impressions",
    "reach",
    "views",
    "unique_views",
    "plays",
    "clicks",
    "outbound_clicks",
    "profile_visits",
    "follows",
    "followers_gained",
    "followers_lost",
    "playlist_adds",
    "completions",
    "engagements",  # computed: sum of the network's engagement metrics that were reported
    "engagements_reported",  # the network's own total, where it gives one
)

#: Canonical continuous metrics (floats) in the wide frame.
FLOAT_METRICS: tuple[str, ...] = (
    "watch_time_s",
    "avg_watch_time_s",
    "avg_view_fraction",
    "completion_rate",
    "engagement_rate_reported",
)

CANONICAL_METRICS: tuple[str, ...] = COUNT_METRICS + FLOAT_METRICS

#: One row per post, network, tweet and observation.
WIDE_SCHEMA = _schema(
    {
        "post_id": pl.String,
        "platform": pl.String,
        "social_id": pl.String,
        "thread_position": pl.Int32,
        "observed_at": UTC_TIME,
        "fetched_at": UTC_TIME,
        "last_updated": UTC_TIME,
        "next_update": UTC_TIME,
        "url": pl.String,
        "published_at": UTC_TIME,
        "media_type": pl.String,  # image | video | reel | story | carousel | text | ...
        "text": pl.String,
        "from_error": pl.Boolean,  # the numbers came inside a network's error object
        "caveats": pl.List(pl.String),  # codes of what the numbers may not say (docs/METRICS.md)
        **{m: pl.Int64 for m in COUNT_METRICS},
        **{m: pl.Float64 for m in FLOAT_METRICS},
    }
)

#: Reactions by type (Facebook, LinkedIn).
REACTIONS_SCHEMA = _schema(
    {
        "post_id": pl.String,
        "platform": pl.String,
        "social_id": pl.String,
        "thread_position": pl.Int32,
        "reaction": pl.String,  # like, love, wow, haha, sorry, anger, praise, ...
        "count": pl.Int64,
        "observed_at": UTC_TIME,
        "fetched_at": UTC_TIME,
    }
)

#: Share breakdowns (TikTok traffic sources, audience countries).
BREAKDOWNS_SCHEMA = _schema(
    {
        "post_id": pl.String,
        "platform": pl.String,
        "social_id": pl.String,
        "breakdown": pl.String,  # impression_source | audience_country
        "key": pl.String,  # e.g. "For You", "US"
        "share": pl.Float64,  # fraction 0-1
        "observed_at": UTC_TIME,
        "fetched_at": UTC_TIME,
    }
)

#: A failing post or network: partial failure is data.
ERRORS_SCHEMA = _schema(
    {
        "post_id": pl.String,
        "platform": pl.String,  # null when the whole request failed
        "reason": pl.String,  # network_error | request_failed | missing_from_answer (ERROR_REASONS)
        "code": pl.Int64,  # Ayrshare's error code, when given
        "message": pl.String,
        "http_status": pl.Int64,
        "retryable": pl.Boolean,
        "fetched_at": UTC_TIME,
    }
)

#: Why an errors row exists: the network's own error inside an answer (in place or in the
#: top-level ``errors`` list), the whole request failing (one row per network asked for when
#: they are known), or a network asked for (or expected from history) absent from the answer.
ERROR_REASONS: tuple[str, ...] = ("network_error", "request_failed", "missing_from_answer")

#: One row per post (from history) and network.
POSTS_SCHEMA = _schema(
    {
        "post_id": pl.String,
        "platform": pl.String,
        "social_id": pl.String,
        "url": pl.String,
        "text": pl.String,
        "created_at": UTC_TIME,
        "scheduled_at": UTC_TIME,
        "status": pl.String,  # the post's overall status (success, error, deleted, ...)
        "platform_status": pl.String,  # the status of this network's part
        "type": pl.String,  # now | scheduled | ...
        "media_urls": pl.List(pl.String),
        "notes": pl.String,
    }
)


def empty(schema: pl.Schema) -> pl.DataFrame:
    """An empty frame with the full ``schema``."""
    return pl.DataFrame(schema=schema)


#: Account-level numbers from ``/analytics/social`` (one row per network, field and day).
ACCOUNT_SCHEMA = _schema(
    {
        "platform": pl.String,
        "field": pl.String,  # raw path inside `analytics`, e.g. "followersCount"
        "metric": pl.String,  # canonical account metric ("followers"), null when not mapped
        "value": pl.Float64,
        "date": pl.Date,  # the day of a daily series; null for totals
        "fetched_at": UTC_TIME,
    }
)

#: X threads summed per post, network and fetch (see ``AnalyticsFrames.thread_totals``).
THREAD_TOTALS_SCHEMA = _schema(
    {
        "post_id": pl.String,
        "platform": pl.String,
        "social_id": pl.String,  # the first tweet's id
        "fetched_at": UTC_TIME,
        "observed_at": UTC_TIME,  # the latest observation among the tweets
        "tweets": pl.Int32,  # how many tweets (rows) were summed
        **{m: pl.Int64 for m in COUNT_METRICS},
    }
)

#: The errors table of a snapshot store: one row per post, network and error (code and HTTP
#: status), however often it was answered: the columns of :data:`ERRORS_SCHEMA` (of its latest
#: answer; ``fetched_at`` is ``last_seen``) plus when it was first and last answered and how often.
STORED_ERRORS_SCHEMA = _schema(
    {
        **ERRORS_SCHEMA,
        "first_seen": UTC_TIME,
        "last_seen": UTC_TIME,
        "count": pl.Int64,
    }
)
