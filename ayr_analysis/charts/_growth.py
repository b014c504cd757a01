"""Growth with post age: each post's curve, and the cohort median of each group."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import altair as alt
import polars as pl

from .. import analysis
from ..schema import POST_KEY, SNAPSHOT_TIMES, UNIT_KEY
from ._base import (
    _ACCENT,
    PLATFORM_COLORS,
    _axis_format,
    _data,
    _empty,
    _is_percent,
    _label_unit,
    _platform_order,
    _require,
    _require_numeric,
    _series_key,
    _thin_series,
    _title,
    _unwrap,
    _wrap,
    layer,
    metric_title,
    value_format,
)

_ALL = "all posts"
_HOUR_TICKS = (1, 3, 6, 12, 24, 48, 72, 168, 336, 720)


def growth_curves(
    data: Any,
    metric: str | None = None,
    by: str | None = "platform",
    *,
    max_age: str | timedelta | None = "7d",
    ages: Sequence[str] | None = None,
    min_posts: int = 3,
    log_scale: bool = False,
    columns: int = 3,
    unit: str = "post",
    demo: bool | None = None,
    max_age_hours: float | None = None,
    bin_hours: float | None = None,
) -> alt.ConcatChart | alt.LayerChart | alt.Chart:
    """How ``metric`` grows with post age: one panel per ``by`` group (network by default).

    ``data`` is the :class:`~ayr_analysis.analysis.GrowthCurves` of
    ``analysis.growth_curves(snapshots, metric, by)``, or snapshots (a wide frame with several
    observations per post, or ``AnalyticsFrames``), for which that function is called with
    ``max_age`` (``max_age_hours`` is the older spelling), ``ages``, ``min_posts`` and ``unit``;
    ``by=None`` puts every post in one group.

    Each panel draws a thin line per post of the group's cohort, the cohort's median in bold and
    its 25th-75th percentile as a band, against post age in hours (a logarithmic axis: the first
    hours matter most). The cohort is the same posts at every age, so a cumulative count's
    median never falls; the panel's subtitle says how many posts, up to which age, and what was
    left out. A group without a curve is named in the chart's subtitle with the reason. Panels
    have their own y scale (``log_scale=True``: a logarithmic one). ``bin_hours`` is accepted
    for older calls and ignored (with a ``DeprecationWarning``).

    >>> import polars as pl, datetime as dt
    >>> from ayr_analysis import schema
    >>> t0 = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
    >>> rows = [{"post_id": p, "platform": "bluesky", "published_at": t0,
    ...          "observed_at": t0 + dt.timedelta(hours=h), "likes": k * h}
    ...         for p, k in (("a", 1), ("b", 2), ("c", 3)) for h in (1, 6, 24)]
    >>> spec = growth_curves(pl.DataFrame(rows, schema=schema.WIDE_SCHEMA)).to_dict()
    >>> spec["layer"][0]["encoding"]["x"]["title"]
    'Post age (hours, log scale)'
    >>> spec["title"]["subtitle"][-1]
    'bluesky: median over the same 3 posts at every age, up to 24h'
    """
    helper = "growth_curves"
    if bin_hours is not None:
        warnings.warn(
            "growth_curves(bin_hours=...) is no longer used: each post is interpolated at the "
            "ages of the growth grid (choose them with ages=[...])",
            DeprecationWarning,
            stacklevel=2,
        )
    if max_age_hours is not None:
        if not max_age_hours > 0:
            raise ValueError(f"{helper}(): max_age_hours must be positive, not {max_age_hours}")
        max_age = f"{max_age_hours:g}h"
    if isinstance(data, analysis.GrowthCurves):
        curves = data
        if metric is not None and metric != curves.metric:
            raise ValueError(
                f"{helper}(): the curves given are of {curves.metric!r}, not {metric!r}"
            )
        demo_ = bool(demo) or curves.demo
    else:
        metric = metric or "likes"
        wanted = [*UNIT_KEY, "text", "url", *SNAPSHOT_TIMES, "published_at", "media_type", metric]
        wanted += [by] if by else []
        frame, demo_ = _unwrap(data, "wide", demo, helper, wanted)
        _require(frame, [*POST_KEY, "observed_at", "published_at", metric], helper)
        _require_numeric(frame, metric, helper)
        if by is None:
            frame, group_by = frame.with_columns(pl.lit(_ALL).alias("__all")), "__all"
        else:
            _require(frame, [by], helper)
            group_by = by
        curves = analysis.growth_curves(
            frame, metric, group_by, ages=ages, max_age=max_age, min_posts=min_posts,
            unit=unit,  # type: ignore[arg-type]
        )  # fmt: skip
        demo_ = demo_ or curves.demo
    metric = curves.metric
    by_platform = curves.by == "platform"
    label, _ = _label_unit(metric)
    title = f"{label} by post age"
    notes = [
        "thin lines: posts; bold line: median; band: 25th-75th percentile, over the same posts "
        "at every age (a post on a network, an X thread counted once)"
    ]
    cohorts = curves.cohorts
    key = (lambda g: _platform_order(g)) if by_platform else (lambda g: (0, g))
    groups = sorted(cohorts.filter(pl.col("n") > 0)["group"].to_list(), key=key)
    without = cohorts.filter(pl.col("n") == 0).sort("group")
    if without.height:
        names = [
            f"{g} ({why})" if why else g
            for g, why in without.select("group", "why_excluded").iter_rows()
        ]
        notes += _wrap("no curve: " + "; ".join(names))
    if not groups:
        return _empty(title, demo_, notes)
    panels = [
        _panel(curves, g, by_platform=by_platform, log_scale=log_scale, single=len(groups) == 1)
        for g in groups
    ]
    if len(panels) == 1:
        panel, sub = panels[0]
        return panel.properties(title=_title(title, demo_, [*notes, *sub]))
    return alt.concat(*(p.properties(title=_panel_title(g, sub)) for g, (p, sub) in
                        zip(groups, panels, strict=True)), columns=columns).properties(
        title=_title(title, demo_, notes)
    )  # fmt: skip


def _panel_title(group: str, subtitle: list[str]) -> alt.TitleParams:
    return alt.TitleParams(
        text=group, subtitle=subtitle, anchor="start", fontSize=13, subtitleFontSize=10
    )


def _panel(
    curves: analysis.GrowthCurves, group: str, *, by_platform: bool, log_scale: bool, single: bool
) -> tuple[alt.LayerChart, list[str]]:
    """One group's panel and its subtitle lines."""
    metric = curves.metric
    cohort = curves.cohorts.filter(pl.col("group") == group).row(0, named=True)
    posts = curves.posts.filter(pl.col("group") == group)
    posts = posts.with_columns(_series_key(posts).alias("series")).sort("series", "age_h")
    posts, kept, total = _thin_series(posts, "series")
    curve = curves.curve.filter(pl.col("group") == group).sort("age_h")
    prefix = f"{group}: " if single and group != _ALL else ""
    sub = [
        f"{prefix}median over the same {cohort['n']} posts at every age, up to {cohort['horizon']}"
    ]
    if cohort["why_excluded"]:
        sub += _wrap(f"left out: {cohort['why_excluded']}", 70)
    if kept < total:
        sub.append(f"thin lines show {kept} of {total} posts; median and band use all {total}")
    percent = _is_percent(metric)
    fmt = value_format(metric)
    y_title = metric_title(metric) + (", log scale" if log_scale else "")
    top = float(curve["age_h"].max() or 1)  # type: ignore[arg-type]
    start = float(curve["age_h"].min())  # type: ignore[arg-type]
    ticks = [h for h in _HOUR_TICKS if h <= top * 1.01]
    # a log axis: the first hours, where most growth happens, get room (symlog from age 0)
    x = alt.X(
        "age_h:Q",
        title="Post age (hours, log scale)",
        scale=alt.Scale(type="log" if start > 0 else "symlog", domain=[start, top], nice=False),
        axis=alt.Axis(values=ticks, format="~g"),
    )
    y_scale = alt.Scale(type="symlog") if log_scale else alt.Scale(zero=True)
    y = alt.Y("value:Q", title=y_title, scale=y_scale, axis=alt.Axis(**_axis_format(percent)))
    color: Any = (
        alt.value(PLATFORM_COLORS.get(group, _ACCENT)) if by_platform else alt.value(_ACCENT)
    )
    thin = (
        alt.Chart(_data(posts.select("series", "label", "age", "age_h", "value")))
        .mark_line(strokeWidth=0.7, opacity=0.3)
        .encode(
            x=x,
            y=y,
            detail="series:N",
            color=color,
            tooltip=[
                alt.Tooltip("label:N", title="Post"),
                alt.Tooltip("age:N", title="Post age"),
                alt.Tooltip("value:Q", title=metric_title(metric), format=fmt),
            ],
        )
    )
    stat_tips = [
        alt.Tooltip("age:N", title="Post age"),
        alt.Tooltip("median:Q", title=f"Median {metric_title(metric)}", format=fmt),
        alt.Tooltip("q25:Q", title="25th percentile", format=fmt),
        alt.Tooltip("q75:Q", title="75th percentile", format=fmt),
        alt.Tooltip("n:Q", title="Posts (the same at every age)", format=",d"),
    ]
    cols = ["age", "age_h", "n", "median", "q25", "q75"]
    band = (
        alt.Chart(_data(curve.select(cols)))
        .mark_area(opacity=0.2)
        .encode(x=x, y=alt.Y("q25:Q", scale=y_scale), y2="q75:Q", color=color, tooltip=stat_tips)
    )
    median = (
        alt.Chart(_data(curve.select(cols)))
        .mark_line(strokeWidth=2.8, point=True)
        .encode(x=x, y=alt.Y("median:Q", scale=y_scale), color=color, tooltip=stat_tips)
    )
    size = (440, 260) if single else (250, 170)
    return layer(band, thin, median).properties(width=size[0], height=size[1]), sub
