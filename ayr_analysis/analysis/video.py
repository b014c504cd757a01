"""Video retention: how much of their videos people watch.

Two sources. X reports playback quartiles (``nonPublicMetrics.video.playback{0,25,50,75,100}Count``
in the long frame): the retention curve of a video is the share of its playback starts
(playback0) that reached 0, 25, 50, 75 and 100 % of it, from its latest observation. An X thread
is one unit (:mod:`.selection`): its tweets' playback counts are summed, so the curve pools the
thread's videos (``unit="tweet"`` keeps each tweet's video apart). A video without playback starts
has no share: it is left out and counted (``no playback starts`` when playback0 is 0,
``not reported by the network`` when it is missing).

Other networks report a completion measure per post in the wide frame: ``completion_rate``
(TikTok) and ``avg_view_fraction`` (YouTube). Their median and quartiles per network are given
next to X's playback100 / playback0, each with its ``n`` and what was left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import polars as pl

from ..schema import POST_KEY
from ._base import age_text, eager, is_demo, need
from .rankings import _with_label
from .selection import (
    Fill,
    Unit,
    describe_exclusions,
    exclusions,
    latest,
    snapshot_times,
    unit_keys,
    values,
)

__all__ = ["COMPLETION_MEASURES", "PLAYBACK_FIELDS", "VideoRetention", "video_retention"]

#: Long-frame fields of X's playback quartiles -> the point of the video (%) they count.
PLAYBACK_FIELDS: dict[str, int] = {
    f"nonPublicMetrics.video.playback{q}Count": q for q in (0, 25, 50, 75, 100)
}
#: Wide-frame completion measures (fractions 0-1) -> their name in words.
COMPLETION_MEASURES: dict[str, str] = {
    "completion_rate": "Completion rate",
    "avg_view_fraction": "Average view fraction",
}
_POINTS = tuple(PLAYBACK_FIELDS.values())
_X_COMPLETION = "playback100 / playback0"


@dataclass(frozen=True)
class VideoRetention:
    """The result of :func:`video_retention`.

    ``posts``: per video and point of the video: ``platform``, the post keys, ``label``,
    ``quartile`` (0, 25, 50, 75, 100), ``count`` (playbacks reaching it), ``starts``
    (playback0) and ``share`` (count / starts). ``curve``: per network and point, ``n``
    (videos), ``median``, ``q25``, ``q75`` of ``share``. ``excluded``: per network, ``n`` (videos
    in the curve), ``excluded`` and ``why_excluded``. ``completion``: per measure and network,
    ``measure``, ``source`` (the column, or ``playback100 / playback0``), ``platform``, ``n``,
    ``excluded``, ``why_excluded``, ``median``, ``q25``, ``q75``, ``age``.
    """

    posts: pl.DataFrame
    curve: pl.DataFrame
    excluded: pl.DataFrame
    completion: pl.DataFrame
    unit: str = "post"
    demo: bool = False


def _playback(long: pl.DataFrame, unit: Unit) -> pl.DataFrame:
    """One row per video (latest observation): keys and ``p0`` ... ``p100``."""
    need(long, [*POST_KEY, "field", "value"], "video_retention")
    rows = long.filter(pl.col("field").is_in(list(PLAYBACK_FIELDS)))
    keys = unit_keys(rows)
    cols = [f"p{q}" for q in _POINTS]
    schema = pl.Schema({k: long.schema[k] for k in keys} | {c: pl.Float64() for c in cols})
    if rows.is_empty():
        return pl.DataFrame(schema=schema)
    when = snapshot_times(rows)
    wide = rows.with_columns(
        pl.format(
            "p{}", pl.col("field").replace_strict(PLAYBACK_FIELDS, return_dtype=pl.Int64)
        ).alias("__point")
    ).pivot(on="__point", index=[*keys, *when], values="value", aggregate_function="last")
    for c in cols:
        if c not in wide.columns:
            wide = wide.with_columns(pl.lit(None, pl.Float64).alias(c))
    per_video = latest(wide).select(*keys, *cols)
    if unit == "post" and "thread_position" in keys:
        post = list(POST_KEY)
        per_video = (
            per_video.sort([*post, "thread_position"])
            .group_by(post, maintain_order=True)
            .agg(
                pl.lit(0, long.schema["thread_position"]).alias("thread_position"),
                *(
                    pl.when(pl.col(c).is_not_null().any()).then(pl.col(c).sum()).alias(c)
                    for c in cols
                ),
            )  # fmt: skip
        )
    return per_video.select(list(schema)).cast(schema)


def video_retention(
    long: pl.DataFrame | pl.LazyFrame | None = None,
    wide: pl.DataFrame | pl.LazyFrame | None = None,
    *,
    at_age: str | timedelta | None = None,
    measures: Sequence[str] | None = None,
    unit: Unit = "post",
    fill: Fill = "last_reported",
) -> VideoRetention:
    """X's playback retention curves (from ``long``) and completion measures per network (from
    ``wide``); see the module. ``at_age`` applies to the completion measures (default: each
    post's latest reported value); the playback counts are each video's latest observation.
    ``wide`` also gives the videos' labels (text, day). ``fill``: as in
    :func:`~.selection.values`.

    >>> import polars as pl
    >>> fields = list(PLAYBACK_FIELDS)
    >>> long = pl.DataFrame({"post_id": ["v"] * 5, "platform": ["twitter"] * 5,
    ...     "field": fields, "value": [200.0, 150, 100, 60, 40]})
    >>> r = video_retention(long)
    >>> r.curve.select("quartile", "n", "median").rows()[-2:]
    [(75, 1, 0.3), (100, 1, 0.2)]
    >>> r.completion.select("measure", "source", "platform", "n", "median").row(0)
    ('Completion rate', 'playback100 / playback0', 'twitter', 1, 0.2)
    """
    if unit not in ("post", "tweet"):
        raise ValueError(f"unit={unit!r}: choose 'post' (an X thread counted once) or 'tweet'")
    long_f = eager(long) if long is not None else None
    wide_f = eager(wide) if wide is not None else None
    demo = any(is_demo(f) for f in (long_f, wide_f))
    # ---- playback quartiles
    playback = (
        _playback(long_f, unit)
        if long_f is not None
        else pl.DataFrame(
            schema={"post_id": pl.String, "platform": pl.String}
            | {f"p{q}": pl.Float64 for q in _POINTS}
        )
    )
    keys = unit_keys(playback)
    status = (
        pl.when(pl.col("p0").is_null())
        .then(pl.lit("not_reported"))
        .when(pl.col("p0") <= 0)
        .then(pl.lit("no_base"))
        .otherwise(pl.lit("reported"))
    )
    playback = playback.with_columns(status.alias("status"))
    excluded = _exclusions(playback)
    counted = playback.filter(pl.col("status") == "reported")
    if wide_f is not None and {"text", "published_at"} & set(wide_f.columns):
        meta = [c for c in ("text", "published_at") if c in wide_f.columns]
        first = (
            latest(wide_f)
            .sort(unit_keys(wide_f))
            .unique(list(POST_KEY), keep="first", maintain_order=True)
        )
        counted = counted.join(first.select(*POST_KEY, *meta), on=list(POST_KEY), how="left")
    counted = _with_label(counted)
    posts = (
        counted.unpivot(
            on=[f"p{q}" for q in _POINTS],
            index=[*keys, "label", "p0"],
            variable_name="__point",
            value_name="count",
        )
        .with_columns(
            pl.col("__point").str.slice(1).cast(pl.Int64).alias("quartile"),
            pl.col("p0").alias("starts"),
        )
        .with_columns((pl.col("count") / pl.col("starts")).alias("share"))
        .select("platform", *[k for k in keys if k != "platform"], "label", "quartile",
                "count", "starts", "share")
        .sort(*keys, "quartile")
    )  # fmt: skip
    share = pl.col("share").drop_nulls()
    curve = (
        posts.group_by("platform", "quartile")
        .agg(
            share.len().cast(pl.Int64).alias("n"),
            share.median().alias("median"),
            share.quantile(0.25, "linear").alias("q25"),
            share.quantile(0.75, "linear").alias("q75"),
        )
        .sort("platform", "quartile")
    )
    # ---- completion measures
    parts = []
    if wide_f is not None:
        chosen = list(measures) if measures is not None else list(COMPLETION_MEASURES)
        for m in chosen:
            if m not in wide_f.columns:
                continue
            need(wide_f, POST_KEY, "video_retention")
            vals = values(wide_f, m, at_age, unit=unit, fill=fill)
            parts.append(
                _spread(vals, "value", exclusions(vals, ["platform"])).with_columns(
                    pl.lit(COMPLETION_MEASURES.get(m, m)).alias("measure"),
                    pl.lit(m).alias("source"),
                    pl.lit(age_text(at_age)).alias("age"),
                )
            )
    hundred = posts.filter(pl.col("quartile") == 100)
    if hundred.height:
        reached = hundred.with_columns(
            pl.when(pl.col("share").is_null())
            .then(pl.lit("not_reported"))
            .otherwise(pl.lit("reported"))
            .alias("status")
        )
        counts = excluded.join(
            exclusions(reached, ["platform"]).select(
                "platform", pl.col("n").alias("__n"), pl.col("excluded").alias("__e"),
                pl.col("why_excluded").alias("__w"),
            ),
            on="platform",
            how="inner",
        )  # fmt: skip
        counts = counts.select(
            "platform",
            pl.col("__n").alias("n"),
            (pl.col("excluded") + pl.col("__e")).alias("excluded"),
            pl.concat_str(
                [
                    pl.when(pl.col("why_excluded") != "").then(pl.col("why_excluded")),
                    pl.when(pl.col("__w") != "").then(pl.col("__w")),
                ],
                separator="; ",
                ignore_nulls=True,
            ).alias("why_excluded"),
        )
        parts.append(
            _spread(reached, "share", counts).with_columns(
                pl.lit(COMPLETION_MEASURES["completion_rate"]).alias("measure"),
                pl.lit(_X_COMPLETION).alias("source"),
                pl.lit("latest").alias("age"),
            )
        )
    cols = ["measure", "source", "platform", "n", "excluded", "why_excluded", "median", "q25",
            "q75", "age"]  # fmt: skip
    completion = (
        pl.concat([p.select(cols) for p in parts], how="vertical_relaxed")
        if parts
        else pl.DataFrame(
            schema={
                "measure": pl.String,
                "source": pl.String,
                "platform": pl.String,
                "n": pl.Int64,
                "excluded": pl.Int64,
                "why_excluded": pl.String,
                "median": pl.Float64,
                "q25": pl.Float64,
                "q75": pl.Float64,
                "age": pl.String,
            }
        )  # fmt: skip
    )
    return VideoRetention(
        posts=posts,
        curve=curve,
        excluded=excluded,
        completion=completion.sort("measure", "platform", "source"),
        unit=unit,
        demo=demo,
    )


def _spread(vals: pl.DataFrame, column: str, counted: pl.DataFrame) -> pl.DataFrame:
    """``counted`` (per network n, excluded, why) with the median and quartiles of ``column``
    over the rows whose ``status`` is ``reported``."""
    v = pl.col(column).filter(pl.col("status") == "reported")
    stats = vals.group_by("platform").agg(
        v.median().alias("median"),
        v.quantile(0.25, "linear").alias("q25"),
        v.quantile(0.75, "linear").alias("q75"),
    )
    return counted.join(stats, on="platform", how="left")


def _exclusions(playback: pl.DataFrame) -> pl.DataFrame:
    """Per network: videos in the curve and those left out, with the reasons."""
    rows = []
    for (platform,), part in playback.group_by("platform", maintain_order=True):
        counts = dict(part["status"].value_counts().iter_rows())
        n = int(counts.pop("reported", 0))
        why = describe_exclusions(
            {k: v for k, v in counts.items() if k != "no_base"}, base="playback0"
        )
        if counts.get("no_base"):
            why = "; ".join(x for x in (why, f"{counts['no_base']} no playback starts") if x)
        rows.append((platform, n, int(sum(counts.values())), why))
    return pl.DataFrame(
        rows,
        schema={"platform": pl.String, "n": pl.Int64, "excluded": pl.Int64,
                "why_excluded": pl.String},
        orient="row",
    ).sort("platform")  # fmt: skip
