"""An ipywidgets dashboard over the package: pick posts or a campaign, networks, a metric, an
engagement-rate definition and a post age; see a chart and a table; start and stop live tracking.

The widget tree is built by small functions (:func:`build_controls`, :func:`build_layout`) and
wired by :class:`Dashboard`, whose handlers only call the package (:mod:`ayr_analysis.api`,
:mod:`~ayr_analysis.metrics`, :mod:`~ayr_analysis.charts`, :mod:`~ayr_analysis.tracking`).
ipywidgets is imported here only: ``import ayr_analysis`` never loads it.

Charts are rendered to SVG on the kernel side (vl-convert) and shown in an ``ipywidgets.HTML``.
An SVG needs no Vega renderer in the front end, so the dashboard looks the same in JupyterLab,
Voila, a classic notebook and an HTML export, and a browser test can read its axis titles and
marks from the page. The Altair chart behind it stays at hand as ``dashboard.current_chart``
(display it for Vega's interactive tooltips).

>>> from ayr_analysis import AyrshareClient
>>> from ayr_analysis.widgets import Dashboard
>>> dash = Dashboard(AyrshareClient(source="demo"))
>>> dash.metric.value = "views"
>>> dash.refresh_button.click()
>>> dash.current_chart.to_dict()["title"]["text"]
'Median views per post by network'
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import polars as pl

from .schema import CANONICAL_METRICS, PLATFORMS

if TYPE_CHECKING:  # pragma: no cover
    import altair as alt

    from .client import AyrshareClient
    from .store import SnapshotStore
    from .tracking import TrackHandle

__all__ = [
    "AGES",
    "RATE_BASES",
    "RATE_FORMS",
    "Controls",
    "Dashboard",
    "build_controls",
    "build_layout",
    "html_table",
    "picker_options",
    "selected_post_ids",
    "summary_table",
]

#: Post ages offered; "latest" is each post's latest observation.
AGES: tuple[str, ...] = ("latest", "1h", "6h", "24h", "72h", "7d")
#: Denominators of the engagement rate.
RATE_BASES: tuple[str, ...] = ("impressions", "reach", "views", "followers")
#: (label, form) of the engagement rate (see :func:`ayr_analysis.metrics.engagement_rate`).
RATE_FORMS: tuple[tuple[str, str], ...] = (
    ("ratio of sums", "ratio"),
    ("mean of post rates", "mean"),
)
#: How many of the most recent single posts the picker lists.
MAX_PICKER_POSTS = 30
RECENT_DAYS = 7

_ERROR_STYLE = "color:#b91c1c;font-weight:600"
_DEMO_STYLE = "color:#b45309;font-weight:600"

Selection = tuple[str, Any]  # ("campaign", name) | ("recent", days) | ("post", post_id)


# --------------------------------------------------------------------------- pure helpers


def picker_options(
    posts: pl.DataFrame,
    campaigns: Sequence[Any] = (),
    *,
    now: datetime | None = None,
    max_posts: int = MAX_PICKER_POSTS,
    recent_days: int = RECENT_DAYS,
) -> list[tuple[str, Selection]]:
    """The choices of the post/campaign picker, as ``(label, value)`` pairs.

    Campaigns first (with their number of posts), then "posts of the last N days", then the
    ``max_posts`` most recent single posts. ``posts`` is a history frame
    (:data:`ayr_analysis.schema.POSTS_SCHEMA`); ``campaigns`` come from
    :func:`ayr_analysis.campaigns.load_campaigns`.

    >>> import polars as pl, datetime as dt
    >>> from ayr_analysis import schema
    >>> t = dt.datetime(2026, 9, 1, tzinfo=dt.timezone.utc)
    >>> posts = pl.DataFrame([{"post_id": "p1", "platform": "tiktok", "text": "Hello #Launch",
    ...                        "created_at": t}], schema=schema.POSTS_SCHEMA)
    >>> [value for _, value in picker_options(posts, now=t)]
    [('recent', 7), ('post', 'p1')]
    """
    options: list[tuple[str, Selection]] = []
    if campaigns:
        from .campaigns import assign_campaigns

        tagged = assign_campaigns(posts, list(campaigns))
        counts = dict(
            tagged.drop_nulls("campaign")
            .group_by("campaign")
            .agg(pl.col("post_id").n_unique())
            .iter_rows()
        )
        for c in campaigns:
            n = counts.get(c.name, 0)
            options.append((f"Campaign: {c.name} ({n} posts)", ("campaign", c.name)))
    now = now or _latest_time(posts)
    n_recent = len(_recent_ids(posts, recent_days, now))
    options.append(
        (f"All posts of the last {recent_days} days ({n_recent})", ("recent", recent_days))
    )
    if posts.height:
        per_post = (
            posts.sort("created_at", nulls_last=False)
            .group_by("post_id", maintain_order=True)
            .agg(
                pl.col("created_at").last(),
                pl.col("text").drop_nulls().first(),
                pl.col("platform").drop_nulls().unique().sort().str.join(", ").alias("networks"),
            )
            .sort("created_at", descending=True, nulls_last=True)
            .head(max_posts)
        )
        for pid, created, text, networks in per_post.iter_rows():
            when = created.strftime("%Y-%m-%d %H:%M") if created else "?"
            snippet = " ".join((text or "").split())
            snippet = snippet if len(snippet) <= 40 else snippet[:39] + "…"
            options.append((f"Post {when} [{networks}] {snippet}", ("post", pid)))
    return options


def _latest_time(posts: pl.DataFrame) -> datetime:
    if posts.height and posts["created_at"].drop_nulls().len():
        return posts["created_at"].max()  # type: ignore[return-value]
    return datetime.now(UTC)


def _recent_ids(posts: pl.DataFrame, days: int, now: datetime) -> list[str]:
    from datetime import timedelta

    since = now - timedelta(days=days)
    recent = posts.filter(pl.col("created_at") >= since)
    return recent["post_id"].drop_nulls().unique(maintain_order=True).to_list()


def selected_post_ids(
    selection: Selection,
    posts: pl.DataFrame,
    campaigns: Sequence[Any] = (),
    *,
    now: datetime | None = None,
) -> list[str]:
    """The Ayrshare post ids a picker value stands for. Raises ``ValueError`` when there are none.

    >>> import polars as pl, datetime as dt
    >>> from ayr_analysis import schema
    >>> t = dt.datetime(2026, 9, 1, tzinfo=dt.timezone.utc)
    >>> posts = pl.DataFrame([{"post_id": "p1", "platform": "tiktok", "created_at": t}],
    ...                      schema=schema.POSTS_SCHEMA)
    >>> selected_post_ids(("recent", 7), posts, now=t)
    ['p1']
    """
    kind, value = selection
    if kind == "post":
        return [str(value)]
    if kind == "recent":
        ids = _recent_ids(posts, int(value), now or _latest_time(posts))
        if not ids:
            raise ValueError(f"no posts in the last {value} days of the history")
        return ids
    if kind == "campaign":
        from .campaigns import assign_campaigns

        tagged = assign_campaigns(posts, list(campaigns))
        ids = (
            tagged.filter(pl.col("campaign") == value)["post_id"]
            .drop_nulls()
            .unique(maintain_order=True)
            .to_list()
        )
        if not ids:
            raise ValueError(f"campaign {value!r} matches no post of the history")
        return ids
    raise ValueError(f"unknown selection {selection!r}")


def _latest_per_post(frame: pl.DataFrame) -> pl.DataFrame:
    if "observed_at" not in frame.columns or frame.is_empty():
        return frame
    keys = [k for k in ("post_id", "platform", "thread_position") if k in frame.columns]
    return frame.sort("observed_at", nulls_last=False).unique(
        subset=keys, keep="last", maintain_order=True
    )


def summary_table(view: pl.DataFrame, metric: str, rates: pl.DataFrame) -> pl.DataFrame:
    """One row per network: posts, posts reporting ``metric``, its median and total, and the
    engagement rate with its interval (``rates`` from :func:`ayr_analysis.metrics.
    engagement_rate` grouped by platform). Nulls stay nulls.

    >>> import polars as pl
    >>> view = pl.DataFrame({"post_id": ["a", "b"], "platform": ["tiktok"] * 2,
    ...                      "likes": [3, None]})
    >>> rates = pl.DataFrame({"platform": ["tiktok"], "rate": [0.1], "low": [0.05],
    ...                       "high": [0.2], "n_posts": [1], "excluded": [1]})
    >>> summary_table(view, "likes", rates).row(0)
    ('tiktok', 2, 1, 3.0, 3, 0.1, 0.05, 0.2, 1)
    """
    latest = _latest_per_post(view)
    per = latest.group_by("platform").agg(
        pl.col("post_id").n_unique().alias("posts"),
        pl.col(metric).count().alias("reporting"),
        pl.col(metric).cast(pl.Float64).median().alias("median"),
        pl.when(pl.col(metric).is_not_null().any()).then(pl.col(metric).sum()).alias("total"),
    )
    rate_cols = rates.select(
        "platform",
        pl.col("rate").alias("engagement_rate"),
        pl.col("low").alias("rate_low"),
        pl.col("high").alias("rate_high"),
        pl.col("n_posts").alias("rate_posts"),
    )
    out = per.join(rate_cols, on="platform", how="left")
    order = {p: i for i, p in enumerate(PLATFORMS)}
    return (
        out.with_columns(pl.col("platform").replace_strict(order, default=99).alias("__o"))
        .sort("__o", "platform")
        .drop("__o")
        .select(
            "platform",
            pl.col("posts").cast(pl.Int64),
            pl.col("reporting").cast(pl.Int64),
            "median",
            "total",
            "engagement_rate",
            "rate_low",
            "rate_high",
            pl.col("rate_posts").cast(pl.Int64),
        )
    )


def _fmt(value: Any, percent: bool = False) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "not reported"
    if isinstance(value, str):
        return value
    if percent:
        return f"{value:.2%}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    return f"{value:,}"


def html_table(
    table: pl.DataFrame,
    columns: Mapping[str, str] | None = None,
    *,
    percent: Iterable[str] = (),
    caption: str = "",
) -> str:
    """A small HTML table of ``table`` (escaped), nulls written "not reported".

    ``columns`` maps column names to headers (and picks and orders them); ``percent`` names
    columns holding fractions to show as percentages.

    >>> import polars as pl
    >>> html_table(pl.DataFrame({"a": [1, None]}), {"a": "A"})
    '<table class="ayr-table"><thead><tr><th>A</th></tr></thead><tbody><tr><td>1</td></tr><tr><td>not reported</td></tr></tbody></table>'
    """
    columns = dict(columns) if columns else {c: c for c in table.columns}
    pct = set(percent)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in columns.values())
    body = []
    for row in table.select(list(columns)).iter_rows(named=True):
        cells = "".join(f"<td>{html.escape(_fmt(row[c], c in pct))}</td>" for c in columns)
        body.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f'<table class="ayr-table">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


_TABLE_CSS = (
    "<style>.ayr-table{border-collapse:collapse;font-size:12px;margin-top:6px}"
    ".ayr-table th,.ayr-table td{border:1px solid #ddd;padding:3px 8px;text-align:right}"
    ".ayr-table th:first-child,.ayr-table td:first-child{text-align:left}"
    ".ayr-table caption{text-align:left;font-weight:600;padding-bottom:4px}</style>"
)


# --------------------------------------------------------------------------- widget tree


@dataclass
class Controls:
    """Every widget of the dashboard."""

    picker: w.Dropdown
    platforms: w.SelectMultiple
    metric: w.Dropdown
    rate_by: w.Dropdown
    rate_form: w.Dropdown
    age: w.Dropdown
    refresh_button: w.Button
    tracking: w.ToggleButton
    status: w.HTML
    banner: w.HTML
    chart_view: w.HTML
    table: w.HTML


def build_controls(
    options: list[tuple[str, Selection]],
    *,
    metric: str = "likes",
    platforms: Iterable[str] | None = None,
    age: str = "latest",
    rate_by: str = "impressions",
    rate_form: str = "ratio",
) -> Controls:
    """The dashboard's widgets, with their starting values checked.

    >>> c = build_controls([("All posts", ("recent", 7))], metric="views")
    >>> c.metric.value, c.age.options[:3]
    ('views', ('latest', '1h', '6h'))
    """
    if metric not in CANONICAL_METRICS:
        raise ValueError(
            f"metric {metric!r} is not a canonical metric; choose one of "
            f"{', '.join(CANONICAL_METRICS)}"
        )
    if age not in AGES:
        raise ValueError(f"age {age!r}: choose one of {', '.join(AGES)}")
    if rate_by not in RATE_BASES:
        raise ValueError(f"rate_by {rate_by!r}: choose one of {', '.join(RATE_BASES)}")
    forms = [f for _, f in RATE_FORMS]
    if rate_form not in forms:
        raise ValueError(f"rate_form {rate_form!r}: choose one of {', '.join(forms)}")
    chosen = tuple(platforms) if platforms is not None else ()
    unknown = [p for p in chosen if p not in PLATFORMS]
    if unknown:
        raise ValueError(f"unknown network(s) {unknown}; choose from {', '.join(PLATFORMS)}")
    if not options:
        raise ValueError("nothing to pick: no campaign and no post in the history")
    label = {"description_width": "110px"}
    wide = w.Layout(width="420px")
    return Controls(
        picker=w.Dropdown(
            options=options,
            value=options[0][1],
            description="Posts",
            style=label,
            layout=w.Layout(width="560px"),
        ),
        platforms=w.SelectMultiple(
            options=list(PLATFORMS),
            value=chosen,
            rows=6,
            description="Networks",
            style=label,
            layout=w.Layout(width="300px"),
        ),
        metric=w.Dropdown(
            options=list(CANONICAL_METRICS),
            value=metric,
            description="Metric",
            style=label,
            layout=wide,
        ),
        rate_by=w.Dropdown(
            options=list(RATE_BASES),
            value=rate_by,
            description="Rate per",
            style=label,
            layout=wide,
        ),
        rate_form=w.Dropdown(
            options=list(RATE_FORMS),
            value=rate_form,
            description="Rate form",
            style=label,
            layout=wide,
        ),
        age=w.Dropdown(
            options=list(AGES), value=age, description="Post age", style=label, layout=wide
        ),
        refresh_button=w.Button(
            description="Refresh",
            icon="refresh",
            button_style="primary",
            tooltip="Fetch the latest numbers and redraw",
        ),
        tracking=w.ToggleButton(
            value=False,
            description="Live tracking",
            icon="play",
            tooltip="Poll the posts into the snapshot store",
        ),
        status=w.HTML(value=""),
        banner=w.HTML(value=""),
        chart_view=w.HTML(value="", layout=w.Layout(min_height="120px")),
        table=w.HTML(value=""),
    )


def build_layout(c: Controls) -> w.VBox:
    """Arrange the controls: pickers on top, buttons and status, then chart and table.

    >>> box = build_layout(build_controls([("All posts", ("recent", 7))]))
    >>> type(box).__name__
    'VBox'
    """
    left = w.VBox([c.picker, c.metric, c.age, c.rate_by, c.rate_form])
    top = w.HBox([left, c.platforms])
    buttons = w.HBox([c.refresh_button, c.tracking])
    box = w.VBox([c.banner, top, buttons, c.status, c.chart_view, c.table])
    box.add_class("ayr-dashboard")
    return box


# --------------------------------------------------------------------------- the dashboard


def _message(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


class Dashboard:
    """Post analytics at a glance, with live tracking, for JupyterLab and Voila.

    Args:
        client: an :class:`~ayr_analysis.client.AyrshareClient`; by default one built from the
            settings (the demo sandbox when there is no API key).
        store: a :class:`~ayr_analysis.store.SnapshotStore` or a folder. With a store, every
            refresh is kept as a snapshot, live tracking writes there, and charts use every
            snapshot (growth over post age, values at equal post age).
        campaigns: a campaigns file (``data/campaigns.toml``) or loaded campaigns: listed in the
            picker.
        metric, platforms, age, rate_by, rate_form: starting values of the controls.
        track_options: extra arguments of :func:`ayr_analysis.tracking.track` (``min_interval``,
            ``rounds``, ``duration``, ...).
        auto_update: redraw when a control changes (from the data already fetched: no request).
        render: ``"svg"`` (default; a static SVG in an HTML widget, works everywhere) or
            ``"vega"`` (the Altair chart in an Output widget; interactive, needs a front end
            with a Vega renderer such as JupyterLab).

    Controls are attributes (``picker``, ``platforms``, ``metric``, ``rate_by``, ``rate_form``,
    ``age``, ``refresh_button``, ``tracking``, ``status``, ``chart_view``, ``table``); the
    Altair charts drawn last are ``current_chart`` (network comparison) and ``current_charts``.
    """

    def __init__(
        self,
        client: AyrshareClient | None = None,
        *,
        store: SnapshotStore | str | Path | None = None,
        campaigns: str | Path | Sequence[Any] | None = None,
        metric: str = "likes",
        platforms: Iterable[str] | None = None,
        age: str = "latest",
        rate_by: str = "impressions",
        rate_form: str = "ratio",
        track_options: Mapping[str, Any] | None = None,
        auto_update: bool = True,
        render: str = "svg",
    ) -> None:
        from .store import SnapshotStore

        if render not in ("svg", "vega"):
            raise ValueError(f"render must be 'svg' or 'vega', not {render!r}")
        if client is None:
            from .client import AyrshareClient

            client = AyrshareClient()
        self.client = client
        self.store = SnapshotStore(store) if isinstance(store, (str, Path)) else store
        self.campaigns = _load_campaigns(campaigns)
        self.track_options = dict(track_options or {})
        self.render = render
        self.posts = _load_posts(client)
        self.snapshots: pl.DataFrame | None = None
        self.source: str | None = None
        self.current_chart: alt.TopLevelMixin | None = None
        self.current_charts: list[alt.TopLevelMixin] = []
        self.handle: TrackHandle | None = None
        self._watcher: threading.Thread | None = None
        self._fetched_for: Selection | None = None
        self._lock = threading.RLock()
        self._muted = False
        self.controls = build_controls(
            picker_options(self.posts, self.campaigns),
            metric=metric,
            platforms=platforms,
            age=age,
            rate_by=rate_by,
            rate_form=rate_form,
        )
        c = self.controls
        self.picker, self.platforms, self.metric = c.picker, c.platforms, c.metric
        self.rate_by, self.rate_form, self.age = c.rate_by, c.rate_form, c.age
        self.refresh_button, self.tracking, self.status = c.refresh_button, c.tracking, c.status
        self.chart_view, self.table = c.chart_view, c.table
        self.chart_output = w.Output() if render == "vega" else None
        self.widget = build_layout(c)
        if self.chart_output is not None:
            kids = list(self.widget.children)
            kids[kids.index(c.chart_view)] = self.chart_output
            self.widget.children = tuple(kids)
        if self.client.is_demo:
            c.banner.value = (
                f'<span style="{_DEMO_STYLE}">DEMO DATA: simulated numbers from the built-in '
                "sandbox, not real analytics.</span>"
            )
        self._wire(auto_update)
        self.refresh()

    # ------------------------------------------------------------------ wiring

    def _wire(self, auto_update: bool) -> None:
        c = self.controls
        c.refresh_button.on_click(lambda _b: self.refresh())
        c.tracking.observe(self._on_tracking, names="value")
        c.picker.observe(lambda _ch: self._guarded("load", self._fetch_and_draw), names="value")
        if auto_update:
            for control in (c.platforms, c.metric, c.rate_by, c.rate_form, c.age):
                control.observe(lambda _ch: self._guarded("redraw", self.redraw), names="value")

    def _guarded(self, what: str, fn: Callable[[], Any]) -> bool:
        """Run a handler; an error becomes a message in the status line, never a traceback."""
        if self._muted:
            return False
        try:
            with self._lock:
                fn()
            return True
        except Exception as exc:
            self.show_error(f"Could not {what}: {_message(exc)}")
            return False

    def show_error(self, text: str) -> None:
        """Put ``text`` in the status line as an error."""
        self.status.value = f'<span style="{_ERROR_STYLE}">⚠ {html.escape(text)}</span>'

    def show_status(self, text: str) -> None:
        """Put ``text`` in the status line."""
        self.status.value = f"<span>{html.escape(text)}</span>"

    # ------------------------------------------------------------------ actions

    def refresh(self) -> bool:
        """Fetch the latest numbers of the selected posts (read the store while live tracking
        runs: the tracker is fetching) and redraw. Returns False when it failed (see status)."""
        return self._guarded("refresh", self._fetch_and_draw)

    def selected_ids(self) -> list[str]:
        """The Ayrshare post ids of the current picker value."""
        return selected_post_ids(self.picker.value, self.posts, self.campaigns)

    def _fetch_and_draw(self) -> None:
        from .api import fetch_post_analytics

        ids = self.selected_ids()
        tracking = self.handle is not None and self.handle.running
        if not tracking:
            frames = fetch_post_analytics(ids, client=self.client, progress=False)
            if frames.wide.is_empty() and frames.errors.height:
                first = frames.errors.row(0, named=True)
                raise RuntimeError(
                    f"no analytics came back for {len(ids)} posts; the first error: "
                    f"{first['message']} (HTTP {first['http_status']})"
                )
            self.source = frames.source
            if self.store is not None:
                self.store.append(frames)
            else:
                self.snapshots = frames.wide
            n_err = frames.errors.height
        else:
            n_err = 0
        if self.store is not None:
            self.snapshots = self.store.read("wide", post_ids=ids)
            self.source = self.store.source or self.source
        self._fetched_for = self.picker.value
        self.redraw()
        when = datetime.now(UTC).strftime("%H:%M:%S UTC")
        text = f"{len(ids)} posts, {self.snapshots.height} observations; updated {when}"
        if tracking:
            text += " (from the store; live tracking is fetching)"
        if n_err:
            text += f"; {n_err} network errors (see frames.errors)"
        self.show_status(text)

    def _view(self) -> pl.DataFrame:
        """The snapshots of the chosen networks, aligned at the chosen post age."""
        from . import metrics

        if self.snapshots is None:
            raise RuntimeError("no data yet: press Refresh")
        frame = self.snapshots
        chosen = list(self.platforms.value)
        if chosen:
            frame = frame.filter(pl.col("platform").is_in(chosen))
        if self.age.value == "latest":
            return frame
        wanted = [self.metric.value, "engagements"]
        if self.rate_by.value != "followers":
            wanted.append(self.rate_by.value)
        return metrics.at_age(frame, self.age.value, list(dict.fromkeys(wanted)))

    def _followers(self, platforms: list[str]) -> pl.DataFrame | None:
        if self.rate_by.value != "followers" or not platforms:
            return None
        from .api import account_analytics

        acc = account_analytics(platforms, client=self.client)
        return (
            acc.filter((pl.col("metric") == "followers") & pl.col("date").is_null())
            .group_by("platform")
            .agg(pl.col("value").last().alias("followers"))
        )

    def redraw(self) -> None:
        """Redraw chart and table from the data already fetched (no request, except followers
        counts for a rate per follower)."""
        from . import charts, metrics

        view = self._view()
        metric, age, demo = self.metric.value, self.age.value, self.source == "demo"
        comparison = charts.platform_comparison(view, metric, demo=demo)
        if age != "latest":
            head, sep, tail = str(comparison.title.text).partition(": no data")
            comparison.title.text = f"{head} at post age {age}{sep}{tail}"
        drawn: list[alt.TopLevelMixin] = [comparison]
        frame = self.snapshots if self.snapshots is not None else view
        if self.platforms.value:
            frame = frame.filter(pl.col("platform").is_in(list(self.platforms.value)))
        repeated = frame.group_by("post_id", "platform").len()["len"].max() or 0
        if repeated > 1:  # several snapshots of a post: how it grew with age
            hours = None if age == "latest" else metrics.parse_duration(age).total_seconds() / 3600
            drawn.append(charts.growth_curves(frame, metric, max_age_hours=hours, demo=demo))
        rates = metrics.engagement_rate(
            view,
            by=self.rate_by.value,
            form=self.rate_form.value,
            group_by="platform",
            followers=self._followers(view["platform"].unique().to_list()),
        )
        table = summary_table(view, metric, rates)
        self.current_chart, self.current_charts = comparison, drawn
        self._show_charts(drawn)
        definition = rates["definition"][0] if rates.height else ""
        caption = f"{metric} per network" + ("" if age == "latest" else f" at post age {age}")
        caption += f"; engagement rate = {definition}" if definition else ""
        if demo:
            caption += " (demo data)"
        label = metric.replace("_", " ")
        self.table.value = _TABLE_CSS + html_table(
            table,
            {
                "platform": "Network",
                "posts": "Posts",
                "reporting": f"Reporting {label}",
                "median": f"Median {label}",
                "total": f"Total {label}",
                "engagement_rate": "Engagement rate",
                "rate_low": "95% low",
                "rate_high": "95% high",
            },
            percent=("engagement_rate", "rate_low", "rate_high"),
            caption=caption,
        )

    def _show_charts(self, drawn: list[alt.TopLevelMixin]) -> None:
        if self.chart_output is not None:
            from IPython.display import display

            self.chart_output.clear_output(wait=True)
            with self.chart_output:
                for chart in drawn:
                    display(chart)
            return
        from .charts import chart_to_image

        svgs = [chart_to_image(chart, "svg") for chart in drawn]
        self.chart_view.value = "".join(
            f'<div class="ayr-chart" style="margin:6px 0">{svg}</div>' for svg in svgs
        )

    # ------------------------------------------------------------------ live tracking

    def _on_tracking(self, change: Mapping[str, Any]) -> None:
        if self._muted:
            return
        if change["new"]:
            if not self._guarded("start live tracking", self.start_tracking):
                self._set_toggle(False)
        else:
            self._guarded("stop live tracking", self.stop_tracking)

    def _set_toggle(self, value: bool) -> None:
        self._muted = True
        try:
            self.tracking.value = value
            self.tracking.icon = "stop" if value else "play"
        finally:
            self._muted = False

    def start_tracking(self) -> TrackHandle:
        """Start :func:`ayr_analysis.tracking.track` in the background on the selected posts and
        networks, into the store; the status line follows its progress."""
        from .tracking import track

        if self.handle is not None and self.handle.running:
            return self.handle
        if self.store is None:
            raise ValueError("live tracking needs a snapshot store: Dashboard(store='folder')")
        ids = self.selected_ids()
        options = {"progress": False, **self.track_options}
        self.handle = track(
            ids,
            store=self.store,
            client=self.client,
            platforms=list(self.platforms.value) or None,
            background=True,
            on_batch=lambda _result: self.update_status(),
            **options,
        )
        self._set_toggle(True)
        self.show_status(f"tracking started on {len(ids)} posts")
        handle = self.handle

        def watch() -> None:  # a run that ends by itself still updates status and toggle
            handle.join()
            if self.handle is handle:
                self.update_status()

        self._watcher = threading.Thread(target=watch, name="ayr-dashboard-watch", daemon=True)
        self._watcher.start()
        return self.handle

    def stop_tracking(self) -> None:
        """Stop live tracking after the batch in flight (nothing fetched is lost)."""
        if self.handle is not None:
            self.handle.stop(wait=True)
        self._set_toggle(False)
        self.update_status()

    def wait_for_tracking(self, snapshots: int = 1, timeout: float = 60.0) -> str:
        """Wait until live tracking has written ``snapshots`` new snapshots, ended, or
        ``timeout`` seconds passed; return (and show) its status. For scripted runs of a
        notebook; in a live session watch the status line instead."""
        import time

        handle = self.handle
        if handle is None:
            raise ValueError("live tracking is not running: start it first")
        deadline = time.monotonic() + timeout
        while (
            handle.running and handle.result.snapshots < snapshots and time.monotonic() < deadline
        ):
            handle.join(0.1)
        return self.update_status()

    def update_status(self) -> str:
        """Show the tracking handle's status (and sync the toggle when the run ended)."""
        handle = self.handle
        if handle is None:
            return self.status.value
        text = handle.status
        if handle.error is not None:
            self.show_error(f"tracking failed: {_message(handle.error)}")
        else:
            self.show_status(text)
        if not handle.running and self.tracking.value:
            self._set_toggle(False)
        return text

    # ------------------------------------------------------------------ display

    def display(self) -> None:
        """Show the dashboard (same as leaving it as the last expression of a cell)."""
        from IPython.display import display

        display(self.widget)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"<Dashboard {self.picker.label!r}, metric={self.metric.value!r}>"


def _load_campaigns(campaigns: str | Path | Sequence[Any] | None) -> list[Any]:
    if campaigns is None:
        return []
    if isinstance(campaigns, (str, Path)):
        from .campaigns import load_campaigns

        return load_campaigns(campaigns)
    return list(campaigns)


def _load_posts(client: AyrshareClient) -> pl.DataFrame:
    from .api import history

    return history(client=client, last_days=0, limit=1000)
