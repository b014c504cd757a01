"""Video retention: X's playback quartiles and the completion measures of other networks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import altair as alt
import polars as pl

from .. import analysis
from ._base import (
    _data,
    _empty,
    _platform_color,
    _series_key,
    _sorted_platforms,
    _thin_series,
    _title,
    _unwrap,
    _wrap,
    layer,
)

PLAYBACK_FIELDS: dict[str, int] = analysis.PLAYBACK_FIELDS
_INK = "#222222"


def _frames(obj: Any, helper: str) -> tuple[pl.DataFrame | None, pl.DataFrame | None, bool]:
    """The long and wide frames of ``obj`` (AnalyticsFrames-like, or one frame) and its demo
    flag."""
    long: pl.DataFrame | None = None
    wide: pl.DataFrame | None = None
    is_demo = False
    if not isinstance(obj, pl.DataFrame | pl.LazyFrame) and (
        hasattr(obj, "long") or hasattr(obj, "wide")
    ):
        is_demo = getattr(obj, "source", None) == "demo"
        if hasattr(obj, "long"):
            long, d = _unwrap(obj.long, None, None, helper)
            is_demo = is_demo or d
        if hasattr(obj, "wide"):
            wide, d = _unwrap(obj.wide, None, None, helper)
            is_demo = is_demo or d
    else:
        frame, is_demo = _unwrap(obj, None, None, helper)
        if {"field", "value"} <= set(frame.columns):
            long = frame
        else:
            wide = frame
    return long, wide, is_demo


def video_retention(
    long_or_wide: Any,
    *,
    at_age: str | timedelta | None = None,
    demo: bool | None = None,
) -> alt.Chart | alt.LayerChart | alt.HConcatChart:
    """How much of the videos people watch.

    ``long_or_wide`` is the :class:`~ayr_analysis.analysis.VideoRetention` of
    ``analysis.video_retention(long, wide)``, or the frames it is computed from: a long frame
    (X's playback quartiles), a wide frame (``completion_rate``, ``avg_view_fraction``) or an
    ``AnalyticsFrames`` holding both. Left panel: the share of playback starts reaching 0, 25,
    50, 75 and 100 % of each video (thin lines) with the median and 25th-75th percentile.
    Right panel: the completion measures per network (median and 25th-75th percentile, ``n``
    videos), X's playback100 / playback0 among them. Networks without a measure are named.

    >>> import polars as pl
    >>> from ayr_analysis import schema
    >>> wide = pl.DataFrame([{"post_id": "p", "platform": "tiktok", "completion_rate": 0.31}],
    ...                     schema=schema.WIDE_SCHEMA)
    >>> [layer["mark"]["type"] for layer in video_retention(wide).to_dict()["layer"]]
    ['rule', 'point', 'text']
    """
    helper = "video_retention"
    if isinstance(long_or_wide, analysis.VideoRetention):
        result, is_demo = long_or_wide, bool(demo) or long_or_wide.demo
    else:
        long, wide, is_demo = _frames(long_or_wide, helper)
        is_demo = bool(demo) or is_demo
        result = analysis.video_retention(long, wide, at_age=at_age)
        is_demo = is_demo or result.demo
    title = "Video retention"
    completion = result.completion
    legend = _sorted_platforms(
        [*result.posts["platform"].to_list(), *completion.filter(pl.col("n") > 0)["platform"]]
    )
    panels = [
        p
        for p in (_retention_panel(result, legend), _completion_panel(completion, legend))
        if p is not None
    ]
    if not panels:
        return _empty(title, is_demo, _absent_note(completion))
    if len(panels) == 1:
        panel = panels[0]
        inner = panel.title
        text = inner.text if isinstance(inner, alt.TitleParams) else title
        notes = (
            list(inner.subtitle)
            if isinstance(inner, alt.TitleParams) and inner.subtitle is not alt.Undefined
            else []
        )
        return panel.properties(title=_title(str(text), is_demo, notes))
    return (
        alt.hconcat(*panels).properties(title=_title(title, is_demo)).resolve_scale(color="shared")
    )


def _retention_panel(result: analysis.VideoRetention, legend: list[str]) -> alt.LayerChart | None:
    posts = result.posts.filter(pl.col("share").is_not_null())
    if posts.is_empty():
        return None
    lines = posts.with_columns(_series_key(posts).alias("series"))
    lines, kept, total = _thin_series(lines, "series")
    x = alt.X(
        "quartile:Q",
        title="Point reached in the video (%)",
        scale=alt.Scale(domain=[0, 100]),
        axis=alt.Axis(values=[0, 25, 50, 75, 100]),
    )
    y_title = "Viewers still watching (% of playback starts)"
    stat_tips = [
        alt.Tooltip("platform:N", title="Network"),
        alt.Tooltip("quartile:Q", title="Point in video (%)"),
        alt.Tooltip("median:Q", title="Median share of starts", format=".2~%"),
        alt.Tooltip("q25:Q", title="25th percentile", format=".2~%"),
        alt.Tooltip("q75:Q", title="75th percentile", format=".2~%"),
        alt.Tooltip("n:Q", title="Videos", format=",d"),
    ]
    thin = (
        alt.Chart(_data(lines))
        .mark_line(strokeWidth=0.8, opacity=0.35)
        .encode(
            x=x,
            y=alt.Y("share:Q", title=y_title, axis=alt.Axis(format=".0%")),
            detail="series:N",
            color=_platform_color(legend),
            tooltip=[
                alt.Tooltip("label:N", title="Video"),
                alt.Tooltip("platform:N", title="Network"),
                alt.Tooltip("quartile:Q", title="Point in video (%)"),
                alt.Tooltip("count:Q", title="Playbacks reaching it", format=",.0f"),
                alt.Tooltip("starts:Q", title="Playback starts", format=",.0f"),
                alt.Tooltip("share:Q", title="Share of starts", format=".2~%"),
            ],
        )
    )
    curve = _data(result.curve)
    band = (
        alt.Chart(curve)
        .mark_area(opacity=0.15, color=_INK)
        .encode(x=x, y=alt.Y("q25:Q", title=y_title), y2="q75:Q", detail="platform:N",
                tooltip=stat_tips)
    )  # fmt: skip
    median = (
        alt.Chart(curve)
        .mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(color=_INK), color=_INK)
        .encode(x=x, y=alt.Y("median:Q", title=y_title), detail="platform:N", tooltip=stat_tips)
    )
    counted = result.excluded
    notes = ["thin lines: videos; thick line: median; band: 25th-75th percentile"]
    for platform, n, why in counted.select("platform", "n", "why_excluded").iter_rows():
        notes += _wrap(f"{platform}: {n} videos" + (f"; left out: {why}" if why else ""), 70)
    if kept < total:
        notes.append(f"thin lines show {kept} of {total} videos")
    return layer(band, thin, median).properties(
        title=alt.TitleParams("Playback quartiles (X)", subtitle=notes, anchor="start"),
        width=360,
        height=260,
    )


def _absent_note(completion: pl.DataFrame) -> list[str]:
    """The networks without any completion measure, named."""
    present = set(completion.filter(pl.col("n") > 0)["platform"].to_list())
    absent = _sorted_platforms(p for p in completion["platform"].to_list() if p not in present)
    return _wrap(f"no completion measure reported by: {', '.join(absent)}", 90) if absent else []


def _completion_panel(completion: pl.DataFrame, legend: list[str]) -> alt.LayerChart | None:
    drawn = completion.filter(pl.col("n") > 0)
    if drawn.is_empty():
        return None
    platforms = _sorted_platforms(drawn["platform"].to_list())
    measures = [m for m in analysis.COMPLETION_MEASURES.values() if m in drawn["measure"]]
    measures += [m for m in dict.fromkeys(drawn["measure"].to_list()) if m not in measures]
    drawn = drawn.with_columns(
        pl.format("n={}", pl.col("n")).alias("n_label"),
        pl.max_horizontal("median", "q75").alias("label_x"),
    )
    y = alt.Y("measure:N", sort=measures, title=None)
    y_offset = alt.YOffset("platform:N", sort=platforms)
    x_title = "Share of the video (%): median over videos"
    tooltip = [
        alt.Tooltip("platform:N", title="Network"),
        alt.Tooltip("measure:N", title="Measure"),
        alt.Tooltip("source:N", title="From"),
        alt.Tooltip("median:Q", title="Median", format=".2~%"),
        alt.Tooltip("q25:Q", title="25th percentile", format=".2~%"),
        alt.Tooltip("q75:Q", title="75th percentile", format=".2~%"),
        alt.Tooltip("n:Q", title="Videos with a value", format=",d"),
        alt.Tooltip("why_excluded:N", title="Left out"),
    ]
    base = alt.Chart(_data(drawn))
    color = _platform_color(legend)
    x = alt.X(
        "q25:Q",
        title=x_title,
        scale=alt.Scale(domain=[0, 1]),
        axis=alt.Axis(format=".0%", values=[0, 0.25, 0.5, 0.75, 1]),
    )
    rule = base.mark_rule(strokeWidth=2).encode(
        y=y, yOffset=y_offset, x=x, x2="q75:Q", color=color, tooltip=tooltip
    )
    point = base.mark_point(filled=True, size=70).encode(
        y=y, yOffset=y_offset, x=alt.X("median:Q"), color=color, tooltip=tooltip
    )
    text = base.mark_text(align="left", dx=6, fontSize=10, color="#555555").encode(
        y=y, yOffset=y_offset, x=alt.X("label_x:Q"), text="n_label:N"
    )
    ages = [a for a in dict.fromkeys(drawn["age"].to_list()) if a not in (None, "latest")]
    notes = ["point: median; line: 25th-75th percentile; n = videos with a value"]
    if ages:
        notes.append(f"at post age {', '.join(ages)}")
    notes += _absent_note(completion)
    return layer(rule, point, text).properties(
        title=alt.TitleParams(
            "Completion rate (%) and average view fraction (%) per network",
            subtitle=notes,
            anchor="start",
        ),
        width=360,
        height=alt.Step(18),
    )
