"""What every chart shares: labels and units, value formats, network colours, titles, the theme,
input handling and the inline data. Nothing here computes a statistic."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import altair as alt
import polars as pl

from ..schema import PLATFORMS, POST_KEY, UNIT_KEY

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
    "engagement_rate": ("Engagement rate", "%"),
    "engagement_rate_reported": ("Engagement rate, network-reported", "%"),
}

#: Altair's default row limit; no dataset embedded by these helpers is larger.
MAX_ROWS = 5000

DEMO_SUBTITLE = "demo data: simulated numbers"
NOT_REPORTED = "not reported"
WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_ACCENT = "#4c78a8"
_DEMO_COLOR = "#b45309"
_MUTED = "#777777"


# --------------------------------------------------------------------------- labels and formats


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


def _is_count(metric: str) -> bool:
    return _label_unit(metric)[1] in ("count", "accounts")


def value_format(metric: str | None) -> str:
    """The d3 format of ``metric``'s values in labels and tooltips: counts as integers, rates and
    fractions as percentages, anything else to 3 significant figures.

    >>> value_format("likes"), value_format("completion_rate"), value_format("watch_time_s")
    (',.0f', '.2~%', ',.3~r')
    """
    if metric is None:
        return ",.3~r"
    if _is_percent(metric):
        return ".2~%"
    return ",.0f" if _is_count(metric) else ",.3~r"


def _axis_format(percent: bool) -> dict[str, Any]:
    return {"format": ".2~%"} if percent else {}


def _age_text(age: str | None) -> str:
    """``"24h"`` -> ``"at post age 24h"``; ``None`` / ``"latest"`` -> ``"latest value"``."""
    if age is None or age == "latest":
        return "each post's latest reported value"
    return f"at post age {age}"


def _single(frame: pl.DataFrame, column: str) -> Any:
    """The one value of ``column`` (None when absent, empty or not single-valued)."""
    if column not in frame.columns:
        return None
    vals = frame[column].drop_nulls().unique().to_list()
    return vals[0] if len(vals) == 1 else None


# --------------------------------------------------------------------------- colours and titles


def layer(*charts: Any) -> alt.LayerChart:
    """Charts drawn over each other. ``alt.layer`` is typed to give a LayerChart or a FacetChart
    (it hoists shared facet encodings); no chart here is faceted, so this is always a LayerChart."""
    return alt.LayerChart(layer=list(charts))


def platform_scale() -> alt.Scale:
    """The colour scale of networks: the same domain and range in every chart.

    >>> platform_scale().to_dict()["range"][:2]
    ['#4ea8f5', '#1f5fbf']
    """
    return alt.Scale(domain=list(PLATFORM_COLORS), range=list(PLATFORM_COLORS.values()))


def _platform_order(platform: str) -> tuple[int, str]:
    return (PLATFORMS.index(platform) if platform in PLATFORMS else len(PLATFORMS), platform)


def _sorted_platforms(present: Iterable[str | None]) -> list[str]:
    return sorted({p for p in present if p is not None}, key=_platform_order)


def _platform_color(
    present: Iterable[str | None] | None, field: str = "platform", legend: bool = True
) -> alt.Color:
    """Colour by network with the shared scale; the legend lists only the networks present."""
    shown = _sorted_platforms(present or [])
    opts: dict[str, Any] = {"title": "Network", "symbolOpacity": 1}
    if not legend:
        return alt.Color(f"{field}:N", scale=platform_scale(), legend=None)
    return alt.Color(
        f"{field}:N",
        scale=platform_scale(),
        legend=alt.Legend(values=shown, **opts) if shown else alt.Legend(**opts),
    )


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


def _wrap(text: str, width: int = 100) -> list[str]:
    """``text`` as subtitle lines of at most about ``width`` characters, split at ``"; "``."""
    lines: list[str] = []
    for part in text.split("; "):
        if lines and len(lines[-1]) + len(part) + 2 <= width:
            lines[-1] += "; " + part
        else:
            lines.append(part)
    return lines


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
    LazyFrame is collected with only ``columns`` (those it has), when given. A frame with a
    ``source`` column holding ``"demo"`` is demo data."""
    is_demo = bool(demo)
    if attr is not None and not isinstance(obj, pl.DataFrame | pl.LazyFrame) and hasattr(obj, attr):
        is_demo = is_demo or getattr(obj, "source", None) == "demo"
        obj = getattr(obj, attr)
    if isinstance(obj, pl.LazyFrame):
        if columns is not None:
            names = obj.collect_schema().names()
            obj = obj.select([c for c in names if c in {*columns, "source"}])
        obj = obj.collect()
    if not isinstance(obj, pl.DataFrame):
        want = "a polars DataFrame or LazyFrame"
        if attr is not None:
            want += f" (or an object with .{attr}, such as AnalyticsFrames)"
        raise TypeError(f"{helper}() expects {want}, got {type(obj).__name__}")
    if "source" in obj.columns and obj.schema["source"] == pl.String:
        is_demo = is_demo or bool((obj["source"] == "demo").any())
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


def _require_metric(frame: pl.DataFrame, metric: str, rate_by: str, helper: str) -> None:
    """``frame`` has what ``metric`` needs: its column, or a rate's engagements and base."""
    if metric == "engagement_rate":
        base = [] if rate_by == "followers" else [rate_by]
        _require(frame, [*POST_KEY, "engagements", *base], helper)
        return
    _require(frame, [*POST_KEY, metric], helper)
    _require_numeric(frame, metric, helper)


def _is_result(frame: pl.DataFrame, columns: Iterable[str]) -> bool:
    """Whether ``frame`` is an analysis result (it has ``columns`` and no per-post rows of
    snapshots, i.e. no ``observed_at``)."""
    return set(columns) <= set(frame.columns) and "observed_at" not in frame.columns


def _check_metric(frame: pl.DataFrame, metric: str | None, helper: str) -> str | None:
    """The metric of a result (its ``metric`` column); a different ``metric`` argument is an
    error."""
    have = _single(frame, "metric")
    if metric is not None and have is not None and metric != have:
        raise ValueError(
            f"{helper}(): the result given is of {have!r}, not {metric!r}; pass metric={have!r} "
            "or compute the result for the metric you want"
        )
    return have if have is not None else metric


# --------------------------------------------------------------------------- inline data


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
        elif isinstance(dtype, pl.List) and not isinstance(dtype.inner, pl.List | pl.Struct):
            # e.g. the caveat codes of a row: "youtube_processing, pinterest_delayed"
            items = pl.col(name).list.eval(pl.element().cast(pl.String, strict=False))
            exprs.append(items.list.join(", ").alias(name))
        elif isinstance(dtype, pl.List | pl.Struct | pl.Object):
            exprs.append(pl.col(name).cast(pl.String, strict=False))
    if exprs:
        frame = frame.with_columns(exprs)
    return frame.to_dicts()


def _data(frame: pl.DataFrame) -> dict[str, Any]:
    """Inline data. A plain dict (not ``alt.Data``): Altair then moves it to the top-level
    ``datasets`` without validating every row against the schema, which is slow."""
    if frame.height > MAX_ROWS:  # pragma: no cover - callers thin first
        raise AssertionError(f"internal: {frame.height} rows would be embedded")
    return {"values": _records(frame)}


def _thin_series(frame: pl.DataFrame, series: str) -> tuple[pl.DataFrame, int, int]:
    """Keep whole series (e.g. the lines of posts), evenly spread over their sorted names, so
    that at most MAX_ROWS rows remain. Returns the frame, series kept, series in total."""
    rows_per = frame[series].value_counts().sort(series)
    total = rows_per.height
    if frame.height <= MAX_ROWS:
        return frame, total, total
    keep_n = max(1, int(MAX_ROWS // math.ceil(frame.height / max(total, 1))))
    while True:
        step = total / keep_n
        picked = rows_per[[int(i * step) for i in range(keep_n)]]
        if sum(picked["count"].to_list()) <= MAX_ROWS or keep_n == 1:
            break
        keep_n = max(1, int(keep_n * 0.9))
    kept = frame.filter(pl.col(series).is_in(picked[series].implode()))
    return kept, picked.height, total


def _empty(title: str, demo: bool, notes: Sequence[str] = ()) -> alt.Chart:
    return (
        alt.Chart(
            alt.Data(values=[{"message": "no data"}]),
            title=_title(f"{title}: no data", demo, notes),
        )
        .mark_text(fontSize=14, color=_MUTED)
        .encode(text="message:N")
        .properties(width=320, height=60)
    )


def _headroom(top: float | None, low: float | None = 0.0) -> alt.Scale:
    """A zero-based scale with room to the right of the largest value for a text label."""
    if top is None or not top > 0 or (low is not None and low < 0):
        return alt.Scale(zero=True)
    return alt.Scale(domain=[0, float(top) * 1.18], nice=True)


def _powers_of_ten(top: float | None) -> list[float]:
    """Tick values for a symlog axis: 0, 1, 10, 100... up to ``top``."""
    ticks: list[float] = [0]
    if top is None or not top > 0:
        return ticks
    k = 0
    while 10**k <= top * 10:
        ticks.append(float(10**k))
        k += 1
    return ticks


def _log_wanted(values: Iterable[float | None], ratio: float = 100.0) -> bool:
    """Whether positive ``values`` span more than ``ratio`` times (a scale choice)."""
    pos = [v for v in values if v is not None and v > 0 and math.isfinite(v)]
    return len(pos) > 1 and max(pos) / min(pos) > ratio


def _series_key(frame: pl.DataFrame) -> pl.Expr:
    """One text key per post (and tweet) for ``detail`` encodings of per-post lines."""
    present = [k for k in UNIT_KEY if k in frame.columns]
    return pl.concat_str([pl.col(k).cast(pl.String).fill_null("") for k in present], separator="|")
