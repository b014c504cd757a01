"""Selection: the unit of analysis, the latest observation, each post's value at an equal age.

**The unit of analysis is a post on one network**: an Ayrshare post sent to three networks is three
units. An X thread is **one** unit, by one rule (:func:`units`): its count metrics (likes,
impressions, replies, ...) are summed over the tweets of one fetch (a sum is null only when no
tweet reported the metric), everything else (text, url, publication time, media type, averages and
rates such as ``completion_rate``) comes from the first tweet, and ``tweets`` says how many rows
were summed. ``unit="tweet"`` keeps one row per tweet, for the rare question about tweets.

Every function that computes (rates, growth, comparisons, rankings, timing) goes through
:func:`values`, which gives one row per unit with a ``value`` and a ``status`` saying why a unit
has no value. Three absences are kept apart:

* ``not_reported``: the network does not report this metric for the post (null in every
  snapshot);
* ``not_observed``: reported, but there is no snapshot near the age asked for (the post was first
  observed later, or is not that old yet), so nothing can be interpolated;
* ``not_reported_yet``: the network sent a placeholder 0 (a 0 on a snapshot carrying a code of
  :data:`~ayr_analysis.analysis.PLACEHOLDER_CAVEATS`: a YouTube video still processing), which
  counts as not reported, never as a 0;
* a reported 0 is a value (status ``reported``), never an absence.

Two more reasons exist for equal-age and rate values: ``no_publication_time`` (the post's age is
unknown) and ``no_base`` (the rate's base, e.g. impressions, was reported as 0); a value relative
to its network's median post has ``zero_reference`` when that median is 0 (YouTube's likes in
its first 24-48 hours).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Literal

import polars as pl

from ..schema import (
    CANONICAL_METRICS,
    COUNT_METRICS,
    DEFAULT_AGES,
    FETCH_KEY,
    POST_KEY,
    RATE_BASES,
    SNAPSHOT_TIMES,
    UNIT_KEY,
)
from ._base import (
    age_label,
    eager,
    has_caveats,
    need,
    parse_duration,
    pending,
    placeholder_zero,
    without_placeholders,
)

__all__ = [
    "ABSENCES",
    "Fill",
    "at_age",
    "bracketing",
    "caveat_counts",
    "check_fill",
    "with_caveats",
    "describe_exclusions",
    "exclusions",
    "latest",
    "snapshot_times",
    "unit_keys",
    "units",
    "values",
]

Unit = Literal["post", "tweet"]

#: What to do when a network stops reporting a field (TikTok after 7 inactive days, Instagram
#: stories after 24 h): ``"last_reported"`` (the default) uses the last value it reported, and says
#: so (``carried`` / ``carried_from`` in :func:`latest` and :func:`at_age`, ``reported_at`` /
#: ``reported_at_age_s`` in :func:`values`); ``"none"`` keeps null.
Fill = Literal["last_reported", "none"]


def check_fill(fill: str) -> None:
    """A clear ValueError unless ``fill`` is one of :data:`Fill`."""
    if fill not in ("last_reported", "none"):
        raise ValueError(f"fill={fill!r}: choose 'last_reported' or 'none'")


#: Why a unit has no value, in words (``{age}`` is the age asked for).
ABSENCES: dict[str, str] = {
    "not_reported": "not reported by the network",
    "not_reported_yet": "not reported yet (still processing)",
    "not_observed": "no snapshot near {age}",
    "no_publication_time": "publication time unknown",
    "no_base": "{base} reported as 0",
    "zero_reference": "their network's median post is 0 at {age}",
}

#: Columns that change from one snapshot of a post to the next (besides its metrics).
_SNAPSHOT_COLUMNS = (*SNAPSHOT_TIMES, "last_updated", "next_update")


def unit_keys(frame: pl.DataFrame) -> list[str]:
    """The key columns of one unit present in ``frame`` (post, network, tweet)."""
    return [c for c in UNIT_KEY if c in frame.columns]


def _unit_key(keys: list[str]) -> pl.Expr:
    """One join key per unit, equal also where a key column is null (join_asof's ``by`` would
    match no null)."""
    return pl.concat_str(
        [pl.col(k).cast(pl.String).fill_null("\x00") for k in keys], separator="\x1f"
    ).alias("__key")


def snapshot_times(frame: pl.DataFrame) -> list[str]:
    """The snapshot time columns present in ``frame``, in the order that sorts snapshots."""
    return [c for c in SNAPSHOT_TIMES if c in frame.columns]


# --------------------------------------------------------------------------- the unit


def units(frame: pl.DataFrame | pl.LazyFrame, unit: Unit = "post") -> pl.DataFrame:
    """Rows at the unit of analysis: an X thread becomes one row per fetch (see the module's rule).

    Rows of other networks (and single tweets) pass unchanged, with ``tweets`` = 1. The summed
    thread row has ``thread_position`` 0, the first tweet's metadata, and ``observed_at`` the
    latest of its tweets'.

    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
    >>> f = pl.DataFrame({"post_id": ["a"] * 3, "platform": ["twitter"] * 3,
    ...     "thread_position": [0, 1, 2], "fetched_at": [t] * 3, "observed_at": [t] * 3,
    ...     "text": ["first", "second", "third"], "likes": [5, 2, None],
    ...     "comments": [None, None, None]})
    >>> units(f).select("text", "likes", "comments", "tweets").row(0)
    ('first', 7, None, 3)
    >>> units(f, "tweet").height
    3
    """
    frame = eager(frame)
    if unit not in ("post", "tweet"):
        raise ValueError(f"unit={unit!r}: choose 'post' (an X thread counted once) or 'tweet'")
    if "tweets" in frame.columns:
        return frame  # already at the unit of analysis
    if unit == "tweet" or "thread_position" not in frame.columns:
        return frame.with_columns(pl.lit(1, pl.Int32).alias("tweets"))
    post = list(POST_KEY)
    threaded = (pl.col("thread_position") > 0).any().over(post)
    flagged = frame.with_columns(threaded.fill_null(False).alias("__thread"))
    single = flagged.filter(~pl.col("__thread")).drop("__thread")
    single = single.with_columns(pl.lit(1, pl.Int32).alias("tweets"))
    threads = flagged.filter(pl.col("__thread")).drop("__thread")
    if threads.is_empty():
        return single
    keys = list(FETCH_KEY) if "fetched_at" in frame.columns else [*post, "observed_at"]
    fetch = keys[-1]
    counts = [c for c in COUNT_METRICS if c in frame.columns]
    aggs: list[pl.Expr] = [
        pl.when(pl.col(c).is_not_null().any()).then(pl.col(c).sum()).alias(c) for c in counts
    ]
    if "observed_at" in frame.columns and fetch != "observed_at":
        aggs.append(pl.col("observed_at").max())
    aggs.append(pl.len().cast(pl.Int32).alias("tweets"))
    done = {*keys, *counts, "observed_at", "thread_position"}
    aggs += [pl.col(c).first() for c in frame.columns if c not in done]
    summed = (
        threads.sort([*keys, "thread_position"])
        .group_by(keys, maintain_order=True)
        .agg(aggs)
        .with_columns(pl.lit(0, frame.schema["thread_position"]).alias("thread_position"))
        .select(*frame.columns, "tweets")
        .cast({c: frame.schema[c] for c in frame.columns})
    )
    return pl.concat([single, summed]).sort(keys, maintain_order=True)


# --------------------------------------------------------------------------- latest


def latest(frame: pl.DataFrame | pl.LazyFrame, fill: Fill = "last_reported") -> pl.DataFrame:
    """One row per post, network (and tweet): its latest observation.

    Ties are broken deterministically: the latest ``observed_at``, then the latest
    ``fetched_at``, then the row with the most metrics reported. A frame without ``observed_at``
    (one fetch) is returned as it is.

    ``fill="last_reported"`` (the default): a metric the latest observation lacks but an earlier
    one reported (a network that stopped reporting it) takes its last reported value; the row
    says so in ``carried`` (the metrics filled that way) and ``carried_from`` (the
    ``observed_at`` of the oldest value used). ``fill="none"``: the latest observation as it is.

    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
    >>> f = pl.DataFrame({"post_id": ["a", "a"], "platform": ["x", "x"],
    ...     "observed_at": [t, t + dt.timedelta(hours=1)], "likes": [3, 5]})
    >>> latest(f)["likes"].to_list()
    [5]
    """
    frame = eager(frame)
    keys = unit_keys(frame)
    if "age" in frame.columns and "observed_at" not in frame.columns:
        ages = frame["age"].unique().to_list()
        if len(ages) > 1:
            raise ValueError(
                f"the frame holds several post ages {sorted(map(str, ages))}: keep one "
                '(e.g. frame.filter(pl.col("age") == "24h")) or pass at_age=...'
            )
    if "observed_at" not in frame.columns or not keys:
        return frame
    check_fill(fill)
    metrics = [c for c in CANONICAL_METRICS if c in frame.columns]
    reported = pl.sum_horizontal(pl.col(c).is_not_null() for c in metrics) if metrics else pl.lit(0)
    order = [*snapshot_times(frame), "__n"]
    ordered = frame.with_columns(reported.alias("__n")).sort(
        order, nulls_last=False, maintain_order=True
    )
    rows = ordered.group_by(keys, maintain_order=True).last().select(frame.columns)
    if fill == "none" or not metrics or "carried" in frame.columns:
        return rows
    lasts = ordered.group_by(keys, maintain_order=True).agg(
        *(pl.col(m).drop_nulls().last().alias(f"__last_{m}") for m in metrics),
        *(
            pl.col("observed_at").filter(pl.col(m).is_not_null()).last().alias(f"__at_{m}")
            for m in metrics
        ),
    )
    rows = rows.join(lasts, on=keys, how="left", nulls_equal=True, maintain_order="left")
    held = {m: pl.col(m).is_null() & pl.col(f"__last_{m}").is_not_null() for m in metrics}
    return rows.with_columns(
        pl.concat_list(
            [pl.lit(None, pl.String), *(pl.when(h).then(pl.lit(m)) for m, h in held.items())]
        )
        .list.drop_nulls()
        .alias("carried"),
        pl.min_horizontal([pl.when(h).then(pl.col(f"__at_{m}")) for m, h in held.items()]).alias(
            "carried_from"
        ),
        *(pl.coalesce(m, f"__last_{m}").alias(m) for m in metrics),
    ).select(*frame.columns, "carried", "carried_from")


# --------------------------------------------------------------------------- equal post age


def _age_seconds() -> pl.Expr:
    return (pl.col("observed_at") - pl.col("published_at")).dt.total_microseconds() / 1e6


def _columns(frame: pl.DataFrame | pl.LazyFrame) -> list[str]:
    return frame.collect_schema().names() if isinstance(frame, pl.LazyFrame) else frame.columns


def bracketing(
    snapshots: pl.DataFrame | pl.LazyFrame,
    ages: Sequence[float],
    metrics: Sequence[str],
) -> pl.DataFrame:
    """The snapshots :func:`at_age` reads for ``ages`` (in seconds) and ``metrics``, and no other.

    Per unit: for each age, the last snapshot at or before it and the first at or after it,
    among all snapshots (its caveats) and among those reporting each metric (its value); the
    unit's latest snapshot (its other columns, and up to where a value no longer reported holds);
    every row of an X thread (summed per fetch by :func:`units`) and every row whose age is
    unknown. Every row at a chosen age is kept, so ties are broken as on the whole frame.

    On a LazyFrame (``store.scan("wide")``) the choice reads only the keys, the times and
    ``metrics``; the rows chosen are then read whole. Interpolating from this subset gives what
    interpolating from every snapshot gives, in the memory of a few snapshots per unit.
    :func:`at_age` and :func:`values` call it on a LazyFrame; a DataFrame, already in memory, is
    interpolated whole (the choice would cost more time than it saves).
    """
    cols = _columns(snapshots)
    keys = [k for k in UNIT_KEY if k in cols]
    if not keys or "observed_at" not in cols or "published_at" not in cols:
        return eager(snapshots)
    lazy = snapshots.lazy()
    metrics = [m for m in metrics if m in cols]
    age = pl.col("__age")
    aggs: list[pl.Expr] = [
        pl.col("observed_at").max().alias("__max_obs"),
        age.max().alias("__max_age"),
    ]
    picks: list[str] = []
    for i, a in enumerate(ages):
        aggs += [
            age.filter(age <= a).max().alias(f"__b{i}"),
            age.filter(age >= a).min().alias(f"__f{i}"),
        ]
        picks += [f"__b{i}", f"__f{i}"]
        for j, m in enumerate(metrics):
            has = pl.col(m).is_not_null() & ~placeholder_zero(snapshots, m)
            aggs += [
                age.filter(has & (age <= a)).max().alias(f"__b{i}_{j}"),
                age.filter(has & (age >= a)).min().alias(f"__f{i}_{j}"),
            ]
            picks += [f"__b{i}_{j}", f"__f{i}_{j}"]
    work = lazy.with_columns(_age_seconds().alias("__age"), _unit_key(keys))
    cavs = ["caveats"] if has_caveats(lazy) else []  # a placeholder 0 is no reported value
    per_unit = (
        work.select("__key", "observed_at", "__age", *metrics, *cavs).group_by("__key").agg(aggs)
    ).collect(engine="streaming")
    # the rows kept, named by text (unit key, then the age or the observation time), so that the
    # choice is one filter on the rows as they are read: no join holds the whole frame
    chosen = (
        per_unit.select("__key", pl.concat_list(["__max_age", *picks]).alias("__age"))
        .explode("__age")
        .drop_nulls("__age")
        .select(pl.concat_str("__key", pl.lit("\x1e"), pl.col("__age").cast(pl.String)))
        .to_series()
        .unique()
    )
    latest_obs = (
        per_unit.drop_nulls("__max_obs")
        .select(pl.concat_str("__key", pl.lit("\x1d"), pl.col("__max_obs").cast(pl.String)))
        .to_series()
    )
    key = _unit_key(keys)
    keep = (
        pl.concat_str(key, pl.lit("\x1e"), _age_seconds().cast(pl.String)).is_in(
            pl.lit(chosen).implode()
        )
        | _age_seconds().is_null()
        | pl.concat_str(key, pl.lit("\x1d"), pl.col("observed_at").cast(pl.String)).is_in(
            pl.lit(latest_obs).implode()
        )
    )
    if "thread_position" in cols and "post_id" in cols:
        post = _unit_key(list(POST_KEY))
        threads = (
            lazy.filter(pl.col("thread_position") > 0)
            .select(post)
            .unique()
            .collect(engine="streaming")
            .to_series()
        )
        if threads.len():
            keep = keep | post.is_in(pl.lit(threads).implode())
    return lazy.filter(keep).collect(engine="streaming")


def at_age(
    snapshots: pl.DataFrame | pl.LazyFrame,
    ages: Sequence[str | timedelta] | str | timedelta = DEFAULT_AGES,
    metrics: Sequence[str] | str | None = None,
    fill: Fill = "last_reported",
) -> pl.DataFrame:
    """Each unit's metrics at equal post ages, interpolated between snapshots.

    ``fill="last_reported"`` (the default): past the last snapshot that reported a metric, when
    a later snapshot no longer has it (the network stopped reporting it), the last reported
    value holds up to that later snapshot's age; ``carried`` names the metrics filled that way
    and ``carried_from_age_s`` the age of the oldest value used. ``fill="none"``: null there.

    Age is ``observed_at - published_at``. For each age, the value is linearly interpolated
    between the last snapshot at or before it and the first one at or after it (for each metric
    separately, using only snapshots where that metric was reported). Outside the observed range
    the value is null (no extrapolation), except exactly on a snapshot. Metric columns come back
    as Float64 (an interpolated count is not whole). Rows are taken as they are given: pass
    :func:`units` of a frame to count an X thread once (:func:`values` does).

    One row per unit and age, with the unit's other columns (text, url, campaign, ...) from its
    latest snapshot, plus ``age`` (the label asked for) and ``age_s``.

    A LazyFrame (``store.scan("wide")``, all of it or some columns) is read only where it
    matters: the snapshots bracketing each age (:func:`bracketing`), with the same result.

    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
    >>> f = pl.DataFrame({"post_id": ["a", "a"], "platform": ["tiktok"] * 2,
    ...     "published_at": [t, t], "observed_at": [t + dt.timedelta(hours=2),
    ...     t + dt.timedelta(hours=10)], "likes": [10, 50]})
    >>> at_age(f, ["6h", "1h"], "likes").select("age", "likes").rows()
    [('1h', None), ('6h', 30.0)]
    """
    if not isinstance(snapshots, pl.LazyFrame):
        snapshots = eager(snapshots)  # the TypeError for anything else
    check_fill(fill)
    columns = _columns(snapshots)
    need(columns, ["observed_at", "published_at"], "at_age")
    if isinstance(ages, (str, timedelta)):
        ages = [ages]
    if metrics is None:
        metrics = [m for m in CANONICAL_METRICS if m in columns]
    elif isinstance(metrics, str):
        metrics = [metrics]
    metrics = list(metrics)
    need(columns, metrics, "at_age")
    parsed = [(age_label(a), parse_duration(a).total_seconds()) for a in ages]
    seen: dict[float, str] = {}
    for label, secs in parsed:
        if secs in seen:
            raise ValueError(f"ages {seen[secs]!r} and {label!r} are the same age: give it once")
        seen[secs] = label
    if not [k for k in UNIT_KEY if k in columns]:
        raise ValueError("at_age needs post_id (and platform, thread_position) to follow posts")
    if isinstance(snapshots, pl.LazyFrame):  # read only the snapshots around the ages
        snapshots = bracketing(snapshots, [p[1] for p in parsed], metrics)
    keys = unit_keys(snapshots)
    static_cols = [c for c in snapshots.columns if c not in metrics and c not in _SNAPSHOT_COLUMNS]
    static = latest(snapshots, fill="none").select(static_cols)
    targets = pl.DataFrame(
        {"age": [p[0] for p in parsed], "age_s": [float(p[1]) for p in parsed]},
        schema={"age": pl.String, "age_s": pl.Float64},
    )
    base = static.join(targets, how="cross").sort("age_s")
    out = _interpolate(snapshots, base, keys, metrics, fill == "last_reported")
    if "caveats" in static_cols:
        out = _caveats_at(snapshots, out, keys)
    if fill == "none":
        return out.select(*static_cols, "age", "age_s", *metrics)
    held = {m: pl.col(f"__held_{m}").fill_null(False) for m in metrics}
    return out.with_columns(
        pl.concat_list(
            [pl.lit(None, pl.String), *(pl.when(h).then(pl.lit(m)) for m, h in held.items())]
        )
        .list.drop_nulls()
        .alias("carried"),
        pl.min_horizontal([pl.when(h).then(pl.col(f"__from_{m}")) for m, h in held.items()]).alias(
            "carried_from_age_s"
        ),
    ).select(*static_cols, "age", "age_s", *metrics, "carried", "carried_from_age_s")


_aligned = at_age  # for functions whose ``at_age`` argument hides this function


def _caveats_at(snapshots: pl.DataFrame, out: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """``out`` with each row's ``caveats`` taken from the snapshots its values come from: the
    union of the caveats of the unit's last snapshot at or before ``age_s`` and its first one at
    or after it (a YouTube video's processing zeros at 24 h, not its latest snapshot's)."""
    key = _unit_key(keys)
    snaps = (
        snapshots.sort(snapshot_times(snapshots), nulls_last=False)
        .with_columns(_age_seconds().alias("__age"), key)
        .filter(pl.col("__age").is_not_null())
        .select("__key", "__age", pl.col("caveats").alias("__cav"))
        .unique(subset=["__key", "__age"], keep="last", maintain_order=True)
        .sort("__age")
    )
    rows = out.select(*keys, "age_s", key).sort("age_s")
    sides: tuple[tuple[Literal["backward", "forward"], str], ...] = (
        ("backward", "__before"),
        ("forward", "__after"),
    )
    for strategy, name in sides:
        rows = rows.join_asof(
            snaps.rename({"__age": f"{name}_age", "__cav": name}), left_on="age_s",
            right_on=f"{name}_age", by="__key", strategy=strategy, check_sortedness=False,
        )  # fmt: skip
    empty = pl.lit([], pl.List(pl.String))
    union = (
        pl.concat_list(pl.col("__before").fill_null(empty), pl.col("__after").fill_null(empty))
        .list.unique(maintain_order=True)
        .alias("caveats")
    )
    rows = rows.select(*keys, "age_s", union)
    return (
        out.drop("caveats")
        .join(rows, on=[*keys, "age_s"], how="left", nulls_equal=True, maintain_order="left")
        .select(out.columns)
    )


def caveat_counts(vals: pl.DataFrame, groups: Sequence[str] = ()) -> pl.DataFrame:
    """Per group of a :func:`values` frame: ``caveats``, the caveat codes of the units behind the
    group's row (their union, in alphabetical order; counted and left-out units alike, since a
    caveat often says why a unit was left out), and ``caveat_posts``, how many units carry each
    code (in the same order). Empty lists when no caveat applies or ``vals`` has no ``caveats``.

    >>> import polars as pl
    >>> v = pl.DataFrame({"platform": ["x", "x", "y"],
    ...     "caveats": [["pinterest_delayed"], ["pinterest_delayed"], []]})
    >>> caveat_counts(v, ["platform"]).rows()
    [('x', ['pinterest_delayed'], [2]), ('y', [], [])]
    """
    groups = list(groups)
    keys = groups or ["__all"]
    work = vals if groups else vals.with_columns(pl.lit(0).alias("__all"))
    out = work.select(keys).unique(maintain_order=True)
    empty = {
        "caveats": pl.lit([], pl.List(pl.String)),
        "caveat_posts": pl.lit([], pl.List(pl.Int64)),
    }
    if "caveats" not in work.columns or not isinstance(work.schema["caveats"], pl.List):
        out = out.with_columns(e.alias(c) for c, e in empty.items())
    else:
        per = (
            work.select(*keys, pl.col("caveats").cast(pl.List(pl.String)).list.unique())
            .explode("caveats")
            .drop_nulls("caveats")
            .group_by([*keys, "caveats"])
            .len()
            .sort([*keys, "caveats"])
            .group_by(keys, maintain_order=True)
            .agg(pl.col("caveats"), pl.col("len").cast(pl.Int64).alias("caveat_posts"))
        )
        out = out.join(per, on=keys, how="left", nulls_equal=True).with_columns(
            pl.col(c).fill_null(e) for c, e in empty.items()
        )
    out = out.sort(keys, nulls_last=True)
    return out.drop("__all") if not groups else out


def _interpolate(
    snapshots: pl.DataFrame,
    base: pl.DataFrame,
    keys: list[str],
    metrics: list[str],
    hold: bool = False,
) -> pl.DataFrame:
    """``base`` (keys and ``age_s``) with each metric interpolated at ``age_s`` (no extrapolation)."""
    key = _unit_key(keys)
    order = snapshot_times(snapshots)
    snaps = (
        snapshots.sort(order, nulls_last=False)
        .with_columns(_age_seconds().alias("__age"))
        .filter(pl.col("__age").is_not_null())
    )
    out = base.sort("age_s")
    # the age of each unit's last snapshot: up to it a value no longer reported holds (``hold``)
    last_age = snaps.group_by(key).agg(pl.col("__age").max().alias("__last_age"))
    for m in metrics:
        pts = (
            snaps.filter(pl.col(m).is_not_null())
            .select(*keys, key, "__age", pl.col(m).cast(pl.Float64).alias("__v"))
            .unique(subset=[*keys, "__age"], keep="last", maintain_order=True)
            .sort("__age")
        )
        lo = pts.rename({"__age": "__lo_age", "__v": "__lo"})
        hi = pts.rename({"__age": "__hi_age", "__v": "__hi"})
        joined = base.select(*keys, key, "age_s").sort("age_s")
        joined = joined.join_asof(
            lo.drop(keys), left_on="age_s", right_on="__lo_age", by="__key",
            strategy="backward", check_sortedness=False,
        ).join_asof(
            hi.drop(keys), left_on="age_s", right_on="__hi_age", by="__key",
            strategy="forward", check_sortedness=False,
        )  # fmt: skip
        a, la, ha = pl.col("age_s"), pl.col("__lo_age"), pl.col("__hi_age")
        joined = joined.join(last_age, on="__key", how="left")
        held = (
            pl.lit(hold) & la.is_not_null() & ha.is_null() & (pl.col("__last_age") >= a)
            & (la != a)
        )  # fmt: skip
        value = (
            pl.when(la == a)
            .then(pl.col("__lo"))
            .when(ha == a)
            .then(pl.col("__hi"))
            .when(la.is_not_null() & ha.is_not_null())
            .then(pl.col("__lo") + (pl.col("__hi") - pl.col("__lo")) * (a - la) / (ha - la))
            .when(held)
            .then(pl.col("__lo"))
            .otherwise(None)
            .alias(m)
        )
        extra = [held.alias(f"__held_{m}"), la.alias(f"__from_{m}")] if hold else []
        out = out.drop(m, strict=False).join(
            joined.select(*keys, "age_s", value, *extra),
            on=[*keys, "age_s"],
            how="left",
            nulls_equal=True,
            maintain_order="left",
        )
    return out.sort([*keys, "age_s"])


# --------------------------------------------------------------------------- one value per unit


def _rate_base(
    frame: pl.DataFrame, rate_by: str, followers: pl.DataFrame | str | None
) -> pl.DataFrame:
    """``frame`` with ``__den``: the rate's base per row (a column, or followers per network)."""
    if rate_by != "followers":
        return frame.with_columns(pl.col(rate_by).cast(pl.Float64).alias("__den"))
    if followers is None:
        followers = "followers"
    if isinstance(followers, str):
        need(frame, [followers], "a rate per follower (pass followers=frame or a column name)")
        return frame.with_columns(pl.col(followers).cast(pl.Float64).alias("__den"))
    need(followers, ["platform", "followers"], "the followers frame")
    table = followers.select("platform", pl.col("followers").cast(pl.Float64).alias("__den"))
    if table["platform"].is_duplicated().any():
        raise ValueError("the followers frame must have one row per platform")
    return frame.join(table, on="platform", how="left", maintain_order="left")


def _check_metric(frame: pl.DataFrame, metric: str, rate_by: str, numerator: str) -> list[str]:
    """The columns ``metric`` needs (a rate needs its numerator and base)."""
    if metric == "engagement_rate":
        if rate_by not in RATE_BASES:
            raise ValueError(f"rate_by={rate_by!r}: choose one of {', '.join(RATE_BASES)}")
        cols = [numerator] + ([rate_by] if rate_by != "followers" else [])
        need(frame, cols, f"an engagement rate per {rate_by}")
        return cols
    if metric not in frame.columns:
        known = ", ".join(m for m in CANONICAL_METRICS if m in frame.columns)
        raise ValueError(
            f"unknown metric {metric!r}: use 'engagement_rate' or a metric column ({known})"
        )
    return [metric]


def values(
    frame: pl.DataFrame | pl.LazyFrame,
    metric: str,
    at_age: str | timedelta | None = None,
    *,
    rate_by: str = "impressions",
    numerator: str = "engagements",
    followers: pl.DataFrame | str | None = None,
    unit: Unit = "post",
    fill: Fill = "last_reported",
) -> pl.DataFrame:
    """One row per unit (post on a network; an X thread once) with its ``value`` of ``metric``.

    ``at_age=None``: each unit's **latest reported** value (a network that stops reporting a
    field, as TikTok does after 7 inactive days, keeps its last value; ``reported_at`` says when
    it was observed). With ``fill="none"``: the value of the latest observation only. At an age,
    ``fill="last_reported"`` (the default) holds the last value of a field the network stopped
    reporting (see :func:`at_age`); ``reported_at_age_s`` is the age of the value used. ``at_age="24h"``: the
    value at that post age, interpolated between the snapshots around it (never extrapolated).
    ``metric="engagement_rate"``: ``numerator`` / ``rate_by`` of the same unit (per follower:
    ``followers`` is a ``(platform, followers)`` frame or a column name).

    Added columns: ``metric``, ``age`` (``"latest"`` or the label), ``unit``, ``value`` (Float64,
    null unless ``status`` is ``reported``), ``status`` (``reported``, ``not_reported``,
    ``not_reported_yet``, ``not_observed``, ``no_publication_time``, ``no_base``: see the
    module) and, for a rate,
    ``numerator`` and ``denominator``.

    >>> import polars as pl
    >>> f = pl.DataFrame({"post_id": ["a", "b", "c"], "platform": ["x", "x", "y"],
    ...                   "likes": [0, 4, None]})
    >>> values(f, "likes").select("post_id", "value", "status").rows()
    [('a', 0.0, 'reported'), ('b', 4.0, 'reported'), ('c', None, 'not_reported')]
    """
    check_fill(fill)
    if at_age is not None and isinstance(frame, pl.LazyFrame):
        # only the snapshots around the age are read: their rows whole, of the others the keys
        secs = parse_duration(at_age).total_seconds()
        rated = [numerator, rate_by] if metric == "engagement_rate" else [metric]
        need(_columns(frame), ["observed_at", "published_at"], f"values at age {at_age!r}")
        frame = bracketing(frame, [secs], rated)
    frame = units(eager(frame), unit)
    cols = _check_metric(frame, metric, rate_by, numerator)
    keys = unit_keys(frame)
    if not keys:
        raise ValueError("values() needs post_id (and platform) to tell posts apart")
    # a placeholder 0 (a YouTube video still processing) is not reported: null before anything
    placeheld = frame.select(
        *keys, pl.any_horizontal(placeholder_zero(frame, c) for c in cols).alias("__placeheld")
    )
    frame = without_placeholders(frame, cols)
    ever = (
        frame.select(*keys, *cols)
        .with_columns(placeheld["__placeheld"])
        .group_by(keys)
        .agg(
            *(pl.col(c).is_not_null().any().alias(f"__ever_{c}") for c in cols),
            pl.col("__placeheld").any(),
        )
    )
    never = pl.any_horizontal(~pl.col(f"__ever_{c}").fill_null(False) for c in cols)
    # no value because the network sent placeholder zeros (codes at the snapshots read)
    yet = pl.col("__placeheld").fill_null(False) & (
        pending() if has_caveats(frame) else pl.lit(False)
    )
    status: Any  # a when/then chain, grown below and closed with otherwise()
    if at_age is None:
        rows = latest(frame, fill="none")
        timed = "observed_at" in frame.columns
        if fill == "last_reported":
            # the latest observation that reported every column needed (a rate's numerator and
            # base from the same snapshot)
            both = pl.all_horizontal(pl.col(c).is_not_null() for c in cols)
            last = latest(frame.filter(both).select(*keys, *snapshot_times(frame), *cols), "none")
            when = [pl.col("observed_at").alias("reported_at")] if timed else []
            rows = rows.drop(cols).join(
                last.select(*keys, *cols, *when), on=keys, how="left", nulls_equal=True
            )
        elif timed:
            reported = pl.all_horizontal(pl.col(c).is_not_null() for c in cols)
            rows = rows.with_columns(
                pl.when(reported).then(pl.col("observed_at")).alias("reported_at")
            )
        label = "latest"
        # never reported, or (fill="none") not in the latest observation: not reported there
        unreported = never | pl.any_horizontal(pl.col(c).is_null() for c in cols)
        status = (
            pl.when(unreported & yet)
            .then(pl.lit("not_reported_yet"))
            .when(unreported)
            .then(pl.lit("not_reported"))
        )
    else:
        need(frame, ["observed_at", "published_at"], f"values at age {at_age!r}")
        rows = _aligned(frame, [at_age], cols, fill=fill).drop("age")
        if fill == "last_reported":
            rows = rows.with_columns(
                pl.coalesce("carried_from_age_s", "age_s").alias("reported_at_age_s")
            ).drop("carried", "carried_from_age_s")
        label = age_label(at_age)
        missing = pl.any_horizontal(pl.col(c).is_null() for c in cols)
        status = (
            pl.when(pl.col("published_at").is_null())
            .then(pl.lit("no_publication_time"))
            .when((never | missing) & yet)
            .then(pl.lit("not_reported_yet"))
            .when(never)
            .then(pl.lit("not_reported"))
            .when(missing)
            .then(pl.lit("not_observed"))
        )
    rows = rows.join(ever, on=keys, how="left", nulls_equal=True)
    if metric == "engagement_rate":
        rows = _rate_base(rows, rate_by, followers).with_columns(
            pl.col(numerator).cast(pl.Float64).alias("numerator"),
            pl.col("__den").alias("denominator"),
            pl.lit(rate_by).alias("rate_by"),
        )
        if rate_by == "followers":
            status = status.when(pl.col("__den").is_null()).then(pl.lit("not_reported"))
        status = status.when(pl.col("__den") <= 0).then(pl.lit("no_base"))
        raw = pl.col("numerator") / pl.col("denominator")
    else:
        raw = pl.col(metric).cast(pl.Float64)
    status = status.otherwise(pl.lit("reported"))
    rows = rows.with_columns(status.alias("status")).with_columns(
        pl.when(pl.col("status") == "reported").then(raw).alias("value"),
        pl.lit(metric).alias("metric"),
        pl.lit(label).alias("age"),
        pl.lit(unit).alias("unit"),
    )
    drop = [c for c in rows.columns if c.startswith("__") or c == "age_s"]
    return rows.drop(drop).sort(keys)


# --------------------------------------------------------------------------- exclusions


def describe_exclusions(counts: dict[str, int], age: str = "latest", base: str = "base") -> str:
    """``{"not_reported": 3, "not_observed": 2}`` -> ``"3 not reported by the network; 2 no
    snapshot near 24h"`` (empty text when nothing is excluded).

    >>> describe_exclusions({"not_observed": 2, "not_reported": 1}, age="24h")
    '1 not reported by the network; 2 no snapshot near 24h'
    """
    parts = []
    for status, text in ABSENCES.items():
        k = counts.get(status, 0)
        if k:
            parts.append(f"{k} " + text.format(age=age, base=base))
    return "; ".join(parts)


def exclusions(vals: pl.DataFrame, groups: Sequence[str] = ()) -> pl.DataFrame:
    """Per group of a :func:`values` frame: ``n`` (units with a value), ``excluded`` and
    ``why_excluded`` (the reasons in words, with counts).

    >>> import polars as pl
    >>> f = pl.DataFrame({"post_id": ["a", "b", "c"], "platform": ["x", "x", "y"],
    ...                   "likes": [0, 4, None]})
    >>> exclusions(values(f, "likes"), ["platform"]).rows()
    [('x', 2, 0, ''), ('y', 0, 1, '1 not reported by the network')]
    """
    groups = list(groups)
    work = vals if groups else vals.with_columns(pl.lit(0).alias("__all"))
    keys = groups or ["__all"]
    age = vals["age"][0] if vals.height and "age" in vals.columns else "latest"
    base = vals["rate_by"][0] if vals.height and "rate_by" in vals.columns else "base"
    per = work.group_by([*keys, "status"]).len()
    rows = []
    for key, part in per.group_by(keys, maintain_order=True):
        counts = dict(zip(part["status"], part["len"], strict=True))
        n = int(counts.pop("reported", 0))
        rows.append((*key, n, int(sum(counts.values())), describe_exclusions(counts, age, base)))
    schema = {k: work.schema[k] for k in keys} | {
        "n": pl.Int64,
        "excluded": pl.Int64,
        "why_excluded": pl.String,
    }
    out = pl.DataFrame(rows, schema=schema, orient="row").sort(keys)
    return out.drop("__all") if not groups else out


def with_caveats(
    table: pl.DataFrame, vals: pl.DataFrame, groups: Sequence[str] = ()
) -> pl.DataFrame:
    """``table`` (one row per group of ``vals``, or one row when there are no groups) with the
    ``caveats`` and ``caveat_posts`` columns of :func:`caveat_counts` appended; a group without
    posts gets empty lists."""
    groups = list(groups)
    flagged = caveat_counts(vals, groups)
    empty = {
        "caveats": pl.lit([], pl.List(pl.String)),
        "caveat_posts": pl.lit([], pl.List(pl.Int64)),
    }
    table = table.drop([c for c in empty if c in table.columns])
    if groups:
        out = table.join(flagged, on=groups, how="left", nulls_equal=True, maintain_order="left")
    elif flagged.height:
        out = table.join(flagged, how="cross")
    else:
        out = table.with_columns(e.alias(c) for c, e in empty.items())
    return out.with_columns(pl.col(c).fill_null(e) for c, e in empty.items())
