"""The top posts of a metric, labelled by their text, network and day."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import altair as alt
import polars as pl

from .. import analysis
from ._base import (
    _age_text,
    _axis_format,
    _check_metric,
    _data,
    _empty,
    _headroom,
    _is_percent,
    _label_unit,
    _platform_color,
    _require_metric,
    _single,
    _title,
    _unwrap,
    layer,
    metric_title,
    value_format,
)

_RESULT = ("rank", "value", "label", "status")


def top_posts(
    data: Any,
    metric: str | None = None,
    n: int = 10,
    *,
    at_age: str | timedelta | None = None,
    text_chars: int = 40,
    rate_by: str = "impressions",
    unit: str = "post",
    demo: bool | None = None,
) -> alt.LayerChart | alt.Chart:
    """The ``n`` posts with the highest ``metric`` as horizontal bars, best first.

    ``data`` is the result of ``analysis.top_posts(frame, metric, n)``, or a wide frame,
    snapshots or ``AnalyticsFrames`` (that function is then called with ``at_age``: ``None`` =
    each post's latest reported value; ``metric="engagement_rate"``: engagements per ``rate_by``).
    Posts are at the unit of analysis: a post on a network,
    an X thread counted once with its tweets summed. Each bar is labelled by the post's text,
    network and day (``label``) and links to the post's URL; posts that did not report the
    metric are not ranked.

    >>> import polars as pl
    >>> from ayr_analysis import schema
    >>> wide = pl.DataFrame([{"post_id": "p1", "platform": "youtube", "views": 9,
    ...                       "text": "Our spring launch video"}], schema=schema.WIDE_SCHEMA)
    >>> spec = top_posts(wide, "views").to_dict()
    >>> spec["layer"][0]["encoding"]["x"]["title"]
    'Views (count)'
    >>> spec["datasets"][spec["data"]["name"]][0]["label"]
    'Our spring launch video · youtube'
    """
    helper = "top_posts"
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{helper}(): n must be a positive integer, not {n!r}")
    if text_chars < 4:
        raise ValueError(f"{helper}(): text_chars must be at least 4, not {text_chars}")
    frame, demo_ = _unwrap(data, "wide", demo, helper)
    if set(_RESULT) <= set(frame.columns):
        metric = _check_metric(frame, metric, helper) or "value"
        top = frame.filter(pl.col("rank") <= n)
    else:
        metric = metric or "likes"
        _require_metric(frame, metric, rate_by, helper)
        top = analysis.top_posts(frame, metric, n, at_age, rate_by=rate_by, unit=unit)  # type: ignore[arg-type]
    label, _ = _label_unit(metric)
    age = _single(top, "age")
    title = f"Top {n} posts by {label.lower()}" + (
        f" at post age {age}" if age not in (None, "latest") else ""
    )
    notes = [f"{_age_text(age)}; a post on a network, an X thread counted once (tweets summed)"]
    if top.is_empty():
        return _empty(title, demo_, notes)
    if text_chars != 40 and {"text", "published_at", "post_id", "platform"} <= set(top.columns):
        top = top.with_columns(analysis.post_label(text_chars).alias("label"))
    top = top.sort(["rank", "post_id"]).with_columns(
        pl.when(pl.col("label").is_duplicated())
        .then(pl.format("{} [{}]", pl.col("label"), pl.col("post_id")))
        .otherwise(pl.col("label"))
        .alias("label")
    )
    keep = ["rank", "label", "post_id", "platform", "value", "url", "published_at", "tweets"]
    if "text" in top.columns:
        top = top.with_columns(pl.col("text").str.slice(0, 200).alias("snippet"))
        keep.append("snippet")
    top = top.select([c for c in keep if c in top.columns])
    order = top["label"].to_list()
    percent = _is_percent(metric)
    fmt = value_format(metric)
    tooltip = [
        alt.Tooltip("rank:Q", title="Rank"),
        alt.Tooltip("label:N", title="Post"),
        alt.Tooltip("value:Q", title=metric_title(metric), format=fmt),
        alt.Tooltip("platform:N", title="Network"),
        alt.Tooltip("post_id:N", title="Post id"),
    ]
    extra = (
        ("snippet", "Text"),
        ("published_at", "Published at"),
        ("tweets", "Tweets summed"),
        ("url", "URL"),
    )
    tooltip += [alt.Tooltip(f"{c}:N", title=t) for c, t in extra if c in top.columns]
    base = alt.Chart(_data(top))
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=420))
    enc: dict[str, Any] = {
        "x": alt.X(
            "value:Q",
            title=metric_title(metric),
            axis=alt.Axis(tickCount=5, **_axis_format(percent)),
            scale=_headroom(top["value"].max(), top["value"].min()),  # type: ignore[arg-type]
        ),
        "y": y,
        "color": _platform_color(top["platform"].to_list()),
        "tooltip": tooltip,
    }
    if "url" in top.columns:
        enc["href"] = alt.Href("url:N")
    bars = base.mark_bar().encode(**enc)
    values = base.mark_text(align="left", dx=4, fontSize=11).encode(
        x=alt.X("value:Q"), y=y, text=alt.Text("value:Q", format=fmt)
    )
    return layer(bars, values).properties(
        title=_title(title, demo_, notes), width=420, height=alt.Step(24)
    )
