"""The funnel of each network: impressions -> engagements -> clicks, summed over its posts.

Each stage is summed over the posts that reported it, each post with its latest reported value
(or its value at an equal post age), a post on a network counted once and an X thread once
(:mod:`.selection`). A stage a network did not report has no total (null) and says why; a reported
0 is a total of 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import polars as pl

from ..schema import POST_KEY
from ._base import age_text, eager, need
from .selection import Fill, Unit, exclusions, unit_keys, values, with_caveats

__all__ = ["FUNNEL_STAGES", "funnel"]

#: The stages of :func:`funnel` by default.
FUNNEL_STAGES: tuple[str, ...] = ("impressions", "engagements", "clicks")


def funnel(
    frame: pl.DataFrame | pl.LazyFrame,
    stages: Sequence[str] = FUNNEL_STAGES,
    at_age: str | timedelta | None = None,
    *,
    unit: Unit = "post",
    fill: Fill = "last_reported",
) -> pl.DataFrame:
    """Per network and stage: the stage summed over the posts that reported it.

    Columns: ``platform``, ``stage``, ``stage_index`` (0 = the first stage), ``total`` (null when
    no post reported it), ``n`` (posts with a value), ``posts`` (all posts of the network),
    ``excluded`` and ``why_excluded`` (posts left out, with the reasons), ``of_first`` (the
    stage as a share of the first stage, over the posts that reported both), ``status``
    (``reported`` when ``n > 0``, else the main reason: ``not_reported``, ``not_observed``...),
    ``age``, ``unit``, ``caveats`` and ``caveat_posts`` (the caveat codes of the network's
    posts, counted or left out, and how many posts carry each: :func:`~.selection.caveat_counts`).
    ``fill``: as in :func:`~.selection.values`.

    >>> import polars as pl
    >>> f = pl.DataFrame({"post_id": ["a", "b", "c"], "platform": ["x", "x", "y"],
    ...     "impressions": [100, 300, 50], "clicks": [4, 0, None]})
    >>> funnel(f, ["impressions", "clicks"]).select(
    ...     "platform", "stage", "total", "n", "of_first", "status").rows()
    [('x', 'impressions', 400.0, 2, 1.0, 'reported'), ('x', 'clicks', 4.0, 2, 0.01, 'reported'), ('y', 'impressions', 50.0, 1, 1.0, 'reported'), ('y', 'clicks', None, 0, None, 'not_reported')]
    """
    stages = list(stages)
    if not stages or len(set(stages)) != len(stages):
        raise ValueError(f"stages must be distinct metric names, got {stages!r}")
    frame = eager(frame)
    need(frame, [*POST_KEY, *stages], "funnel")
    first = stages[0]
    ok = pl.col("status") == "reported"
    base = values(frame, first, at_age, unit=unit, fill=fill)
    keys = unit_keys(base)
    base_values = base.select(*keys, pl.when(ok).then(pl.col("value")).alias("__first"))
    parts = []
    for i, stage in enumerate(stages):
        vals = base if stage == first else values(frame, stage, at_age, unit=unit, fill=fill)
        vals = vals.join(base_values, on=keys, how="left", nulls_equal=True)
        both = ok & pl.col("__first").is_not_null()
        per = vals.group_by("platform").agg(
            pl.when(ok.any()).then(pl.col("value").filter(ok).sum()).alias("total"),
            pl.len().cast(pl.Int64).alias("posts"),
            (pl.col("value").filter(both).sum() / pl.col("__first").filter(both).sum()).alias(
                "of_first"
            ),
            pl.col("status").filter(~ok).mode().sort().first().alias("__main"),
        )
        parts.append(
            exclusions(vals, ["platform"])
            .join(per, on="platform", how="left")
            .pipe(with_caveats, vals, ["platform"])
            .with_columns(
                pl.lit(stage).alias("stage"),
                pl.lit(i, pl.Int64).alias("stage_index"),
                pl.lit(age_text(at_age)).alias("age"),
            )
        )
    out = pl.concat(parts, how="vertical_relaxed")
    return (
        out.with_columns(
            pl.col("total").cast(pl.Float64),
            pl.when(pl.col("of_first").is_finite()).then(pl.col("of_first")).alias("of_first"),
            pl.when(pl.col("n") > 0)
            .then(pl.lit("reported"))
            .otherwise(pl.col("__main"))
            .alias("status"),
            pl.lit(unit).alias("unit"),
        )
        .select(
            "platform",
            "stage",
            "stage_index",
            "total",
            "n",
            "posts",
            "excluded",
            "why_excluded",
            "of_first",
            "status",
            "age",
            "unit",
            "caveats",
            "caveat_posts",
        )  # fmt: skip
        .sort("platform", "stage_index")
    )
