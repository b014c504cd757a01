"""Metrics on the wide frame: engagement rates, equal-age alignment, growth, intervals, comparisons.

Every function takes and returns polars frames (except the two interval helpers, which return a
``(low, high)`` pair). Nothing here treats a null as 0: a post whose numbers were not reported is
left out of a calculation and counted as excluded, never filled in.

Frames with several observations of the same post (snapshots from the store) are reduced to the
latest observation per post, network and tweet, unless a function aligns them at an equal post
age first (``at_age=...``).

Randomness (bootstrap resamples, posterior draws) comes only from the ``seed`` argument, so every
result is reproducible.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from statistics import NormalDist
from typing import Literal

import polars as pl

from .schema import CANONICAL_METRICS

__all__ = [
    "DEFAULT_AGES",
    "Comparison",
    "at_age",
    "best_time_to_post",
    "bootstrap_median",
    "compare",
    "engagement_rate",
    "growth",
    "half_life",
    "parse_duration",
    "top_posts",
    "wilson",
]

DEFAULT_AGES: tuple[str, ...] = ("1h", "6h", "24h", "72h", "7d")
RATE_BASES = ("impressions", "reach", "views", "followers")
_UNIT_KEYS = ("post_id", "platform", "thread_position")
_SNAPSHOT_COLUMNS = ("observed_at", "fetched_at", "last_updated", "next_update")
_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")
_MAX_CELLS = 4_000_000  # resampled values materialised at once

# --------------------------------------------------------------------------- durations


def parse_duration(value: str | timedelta) -> timedelta:
    """Parse a post age such as ``"24h"``, ``"7d"``, ``"90m"`` or ``"1h30m"``.

    Units: ``w`` (weeks), ``d``, ``h``, ``m`` (minutes), ``s``, largest first, each at most once.

    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)
    >>> parse_duration("24")
    Traceback (most recent call last):
    ...
    ValueError: invalid duration '24': write a number and a unit (w, d, h, m, s), e.g. "24h", "7d", "90m", "1h30m"
    """
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise ValueError(f"duration {value} is negative: post ages start at 0")
        return value
    if not isinstance(value, str):
        raise TypeError(f"a duration is a string like '24h' or a timedelta, got {value!r}")
    text = value.strip().lower().replace(" ", "")
    hint = 'write a number and a unit (w, d, h, m, s), e.g. "24h", "7d", "90m", "1h30m"'
    parts = _DURATION_PART.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"invalid duration {value!r}: {hint}")
    units = [u for _, u in parts]
    order = list(_SECONDS)
    if len(set(units)) != len(units) or units != sorted(units, key=order.index):
        raise ValueError(f"invalid duration {value!r}: give each unit once, largest first ({hint})")
    return timedelta(seconds=sum(float(n) * _SECONDS[u] for n, u in parts))


def _age_label(value: str | timedelta) -> str:
    if isinstance(value, str):
        return value.strip()
    secs = int(value.total_seconds())
    out = ""
    for unit, size in _SECONDS.items():
        if secs >= size:
            out += f"{secs // size}{unit}"
            secs %= size
    return out or "0s"


# --------------------------------------------------------------------------- intervals


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(successes: float, trials: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``successes / trials``.

    >>> tuple(round(x, 4) for x in wilson(20, 100))
    (0.1334, 0.2888)
    """
    z = _z(confidence)
    if trials is None or successes is None:
        raise ValueError("wilson() needs numbers, not null: a missing count has no interval")
    if trials <= 0:
        raise ValueError(f"trials must be positive, got {trials!r}")
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and trials ({trials}), got {successes!r}")
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return (low, high)


def _wilson_exprs(s: pl.Expr, n: pl.Expr, confidence: float) -> tuple[pl.Expr, pl.Expr]:
    z = _z(confidence)
    p = s / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * (p * (1 - p) / n + z * z / (4 * n * n)).sqrt() / denom
    ok = (n > 0) & (s >= 0) & (s <= n)
    low = pl.when(ok & (s == 0)).then(0.0).when(ok).then(pl.max_horizontal(centre - half, 0.0))
    high = pl.when(ok & (s == n)).then(1.0).when(ok).then(pl.min_horizontal(centre + half, 1.0))
    return low, high


def _seed_for(seed: int, label: object) -> int:
    digest = hashlib.sha256(f"{seed}:{label}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % (2**63)


def _resampled(values: pl.Series, stat: str, n_resamples: int, seed: int) -> pl.Series:
    """``n_resamples`` bootstrap statistics of ``values`` (nulls already dropped)."""
    n = values.len()
    if n == 0:
        return pl.Series("stat", [], dtype=pl.Float64)
    values = values.cast(pl.Float64)
    per_chunk = max(1, _MAX_CELLS // n)
    out: list[pl.Series] = []
    done = 0
    chunk = 0
    while done < n_resamples:
        k = min(per_chunk, n_resamples - done)
        drawn = values.sample(n * k, with_replacement=True, seed=_seed_for(seed, f"chunk{chunk}"))
        frame = pl.DataFrame({"v": drawn, "r": pl.int_range(n * k, eager=True) // n})
        agg = getattr(pl.col("v"), stat)()
        out.append(frame.group_by("r").agg(agg.alias("stat")).sort("r")["stat"])
        done += k
        chunk += 1
    return pl.concat(out)


def _percentile_interval(stats: pl.Series, confidence: float) -> tuple[float | None, float | None]:
    _z(confidence)
    if stats.len() == 0:
        return (None, None)
    alpha = (1 - confidence) / 2
    return (
        stats.quantile(alpha, interpolation="linear"),
        stats.quantile(1 - alpha, interpolation="linear"),
    )


def bootstrap_median(
    values: Iterable[float | None] | pl.Series,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval for the median (nulls are dropped, not zeroed).

    Deterministic for a given ``seed``; ``(None, None)`` when there is no value.

    >>> low, high = bootstrap_median([3, 5, 8, 9, 12, 15, 40], seed=1)
    >>> low <= 9 <= high
    True
    >>> bootstrap_median([None, None])
    (None, None)
    """
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    s = values if isinstance(values, pl.Series) else pl.Series("v", list(values), strict=False)
    s = s.drop_nulls().cast(pl.Float64).drop_nans()
    return _percentile_interval(_resampled(s, "median", n_resamples, seed), confidence)


# --------------------------------------------------------------------------- helpers


def _units(frame: pl.DataFrame | pl.LazyFrame) -> list[str]:
    cols = frame.collect_schema().names() if isinstance(frame, pl.LazyFrame) else frame.columns
    return [c for c in _UNIT_KEYS if c in cols]


def _eager(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if not isinstance(frame, pl.DataFrame):
        raise TypeError(f"expected a polars DataFrame, got {type(frame).__name__}")
    return frame


def _latest(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per post, network and tweet: the latest observation."""
    units = _units(frame)
    if "age" in frame.columns and "observed_at" not in frame.columns:
        ages = frame["age"].unique().to_list()
        if len(ages) > 1:
            raise ValueError(
                f"the frame holds several post ages {sorted(map(str, ages))}: keep one "
                '(e.g. frame.filter(pl.col("age") == "24h")) or pass at_age=...'
            )
    if "observed_at" not in frame.columns or not units:
        return frame
    order = ["observed_at"] + (["fetched_at"] if "fetched_at" in frame.columns else [])
    return (
        frame.sort(order, nulls_last=False, maintain_order=True)
        .group_by(units, maintain_order=True)
        .last()
        .select(frame.columns)
    )


def _need(frame: pl.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs column(s) {missing}; the frame has {frame.columns}")


def _group_list(group_by: str | Sequence[str] | None) -> list[str]:
    if group_by is None:
        return []
    return [group_by] if isinstance(group_by, str) else list(group_by)


def _with_denominator(
    frame: pl.DataFrame, by: str, followers: pl.DataFrame | str | None
) -> pl.DataFrame:
    if by not in RATE_BASES:
        raise ValueError(f"by={by!r}: choose one of {', '.join(RATE_BASES)}")
    if by != "followers":
        _need(frame, [by], f"a rate per {by}")
        return frame.with_columns(pl.col(by).cast(pl.Float64).alias("__den"))
    if followers is None:
        followers = "followers"
    if isinstance(followers, str):
        _need(frame, [followers], "a rate per follower (pass followers=frame or a column name)")
        return frame.with_columns(pl.col(followers).cast(pl.Float64).alias("__den"))
    _need(followers, ["platform", "followers"], "the followers frame")
    table = followers.select("platform", pl.col("followers").cast(pl.Float64).alias("__den"))
    if table["platform"].is_duplicated().any():
        raise ValueError("the followers frame must have one row per platform")
    return frame.join(table, on="platform", how="left", maintain_order="left")


def _definition(numerator: str, by: str, form: str) -> str:
    kind = "ratio of sums" if form == "ratio" else "mean of post rates"
    return f"{numerator} / {by}, {kind}"


# --------------------------------------------------------------------------- engagement rate


def engagement_rate(
    frame: pl.DataFrame | pl.LazyFrame,
    by: Literal["impressions", "reach", "views", "followers"] = "impressions",
    form: Literal["mean", "ratio"] = "ratio",
    group_by: str | Sequence[str] | None = None,
    followers: pl.DataFrame | str | None = None,
    *,
    numerator: str = "engagements",
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> pl.DataFrame:
    """Engagement rate per group, in one of two stated forms, with an interval.

    * ``form="ratio"``: sum of engagements / sum of ``by`` over the posts ("ratio of sums"),
      with a Wilson interval on the pooled counts.
    * ``form="mean"``: the mean of each post's own rate ("mean of post rates"), with a
      percentile bootstrap interval over posts.

    A post counts only when both its engagements and its denominator were reported and the
    denominator is above 0; the others are counted in ``excluded``. With ``by="followers"``,
    ``followers`` is a frame of ``(platform, followers)`` or the name of a column.

    Output columns: the ``group_by`` columns, ``definition``, ``n_posts``, ``excluded``,
    ``numerator`` and ``denominator`` (sums over the counted posts), ``rate``, ``low``, ``high``,
    ``interval`` (the interval's method). Wilson bounds are null when engagements exceed the
    denominator (e.g. per follower), where a proportion's interval means nothing.

    >>> import polars as pl
    >>> f = pl.DataFrame({"post_id": ["a", "b", "c"], "platform": ["tiktok"] * 3,
    ...                   "engagements": [10, 30, 5], "impressions": [100, 200, None]})
    >>> r = engagement_rate(f)
    >>> r.select("definition", "n_posts", "excluded", "rate").row(0)
    ('engagements / impressions, ratio of sums', 2, 1, 0.13333333333333333)
    >>> engagement_rate(f, form="mean")["rate"].item()
    0.125
    """
    if form not in ("mean", "ratio"):
        raise ValueError(f"form={form!r}: choose 'ratio' (ratio of sums) or 'mean' (of post rates)")
    frame = _latest(_eager(frame))
    groups = _group_list(group_by)
    _need(frame, [numerator, *groups], "engagement_rate")
    work = _with_denominator(frame, by, followers).with_columns(
        pl.col(numerator).cast(pl.Float64).alias("__num")
    )
    valid = pl.col("__num").is_not_null() & pl.col("__den").is_not_null() & (pl.col("__den") > 0)
    work = work.with_columns(valid.fill_null(False).alias("__ok"))
    if not groups:
        work = work.with_columns(pl.lit(0).alias("__all"))
    keys = groups or ["__all"]
    ok = pl.col("__ok")
    agg = work.group_by(keys, maintain_order=True).agg(
        ok.sum().cast(pl.Int64).alias("n_posts"),
        (~ok).sum().cast(pl.Int64).alias("excluded"),
        pl.col("__num").filter(ok).sum().alias("numerator"),
        pl.col("__den").filter(ok).sum().alias("denominator"),
        (pl.col("__num") / pl.col("__den")).filter(ok).mean().alias("__mean"),
        (pl.col("__num") / pl.col("__den")).filter(ok).alias("__rates"),
    )
    has = pl.col("n_posts") > 0
    if form == "ratio":
        low, high = _wilson_exprs(pl.col("numerator"), pl.col("denominator"), confidence)
        out = agg.with_columns(
            pl.when(has).then(pl.col("numerator") / pl.col("denominator")).alias("rate"),
            pl.when(has).then(low).alias("low"),
            pl.when(has).then(high).alias("high"),
            pl.lit("wilson").alias("interval"),
        )
    else:
        bounds = []
        for key, rates in zip(agg.select(keys).rows(), agg["__rates"].to_list(), strict=True):
            stats = _resampled(
                pl.Series(rates, dtype=pl.Float64), "mean", n_resamples, _seed_for(seed, key)
            )
            bounds.append(_percentile_interval(stats, confidence))
        out = agg.with_columns(
            pl.col("__mean").alias("rate"),
            pl.Series("low", [b[0] for b in bounds], dtype=pl.Float64),
            pl.Series("high", [b[1] for b in bounds], dtype=pl.Float64),
            pl.lit("bootstrap").alias("interval"),
        )
    return out.with_columns(
        pl.lit(_definition(numerator, by, form)).alias("definition"),
        pl.when(has).then(pl.col("numerator")).alias("numerator"),
        pl.when(has).then(pl.col("denominator")).alias("denominator"),
    ).select(
        *groups,
        "definition",
        "n_posts",
        "excluded",
        "numerator",
        "denominator",
        "rate",
        "low",
        "high",
        "interval",
    )


# --------------------------------------------------------------------------- equal post age


def _age_seconds() -> pl.Expr:
    return (pl.col("observed_at") - pl.col("published_at")).dt.total_microseconds() / 1e6


def at_age(
    snapshots: pl.DataFrame | pl.LazyFrame,
    ages: Sequence[str | timedelta] | str | timedelta = DEFAULT_AGES,
    metrics: Sequence[str] | str | None = None,
) -> pl.DataFrame:
    """Each post's metrics at equal post ages, interpolated between snapshots.

    Age is ``observed_at - published_at``. For each age, the value is linearly interpolated
    between the last snapshot at or before it and the first one at or after it (for each metric
    separately, using only snapshots where that metric was reported). Outside the observed range
    the value is null (no extrapolation), except exactly on a snapshot. Metric columns come back
    as Float64 (an interpolated count is not whole).

    One row per post, network, tweet and age, with the post's other columns (text, url,
    campaign, ...) from its latest snapshot, plus ``age`` (the label asked for) and ``age_s``.

    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
    >>> f = pl.DataFrame({"post_id": ["a", "a"], "platform": ["tiktok"] * 2,
    ...     "published_at": [t, t], "observed_at": [t + dt.timedelta(hours=2),
    ...     t + dt.timedelta(hours=10)], "likes": [10, 50]})
    >>> at_age(f, ["6h", "1h"], "likes").select("age", "likes").rows()
    [('1h', None), ('6h', 30.0)]
    """
    snapshots = _eager(snapshots)
    _need(snapshots, ["observed_at", "published_at"], "at_age")
    if isinstance(ages, (str, timedelta)):
        ages = [ages]
    if metrics is None:
        metrics = [m for m in CANONICAL_METRICS if m in snapshots.columns]
    elif isinstance(metrics, str):
        metrics = [metrics]
    metrics = list(metrics)
    _need(snapshots, metrics, "at_age")
    parsed = [(_age_label(a), parse_duration(a).total_seconds()) for a in ages]
    seen: dict[float, str] = {}
    for label, secs in parsed:
        if secs in seen:
            raise ValueError(f"ages {seen[secs]!r} and {label!r} are the same age: give it once")
        seen[secs] = label
    units = _units(snapshots)
    if not units:
        raise ValueError("at_age needs post_id (and platform, thread_position) to follow posts")
    static_cols = [c for c in snapshots.columns if c not in metrics and c not in _SNAPSHOT_COLUMNS]
    static = _latest(snapshots).select(static_cols)
    targets = pl.DataFrame(
        {"age": [p[0] for p in parsed], "age_s": [float(p[1]) for p in parsed]},
        schema={"age": pl.String, "age_s": pl.Float64},
    )
    base = static.join(targets, how="cross").sort("age_s")
    order = ["observed_at"] + (["fetched_at"] if "fetched_at" in snapshots.columns else [])
    snaps = (
        snapshots.sort(order, nulls_last=False)
        .with_columns(_age_seconds().alias("__age"))
        .filter(pl.col("__age").is_not_null())
    )
    out = base
    for m in metrics:
        pts = (
            snaps.filter(pl.col(m).is_not_null())
            .select(*units, "__age", pl.col(m).cast(pl.Float64).alias("__v"))
            .unique(subset=[*units, "__age"], keep="last", maintain_order=True)
            .sort("__age")
        )
        lo = pts.rename({"__age": "__lo_age", "__v": "__lo"})
        hi = pts.rename({"__age": "__hi_age", "__v": "__hi"})
        joined = base.select(*units, "age_s").join_asof(
            lo,
            left_on="age_s",
            right_on="__lo_age",
            by=units,
            strategy="backward",
            check_sortedness=False,
        )
        joined = joined.sort("age_s").join_asof(
            hi,
            left_on="age_s",
            right_on="__hi_age",
            by=units,
            strategy="forward",
            check_sortedness=False,
        )
        a, la, ha = pl.col("age_s"), pl.col("__lo_age"), pl.col("__hi_age")
        value = (
            pl.when(la == a)
            .then(pl.col("__lo"))
            .when(ha == a)
            .then(pl.col("__hi"))
            .when(la.is_not_null() & ha.is_not_null())
            .then(pl.col("__lo") + (pl.col("__hi") - pl.col("__lo")) * (a - la) / (ha - la))
            .otherwise(None)
            .alias(m)
        )
        out = out.join(
            joined.select(*units, "age_s", value),
            on=[*units, "age_s"],
            how="left",
            nulls_equal=True,
            maintain_order="left",
        )
    return out.sort([*units, "age_s"]).select(*static_cols, "age", "age_s", *metrics)


def growth(snapshots: pl.DataFrame | pl.LazyFrame, metric: str) -> pl.DataFrame:
    """Change of ``metric`` between consecutive snapshots of each post, and its speed per hour.

    Only snapshots where the metric was reported are used; the first one has null ``delta``.
    Columns: the post keys, ``observed_at``, ``age_h`` (since publication, when known),
    ``metric``, ``value``, ``delta``, ``hours`` (since the previous snapshot), ``per_hour``.

    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
    >>> f = pl.DataFrame({"post_id": ["a"] * 3, "platform": ["x"] * 3, "observed_at":
    ...     [t, t + dt.timedelta(hours=2), t + dt.timedelta(hours=6)], "likes": [10, 30, 50]})
    >>> growth(f, "likes")["per_hour"].to_list()
    [None, 10.0, 5.0]
    """
    snapshots = _eager(snapshots)
    _need(snapshots, ["observed_at", metric], "growth")
    units = _units(snapshots)
    age = (
        (_age_seconds() / 3600).alias("age_h")
        if "published_at" in snapshots.columns
        else pl.lit(None, pl.Float64).alias("age_h")
    )
    hours = (
        pl.col("observed_at") - pl.col("observed_at").shift().over(units)
    ).dt.total_microseconds() / 3.6e9
    delta = pl.col("value") - pl.col("value").shift().over(units)
    return (
        snapshots.filter(pl.col(metric).is_not_null())
        .sort([*units, "observed_at"])
        .unique(subset=[*units, "observed_at"], keep="last", maintain_order=True)
        .select(
            *units,
            "observed_at",
            age,
            pl.lit(metric).alias("metric"),
            pl.col(metric).cast(pl.Float64).alias("value"),
        )
        .with_columns(delta.alias("delta"), hours.alias("hours"))
        .with_columns(
            pl.when(pl.col("hours") > 0).then(pl.col("delta") / pl.col("hours")).alias("per_hour")
        )
    )


def half_life(
    snapshots: pl.DataFrame | pl.LazyFrame, metric: str, *, from_publication: bool = True
) -> pl.DataFrame:
    """Time from publication until ``metric`` first reached half of its latest value.

    Interpolated linearly between the two snapshots around the crossing. With
    ``from_publication`` (default) the publication instant counts as a point where the count was
    0 (a post has no likes before it exists), so a first snapshot already past half still gives
    an answer; without it that answer is null (not observed). Null when the latest value is null
    or 0.

    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
    >>> h = dt.timedelta(hours=1)
    >>> f = pl.DataFrame({"post_id": ["a"] * 3, "platform": ["x"] * 3, "published_at": [t] * 3,
    ...     "observed_at": [t + 2 * h, t + 4 * h, t + 10 * h], "likes": [20, 40, 100]})
    >>> half_life(f, "likes")["half_life_h"].item()  # 50 likes: 4h + 6h * (50-40)/(100-40)
    5.0
    """
    snapshots = _eager(snapshots)
    _need(snapshots, ["observed_at", "published_at", metric], "half_life")
    units = _units(snapshots)
    reported = snapshots.filter(pl.col(metric).is_not_null())
    latest = _latest(reported).select(
        *units, pl.col(metric).cast(pl.Float64).alias("latest"), pl.len().over(units).alias("n")
    )
    counts = reported.group_by(units).agg(pl.len().alias("n_snapshots"))
    pts = reported.select(
        *units, (_age_seconds() / 3600).alias("__h"), pl.col(metric).cast(pl.Float64).alias("__v")
    ).filter(pl.col("__h").is_not_null() & (pl.col("__h") >= 0))
    if from_publication:
        zero = (
            pts.select(units)
            .unique()
            .with_columns(pl.lit(0.0).alias("__h"), pl.lit(0.0).alias("__v"))
        )
        pts = pl.concat([zero, pts]).unique(
            subset=[*units, "__h"], keep="last", maintain_order=True
        )
    pts = (
        pts.sort([*units, "__h"])
        .with_columns(
            pl.col("__h").shift().over(units).alias("__ph"),
            pl.col("__v").shift().over(units).alias("__pv"),
        )
        .join(latest.select(*units, "latest"), on=units, how="inner")
        .with_columns((pl.col("latest") / 2).alias("half"))
    )
    crossing = (
        pts.filter((pl.col("latest") > 0) & (pl.col("__v") >= pl.col("half")))
        .group_by(units, maintain_order=True)
        .first()
    )
    t = (
        pl.when(pl.col("__v") == pl.col("half"))
        .then(pl.col("__h"))
        .when(pl.col("__ph").is_not_null())
        .then(
            pl.col("__ph")
            + (pl.col("half") - pl.col("__pv"))
            * (pl.col("__h") - pl.col("__ph"))
            / (pl.col("__v") - pl.col("__pv"))
        )
        .alias("half_life_h")
    )
    crossing = crossing.select(*units, t)
    return (
        latest.select(*units, "latest")
        .join(counts, on=units, how="left")
        .join(crossing, on=units, how="left")
        .with_columns(
            pl.lit(metric).alias("metric"),
            (pl.col("half_life_h") * 3.6e9)
            .cast(pl.Int64)
            .cast(pl.Duration("us"))
            .alias("half_life"),
        )
        .select(*units, "metric", "latest", "n_snapshots", "half_life_h", "half_life")
        .sort(units)
    )


# --------------------------------------------------------------------------- per-post values


def _post_values(
    frame: pl.DataFrame | pl.LazyFrame,
    metric: str,
    at_age_: str | timedelta | None,
    rate_by: str,
    numerator: str,
    followers: pl.DataFrame | str | None = None,
) -> pl.DataFrame:
    """One row per post (aligned at an age or latest) with a Float64 ``value`` column."""
    frame = _eager(frame)
    is_rate = metric == "engagement_rate"
    if is_rate:
        need = [numerator] + ([rate_by] if rate_by != "followers" else [])
    else:
        if metric not in frame.columns:
            raise ValueError(
                f"unknown metric {metric!r}: use 'engagement_rate' or a metric column "
                f"({', '.join(m for m in CANONICAL_METRICS if m in frame.columns)})"
            )
        need = [metric]
    rows = at_age(frame, [at_age_], need) if at_age_ is not None else _latest(frame)
    if is_rate:
        rows = _with_denominator(rows, rate_by, followers)
        value = pl.when(pl.col("__den") > 0).then(pl.col(numerator) / pl.col("__den"))
        rows = rows.with_columns(value.cast(pl.Float64).alias("value"))
    else:
        rows = rows.with_columns(pl.col(metric).cast(pl.Float64).alias("value"))
    return rows


# --------------------------------------------------------------------------- comparisons


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare`.

    ``table``: one row per group (``group``, ``n``, ``excluded``, ``estimate``, ``low``,
    ``high``, ``rank``, and for rates ``numerator``/``denominator``), best first.
    ``beats``: ``group_a``, ``group_b``, ``p_a_beats_b`` for every ordered pair.
    ``method``: how the estimates, intervals and probabilities were made.
    """

    table: pl.DataFrame
    beats: pl.DataFrame
    metric: str
    at_age: str | None
    method: str

    def matrix(self) -> pl.DataFrame:
        """P(row group beats column group) as a square frame (diagonal null)."""
        order = self.table["group"].to_list()
        wide = self.beats.pivot(on="group_b", index="group_a", values="p_a_beats_b")
        for g in order:
            if g not in wide.columns:
                wide = wide.with_columns(pl.lit(None, pl.Float64).alias(g))
        return (
            wide.with_columns(
                pl.col("group_a").replace_strict({g: i for i, g in enumerate(order)}).alias("__o")
            )
            .sort("__o")
            .select("group_a", *order)
        )

    def __repr__(self) -> str:
        return (
            f"Comparison({self.metric!r} at {self.at_age or 'latest'}; {self.method})\n{self.table}"
        )


def compare(
    frame: pl.DataFrame | pl.LazyFrame,
    by: str = "campaign",
    metric: str = "engagement_rate",
    at_age: str | timedelta | None = "24h",
    rate_by: str = "impressions",
    seed: int = 0,
    *,
    numerator: str = "engagements",
    followers: pl.DataFrame | str | None = None,
    confidence: float = 0.95,
    n_resamples: int = 2000,
) -> Comparison:
    """Compare groups of posts (campaigns, networks, media types) on one metric, honestly.

    Posts are first aligned at the same age (``at_age``, interpolated; ``None`` = latest).

    * ``metric="engagement_rate"``: the estimate is the pooled rate (sum of ``numerator`` / sum
      of ``rate_by``) with a Wilson interval; P(A beats B) comes from Beta posteriors
      Beta(1 + engagements, 1 + denominator - engagements) per group, ``n_resamples`` draws
      each. This treats every impression as an independent trial, so with very large counts the
      intervals are narrow; compare with ``engagement_rate(form="mean")`` when posts vary a lot.
    * any count column (``likes``, ``views``, ...): the estimate is the median per post, with a
      percentile bootstrap interval; P(A beats B) is the share of paired bootstrap resamples
      where A's median is above B's (ties count half).

    Groups are ranked by the lower bound of their interval (a group must be credibly good to rank
    high). Posts with a null group are labelled ``"(none)"``. Deterministic for a ``seed``.

    >>> import polars as pl
    >>> f = pl.DataFrame({"post_id": list("abcdef"), "platform": ["tiktok"] * 6,
    ...     "campaign": ["A", "A", "A", "B", "B", "B"],
    ...     "engagements": [90, 110, 100, 10, 12, 8], "impressions": [1000] * 6})
    >>> c = compare(f, at_age=None)
    >>> c.table.select("group", "rank", "estimate").rows()
    [('A', 1, 0.1), ('B', 2, 0.01)]
    >>> round(c.beats.filter(pl.col("group_a") == "A")["p_a_beats_b"].item(), 3)
    1.0
    """
    frame = _eager(frame)
    _need(frame, [by], "compare")
    values = _post_values(frame, metric, at_age, rate_by, numerator, followers)
    values = values.with_columns(pl.col(by).cast(pl.String).fill_null("(none)").alias("group"))
    is_rate = metric == "engagement_rate"
    labels = sorted(values["group"].unique().to_list())
    draws: dict[str, list[float]] = {}
    rows = []
    if is_rate:
        ok = pl.col("value").is_not_null()
        agg = values.group_by("group").agg(
            ok.sum().cast(pl.Int64).alias("n"),
            (~ok).sum().cast(pl.Int64).alias("excluded"),
            pl.col(numerator).filter(ok).sum().cast(pl.Float64).alias("numerator"),
            pl.col("__den").filter(ok).sum().cast(pl.Float64).alias("denominator"),
        )
        low, high = _wilson_exprs(pl.col("numerator"), pl.col("denominator"), confidence)
        agg = agg.with_columns(
            pl.when(pl.col("n") > 0)
            .then(pl.col("numerator") / pl.col("denominator"))
            .alias("estimate"),
            pl.when(pl.col("n") > 0).then(low).alias("low"),
            pl.when(pl.col("n") > 0).then(high).alias("high"),
        )
        for r in agg.iter_rows(named=True):
            s, t = r["numerator"], r["denominator"]
            if r["n"] and t and 0 <= s <= t:
                rng = random.Random(_seed_for(seed, r["group"]))
                draws[r["group"]] = [rng.betavariate(1 + s, 1 + t - s) for _ in range(n_resamples)]
            rows.append(r)
        table = agg
        method = (
            f"{numerator} / {rate_by} pooled per group (ratio of sums); Wilson "
            f"{confidence:.0%} interval; P(A beats B) from Beta(1+s, 1+n-s) posterior draws"
        )
    else:
        out = []
        for g in labels:
            vals = values.filter(pl.col("group") == g)["value"]
            ok = vals.drop_nulls().drop_nans()
            stats = _resampled(ok, "median", n_resamples, _seed_for(seed, g))
            lo, hi = _percentile_interval(stats, confidence)
            draws[g] = stats.to_list() if stats.len() else []
            if not draws[g]:
                del draws[g]
            out.append(
                {
                    "group": g,
                    "n": ok.len(),
                    "excluded": vals.len() - ok.len(),
                    "estimate": ok.median() if ok.len() else None,
                    "low": lo,
                    "high": hi,
                }
            )
        table = pl.DataFrame(
            out,
            schema={
                "group": pl.String,
                "n": pl.Int64,
                "excluded": pl.Int64,
                "estimate": pl.Float64,
                "low": pl.Float64,
                "high": pl.Float64,
            },
        )
        method = (
            f"median {metric} per post; percentile bootstrap {confidence:.0%} interval "
            f"({n_resamples} resamples); P(A beats B) from paired bootstrap medians"
        )
    table = (
        table.sort(["low", "estimate", "group"], descending=[True, True, False], nulls_last=True)
        .with_row_index("rank", offset=1)
        .with_columns(pl.col("rank").cast(pl.Int64))
    )
    cols = ["group", "rank", "n", "excluded"]
    if is_rate:
        cols += ["numerator", "denominator"]
    table = table.select(*cols, "estimate", "low", "high")
    pairs = []
    for a in labels:
        for b in labels:
            if a == b:
                continue
            p = None
            if a in draws and b in draws:
                da, db = draws[a], draws[b]
                wins = sum((x > y) + 0.5 * (x == y) for x, y in zip(da, db, strict=True))
                p = wins / len(da)
            pairs.append({"group_a": a, "group_b": b, "p_a_beats_b": p})
    beats = pl.DataFrame(
        pairs, schema={"group_a": pl.String, "group_b": pl.String, "p_a_beats_b": pl.Float64}
    )
    age_label = _age_label(at_age) if at_age is not None else None
    return Comparison(table=table, beats=beats, metric=metric, at_age=age_label, method=method)


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def best_time_to_post(
    frame: pl.DataFrame | pl.LazyFrame,
    metric: str = "engagement_rate",
    at_age: str | timedelta | None = "24h",
    *,
    rate_by: str = "impressions",
    numerator: str = "engagements",
    tz: str = "UTC",
) -> pl.DataFrame:
    """Median ``metric`` (at an equal post age) by weekday and hour of publication.

    Columns: ``weekday`` (1 = Monday), ``weekday_name``, ``hour`` (in ``tz``), ``n`` (posts with a
    reported value), ``median``. Only cells with at least one post appear; read a cell with a
    small ``n`` as an anecdote.

    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2026, 8, 3, 9, tzinfo=dt.timezone.utc)  # a Monday
    >>> f = pl.DataFrame({"post_id": ["a", "b"], "platform": ["x", "x"],
    ...     "published_at": [t, t + dt.timedelta(days=1)], "likes": [10, 30]})
    >>> best_time_to_post(f, "likes", at_age=None).select("weekday_name", "hour", "median").rows()
    [('Mon', 9, 10.0), ('Tue', 9, 30.0)]
    """
    rows = _post_values(frame, metric, at_age, rate_by, numerator)
    _need(rows, ["published_at"], "best_time_to_post")
    local = pl.col("published_at").dt.convert_time_zone(tz)
    return (
        rows.filter(pl.col("published_at").is_not_null())
        .with_columns(
            local.dt.weekday().cast(pl.Int8).alias("weekday"),
            local.dt.hour().cast(pl.Int8).alias("hour"),
        )
        .group_by("weekday", "hour")
        .agg(
            pl.col("value").drop_nulls().len().cast(pl.Int64).alias("n"),
            pl.col("value").drop_nulls().median().alias("median"),
        )
        .with_columns(
            pl.col("weekday")
            .replace_strict(dict(enumerate(_WEEKDAYS, start=1)), return_dtype=pl.String)
            .alias("weekday_name")
        )
        .sort("weekday", "hour")
        .select("weekday", "weekday_name", "hour", "n", "median")
    )


def top_posts(
    frame: pl.DataFrame | pl.LazyFrame,
    metric: str,
    n: int = 10,
    at_age: str | timedelta | None = None,
    *,
    rate_by: str = "impressions",
    numerator: str = "engagements",
    by: str | Sequence[str] | None = None,
) -> pl.DataFrame:
    """The ``n`` posts with the highest ``metric`` (latest, or at an equal age), per group.

    Posts whose metric was not reported are left out (never ranked as 0). Adds ``metric`` (its
    name) and ``value``.

    >>> import polars as pl
    >>> f = pl.DataFrame({"post_id": ["a", "b", "c"], "platform": ["x"] * 3,
    ...                   "likes": [5, None, 9]})
    >>> top_posts(f, "likes", n=5)["post_id"].to_list()
    ['c', 'a']
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    rows = _post_values(frame, metric, at_age, rate_by, numerator)
    groups = _group_list(by)
    _need(rows, groups, "top_posts")
    ranked = rows.filter(pl.col("value").is_not_null() & pl.col("value").is_not_nan()).sort(
        "value", descending=True, maintain_order=True
    )
    ranked = ranked.group_by(groups, maintain_order=True).head(n) if groups else ranked.head(n)
    return ranked.with_columns(pl.lit(metric).alias("metric")).drop("__den", strict=False)
