"""Reactions by type (Facebook, LinkedIn): each post's latest reactions, summed per network.

The reactions side frame holds one row per post, network, reaction type and observation. Each post
counts once, with its latest observation (:func:`~.selection.latest`): a post fetched five times is
not counted five times. A reported 0 stays 0; a type a post did not report is left out, never
added as 0.
"""

from __future__ import annotations

import polars as pl

from ..schema import POST_KEY
from ._base import eager, need
from .selection import latest, snapshot_times, unit_keys

__all__ = ["reactions_by_type"]


def reactions_by_type(reactions: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Reactions per network and type, from each post's latest observation.

    One row per network and reaction type that some post reported: ``total`` (summed over the
    posts), ``posts`` (posts reporting that type), ``network_posts`` (posts of the network with
    any reaction reported), ``share`` (of the network's reactions; null when the network's total
    is 0), ``rank`` (the type over all networks, 1 = most reactions; ties by name) and ``unit``.

    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
    >>> r = pl.DataFrame({"post_id": ["a", "a", "a", "b"], "platform": ["facebook"] * 4,
    ...     "reaction": ["like", "love", "like", "like"], "count": [1, 1, 5, 3],
    ...     "observed_at": [t, t, t + dt.timedelta(hours=1), t]})
    >>> reactions_by_type(r).select("reaction", "total", "posts", "share").rows()
    [('like', 8, 2, 1.0)]
    """
    frame = eager(reactions)
    need(frame, [*POST_KEY, "reaction", "count"], "reactions_by_type")
    keys = unit_keys(frame)
    when = snapshot_times(frame)
    rows = frame.filter(pl.col("reaction").is_not_null())
    schema = {
        "platform": pl.String,
        "reaction": pl.String,
        "total": pl.Int64,
        "posts": pl.Int64,
        "network_posts": pl.Int64,
        "share": pl.Float64,
        "rank": pl.Int64,
        "unit": pl.String,
    }
    if rows.is_empty():
        return pl.DataFrame(schema=schema)
    # one row per post and observation, one column per reaction type: the latest observation of
    # a post carries all its types as of that snapshot
    types = sorted(rows["reaction"].unique().to_list())
    wide = rows.pivot(
        on="reaction", index=[*keys, *when], values="count", aggregate_function="last"
    )
    per_post = latest(wide).unpivot(
        on=types, index=keys, variable_name="reaction", value_name="count"
    )
    per_post = per_post.filter(pl.col("count").is_not_null())
    network_posts = per_post.group_by("platform").agg(
        pl.struct(keys).n_unique().cast(pl.Int64).alias("network_posts")
    )
    out = (
        per_post.group_by("platform", "reaction")
        .agg(
            pl.col("count").sum().cast(pl.Int64).alias("total"),
            pl.len().cast(pl.Int64).alias("posts"),
        )
        .join(network_posts, on="platform", how="left")
    )
    of_network = pl.col("total").sum().over("platform")
    overall = (
        out.group_by("reaction")
        .agg(pl.col("total").sum().alias("__all"))
        .sort(["__all", "reaction"], descending=[True, False])
        .with_row_index("rank", offset=1)
        .select("reaction", pl.col("rank").cast(pl.Int64))
    )
    return (
        out.with_columns(
            pl.when(of_network > 0).then(pl.col("total") / of_network).alias("share"),
            pl.lit("post").alias("unit"),
        )
        .join(overall, on="reaction", how="left")
        .select(list(schema))
        .sort("platform", "rank")
    )
