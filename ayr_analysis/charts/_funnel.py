"""The funnel of each network: impressions -> engagements -> clicks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

import altair as alt
import polars as pl

from .. import analysis
from ..analysis import ABSENCES
from ..schema import POST_KEY
from ._base import (
    _age_text,
    _data,
    _empty,
    _platform_color,
    _platform_order,
    _powers_of_ten,
    _require,
    _require_numeric,
    _single,
    _title,
    _unwrap,
    layer,
)

#: The stages drawn by default.
FUNNEL_STAGES: tuple[str, ...] = analysis.FUNNEL_STAGES
_RESULT = ("platform", "stage", "stage_index", "total", "n", "status")


def funnel(
    wide: Any,
    *,
    stages: Sequence[str] = FUNNEL_STAGES,
    at_age: str | timedelta | None = None,
    log_scale: bool = True,
    demo: bool | None = None,
) -> alt.LayerChart | alt.Chart:
    """Impressions -> engagements -> clicks per network, each summed over the posts reporting it.

    ``wide`` is the result of ``analysis.funnel(frame, stages)``, or a wide frame (or
    ``AnalyticsFrames``), for which that function is called with ``at_age`` (``None`` = each
    post's latest reported value). A stage a network has no value for is marked with a grey
    cross (its reason in the tooltip: not reported, no snapshot near the age...), never drawn as
    0; a reported 0 is a bar of height 0, labelled. Each bar is labelled with its ``n`` (posts
    counted); the tooltip gives the stage as a share of the first one over the posts reporting
    both.

    >>> import polars as pl
    >>> from ayr_analysis import schema
    >>> wide = pl.DataFrame([{"post_id": "p", "platform": "instagram", "impressions": 100,
    ...                       "engagements": 9}], schema=schema.WIDE_SCHEMA)
    >>> spec = funnel(wide).to_dict()
    >>> rows = spec["datasets"][spec["layer"][0]["data"]["name"]]
    >>> [(r["stage"], r["total"], r["reported_for"]) for r in rows]
    [('impressions', 100.0, '1 of 1 posts'), ('engagements', 9.0, '1 of 1 posts'), ('clicks', None, 'not reported by the network')]
    """
    helper = "funnel"
    frame, demo_ = _unwrap(wide, "wide", demo, helper)
    if set(_RESULT) <= set(frame.columns):
        long = frame
        stages = list(dict.fromkeys(long.sort("stage_index")["stage"].to_list()))
    else:
        stages = list(stages)
        if not stages or len(set(stages)) != len(stages):
            raise ValueError(f"{helper}(): stages must be distinct metric names, got {stages!r}")
        _require(frame, [*POST_KEY, *stages], helper)
        for s in stages:
            _require_numeric(frame, s, helper)
        long = analysis.funnel(frame, stages, at_age)
    title = "Funnel per network: " + " → ".join(s.replace("_", " ") for s in stages)
    age = _single(long, "age")
    notes = [
        f"summed over the posts reporting each stage ({_age_text(age)}; a post on a network, "
        "an X thread counted once); n = posts counted",
        "× = no value (see the tooltip: not reported, or not observed at that age); "
        "0 = reported zero",
    ]
    if long.is_empty():
        return _empty(title, demo_, notes)
    reasons = {k: v.format(age=age or "latest", base="base") for k, v in ABSENCES.items()}
    first = stages[0]
    platforms = sorted(long["platform"].unique().to_list(), key=_platform_order)
    order = {p: i for i, p in enumerate(platforms)}
    long = (
        long.with_columns(
            pl.col("platform").replace_strict(order, return_dtype=pl.Int64).alias("__order"),
            pl.when(pl.col("total").is_not_null())
            .then(pl.format("{} of {} posts", "n", "posts"))
            .otherwise(pl.col("status").replace_strict(reasons, default=pl.col("status")))
            .alias("reported_for"),
            pl.when(pl.col("total").is_not_null()).then(pl.format("n={}", "n")).alias("n_label"),
        )
        .sort("__order", "stage_index")
        .drop("__order")
    )
    x = alt.X("stage:N", sort=stages, title="Stage", axis=alt.Axis(labelAngle=0))
    x_offset = alt.XOffset("platform:N", sort=platforms)
    tooltip = [
        alt.Tooltip("platform:N", title="Network"),
        alt.Tooltip("stage:N", title="Stage"),
        alt.Tooltip("total:Q", title="Total (count)", format=",.0f"),
        alt.Tooltip("reported_for:N", title="Reported for"),
        alt.Tooltip("of_first:Q", title=f"Share of {first} (same posts)", format=".2~%"),
        *(
            [alt.Tooltip("why_excluded:N", title="Posts left out")]
            if "why_excluded" in long.columns
            else []
        ),
    ]
    height = 300
    reported = long.filter(pl.col("total").is_not_null())
    missing = long.filter(pl.col("total").is_null())
    top = cast("float | None", reported["total"].max()) if reported.height else None
    room = float(top) * (4 if log_scale else 1.15) if top else None  # room for the n labels
    y_scale = (
        alt.Scale(type="symlog", domain=[0, room] if room else alt.Undefined, nice=False)
        if log_scale
        else alt.Scale(domain=[0, room] if room else alt.Undefined)
    )
    y = alt.Y(
        "total:Q",
        title="Count, summed over posts" + (" (symlog scale)" if log_scale else ""),
        scale=y_scale,
        axis=alt.Axis(
            values=_powers_of_ten(top) if log_scale else alt.Undefined,  # type: ignore[arg-type]
            labelExpr="format(datum.value, '~s')",
        ),
    )
    data = _data(long)
    layers = [
        alt.Chart(data)
        .transform_filter("isValid(datum.total)")
        .mark_bar()
        .encode(x=x, xOffset=x_offset, y=y, color=_platform_color(platforms), tooltip=tooltip),
        alt.Chart(data)
        .transform_filter("isValid(datum.total)")
        .mark_text(angle=270, align="left", dx=3, fontSize=8, color="#444444")
        .encode(x=x, xOffset=x_offset, y=y, text="n_label:N"),
    ]
    if not missing.is_empty():
        layers.append(
            alt.Chart(_data(missing.drop("n_label")))
            .mark_point(shape="cross", filled=True, size=70, color="#8a8a8a")
            .encode(
                x=x,
                xOffset=x_offset,
                y=alt.value(height - 8),
                shape=alt.Shape(
                    "legend:N",
                    scale=alt.Scale(domain=["no value"], range=["cross"]),
                    legend=alt.Legend(title=None, symbolFillColor="#8a8a8a"),
                ),
                tooltip=tooltip,
            )
            .transform_calculate(legend="'no value'")
        )
    zeros = reported.filter(pl.col("total") == 0)
    if not zeros.is_empty():  # a reported zero has no bar to hover: label it
        layers.append(
            alt.Chart(_data(zeros.drop("n_label")))
            .mark_text(fontSize=10, color="#444444")
            .encode(
                x=x, xOffset=x_offset, y=alt.value(height - 8), text=alt.value("0"), tooltip=tooltip
            )
        )
    if reported.is_empty():
        notes.append(f"no network reported {', '.join(stages)}")
    return layer(*layers).properties(
        title=_title(title, demo_, notes), width=alt.Step(16), height=height
    )
