"""Best time to post: a weekday x hour heatmap of the cells of ``analysis.best_time_to_post``."""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import altair as alt
import polars as pl

from .. import analysis
from ..schema import POST_KEY
from ._base import (
    WEEKDAYS,
    _age_text,
    _axis_format,
    _check_metric,
    _data,
    _empty,
    _is_percent,
    _label_unit,
    _require,
    _require_numeric,
    _single,
    _title,
    _unwrap,
    layer,
    metric_title,
    value_format,
)

_TOP = 3  # cells labelled with their rank


def _weekday_names(col: pl.Series) -> pl.Series:
    if col.dtype == pl.String:
        names = {w.lower(): w for w in WEEKDAYS}
        full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        names |= {f: WEEKDAYS[i] for i, f in enumerate(full)}
        out = col.str.to_lowercase().replace_strict(names, default=None, return_dtype=pl.String)
        bad = col.filter(out.is_null() & col.is_not_null()).unique().to_list()
        if bad:
            raise ValueError(f"best_time_heatmap(): unknown weekday names {bad}; use Mon..Sun")
        return out
    if col.dtype.is_integer():
        lo, hi = col.min(), col.max()
        if lo is None:
            return col.cast(pl.String)
        base = 0 if lo == 0 else 1  # 0 = Monday (Python), else 1 = Monday (ISO, polars)
        if lo < 0 or hi - base > 6:  # type: ignore[operator]
            raise ValueError(
                "best_time_heatmap(): integer weekdays must be 1-7 (1 = Monday) or 0-6 (0 = Monday)"
            )
        return (col - base).replace_strict(dict(enumerate(WEEKDAYS)), return_dtype=pl.String)
    raise ValueError(f"best_time_heatmap(): weekday column is {col.dtype}, expected names or 1-7")


def _check_tz(tz: str | None, helper: str) -> None:
    if tz is None:
        return
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{helper}(): unknown time zone {tz!r}; use an IANA name such as 'UTC' or "
            "'Europe/Paris'"
        ) from None


def best_time_heatmap(
    data: Any,
    metric: str | None = None,
    *,
    tz: str | None = None,
    at_age: str | timedelta | None = "24h",
    relative_to: str | None = "platform",
    platforms: Sequence[str] | None = None,
    min_n: int = 3,
    value: str = "value",
    demo: bool | None = None,
    min_posts: int | None = None,
) -> alt.LayerChart | alt.Chart:
    """Weekday x hour-of-publication heatmap of the cells of ``analysis.best_time_to_post``.

    ``data`` is that function's result (``weekday``, ``weekday_name``, ``hour``, ``n``,
    ``median``, ``rank``, ``tz``, ``measure``, ``age``...), or a wide frame, snapshots or
    ``AnalyticsFrames`` (that function is then called with ``metric``, ``at_age``, ``tz``,
    ``relative_to``, ``platforms`` and ``min_n``), or an older table of ``weekday`` (Mon..Sun,
    1-7 or 0-6 from Monday), ``hour`` (0-23), ``value`` (or the column named by ``value``) and
    optionally ``n`` (its cells are not ranked; those with ``n < min_n`` are faded). The
    subtitle says what the colour is, at which post age, in which time zone (``tz``: the one
    the cells were computed in), and that cells with ``n < min_n`` are faded, not ranked (give
    the ``min_n`` the result was computed with; 3 by default in both); the best three cells are
    numbered, and a blank cell had no post (``min_posts`` is the older name of ``min_n``). A measure relative to the network's median post is
    drawn on a diverging scale centred on 1 (a typical post).

    >>> import polars as pl
    >>> cells = pl.DataFrame({"weekday": ["Mon", "Tue"], "hour": [9, 18],
    ...                       "value": [12.0, 30.0], "n": [4, 6]})
    >>> spec = best_time_heatmap(cells, "likes", tz="Europe/Paris").to_dict()
    >>> spec["layer"][0]["mark"]["type"], spec["title"]["subtitle"][-1]
    ('rect', 'time zone: Europe/Paris; cells with n < 3 shown faded, not ranked; blank: no post')
    """
    helper = "best_time_heatmap"
    if min_posts is not None:  # the older name of min_n
        min_n = min_posts
    _check_tz(tz, helper)
    if min_n < 1:
        raise ValueError(f"{helper}(): min_n must be at least 1, not {min_n}")
    df, demo_ = _unwrap(data, "wide", demo, helper)
    if {"weekday", "hour"} <= set(df.columns) and "published_at" not in df.columns:
        if {"median", "weekday_name", "rank"} <= set(df.columns):
            metric = _check_metric(df, metric, helper) or "value"
            cells = df
        else:
            cells = _old_shape(df, value, tz, min_n, helper)
            metric = metric or "value"
            cells = cells.with_columns(pl.lit(metric).alias("measure"))
    else:
        metric = metric or "likes"
        _require(df, [*POST_KEY, "published_at"], helper)
        if metric != "engagement_rate":
            _require(df, [metric], helper)
            _require_numeric(df, metric, helper)
        cells = analysis.best_time_to_post(
            df, metric, at_age, tz=tz, relative_to=relative_to, platforms=platforms,
            min_n=min_n,
        )  # fmt: skip
    tz_name = _single(cells, "tz") or tz or "UTC"
    measure = _single(cells, "measure") or metric
    age = _single(cells, "age")
    relative = "relative to" in str(measure)
    label, _ = _label_unit(metric)
    title = f"Best time to post: {label.lower()} by weekday and hour published"
    faded = f"cells with n < {min_n} shown faded, not ranked"
    notes = [
        f"colour: median {measure}" if not str(measure).startswith("median") else str(measure),
        _age_text(age) + "; a post on a network, an X thread counted once",
        f"time zone: {tz_name}; {faded}; blank: no post",
    ]
    if age is None:
        notes.pop(1)
    cells = cells.filter(pl.col("median").is_not_null())
    if cells.is_empty():
        return _empty(title, demo_, notes)
    percent = not relative and _is_percent(metric)
    fmt = value_format(None if relative else metric)
    value_title = (
        f"{label} ÷ the network's median post (1 = typical)"
        if relative
        else f"Median {metric_title(metric).lower()}"
    )
    if "faded" not in cells.columns:
        cells = cells.with_columns(pl.col("rank").is_null().alias("faded"))
    cells = cells.with_columns(
        pl.col("hour").cast(pl.Int64),
        pl.when(pl.col("rank") <= _TOP).then(pl.format("#{}", pl.col("rank"))).alias("top"),
    ).select("weekday_name", "hour", "n", "median", "rank", "faded", "top")
    colour_scale = (
        alt.Scale(type="log", scheme="blueorange", domainMid=1)
        if relative and bool((cells["median"] > 0).all())
        else alt.Scale(scheme="blues")
    )
    x = alt.X(
        "hour:O", title=f"Hour published ({tz_name})", scale=alt.Scale(domain=list(range(24)))
    )
    y = alt.Y("weekday_name:O", title="Weekday", scale=alt.Scale(domain=list(WEEKDAYS)))
    base = alt.Chart(_data(cells))
    rect = base.mark_rect().encode(
        x=x,
        y=y,
        color=alt.Color(
            "median:Q",
            title=value_title,
            scale=colour_scale,
            legend=alt.Legend(
                orient="bottom", gradientLength=240, titleLimit=400, **_axis_format(percent)
            ),
        ),
        opacity=alt.condition("datum.faded", alt.value(0.25), alt.value(1.0)),
        stroke=alt.condition("datum.faded", alt.value("#bbbbbb"), alt.value(None)),
        tooltip=[
            alt.Tooltip("weekday_name:N", title="Weekday"),
            alt.Tooltip("hour:O", title=f"Hour ({tz_name})"),
            alt.Tooltip("median:Q", title=value_title, format=fmt),
            alt.Tooltip("n:Q", title="Posts", format=",d"),
            alt.Tooltip("rank:Q", title="Rank (1 = best)"),
        ],
    )
    ranks = (
        base.transform_filter("isValid(datum.top)")
        .mark_text(fontSize=9, fontWeight="bold", color="white")
        .encode(x=x, y=y, text="top:N")
    )
    return layer(rect, ranks).properties(
        title=_title(title, demo_, notes), width=alt.Step(22), height=alt.Step(24)
    )


def _old_shape(
    df: pl.DataFrame, value: str, tz: str | None, min_n: int, helper: str
) -> pl.DataFrame:
    """An older table (weekday, hour, value, n) in the shape of ``best_time_to_post``."""
    col = value if value in df.columns else "value"
    _require(df, [col], helper)
    _require_numeric(df, col, helper)
    n = pl.col("n").cast(pl.Int64) if "n" in df.columns else pl.lit(None, pl.Int64)
    cells = df.select(
        _weekday_names(df["weekday"]).alias("weekday_name"),
        pl.col("hour").cast(pl.Int64),
        n.alias("n"),
        pl.col(col).cast(pl.Float64).alias("median"),
    )
    if not cells["hour"].drop_nulls().is_between(0, 23).all():
        raise ValueError(f"{helper}(): hour must be 0-23")
    if cells.select("weekday_name", "hour").is_duplicated().any():
        raise ValueError(
            f"{helper}(): the table has several rows for one weekday and hour; "
            "give one row per cell (filter it first, e.g. to one network)"
        )
    return cells.with_columns(
        pl.lit(None, pl.Int64).alias("rank"),
        (pl.col("n") < min_n).fill_null(False).alias("faded"),
        pl.lit(tz or "UTC").alias("tz"),
        pl.lit(None, pl.String).alias("age"),
    )
