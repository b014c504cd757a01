"""Growth: how each post's numbers grow with its age, and the typical curve of a group.

Growth is **per post**: each post's own snapshots are interpolated to common ages since
publication (:func:`growth_curves`), and a group's median curve is taken over **the same posts at
every age** (a cohort), so for a cumulative count it never falls. Posts first observed long after
publication cannot say how they grew early on: they are left out of the curve and counted, never
drawn as a cross-section of old posts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import polars as pl

from ._base import (
    age_label,
    eager,
    has_caveats,
    is_demo,
    need,
    parse_duration,
    pending,
    without_placeholders,
)
from .selection import (
    Fill,
    Unit,
    _age_seconds,
    at_age,
    describe_exclusions,
    latest,
    unit_keys,
    units,
    with_caveats,
)

__all__ = ["GROWTH_AGES", "GrowthCurves", "growth", "growth_curves", "half_life"]

#: Ages of the growth grid (a post's curve is interpolated at these ages).
GROWTH_AGES: tuple[str, ...] = (
    "1h", "2h", "3h", "6h", "12h", "24h", "36h", "48h", "72h", "4d", "5d", "6d", "7d",
    "10d", "14d", "21d", "30d",
)  # fmt: skip


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
    snapshots = units(eager(snapshots))
    need(snapshots, ["observed_at", metric], "growth")
    snapshots = without_placeholders(snapshots, metric)  # a placeholder 0 is no observation
    keys = unit_keys(snapshots)
    age = (
        (_age_seconds() / 3600).alias("age_h")
        if "published_at" in snapshots.columns
        else pl.lit(None, pl.Float64).alias("age_h")
    )
    hours = (
        pl.col("observed_at") - pl.col("observed_at").shift().over(keys)
    ).dt.total_microseconds() / 3.6e9
    delta = pl.col("value") - pl.col("value").shift().over(keys)
    return (
        snapshots.filter(pl.col(metric).is_not_null())
        .sort([*keys, "observed_at"])
        .unique(subset=[*keys, "observed_at"], keep="last", maintain_order=True)
        .select(
            *keys,
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
    snapshots = units(eager(snapshots))
    need(snapshots, ["observed_at", "published_at", metric], "half_life")
    snapshots = without_placeholders(snapshots, metric)  # a placeholder 0 is no observation
    keys = unit_keys(snapshots)
    reported = snapshots.filter(pl.col(metric).is_not_null())
    last = latest(reported).select(
        *keys, pl.col(metric).cast(pl.Float64).alias("latest"), pl.len().over(keys).alias("n")
    )
    counts = reported.group_by(keys).agg(pl.len().alias("n_snapshots"))
    pts = reported.select(
        *keys, (_age_seconds() / 3600).alias("__h"), pl.col(metric).cast(pl.Float64).alias("__v")
    ).filter(pl.col("__h").is_not_null() & (pl.col("__h") >= 0))
    if from_publication:
        zero = (
            pts.select(keys)
            .unique()
            .with_columns(pl.lit(0.0).alias("__h"), pl.lit(0.0).alias("__v"))
        )
        pts = pl.concat([zero, pts]).unique(subset=[*keys, "__h"], keep="last", maintain_order=True)
    pts = (
        pts.sort([*keys, "__h"])
        .with_columns(
            pl.col("__h").shift().over(keys).alias("__ph"),
            pl.col("__v").shift().over(keys).alias("__pv"),
        )
        .join(last.select(*keys, "latest"), on=keys, how="inner", nulls_equal=True)
        .with_columns((pl.col("latest") / 2).alias("half"))
    )
    crossing = (
        pts.filter((pl.col("latest") > 0) & (pl.col("__v") >= pl.col("half")))
        .group_by(keys, maintain_order=True)
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
    crossing = crossing.select(*keys, t)
    return (
        last.select(*keys, "latest")
        .join(counts, on=keys, how="left", nulls_equal=True)
        .join(crossing, on=keys, how="left", nulls_equal=True)
        .with_columns(
            pl.lit(metric).alias("metric"),
            (pl.col("half_life_h") * 3.6e9)
            .cast(pl.Int64)
            .cast(pl.Duration("us"))
            .alias("half_life"),
        )
        .select(*keys, "metric", "latest", "n_snapshots", "half_life_h", "half_life")
        .sort(keys)
    )


@dataclass(frozen=True)
class GrowthCurves:
    """The result of :func:`growth_curves`.

    ``posts``: the cohort's per-post curves, one row per post, network and grid age (``group``,
    the post keys, ``label``, ``age``, ``age_h``, ``value``). ``curve``: per group and grid age,
    ``n`` (the cohort: the same posts at every age), ``median``, ``q25``, ``q75``, ``q10``,
    ``q90``, ``caveats`` and ``caveat_posts`` (the caveat codes of the cohort's posts at that
    age, and how many carry each). ``cohorts``: per group, ``n`` (posts in the cohort),
    ``horizon`` (the last age of the curve), ``excluded``, ``why_excluded``, ``caveats`` and
    ``caveat_posts`` (the codes of the group's posts at any grid age, in the cohort or left
    out, and how many posts carry each). :meth:`table` shows the latter two with the medians.
    """

    posts: pl.DataFrame
    curve: pl.DataFrame
    cohorts: pl.DataFrame
    metric: str
    by: str
    unit: str = "post"
    start: str = "1h"
    demo: bool = False

    def table(self, ages: Sequence[str] | None = None) -> pl.DataFrame:
        """The median per group at ``ages`` (default: every grid age), one column per age, with
        the cohort's ``n`` and ``horizon`` and its ``caveats`` and ``caveat_posts``; a cell
        beyond the group's horizon is null."""
        curve = self.curve if ages is None else self.curve.filter(pl.col("age").is_in(list(ages)))
        order = list(dict.fromkeys(curve.sort("age_h")["age"].to_list()))
        if ages is not None:
            order = [a for a in ages if a in order] + [a for a in ages if a not in order]
        wide = curve.pivot(on="age", index="group", values="median") if curve.height else None
        notes = [c for c in ("caveats", "caveat_posts") if c in self.cohorts.columns]
        out = self.cohorts.select("group", "n", "horizon", *notes)
        if wide is not None:
            out = out.join(wide, on="group", how="left")
        for a in order:
            if a not in out.columns:
                out = out.with_columns(pl.lit(None, pl.Float64).alias(a))
        return out.select("group", "n", "horizon", *order, *notes).sort("group")


def growth_curves(
    snapshots: pl.DataFrame | pl.LazyFrame,
    metric: str,
    by: str = "platform",
    *,
    ages: Sequence[str | timedelta] | None = None,
    max_age: str | timedelta | None = "7d",
    min_posts: int = 3,
    tolerance: float = 0.1,
    unit: Unit = "post",
    fill: Fill = "last_reported",
) -> GrowthCurves:
    """Per-post growth curves of ``metric`` and each ``by`` group's cohort median, by post age.

    Each post's snapshots are interpolated at the grid ``ages`` (default :data:`GROWTH_AGES` up
    to ``max_age``), never extrapolated. A group's cohort is the posts observed from the first
    grid age on and up to its ``horizon``: the longest age reached by at least ``min_posts``
    posts observed at every grid age before it. The median and the bands (25th-75th,
    10th-90th percentile) are taken over that same cohort at every age, so the median of a
    cumulative count never falls. Posts left out are counted per group with the reason: not
    reported, no publication time, first observed later than the first age, or observed for
    less than the horizon. A group with fewer than ``min_posts`` such posts has no curve.

    Snapshots are never taken at exact ages (a tracker asks on its own schedule, networks publish
    seconds after Ayrshare): a post's first snapshot up to ``tolerance`` (a share of the age,
    default 10%) after a grid age, or its last one up to that much before, counts as taken at
    that age. ``fill``: as in :func:`~.selection.at_age`.

    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
    >>> h = dt.timedelta(hours=1)
    >>> f = pl.DataFrame({"post_id": ["a", "a", "b", "b"], "platform": ["x"] * 4,
    ...     "published_at": [t] * 4, "observed_at": [t + h, t + 6 * h] * 2,
    ...     "likes": [10, 40, 20, 30]})
    >>> g = growth_curves(f, "likes", ages=["1h", "3h", "6h"], min_posts=2)
    >>> g.curve.select("age", "n", "median").rows()
    [('1h', 2, 15.0), ('3h', 2, 23.0), ('6h', 2, 35.0)]
    """
    if min_posts < 1:
        raise ValueError(f"min_posts must be at least 1, got {min_posts}")
    frame = units(eager(snapshots), unit)
    need(frame, ["observed_at", "published_at", metric, by], "growth_curves")
    frame = without_placeholders(frame, metric)  # a placeholder 0 is not reported (null)
    grid = _grid(ages, max_age)
    labels = [g[0] for g in grid]
    keys = unit_keys(frame)
    aligned = _with_edges(
        at_age(frame, labels, [metric], fill=fill), frame, keys, metric, tolerance
    )
    aligned = aligned.with_columns(pl.col(by).cast(pl.String).fill_null("(unknown)").alias("group"))
    reported = frame.group_by(keys).agg(pl.col(metric).is_not_null().any().alias("__ever"))
    first_age = labels[0]
    per_post = (
        aligned.group_by([*keys, "group"], maintain_order=True)
        .agg(
            pl.col("published_at").first().is_not_null().alias("__timed"),
            pl.col(metric).sort_by("age_s").is_not_null().alias("__has"),
            # no value at the first age because the network sent placeholder zeros there
            (
                pl.col(metric).sort_by("age_s").first().is_null()
                & (pending().sort_by("age_s").first() if has_caveats(aligned) else pl.lit(False))
            ).alias("__yet"),
        )
        .join(reported, on=keys, how="left", nulls_equal=True)
    )
    posts_rows, curve_rows, cohort_rows = [], [], []
    for group, part in per_post.group_by("group", maintain_order=True):
        name = group[0]
        reasons: dict[str, int] = {}
        reasons["not_reported"] = int((~part["__ever"].fill_null(False)).sum())
        timed = part.filter(pl.col("__ever").fill_null(False))
        reasons["no_publication_time"] = int((~timed["__timed"]).sum())
        timed = timed.filter(pl.col("__timed"))
        # how many leading grid ages each post covers without a gap
        covered = [_leading(h) for h in timed["__has"].to_list()]
        yet = timed["__yet"].fill_null(False).to_list()
        pending_first = sum(1 for c, y in zip(covered, yet, strict=True) if not c and y)
        late = sum(1 for c, y in zip(covered, yet, strict=True) if not c and not y)
        horizon = 0
        for k in range(len(labels), 0, -1):
            if sum(1 for c in covered if c >= k) >= min_posts:
                horizon = k
                break
        members = [i for i, c in enumerate(covered) if horizon and c >= horizon]
        extra = {"not_reported_yet": pending_first, "first_late": late}
        unseen = late + pending_first  # no value at the first age
        if horizon:
            extra["too_short"] = len(covered) - unseen - len(members)
        else:
            extra["too_few"] = len(covered) - unseen
        why = _why(reasons, extra, first_age, labels[horizon - 1] if horizon else None, min_posts)
        excluded = part.height - len(members)
        cohort_rows.append(
            (name, len(members), labels[horizon - 1] if horizon else None, excluded, why)
        )
        if not members:
            continue
        ids = timed[members].select(keys)
        cohort = aligned.join(ids, on=keys, how="semi", nulls_equal=True).filter(
            pl.col("age_s") <= grid[horizon - 1][1]
        )
        posts_rows.append(cohort)
        curve_rows.append(cohort)
    cohorts = pl.DataFrame(
        cohort_rows,
        schema={"group": pl.String, "n": pl.Int64, "horizon": pl.String, "excluded": pl.Int64,
                "why_excluded": pl.String},
        orient="row",
    )  # fmt: skip
    from .rankings import _with_label

    if posts_rows:
        cohort = pl.concat(posts_rows)
        posts = _with_label(cohort).select(
            "group", *keys, "label", "age", (pl.col("age_s") / 3600).alias("age_h"),
            pl.col(metric).alias("value"),
        )  # fmt: skip
        v = pl.col(metric)
        curve = (
            cohort.group_by("group", "age", "age_s")
            .agg(
                pl.len().cast(pl.Int64).alias("n"),
                v.median().alias("median"),
                v.quantile(0.25, "linear").alias("q25"),
                v.quantile(0.75, "linear").alias("q75"),
                v.quantile(0.10, "linear").alias("q10"),
                v.quantile(0.90, "linear").alias("q90"),
            )
            .with_columns((pl.col("age_s") / 3600).alias("age_h"))
            .sort("group", "age_s")
            .select("group", "age", "age_h", "n", "median", "q25", "q75", "q10", "q90")
            .pipe(with_caveats, cohort, ["group", "age"])
        )

    else:
        posts = pl.DataFrame(
            schema={"group": pl.String, **{k: frame.schema[k] for k in keys}, "label": pl.String,
                    "age": pl.String, "age_h": pl.Float64, "value": pl.Float64}
        )  # fmt: skip
        curve = pl.DataFrame(
            schema={"group": pl.String, "age": pl.String, "age_h": pl.Float64, "n": pl.Int64,
                    **{c: pl.Float64 for c in ("median", "q25", "q75", "q10", "q90")},
                    "caveats": pl.List(pl.String), "caveat_posts": pl.List(pl.Int64)}
        )  # fmt: skip
    # per group, the posts in the cohort and those left out (a caveat often says why), each once
    if "caveats" in aligned.columns:
        posts_of = aligned.group_by([*keys, "group"]).agg(
            pl.col("caveats").list.explode(keep_nulls=False, empty_as_null=False).unique()
        )
    else:
        posts_of = aligned.select(*keys, "group").unique()
    cohorts = with_caveats(cohorts, posts_of, ["group"])
    demo = is_demo(frame)
    return GrowthCurves(
        posts=posts, curve=curve, cohorts=cohorts.sort("group"), metric=metric, by=by,
        unit=unit, start=first_age, demo=demo,
    )  # fmt: skip


def _with_edges(
    aligned: pl.DataFrame, frame: pl.DataFrame, keys: list[str], metric: str, tolerance: float
) -> pl.DataFrame:
    """``aligned`` with a grid age just outside a post's observed range filled from its first
    (or last) reported snapshot when that snapshot is within ``tolerance`` of the age."""
    if tolerance < 0:
        raise ValueError(f"tolerance must be 0 or more (a share of the age), got {tolerance}")
    if tolerance == 0 or aligned.is_empty():
        return aligned
    pts = frame.filter(pl.col(metric).is_not_null()).with_columns(_age_seconds().alias("__a"))
    pts = pts.filter(pl.col("__a").is_not_null())
    edges = (
        pts.sort("__a")
        .group_by(keys)
        .agg(
            pl.col("__a").first().alias("__fa"),
            pl.col(metric).first().cast(pl.Float64).alias("__fv"),
            pl.col("__a").last().alias("__la"),
            pl.col(metric).last().cast(pl.Float64).alias("__lv"),
        )
    )
    a = pl.col("age_s")
    fill = (
        pl.when(pl.col(metric).is_not_null())
        .then(pl.col(metric))
        .when((pl.col("__fa") > a) & (pl.col("__fa") <= a * (1 + tolerance)))
        .then(pl.col("__fv"))
        .when((pl.col("__la") < a) & (pl.col("__la") >= a * (1 - tolerance)))
        .then(pl.col("__lv"))
    )
    return (
        aligned.join(edges, on=keys, how="left", nulls_equal=True, maintain_order="left")
        .with_columns(fill.alias(metric))
        .drop("__fa", "__fv", "__la", "__lv")
    )


def _grid(
    ages: Sequence[str | timedelta] | None, max_age: str | timedelta | None
) -> list[tuple[str, float]]:
    chosen = list(ages) if ages is not None else list(GROWTH_AGES)
    grid = sorted({parse_duration(a).total_seconds(): age_label(a) for a in chosen}.items())
    if max_age is not None and ages is None:
        limit = parse_duration(max_age).total_seconds()
        grid = [g for g in grid if g[0] <= limit]
    if not grid:
        raise ValueError("growth_curves needs at least one age (e.g. ages=['1h', '24h'])")
    return [(label, secs) for secs, label in grid]


def _leading(has: list[bool]) -> int:
    k = 0
    for h in has:
        if not h:
            break
        k += 1
    return k


def _why(
    reasons: dict[str, int],
    extra: dict[str, int],
    first: str,
    horizon: str | None,
    min_posts: int,
) -> str:
    text = describe_exclusions(reasons)
    parts = [text] if text else []
    if extra.get("not_reported_yet"):
        parts.append(f"{extra['not_reported_yet']} not reported yet at {first} (still processing)")
    if extra.get("first_late"):
        parts.append(f"{extra['first_late']} first observed later than {first} after publication")
    if extra.get("too_short"):
        parts.append(f"{extra['too_short']} not observed up to {horizon}")
    if extra.get("too_few"):
        parts.append(f"{extra['too_few']} observed from {first}: fewer than {min_posts}, no curve")
    return "; ".join(parts)
