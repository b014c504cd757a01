"""Engagement rates, in named definitions, with intervals.

A rate is always read with its definition: the numerator (``engagements`` unless told), the base
(``rate_by``: impressions, reach, views or followers) and the form (``ratio``: sum over sum,
pooled; ``mean``: the mean of each post's own rate). The unit is the post on a network, an X
thread counted once (:mod:`.selection`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Literal

import polars as pl

from ..schema import RATE_BASES, RateBase
from ._base import (
    age_text,
    eager,
    group_list,
    need,
    percentile_interval,
    resampled,
    seed_for,
    wilson_exprs,
)
from .selection import Fill, Unit, exclusions, values, with_caveats

__all__ = ["definition", "engagement_rate", "followers_by_network", "rate_definitions"]


def definition(numerator: str, rate_by: str, form: str) -> str:
    """``"engagements / impressions, ratio of sums"``: a rate's definition in words."""
    kind = "ratio of sums" if form == "ratio" else "mean of post rates"
    return f"{numerator} / {rate_by}, {kind}"


def engagement_rate(
    frame: pl.DataFrame | pl.LazyFrame,
    by: RateBase = "impressions",
    form: Literal["mean", "ratio"] = "ratio",
    group_by: str | Sequence[str] | None = None,
    followers: pl.DataFrame | str | None = None,
    *,
    at_age: str | timedelta | None = None,
    numerator: str = "engagements",
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
    unit: Unit = "post",
    fill: Fill = "last_reported",
) -> pl.DataFrame:
    """Engagement rate per group, in one of two stated forms, with an interval.

    * ``form="ratio"``: sum of engagements / sum of ``by`` over the posts ("ratio of sums"),
      with a Wilson interval on the pooled counts.
    * ``form="mean"``: the mean of each post's own rate ("mean of post rates"), with a
      percentile bootstrap interval over posts.

    Each post's latest reported numbers are used (or those at ``at_age``; ``fill``: what to do
    when a network stopped reporting a field, as in :func:`~.selection.values`). A post counts only
    when both its engagements and its base were reported and the base is above 0; the others
    are counted in ``excluded``, with the reasons in ``why_excluded``. With ``by="followers"``,
    ``followers`` is a frame of ``(platform, followers)`` or the name of a column.

    Output columns: the ``group_by`` columns, ``definition``, ``n`` (posts counted),
    ``excluded``, ``why_excluded``, ``numerator`` and ``denominator`` (sums over the counted
    posts), ``rate``, ``low``, ``high``, ``interval`` (its method), ``age``, ``unit``, then
    ``caveats`` and ``caveat_posts`` (the caveat codes of the group's posts and how many posts
    carry each: :func:`~.selection.caveat_counts`). Wilson
    bounds are null when engagements exceed the base (e.g. per follower), where a proportion's
    interval means nothing.

    >>> import polars as pl
    >>> f = pl.DataFrame({"post_id": ["a", "b", "c"], "platform": ["tiktok"] * 3,
    ...                   "engagements": [10, 30, 5], "impressions": [100, 200, None]})
    >>> r = engagement_rate(f)
    >>> r.select("definition", "n", "excluded", "rate").row(0)
    ('engagements / impressions, ratio of sums', 2, 1, 0.13333333333333333)
    >>> engagement_rate(f, form="mean")["rate"].item()
    0.125
    """
    if form not in ("mean", "ratio"):
        raise ValueError(f"form={form!r}: choose 'ratio' (ratio of sums) or 'mean' (of post rates)")
    if by not in RATE_BASES:
        raise ValueError(f"by={by!r}: choose one of {', '.join(RATE_BASES)}")
    frame = eager(frame)
    groups = group_list(group_by)
    need(frame, groups, "engagement_rate")
    vals = values(
        frame, "engagement_rate", at_age, rate_by=by, numerator=numerator, followers=followers,
        unit=unit, fill=fill,
    )  # fmt: skip
    counted = exclusions(vals, groups)
    work = vals if groups else vals.with_columns(pl.lit(0).alias("__all"))
    keys = groups or ["__all"]
    ok = pl.col("status") == "reported"
    agg = work.group_by(keys, maintain_order=True).agg(
        pl.col("numerator").filter(ok).sum().alias("numerator"),
        pl.col("denominator").filter(ok).sum().alias("denominator"),
        pl.col("value").filter(ok).mean().alias("__mean"),
        pl.col("value").filter(ok).alias("__rates"),
    )
    agg = (counted if groups else counted.with_columns(pl.lit(0).alias("__all"))).join(
        agg, on=keys, how="left", nulls_equal=True
    )
    has = pl.col("n") > 0
    if form == "ratio":
        low, high = wilson_exprs(pl.col("numerator"), pl.col("denominator"), confidence)
        out = agg.with_columns(
            pl.when(has).then(pl.col("numerator") / pl.col("denominator")).alias("rate"),
            pl.when(has).then(low).alias("low"),
            pl.when(has).then(high).alias("high"),
            pl.lit("wilson").alias("interval"),
        )
    else:
        bounds = []
        for key, rates in zip(agg.select(keys).rows(), agg["__rates"].to_list(), strict=True):
            stats = resampled(
                pl.Series(rates or [], dtype=pl.Float64), "mean", n_resamples, seed_for(seed, key)
            )
            bounds.append(percentile_interval(stats, confidence))
        out = agg.with_columns(
            pl.col("__mean").alias("rate"),
            pl.Series("low", [b[0] for b in bounds], dtype=pl.Float64),
            pl.Series("high", [b[1] for b in bounds], dtype=pl.Float64),
            pl.lit("bootstrap").alias("interval"),
        )
    age = age_text(at_age)
    out = with_caveats(out, vals, groups)
    return out.with_columns(
        pl.lit(definition(numerator, by, form)).alias("definition"),
        pl.when(has).then(pl.col("numerator")).alias("numerator"),
        pl.when(has).then(pl.col("denominator")).alias("denominator"),
        pl.lit(age).alias("age"),
        pl.lit(unit).alias("unit"),
    ).select(
        *groups, "definition", "n", "excluded", "why_excluded", "numerator", "denominator",
        "rate", "low", "high", "interval", "age", "unit", "caveats", "caveat_posts",
    )  # fmt: skip


def followers_by_network(account: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """``(platform, followers)``: each network's latest follower count, the base of a rate per
    follower, from account numbers (:func:`ayr_analysis.normalize.normalize_social`, or
    :func:`ayr_analysis.account_analytics`). Totals only: the days of a daily series are left
    out; when a network gives its count twice, the last one wins.

    >>> import polars as pl
    >>> acc = pl.DataFrame({"platform": ["tiktok", "tiktok", "youtube"],
    ...     "metric": ["followers", "followers", None], "value": [90.0, 120.0, 5.0],
    ...     "date": [None, None, None]})
    >>> followers_by_network(acc).rows()
    [('tiktok', 120.0)]
    """
    account = eager(account)
    need(account, ["platform", "metric", "value", "date"], "followers_by_network")
    return (
        account.filter((pl.col("metric") == "followers") & pl.col("date").is_null())
        .unique(subset="platform", keep="last", maintain_order=True)
        .select("platform", pl.col("value").alias("followers"))
        .sort("platform")
    )


def rate_definitions(
    frame: pl.DataFrame | pl.LazyFrame,
    followers: pl.DataFrame | None = None,
    group_by: str = "platform",
    *,
    at_age: str | timedelta | None = None,
    n_resamples: int = 500,
    seed: int = 0,
    fill: Fill = "last_reported",
) -> pl.DataFrame:
    """Engagement rate per group under every definition side by side: each base (impressions,
    reach, views, and followers when ``followers`` is given) in both forms. The columns of
    :func:`engagement_rate`, stacked.

    >>> import polars as pl
    >>> f = pl.DataFrame({"post_id": ["a", "b"], "platform": ["x", "x"], "engagements": [1, 3],
    ...     "impressions": [10, 10], "reach": [5, 5], "views": [None, None]})
    >>> r = rate_definitions(f)
    >>> r.filter(pl.col("definition").str.contains("reach, ratio"))["rate"].item()
    0.4
    """
    frame = eager(frame)
    out = []
    for base in RATE_BASES:
        if base == "followers" and followers is None:
            continue
        if base != "followers" and base not in frame.columns:
            continue
        for form in ("ratio", "mean"):
            out.append(
                engagement_rate(
                    frame,
                    by=base,
                    form=form,
                    group_by=group_by,  # type: ignore[arg-type]
                    followers=followers if base == "followers" else None,
                    at_age=at_age,
                    n_resamples=n_resamples,
                    seed=seed,
                    fill=fill,
                )  # fmt: skip
            )
    return pl.concat(out).sort(group_by, "definition")
