"""Networks side by side: a metric's spread per network, and the mix of networks per group."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

import altair as alt
import polars as pl

from .. import analysis
from ..schema import POST_KEY
from ._base import (
    _age_text,
    _axis_format,
    _check_metric,
    _data,
    _empty,
    _headroom,
    _is_percent,
    _is_result,
    _label_unit,
    _log_wanted,
    _platform_color,
    _powers_of_ten,
    _require,
    _require_metric,
    _single,
    _sorted_platforms,
    _title,
    _unwrap,
    _wrap,
    layer,
    metric_title,
    value_format,
)

_DISTRIBUTION = ("platform", "n", "median", "q25", "q75")


def platform_comparison(
    data: Any,
    metric: str | None = None,
    *,
    at_age: str | timedelta | None = None,
    unit: str = "post",
    rate_by: str = "impressions",
    log_scale: bool | None = None,
    demo: bool | None = None,
) -> alt.LayerChart | alt.Chart:
    """The median of ``metric`` per post on each network, with its 25th-75th percentile.

    ``data`` is the result of ``analysis.distribution(frame, metric, by="platform")``, or a wide
    frame, snapshots or ``AnalyticsFrames`` (then that function is called with ``at_age``:
    ``None`` = each post's latest reported value; a post on a network counted once, an X thread
    once; ``metric="engagement_rate"``: engagements per ``rate_by`` of each post). Each bar says
    its ``n``; a network without a value is named in the subtitle with the
    reason (not reported by the network, no snapshot near the age...), never drawn as 0. When
    the medians differ by more than 100 times the axis is logarithmic (and says so);
    ``log_scale`` forces it on or off.

    >>> import polars as pl
    >>> from ayr_analysis import schema
    >>> wide = pl.DataFrame([{"post_id": "p", "platform": "tiktok", "views": 7},
    ...                      {"post_id": "q", "platform": "bluesky"}], schema=schema.WIDE_SCHEMA)
    >>> spec = platform_comparison(wide, "views").to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]]
    ['bar', 'rule', 'text']
    >>> spec["title"]["subtitle"][-1]
    'no value: bluesky (1 not reported by the network)'
    """
    helper = "platform_comparison"
    frame, demo_ = _unwrap(data, "wide", demo, helper)
    if _is_result(frame, _DISTRIBUTION) and (
        "why_excluded" in frame.columns or "post_id" not in frame.columns
    ):
        metric = _check_metric(frame, metric, helper) or "value"
        dist = frame
        if dist["platform"].is_duplicated().any():
            raise ValueError(
                f"{helper}(): the result has several rows per network; compute it with "
                'analysis.distribution(frame, metric, by="platform")'
            )
    else:
        metric = metric or "likes"
        _require_metric(frame, metric, rate_by, helper)
        dist = analysis.distribution(
            frame, metric, by="platform", at_age=at_age, rate_by=rate_by,
            unit=unit,  # type: ignore[arg-type]
        )  # fmt: skip
    label, _ = _label_unit(metric)
    age = _single(dist, "age")
    percent = _is_percent(metric)
    title = f"Median {label.lower()} per post by network"
    if age not in (None, "latest"):
        title += f" at post age {age}"
    missing = dist.filter(pl.col("n") == 0)
    notes = []
    if missing.height:
        names = [
            f"{p} ({why})" if why else p
            for p, why in missing.select("platform", "why_excluded").iter_rows()
        ]
        notes += _wrap("no value: " + "; ".join(names))
    drawn = dist.filter(pl.col("n") > 0)
    if drawn.is_empty():
        return _empty(title, demo_, notes)
    use_log = _log_wanted(drawn["median"].to_list()) if log_scale is None else log_scale
    positive = bool((drawn["q25"] > 0).all() and (drawn["median"] > 0).all())
    scale_type: Literal["log", "symlog"] = "log" if positive else "symlog"
    unit_text = "a post on a network, an X thread counted once"
    notes[:0] = [
        f"bar: median per post ({_age_text(age)}); line: 25th-75th percentile",
        f"n = posts with a value ({unit_text}); left out: see the tooltip",
    ]
    if use_log:
        notes.insert(2, "log scale: the networks' medians differ by more than 100 times")
    drawn = drawn.sort(["median", "platform"], descending=[True, False]).with_columns(
        pl.when(pl.col("excluded") > 0)
        .then(pl.format("n={} posts ({} left out)", pl.col("n"), pl.col("excluded")))
        .otherwise(pl.format("n={} posts", pl.col("n")))
        .alias("n_label")
        if "excluded" in drawn.columns
        else pl.format("n={} posts", pl.col("n")).alias("n_label"),
        pl.max_horizontal("median", "q75").alias("label_x"),
    )
    order = drawn["platform"].to_list()
    fmt = value_format(metric)
    y = alt.Y("platform:N", sort=order, title="Network")
    tooltip = [
        alt.Tooltip("platform:N", title="Network"),
        alt.Tooltip("median:Q", title=f"Median {metric_title(metric)}", format=fmt),
        alt.Tooltip("q25:Q", title="25th percentile", format=fmt),
        alt.Tooltip("q75:Q", title="75th percentile", format=fmt),
        *(
            [alt.Tooltip("mean:Q", title=f"Mean {metric_title(metric)}", format=fmt)]
            if "mean" in drawn.columns
            else []
        ),
        alt.Tooltip("n:Q", title="Posts with a value", format=",d"),
        *(
            [alt.Tooltip("excluded:Q", title="Posts left out", format=",d")]
            if "excluded" in drawn.columns
            else []
        ),
        *(
            [alt.Tooltip("why_excluded:N", title="Why left out")]
            if "why_excluded" in drawn.columns
            else []
        ),
    ]
    axis_title = f"Median {metric_title(metric).lower()}" + (", log scale" if use_log else "")
    if use_log:
        top = drawn["label_x"].max()
        bottom = drawn["q25"].min() if positive else 0
        domain = [float(bottom) / 1.5 if positive else 0, float(top) * 4]  # type: ignore[arg-type, operator]
        scale = alt.Scale(type=scale_type, domain=domain, nice=False)
    else:
        scale = _headroom(drawn["label_x"].max(), drawn["q25"].min())  # type: ignore[arg-type]
    base = alt.Chart(_data(drawn))
    axis = alt.Axis(**_axis_format(percent))
    if use_log and not positive:  # symlog: Vega's own ticks skip the small powers of ten
        ticks = [t for t in _powers_of_ten(domain[1]) if t <= domain[1]]
        axis = alt.Axis(**_axis_format(percent), values=ticks)
    bar_enc: dict[str, Any] = {
        "x": alt.X("median:Q", title=axis_title, axis=axis, scale=scale),
        "y": y,
        "color": _platform_color(order),
        "tooltip": tooltip,
    }
    if use_log:  # a bar on a log scale starts at the axis' left end, not at 0
        bar_enc["x2"] = alt.datum(domain[0])
    bars = base.mark_bar(opacity=0.6).encode(**bar_enc)
    spread = base.mark_rule(color="black", strokeWidth=1.5).encode(
        x=alt.X("q25:Q"), x2="q75:Q", y=y, tooltip=tooltip
    )
    text = base.mark_text(align="left", dx=5, fontSize=11).encode(
        x=alt.X("label_x:Q"), y=y, text="n_label:N"
    )
    return layer(bars, spread, text).properties(
        title=_title(title, demo_, notes), width=420, height=alt.Step(26)
    )


# --------------------------------------------------------------------------- network mix


def network_mix(
    mix: Any,
    by: str = "campaign",
    demo: bool | None = False,
) -> alt.LayerChart | alt.Chart:
    """Posts per network in each ``by`` group (campaign, media type...) as stacked bars.

    ``mix`` is the frame of ``analysis.network_mix(frame, by)`` (``by``, ``platform``,
    ``posts``, ``share``), or a wide frame / ``AnalyticsFrames`` (that function is then called).
    Each segment is labelled with its number of posts; the legend lists only the networks
    present.

    >>> import polars as pl
    >>> mix = pl.DataFrame({"campaign": ["a", "a", "b"], "platform": ["tiktok", "x", "tiktok"],
    ...                     "posts": [3, 1, 2], "share": [0.75, 0.25, 1.0]})
    >>> spec = network_mix(mix).to_dict()
    >>> spec["layer"][0]["encoding"]["color"]["legend"]["values"]
    ['tiktok', 'x']
    """
    helper = "network_mix"
    frame, demo_ = _unwrap(mix, "wide", demo, helper)
    if not ({"platform", "posts"} <= set(frame.columns) and "post_id" not in frame.columns):
        _require(frame, [*POST_KEY, by], helper)
        frame = analysis.network_mix(frame, by)
    _require(frame, [by, "platform", "posts"], helper)
    what = by.replace("_", " ")
    title = f"Posts per network by {what}"
    if frame.is_empty():
        return _empty(title, demo_)
    present = _sorted_platforms(frame["platform"].to_list())
    rank = {p: i for i, p in enumerate(present)}
    df = frame.with_columns(
        pl.col(by).cast(pl.String).fill_null("(none)").alias("__group"),
        pl.col("platform").replace_strict(rank, return_dtype=pl.Int64).alias("__order"),
    )
    groups = list(dict.fromkeys(df.sort("__group")["__group"].to_list()))
    y = alt.Y("__group:N", sort=groups, title=what.capitalize(), axis=alt.Axis(labelLimit=0))
    tooltip = [
        alt.Tooltip("__group:N", title=what.capitalize()),
        alt.Tooltip("platform:N", title="Network"),
        alt.Tooltip("posts:Q", title="Posts", format=",d"),
        *(
            [alt.Tooltip("share:Q", title=f"Share of the {what}'s posts", format=".1%")]
            if "share" in df.columns
            else []
        ),
    ]
    x = alt.X("posts:Q", title="Posts (count; a post on a network, an X thread once)", stack="zero")
    order = alt.Order("__order:Q")
    base = alt.Chart(_data(df))
    bars = base.mark_bar().encode(
        x=x, y=y, color=_platform_color(present), order=order, tooltip=tooltip
    )
    text = base.mark_text(align="right", dx=-3, color="white", fontSize=10).encode(
        x=x, y=y, order=order, text=alt.Text("posts:Q", format=",d"), detail="platform:N"
    )
    return layer(bars, text).properties(
        title=_title(title, bool(demo_), ["each segment: posts of that network (count)"]),
        width=420,
        height=alt.Step(26),
    )
