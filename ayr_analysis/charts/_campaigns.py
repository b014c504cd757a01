"""Groups compared: an estimate and its interval per campaign (or network, media type...)."""

from __future__ import annotations

import textwrap
from typing import Any

import altair as alt
import polars as pl

from .. import analysis
from ..schema import PLATFORMS
from ._base import (
    _ACCENT,
    _MUTED,
    MAX_ROWS,
    _axis_format,
    _data,
    _empty,
    _is_count,
    _is_percent,
    _platform_color,
    _platform_order,
    _require,
    _require_numeric,
    _single,
    _title,
    _unwrap,
    _wrap,
    layer,
    metric_title,
    value_format,
)


def campaign_comparison(
    result: Any,
    group: str = "campaign",
    estimate: str = "estimate",
    low: str = "low",
    high: str = "high",
    n: str | None = "n",
    metric_label: str | None = None,
    *,
    percent: bool | None = None,
    reference: float | None = None,
    within: str | None = None,
    demo: bool | None = None,
) -> alt.LayerChart | alt.ConcatChart | alt.Chart:
    """Estimate and interval per group (campaign, network...): a point and a line, best first.

    ``result`` is the :class:`~ayr_analysis.analysis.Comparison` returned by
    ``analysis.compare`` (its ``label``, ``demo``, ``unit``, ``at_age`` and ``within`` are used:
    one panel per network when the comparison was made ``within="platform"``), or a table with
    the columns named by ``group``, ``estimate``, ``low``, ``high`` and ``n`` (``n=None`` when
    there is none; a table from ``compare`` has ``group`` and is read as it is). Given a
    ``Comparison``, ``group`` only names what the groups are (campaigns by default; networks
    when every group is one). Groups are in
    the order of the table's ``rank`` (else by the lower bound of the interval); each says its
    ``n``, and a group without data (``n`` = 0 or no estimate) reads "no data" with the reason
    instead of a point. A ``description`` column, if any, is shown in the tooltip.
    ``metric_label`` names the axis; ``percent`` formats values as percentages (default: for
    rates); ``reference`` draws a dashed rule (for an index relative to the network's median
    post: at 1).

    >>> import polars as pl
    >>> res = pl.DataFrame({"campaign": ["a", "b", "c"], "estimate": [0.05, 0.03, None],
    ...     "low": [0.01, 0.02, None], "high": [0.09, 0.04, None], "n": [12, 40, 0]})
    >>> spec = campaign_comparison(res, metric_label="Engagement rate (%)").to_dict()
    >>> spec["layer"][0]["encoding"]["y"]["sort"]
    ['b', 'a', 'c']
    >>> [layer["mark"]["type"] for layer in spec["layer"]]
    ['rule', 'point', 'text', 'text']
    """
    helper = "campaign_comparison"
    notes: list[str] = []
    relative = False
    name = group  # what the groups are, in words
    if isinstance(result, analysis.Comparison):
        table, demo_ = result.table, bool(demo) or result.demo
        group, estimate, low, high, n = "group", "estimate", "low", "high", "n"
        within = within or result.within
        relative = "relative to" in result.label
        if metric_label is None:
            metric_label = result.label[:1].upper() + result.label[1:]
        if percent is None:
            percent = not relative and _is_percent(result.metric)
        if reference is None and relative:
            reference = 1.0
        notes += _wrap(result.method, 110)
    else:
        table, demo_ = _unwrap(result, None, demo, helper)
        if group not in table.columns and group == "campaign" and "group" in table.columns:
            group = "group"
        if within is None and group == "group" and "platform" in table.columns:
            within = "platform"  # a table from compare(..., within="platform")
        if within is not None:
            notes.append(f"groups compared within each {within.replace('_', ' ')}")
    _require(table, [group, estimate, low, high, *([n] if n else [])], helper)
    for c in (estimate, low, high):
        _require_numeric(table, c, helper)
    if within is not None:
        _require(table, [within], helper)
    if table.height and table[group].is_in(list(PLATFORMS)).all():
        name = "platform"
    metric = _single(table, "metric")
    if metric_label is None:
        metric_label = metric_title(str(metric)) if metric is not None else "Estimate"
    if percent is None:
        percent = "%" in metric_label or (metric is not None and _is_percent(str(metric)))
    what = "network" if name == "platform" else name.replace("_", " ")
    title = f"{metric_label} by {what}"
    df = table.select(
        *([pl.col(within).cast(pl.String).alias("__within")] if within else []),
        pl.col(group).cast(pl.String).fill_null("(none)").alias("group"),
        pl.col(estimate).cast(pl.Float64).alias("estimate"),
        pl.col(low).cast(pl.Float64).alias("low"),
        pl.col(high).cast(pl.Float64).alias("high"),
        *([pl.col(n).cast(pl.Int64).alias("n")] if n else []),
        *(
            [pl.col(c) for c in ("rank", "excluded", "why_excluded", "description")
             if c in table.columns]
        ),
    )  # fmt: skip
    strata = ["__within"] if within else []
    if "rank" in df.columns:
        df = df.sort([*strata, "rank", "group"], nulls_last=True)
    else:
        df = df.sort(
            [*strata, "low", "estimate", "group"],
            descending=[False] * len(strata) + [True, True, False],
            nulls_last=True,
        )
    notes.append("best first: ranked by the lower bound of the interval")
    has = pl.col("estimate").is_not_null() & (pl.col("n") > 0 if n else pl.lit(True))
    df = df.with_columns(
        pl.when(has).then(pl.format("n={}", pl.col("n")) if n else pl.lit("")).alias("n_label"),
        pl.when(has)
        .then(pl.lit(None, pl.String))
        .otherwise(
            pl.concat_str(
                [
                    pl.lit("no data"),
                    pl.format(" ({})", pl.col("why_excluded")).fill_null("")
                    if "why_excluded" in df.columns
                    else pl.lit(""),
                ]
            ).str.replace(r" \(\)$", "")
        )
        .alias("no_data"),
    )
    if n:
        unit = _unit_text(result)
        notes.append("n = posts counted" + (f" ({unit})" if unit else ""))
    if df.is_empty():
        return _empty(title, demo_, notes)
    if df.height > MAX_ROWS:
        notes.append(f"showing the first {MAX_ROWS} of {df.height} groups")
        df = df.head(MAX_ROWS)
    x_title = metric_label
    if percent:
        fmt = value_format("engagement_rate")
    elif metric is not None and _is_count(str(metric)) and not relative:
        fmt = value_format(str(metric))
    else:
        fmt = value_format(None)
    spec = dict(percent=percent, fmt=fmt, x_title=x_title, reference=reference, group=name)
    if within is not None:
        spec["width"] = 300  # two panels side by side fit a report page
    if within is None:
        return _panel(df, **spec).properties(title=_title(title, demo_, notes))  # type: ignore[arg-type]
    names = list(dict.fromkeys(df["__within"].to_list()))
    if within == "platform":
        names = sorted(names, key=_platform_order)
    # a stratum where no group has a value (YouTube at 24 h, every video still processing) says
    # why in words, from the analysis result, instead of drawing an axis with nothing on it
    unvalued: dict[str, str] = {}
    if isinstance(result, analysis.Comparison) and within in result.without_data.columns:
        unvalued = dict(result.without_data.select(within, "note").iter_rows())
    panels = [
        (
            _note_panel(unvalued[s], 300)
            if s in unvalued
            else _panel(df.filter(pl.col("__within") == s), **spec)  # type: ignore[arg-type]
        ).properties(title=alt.TitleParams(s, anchor="start", fontSize=13))
        for s in names
    ]
    return alt.concat(*panels, columns=2).properties(title=_title(title, demo_, notes))


def _note_panel(note: str, width: int) -> alt.Chart:
    """A panel holding only ``note`` (why there is nothing to draw), in words, without axes."""
    lines = textwrap.wrap(note, max(30, width // 7))
    return (
        alt.Chart({"values": [{"line": t, "i": i} for i, t in enumerate(lines)]})
        .mark_text(align="left", baseline="top", fontSize=12, color=_MUTED, fontStyle="italic")
        .encode(
            x=alt.value(4),
            y=alt.Y("i:O", axis=None),
            text="line:N",
        )
        .properties(width=width, height=alt.Step(18), view=alt.ViewBackground(stroke=None))
    )


def _unit_text(result: Any) -> str:
    if isinstance(result, analysis.Comparison):
        age = f"at post age {result.at_age}" if result.at_age else "latest value"
        unit = "a post on a network, an X thread once" if result.unit == "post" else result.unit
        return f"{unit}; {age}"
    return ""


def _panel(
    df: pl.DataFrame,
    *,
    percent: bool,
    fmt: str,
    x_title: str,
    reference: float | None,
    group: str,
    width: int = 420,
) -> alt.LayerChart:
    order = df["group"].to_list()
    group_title = "Network" if group == "platform" else group.replace("_", " ").capitalize()
    y = alt.Y("group:N", sort=order, title=group_title, axis=alt.Axis(labelLimit=0))
    color: Any = _platform_color(order, "group") if group == "platform" else alt.value(_ACCENT)
    tooltip = [
        *([alt.Tooltip("rank:Q", title="Rank")] if "rank" in df.columns else []),
        alt.Tooltip("group:N", title=group_title),
        *([alt.Tooltip("description:N", title="Description")] if "description" in df.columns
          else []),
        alt.Tooltip("estimate:Q", title=x_title, format=fmt),
        alt.Tooltip("low:Q", title="Interval, low", format=fmt),
        alt.Tooltip("high:Q", title="Interval, high", format=fmt),
        *([alt.Tooltip("n:Q", title="Posts counted", format=",d")] if "n" in df.columns else []),
        *([alt.Tooltip("excluded:Q", title="Posts left out", format=",d")]
          if "excluded" in df.columns else []),
        *([alt.Tooltip("why_excluded:N", title="Why left out")]
          if "why_excluded" in df.columns else []),
    ]  # fmt: skip
    base = alt.Chart(_data(df))
    valid = "isValid(datum.estimate)"
    x = alt.X("low:Q", title=x_title, axis=alt.Axis(**_axis_format(percent)))
    rule = (
        base.transform_filter(valid)
        .mark_rule(strokeWidth=2)
        .encode(y=y, x=x, x2="high:Q", color=color, tooltip=tooltip)
    )
    point = (
        base.transform_filter(valid)
        .mark_point(filled=True, size=70)
        .encode(y=y, x=alt.X("estimate:Q"), color=color, tooltip=tooltip)
    )
    n_text = (
        base.transform_filter(valid)
        .mark_text(align="left", dx=6, fontSize=10, color=_MUTED)
        .encode(y=y, x=alt.X("high:Q"), text="n_label:N")
    )
    no_data = (
        base.transform_filter("!isValid(datum.estimate)")
        .mark_text(align="left", fontSize=11, color=_MUTED, fontStyle="italic")
        .encode(y=y, x=alt.value(4), text="no_data:N", tooltip=tooltip)
    )
    layers: list[alt.Chart] = [rule, point, n_text, no_data]
    if reference is not None:
        layers.append(
            alt.Chart({"values": [{"reference": reference}]})
            .mark_rule(strokeDash=[4, 4], color=_MUTED)
            .encode(x="reference:Q")
        )
    return layer(*layers).properties(width=width, height=alt.Step(24))
