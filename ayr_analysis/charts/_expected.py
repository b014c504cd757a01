"""Expected performance: one post against its typical band, the index per campaign, and how far
the forecast can be trusted. Drawing only: the numbers come from ``analysis.expected``."""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from .. import analysis
from ._base import (
    _ACCENT,
    _MUTED,
    PLATFORM_COLORS,
    _data,
    _empty,
    _label_unit,
    _title,
    _wrap,
    layer,
    metric_title,
    value_format,
)

_HOUR_TICKS = (1, 3, 6, 12, 24, 48, 72, 168, 336, 720)
#: The forecast methods of a backtest, as the legend names them.
METHODS: dict[str, str] = {
    "model": "log-linear model",
    "typical": "typical post",
    "stays": "current value stays",
    "scaled": "typical curve x the post's index",
}


def expected_curve(outlook: analysis.PostOutlook) -> alt.LayerChart | alt.Chart:
    """One post's curve over its typical band, with its forecast (the "YouTube Studio" view).

    ``outlook`` is :func:`ayr_analysis.analysis.post_outlook`'s result. Drawn against post age
    (hours, log scale): the 10th-90th percentile band of the post's network and media type
    (light), the 25th-75th band (darker), the typical post (dashed), the post's own snapshots
    (line and points), and its forecast at the horizon with its prediction interval (a point
    and an error bar, joined to its last snapshot by a dotted line). Ages where the history is
    too thin have no band and are named in the subtitle.

    >>> import polars as pl, datetime as dt
    >>> from ayr_analysis import analysis
    >>> t = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
    >>> h = dt.timedelta(hours=1)
    >>> rows = [{"post_id": p, "platform": "tiktok", "published_at": t, "likes": k * a,
    ...          "observed_at": t + a * h} for p, k in zip("abcdef", range(1, 7))
    ...         for a in (1, 24, 168)]
    >>> o = analysis.post_outlook(pl.DataFrame(rows), "likes", "c", by="platform",
    ...                           ages=["1h", "24h", "7d"], forecast_min_posts=5)
    >>> expected_curve(o).to_dict()["title"]["text"]
    'Likes of one tiktok post against its typical band'
    """
    metric = outlook.metric
    post = outlook.post
    platform = str(post.get("platform"))
    media = post.get("media_type")
    label, _ = _label_unit(metric)
    group = platform + (f" {media}" if media else "")
    title = f"{label} of one {group} post against its typical band"
    typical = outlook.typical.sort("age_h")
    ok = typical.filter(pl.col("status") == "ok")
    notes = []
    text = post.get("text")
    if text:
        notes.append(f"post: {str(text)[:80]}")
    if ok.height:
        n = ok["n"].to_list()
        notes.append(
            f"band: {group} posts of the look-back window at the same age ({min(n)}-{max(n)} "
            "posts); light: 10th-90th percentile, dark: 25th-75th, dashed: the typical post"
        )
    pending = ", ".join(analysis.PLACEHOLDER_CAVEATS)
    for status, words in (
        ("not_reported_yet", f"the past posts' numbers were not reported yet ({pending})"),
        ("not_enough_history", "not enough history"),
    ):
        thin = typical.filter(pl.col("status") == status)
        if thin.height:
            notes += _wrap("no band at " + ", ".join(thin["age"].to_list()) + ": " + words)
    fc = outlook.forecast
    frow = fc.row(0, named=True) if fc.height else None
    has_fc = frow is not None and frow["status"] == "ok"
    if frow is not None and not has_fc:
        notes.append(f"no forecast: {frow['reason']}")
    horizon_h = float(frow["horizon_h"]) if frow is not None else float(typical["age_h"].max() or 1)  # type: ignore[arg-type]
    top = max(horizon_h, float(typical["age_h"].max() or 1))  # type: ignore[arg-type]
    points = outlook.points.filter((pl.col("age_h") > 0) & (pl.col("age_h") <= top * 1.05))
    if not points.height and not ok.height:
        return _empty(title, outlook.demo, notes)
    if has_fc and frow is not None:
        cover = round(100 * frow["coverage"])
        notes.append(
            f"forecast at {frow['horizon']} from {frow['from_age']}: log-linear model on "
            f"{frow['n_train']} past posts, {cover}% prediction interval"
        )
    start = min([float(typical["age_h"].min() or 1), *points["age_h"].to_list()])  # type: ignore[arg-type]
    fmt = value_format(metric)
    x = alt.X(
        "age_h:Q",
        title="Post age (hours, log scale)",
        scale=alt.Scale(type="log", domain=[start, top * 1.05], nice=False),
        axis=alt.Axis(values=[h for h in _HOUR_TICKS if start <= h <= top * 1.05], format="~g"),
    )
    y_title = metric_title(metric)
    color = PLATFORM_COLORS.get(platform, _ACCENT)
    band_cols = ["age", "age_h", "n", "median", "q10", "q25", "q75", "q90"]
    tips = [
        alt.Tooltip("age:N", title="Post age"),
        alt.Tooltip("median:Q", title="Typical post", format=fmt),
        alt.Tooltip("q25:Q", title="25th percentile", format=fmt),
        alt.Tooltip("q75:Q", title="75th percentile", format=fmt),
        alt.Tooltip("q10:Q", title="10th percentile", format=fmt),
        alt.Tooltip("q90:Q", title="90th percentile", format=fmt),
        alt.Tooltip("n:Q", title="Past posts at this age", format=",d"),
    ]
    base = alt.Chart(_data(ok.select(band_cols)))
    y = alt.Y("q10:Q", title=y_title, scale=alt.Scale(zero=True))
    parts: list[Any] = [
        base.mark_area(opacity=0.15, color=_MUTED).encode(x=x, y=y, y2="q90:Q", tooltip=tips),
        base.mark_area(opacity=0.25, color=_MUTED).encode(x=x, y="q25:Q", y2="q75:Q", tooltip=tips),
        base.mark_line(strokeDash=[5, 4], color="#333333").encode(x=x, y="median:Q", tooltip=tips),
    ]
    own = alt.Chart(_data(points.select("observed_at", "age_h", "value")))
    own_tips = [
        alt.Tooltip("observed_at:N", title="Observed"),
        alt.Tooltip("age_h:Q", title="Post age (hours)", format=".1f"),
        alt.Tooltip("value:Q", title=y_title, format=fmt),
    ]
    parts += [
        own.mark_line(color=color, strokeWidth=2.5).encode(x=x, y="value:Q", tooltip=own_tips),
        own.mark_point(color=color, filled=True, size=40).encode(
            x=x, y="value:Q", tooltip=own_tips
        ),
    ]
    if has_fc and frow is not None:
        last = points.tail(1) if points.height else None
        fc_frame = pl.DataFrame(
            {
                "age_h": [horizon_h],
                "forecast": [frow["forecast"]],
                "low": [frow["low"]],
                "high": [frow["high"]],
                "horizon": [frow["horizon"]],
            }
        )
        fc_tips = [
            alt.Tooltip("horizon:N", title="Forecast at"),
            alt.Tooltip("forecast:Q", title="Forecast", format=fmt),
            alt.Tooltip("low:Q", title="Interval from", format=fmt),
            alt.Tooltip("high:Q", title="Interval to", format=fmt),
        ]
        fcc = alt.Chart(_data(fc_frame))
        parts += [
            fcc.mark_errorbar(color=color, ticks=True, thickness=2).encode(
                x=x, y=alt.Y("low:Q", title=y_title), y2="high:Q", tooltip=fc_tips
            ),
            fcc.mark_point(color=color, shape="diamond", size=120, filled=False).encode(
                x=x, y="forecast:Q", tooltip=fc_tips
            ),
        ]
        if last is not None and last["age_h"].item() < horizon_h:
            link = pl.DataFrame(
                {
                    "age_h": [last["age_h"].item(), horizon_h],
                    "value": [last["value"].item(), frow["forecast"]],
                }
            )
            parts.append(
                alt.Chart(_data(link))
                .mark_line(color=color, strokeDash=[2, 3])
                .encode(x=x, y="value:Q")
            )
    return layer(*parts).properties(width=480, height=280, title=_title(title, outlook.demo, notes))


def index_distribution(
    index: pl.DataFrame, by: str = "campaign", *, demo: bool | None = None
) -> alt.LayerChart | alt.Chart:
    """The performance index of each post, per campaign (or another ``by`` column).

    ``index`` is :func:`ayr_analysis.analysis.performance_index`'s frame with a ``by`` column;
    the summary comes from :func:`ayr_analysis.analysis.index_distribution`. Each post is a tick
    (coloured by network) on an axis where 1.0 is the typical post of its own network and
    media type, so a campaign is not rewarded for its network mix; the bar spans the 25th-75th
    percentile and the black tick is the median. Groups are ordered by median, best first. The
    axis is a symmetric log scale, so an index of 0 (a post with none) keeps its place.

    >>> import polars as pl
    >>> idx = pl.DataFrame({"post_id": list("abcd"), "platform": ["tiktok"] * 4,
    ...     "campaign": ["A", "A", "B", "B"], "index": [1.0, 3.0, 0.5, 0.8],
    ...     "status": ["ok"] * 4})
    >>> index_distribution(idx).to_dict()["title"]["text"]
    'Performance index per campaign (1 = the typical post of its network)'
    """
    summary = analysis.index_distribution(index, by)
    demo_ = bool(demo) or ("source" in index.columns and bool((index["source"] == "demo").any()))
    metric = index["metric"][0] if "metric" in index.columns and index.height else None
    title = f"Performance index per {by} (1 = the typical post of its network)"
    notes = []
    if metric:
        notes.append(f"{metric_title(metric)} divided by the typical post of the same network "
                     "and media type at the same age; ticks: posts, bar: 25th-75th percentile, black: median")  # fmt: skip
    left = summary.filter(pl.col("excluded") > 0)
    if left.height:
        notes += _wrap(
            "without an index: "
            + "; ".join(f"{g}: {w}" for g, w in left.select(by, "why_excluded").iter_rows())
        )
    shown = summary.filter(pl.col("n") > 0)
    if not shown.height:
        return _empty(title, demo_, notes)
    order = shown[by].to_list()
    keep = list(dict.fromkeys([by, "post_id", "platform", "index"]))  # by may be "platform"
    posts = index.filter((pl.col("status") == "ok") & pl.col(by).is_in(order)).select(keep)
    y = alt.Y(f"{by}:N", sort=order, title=by.capitalize())
    # symlog: ratios read evenly above 1 and a post with 0 (an index of 0) still has its place
    scale = alt.Scale(type="symlog", constant=1)
    axis = alt.Axis(values=[0, 0.5, 1, 2, 5, 10, 20, 50, 100], format="~g")
    x_title = "Index (1 = typical; symmetric log scale)"
    x = alt.X("index:Q", title=x_title, scale=scale, axis=axis)
    fmt = ".2f"
    present = sorted(set(posts["platform"].to_list()))
    ticks = (
        alt.Chart(_data(posts))
        .mark_tick(thickness=2, size=14, opacity=0.8)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "platform:N",
                title="Network",
                scale=alt.Scale(domain=present, range=[PLATFORM_COLORS.get(p, _ACCENT) for p in present]),
            ),
            tooltip=[
                alt.Tooltip("post_id:N", title="Post"),
                alt.Tooltip("platform:N", title="Network"),
                alt.Tooltip("index:Q", title="Index", format=fmt),
            ],
        )
    )  # fmt: skip
    stats = alt.Chart(_data(shown.select(by, "n", "median", "q25", "q75", "above", "networks")))
    stat_tips = [
        alt.Tooltip(f"{by}:N", title=by.capitalize()),
        alt.Tooltip("n:Q", title="Posts", format=",d"),
        alt.Tooltip("median:Q", title="Median index", format=fmt),
        alt.Tooltip("q25:Q", title="25th percentile", format=fmt),
        alt.Tooltip("q75:Q", title="75th percentile", format=fmt),
        alt.Tooltip("above:Q", title="Above typical", format=".0%"),
        alt.Tooltip("networks:Q", title="Networks", format=",d"),
    ]
    bar = stats.mark_bar(opacity=0.18, color=_MUTED, size=18).encode(
        x=alt.X("q25:Q", scale=scale, title=x_title, axis=axis),
        x2="q75:Q",
        y=y,
        tooltip=stat_tips,
    )
    med = stats.mark_tick(color="black", thickness=4, size=30).encode(
        x=alt.X("median:Q", scale=scale, title=x_title, axis=axis), y=y, tooltip=stat_tips
    )
    one = (
        alt.Chart(alt.Data(values=[{"x": 1.0}]))
        .mark_rule(strokeDash=[4, 4])
        .encode(x=alt.X("x:Q", scale=scale, title=x_title, axis=axis))
    )
    height = max(60, 34 * len(order))
    return layer(bar, ticks, med, one).properties(
        width=460, height=height, title=_title(title, demo_, notes)
    )


def backtest_errors(bt: analysis.Backtest, *, columns: int = 3) -> alt.FacetChart | alt.Chart:
    """The backtest's median relative error by forecast age, per network and method.

    ``bt`` is :func:`ayr_analysis.analysis.backtest`'s result. One panel per network: the
    log-linear model and its three baselines (typical post, current value stays, typical curve
    scaled by the post's index) against the age the forecast was made at; the model's interval
    coverage is in the tooltip. Networks with too few held-out posts are drawn faded.

    >>> import polars as pl
    >>> s = pl.DataFrame({"platform": ["tiktok"] * 2, "from_age": ["1h", "24h"],
    ...     "from_age_h": [1.0, 24.0], "horizon": ["7d"] * 2, "n": [30, 30],
    ...     "model": [0.2, 0.05], "typical": [0.6, 0.6], "stays": [0.9, 0.4],
    ...     "scaled": [0.25, 0.06], "coverage": [0.8, 0.75], "model_best": [True, True],
    ...     "enough": [True, True]})
    >>> bt = analysis.Backtest(predictions=pl.DataFrame(), summary=s, metric="likes",
    ...                        horizon="7d", coverage=0.8)
    >>> backtest_errors(bt).to_dict()["title"]["text"]
    'Forecast error of likes at 7d, by the age it was made at'
    """
    title = f"Forecast error of {bt.metric} at {bt.horizon}, by the age it was made at"
    notes = [
        "median of |forecast - actual| / actual over held-out posts, fitted on older posts only; "
        f"{round(100 * bt.coverage)}% interval coverage in the tooltip",
        "faded: networks with too few held-out posts to read",
    ]
    s = bt.summary
    if not s.height:
        return _empty(title, bt.demo, notes)
    keys = [c for c in s.columns if c not in (
        "from_age", "from_age_h", "horizon", "n", *METHODS, "coverage", "model_best", "enough")]  # fmt: skip
    facet = keys[0] if keys else None
    long = s.unpivot(
        index=[*keys, "from_age", "from_age_h", "n", "coverage", "enough"],
        on=list(METHODS),
        variable_name="method",
        value_name="error",
    ).with_columns(pl.col("method").replace_strict(METHODS, return_dtype=pl.String))
    long = long.filter(pl.col("error").is_not_null())
    ticks = sorted(set(s["from_age_h"].to_list()))
    chart = (
        alt.Chart(_data(long))
        .mark_line(point=True)
        .encode(
            x=alt.X("from_age_h:Q", title="Forecast made at post age (hours, log scale)",
                    scale=alt.Scale(type="log"), axis=alt.Axis(values=ticks, format="~g")),
            y=alt.Y("error:Q", title="Median relative error", axis=alt.Axis(format="%")),
            color=alt.Color("method:N", title="Method", sort=list(METHODS.values())),
            opacity=alt.condition("datum.enough", alt.value(1.0), alt.value(0.35)),
            tooltip=[
                alt.Tooltip("method:N", title="Method"),
                alt.Tooltip("from_age:N", title="From"),
                alt.Tooltip("error:Q", title="Median relative error", format=".1%"),
                alt.Tooltip("n:Q", title="Held-out posts", format=",d"),
                alt.Tooltip("coverage:Q", title="Model interval coverage", format=".0%"),
            ],
        )
        .properties(width=220, height=150)
    )  # fmt: skip
    if facet is None:
        return chart.properties(title=_title(title, bt.demo, notes))
    return chart.facet(facet=alt.Facet(f"{facet}:N", title=None), columns=columns).properties(
        title=_title(title, bt.demo, notes)
    )
