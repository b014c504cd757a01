"""Expected performance: typical curves, a performance index, early forecasts, a backtest, alerts.

The question an analyst asks an hour after publishing is "is this post doing well, for us, on
this network, at this age?". Every answer here is measured against the account's **own past
posts** on the same network and media type, at the **same post age**:

* :func:`typical_curves`: per network and media type (``by``), the typical cumulative curve of a
  metric against post age (median, 25th-75th and 10th-90th percentile bands) over the posts
  published in the ``lookback`` window before ``now``, with ``n`` at each age; below
  ``min_posts`` the age says ``not_enough_history`` and has no band.
* :func:`performance_index`: each post's value divided by the typical value at the same age
  (1.0 = typical), and its percentile among the past posts at that age.
* :func:`forecast`: the expected value at a horizon (default 7 days) from the observations so far,
  with a prediction interval, by the log-linear model of Szabo and Huberman ("Predicting the
  popularity of online content", 2010) fitted on the account's own posts, next to three simple
  baselines.
* :func:`backtest`: the forecast checked in time order (fitted on older posts, predicting newer
  ones): median relative error of the model and the baselines, and the interval's coverage.
* :func:`alerts`: posts running above or below their band, or whose forecast at a horizon lies
  outside the band at that horizon; one row per crossing.

How a post's curve is read: each post (a post on one network, an X thread counted once: see
:func:`~ayr_analysis.analysis.units`) is interpolated at the grid ``ages`` between the snapshots
around each age, never extrapolated (:func:`~ayr_analysis.analysis.at_age`, whose fill rule
holds a value the network stopped reporting); a snapshot within ``tolerance`` (10% of the age)
of a grid age counts as taken at it. So a post counts at an age only when it was observed at (or
after) that age. Between grid ages the typical curve and its bands are interpolated linearly.
Null means "not reported" or "not observed", never 0; a reported 0 is a value, except a
placeholder 0: on a snapshot carrying a :data:`PLACEHOLDER_CAVEATS` code (``youtube_processing``:
a YouTube video whose numbers YouTube has not reported yet), a 0 counts as not reported, in every
function here (no band, index, forecast, backtest score or alert is built from it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import polars as pl

from ..schema import DEFAULT_AGES, POST_KEY, UNIT_KEY
from ._base import (
    PLACEHOLDER_CAVEATS,
    age_label,
    eager,
    is_demo,
    need,
    parse_duration,
)
from ._base import has_caveats as _has_caveats
from ._base import pending as _pending
from ._base import without_placeholders as _without_placeholders
from .growth import _with_edges
from .selection import (
    Unit,
    _age_seconds,
    _caveats_at,
    at_age,
    bracketing,
    snapshot_times,
    unit_keys,
    units,
    with_caveats,
)

__all__ = [
    "BANDS",
    "INDEX_STATUSES",
    "INTERCEPTS",
    "PLACEHOLDER_CAVEATS",
    "Backtest",
    "Outlooks",
    "PostOutlook",
    "alerts",
    "backtest",
    "for_posts",
    "forecast",
    "index_distribution",
    "outlooks",
    "performance_index",
    "post_outlook",
    "typical_curves",
]

#: The bands a post is judged against: name -> (lower, upper) quantile column of
#: :func:`typical_curves`.
BANDS: dict[str, tuple[str, str]] = {"10-90": ("q10", "q90"), "25-75": ("q25", "q75")}

#: Why a row of :func:`performance_index` or :func:`forecast` has no number, in words.
INDEX_STATUSES: dict[str, str] = {
    "ok": "",
    "not_enough_history": "not enough history: {n} past posts at this age, fewer than {min}",
    "zero_typical": "the typical value at this age is 0: no ratio",
    "not_reported": "not reported by the network",
    "not_reported_yet": "numbers not reported yet",
    "not_observed": "no snapshot at this age",
    "no_publication_time": "publication time unknown",
    "too_young": "younger than the first age of the grid",
}

#: Columns of the snapshots that the per-post results carry along when present (from each
#: post's latest snapshot): to label a post, link to it, or group it by campaign.
_EXTRAS = ("text", "url", "campaign")

_NO_CAVEATS = pl.lit([], pl.List(pl.String))

_SEP = "\x1f"
_EPS = 1e-9
_NULL = "\x00"


# --------------------------------------------------------------------------- shared pieces


def _by_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _grid(ages: Sequence[str | timedelta] | str | timedelta) -> list[tuple[str, float]]:
    if isinstance(ages, (str, timedelta)):
        ages = [ages]
    grid = sorted({parse_duration(a).total_seconds(): age_label(a) for a in ages}.items())
    if not grid:
        raise ValueError("give at least one age (e.g. ages=['1h', '24h', '7d'])")
    if grid[0][0] <= 0:
        raise ValueError("ages must be after publication (e.g. '1h'), not 0")
    return [(label, secs) for secs, label in grid]


def _slim(frame: pl.DataFrame, metric: str, by: list[str], extras: bool = False) -> pl.DataFrame:
    """The columns of ``frame`` that the functions here read for ``metric`` (``extras``: and
    the post's text, url and campaign): a function that runs several others over the same
    snapshots hands them this, so that none goes through the other columns (no copy: a
    selection shares the columns' memory)."""
    wanted = [
        *UNIT_KEY, "fetched_at", "observed_at", "published_at", "tweets", "source", "caveats",
        metric, *by, *(_EXTRAS if extras else ()),
    ]  # fmt: skip
    return frame.select(c for c in dict.fromkeys(wanted) if c in frame.columns)


def _check_common(min_posts: int, tolerance: float) -> None:
    if isinstance(min_posts, bool) or not isinstance(min_posts, int) or min_posts < 2:
        raise ValueError(f"min_posts must be a whole number of at least 2, got {min_posts!r}")
    if not 0 <= tolerance < 1:
        raise ValueError(f"tolerance is a share of the age between 0 and 1, got {tolerance!r}")


def _group_key(by: list[str]) -> pl.Expr:
    """One string per group, equal also where a ``by`` column is null (joins by it match nulls)."""
    if not by:
        return pl.lit("").alias("__g")
    return pl.concat_str(
        [pl.col(c).cast(pl.String).fill_null(_NULL) for c in by], separator=_SEP
    ).alias("__g")


def _unit_key(keys: list[str]) -> pl.Expr:
    return pl.concat_str(
        [pl.col(k).cast(pl.String).fill_null(_NULL) for k in keys], separator=_SEP
    ).alias("__u")


def _caveats_around(
    frame: pl.DataFrame, rows: pl.DataFrame, keys: list[str], age: str
) -> pl.DataFrame:
    """``rows`` (one per unit and ``age``, an age in seconds) with ``caveats``: the codes of the
    unit's snapshots around that age (the union of its last one at or before it and its first
    one after it, as :func:`~.selection.at_age` takes them); with no age (publication time
    unknown, metric never reported), those of its latest snapshot. Empty lists when ``frame``
    has no ``caveats`` column."""
    if "caveats" not in frame.columns or not isinstance(frame.schema["caveats"], pl.List):
        return rows.with_columns(_NO_CAVEATS.alias("caveats"))
    ages = (
        rows.select(*keys, pl.col(age).cast(pl.Float64).alias("age_s"))
        .filter(pl.col("age_s").is_not_null())
        .unique(maintain_order=True)
        .with_columns(pl.lit(None, pl.List(pl.String)).alias("caveats"))
    )
    near = _caveats_at(frame, ages, keys).rename({"age_s": "__cav_age", "caveats": "__cav_at"})
    last = (
        frame.sort(snapshot_times(frame), nulls_last=False)
        .group_by(keys, maintain_order=True)
        .agg(pl.col("caveats").last().alias("__cav_last"))
    )
    out = rows.with_columns(pl.col(age).cast(pl.Float64).alias("__cav_age"))
    out = out.join(
        near, on=[*keys, "__cav_age"], how="left", nulls_equal=True, maintain_order="left"
    )
    out = out.join(last, on=keys, how="left", nulls_equal=True, maintain_order="left")
    cav = pl.when(pl.col("__cav_age").is_null()).then(pl.col("__cav_last")).otherwise("__cav_at")
    return out.with_columns(
        cav.cast(pl.List(pl.String)).fill_null(_NO_CAVEATS).alias("caveats")
    ).drop("__cav_age", "__cav_at", "__cav_last")


def _not_reported_yet(status: pl.Expr) -> pl.Expr:
    """``status`` turned into ``not_reported_yet`` where a post has no number because its
    snapshots (``caveats``, around the age judged) carry a placeholder code."""
    missing = status.is_in(["not_reported", "not_observed", "too_young"])
    return pl.when(missing & _pending()).then(pl.lit("not_reported_yet")).otherwise(status)


@dataclass(frozen=True)
class _Curves:
    """Per-post curves on the grid (``curves``: one row per unit and grid age, ``value`` null where
    not observed) and each unit's latest reported value and age (``posts``)."""

    curves: pl.DataFrame
    posts: pl.DataFrame
    keys: list[str]
    by: list[str]
    grid: list[tuple[str, float]]
    demo: bool
    extras: list[str]
    frame: pl.DataFrame  # the snapshots at the unit of analysis


def _prepare(
    snapshots: pl.DataFrame | pl.LazyFrame,
    metric: str,
    ages: Sequence[str | timedelta] | str | timedelta,
    by: list[str],
    tolerance: float,
    unit: Unit,
    what: str,
) -> _Curves:
    frame = units(eager(snapshots), unit)
    need(frame, ["observed_at", "published_at", metric, *by], what)
    if not frame.schema[metric].is_numeric():
        raise ValueError(f"{what}: metric {metric!r} is not numeric ({frame.schema[metric]})")
    frame = _without_placeholders(frame, metric)
    keys = unit_keys(frame)
    if not keys:
        raise ValueError(f"{what} needs post_id and platform to follow posts")
    grid = _grid(ages)
    labels = [g[0] for g in grid]
    slim = frame.select(
        *dict.fromkeys([*keys, *by, "published_at", "observed_at", metric]),
        *(c for c in ("fetched_at",) if c in frame.columns and c not in by),
    )
    aligned = at_age(slim, labels, [metric])
    aligned = _with_edges(aligned, slim, keys, metric, tolerance)
    curves = aligned.select(
        *keys,
        *(c for c in by if c not in keys),
        "published_at",
        "age",
        "age_s",
        pl.col(metric).cast(pl.Float64).alias("value"),
    ).with_columns(_group_key(by), _unit_key(keys))
    curves = _with_pending(curves, frame, keys, tolerance)
    reported = slim.filter(pl.col(metric).is_not_null())
    last = (
        reported.with_columns(_age_seconds().alias("__a"))
        .sort([*keys, "observed_at"])
        .group_by(keys, maintain_order=True)
        .agg(
            pl.col("__a").last().alias("current_age_s"),
            pl.col(metric).last().cast(pl.Float64).alias("current_value"),
            pl.col("observed_at").last().alias("current_at"),
        )
    )
    extras = [c for c in _EXTRAS if c in frame.columns and c not in (*keys, *by)]
    static = (
        frame.sort([*keys, "observed_at"])
        .group_by(keys, maintain_order=True)
        .agg(pl.col(c).last() for c in ("published_at", *by, *extras) if c not in keys)
    )
    posts = (
        static.join(last, on=keys, how="left", nulls_equal=True)
        .with_columns(_group_key(by), _unit_key(keys))
        .sort(keys)
    )
    return _Curves(curves, posts, keys, by, grid, is_demo(frame), extras, frame)


def _with_pending(
    curves: pl.DataFrame, frame: pl.DataFrame, keys: list[str], tolerance: float
) -> pl.DataFrame:
    """``curves`` with ``__pending``: the unit was observed at (or after) the age but has no value
    there because its snapshots around it hold placeholder zeros (:data:`PLACEHOLDER_CAVEATS`)."""
    if not _has_caveats(frame) or curves.is_empty():
        return curves.with_columns(pl.lit(False).alias("__pending"))
    seen = frame.group_by(keys).agg(_age_seconds().max().alias("__maxa"))
    missing = (
        curves.filter(pl.col("value").is_null())
        .join(seen, on=keys, how="left", nulls_equal=True)
        .filter(pl.col("__maxa") >= pl.col("age_s") * (1 - tolerance))
        .select(*keys, "age_s")
    )
    pending = (
        _caveats_around(frame, missing, keys, "age_s")
        .filter(_pending())
        .select(*keys, "age_s", pl.lit(True).alias("__pending"))
        .unique()
    )
    return curves.join(
        pending, on=[*keys, "age_s"], how="left", nulls_equal=True, maintain_order="left"
    ).with_columns(pl.col("__pending").fill_null(False))


def _now(c: _Curves, now: datetime | None) -> datetime | None:
    if now is not None:
        if not isinstance(now, datetime) or now.tzinfo is None:
            raise ValueError(f"now must be a timezone-aware datetime, got {now!r}")
        return now
    latest = c.posts["current_at"].max()
    return latest if isinstance(latest, datetime) else None


def _window(
    posts: pl.DataFrame, now: datetime | None, lookback: str | timedelta | None
) -> pl.DataFrame:
    """The units published in the ``lookback`` window before ``now`` (all before ``now`` when
    ``lookback`` is None)."""
    return posts.filter(_in_window(now, lookback)).select("__u")


def _in_window(now: datetime | None, lookback: str | timedelta | None) -> pl.Expr:
    """True where ``published_at`` lies in the ``lookback`` window before ``now`` (any time
    before ``now`` when ``lookback`` is None; any known time when ``now`` is None)."""
    pub = pl.col("published_at")
    keep = pub.is_not_null()
    if now is not None:
        keep = keep & (pub <= now)
        if lookback is not None:
            keep = keep & (pub >= now - parse_duration(lookback))
    return keep


def _typical(c: _Curves, reference: pl.DataFrame, min_posts: int) -> pl.DataFrame:
    """Per group and grid age: ``n``, median and bands over the non-null values of the curves of
    the ``reference`` units (every group of ``c`` has its rows, ``n`` 0 when none is there)."""
    by, grid = c.by, c.grid
    groups = c.curves.select("__g", *by).unique(subset="__g", maintain_order=True)
    curves = c.curves.join(reference, on="__u", how="semi")
    ages = pl.DataFrame(
        {"age": [g[0] for g in grid], "age_s": [g[1] for g in grid]},
        schema={"age": pl.String, "age_s": pl.Float64},
    )
    v = pl.col("value")
    stats = (
        curves.filter(v.is_not_null())
        .group_by("__g", "age_s")
        .agg(
            pl.len().cast(pl.Int64).alias("n"),
            v.median().alias("median"),
            v.quantile(0.25, "linear").alias("q25"),
            v.quantile(0.75, "linear").alias("q75"),
            v.quantile(0.10, "linear").alias("q10"),
            v.quantile(0.90, "linear").alias("q90"),
        )
    )
    # past posts observed at the age whose numbers were not reported yet (placeholder zeros)
    pending = (
        curves.filter(pl.col("__pending"))
        .group_by("__g", "age_s")
        .agg(pl.len().cast(pl.Int64).alias("__pend"))
    )
    out = (
        groups.join(ages, how="cross")
        .join(stats, on=["__g", "age_s"], how="left")
        .join(pending, on=["__g", "age_s"], how="left")
        .with_columns(pl.col("n").fill_null(0), pl.col("__pend").fill_null(0))
    )
    enough = pl.col("n") >= min_posts
    waiting = ~enough & (pl.col("__pend") > 0)
    bands = ("median", "q25", "q75", "q10", "q90")
    return out.with_columns(
        *(pl.when(enough).then(pl.col(b)).alias(b) for b in bands),
        pl.when(enough)
        .then(pl.lit("ok"))
        .when(waiting)
        .then(pl.lit("not_reported_yet"))
        .otherwise(pl.lit("not_enough_history"))
        .alias("status"),
        pl.when(enough)
        .then(pl.lit(""))
        .when(waiting)
        .then(
            pl.format(
                "numbers not reported yet: {} past posts observed at {} had only placeholder "
                "zeros there ({}); {} with numbers, fewer than {}",
                pl.col("__pend"),
                pl.col("age"),
                pl.lit(", ".join(PLACEHOLDER_CAVEATS)),
                pl.col("n"),
                pl.lit(min_posts),
            )
        )
        .otherwise(
            pl.format(
                "not enough history: {} past posts observed at {}, fewer than {}",
                pl.col("n"),
                pl.col("age"),
                pl.lit(min_posts),
            )
        )
        .alias("reason"),
        (pl.col("age_s") / 3600).alias("age_h"),
    ).sort("__g", "age_s")


def _typical_at(typical: pl.DataFrame, targets: pl.DataFrame) -> pl.DataFrame:
    """``targets`` (``__g``, ``__t``: an age in seconds) with the typical curve at that age:
    ``median``, bands, ``n`` and ``status``, interpolated linearly between the grid ages around
    it (null outside the grid); also ``__lo_s``, ``__hi_s`` and ``__w`` for the reference posts."""
    cols = ["median", "q25", "q75", "q10", "q90"]
    pts = typical.select("__g", "age_s", "n", "status", *cols).sort("age_s")
    lo = pts.rename({c: f"__lo_{c}" for c in ["age_s", "n", "status", *cols]})
    hi = pts.rename({c: f"__hi_{c}" for c in ["age_s", "n", "status", *cols]})
    t = targets.with_row_index("__row").sort("__t")
    t = t.join_asof(
        lo, left_on="__t", right_on="__lo_age_s", by="__g", strategy="backward",
        check_sortedness=False,
    ).join_asof(
        hi, left_on="__t", right_on="__hi_age_s", by="__g", strategy="forward",
        check_sortedness=False,
    )  # fmt: skip
    la, ha, a = pl.col("__lo_age_s"), pl.col("__hi_age_s"), pl.col("__t")
    w = pl.when(ha == la).then(0.0).otherwise((a - la) / (ha - la))
    t = t.with_columns(w.alias("__w"))
    inside = la.is_not_null() & ha.is_not_null()
    out = t.with_columns(
        *(
            pl.when(inside)
            .then(
                pl.col(f"__lo_{c}")
                + (pl.col(f"__hi_{c}") - pl.col(f"__lo_{c}")) * pl.col("__w")
            )
            .alias(c)
            for c in cols
        ),
        pl.when(inside)
        .then(pl.when(pl.col("__w") == 0).then(pl.col("__lo_n")).otherwise(
            pl.min_horizontal("__lo_n", "__hi_n")))
        .alias("n"),
        pl.when(~inside)
        .then(pl.lit("too_young"))
        .when((pl.col("__lo_status") == "ok") & ((pl.col("__w") == 0) | (pl.col("__hi_status") == "ok")))
        .then(pl.lit("ok"))
        .otherwise(pl.lit("not_enough_history"))
        .alias("__tstatus"),
        la.alias("__lo_s"),
        ha.alias("__hi_s"),
    )  # fmt: skip
    drop = [
        c for c in out.columns if c.startswith(("__lo_", "__hi_")) and c not in ("__lo_s", "__hi_s")
    ]
    return out.drop(drop).sort("__row").drop("__row")


def _percentile(
    targets: pl.DataFrame, curves: pl.DataFrame, reference: pl.DataFrame
) -> pl.DataFrame:
    """Per target row (``__row``, ``__g``, ``__lo_s``, ``__hi_s``, ``__w``, ``value``): the share of
    reference posts below its value at the same age (ties count half), in percent."""
    ref = curves.join(reference, on="__u", how="semi").filter(pl.col("value").is_not_null())
    lo = ref.select("__g", "__u", pl.col("age_s").alias("__lo_s"), pl.col("value").alias("__rl"))
    hi = ref.select("__g", "__u", pl.col("age_s").alias("__hi_s"), pl.col("value").alias("__rh"))
    t = targets.filter(pl.col("value").is_not_null() & pl.col("__lo_s").is_not_null())
    t = t.select("__row", "__g", "__lo_s", "__hi_s", "__w", pl.col("value").alias("__v"))
    pairs = t.join(lo, on=["__g", "__lo_s"]).join(hi, on=["__g", "__hi_s", "__u"])
    r = pl.col("__rl") + (pl.col("__rh") - pl.col("__rl")) * pl.col("__w")
    return pairs.group_by("__row").agg(
        (
            100
            * (
                (r < pl.col("__v")).cast(pl.Float64) + 0.5 * (r == pl.col("__v")).cast(pl.Float64)
            ).mean()
        ).alias("percentile")
    )


def _statuses(n: pl.Expr, min_posts: int) -> pl.Expr:
    """The words of each ``status`` (``n`` fills the not-enough-history reason)."""
    expr: Any = pl.when(pl.col("status") == "not_enough_history").then(
        pl.format(
            "not enough history: {} past posts at this age, fewer than {}",
            n.fill_null(0),
            pl.lit(min_posts),
        )
    )
    codes = pl.col("caveats").cast(pl.List(pl.String)).fill_null(_NO_CAVEATS)
    for code, words in PLACEHOLDER_CAVEATS.items():
        pending = (pl.col("status") == "not_reported_yet") & codes.list.contains(code)
        expr = expr.when(pending).then(pl.lit(words))
    for status, words in INDEX_STATUSES.items():
        if status != "not_enough_history":
            expr = expr.when(pl.col("status") == status).then(pl.lit(words))
    return expr.otherwise(pl.lit("")).alias("reason")


# --------------------------------------------------------------------------- typical curves


def typical_curves(
    snapshots: pl.DataFrame | pl.LazyFrame,
    metric: str,
    *,
    ages: Sequence[str | timedelta] = DEFAULT_AGES,
    by: str | Sequence[str] = ("platform", "media_type"),
    lookback: str | timedelta | None = "90d",
    min_posts: int = 5,
    now: datetime | None = None,
    tolerance: float = 0.1,
    unit: Unit = "post",
) -> pl.DataFrame:
    """The typical cumulative curve of ``metric`` against post age, per ``by`` group.

    Built from the per-post curves (see the module) of the posts published in the ``lookback``
    window before ``now`` (default: the latest snapshot in ``snapshots``; ``lookback=None``: every
    post before ``now``). At each grid age a post counts only when it was observed at or after
    that age, so ``n`` can fall with age (old ages rest on older posts).

    Returns one row per group and age: the ``by`` columns, ``metric``, ``age``, ``age_s``,
    ``age_h``, ``n`` (posts with a value at that age), ``median``, ``q25``, ``q75``, ``q10``,
    ``q90``, ``status`` (``ok``, or ``not_enough_history`` when ``n < min_posts``: then the
    median and bands are null; ``not_reported_yet`` instead when some past posts observed at
    that age had only placeholder zeros there, a YouTube video still processing: see
    :data:`PLACEHOLDER_CAVEATS`) and ``reason`` in words.

    Raises:
        ValueError: a missing column, a metric that is not numeric, ``min_posts`` below 2, a bad
            age or look-back.

    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
    >>> h = dt.timedelta(hours=1)
    >>> f = pl.DataFrame({"post_id": [p for p in "abc" for _ in range(2)],
    ...     "platform": ["x"] * 6, "published_at": [t] * 6,
    ...     "observed_at": [t + h, t + 24 * h] * 3, "likes": [1, 10, 2, 20, 3, 30]})
    >>> typical_curves(f, "likes", ages=["1h", "24h"], by="platform", min_posts=3).select(
    ...     "age", "n", "median", "status").rows()
    [('1h', 3, 2.0, 'ok'), ('24h', 3, 20.0, 'ok')]
    """
    _check_common(min_posts, tolerance)
    by_cols = _by_list(by)
    if lookback is not None:
        parse_duration(lookback)
    c = _prepare(snapshots, metric, ages, by_cols, tolerance, unit, "typical_curves")
    ref = _window(c.posts, _now(c, now), lookback)
    typical = _typical(c, ref, min_posts)
    return typical.with_columns(pl.lit(metric).alias("metric")).select(
        *by_cols, "metric", "age", "age_s", "age_h", "n", "median", "q25", "q75", "q10", "q90",
        "status", "reason",
    )  # fmt: skip


# --------------------------------------------------------------------------- performance index


def performance_index(
    snapshots: pl.DataFrame | pl.LazyFrame,
    metric: str,
    *,
    at: str | timedelta | Sequence[str | timedelta] | None = None,
    ages: Sequence[str | timedelta] = DEFAULT_AGES,
    by: str | Sequence[str] = ("platform", "media_type"),
    lookback: str | timedelta | None = "90d",
    min_posts: int = 5,
    now: datetime | None = None,
    tolerance: float = 0.1,
    unit: Unit = "post",
) -> pl.DataFrame:
    """Each post's ``metric`` divided by the typical value at the same age, network and media type.

    ``at=None`` (default): at each post's current age (its latest snapshot that reported the
    metric; a post older than the last grid age is judged at that age, with its value there).
    ``at="24h"`` or a list of ages: at those ages (a post not observed at an age gets
    ``not_observed``). The typical value is :func:`typical_curves`' median at that age
    (interpolated linearly between grid ages), over the posts in the ``lookback`` window before
    ``now``; 1.0 is typical, 2.0 twice the typical post.

    Returns one row per post (and age): the post keys, the ``by`` columns, ``published_at``,
    ``metric``, ``age`` (``"latest"`` or the label), ``age_h`` (the age judged at), ``value``,
    ``typical``, ``q10``, ``q25``, ``q75``, ``q90`` (the bands at that age), ``index``,
    ``percentile`` (0-100: the share of the past posts at that age below the post's value, ties
    counting half; the post itself counts when it is in the window), ``n`` (past posts behind the
    typical value), ``status``, ``reason`` and, when the snapshots have them, ``text``, ``url``
    and ``campaign`` (from :func:`~ayr_analysis.campaigns.assign_campaigns`), then ``caveats``:
    the caveat codes of the post's snapshots around the age judged at (as
    :func:`~ayr_analysis.analysis.at_age` takes them: a YouTube video judged at 6 h during its
    processing window has ``youtube_processing``, which explains why it has no index; a post
    with no age, those of its latest snapshot). ``index`` and ``percentile`` are null unless
    ``status`` is ``ok``: ``not_enough_history`` (fewer than ``min_posts`` past posts),
    ``zero_typical`` (typical value 0: most past posts reported a real 0 at that age),
    ``not_reported``, ``not_reported_yet`` (only placeholder zeros there: YouTube still
    processing the video, see :data:`PLACEHOLDER_CAVEATS`), ``not_observed``,
    ``no_publication_time``, ``too_young`` (younger than the first grid age).

    Raises:
        ValueError: as :func:`typical_curves`.

    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
    >>> h = dt.timedelta(hours=1)
    >>> f = pl.DataFrame({"post_id": [p for p in "abc" for _ in range(2)],
    ...     "platform": ["x"] * 6, "published_at": [t] * 6,
    ...     "observed_at": [t + h, t + 24 * h] * 3, "likes": [1, 10, 2, 20, 3, 30]})
    >>> performance_index(f, "likes", ages=["1h", "24h"], by="platform", min_posts=3).select(
    ...     "post_id", "age_h", "index", "percentile").rows()
    [('a', 24.0, 0.5, 16.666666666666664), ('b', 24.0, 1.0, 50.0), ('c', 24.0, 1.5, 83.33333333333334)]
    """
    _check_common(min_posts, tolerance)
    by_cols = _by_list(by)
    if lookback is not None:
        parse_duration(lookback)
    c = _prepare(snapshots, metric, ages, by_cols, tolerance, unit, "performance_index")
    ref = _window(c.posts, _now(c, now), lookback)
    typical = _typical(c, ref, min_posts)
    targets = _caveats_around(c.frame, _index_targets(c, at), c.keys, "__t")
    return _judge(targets, typical, c, ref, metric, min_posts)


def _index_targets(
    c: _Curves, at: str | timedelta | Sequence[str | timedelta] | None
) -> pl.DataFrame:
    """Per post (and age): ``__g``, ``__u``, ``age``, ``__t`` (seconds), ``value``, ``__base``."""
    keep = [*c.keys, *(b for b in c.by if b not in c.keys), "published_at", "__g", "__u"]
    if at is None:
        keep += c.extras
        top_label, top = c.grid[-1]
        at_top = c.curves.filter(pl.col("age_s") == top).select(
            "__u", pl.col("value").alias("__vt")
        )
        posts = c.posts.join(at_top, on="__u", how="left")
        old = pl.col("current_age_s") > top
        base = (
            pl.when(pl.col("published_at").is_null())
            .then(pl.lit("no_publication_time"))
            .when(pl.col("current_value").is_null())
            .then(pl.lit("not_reported"))
            .when(old & pl.col("__vt").is_null())
            .then(pl.lit("not_observed"))
        )
        return posts.select(
            *keep,
            pl.lit("latest").alias("age"),
            pl.when(old).then(top).otherwise(pl.col("current_age_s")).alias("__t"),
            pl.when(old).then(pl.col("__vt")).otherwise(pl.col("current_value")).alias("value"),
            base.alias("__base"),
        )
    labels = [at] if isinstance(at, (str, timedelta)) else list(at)
    wanted = _grid(labels)
    known = {secs for _, secs in c.grid}
    rows = []
    reported = c.posts.select("__u", pl.col("current_value").is_not_null().alias("__ever"))
    for label, secs in wanted:
        if secs not in known:
            raise ValueError(
                f"at={label!r} is not one of the ages {[g[0] for g in c.grid]}: add it to ages="
            )
        part = c.curves.filter(pl.col("age_s") == secs).select(*keep, "value")
        if c.extras:
            part = part.join(c.posts.select("__u", *c.extras), on="__u", how="left")
        part = part.join(reported, on="__u", how="left").with_columns(
            pl.lit(label).alias("age"),
            pl.lit(secs).alias("__t"),
            pl.when(pl.col("published_at").is_null())
            .then(pl.lit("no_publication_time"))
            .when(~pl.col("__ever").fill_null(False))
            .then(pl.lit("not_reported"))
            .when(pl.col("value").is_null())
            .then(pl.lit("not_observed"))
            .alias("__base"),
        )
        rows.append(part.drop("__ever"))
    return pl.concat(rows)


def _judge(
    targets: pl.DataFrame,
    typical: pl.DataFrame,
    c: _Curves,
    ref: pl.DataFrame,
    metric: str,
    min_posts: int,
) -> pl.DataFrame:
    judged = _typical_at(typical, targets.with_columns(pl.col("__t").fill_null(-1.0)))
    judged = judged.with_row_index("__row")
    status = (
        pl.when(pl.col("__base").is_not_null())
        .then(pl.col("__base"))
        .when(pl.col("__tstatus") != "ok")
        .then(pl.col("__tstatus"))
        .when(pl.col("median") == 0)
        .then(pl.lit("zero_typical"))
        .otherwise(pl.lit("ok"))
    )
    judged = judged.with_columns(_not_reported_yet(status).alias("status"))
    pct = _percentile(judged.filter(pl.col("status") == "ok"), c.curves, ref)
    ok = pl.col("status") == "ok"
    out = judged.join(pct, on="__row", how="left").with_columns(
        pl.lit(metric).alias("metric"),
        pl.when(pl.col("__t") >= 0).then(pl.col("__t") / 3600).alias("age_h"),
        pl.col("median").alias("typical"),
        pl.when(ok).then(pl.col("value") / pl.col("median")).alias("index"),
        pl.when(ok).then(pl.col("percentile")).alias("percentile"),
        _statuses(pl.col("n"), min_posts),
    )
    by_extra = [b for b in c.by if b not in c.keys]
    return out.select(
        *c.keys, *by_extra, "published_at", "metric", "age", "age_h", "value", "typical",
        "q10", "q25", "q75", "q90", "index", "percentile", "n", "status", "reason", *c.extras,
        "caveats",
    ).sort([*c.keys, "age_h"], nulls_last=True)  # fmt: skip


# --------------------------------------------------------------------------- the forecast model

#: How the forecast's intercept ``b`` is chosen from the training posts' log growth:
#: ``"median_error"`` (default) minimises their median relative error, the backtest's score;
#: ``"median_growth"`` is their median log growth (the earlier estimate: it minimises the median
#: *log* error instead).
Intercept = Literal["median_error", "median_growth"]
INTERCEPTS: tuple[str, ...] = ("median_error", "median_growth")
#: The intercept :func:`forecast`, :func:`backtest` and the forecast alerts use unless told.
DEFAULT_INTERCEPT: Intercept = "median_error"


def _fit(
    curves: pl.DataFrame,
    train: pl.DataFrame,
    from_ages: list[float],
    horizon_s: float,
    coverage: float,
    min_posts: int,
    intercept: Intercept = DEFAULT_INTERCEPT,
) -> pl.DataFrame:
    """Per group and from-age: the log-linear model on the training units (``train``: ``__u``).

    ``y = log1p(v_horizon) - log1p(v_from)``, each training post's log growth; ``__qlo`` and
    ``__qhi`` its empirical quantiles, the interval; ``b`` (Szabo and Huberman's intercept) is
    :func:`_intercept`'s (``intercept="median_error"``) or the median growth
    (``"median_growth"``); ``typical_from`` and ``typical_h`` are the medians of the same posts at
    both ages (the baselines)."""
    cur = curves.join(train, on="__u", how="semi").filter(pl.col("value").is_not_null())
    at_h = cur.filter(pl.col("age_s") == horizon_s).select("__u", pl.col("value").alias("__vh"))
    pairs = (
        cur.filter(pl.col("age_s").is_in(from_ages))
        .select(
            "__g", "__u", "published_at", pl.col("age_s").alias("from_s"),
            pl.col("value").alias("__va"),
        )
        .join(at_h, on="__u")
        .with_columns((pl.col("__vh").log1p() - pl.col("__va").log1p()).alias("__y"))
    )  # fmt: skip
    alpha = (1 - coverage) / 2
    y = pl.col("__y")
    model = (
        pairs.group_by("__g", "from_s")
        .agg(
            pl.len().cast(pl.Int64).alias("n_train"),
            y.median().alias("__ymed"),
            y.quantile(alpha, "linear").alias("__qlo"),
            y.quantile(1 - alpha, "linear").alias("__qhi"),
            pl.col("__va").median().alias("__typ_from"),
            pl.col("__vh").median().alias("__typ_h"),
        )
        .filter(pl.col("n_train") >= min_posts)
    )
    if intercept == "median_growth":
        return model.rename({"__ymed": "__b"})
    return _intercept(pairs, model, alpha)


#: How many quantiles of the training growth, between the interval's ends, are tried as the
#: intercept (with 0 and the median): :func:`_intercept`.
_CANDIDATES = 81


def _intercept(pairs: pl.DataFrame, model: pl.DataFrame, alpha: float) -> pl.DataFrame:
    """``model`` with ``__b``: the intercept that minimises the training posts' median relative
    error ``|expm1(log1p(v_from) + b) - v_horizon| / v_horizon``.

    That is the M-estimate for the loss the backtest scores (the median relative error), where
    the median of the log growth minimises the median *log* error instead. They differ where the
    growth is not symmetric around its median: a count that has nearly stopped (many posts with
    no growth at all, a few with a little) or small integer counts, whose relative errors weigh
    small posts more. The candidates are ``_CANDIDATES`` empirical quantiles of the training growth
    between the interval's ends (``__qlo``, ``__qhi``: so the forecast stays inside its
    interval), plus 0 (no growth) and the median when they lie there; ties go to the candidate
    nearest the median growth. Only training posts are used, and those with a 0 at the horizon
    have no relative error and do not vote (as in the backtest). With no such post, ``b`` is the
    median growth."""
    levels = [alpha + (1 - 2 * alpha) * k / (_CANDIDATES - 1) for k in range(_CANDIDATES)]
    y = pl.col("__y")
    quantiles = (
        pairs.group_by("__g", "from_s")
        .agg(pl.concat_list([y.quantile(q, "linear") for q in levels]).alias("__b"))
        .explode("__b")
    )
    extra = model.select("__g", "from_s", pl.concat_list(pl.lit(0.0), "__ymed").alias("__b"))
    bounds = model.select("__g", "from_s", "__qlo", "__qhi", "__ymed")
    b = pl.col("__b")
    candidates = (
        pl.concat([quantiles, extra.explode("__b")])
        .join(bounds, on=["__g", "from_s"])
        .filter((b >= pl.col("__qlo")) & (b <= pl.col("__qhi")))
        .select("__g", "from_s", "__b", "__ymed")
        .unique()
    )
    vh = pl.col("__vh")
    scored = (
        pairs.filter(vh > 0)
        .select("__g", "from_s", "__va", "__vh")
        .join(candidates, on=["__g", "from_s"])
        .group_by("__g", "from_s", "__b", "__ymed")
        .agg((((1 + pl.col("__va")) * b.exp() - 1 - vh).abs() / vh).median().alias("__err"))
        .sort("__err", (b - pl.col("__ymed")).abs(), "__b")
        .group_by("__g", "from_s", maintain_order=True)
        .agg(b.first())
    )
    return (
        model.join(scored, on=["__g", "from_s"], how="left")
        .with_columns(pl.coalesce("__b", "__ymed").alias("__b"))
        .drop("__ymed")
    )


def _predict(targets: pl.DataFrame, model: pl.DataFrame) -> pl.DataFrame:
    """``targets`` (``__g``, ``from_s``, ``value_at``) with the forecast, its interval and the
    three baselines."""
    out = targets.join(model, on=["__g", "from_s"], how="left")

    def grown(col: str) -> pl.Expr:  # expm1(log1p(v) + b), exact when b is 0
        return (1 + pl.col("value_at")) * pl.col(col).exp() - 1

    has = pl.col("__b").is_not_null() & pl.col("value_at").is_not_null()
    return out.with_columns(
        pl.when(has).then(grown("__b")).alias("forecast"),
        pl.when(has).then(grown("__qlo")).alias("low"),
        pl.when(has).then(grown("__qhi")).alias("high"),
        pl.when(has).then(pl.col("__typ_h")).alias("typical"),
        pl.when(has).then(pl.col("value_at")).alias("stays"),
        pl.when(has & (pl.col("__typ_from") > 0))
        .then(pl.col("__typ_h") * pl.col("value_at") / pl.col("__typ_from"))
        .alias("scaled"),
        pl.col("n_train").fill_null(0),
    )


def _check_forecast(
    horizon: str | timedelta,
    grid: list[tuple[str, float]],
    coverage: float,
    intercept: str = DEFAULT_INTERCEPT,
) -> tuple[str, float, list[tuple[str, float]]]:
    if intercept not in INTERCEPTS:
        raise ValueError(f"intercept={intercept!r}: choose one of {', '.join(INTERCEPTS)}")
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be between 0 and 1 (e.g. 0.8), got {coverage!r}")
    h_label, h_s = age_label(horizon), parse_duration(horizon).total_seconds()
    before = [g for g in grid if g[1] < h_s]
    if not before:
        raise ValueError(f"horizon {h_label!r} must be later than the first age {grid[0][0]!r}")
    return h_label, h_s, before


def forecast(
    snapshots: pl.DataFrame | pl.LazyFrame,
    metric: str,
    *,
    horizon: str | timedelta = "7d",
    at: str | timedelta | None = None,
    ages: Sequence[str | timedelta] = DEFAULT_AGES,
    by: str | Sequence[str] = ("platform", "media_type"),
    lookback: str | timedelta | None = "90d",
    min_posts: int = 10,
    coverage: float = 0.8,
    now: datetime | None = None,
    tolerance: float = 0.1,
    unit: Unit = "post",
    intercept: Intercept = DEFAULT_INTERCEPT,
) -> pl.DataFrame:
    """Each post's expected ``metric`` at ``horizon`` from its observations so far.

    The model is Szabo and Huberman's log-linear one: ``log1p(value at horizon) = log1p(value at
    age) + b + noise``, fitted per ``by`` group and pair of ages (a grid age before the horizon,
    the horizon) on the past posts observed at both (published in the ``lookback`` window before
    ``now``, at least ``min_posts`` of them). ``log1p`` keeps a reported 0 usable. The forecast
    is ``expm1(log1p(value) + b)``; ``b`` is the value that minimises the training posts' median
    relative error ``|forecast - actual| / actual`` (the score :func:`backtest` reports), chosen
    among the quantiles of their log growth inside the interval, no growth (0) and the median
    growth (``intercept="median_growth"``: the median log growth instead, the earlier estimate;
    :func:`backtest` takes the same argument, to compare them); the ``coverage`` prediction
    interval (default 80%) puts the empirical 10th and 90th percentiles of that growth around the
    value now, so the forecast lies inside it.

    The forecast starts from ``at`` (a grid age) or, by default, from the latest grid age before
    the horizon that the post has reached (its value interpolated there). Baselines, from the
    same training posts: ``typical`` (the median post at the horizon), ``stays`` (the value
    now stays) and ``scaled`` (the typical value at the horizon times the post's index at its age).

    Returns one row per post: the post keys, the ``by`` columns, ``published_at``, ``metric``,
    ``from_age``, ``from_age_h``, ``value_at`` (the value at that age), ``horizon``,
    ``horizon_h``, ``forecast``, ``low``, ``high``, ``coverage``, ``typical``, ``stays``,
    ``scaled``, ``actual`` (the value at the horizon when the post is old enough), ``n_train``,
    ``status`` (``ok``, ``not_enough_history``, ``too_young``, ``not_reported``,
    ``not_reported_yet``, ``not_observed``, ``no_publication_time``), ``reason`` and ``caveats``
    (the caveat codes of the post's snapshots around ``from_age``, where the forecast starts;
    without one, around the latest grid age the post has reached, else those of its latest
    snapshot). A value that is a placeholder 0 (:data:`PLACEHOLDER_CAVEATS`: a YouTube video
    still processing) is not a starting point: the forecast starts from the latest age with a
    real number, and a post with none yet is ``not_reported_yet``, with the reason in words
    (``"numbers not reported yet: YouTube is still processing this video"``).

    Raises:
        ValueError: as :func:`typical_curves`; an unknown ``intercept``; a ``coverage`` outside
            (0, 1); a horizon not later than the first age; an ``at`` that is not a grid age
            before the horizon.

    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
    >>> h = dt.timedelta(hours=1)
    >>> f = pl.DataFrame({"post_id": [p for p in "abcd" for _ in range(2)],
    ...     "platform": ["x"] * 8, "published_at": [t] * 6 + [t + 40 * h] * 2,
    ...     "observed_at": [t + h, t + 24 * h] * 3 + [t + 41 * h, t + 41 * h],
    ...     "likes": [9, 99, 19, 199, 4, 49, 29, 29]})
    >>> fc = forecast(f, "likes", horizon="24h", ages=["1h", "24h"], by="platform", min_posts=3)
    >>> row = fc.filter(pl.col("post_id") == "d").row(0, named=True)
    >>> row["from_age"], row["value_at"], round(row["forecast"], 6), row["status"]
    ('1h', 29.0, 299.0, 'ok')
    """
    _check_common(min_posts, tolerance)
    by_cols = _by_list(by)
    if lookback is not None:
        parse_duration(lookback)
    grid_all = _grid([*ages, horizon])
    h_label, h_s, before = _check_forecast(horizon, grid_all, coverage, intercept)
    c = _prepare(snapshots, metric, [g[0] for g in grid_all], by_cols, tolerance, unit, "forecast")
    from_ages = [g[1] for g in before]
    if at is not None:
        a = parse_duration(at).total_seconds()
        if a not in from_ages:
            raise ValueError(f"at={age_label(at)!r}: forecast from one of {[g[0] for g in before]}")
        from_ages = [a]
    return _forecast_from(
        c, metric, h_label, h_s, from_ages, _window(c.posts, _now(c, now), lookback), by_cols,
        coverage=coverage, min_posts=min_posts, intercept=intercept,
    )  # fmt: skip


def _forecast_from(
    c: _Curves,
    metric: str,
    h_label: str,
    h_s: float,
    from_ages: list[float],
    ref: pl.DataFrame,
    by_cols: list[str],
    *,
    coverage: float,
    min_posts: int,
    intercept: Intercept,
    every_age: bool = False,
    only: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """:func:`forecast`'s answer on prepared curves: one row per post from the latest of
    ``from_ages`` it has a value at or, with ``every_age``, one row per post and from-age it has
    a value at (what :func:`alerts` judges: every forecast a post has had, in one pass);
    ``only`` (``__u``): the units forecast (the model is fitted on ``ref`` all the same)."""
    model = _fit(c.curves, ref, from_ages, h_s, coverage, min_posts, intercept)
    if every_age:
        targets = _every_age_targets(c, from_ages, h_s)
    else:
        targets = _forecast_targets(c, from_ages, h_s)
    if only is not None:
        targets = targets.join(only, on="__u", how="semi")
    # the caveats around the age the forecast starts from or, with no value at any age the post
    # has reached, around the latest of those ages (a YouTube video still processing there)
    targets = _caveats_around(c.frame, targets, c.keys, "__cav_s")
    out = _predict(targets, model)
    labels = {secs: label for label, secs in c.grid}
    status = (
        pl.when(pl.col("published_at").is_null())
        .then(pl.lit("no_publication_time"))
        .when(pl.col("current_value").is_null())
        .then(pl.lit("not_reported"))
        .when(pl.col("from_s").is_null() & pl.col("__cav_s").is_null())
        .then(pl.lit("too_young"))
        .when(pl.col("value_at").is_null())
        .then(pl.lit("not_observed"))
        .when(pl.col("forecast").is_null())
        .then(pl.lit("not_enough_history"))
        .otherwise(pl.lit("ok"))
    )
    by_extra = [b for b in by_cols if b not in c.keys]
    return (
        out.with_columns(_not_reported_yet(status).alias("status"))
        .with_columns(
            pl.lit(metric).alias("metric"),
            pl.col("from_s").replace_strict(labels, default=None, return_dtype=pl.String)
            .alias("from_age"),
            (pl.col("from_s") / 3600).alias("from_age_h"),
            pl.lit(h_label).alias("horizon"),
            pl.lit(h_s / 3600).alias("horizon_h"),
            pl.lit(coverage).alias("coverage"),
            _statuses(pl.col("n_train"), min_posts),
        )
        .select(
            *c.keys, *by_extra, "published_at", "metric", "from_age", "from_age_h", "value_at",
            "horizon", "horizon_h", "forecast", "low", "high", "coverage", "typical", "stays",
            "scaled", "actual", "n_train", "status", "reason", "caveats",
        )
        .sort([*c.keys, "from_age_h"], nulls_last=True)
    )  # fmt: skip


def _every_age_targets(c: _Curves, from_ages: list[float], h_s: float) -> pl.DataFrame:
    """Per post and each of ``from_ages`` at which it has a value: ``from_s``, ``value_at``, the
    value at the horizon (``actual``) and ``__cav_s`` (= ``from_s``)."""
    at = c.curves.filter(pl.col("age_s").is_in(from_ages) & pl.col("value").is_not_null()).select(
        "__u", pl.col("age_s").alias("from_s"), pl.col("value").alias("value_at")
    )
    actual = c.curves.filter(pl.col("age_s") == h_s).select("__u", pl.col("value").alias("actual"))
    return (
        c.posts.join(at, on="__u", how="inner")
        .join(actual, on="__u", how="left")
        .with_columns(pl.col("from_s").alias("__cav_s"))
        .sort("__u", "from_s")
    )


def _forecast_targets(c: _Curves, from_ages: list[float], h_s: float) -> pl.DataFrame:
    """Per post: the latest from-age at which it has a value (``from_s``), its value there and at
    the horizon (``actual``); ``__cav_s``: ``from_s`` or, without one, the latest from-age its
    snapshots have reached (null when it is younger than all of them)."""
    reached = (
        c.curves.filter(pl.col("age_s").is_in(from_ages))
        .filter(pl.col("value").is_not_null())
        .sort("age_s")
        .group_by("__u")
        .agg(pl.col("age_s").last().alias("from_s"), pl.col("value").last().alias("value_at"))
    )
    oldest = (
        c.frame.select(_age_seconds().alias("__a"), _unit_key(c.keys))
        .group_by("__u")
        .agg(pl.col("__a").max())
    )
    ages = pl.Series("__s", sorted(from_ages), pl.Float64)
    seen = (
        oldest.join(pl.DataFrame(ages), how="cross")
        .filter(pl.col("__s") <= pl.col("__a"))
        .group_by("__u")
        .agg(pl.col("__s").max().alias("__seen_s"))
    )
    actual = c.curves.filter(pl.col("age_s") == h_s).select("__u", pl.col("value").alias("actual"))
    return (
        c.posts.join(reached, on="__u", how="left")
        .join(seen, on="__u", how="left")
        .join(actual, on="__u", how="left")
        .with_columns(pl.coalesce("from_s", "__seen_s").alias("__cav_s"))
        .drop("__seen_s")
    )


# --------------------------------------------------------------------------- backtest


@dataclass(frozen=True)
class Backtest:
    """The result of :func:`backtest`.

    ``predictions``: one row per held-out post and forecast age: the post keys, the ``by``
    columns, ``published_at``, ``fold_start`` (the time the model was fitted at: only posts whose
    horizon had passed by then trained it), ``train_last_published`` (the newest training post),
    ``from_age``, ``from_age_h``, ``value_at``, ``actual``, ``forecast``, ``low``, ``high``,
    ``inside`` (the actual value within the interval), ``typical``, ``stays``, ``scaled``,
    ``n_train`` and the relative errors ``err_model``, ``err_typical``, ``err_stays``,
    ``err_scaled`` (``|predicted - actual| / actual``; null when the actual value is 0).
    ``summary``: per ``report_by`` group and forecast age, ``n`` (posts scored), ``model``,
    ``typical``, ``stays``, ``scaled`` (median relative errors), ``coverage`` (share of the
    actual values inside the interval), ``model_best`` (the model's error below every
    baseline's) and ``enough`` (``n >= min_scored``).
    """

    predictions: pl.DataFrame
    summary: pl.DataFrame
    metric: str
    horizon: str
    coverage: float
    demo: bool = False


def backtest(
    snapshots: pl.DataFrame | pl.LazyFrame,
    metric: str,
    *,
    horizon: str | timedelta = "7d",
    ages: Sequence[str | timedelta] = DEFAULT_AGES,
    by: str | Sequence[str] = ("platform", "media_type"),
    report_by: str | Sequence[str] = "platform",
    lookback: str | timedelta | None = "90d",
    min_posts: int = 10,
    coverage: float = 0.8,
    step: str | timedelta = "7d",
    min_scored: int = 20,
    tolerance: float = 0.1,
    unit: Unit = "post",
    intercept: Intercept = DEFAULT_INTERCEPT,
) -> Backtest:
    """How far to trust :func:`forecast`: the model and its baselines scored in time order.

    Time is cut in folds of ``step`` (7 days) from the first publication. For each fold the model
    is fitted as :func:`forecast` fits it, at the fold's start, on the posts whose horizon had
    passed by then (published at least ``horizon`` before the fold, and within ``lookback``), and
    predicts the posts published during the fold from each grid age before the horizon. So no
    post is ever predicted by a model fitted on a newer post, nor on a value observed after its
    own forecast was made. Held-out posts need a value at the horizon; relative errors leave out
    actual values of 0 (counted in ``n`` only for coverage).

    Returns a :class:`Backtest` (its ``summary``: per network and forecast age, ``n``, the median
    relative error of the model and of each baseline, and the interval's coverage).

    Raises:
        ValueError: as :func:`forecast`; a ``step`` of 0.
    """
    _check_common(min_posts, tolerance)
    by_cols = _by_list(by)
    report = _by_list(report_by)
    missing = [r for r in report if r not in by_cols and r not in ("platform", "post_id")]
    if missing:
        raise ValueError(f"report_by {missing} must be among by={by_cols}")
    step_s = parse_duration(step)
    if step_s <= timedelta(0):
        raise ValueError("step must be longer than 0 (e.g. '7d')")
    look = parse_duration(lookback) if lookback is not None else None
    grid_all = _grid([*ages, horizon])
    h_label, h_s, before = _check_forecast(horizon, grid_all, coverage, intercept)
    c = _prepare(snapshots, metric, [g[0] for g in grid_all], by_cols, tolerance, unit, "backtest")
    from_ages = [g[1] for g in before]
    labels = {secs: label for label, secs in c.grid}
    horizon_td = timedelta(seconds=h_s)
    timed = c.posts.filter(pl.col("published_at").is_not_null())
    actual = c.curves.filter(pl.col("age_s") == h_s).select("__u", pl.col("value").alias("actual"))
    held = (
        c.curves.filter(pl.col("age_s").is_in(from_ages))
        .select("__u", pl.col("age_s").alias("from_s"), pl.col("value").alias("value_at"))
        .join(actual, on="__u")
        .filter(pl.col("actual").is_not_null() & pl.col("value_at").is_not_null())
    )
    parts = []
    if timed.height:
        first, last = timed["published_at"].min(), timed["published_at"].max()
        assert isinstance(first, datetime) and isinstance(last, datetime)
        start = first + horizon_td
        while start <= last:
            end = start + step_s
            pub = pl.col("published_at")
            train_keep = pub <= start - horizon_td
            if look is not None:
                train_keep = train_keep & (pub >= start - look)
            train = timed.filter(train_keep)
            test = timed.filter((pub >= start) & (pub < end))
            start = end
            if train.height < min_posts or test.is_empty():
                continue
            model = _fit(
                c.curves, train.select("__u"), from_ages, h_s, coverage, min_posts, intercept
            )
            if model.is_empty():
                continue
            targets = test.join(held, on="__u")
            if targets.is_empty():
                continue
            pred = _predict(targets, model).filter(pl.col("forecast").is_not_null())
            parts.append(
                pred.with_columns(
                    pl.lit(end - step_s).alias("fold_start"),
                    pl.lit(train["published_at"].max()).alias("train_last_published"),
                )
            )
    by_extra = [b for b in by_cols if b not in c.keys]
    cols = [
        *c.keys, *by_extra, "published_at", "fold_start", "train_last_published", "from_age",
        "from_age_h", "value_at", "actual", "forecast", "low", "high", "inside", "typical",
        "stays", "scaled", "n_train", "err_model", "err_typical", "err_stays", "err_scaled",
    ]  # fmt: skip
    if parts:
        pred = pl.concat(parts, how="diagonal_relaxed")
    else:
        pred = timed.join(held, on="__u").clear().with_columns(
            *(pl.lit(None, pl.Float64).alias(x) for x in
              ("forecast", "low", "high", "typical", "stays", "scaled", "__b")),
            pl.lit(None, pl.Datetime("us", "UTC")).alias("fold_start"),
            pl.lit(None, pl.Datetime("us", "UTC")).alias("train_last_published"),
            pl.lit(0, pl.Int64).alias("n_train"),
        )  # fmt: skip
    act = pl.col("actual")

    def err(col: str) -> pl.Expr:
        return pl.when(act > 0).then((pl.col(col) - act).abs() / act).alias(f"err_{col}")

    pred = pred.with_columns(
        pl.col("from_s").replace_strict(labels, default=None, return_dtype=pl.String)
        .alias("from_age"),
        (pl.col("from_s") / 3600).alias("from_age_h"),
        # the interval's ends are computed in floating point: within 1e-9 counts as inside
        (
            (act >= pl.col("low") - _EPS * (1 + act.abs()))
            & (act <= pl.col("high") + _EPS * (1 + act.abs()))
        ).alias("inside"),
        err("forecast").alias("err_model"),
        err("typical"),
        err("stays"),
        err("scaled"),
    ).select(cols).sort("published_at", *c.keys, "from_age_h")  # fmt: skip
    summary = _summary(pred, report, min_scored, h_label)
    return Backtest(
        predictions=pred, summary=summary, metric=metric, horizon=h_label, coverage=coverage,
        demo=c.demo,
    )  # fmt: skip


def _summary(pred: pl.DataFrame, report: list[str], min_scored: int, horizon: str) -> pl.DataFrame:
    med = {
        "model": "err_model", "typical": "err_typical", "stays": "err_stays",
        "scaled": "err_scaled",
    }  # fmt: skip
    out = (
        pred.group_by(*report, "from_age", "from_age_h")
        .agg(
            pl.len().cast(pl.Int64).alias("n"),
            *(pl.col(col).median().alias(name) for name, col in med.items()),
            pl.col("inside").cast(pl.Float64).mean().alias("coverage"),
        )
        .with_columns(
            pl.lit(horizon).alias("horizon"),
            (
                (pl.col("model") < pl.col("typical"))
                & (pl.col("model") < pl.col("stays"))
                & (pl.col("model") < pl.col("scaled"))
            ).alias("model_best"),
            (pl.col("n") >= min_scored).alias("enough"),
        )
    )
    return out.select(
        *report, "from_age", "from_age_h", "horizon", "n", *med, "coverage", "model_best", "enough"
    ).sort(*report, "from_age_h")


# --------------------------------------------------------------------------- alerts

Band = Literal["10-90", "25-75"]

#: The posts :func:`alerts` and :func:`outlooks` judge (``posts=``): a frame with ``post_id``
#: (and ``platform``: then a post on one network), e.g. the snapshots of a selection, or post ids.
Posts = pl.DataFrame | Sequence[str]


def _asked(posts: Posts, what: str) -> pl.DataFrame:
    """``posts`` as a frame of post keys (``post_id``, and ``platform`` when given), checked."""
    if isinstance(posts, pl.LazyFrame):
        posts = posts.collect()
    if isinstance(posts, pl.DataFrame):
        need(posts, ["post_id"], f"{what}(posts=...)")
        keys = [k for k in POST_KEY if k in posts.columns]
        return posts.select(pl.col(k).cast(pl.String) for k in keys).unique()
    if isinstance(posts, str) or not all(isinstance(p, str) for p in posts):
        raise TypeError(
            f"{what}: posts= takes a frame with post_id (and platform) or a list of post ids, "
            f"not {posts!r}"
        )
    return pl.DataFrame({"post_id": list(dict.fromkeys(posts))}, schema={"post_id": pl.String})


def _only(
    frame: pl.DataFrame,
    metric: str,
    asked: pl.DataFrame,
    now: datetime | None,
    lookback: str | timedelta | None,
    unit: Unit,
    grid: list[tuple[str, float]],
) -> tuple[pl.DataFrame, datetime | None] | None:
    """What judging only the ``asked`` posts needs of ``frame``, at the unit of analysis: every
    row of those posts; of the other posts published in the ``lookback`` window before ``now``
    (the reference posts: the bands and the forecast model), the rows that their values at the
    ``grid`` ages come from (:func:`~.selection.bracketing`, on their values without placeholder
    zeros: the first and last value near each age, the latest snapshot); and ``now`` fixed from
    every snapshot (the latest that reported ``metric``, as :func:`typical_curves` takes it). So
    each number is the one computed over the whole frame. None when the frame cannot be read
    that way (a missing or non-numeric column, times without a time zone): the whole frame then."""
    if now is not None and (not isinstance(now, datetime) or now.tzinfo is None):
        return None  # the whole frame, whose reading says what is wrong with it
    cols = (*POST_KEY, "observed_at", "published_at", metric)
    if any(c not in frame.columns for c in cols) or not frame.schema[metric].is_numeric():
        return None
    times = [frame.schema[c] for c in ("observed_at", "published_at")]
    if any(not isinstance(t, pl.Datetime) or t.time_zone is None for t in times):
        return None
    frame = units(frame, unit)
    if now is None:
        reported = _without_placeholders(frame, metric).filter(pl.col(metric).is_not_null())
        latest = reported["observed_at"].max()
        now = latest if isinstance(latest, datetime) else None
    keep = _in_window(now, lookback)
    keys = [k for k in POST_KEY if k in asked.columns]
    post = list(POST_KEY)
    mine = frame.select(*post).unique().join(asked, on=keys, how="semi", nulls_equal=True)
    window = frame.filter(keep).select(*post).unique().join(mine, on=post, how="anti")
    rows = frame.with_row_index("__row")
    theirs = _without_placeholders(
        rows.join(window, on=post, how="semi", nulls_equal=True, maintain_order="left"), metric
    )
    kept = pl.concat([
        rows.join(mine, on=post, how="semi", nulls_equal=True, maintain_order="left"),
        bracketing(theirs, [secs for _, secs in grid], [metric]),
    ])  # fmt: skip
    return kept.sort("__row").drop("__row"), now


def for_posts(
    snapshots: pl.DataFrame | pl.LazyFrame,
    metric: str,
    posts: Posts,
    *,
    ages: Sequence[str | timedelta] = DEFAULT_AGES,
    horizon: str | timedelta = "7d",
    by: str | Sequence[str] = ("platform", "media_type"),
    lookback: str | timedelta | None = "90d",
    now: datetime | None = None,
    unit: Unit = "post",
) -> tuple[pl.DataFrame, datetime | None]:
    """What :func:`alerts` and :func:`outlooks` given ``posts=`` read of ``snapshots``, chosen
    once for both: the rows of ``posts``, and of the reference posts (those published in the
    ``lookback`` window before ``now``) the rows their values at the ``ages`` and the
    ``horizon`` come from; and ``now``, from every snapshot when not given. Returns that frame
    and ``now``: :func:`alerts` (``forecast=horizon``) and :func:`outlooks` on it, with the same
    ``posts``, ``now=now`` and the same other arguments, give the rows they give on
    ``snapshots`` (a dashboard that draws both for one selection).

    Raises:
        ValueError, TypeError: as :func:`alerts` for ``posts``; a bad age or look-back.
    """
    asked = _asked(posts, "for_posts")
    if lookback is not None:
        parse_duration(lookback)
    grid = _grid([*ages, horizon])
    frame = eager(snapshots)
    if metric in frame.columns:
        frame = _slim(frame, metric, _by_list(by), extras=True)
    found = _only(frame, metric, asked, now, lookback, unit, grid)
    return found if found is not None else (frame, now)


def _asked_units(c: _Curves, asked: pl.DataFrame) -> pl.DataFrame:
    """The ``__u`` of the units of ``c`` that belong to the ``asked`` posts."""
    keys = [k for k in POST_KEY if k in asked.columns]
    mine = c.posts.with_columns(pl.col(k).cast(pl.String).alias(f"__k_{k}") for k in keys)
    return mine.join(
        asked.rename({k: f"__k_{k}" for k in keys}), on=[f"__k_{k}" for k in keys], how="semi",
        nulls_equal=True,
    ).select("__u")  # fmt: skip


def alerts(
    snapshots: pl.DataFrame | pl.LazyFrame,
    metric: str,
    *,
    band: Band = "10-90",
    forecast: str | timedelta | None = "7d",
    ages: Sequence[str | timedelta] = DEFAULT_AGES,
    by: str | Sequence[str] = ("platform", "media_type"),
    lookback: str | timedelta | None = "90d",
    min_posts: int = 5,
    forecast_min_posts: int = 10,
    coverage: float = 0.8,
    now: datetime | None = None,
    tolerance: float = 0.1,
    unit: Unit = "post",
    posts: Posts | None = None,
) -> pl.DataFrame:
    """Posts running above or below their typical band, or heading out of it: one row per crossing.

    Two kinds of alert (column ``kind``):

    * ``"band"``: every snapshot of every post, from the first grid age to the last, is placed
      against the ``band`` (``"10-90"``: 10th-90th percentile, or ``"25-75"``) of
      :func:`typical_curves` at its age (interpolated between grid ages). A crossing starts at
      the first snapshot outside the band and ends when the post returns inside it.
    * ``"forecast"`` (unless ``forecast=None``): at each grid age before the horizon
      ``forecast`` (default ``"7d"``) that the post reached, its :func:`forecast` from that age
      (``at=``; ``forecast_min_posts`` past posts at least, the ``coverage`` interval) is placed
      against the ``band`` of the typical curve **at the horizon**. A crossing starts at the
      first age whose forecast lies outside that band and ends when a later age's forecast is
      back inside it: a post heading far above its band says so days before it gets there.

    Each crossing is one alert, however many snapshots (or ages) it lasts; a post that goes out
    again later makes a new one. No alert where the history is too thin: a snapshot whose band
    has fewer than ``min_posts`` past posts, a forecast without ``forecast_min_posts`` training
    posts, or a horizon whose band is ``not_enough_history``, is not judged.

    ``posts`` (a frame with ``post_id`` and ``platform``, e.g. the snapshots of a selection, or a
    list of post ids) judges only those posts: the others are read only as what the bands and the
    forecast model are made of (the posts published in the ``lookback`` window before ``now``),
    and ``now`` is still the latest snapshot of them all, so the rows are exactly those of the
    call without ``posts`` for these posts, for a fraction of the work on a long history.

    Returns one row per crossing, oldest first: the post keys, the ``by`` columns, ``metric``,
    ``kind``, ``direction`` (``"above"`` or ``"below"``), ``since`` (``observed_at`` of the
    crossing's first snapshot; for a forecast, the time the post reached the first age whose
    forecast was outside: publication plus that age), ``since_age_h``, then at its latest
    judged snapshot (forecast: its latest judged age) ``observed_at`` (for a forecast,
    publication plus that age), ``age_h``, ``age`` (in words, e.g. ``"30h"``), ``value`` (the
    post's value there), ``typical``, ``low`` and ``high`` (the band: at that age; for a
    forecast, at the horizon), ``index`` (``value / typical``; for a forecast ``forecast /
    typical``, the index it is heading for; null when typical is 0), ``horizon``, ``forecast``,
    ``forecast_low`` and ``forecast_high`` (the forecast and its interval; null for a band
    alert), ``n`` (past posts behind the band), ``active`` (the post is still outside at its
    latest judged snapshot or age) and ``caveats`` (the caveat codes of the crossing's snapshots,
    or of those its forecasts started from, in order of first appearance).

    Raises:
        ValueError: as :func:`typical_curves` and :func:`forecast`; an unknown ``band``; a
            ``posts`` frame without ``post_id``.
        TypeError: ``posts`` neither a frame nor a list of post ids.

    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
    >>> h = dt.timedelta(hours=1)
    >>> f = pl.DataFrame({"post_id": [p for p in "abcde" for _ in range(2)],
    ...     "platform": ["x"] * 10, "published_at": [t] * 10,
    ...     "observed_at": [t + h, t + 24 * h] * 5,
    ...     "likes": [10, 100] * 4 + [10, 900]})
    >>> alerts(f, "likes", ages=["1h", "24h"], by="platform").select(
    ...     "post_id", "kind", "direction", "since_age_h", "value").rows()
    [('e', 'band', 'above', 24.0, 900.0)]

    A young post at ten times the typical first hour: above its band now (``band``), and its
    forecast at 24 h is far above the band at 24 h (``forecast``):

    >>> g = pl.concat([f, pl.DataFrame({"post_id": ["f"], "platform": ["x"],
    ...     "published_at": [t + 30 * h], "observed_at": [t + 31 * h], "likes": [100]})])
    >>> fa = alerts(g, "likes", ages=["1h"], forecast="24h", by="platform", min_posts=3,
    ...     forecast_min_posts=3)
    >>> fa.select("post_id", "kind", "since_age_h", "value", pl.col("forecast").round(1),
    ...     "high").rows()
    [('f', 'band', 1.0, 100.0, None, 55.0), ('f', 'forecast', 1.0, 100.0, 926.4, 580.0)]
    """
    if band not in BANDS:
        raise ValueError(f"band={band!r}: choose one of {', '.join(BANDS)}")
    _check_common(min_posts, tolerance)
    by_cols = _by_list(by)
    if lookback is not None:
        parse_duration(lookback)
    if forecast is not None:  # checked before any work
        _check_common(forecast_min_posts, tolerance)
        _check_forecast(forecast, _grid([*ages, forecast]), coverage)
    asked = _asked(posts, "alerts") if posts is not None else None
    frame = eager(snapshots)
    if forecast is not None and metric in frame.columns:
        frame = _slim(frame, metric, by_cols)  # read by five functions: the columns they use
    if asked is not None:  # the posts asked and the reference posts, with now from them all
        grid = _grid([*ages, forecast] if forecast is not None else ages)
        found = _only(frame, metric, asked, now, lookback, unit, grid)
        frame, now = found if found is not None else (frame, now)
    c = _prepare(frame, metric, ages, by_cols, tolerance, unit, "alerts")
    only = _asked_units(c, asked) if asked is not None else None
    ref = _window(c.posts, _now(c, now), lookback)
    typical = _typical(c, ref, min_posts)
    lo_col, hi_col = BANDS[band]
    first_s, top_s = c.grid[0][1], c.grid[-1][1]
    keys = c.keys
    if "caveats" in c.frame.columns and isinstance(c.frame.schema["caveats"], pl.List):
        codes = pl.col("caveats").cast(pl.List(pl.String)).fill_null(_NO_CAVEATS)
    else:
        codes = _NO_CAVEATS
    snaps = (
        c.frame.filter(pl.col(metric).is_not_null() & pl.col("published_at").is_not_null())
        .select(*keys, "observed_at", "published_at", pl.col(metric).cast(pl.Float64).alias("value"),
                codes.alias("caveats"))
        .with_columns(_age_seconds().alias("__t"), _unit_key(keys))
        .unique(subset=[*keys, "observed_at"], keep="last", maintain_order=True)
        .join(c.posts.select("__u", "__g", *(b for b in by_cols if b not in keys)), on="__u")
    )  # fmt: skip
    if only is not None:
        snaps = snaps.join(only, on="__u", how="semi")
    # a snapshot just before the first grid age (within tolerance) is judged at that age
    t = pl.col("__t")
    snaps = snaps.with_columns(
        pl.when((t < first_s) & (t >= first_s * (1 - tolerance))).then(first_s).otherwise(t)
        .alias("__t")
    ).filter((pl.col("__t") >= first_s) & (pl.col("__t") <= top_s * (1 + tolerance)))  # fmt: skip
    snaps = snaps.with_columns(pl.min_horizontal("__t", pl.lit(top_s)).alias("__t"))
    judged = _typical_at(typical, snaps).filter(pl.col("__tstatus") == "ok")
    judged = judged.with_columns(
        pl.col("median").alias("typical"),
        pl.col(lo_col).alias("low"),
        pl.col(hi_col).alias("high"),
        pl.col("value").alias("__judged"),
    )
    by_extra = [b for b in by_cols if b not in keys]
    out = _crossings(judged, [*keys, *by_extra]).with_columns(
        pl.lit("band").alias("kind"),
        pl.lit(None, pl.String).alias("horizon"),
        *(pl.lit(None, pl.Float64).alias(x) for x in ("forecast", "forecast_low", "forecast_high")),
        pl.when(pl.col("typical") != 0).then(pl.col("value") / pl.col("typical")).alias("index"),
    )
    if forecast is not None:
        ahead = _forecast_alerts(
            frame, c, typical, metric, forecast, band, ages, by_cols, lookback,
            forecast_min_posts, min_posts, coverage, now, tolerance, unit, only,
        )  # fmt: skip
        out = pl.concat([out, ahead.select(out.columns)], how="vertical_relaxed")
    out = out.with_columns(
        pl.lit(metric).alias("metric"),
        pl.col("age_h").map_elements(_hours_label, return_dtype=pl.String).alias("age"),
    )
    return out.select(
        *keys, *by_extra, "metric", "kind", "direction", "since", "since_age_h", "observed_at",
        "age_h", "age", "value", "typical", "low", "high", "index", "horizon", "forecast",
        "forecast_low", "forecast_high", "n", "active", "caveats",
    ).sort("since", *keys, "kind")  # fmt: skip


def _crossings(judged: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    """One row per run of consecutive judged rows of a unit (``__u``, in ``observed_at`` order)
    outside ``low``-``high`` (``__judged`` is the number placed against them): its first row's
    time and age, its last row's numbers, and whether the unit's last judged row is in it."""
    v = pl.col("__judged")
    state = pl.when(v > pl.col("high")).then(pl.lit("above")).when(v < pl.col("low"))
    judged = (
        judged.with_columns(state.then(pl.lit("below")).otherwise(pl.lit("inside")).alias("__state"))
        .sort("__u", "observed_at")
        .with_columns(
            (pl.col("__state") != pl.col("__state").shift().over("__u"))
            .fill_null(True)
            .cum_sum()
            .over("__u")
            .alias("__run"),
            (pl.col("observed_at") == pl.col("observed_at").max().over("__u")).alias("__lastsnap"),
        )
    )  # fmt: skip
    extra = [x for x in ("forecast", "forecast_low", "forecast_high", "horizon")
             if x in judged.columns]  # fmt: skip
    return (
        judged.filter(pl.col("__state") != "inside")
        .group_by("__u", "__run", maintain_order=True)
        .agg(
            *(pl.col(k).first() for k in cols),
            pl.col("__state").first().alias("direction"),
            pl.col("observed_at").first().alias("since"),
            (pl.col("__t").first() / 3600).alias("since_age_h"),
            pl.col("observed_at").last(),
            (pl.col("__t").last() / 3600).alias("age_h"),
            pl.col("value").last(),
            pl.col("typical").last(),
            pl.col("low").last(),
            pl.col("high").last(),
            *(pl.col(x).last() for x in extra),
            pl.col("n").last(),
            pl.col("__lastsnap").last().alias("active"),
            pl.col("caveats")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .unique(maintain_order=True),
        )
        .drop("__u", "__run")
    )


def _forecast_alerts(
    frame: pl.DataFrame,
    c: _Curves,
    typical: pl.DataFrame,
    metric: str,
    horizon: str | timedelta,
    band: Band,
    ages: Sequence[str | timedelta],
    by_cols: list[str],
    lookback: str | timedelta | None,
    forecast_min_posts: int,
    min_posts: int,
    coverage: float,
    now: datetime | None,
    tolerance: float,
    unit: Unit,
    only: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The ``forecast`` crossings of :func:`alerts`: :func:`forecast` from each grid age before
    the horizon, placed against the band at the horizon (of the units ``only``, when given)."""
    h_label, h_s, before = _check_forecast(horizon, _grid([*ages, horizon]), coverage)
    lo_col, hi_col = BANDS[band]
    # the curves at the grid ages and the horizon: the forecast's and the band's there
    if any(secs == h_s for _, secs in c.grid):
        more = c
    else:
        more = _prepare(frame, metric, [*ages, horizon], by_cols, tolerance, unit, "alerts")
    ref = _window(more.posts, _now(more, now), lookback)
    at_h = (typical if more is c else _typical(more, ref, min_posts)).filter(pl.col("age_s") == h_s)
    at_h = at_h.filter(pl.col("status") == "ok").select(
        "__g", pl.col("median").alias("typical"), pl.col(lo_col).alias("low"),
        pl.col(hi_col).alias("high"), "n",
    )  # fmt: skip
    # every forecast each post has had (one per grid age before the horizon), in one pass
    fc = _forecast_from(
        more, metric, h_label, h_s, [secs for _, secs in before], ref, by_cols,
        coverage=coverage, min_posts=forecast_min_posts, intercept=DEFAULT_INTERCEPT, every_age=True,
        only=only,
    ).filter(pl.col("status") == "ok")  # fmt: skip
    fc = fc.with_columns(_group_key(by_cols))
    keys, by_extra = c.keys, [b for b in by_cols if b not in c.keys]
    reached = pl.col("published_at") + pl.duration(seconds=pl.col("from_age_h") * 3600)
    fc = fc.rename({"low": "forecast_low", "high": "forecast_high"}).drop("typical")
    judged = fc.join(at_h, on="__g").select(
        *keys, *by_extra, _unit_key(keys),
        reached.alias("observed_at"),
        (pl.col("from_age_h") * 3600).alias("__t"),
        pl.col("value_at").alias("value"),
        "typical", "low", "high", "n",
        pl.col("forecast").alias("__judged"),
        "forecast", "forecast_low", "forecast_high",
        pl.lit(h_label).alias("horizon"),
        pl.col("caveats").cast(pl.List(pl.String)).fill_null(_NO_CAVEATS),
    )  # fmt: skip
    return _crossings(judged, [*keys, *by_extra]).with_columns(
        pl.lit("forecast").alias("kind"),
        pl.when(pl.col("typical") != 0).then(pl.col("forecast") / pl.col("typical")).alias("index"),
    )


def _hours_label(hours: float) -> str:
    if hours >= 48 and math.isclose(hours % 24, 0, abs_tol=0.05):
        return f"{round(hours / 24)}d"
    if hours >= 1:
        return f"{hours:.0f}h"
    return f"{hours * 60:.0f}m"


# --------------------------------------------------------------------------- summaries for charts


def index_distribution(index: pl.DataFrame, by: str | Sequence[str] = "campaign") -> pl.DataFrame:
    """The distribution of :func:`performance_index` per ``by`` group (e.g. per campaign).

    An index compares each post with the typical post of its own network and media type, so a
    campaign is not rewarded for its network mix. ``index`` is the frame
    :func:`performance_index` returns (with a ``campaign`` column when its snapshots had one:
    see :func:`~ayr_analysis.campaigns.assign_campaigns`; rows whose group is null are left out).

    Returns one row per group: the ``by`` columns, ``n`` (posts with an index), ``median``,
    ``q25``, ``q75``, ``q10``, ``q90`` (of the index), ``above`` (share of posts above 1.0),
    ``networks`` (how many networks the posts are on), ``excluded`` (posts without an index)
    and ``why_excluded`` (their statuses, counted), ``caveats`` and ``caveat_posts`` (the caveat
    codes of the group's posts, with and without an index, and how many posts carry each:
    :func:`~ayr_analysis.analysis.caveat_counts`). Groups are sorted by median, best first.

    Raises:
        ValueError: ``index`` lacks the ``by`` columns or is not a performance index.

    >>> import polars as pl
    >>> idx = pl.DataFrame({"post_id": list("abcd"), "platform": ["x", "y", "x", "x"],
    ...     "campaign": ["A", "A", "B", "B"], "index": [1.0, 3.0, 0.5, None],
    ...     "status": ["ok", "ok", "ok", "not_enough_history"]})
    >>> index_distribution(idx).select("campaign", "n", "median", "networks", "excluded").rows()
    [('A', 2, 2.0, 2, 0), ('B', 1, 0.5, 1, 1)]
    """
    index = eager(index)
    groups = _by_list(by)
    need(index, [*groups, "platform", "index", "status"], "index_distribution")
    work = index.filter(pl.all_horizontal(pl.col(g).is_not_null() for g in groups))
    ok = pl.col("status") == "ok"
    i = pl.col("index").filter(ok)
    why = (
        work.filter(~ok)
        .group_by(*groups, "status")
        .len()
        .sort("status")
        .group_by(groups, maintain_order=True)
        .agg(pl.format("{} {}", pl.col("len"), pl.col("status")).str.join("; ").alias("why"))
    )
    out = work.group_by(groups).agg(
        ok.sum().cast(pl.Int64).alias("n"),
        i.median().alias("median"),
        i.quantile(0.25, "linear").alias("q25"),
        i.quantile(0.75, "linear").alias("q75"),
        i.quantile(0.10, "linear").alias("q10"),
        i.quantile(0.90, "linear").alias("q90"),
        (i > 1).mean().alias("above"),
        pl.col("platform").filter(ok).n_unique().cast(pl.Int64).alias("networks"),
        (~ok).sum().cast(pl.Int64).alias("excluded"),
    )
    return (
        out.join(why, on=groups, how="left", nulls_equal=True)
        .with_columns(pl.col("why").fill_null("").str.replace_all("_", " ").alias("why_excluded"))
        .drop("why")
        .sort(["median", *groups], descending=[True] + [False] * len(groups), nulls_last=True)
        .pipe(with_caveats, work, groups)
    )


@dataclass(frozen=True)
class PostOutlook:
    """One post against its typical band, with its forecast: the result of :func:`post_outlook`.

    ``post``: the post's keys, network, media type (and text, url when known). ``points``: its
    snapshots (``observed_at``, ``age_h``, ``value``). ``typical``: the :func:`typical_curves`
    rows of its group. ``index``: its :func:`performance_index` row (at its current age).
    ``forecast``: its :func:`forecast` row (``horizon``, ``forecast``, ``low``, ``high``...).
    """

    post: dict[str, object]
    points: pl.DataFrame
    typical: pl.DataFrame
    index: pl.DataFrame
    forecast: pl.DataFrame
    metric: str
    horizon: str
    demo: bool = False


def _one_post(
    frame: pl.DataFrame | pl.LazyFrame, post_id: str, platform: str | None
) -> tuple[pl.DataFrame, str]:
    """The snapshots of one post (at the unit of analysis) and its network; a clear error when
    it is not there or is on several networks and ``platform`` is not given."""
    need(frame, list(POST_KEY), "post_outlook")
    mine = frame.filter(pl.col("post_id") == post_id)
    if platform is not None:
        mine = mine.filter(pl.col("platform") == platform)
    mine = units(eager(mine))
    networks = sorted(set(mine["platform"].drop_nulls().to_list()))
    if not networks:
        where = f" on {platform}" if platform else ""
        raise ValueError(f"post {post_id!r}{where} is not in the snapshots")
    if len(networks) > 1:
        raise ValueError(
            f"post {post_id!r} is on several networks ({', '.join(networks)}): pass platform="
        )
    return mine.filter(pl.col("platform") == networks[0]), networks[0]


@dataclass(frozen=True)
class Outlooks:
    """:func:`post_outlook` for any post of the snapshots, from one pass over them: the result
    of :func:`outlooks`. ``typical``, ``index`` and ``forecast`` are :func:`typical_curves`,
    :func:`performance_index` and :func:`forecast` of every post; :meth:`post` keeps what
    concerns one post (as :func:`post_outlook` gives it, which is this for one post)."""

    snapshots: pl.DataFrame
    typical: pl.DataFrame
    index: pl.DataFrame
    forecast: pl.DataFrame
    metric: str
    horizon: str
    by: tuple[str, ...]
    demo: bool = False

    def post(self, post_id: str, platform: str | None = None) -> PostOutlook:
        """The :class:`PostOutlook` of ``post_id`` (on ``platform``, needed when the post is on
        several networks). Raises ValueError as :func:`post_outlook`."""
        mine, network = _one_post(self.snapshots, post_id, platform)
        sel = (pl.col("post_id") == post_id) & (pl.col("platform") == network)
        row = self.index.filter(sel)
        if row.is_empty():
            raise ValueError(
                f"post {post_id!r} on {network} is not among the posts these outlooks are of "
                "(outlooks(..., posts=...))"
            )
        by_cols = list(self.by)
        info = row.select(
            *(
                c
                for c in dict.fromkeys((*POST_KEY, *by_cols, "published_at", *_EXTRAS))
                if c in row.columns
            )
        ).row(0, named=True)
        typical = self.typical
        group = pl.all_horizontal(
            pl.col(b).eq_missing(pl.lit(info.get(b), dtype=typical.schema[b])) for b in by_cols
        )
        metric = self.metric
        points = (
            _without_placeholders(mine, metric)
            .filter(pl.col(metric).is_not_null() & pl.col("published_at").is_not_null())
            .select(
                "observed_at",
                (_age_seconds() / 3600).alias("age_h"),
                pl.col(metric).cast(pl.Float64).alias("value"),
            )
            .unique(subset="observed_at", keep="last")
            .sort("observed_at")
        )
        return PostOutlook(
            post=info, points=points, typical=typical.filter(group), index=row,
            forecast=self.forecast.filter(sel), metric=metric, horizon=self.horizon,
            demo=self.demo,
        )  # fmt: skip


def outlooks(
    snapshots: pl.DataFrame | pl.LazyFrame,
    metric: str,
    *,
    horizon: str | timedelta = "7d",
    ages: Sequence[str | timedelta] = DEFAULT_AGES,
    by: str | Sequence[str] = ("platform", "media_type"),
    lookback: str | timedelta | None = "90d",
    min_posts: int = 5,
    forecast_min_posts: int = 10,
    coverage: float = 0.8,
    now: datetime | None = None,
    posts: Posts | None = None,
) -> Outlooks:
    """The typical curves, index and forecast of every post once, to draw any of them against
    its band: ``outlooks(...).post(post_id, platform)`` is ``post_outlook(..., post_id,
    platform)`` with the same arguments, without computing everything again for each post (a
    dashboard that draws whichever post its selection puts first).

    ``posts`` (as in :func:`alerts`: a frame with ``post_id`` and ``platform``, or post ids)
    keeps the index and forecast to those posts, computed from the reference posts of the
    ``lookback`` window with ``now`` from every snapshot: the same numbers as without it, for a
    fraction of the work; :meth:`Outlooks.post` then knows only those posts.

    Raises:
        ValueError: as :func:`forecast` and :func:`alerts` (``posts``).

    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
    >>> h = dt.timedelta(hours=1)
    >>> f = pl.DataFrame({"post_id": [p for p in "abc" for _ in range(2)],
    ...     "platform": ["x"] * 6, "published_at": [t] * 6,
    ...     "observed_at": [t + h, t + 24 * h] * 3, "likes": [1, 10, 2, 20, 3, 30]})
    >>> o = outlooks(f, "likes", horizon="24h", ages=["1h"], by="platform", min_posts=3)
    >>> o.post("c").index.select("post_id", "index").row(0)
    ('c', 1.5)
    """
    asked = _asked(posts, "outlooks") if posts is not None else None
    frame = eager(snapshots)
    demo = is_demo(frame)
    by_cols = _by_list(by)
    if metric in frame.columns:
        frame = _slim(frame, metric, by_cols, extras=True)
    if asked is not None:  # the posts asked and the reference posts, with now from them all
        grid = _grid([*ages, horizon])
        found = _only(frame, metric, asked, now, lookback, "post", grid)
        frame, now = found if found is not None else (frame, now)
    common = {"ages": ages, "by": by, "lookback": lookback, "now": now}
    if asked is None or _grid(ages) != _grid([*ages, horizon]):
        idx = performance_index(frame, metric, min_posts=min_posts, **common)  # type: ignore[arg-type]
        fc = forecast(
            frame, metric, horizon=horizon, min_posts=forecast_min_posts, coverage=coverage,
            **common,  # type: ignore[arg-type]
        )  # fmt: skip
        typical = typical_curves(frame, metric, min_posts=min_posts, **common)  # type: ignore[arg-type]
        if asked is not None:
            keys = [k for k in POST_KEY if k in asked.columns]
            idx, fc = (x.join(asked, on=keys, how="semi", nulls_equal=True) for x in (idx, fc))
    else:  # the horizon is a grid age: the three from one reading of the curves, as each does
        _check_common(min_posts, 0.1)
        _check_common(forecast_min_posts, 0.1)
        if lookback is not None:
            parse_duration(lookback)
        h_label, h_s, before = _check_forecast(horizon, _grid([*ages, horizon]), coverage)
        c = _prepare(frame, metric, ages, by_cols, 0.1, "post", "outlooks")
        only = _asked_units(c, asked)
        ref = _window(c.posts, _now(c, now), lookback)
        curves = _typical(c, ref, min_posts)
        typical = curves.with_columns(pl.lit(metric).alias("metric")).select(
            *by_cols, "metric", "age", "age_s", "age_h", "n", "median", "q25", "q75", "q10",
            "q90", "status", "reason",
        )  # fmt: skip
        targets = _index_targets(c, None).join(only, on="__u", how="semi")
        idx = _judge(
            _caveats_around(c.frame, targets, c.keys, "__t"), curves, c, ref, metric, min_posts
        )
        fc = _forecast_from(
            c, metric, h_label, h_s, [secs for _, secs in before], ref, by_cols,
            coverage=coverage, min_posts=forecast_min_posts, intercept=DEFAULT_INTERCEPT,
            only=only,
        )  # fmt: skip
    return Outlooks(
        snapshots=frame, typical=typical, index=idx, forecast=fc, metric=metric,
        horizon=age_label(horizon), by=tuple(by_cols), demo=demo,
    )  # fmt: skip


def post_outlook(
    snapshots: pl.DataFrame | pl.LazyFrame,
    metric: str,
    post_id: str,
    platform: str | None = None,
    *,
    horizon: str | timedelta = "7d",
    ages: Sequence[str | timedelta] = DEFAULT_AGES,
    by: str | Sequence[str] = ("platform", "media_type"),
    lookback: str | timedelta | None = "90d",
    min_posts: int = 5,
    forecast_min_posts: int = 10,
    coverage: float = 0.8,
    now: datetime | None = None,
) -> PostOutlook:
    """Everything to draw one post against its typical band (the "YouTube Studio" view).

    Runs :func:`typical_curves`, :func:`performance_index` and :func:`forecast` with the same
    arguments (``forecast_min_posts`` is the forecast's ``min_posts``) and keeps what concerns
    the post ``post_id`` on ``platform`` (needed when the post is on several networks). For
    several posts of the same snapshots, :func:`outlooks` computes those once.

    Raises:
        ValueError: the post is not in the snapshots, or is on several networks and
            ``platform`` is not given; and as :func:`forecast`.
    """
    frame = eager(snapshots)
    _, network = _one_post(frame, post_id, platform)  # checked before the work
    return outlooks(
        frame, metric, horizon=horizon, ages=ages, by=by, lookback=lookback,
        min_posts=min_posts, forecast_min_posts=forecast_min_posts, coverage=coverage, now=now,
    ).post(post_id, network)  # fmt: skip
