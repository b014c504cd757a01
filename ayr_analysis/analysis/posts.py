"""Counting and listing posts (from history or snapshots): how many posts a group holds, the most
recent posts with their networks. The unit is the Ayrshare post (all its networks together).
"""

from __future__ import annotations

import polars as pl

from ..schema import POST_KEY
from ._base import eager, need

__all__ = ["posts_per_group", "recent_posts", "widest_post"]


def posts_per_group(frame: pl.DataFrame | pl.LazyFrame, by: str = "campaign") -> pl.DataFrame:
    """``(by, posts)``: distinct Ayrshare posts per group (null groups left out), largest first.

    >>> f = pl.DataFrame({"post_id": ["a", "a", "b", "c"], "campaign": ["x", "x", "x", None]})
    >>> posts_per_group(f).rows()
    [('x', 2)]
    """
    frame = eager(frame)
    need(frame, ["post_id", by], "posts_per_group")
    return (
        frame.filter(pl.col(by).is_not_null())
        .group_by(by)
        .agg(pl.col("post_id").n_unique().cast(pl.Int64).alias("posts"))
        .sort(["posts", by], descending=[True, False])
    )


def recent_posts(posts: pl.DataFrame | pl.LazyFrame, n: int = 30) -> pl.DataFrame:
    """The ``n`` most recent Ayrshare posts of a history frame: ``post_id``, ``created_at``,
    ``text`` (the first non-empty of its networks) and ``networks`` (comma list), newest first.

    >>> import datetime as dt
    >>> t = dt.datetime(2026, 9, 1, tzinfo=dt.timezone.utc)
    >>> h = pl.DataFrame({"post_id": ["a", "a", "b"], "platform": ["x", "tiktok", "x"],
    ...     "text": ["hi", None, "yo"], "created_at": [t, t, t + dt.timedelta(hours=1)]})
    >>> recent_posts(h).rows()[0][0], recent_posts(h).row(1)[3]
    ('b', 'tiktok, x')
    """
    posts = eager(posts)
    need(posts, [*POST_KEY, "created_at"], "recent_posts")
    text = pl.col("text") if "text" in posts.columns else pl.lit(None, pl.String)
    return (
        posts.with_columns(text.alias("text"))
        .sort("created_at", nulls_last=False)
        .group_by("post_id", maintain_order=True)
        .agg(
            pl.col("created_at").last(),
            pl.col("text").drop_nulls().first(),
            pl.col("platform").drop_nulls().unique().sort().str.join(", ").alias("networks"),
        )
        .sort(["created_at", "post_id"], descending=[True, False], nulls_last=True)
        .head(n)
    )


def widest_post(posts: pl.DataFrame | pl.LazyFrame) -> str:
    """The id of the post sent to the most networks (ties: the smallest id).

    >>> h = pl.DataFrame({"post_id": ["a", "b", "b"], "platform": ["x", "x", "tiktok"]})
    >>> widest_post(h)
    'b'
    """
    posts = eager(posts)
    need(posts, POST_KEY, "widest_post")
    if posts.is_empty():
        raise ValueError("no posts: the history is empty")
    counts = posts.group_by("post_id").agg(pl.col("platform").n_unique().alias("networks"))
    return counts.sort(["networks", "post_id"], descending=[True, False])["post_id"][0]
