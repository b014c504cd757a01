"""Rankings and distributions: top posts, the spread of a metric per group, a table per network.

All at the unit of analysis (a post on a network, an X thread once), from each post's latest
reported value or its value at an equal age; what is left out is counted with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import polars as pl

from ..schema import POST_KEY
from ._base import age_text, eager, group_list, need
from .rates import engagement_rate
from .selection import Fill, Unit, exclusions, values, with_caveats

__all__ = ["distribution", "network_summary", "post_label", "top_posts"]


def post_label(chars: int = 40) -> pl.Expr:
    """A post's label for tables and charts: a text snippet, its network and its publication day
    (``"Autumn drop is here… · tiktok · 2026-11-02"``); the post id when there is no text."""
    text = pl.col("text")
    snippet = (
        pl.when(text.str.len_chars() > chars)
        .then(text.str.slice(0, chars - 1).str.strip_chars() + "…")
        .otherwise(text)
    )
    snippet = pl.coalesce(
        pl.when(text.str.strip_chars() != "").then(snippet.str.replace_all(r"\s+", " ")),
        pl.col("post_id"),
    )
    day = pl.col("published_at").dt.strftime("%Y-%m-%d")
    return pl.concat_str([snippet, pl.col("platform"), day], separator=" · ", ignore_nulls=True)


def _with_label(frame: pl.DataFrame, chars: int = 40) -> pl.DataFrame:
    missing = [
        pl.lit(None, pl.String if c == "text" else pl.Datetime("us", "UTC")).alias(c)
        for c in ("text", "published_at")
        if c not in frame.columns
    ]
    return frame.with_columns(missing).with_columns(post_label(chars).alias("label"))


def top_posts(
    frame: pl.DataFrame | pl.LazyFrame,
    metric: str,
    n: int = 10,
    at_age: str | timedelta | None = None,
    *,
    rate_by: str = "impressions",
    numerator: str = "engagements",
    by: str | Sequence[str] | None = None,
    followers: pl.DataFrame | str | None = None,
    unit: Unit = "post",
    fill: Fill = "last_reported",
) -> pl.DataFrame:
    """The ``n`` posts with the highest ``metric`` (latest, or at an equal age), per group.

    Posts whose metric was not reported (or not observed at that age) are left out, never
    ranked as 0. Ties are broken by post id and network. Adds ``rank``, ``value``, ``label``
    (text snippet, network, day) and the columns of :func:`~.selection.values` (each post's
    ``caveats`` among them; ``fill`` as there).

    >>> import polars as pl
    >>> f = pl.DataFrame({"post_id": ["a", "b", "c"], "platform": ["x"] * 3,
    ...                   "likes": [5, None, 9]})
    >>> top_posts(f, "likes", n=5)["post_id"].to_list()
    ['c', 'a']
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    frame = eager(frame)
    groups = group_list(by)
    need(frame, groups, "top_posts")
    vals = values(
        frame, metric, at_age, rate_by=rate_by, numerator=numerator, followers=followers,
        unit=unit, fill=fill,
    )  # fmt: skip
    ranked = vals.filter(pl.col("status") == "reported").sort(
        ["value", *POST_KEY], descending=[True, False, False]
    )
    ranked = ranked.group_by(groups, maintain_order=True).head(n) if groups else ranked.head(n)
    rank = pl.int_range(1, pl.len() + 1)
    ranked = ranked.with_columns(
        (rank.over(groups) if groups else rank).cast(pl.Int64).alias("rank")
    )
    return _with_label(ranked)


def distribution(
    frame: pl.DataFrame | pl.LazyFrame,
    metric: str,
    by: str | Sequence[str] = ("platform", "media_type"),
    at_age: str | timedelta | None = None,
    *,
    rate_by: str = "impressions",
    numerator: str = "engagements",
    unit: Unit = "post",
    fill: Fill = "last_reported",
) -> pl.DataFrame:
    """Per group: posts with a value (``n``), those left out (``excluded``, ``why_excluded``),
    median, quartiles, mean and max of each post's value (latest reported, or at ``at_age``).
    A null group reads ``"(unknown)"``. Nulls are never counted as 0. ``caveats`` and
    ``caveat_posts``: the caveat codes of the group's posts and how many carry each
    (:func:`~.selection.caveat_counts`); ``fill`` as in :func:`~.selection.values`.

    >>> import polars as pl
    >>> f = pl.DataFrame({"post_id": list("abcd"), "platform": ["x", "x", "x", "y"],
    ...                   "media_type": ["image"] * 4, "likes": [1, 2, 100, None]})
    >>> distribution(f, "likes").select("platform", "n", "excluded", "median", "mean").rows()
    [('x', 3, 0, 2.0, 34.333333333333336), ('y', 0, 1, None, None)]
    """
    frame = eager(frame)
    groups = group_list(by)
    need(frame, groups, "distribution")
    vals = values(frame, metric, at_age, rate_by=rate_by, numerator=numerator, unit=unit, fill=fill)
    vals = vals.with_columns(pl.col(g).cast(pl.String).fill_null("(unknown)") for g in groups)
    v = pl.col("value").filter(pl.col("status") == "reported")
    stats = vals.group_by(groups).agg(
        v.median().alias("median"),
        v.quantile(0.25, "linear").alias("q25"),
        v.quantile(0.75, "linear").alias("q75"),
        v.mean().alias("mean"),
        v.max().alias("max"),
    )
    age = age_text(at_age)
    return (
        with_caveats(exclusions(vals, groups), vals, groups)
        .join(stats, on=groups, how="left")
        .with_columns(
            pl.lit(metric).alias("metric"), pl.lit(age).alias("age"), pl.lit(unit).alias("unit")
        )
        .select(
            *groups,
            "n",
            "excluded",
            "median",
            "q25",
            "q75",
            "mean",
            "max",
            "why_excluded",
            "metric",
            "age",
            "unit",
            "caveats",
            "caveat_posts",
        )  # fmt: skip
        .sort(groups)
    )


def network_summary(
    frame: pl.DataFrame | pl.LazyFrame,
    metric: str,
    at_age: str | timedelta | None = None,
    *,
    rate_by: str = "impressions",
    rate_form: str = "ratio",
    followers: pl.DataFrame | str | None = None,
    unit: Unit = "post",
    fill: Fill = "last_reported",
) -> pl.DataFrame:
    """One row per network: ``posts``, posts with a value of ``metric`` (``n``), ``median`` and
    ``total`` of it (a total only for counts), why posts were left out, and the engagement rate
    (``rate_by``, ``rate_form``) with its interval and its own ``n``; then ``caveats`` and
    ``caveat_posts`` (the caveat codes of the network's posts, and how many posts carry each:
    :func:`~.selection.caveat_counts`). ``fill`` as in :func:`~.selection.values`.

    >>> import polars as pl
    >>> f = pl.DataFrame({"post_id": ["a", "b", "c"], "platform": ["x", "x", "y"],
    ...     "likes": [1, 3, None], "engagements": [2, 4, 1], "impressions": [10, 10, 5]})
    >>> network_summary(f, "likes").select("platform", "posts", "n", "median", "total").rows()
    [('x', 2, 2, 2.0, 4.0), ('y', 1, 0, None, None)]
    """
    from ..schema import COUNT_METRICS

    frame = eager(frame)
    vals = values(frame, metric, at_age, rate_by=rate_by, followers=followers, unit=unit, fill=fill)
    ok = pl.col("status") == "reported"
    is_count = metric in COUNT_METRICS
    per = vals.group_by("platform").agg(
        pl.len().cast(pl.Int64).alias("posts"),
        pl.col("value").filter(ok).median().alias("median"),
        (
            pl.when(ok.any()).then(pl.col("value").filter(ok).sum())
            if is_count
            else pl.lit(None, pl.Float64)
        ).alias("total"),
    )
    out = exclusions(vals, ["platform"]).join(per, on="platform", how="left")
    has_rate = "engagements" in frame.columns and (
        rate_by == "followers" or rate_by in frame.columns
    )
    if has_rate:
        rates = engagement_rate(
            frame, by=rate_by, form=rate_form, group_by="platform",  # type: ignore[arg-type]
            followers=followers, at_age=at_age, unit=unit, n_resamples=500, fill=fill,
        ).select(
            "platform", "definition", pl.col("n").alias("rate_n"), "rate",
            pl.col("low").alias("rate_low"), pl.col("high").alias("rate_high"),
        )  # fmt: skip
        out = out.join(rates, on="platform", how="left")
    else:
        out = out.with_columns(
            pl.lit(None, pl.String).alias("definition"), pl.lit(None, pl.Int64).alias("rate_n"),
            *(pl.lit(None, pl.Float64).alias(c) for c in ("rate", "rate_low", "rate_high")),
        )  # fmt: skip
    age = age_text(at_age)
    # the caveats of the posts behind the row: the metric's and the rate's (same posts, so the
    # metric's values carry them)
    out = with_caveats(out, vals, ["platform"])
    return out.with_columns(
        pl.lit(metric).alias("metric"), pl.lit(age).alias("age"), pl.lit(unit).alias("unit")
    ).select(
        "platform", "posts", "n", "excluded", "median", "total", "why_excluded", "definition",
        "rate_n", "rate", "rate_low", "rate_high", "metric", "age", "unit", "caveats",
        "caveat_posts",
    ).sort("platform")  # fmt: skip
