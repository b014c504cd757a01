"""Altair chart helpers: a tidy polars frame in, an Altair chart out.

Every helper takes frames that follow :mod:`ayr_analysis.schema` (or an ``AnalyticsFrames``-like
object holding them) and returns an Altair chart. Nothing is displayed or written here; use
:func:`save_chart` to write a chart to ``.png``, ``.svg`` or ``.html``.

Rules every helper keeps:

* ``null`` means *not reported*: such values are left out (and said so), never drawn as zero.
* Each network has one colour everywhere (:data:`PLATFORM_COLORS`, through an explicit scale).
* Titles and axes say the metric and its unit (:data:`METRIC_LABELS`); rates and fractions are
  stored as 0-1 and shown as percentages.
* Charts built from demo data carry the subtitle ``"demo data: simulated numbers"``. Pass
  ``demo=True``, or pass an object with ``.source == "demo"`` (``AnalyticsFrames``) in place of a
  frame. A demo source cannot be turned off by ``demo=False``.
* At most :data:`MAX_ROWS` rows are embedded per dataset: data is aggregated in polars first and
  per-post detail layers are thinned (and said so) when they would exceed it.
* An empty input gives a chart whose title says "no data".

The ``ayr`` theme is registered when this module is imported, but only :func:`use_theme` enables
it.

>>> import polars as pl
>>> from ayr_analysis import schema
>>> from ayr_analysis.charts import platform_comparison
>>> wide = pl.DataFrame(
...     [{"post_id": "p1", "platform": "facebook", "likes": 3},
...      {"post_id": "p2", "platform": "instagram", "likes": 10}],
...     schema=schema.WIDE_SCHEMA,
... )
>>> chart = platform_comparison(wide, "likes")
>>> chart.to_dict()["title"]["text"]
'Median likes per post by network'
"""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl

from .schema import COUNT_METRICS, PLATFORMS

__all__ = [
    "DEMO_SUBTITLE",
    "MAX_ROWS",
    "METRIC_LABELS",
    "PLATFORM_COLORS",
    "best_time_heatmap",
    "campaign_comparison",
    "chart_to_image",
    "funnel",
    "growth_curves",
    "metric_title",
    "platform_comparison",
    "platform_scale",
    "reactions_by_type",
    "save_chart",
    "top_posts",
    "use_theme",
    "video_retention",
]

#: One colour per network, used by every chart that colours by platform.
PLATFORM_COLORS: dict[str, str] = {
    "bluesky": "#4ea8f5",
    "facebook": "#1f5fbf",
    "instagram": "#d6307a",
    "linkedin": "#12a3a3",
    "pinterest": "#8c3b2e",
    "reddit": "#f26b1d",
    "snapchat": "#e5c100",
    "threads": "#8a8a8a",
    "tiktok": "#7b4fc9",
    "twitter": "#222222",
    "youtube": "#d62728",
}
assert tuple(PLATFORM_COLORS) == PLATFORMS  # one colour per network of the data contract

#: metric -> (label, unit). Unit ``"%"`` means the value is a fraction 0-1 shown as a percentage.
METRIC_LABELS: dict[str, tuple[str, str]] = {
    "likes": ("Likes", "count"),
    "dislikes": ("Dislikes", "count"),
    "comments": ("Comments", "count"),
    "shares": ("Shares", "count"),
    "quotes": ("Quotes", "count"),
    "saves": ("Saves", "count"),
    "sends": ("Sends", "count"),
    "reactions": ("Reactions", "count"),
    "impressions": ("Impressions", "count"),
    "reach": ("Reach", "accounts"),
    "views": ("Views", "count"),
    "unique_views": ("Unique views", "count"),
    "plays": ("Plays", "count"),
    "clicks": ("Clicks", "count"),
    "outbound_clicks": ("Outbound clicks", "count"),
    "profile_visits": ("Profile visits", "count"),
    "follows": ("Follows", "count"),
    "followers_gained": ("Followers gained", "count"),
    "followers_lost": ("Followers lost", "count"),
    "playlist_adds": ("Playlist adds", "count"),
    "completions": ("Completions", "count"),
    "engagements": ("Engagements", "count"),
    "engagements_reported": ("Engagements, network total", "count"),
    "watch_time_s": ("Watch time", "s"),
    "avg_watch_time_s": ("Average watch time", "s"),
    "avg_view_fraction": ("Average view fraction", "%"),
    "completion_rate": ("Completion rate", "%"),
    "engagement_rate_reported": ("Engagement rate, network-reported", "%"),
}

#: Altair's default row limit; no dataset embedded by these helpers is larger.
MAX_ROWS = 5000

DEMO_SUBTITLE = "demo data: simulated numbers"
NOT_REPORTED = "not reported"
WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PLAYBACK_FIELDS: dict[str, int] = {
    f"nonPublicMetrics.video.playback{q}Count": q for q in (0, 25, 50, 75, 100)
}
FUNNEL_STAGES: tuple[str, ...] = ("impressions", "engagements", "clicks")

_KEY = ("post_id", "platform", "thread_position")
_ACCENT = "#4c78a8"
_DEMO_COLOR = "#b45309"


# --------------------------------------------------------------------------- labels and scales


def _label_unit(metric: str) -> tuple[str, str]:
    if metric in METRIC_LABELS:
        return METRIC_LABELS[metric]
    name = metric
    if name.endswith("_s"):
        return name[:-2].replace("_", " ").capitalize(), "s"
    unit = "%" if name.endswith(("_rate", "_fraction", "_share")) or name == "share" else "count"
    return name.replace("_", " ").capitalize(), unit


def metric_title(metric: str) -> str:
    """The label of ``metric`` with its unit, for titles and axes.

    >>> metric_title("watch_time_s")
    'Watch time (s)'
    >>> metric_title("completion_rate")
    'Completion rate (%)'
    >>> metric_title("likes")
    'Likes (count)'
    """
    label, unit = _label_unit(metric)
    return f"{label} ({unit})"


def _is_percent(metric: str) -> bool:
    return _label_unit(metric)[1] == "%"


def _axis_format(percent: bool) -> dict[str, Any]:
    return {"format": ".0%"} if percent else {}


def _value_format(percent: bool) -> str:
    return ".2~%" if percent else ",.4~f"


def platform_scale() -> alt.Scale:
    """The colour scale of networks: the same domain and range in every chart.

    >>> platform_scale().to_dict()["range"][:2]
    ['#4ea8f5', '#1f5fbf']
    """
    return alt.Scale(domain=list(PLATFORM_COLORS), range=list(PLATFORM_COLORS.values()))


def _platform_color(present: Iterable[str] | None, field: str = "platform") -> alt.Color:
    shown = sorted({p for p in (present or []) if p is not None}, key=_platform_order)
    opts: dict[str, Any] = {"title": "Network", "symbolOpacity": 1}
    legend = alt.Legend(values=shown, **opts) if shown else alt.Legend(**opts)
    return alt.Color(f"{field}:N", scale=platform_scale(), legend=legend)


def _platform_order(platform: str) -> tuple[int, str]:
    return (PLATFORMS.index(platform) if platform in PLATFORMS else len(PLATFORMS), platform)


def _title(text: str, demo: bool, notes: Sequence[str] = ()) -> alt.TitleParams:
    subtitle = ([DEMO_SUBTITLE] if demo else []) + [n for n in notes if n]
    if not subtitle:
        return alt.TitleParams(text=text, anchor="start")
    return alt.TitleParams(
        text=text,
        subtitle=subtitle,
        anchor="start",
        subtitleColor=_DEMO_COLOR if demo else "#555555",
    )


# --------------------------------------------------------------------------- theme


def _ayr_theme() -> dict[str, Any]:
    return {
        "config": {
            "font": "sans-serif",
            "view": {"continuousWidth": 420, "continuousHeight": 260, "stroke": None},
            "title": {"anchor": "start", "fontSize": 15, "subtitleFontSize": 12, "offset": 8},
            "axis": {
                "labelFontSize": 11,
                "titleFontSize": 12,
                "gridColor": "#e6e6e6",
                "domainColor": "#9a9a9a",
                "tickColor": "#9a9a9a",
            },
            "legend": {"labelFontSize": 11, "titleFontSize": 12},
            "range": {"heatmap": {"scheme": "blues"}},
        }
    }


def _register_theme() -> None:
    theme = getattr(alt, "theme", None)
    if theme is not None and hasattr(theme, "register"):  # altair >= 5.5
        theme.register("ayr", enable=False)(_ayr_theme)
    else:  # pragma: no cover - altair 5.4
        alt.themes.register("ayr", _ayr_theme)


_register_theme()


def use_theme() -> Any:
    """Enable the ``ayr`` theme (registered, but not enabled, at import).

    Returns Altair's enabler, which also works as a context manager that restores the previous
    theme on exit.

    >>> import altair as alt
    >>> with use_theme():
    ...     alt.theme.active
    'ayr'
    """
    theme = getattr(alt, "theme", None)
    if theme is not None and hasattr(theme, "enable"):
        return theme.enable("ayr")
    return alt.themes.enable("ayr")  # pragma: no cover - altair 5.4


# --------------------------------------------------------------------------- input handling


def _unwrap(
    obj: Any,
    attr: str | None,
    demo: bool | None,
    helper: str,
    columns: Sequence[str] | None = None,
) -> tuple[pl.DataFrame, bool]:
    """Frame and demo flag from a DataFrame, LazyFrame or AnalyticsFrames-like object. A
    LazyFrame is collected with only ``columns`` (those it has), when given."""
    is_demo = bool(demo)
    if attr is not None and not isinstance(obj, pl.DataFrame | pl.LazyFrame) and hasattr(obj, attr):
        is_demo = is_demo or getattr(obj, "source", None) == "demo"
        obj = getattr(obj, attr)
    if isinstance(obj, pl.LazyFrame):
        if columns is not None:
            names = obj.collect_schema().names()
            obj = obj.select([c for c in names if c in set(columns)])
        obj = obj.collect()
    if not isinstance(obj, pl.DataFrame):
        want = "a polars DataFrame or LazyFrame"
        if attr is not None:
            want += f" (or an object with .{attr}, such as AnalyticsFrames)"
        raise TypeError(f"{helper}() expects {want}, got {type(obj).__name__}")
    return obj, is_demo


def _require(frame: pl.DataFrame, columns: Iterable[str], helper: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{helper}(): the frame has no column {', '.join(map(repr, missing))}; "
            f"it has {', '.join(frame.columns) or 'no columns'}"
        )


def _require_numeric(frame: pl.DataFrame, column: str, helper: str) -> None:
    if not frame.schema[column].is_numeric():
        raise ValueError(
            f"{helper}(): column {column!r} is {frame.schema[column]}, not numeric; "
            "pass a metric column such as 'likes'"
        )


def _keys(frame: pl.DataFrame) -> list[str]:
    return [k for k in _KEY if k in frame.columns]


def _latest(frame: pl.DataFrame) -> pl.DataFrame:
    """The latest observation of each post, network and tweet."""
    if "observed_at" not in frame.columns or frame.is_empty():
        return frame
    keys = _keys(frame)
    return frame.sort("observed_at", nulls_last=False).unique(
        subset=keys, keep="last", maintain_order=True
    )


def _per_post(frame: pl.DataFrame, metrics: Sequence[str]) -> pl.DataFrame:
    """One row per post and network: the tweets of an X thread are summed for count metrics
    (null when no tweet reported it) and taken from the first tweet that reported it otherwise."""
    if (
        "thread_position" not in frame.columns
        or frame.is_empty()
        or (frame["thread_position"].fill_null(0) == 0).all()
    ):
        return frame
    frame = frame.sort("thread_position", nulls_last=True)
    aggs = []
    for m in metrics:
        if m in COUNT_METRICS:
            aggs.append(
                pl.when(pl.col(m).is_not_null().any())
                .then(pl.col(m).sum())
                .otherwise(None)
                .alias(m)
            )
        else:
            aggs.append(pl.col(m).drop_nulls().first().alias(m))
    others = [
        pl.col(c).first() for c in frame.columns if c not in ("post_id", "platform", *metrics)
    ]
    return frame.group_by(["post_id", "platform"], maintain_order=True).agg(*aggs, *others)


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts: datetimes as UTC strings, NaN as null."""
    exprs = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Datetime):
            col = pl.col(name)
            if dtype.time_zone is not None:
                col = col.dt.convert_time_zone("UTC")
            exprs.append(col.dt.strftime("%Y-%m-%d %H:%M:%S UTC").alias(name))
        elif isinstance(dtype, pl.Date | pl.Time | pl.Duration):
            exprs.append(pl.col(name).cast(pl.String))
        elif dtype.is_float():
            exprs.append(pl.col(name).fill_nan(None))
    if exprs:
        frame = frame.with_columns(exprs)
    return frame.to_dicts()


def _data(frame: pl.DataFrame) -> dict[str, Any]:
    """Inline data. A plain dict (not ``alt.Data``): Altair then moves it to the top-level
    ``datasets`` without validating every row against the schema, which is slow."""
    if frame.height > MAX_ROWS:  # pragma: no cover - callers aggregate or thin first
        raise AssertionError(f"internal: {frame.height} rows would be embedded")
    return {"values": _records(frame)}


def _snippet(column: str = "text", chars: int = 60) -> pl.Expr:
    text = pl.col(column).str.replace_all(r"\s+", " ").str.strip_chars()
    return (
        pl.when(text.str.len_chars() > chars)
        .then(text.str.slice(0, chars - 1).str.strip_chars() + "…")
        .otherwise(text)
    )


def _thin_series(frame: pl.DataFrame, series: str) -> tuple[pl.DataFrame, int, int]:
    """Keep whole series, evenly spread over their sorted names, so that at most MAX_ROWS rows
    remain. Returns the frame, series kept, series in total."""
    counts = frame.group_by(series).len().sort(series)
    total = counts.height
    if frame.height <= MAX_ROWS:
        return frame, total, total
    per_series = frame.height / max(total, 1)
    keep_n = max(1, int(MAX_ROWS // math.ceil(per_series)))
    while True:
        step = total / keep_n
        picked = counts[[int(i * step) for i in range(keep_n)]]
        if int(picked["len"].sum()) <= MAX_ROWS or keep_n == 1:
            break
        keep_n = max(1, int(keep_n * 0.9))
    kept = frame.filter(pl.col(series).is_in(picked[series].implode()))
    return kept, picked.height, total


def _headroom(values: pl.Series) -> alt.Scale:
    """A zero-based scale with room to the right of the largest value for a text label."""
    top, low = values.drop_nulls().max(), values.drop_nulls().min()
    if top is None or not top > 0 or low < 0:
        return alt.Scale(zero=True)
    return alt.Scale(domain=[0, float(top) * 1.15], nice=True)


def _powers_of_ten(values: pl.Series) -> list[float]:
    """Tick values for a symlog axis: 0, 1, 10, 100... up to the largest value."""
    top = values.drop_nulls().max()
    ticks: list[float] = [0]
    if top is None or not top > 0:
        return ticks
    k = 0
    while 10**k <= top * 10:
        ticks.append(float(10**k))
        k += 1
    return ticks


def _empty(title: str, demo: bool, notes: Sequence[str] = ()) -> alt.Chart:
    return (
        alt.Chart(
            alt.Data(values=[{"message": "no data"}]),
            title=_title(f"{title}: no data", demo, notes),
        )
        .mark_text(fontSize=14, color="#777777")
        .encode(text="message:N")
        .properties(width=320, height=60)
    )


def _tooltip_post(frame: pl.DataFrame) -> list[alt.Tooltip]:
    tips = [alt.Tooltip("post_id:N", title="Post")]
    if "platform" in frame.columns:
        tips.append(alt.Tooltip("platform:N", title="Network"))
    if "thread_position" in frame.columns and (frame["thread_position"].fill_null(0) > 0).any():
        tips.append(alt.Tooltip("thread_position:Q", title="Tweet in thread"))
    if "snippet" in frame.columns:
        tips.append(alt.Tooltip("snippet:N", title="Text"))
    if "url" in frame.columns:
        tips.append(alt.Tooltip("url:N", title="URL"))
    return tips


# --------------------------------------------------------------------------- platform comparison


def platform_comparison(
    wide: Any,
    metric: str = "likes",
    stat: str = "median",
    *,
    demo: bool | None = None,
) -> alt.LayerChart | alt.Chart:
    """Median (or mean) of ``metric`` per post, by network, with the other statistic as a tick
    and the number of posts reporting it.

    Uses the latest observation of each post; the tweets of an X thread count as one post.
    Networks that never reported ``metric`` are named in the subtitle, not drawn as zero.

    >>> import polars as pl
    >>> from ayr_analysis import schema
    >>> wide = pl.DataFrame([{"post_id": "p", "platform": "tiktok", "views": 7}],
    ...                     schema=schema.WIDE_SCHEMA)
    >>> [layer["mark"]["type"] for layer in platform_comparison(wide, "views").to_dict()["layer"]]
    ['bar', 'tick', 'text']
    """
    helper = "platform_comparison"
    if stat not in ("median", "mean"):
        raise ValueError(f"{helper}(): stat must be 'median' or 'mean', not {stat!r}")
    frame, demo_ = _unwrap(wide, "wide", demo, helper)
    _require(frame, ["post_id", "platform", metric], helper)
    _require_numeric(frame, metric, helper)
    label, _unit = _label_unit(metric)
    title = f"{stat.capitalize()} {label.lower()} per post by network"
    percent = _is_percent(metric)
    posts = _per_post(_latest(frame), [metric])
    stats = (
        posts.group_by("platform")
        .agg(
            n=pl.col(metric).count(),
            n_posts=pl.len(),
            median=pl.col(metric).median(),
            mean=pl.col(metric).mean(),
            q25=pl.col(metric).quantile(0.25, interpolation="linear"),
            q75=pl.col(metric).quantile(0.75, interpolation="linear"),
        )
        .with_columns(
            n_not_reported=pl.col("n_posts") - pl.col("n"),
            n_label=pl.format("n={}", pl.col("n")),
            label_x=pl.max_horizontal("median", "mean"),
        )
    )
    silent = sorted(stats.filter(pl.col("n") == 0)["platform"].to_list(), key=_platform_order)
    stats = stats.filter(pl.col("n") > 0).sort([stat, "platform"], descending=[True, False])
    notes = [f"{NOT_REPORTED} by: {', '.join(silent)}"] if silent else []
    if stats.is_empty():
        return _empty(title, demo_, notes)
    other = "mean" if stat == "median" else "median"
    notes.insert(0, f"bar: {stat}; black tick: {other}; n = posts reporting {label.lower()}")
    order = stats["platform"].to_list()
    fmt = _value_format(percent)
    base = alt.Chart(_data(stats))
    y = alt.Y("platform:N", sort=order, title="Network")
    tooltip = [
        alt.Tooltip("platform:N", title="Network"),
        alt.Tooltip("median:Q", title=f"Median {metric_title(metric)}", format=fmt),
        alt.Tooltip("mean:Q", title=f"Mean {metric_title(metric)}", format=fmt),
        alt.Tooltip("q25:Q", title="25th percentile", format=fmt),
        alt.Tooltip("q75:Q", title="75th percentile", format=fmt),
        alt.Tooltip("n:Q", title="Posts reporting"),
        alt.Tooltip("n_not_reported:Q", title=f"Posts where {NOT_REPORTED}"),
    ]
    bars = base.mark_bar().encode(
        x=alt.X(
            f"{stat}:Q",
            title=f"{stat.capitalize()} {metric_title(metric).lower()}",
            axis=alt.Axis(**_axis_format(percent)),
            scale=_headroom(stats["label_x"]),
        ),
        y=y,
        color=_platform_color(order),
        tooltip=tooltip,
    )
    tick = base.mark_tick(color="black", thickness=2).encode(
        x=alt.X(f"{other}:Q"), y=y, tooltip=tooltip
    )
    text = base.mark_text(align="left", dx=5, fontSize=11).encode(
        x=alt.X("label_x:Q"), y=y, text="n_label:N"
    )
    return alt.layer(bars, tick, text).properties(
        title=_title(title, demo_, notes), width=420, height=alt.Step(26)
    )


# --------------------------------------------------------------------------- growth curves


_NICE_HOURS = (0.25, 0.5, 1, 2, 3, 6, 12, 24, 48, 72, 168, 336, 720, 2160, 8760)


def growth_curves(
    snapshots: Any,
    metric: str = "likes",
    by: str | None = "platform",
    *,
    bin_hours: float | None = None,
    min_posts: int = 3,
    max_age_hours: float | None = None,
    demo: bool | None = None,
) -> alt.LayerChart | alt.Chart:
    """``metric`` against post age in hours (``observed_at - published_at``): one thin line per
    post (per tweet for X threads), a median line per group and, for age bins holding at least
    ``min_posts`` posts, a band from the 25th to the 75th percentile across posts.

    Within an age bin each post counts once (its last snapshot in the bin). ``by`` is a column
    (``"platform"``, ``"media_type"``...) or None for one group. When the per-post lines would
    exceed :data:`MAX_ROWS` rows, whole posts are thinned out for the thin lines only (the
    subtitle says so); the median and band always use every post.

    >>> import polars as pl, datetime as dt
    >>> from ayr_analysis import schema
    >>> t0 = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
    >>> rows = [{"post_id": "p", "platform": "bluesky", "published_at": t0,
    ...          "observed_at": t0 + dt.timedelta(hours=h), "likes": 2 * h} for h in (1, 5)]
    >>> chart = growth_curves(pl.DataFrame(rows, schema=schema.WIDE_SCHEMA))
    >>> chart.to_dict()["layer"][1]["encoding"]["x"]["title"]
    'Post age (hours)'
    """
    helper = "growth_curves"
    if min_posts < 1:
        raise ValueError(f"{helper}(): min_posts must be at least 1, not {min_posts}")
    if bin_hours is not None and not bin_hours > 0:
        raise ValueError(f"{helper}(): bin_hours must be positive, not {bin_hours}")
    wanted = ["post_id", "platform", "thread_position", "text", "url", "observed_at"]
    wanted += ["published_at", metric, *([by] if by else [])]
    frame, demo_ = _unwrap(snapshots, "wide", demo, helper, wanted)
    _require(
        frame,
        ["post_id", "platform", "observed_at", "published_at", metric, *([by] if by else [])],
        helper,
    )
    _require_numeric(frame, metric, helper)
    label, _ = _label_unit(metric)
    title = f"{label} by post age"
    percent = _is_percent(metric)
    group = by or "group"
    cols = [
        c
        for c in ("post_id", "platform", "thread_position", "text", "url", "observed_at")
        if c in frame.columns
    ]
    df = (
        frame.select(*cols, *([by] if by and by not in cols else []), "published_at", metric)
        .filter(
            pl.col(metric).is_not_null()
            & pl.col("published_at").is_not_null()
            & pl.col("observed_at").is_not_null()
        )
        .with_columns(
            age_h=(pl.col("observed_at") - pl.col("published_at")).dt.total_microseconds() / 3.6e9,
            series=pl.concat_str(
                [pl.col(k).cast(pl.String).fill_null("") for k in _keys(frame)], separator="|"
            ),
        )
        .filter(pl.col("age_h") >= 0)
    )
    if by is None:
        df = df.with_columns(pl.lit("all posts").alias(group))
    else:
        df = df.with_columns(pl.col(by).cast(pl.String).fill_null("unknown"))
    if max_age_hours is not None:
        df = df.filter(pl.col("age_h") <= max_age_hours)
    if df.is_empty():
        return _empty(title, demo_)
    if bin_hours is None:
        top = float(df["age_h"].max() or 0.0)
        bin_hours = next((h for h in _NICE_HOURS if top / h <= 30), _NICE_HOURS[-1])
    width = float(bin_hours)
    df = df.with_columns(bin=(pl.col("age_h") / width).floor().cast(pl.Int64))
    per_bin = (
        df.sort("observed_at")
        .group_by([group, "series", "bin"], maintain_order=True)
        .agg(pl.col(metric).last())
    )
    stats = (
        per_bin.group_by([group, "bin"])
        .agg(
            median=pl.col(metric).median(),
            q25=pl.col(metric).quantile(0.25, interpolation="linear"),
            q75=pl.col(metric).quantile(0.75, interpolation="linear"),
            n_posts=pl.len(),
        )
        .with_columns(
            age_mid=(pl.col("bin") + 0.5) * width,
            age_from=pl.col("bin") * width,
            age_to=(pl.col("bin") + 1) * width,
        )
        .sort([group, "bin"])
    )
    band = stats.filter(pl.col("n_posts") >= min_posts)
    lines = df.with_columns(_snippet().alias("snippet")) if "text" in df.columns else df
    lines = lines.drop([c for c in ("text", "published_at", "bin") if c in lines.columns])
    lines, kept, total = _thin_series(lines.sort(["series", "age_h"]), "series")
    notes = [
        f"thin lines: posts; thick line: median per {width:g}-hour bin; "
        f"band: 25th-75th percentile where a bin has {min_posts}+ posts"
    ]
    if kept < total:
        notes.append(f"thin lines show {kept} of {total} posts; median and band use all posts")
    present = sorted(df[group].unique().to_list())
    color = (
        _platform_color(present, group)
        if by == "platform"
        else alt.Color(f"{group}:N", title=(by or "").replace("_", " ").capitalize() or None)
    )
    y_title = metric_title(metric)
    fmt = _value_format(percent)
    x = alt.X("age_h:Q", title="Post age (hours)")
    thin = (
        alt.Chart(_data(lines))
        .mark_line(strokeWidth=0.8, opacity=0.35)
        .encode(
            x=x,
            y=alt.Y(f"{metric}:Q", title=y_title, axis=alt.Axis(**_axis_format(percent))),
            detail="series:N",
            color=color,
            tooltip=[
                *_tooltip_post(lines),
                alt.Tooltip("age_h:Q", title="Age (hours)", format=",.2f"),
                alt.Tooltip(f"{metric}:Q", title=y_title, format=fmt),
                alt.Tooltip("observed_at:N", title="Observed at"),
            ],
        )
    )
    stat_tips = [
        alt.Tooltip(f"{group}:N", title=(by or "group").replace("_", " ").capitalize()),
        alt.Tooltip("age_from:Q", title="Age from (hours)"),
        alt.Tooltip("age_to:Q", title="Age to (hours)"),
        alt.Tooltip("median:Q", title=f"Median {y_title}", format=fmt),
        alt.Tooltip("q25:Q", title="25th percentile", format=fmt),
        alt.Tooltip("q75:Q", title="75th percentile", format=fmt),
        alt.Tooltip("n_posts:Q", title="Posts in bin"),
    ]
    mid = alt.X("age_mid:Q", title="Post age (hours)")
    layers = []
    if not band.is_empty():
        layers.append(
            alt.Chart(_data(band))
            .mark_area(opacity=0.18)
            .encode(
                x=mid, y=alt.Y("q25:Q", title=y_title), y2="q75:Q", color=color, tooltip=stat_tips
            )
        )
    layers.append(thin)
    layers.append(
        alt.Chart(_data(stats))
        .mark_line(strokeWidth=2.5, point=True)
        .encode(x=mid, y=alt.Y("median:Q", title=y_title), color=color, tooltip=stat_tips)
    )
    return alt.layer(*layers).properties(title=_title(title, demo_, notes), width=480, height=280)


# --------------------------------------------------------------------------- campaigns


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
    demo: bool | None = None,
) -> alt.LayerChart | alt.Chart:
    """Estimate and interval per group (campaign, network...) as points with error bars, ranked
    by the lower bound (best first).

    ``result`` is a frame with the columns named by ``group``, ``estimate``, ``low``, ``high`` and
    ``n`` (``n=None`` when there is none). ``metric_label`` (e.g. ``"Engagement rate (%)"``)
    names the axis; by default it comes from a single-valued ``metric`` column, if any.
    ``percent`` formats values as percentages (default: when the label says ``%``).
    ``reference`` draws a dashed rule (e.g. 0 for differences).

    >>> import polars as pl
    >>> res = pl.DataFrame({"campaign": ["a", "b"], "estimate": [0.05, 0.03],
    ...                     "low": [0.01, 0.02], "high": [0.09, 0.04], "n": [12, 40]})
    >>> spec = campaign_comparison(res, metric_label="Engagement rate (%)").to_dict()
    >>> spec["layer"][0]["encoding"]["y"]["sort"]
    ['b', 'a']
    """
    helper = "campaign_comparison"
    frame, demo_ = _unwrap(result, None, demo, helper)
    _require(frame, [group, estimate, low, high, *([n] if n else [])], helper)
    for c in (estimate, low, high):
        _require_numeric(frame, c, helper)
    if metric_label is None:
        if "metric" in frame.columns and frame["metric"].drop_nulls().n_unique() == 1:
            metric_label = metric_title(str(frame["metric"].drop_nulls()[0]))
        else:
            metric_label = "Estimate"
    if percent is None:
        percent = "%" in metric_label
    title = f"{metric_label} by {group.replace('_', ' ')}: estimate and interval"
    df = frame.select(
        pl.col(group).cast(pl.String).fill_null("(none)").alias("group"),
        pl.col(estimate).cast(pl.Float64).alias("estimate"),
        pl.col(low).cast(pl.Float64).alias("low"),
        pl.col(high).cast(pl.Float64).alias("high"),
        *([pl.col(n).alias("n")] if n else []),
    ).sort(["low", "estimate", "group"], descending=[True, True, False], nulls_last=True)
    df = df.with_columns(rank=pl.int_range(1, pl.len() + 1))
    notes = ["ranked by the lower bound of the interval, best first"]
    if df.is_empty():
        return _empty(title, demo_)
    if df.height > MAX_ROWS:
        notes.append(f"showing the top {MAX_ROWS} of {df.height} groups")
        df = df.head(MAX_ROWS)
    order = df["group"].to_list()
    fmt = _value_format(percent)
    group_title = group.replace("_", " ").capitalize()
    y = alt.Y("group:N", sort=order, title=group_title)
    color: Any = _platform_color(order, "group") if group == "platform" else alt.value(_ACCENT)
    tooltip = [
        alt.Tooltip("rank:Q", title="Rank"),
        alt.Tooltip("group:N", title=group_title),
        alt.Tooltip("estimate:Q", title=f"{metric_label}: {estimate}", format=fmt),
        alt.Tooltip("low:Q", title=low, format=fmt),
        alt.Tooltip("high:Q", title=high, format=fmt),
        *([alt.Tooltip("n:Q", title=n)] if n else []),
    ]
    base = alt.Chart(_data(df))
    bars = base.mark_rule(strokeWidth=2).encode(
        y=y,
        x=alt.X("low:Q", title=metric_label, axis=alt.Axis(**_axis_format(percent))),
        x2="high:Q",
        color=color,
        tooltip=tooltip,
    )
    points = base.mark_point(filled=True, size=70).encode(
        y=y, x=alt.X("estimate:Q"), color=color, tooltip=tooltip
    )
    layers: list[alt.Chart] = [bars, points]
    if reference is not None:
        layers.append(
            alt.Chart({"values": [{"reference": reference}]})
            .mark_rule(strokeDash=[4, 4], color="#777777")
            .encode(x="reference:Q")
        )
    return alt.layer(*layers).properties(
        title=_title(title, demo_, notes), width=420, height=alt.Step(24)
    )


# --------------------------------------------------------------------------- reactions


def reactions_by_type(
    reactions: Any,
    *,
    mode: str = "stacked",
    demo: bool | None = None,
) -> alt.Chart:
    """Reactions by type per network, summed over posts (latest observation of each post), as
    ``"stacked"``, ``"grouped"`` or ``"normalized"`` (share of the network's reactions) bars.

    >>> import polars as pl
    >>> from ayr_analysis import schema
    >>> r = pl.DataFrame([{"post_id": "p", "platform": "facebook", "reaction": "love",
    ...                    "count": 4}], schema=schema.REACTIONS_SCHEMA)
    >>> reactions_by_type(r).to_dict()["encoding"]["color"]["field"]
    'reaction'
    """
    helper = "reactions_by_type"
    if mode not in ("stacked", "grouped", "normalized"):
        raise ValueError(
            f"{helper}(): mode must be 'stacked', 'grouped' or 'normalized', not {mode!r}"
        )
    frame, demo_ = _unwrap(reactions, "reactions", demo, helper)
    _require(frame, ["post_id", "platform", "reaction", "count"], helper)
    title = "Reactions by type per network (count)"
    if "observed_at" in frame.columns and frame["observed_at"].null_count() < frame.height:
        # the latest observation of each post: its reactions as of that snapshot
        frame = frame.filter(
            pl.col("observed_at") == pl.col("observed_at").max().over(_keys(frame))
        )
    agg = (
        frame.filter(pl.col("reaction").is_not_null())
        .group_by(["platform", "reaction"])
        .agg(
            total=pl.when(pl.col("count").is_not_null().any())
            .then(pl.col("count").sum())
            .otherwise(None),
            posts=pl.col("post_id").filter(pl.col("count").is_not_null()).n_unique(),
        )
        .filter(pl.col("total").is_not_null())
        .with_columns(share=pl.col("total") / pl.col("total").sum().over("platform"))
    )
    if agg.is_empty():
        return _empty(title, demo_)
    reaction_order = (
        agg.group_by("reaction")
        .agg(pl.col("total").sum())
        .sort(["total", "reaction"], descending=[True, False])
    )["reaction"].to_list()
    platforms = sorted(agg["platform"].unique().to_list(), key=_platform_order)
    agg = agg.sort(["platform", "reaction"])
    normalized = mode == "normalized"
    y = alt.Y(
        "total:Q",
        title="Share of the network's reactions (%)" if normalized else "Reactions (count)",
        stack="normalize" if normalized else (None if mode == "grouped" else "zero"),
        axis=alt.Axis(**_axis_format(normalized)),
    )
    enc: dict[str, Any] = {
        "x": alt.X("platform:N", sort=platforms, title="Network", axis=alt.Axis(labelAngle=0)),
        "y": y,
        "color": alt.Color(
            "reaction:N",
            sort=reaction_order,
            scale=alt.Scale(domain=reaction_order, scheme="tableau10"),
            title="Reaction",
        ),
        "order": alt.Order("reaction_rank:Q"),
        "tooltip": [
            alt.Tooltip("platform:N", title="Network"),
            alt.Tooltip("reaction:N", title="Reaction"),
            alt.Tooltip("total:Q", title="Reactions (count)", format=","),
            alt.Tooltip("share:Q", title="Share of the network's reactions", format=".1%"),
            alt.Tooltip("posts:Q", title="Posts reporting it"),
        ],
    }
    if mode == "grouped":
        enc["xOffset"] = alt.XOffset("reaction:N", sort=reaction_order)
    agg = agg.with_columns(
        reaction_rank=pl.col("reaction").replace_strict(
            {r: i for i, r in enumerate(reaction_order)}, return_dtype=pl.Int64
        )
    )
    return (
        alt.Chart(_data(agg))
        .mark_bar()
        .encode(**enc)
        .properties(
            title=_title(title, demo_, ["latest observation of each post, summed per network"]),
            width=alt.Step(22 if mode == "grouped" else 48),
            height=280,
        )
    )


# --------------------------------------------------------------------------- top posts


def top_posts(
    wide: Any,
    metric: str = "likes",
    n: int = 10,
    *,
    text_chars: int = 40,
    demo: bool | None = None,
) -> alt.LayerChart | alt.Chart:
    """The ``n`` posts with the highest ``metric`` (latest observation) as horizontal bars,
    labelled by the start of their text (or their post id when there is no text). Bars link to
    the post's URL.

    >>> import polars as pl
    >>> from ayr_analysis import schema
    >>> wide = pl.DataFrame([{"post_id": "p1", "platform": "youtube", "views": 9,
    ...                       "text": "Our spring launch video"}], schema=schema.WIDE_SCHEMA)
    >>> top_posts(wide, "views").to_dict()["layer"][0]["encoding"]["x"]["title"]
    'Views (count)'
    """
    helper = "top_posts"
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{helper}(): n must be a positive integer, not {n!r}")
    if text_chars < 4:
        raise ValueError(f"{helper}(): text_chars must be at least 4, not {text_chars}")
    frame, demo_ = _unwrap(wide, "wide", demo, helper)
    _require(frame, ["post_id", "platform", metric], helper)
    _require_numeric(frame, metric, helper)
    label, _ = _label_unit(metric)
    percent = _is_percent(metric)
    title = f"Top {n} posts by {label.lower()}"
    posts = _per_post(_latest(frame), [metric]).filter(pl.col(metric).is_not_null())
    if posts.is_empty():
        return _empty(title, demo_)
    keep = [
        c
        for c in ("post_id", "platform", "url", "text", "published_at", "observed_at")
        if c in posts.columns
    ]
    top = (
        posts.select(*keep, metric)
        .sort([metric, "post_id", "platform"], descending=[True, False, False])
        .head(n)
    )
    has_text = "text" in top.columns
    short = _snippet(chars=text_chars) if has_text else pl.lit(None, pl.String)
    top = top.with_columns(
        label=pl.format(
            "{} · {}",
            pl.when(short.is_null() | (short == "")).then(pl.col("post_id")).otherwise(short),
            pl.col("platform"),
        ),
        snippet=_snippet(chars=200) if has_text else pl.lit(None, pl.String),
    )
    top = top.with_columns(
        label=pl.when(pl.col("label").is_duplicated())
        .then(pl.format("{} [{}]", pl.col("label"), pl.col("post_id")))
        .otherwise(pl.col("label"))
    )
    if has_text:
        top = top.drop("text")
    order = top["label"].to_list()
    fmt = _value_format(percent)
    tooltip = [
        *_tooltip_post(top),
        alt.Tooltip(f"{metric}:Q", title=metric_title(metric), format=fmt),
    ]
    for c, t in (("published_at", "Published at"), ("observed_at", "Observed at")):
        if c in top.columns:
            tooltip.append(alt.Tooltip(f"{c}:N", title=t))
    base = alt.Chart(_data(top))
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=360))
    enc: dict[str, Any] = {
        "x": alt.X(
            f"{metric}:Q",
            title=metric_title(metric),
            axis=alt.Axis(tickCount=5, **_axis_format(percent)),
            scale=_headroom(top[metric]),
        ),
        "y": y,
        "color": _platform_color(top["platform"].to_list()),
        "tooltip": tooltip,
    }
    if "url" in top.columns:
        enc["href"] = alt.Href("url:N")
    bars = base.mark_bar().encode(**enc)
    values = base.mark_text(align="left", dx=4, fontSize=11).encode(
        x=alt.X(f"{metric}:Q"),
        y=y,
        text=alt.Text(f"{metric}:Q", format=".1%" if percent else ",.4~f"),
    )
    return alt.layer(bars, values).properties(
        title=_title(title, demo_, ["latest observation of each post"]),
        width=420,
        height=alt.Step(24),
    )


# --------------------------------------------------------------------------- best time


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
        if lo < 0 or hi - base > 6:
            raise ValueError(
                "best_time_heatmap(): integer weekdays must be 1-7 (1 = Monday) or 0-6 (0 = Monday)"
            )
        return (col - base).replace_strict(dict(enumerate(WEEKDAYS)), return_dtype=pl.String)
    raise ValueError(f"best_time_heatmap(): weekday column is {col.dtype}, expected names or 1-7")


def best_time_heatmap(
    frame: Any,
    metric: str = "likes",
    value: str = "median",
    *,
    tz: str = "UTC",
    min_posts: int = 1,
    demo: bool | None = None,
) -> alt.Chart:
    """Weekday x hour-of-publication heatmap of ``metric``.

    ``frame`` is either the wide frame (the latest observation of each post is grouped by the
    weekday and hour of ``published_at`` in ``tz``, and ``value`` is the statistic: ``"median"``
    or ``"mean"``), or a precomputed frame with ``weekday`` (Mon..Sun, 1-7 or 0-6 from Monday),
    ``hour`` (0-23), a value column (named ``value``, or as the ``value`` argument) and
    optionally ``n``. Cells with fewer than ``min_posts`` posts are left blank.

    >>> import polars as pl
    >>> cells = pl.DataFrame({"weekday": ["Mon", "Tue"], "hour": [9, 18],
    ...                       "value": [12.0, 30.0], "n": [4, 6]})
    >>> best_time_heatmap(cells, "likes").to_dict()["mark"]["type"]
    'rect'
    """
    helper = "best_time_heatmap"
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{helper}(): unknown time zone {tz!r}; use e.g. 'UTC' or 'Europe/Paris'"
        ) from None
    df, demo_ = _unwrap(frame, "wide", demo, helper)
    label, _ = _label_unit(metric)
    percent = _is_percent(metric)
    precomputed = {"weekday", "hour"} <= set(df.columns) and "published_at" not in df.columns
    if precomputed:
        col = value if value in df.columns else "value"
        _require(df, [col], helper)
        _require_numeric(df, col, helper)
        stat = "value" if col == "value" else col
        cells = df.select(
            _weekday_names(df["weekday"]).alias("weekday"),
            pl.col("hour").cast(pl.Int64),
            pl.col(col).cast(pl.Float64).alias("value"),
            (pl.col("n").cast(pl.Int64) if "n" in df.columns else pl.lit(None, pl.Int64)).alias(
                "n"
            ),
        )
        if (cells["hour"].drop_nulls().is_between(0, 23)).not_().any():
            raise ValueError(f"{helper}(): hour must be 0-23")
        if cells.select("weekday", "hour").is_duplicated().any():
            raise ValueError(
                f"{helper}(): the precomputed frame has several rows for one weekday and hour; "
                "give one row per cell (filter it first, e.g. to one network)"
            )
    else:
        if value not in ("median", "mean"):
            raise ValueError(
                f"{helper}(): value must be 'median' or 'mean' for a wide frame, not {value!r}"
            )
        _require(df, ["post_id", "platform", "published_at", metric], helper)
        _require_numeric(df, metric, helper)
        stat = value
        posts = _per_post(_latest(df), [metric]).filter(
            pl.col(metric).is_not_null() & pl.col("published_at").is_not_null()
        )
        local = pl.col("published_at")
        if (
            isinstance(posts.schema["published_at"], pl.Datetime)
            and posts.schema["published_at"].time_zone
        ):
            local = local.dt.convert_time_zone(tz)
        agg = pl.col(metric).median() if value == "median" else pl.col(metric).mean()
        cells = (
            posts.with_columns(weekday=local.dt.weekday(), hour=local.dt.hour().cast(pl.Int64))
            .group_by(["weekday", "hour"])
            .agg(value=agg.cast(pl.Float64), n=pl.len().cast(pl.Int64))
        )
        cells = cells.with_columns(_weekday_names(cells["weekday"]).alias("weekday"))
    stat_label = {"value": "", "median": "Median ", "mean": "Mean "}.get(stat, f"{stat} ")
    title = f"{stat_label}{label.lower()} by weekday and hour published ({tz})".strip()
    title = title[0].upper() + title[1:]
    cells = cells.filter(pl.col("value").is_not_null())
    if "n" in cells.columns:
        cells = cells.filter(pl.col("n").is_null() | (pl.col("n") >= min_posts))
    if cells.is_empty():
        return _empty(title, demo_)
    cells = cells.sort(["weekday", "hour"])
    value_title = f"{stat_label}{metric_title(metric).lower()}".strip()
    value_title = value_title[0].upper() + value_title[1:]
    fmt = _value_format(percent)
    return (
        alt.Chart(_data(cells))
        .mark_rect()
        .encode(
            x=alt.X(
                "hour:O", title=f"Hour published ({tz})", scale=alt.Scale(domain=list(range(24)))
            ),
            y=alt.Y("weekday:O", title="Weekday", scale=alt.Scale(domain=list(WEEKDAYS))),
            color=alt.Color(
                "value:Q",
                title=value_title,
                scale=alt.Scale(scheme="blues"),
                legend=alt.Legend(**_axis_format(percent)),
            ),
            tooltip=[
                alt.Tooltip("weekday:N", title="Weekday"),
                alt.Tooltip("hour:O", title=f"Hour ({tz})"),
                alt.Tooltip("value:Q", title=value_title, format=fmt),
                alt.Tooltip("n:Q", title="Posts"),
            ],
        )
        .properties(
            title=_title(title, demo_, ["latest observation of each post; blank = no posts"]),
            width=alt.Step(20),
            height=alt.Step(22),
        )
    )


# --------------------------------------------------------------------------- funnel


def funnel(
    wide: Any,
    *,
    stages: Sequence[str] = FUNNEL_STAGES,
    log_scale: bool = True,
    demo: bool | None = None,
) -> alt.LayerChart | alt.Chart:
    """Impressions -> engagements -> clicks per network, summed over the posts that report each
    stage (latest observation of each post).

    A stage a network never reported is marked "not reported" (a grey cross, in the legend and
    the tooltip), never drawn as 0; a reported 0 is a bar of height 0. The tooltip gives each
    stage as a share of the first stage over the posts that report both.

    >>> import polars as pl
    >>> from ayr_analysis import schema
    >>> wide = pl.DataFrame([{"post_id": "p", "platform": "instagram", "impressions": 100,
    ...                       "engagements": 9}], schema=schema.WIDE_SCHEMA)
    >>> spec = funnel(wide).to_dict()
    >>> rows = spec["datasets"][spec["layer"][0]["data"]["name"]]
    >>> [(r["stage"], r["total"], r["status"]) for r in rows]
    [('impressions', 100.0, 'reported'), ('engagements', 9.0, 'reported'), ('clicks', None, 'not reported')]
    """
    helper = "funnel"
    stages = list(stages)
    if not stages or len(set(stages)) != len(stages):
        raise ValueError(f"{helper}(): stages must be distinct metric names, got {stages!r}")
    frame, demo_ = _unwrap(wide, "wide", demo, helper)
    _require(frame, ["post_id", "platform", *stages], helper)
    for s in stages:
        _require_numeric(frame, s, helper)
    title = "Funnel per network: " + " → ".join(s.replace("_", " ") for s in stages)
    posts = _per_post(_latest(frame), stages)
    if posts.is_empty():
        return _empty(title, demo_)
    first = stages[0]
    rows = []
    for i, s in enumerate(stages):
        both = pl.col(s).is_not_null() & pl.col(first).is_not_null()
        rows.append(
            posts.group_by("platform").agg(
                stage=pl.lit(s),
                stage_index=pl.lit(i, pl.Int64),
                total=pl.when(pl.col(s).is_not_null().any())
                .then(pl.col(s).sum())
                .otherwise(None)
                .cast(pl.Float64),
                reported_posts=pl.col(s).count().cast(pl.Int64),
                n_posts=pl.len().cast(pl.Int64),
                of_first=(pl.col(s).filter(both).sum() / pl.col(first).filter(both).sum()).cast(
                    pl.Float64
                ),
            )
        )
    long = pl.concat(rows, how="vertical_relaxed").with_columns(
        status=pl.when(pl.col("total").is_null())
        .then(pl.lit(NOT_REPORTED))
        .otherwise(pl.lit("reported")),
        of_first=pl.when(pl.col("of_first").is_finite()).then("of_first").otherwise(None),
    )
    long = long.with_columns(
        reported_for=pl.when(pl.col("total").is_null())
        .then(pl.lit(NOT_REPORTED))
        .otherwise(pl.format("{} of {} posts", "reported_posts", "n_posts"))
    )
    platforms = sorted(long["platform"].unique().to_list(), key=_platform_order)
    long = (
        long.with_columns(
            platform_index=pl.col("platform").replace_strict(
                {p: i for i, p in enumerate(platforms)}, return_dtype=pl.Int64
            )
        )
        .sort(["platform_index", "stage_index"])
        .drop("platform_index")
    )
    x = alt.X("stage:N", sort=stages, title="Stage", axis=alt.Axis(labelAngle=0))
    x_offset = alt.XOffset("platform:N", sort=platforms)
    tooltip = [
        alt.Tooltip("platform:N", title="Network"),
        alt.Tooltip("stage:N", title="Stage"),
        alt.Tooltip("total:Q", title="Total (count)", format=","),
        alt.Tooltip("reported_for:N", title="Reported for"),
        alt.Tooltip("of_first:Q", title=f"Share of {first} (same posts)", format=".2%"),
    ]
    height = 300
    reported = long.filter(pl.col("total").is_not_null())
    missing = long.filter(pl.col("total").is_null())
    layers = [
        alt.Chart(_data(long))
        .transform_filter("isValid(datum.total)")
        .mark_bar()
        .encode(
            x=x,
            xOffset=x_offset,
            y=alt.Y(
                "total:Q",
                title="Count, summed over posts" + (" (symlog scale)" if log_scale else ""),
                scale=alt.Scale(type="symlog") if log_scale else alt.Undefined,
                axis=alt.Axis(values=_powers_of_ten(reported["total"]), format=".3~s")
                if log_scale
                else alt.Axis(format=".3~s"),
            ),
            color=_platform_color(platforms),
            tooltip=tooltip,
        )
    ]
    if not missing.is_empty():
        layers.append(
            alt.Chart(_data(missing))
            .mark_point(shape="cross", filled=True, size=80, color="#8a8a8a")
            .encode(
                x=x,
                xOffset=x_offset,
                y=alt.value(height - 8),
                shape=alt.Shape(
                    "status:N",
                    scale=alt.Scale(domain=[NOT_REPORTED], range=["cross"]),
                    legend=alt.Legend(title=None, symbolFillColor="#8a8a8a"),
                ),
                tooltip=tooltip,
            )
        )
    zeros = reported.filter(pl.col("total") == 0)
    if not zeros.is_empty():  # a reported zero has no bar to hover: label it
        layers.append(
            alt.Chart(_data(zeros))
            .mark_text(fontSize=10, color="#444444")
            .encode(
                x=x, xOffset=x_offset, y=alt.value(height - 8), text=alt.value("0"), tooltip=tooltip
            )
        )
    notes = ["latest observation of each post; × = not reported, 0 = reported zero"]
    if reported.is_empty():
        notes.append(f"no network reported {', '.join(stages)}")
    return alt.layer(*layers).properties(
        title=_title(title, demo_, notes), width=alt.Step(14), height=height
    )


# --------------------------------------------------------------------------- video retention


def _retention_panel(
    long: pl.DataFrame, legend: list[str]
) -> tuple[alt.LayerChart | None, pl.DataFrame]:
    """X playback quartiles as a share of playback starts; also returns per-post p100/p0."""
    _require(long, ["post_id", "platform", "field", "value"], "video_retention")
    df = long.filter(pl.col("field").is_in(list(PLAYBACK_FIELDS)) & pl.col("value").is_not_null())
    if df.is_empty():
        return None, pl.DataFrame()
    df = df.with_columns(
        quartile=pl.col("field").replace_strict(PLAYBACK_FIELDS, return_dtype=pl.Int64)
    )
    keys = _keys(df)
    if "observed_at" in df.columns:
        df = df.filter(pl.col("observed_at") == pl.col("observed_at").max().over(keys))
    df = (
        df.sort("observed_at" if "observed_at" in df.columns else "quartile")
        .group_by([*keys, "quartile"], maintain_order=True)
        .agg(count=pl.col("value").last())
    )
    df = df.with_columns(
        series=pl.concat_str([pl.col(k).cast(pl.String).fill_null("") for k in keys], separator="|")
    )
    starts = df.filter(pl.col("quartile") == 0).select("series", starts=pl.col("count"))
    df = (
        df.join(starts, on="series", how="inner")
        .filter(pl.col("starts") > 0)
        .with_columns(share=pl.col("count") / pl.col("starts"))
        .sort(["series", "quartile"])
    )
    if df.is_empty():
        return None, pl.DataFrame()
    stats = (
        df.group_by("quartile")
        .agg(
            median=pl.col("share").median(),
            q25=pl.col("share").quantile(0.25, interpolation="linear"),
            q75=pl.col("share").quantile(0.75, interpolation="linear"),
            n_posts=pl.len(),
        )
        .sort("quartile")
    )
    completion = df.filter(pl.col("quartile") == 100).select(
        "post_id", "platform", pl.col("share").alias("value")
    )
    lines, kept, total = _thin_series(df, "series")
    x = alt.X(
        "quartile:Q",
        title="Point reached in the video (%)",
        scale=alt.Scale(domain=[0, 100]),
        axis=alt.Axis(values=[0, 25, 50, 75, 100]),
    )
    y_title = "Viewers still watching (% of playback starts)"
    stat_tips = [
        alt.Tooltip("quartile:Q", title="Point in video (%)"),
        alt.Tooltip("median:Q", title="Median share of starts", format=".2%"),
        alt.Tooltip("q25:Q", title="25th percentile", format=".2%"),
        alt.Tooltip("q75:Q", title="75th percentile", format=".2%"),
        alt.Tooltip("n_posts:Q", title="Videos"),
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
                *_tooltip_post(lines),
                alt.Tooltip("quartile:Q", title="Point in video (%)"),
                alt.Tooltip("count:Q", title="Playbacks reaching it", format=","),
                alt.Tooltip("starts:Q", title="Playback starts", format=","),
                alt.Tooltip("share:Q", title="Share of starts", format=".2%"),
            ],
        )
    )
    band = (
        alt.Chart(_data(stats))
        .mark_area(opacity=0.15, color="#222222")
        .encode(x=x, y=alt.Y("q25:Q", title=y_title), y2="q75:Q", tooltip=stat_tips)
    )
    median = (
        alt.Chart(_data(stats))
        .mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(color="#222222"), color="#222222")
        .encode(x=x, y=alt.Y("median:Q", title=y_title), tooltip=stat_tips)
    )
    notes = ["thin lines: videos; thick line: median; band: 25th-75th percentile"]
    if kept < total:
        notes.append(f"thin lines show {kept} of {total} videos")
    chart = alt.layer(band, thin, median).properties(
        title=alt.TitleParams("X video playback quartiles", subtitle=notes, anchor="start"),
        width=360,
        height=260,
    )
    return chart, completion


_COMPLETION_MEASURES: dict[str, str] = {
    "completion_rate": "Completion rate",
    "avg_view_fraction": "Average view fraction",
}


def _completion_panel(
    wide: pl.DataFrame | None, x_completion: pl.DataFrame, legend: list[str]
) -> alt.LayerChart | None:
    parts = []
    if wide is not None:
        measures = [m for m in _COMPLETION_MEASURES if m in wide.columns]
        if measures:
            _require(wide, ["post_id", "platform"], "video_retention")
            posts = _per_post(_latest(wide), measures)
            for m in measures:
                parts.append(
                    posts.filter(pl.col(m).is_not_null()).select(
                        "post_id",
                        "platform",
                        pl.col(m).cast(pl.Float64).alias("value"),
                        measure=pl.lit(_COMPLETION_MEASURES[m]),
                        source=pl.lit(m),
                    )
                )
    if not x_completion.is_empty():
        parts.append(
            x_completion.with_columns(
                measure=pl.lit("Completion rate"), source=pl.lit("playback100 / playback0")
            )
        )
    if not parts:
        return None
    df = pl.concat(parts, how="vertical_relaxed")
    if df.is_empty():
        return None
    stats = (
        df.group_by(["measure", "platform", "source"])
        .agg(
            median=pl.col("value").median(),
            q25=pl.col("value").quantile(0.25, interpolation="linear"),
            q75=pl.col("value").quantile(0.75, interpolation="linear"),
            n=pl.len(),
        )
        .sort(["measure", "platform"])
    )
    platforms = sorted(stats["platform"].unique().to_list(), key=_platform_order)
    measures = [m for m in ("Completion rate", "Average view fraction") if m in stats["measure"]]
    y = alt.Y("measure:N", sort=measures, title=None)
    y_offset = alt.YOffset("platform:N", sort=platforms)
    x_title = "Share of the video (%), median over videos"
    tooltip = [
        alt.Tooltip("platform:N", title="Network"),
        alt.Tooltip("measure:N", title="Measure"),
        alt.Tooltip("source:N", title="From"),
        alt.Tooltip("median:Q", title="Median", format=".2%"),
        alt.Tooltip("q25:Q", title="25th percentile", format=".2%"),
        alt.Tooltip("q75:Q", title="75th percentile", format=".2%"),
        alt.Tooltip("n:Q", title="Videos reporting"),
    ]
    base = alt.Chart(_data(stats))
    color = _platform_color(legend)
    rule = base.mark_rule(strokeWidth=2).encode(
        y=y,
        yOffset=y_offset,
        x=alt.X(
            "q25:Q", title=x_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%")
        ),
        x2="q75:Q",
        color=color,
        tooltip=tooltip,
    )
    point = base.mark_point(filled=True, size=70).encode(
        y=y, yOffset=y_offset, x=alt.X("median:Q"), color=color, tooltip=tooltip
    )
    return alt.layer(rule, point).properties(
        title=alt.TitleParams(
            "Completion rate (%) and average view fraction (%) per network",
            subtitle=["point: median; line: 25th-75th percentile"],
            anchor="start",
        ),
        width=360,
        height=alt.Step(18),
    )


def video_retention(
    long_or_wide: Any,
    *,
    demo: bool | None = None,
) -> alt.Chart | alt.LayerChart | alt.HConcatChart:
    """How much of the videos people watch.

    From a long frame: X playback quartiles (``nonPublicMetrics.video.playback{0,25,50,75,100}Count``)
    as the share of playback starts (playback0) reaching 0/25/50/75/100 % of each video (latest
    observation; videos without starts are left out). From a wide frame: ``completion_rate`` and
    ``avg_view_fraction`` per network (median and quartiles over videos). Given both (an
    ``AnalyticsFrames``-like object), the two panels side by side (an ``alt.HConcatChart``); X's
    playback100 / playback0 then also appears as its completion rate.

    >>> import polars as pl
    >>> from ayr_analysis import schema
    >>> wide = pl.DataFrame([{"post_id": "p", "platform": "tiktok", "completion_rate": 0.31}],
    ...                     schema=schema.WIDE_SCHEMA)
    >>> video_retention(wide).to_dict()["layer"][1]["mark"]["type"]
    'point'
    """
    helper = "video_retention"
    long: pl.DataFrame | None = None
    wide: pl.DataFrame | None = None
    is_demo = bool(demo)
    if not isinstance(long_or_wide, pl.DataFrame | pl.LazyFrame) and (
        hasattr(long_or_wide, "long") or hasattr(long_or_wide, "wide")
    ):
        is_demo = is_demo or getattr(long_or_wide, "source", None) == "demo"
        if hasattr(long_or_wide, "long"):
            long, _ = _unwrap(long_or_wide.long, None, None, helper)
        if hasattr(long_or_wide, "wide"):
            wide, _ = _unwrap(long_or_wide.wide, None, None, helper)
    else:
        frame, _ = _unwrap(long_or_wide, None, None, helper)
        if {"field", "value"} <= set(frame.columns):
            long = frame
        else:
            wide = frame
    title = "Video retention"
    legend: list[str] = []  # every network drawn in either panel, for the shared legend
    if long is not None and {"platform", "field", "value"} <= set(long.columns):
        legend += long.filter(
            pl.col("field").is_in(list(PLAYBACK_FIELDS)) & pl.col("value").is_not_null()
        )["platform"].to_list()
    if wide is not None and "platform" in wide.columns:
        for m in _COMPLETION_MEASURES:
            if m in wide.columns:
                legend += wide.filter(pl.col(m).is_not_null())["platform"].to_list()
    retention, x_completion = (None, pl.DataFrame())
    if long is not None and not long.is_empty():
        retention, x_completion = _retention_panel(long, legend)
    completion = _completion_panel(wide, x_completion, legend)
    panels = [p for p in (retention, completion) if p is not None]
    if not panels:
        return _empty(title, is_demo)
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


# --------------------------------------------------------------------------- export


def _vl_convert() -> Any:
    try:
        import vl_convert
    except ImportError as exc:
        raise ImportError(
            "Saving charts needs vl-convert-python: pip install 'ayr-analysis[notebooks]' "
            "(or pip install vl-convert-python)"
        ) from exc
    return vl_convert


def _vl_version(vlc: Any) -> str | None:
    parts = alt.SCHEMA_VERSION.lstrip("v").split(".")
    wanted = f"{parts[0]}.{parts[1]}"
    try:
        available = list(vlc.get_vegalite_versions())
    except Exception:  # pragma: no cover - very old vl-convert
        return None
    return f"v{wanted.replace('.', '_')}" if wanted in available else None


_FORMATS = (".png", ".svg", ".html")


def chart_to_image(
    chart: alt.TopLevelMixin, format: str = "svg", *, scale: float = 2
) -> str | bytes:
    """Render ``chart`` in memory: ``"svg"`` (str), ``"png"`` (bytes) or ``"html"`` (str, with
    the JavaScript bundled in so that it opens offline).

    >>> import altair as alt
    >>> svg = chart_to_image(alt.Chart(alt.Data(values=[{"a": 1}])).mark_point().encode(x="a:Q"))
    >>> svg.startswith("<svg")
    True
    """
    fmt = format.lower().lstrip(".")
    if f".{fmt}" not in _FORMATS:
        raise ValueError(f"format must be one of png, svg, html, not {format!r}")
    if not scale > 0:
        raise ValueError(f"scale must be positive, not {scale!r}")
    vlc = _vl_convert()
    spec = chart.to_dict()
    version = _vl_version(vlc)
    if fmt == "png":
        return vlc.vegalite_to_png(spec, vl_version=version, scale=scale)
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec, vl_version=version)
    return vlc.vegalite_to_html(spec, vl_version=version, bundle=True)


def save_chart(chart: alt.TopLevelMixin, path: str | Path, *, scale: float = 2) -> Path:
    """Write ``chart`` to ``path``: ``.png`` (at ``scale`` times its size), ``.svg`` or ``.html``
    (self-contained: opens offline). Needs vl-convert-python (the ``notebooks`` extra).

    >>> import altair as alt, tempfile, pathlib
    >>> chart = alt.Chart(alt.Data(values=[{"a": 1}])).mark_point().encode(x="a:Q")
    >>> out = save_chart(chart, pathlib.Path(tempfile.mkdtemp()) / "chart.svg")
    >>> out.read_text().startswith("<svg")
    True
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in _FORMATS:
        raise ValueError(
            f"save_chart() writes .png, .svg or .html files; {str(path)!r} has "
            f"{'extension ' + repr(ext) if ext else 'no extension'}"
        )
    out = chart_to_image(chart, ext[1:], scale=scale)
    if isinstance(out, bytes):
        path.write_bytes(out)
    else:
        path.write_text(out, encoding="utf-8")
    return path
