"""An ipywidgets dashboard over the package: pick posts or a campaign, networks, a metric, an
engagement-rate definition and a post age; see a chart and a table; start and stop live tracking.

The widget tree is built by small functions (:func:`build_controls`, :func:`build_layout`) and
wired by :class:`Dashboard`, whose handlers only call the package (:mod:`ayr_analysis.api`,
:mod:`~ayr_analysis.analysis`, :mod:`~ayr_analysis.charts`, :mod:`~ayr_analysis.tracking`).
ipywidgets is imported here only: ``import ayr_analysis`` never loads it.

Charts are rendered to SVG on the kernel side (vl-convert) and shown in an ``ipywidgets.HTML``.
An SVG needs no Vega renderer in the front end, so the dashboard looks the same in JupyterLab,
Voila, a classic notebook and an HTML export, and a browser test can read its axis titles and
marks from the page. The Altair chart behind it stays at hand as ``dashboard.current_chart``
(display it for Vega's interactive tooltips).

Building a dashboard asks nothing of Ayrshare: the post history and the numbers are fetched on
its first display, or by :meth:`Dashboard.load` or :meth:`Dashboard.refresh`.

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

from .schema import CANONICAL_METRICS, DEFAULT_AGES, PLATFORMS, POST_KEY, RATE_BASES, UNIT_KEY

if TYPE_CHECKING:  # pragma: no cover
    import altair as alt

    from .client import AyrshareClient
    from .store import SnapshotStore
    from .tracking import TrackHandle

__all__ = [
    "AGES",
    "DIRECTIONS",
    "MAX_ALERTS",
    "RATE_BASES",
    "RATE_FORMS",
    "Controls",
    "Dashboard",
    "build_controls",
    "build_layout",
    "campaigns_without_posts",
    "alerts_html",
    "html_table",
    "picker_options",
    "selected_post_ids",
    "summary_table",
]

#: Post ages offered; "latest" is each post's latest observation.
AGES: tuple[str, ...] = ("latest", *DEFAULT_AGES)
#: (label, form) of the engagement rate (see :func:`ayr_analysis.analysis.engagement_rate`).
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

#: The picker's only choice until the post history is loaded.
_NOT_LOADED: tuple[str, Selection] = ("(posts load when the dashboard is shown)", ("loading", None))


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
    from .analysis import posts_per_group, recent_posts

    options: list[tuple[str, Selection]] = []
    if campaigns:
        from .campaigns import assign_campaigns

        tagged = assign_campaigns(posts, list(campaigns))
        counts = dict(posts_per_group(tagged, "campaign").iter_rows())
        for c in campaigns:  # a campaign without posts cannot be shown: not offered
            n = counts.get(c.name, 0)
            if n:
                options.append((f"Campaign: {c.name} ({n} posts)", ("campaign", c.name)))
    now = now or _latest_time(posts)
    n_recent = len(_recent_ids(posts, recent_days, now))
    options.append(
        (f"All posts of the last {recent_days} days ({n_recent})", ("recent", recent_days))
    )
    if posts.height:
        for pid, created, text, networks in recent_posts(posts, max_posts).iter_rows():
            when = created.strftime("%Y-%m-%d %H:%M") if created else "?"
            snippet = " ".join((text or "").split())
            snippet = snippet if len(snippet) <= 40 else snippet[:39] + "…"
            options.append((f"Post {when} [{networks}] {snippet}", ("post", pid)))
    return options


def campaigns_without_posts(posts: pl.DataFrame, campaigns: Sequence[Any]) -> list[str]:
    """Names of the campaigns that match no post of the history (the picker leaves them out).

    >>> import polars as pl
    >>> from ayr_analysis import schema
    >>> from ayr_analysis.campaigns import Campaign
    >>> campaigns_without_posts(pl.DataFrame(schema=schema.POSTS_SCHEMA), [Campaign("empty")])
    ['empty']
    """
    if not campaigns:
        return []
    from .analysis import posts_per_group
    from .campaigns import assign_campaigns

    tagged = assign_campaigns(posts, list(campaigns))
    found = set(posts_per_group(tagged, "campaign")["campaign"].to_list())
    return [c.name for c in campaigns if c.name not in found]


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


def summary_table(
    frame: pl.DataFrame,
    metric: str,
    *,
    at_age: str | None = None,
    rate_by: str = "impressions",
    rate_form: str = "ratio",
    followers: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The dashboard's table: :func:`ayr_analysis.analysis.network_summary` (one row per network:
    posts, posts with a value, median and total of ``metric``, why posts were left out, the
    engagement rate with its interval), at ``at_age`` (None or ``"latest"``: latest values).

    >>> import polars as pl
    >>> view = pl.DataFrame({"post_id": ["a", "b"], "platform": ["tiktok"] * 2,
    ...     "likes": [3, None], "engagements": [5, 1], "impressions": [50, 10]})
    >>> summary_table(view, "likes").select("platform", "posts", "n", "median", "rate").row(0)
    ('tiktok', 2, 1, 3.0, 0.1)
    """
    from .analysis import network_summary

    age = None if at_age in (None, "latest") else at_age
    return network_summary(
        frame, metric, age, rate_by=rate_by, rate_form=rate_form, followers=followers
    )


def html_table(
    table: pl.DataFrame,
    columns: Mapping[str, str] | None = None,
    *,
    percent: Iterable[str] = (),
    caption: str = "",
) -> str:
    """A small HTML table of ``table`` by :mod:`ayr_analysis.formatting`'s rules (counts as
    integers, rates as percentages, 3 significant figures, no value as a dash).

    ``columns`` maps column names to headers (and picks and orders them); ``percent`` names
    columns holding fractions to show as percentages. A ``caveats`` column shows as footnote
    markers, with the posts carrying each when the table has ``caveat_posts``.

    >>> import polars as pl
    >>> html_table(pl.DataFrame({"a": [1, None]}), {"a": "A"}).split("</style>")[1]
    '<table class="ayr-table"><thead><tr><th>A</th></tr></thead><tbody><tr><td class="num">1</td></tr><tr><td class="num">–</td></tr></tbody></table>'
    """
    from .formatting import table_html

    columns = dict(columns) if columns else {c: c for c in table.columns}
    picked = list(columns)
    if "caveats" in picked and "caveat_posts" in table.columns and "caveat_posts" not in picked:
        picked.append("caveat_posts")  # folded into the caveats cell: "[1] 3 posts"
    pct = [c for c in percent if c in columns]
    return table_html(table.select(picked), percent=pct, caption=caption or None, headers=columns)


#: How the dashboard names an alert's direction.
DIRECTIONS: dict[str, str] = {"above": "▲ above its band", "below": "▼ below its band"}
#: How the dashboard names a forecast alert's direction (``{h}``: the horizon).
FORECAST_DIRECTIONS: dict[str, str] = {
    "above": "⇡ forecast above its {h} band",
    "below": "⇣ forecast below its {h} band",
}
#: At most this many alerts are listed (the newest first; the count says how many there are).
MAX_ALERTS = 12
_ALERT_STYLE = (
    "<style>.ayr-alerts .above{color:#15803d;font-weight:600}"
    ".ayr-alerts .below{color:#b91c1c;font-weight:600}"
    ".ayr-alerts .forecast{font-style:italic}"
    ".ayr-alerts td:not(:first-child){white-space:nowrap}"
    ".ayr-alerts td:first-child{min-width:10em}"
    ".ayr-alerts td:nth-child(3){white-space:normal;min-width:8em}"
    # the long cells break between their words (a date and its time, a forecast and its
    # interval, several caveat markers), so that the table fits 1200 px without scrolling
    ".ayr-alerts td.wrap,table.ayr-table.ayr-alerts td.notes{white-space:normal}"
    ".ayr-alerts .nb{white-space:nowrap}</style>"
)
#: The alerts table's columns whose cells may break between words (:data:`_ALERT_STYLE`).
_WRAP = frozenset({"Since", "Forecast (interval)"})


def _parts(*texts: str) -> str:
    """``texts`` escaped, each kept on one line, with a break allowed between them only."""
    return " ".join(f'<span class="nb">{html.escape(t)}</span>' for t in texts if t)


def alerts_html(alerts: pl.DataFrame | None, metric: str, *, band: str = "10-90",
                demo: bool = False) -> str:  # fmt: skip
    """The dashboard's alerts: one row per post and crossing, from
    :func:`ayr_analysis.analysis.alerts`: posts above or below the ``band`` percentiles of the
    past posts of their network and media type at the same age (``▲``/``▼``), or whose forecast
    at a horizon lies outside the band at that horizon (``⇡``/``⇣``, in italics: the band, the
    typical value and the index are then those at the horizon, the index the forecast's). The
    ``caveats`` of each alert are footnote markers, explained under the table
    (:func:`ayr_analysis.formatting.caveat_markers` and ``caveat_notes_html``, as in the other
    tables). ``None``: no snapshot store, so no history to build the bands from.

    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
    >>> a = pl.DataFrame({"post_id": ["p"], "platform": ["tiktok"], "text": ["Hi"],
    ...     "direction": ["above"], "since": [t], "age": ["30h"], "value": [900.0],
    ...     "low": [10.0], "high": [400.0], "typical": [100.0], "index": [9.0], "active": [True]})
    >>> html = alerts_html(a, "likes")
    >>> "1 alert:" in html and "▲ above its band" in html and 'class="alert above"' in html
    True
    """
    from .formatting import caveat_markers, caveat_notes_html, format_value

    label = metric.replace("_", " ")
    lo, hi = band.split("-")
    what = (f"{label} outside the {lo}th-{hi}th percentile band of the past posts of the same "
            "network and media type at the same age")  # fmt: skip
    if alerts is None:
        text = ("Alerts need history: give the dashboard a snapshot store "
                "(Dashboard(store=...)) so posts can be judged against their typical band.")  # fmt: skip
        return f'<div class="ayr-alerts"><span>{html.escape(text)}</span></div>'
    if alerts.is_empty():
        text = (f"No alert: no selected post has run (or is forecast) with its {what} (ages with "
                "fewer than 5 past posts, and forecasts with fewer than 10, are not judged).")  # fmt: skip
        return f'<div class="ayr-alerts"><span class="alert none">{html.escape(text)}</span></div>'
    shown = alerts.sort(["active", "since"], descending=True, maintain_order=True).head(MAX_ALERTS)
    n = alerts.height
    ahead = alerts.filter(pl.col("kind") == "forecast").height if "kind" in alerts.columns else 0
    head = f"{n} alert{'s' if n != 1 else ''}: posts with their {what}"
    if ahead:
        head += (f", or whose forecast lies outside the band at its horizon ({ahead} of them, "
                 "⇡ ⇣: their band, typical value and index are at the horizon)")  # fmt: skip
    head += f" ({MAX_ALERTS} shown: still outside first, then the newest)" if n > MAX_ALERTS else ""
    head += " (demo data)" if demo else ""
    cols = ["Post", "Network", "Alert", "Since", "Post age", f"{label.capitalize()}",
            "Typical", "Band", "Index", "Still outside"]  # fmt: skip
    with_forecast = bool(ahead) and "forecast" in shown.columns
    if with_forecast:
        cols[6:6] = ["Forecast (interval)", "Band at"]
    has_caveats = "caveats" in shown.columns
    if has_caveats:
        cols.append("Caveats")
    markers = caveat_markers(shown) if has_caveats else []
    rows = []
    for i, r in enumerate(shown.iter_rows(named=True)):
        text = str(r.get("text") or r["post_id"])
        kind = r.get("kind") or "band"
        horizon = str(r.get("horizon") or "")
        if kind == "forecast":
            words = FORECAST_DIRECTIONS.get(r["direction"], r["direction"]).format(h=horizon)
        else:
            words = DIRECTIONS.get(r["direction"], r["direction"])
        css = f"alert {html.escape(r['direction'])}" + (" forecast" if kind == "forecast" else "")
        cells = [
            html.escape(text if len(text) <= 48 else text[:47] + "…"),
            html.escape(str(r["platform"])),
            f'<span class="{css}">{html.escape(words)}</span>',
            _parts(*format_value(r["since"]).split(" ", 1)),  # the date, then the time
            html.escape(str(r["age"])),
            html.escape(format_value(r["value"])),
            html.escape(format_value(r["typical"])),
            html.escape(f"{format_value(r['low'])}–{format_value(r['high'])}"),
            html.escape(format_value(r["index"])),
            "yes" if r["active"] else "no",
        ]
        if with_forecast:
            if kind == "forecast":
                interval = _parts(
                    format_value(r["forecast"]),
                    f"({format_value(r['forecast_low'])}–{format_value(r['forecast_high'])})",
                )
                at = horizon
            else:
                interval, at = "–", str(r["age"])
            cells[6:6] = [interval, html.escape(at)]
        row = "".join(
            f'<td class="wrap">{c}</td>' if col in _WRAP else f"<td>{c}</td>"
            for col, c in zip(cols, cells, strict=False)
        )
        if has_caveats:  # styled as the other tables' caveats cells
            row += f'<td class="notes">{html.escape(markers[i])}</td>'
        rows.append(f"<tr>{row}</tr>")
    header = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    notes = caveat_notes_html(shown) if has_caveats else ""
    return (
        f'{_ALERT_STYLE}<table class="ayr-table ayr-alerts"><caption>{html.escape(head)}'
        f"</caption><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>{notes}"
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
    alerts: w.HTML


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
    from .platforms import resolve

    chosen = tuple(dict.fromkeys(resolve(p) for p in platforms)) if platforms is not None else ()
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
        alerts=w.HTML(value=""),
    )


def build_layout(c: Controls) -> w.VBox:
    """Arrange the controls: pickers on top, buttons and status, then the alerts, charts and
    table.

    >>> box = build_layout(build_controls([("All posts", ("recent", 7))]))
    >>> type(box).__name__
    'VBox'
    """
    left = w.VBox([c.picker, c.metric, c.age, c.rate_by, c.rate_form])
    top = w.HBox([left, c.platforms])
    buttons = w.HBox([c.refresh_button, c.tracking])
    box = w.VBox([c.banner, top, buttons, c.status, c.alerts, c.chart_view, c.table])
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
        metric: the starting metric.
        platforms: the starting networks.
        age: the starting post age.
        rate_by: the starting engagement-rate base.
        rate_form: the starting engagement-rate form.
        track_options: extra arguments of :func:`ayr_analysis.tracking.track` (``min_interval``,
            ``rounds``, ``duration``, ...).
        auto_update: redraw when a control changes (from the data already fetched: no request).
        render: ``"svg"`` (default; a static SVG in an HTML widget, works everywhere) or
            ``"vega"`` (the Altair chart in an Output widget; interactive, needs a front end
            with a Vega renderer such as JupyterLab).

    Building one makes no request: the post history and the numbers are fetched when it is
    first displayed, or by :meth:`load` or :meth:`refresh` (``posts`` and ``snapshots`` are None
    until then). The arguments are checked at once.

    Controls are attributes (``picker``, ``platforms``, ``metric``, ``rate_by``, ``rate_form``,
    ``age``, ``refresh_button``, ``tracking``, ``status``, ``chart_view``, ``table``,
    ``alerts_view``); the Altair charts drawn last are ``current_chart`` (network comparison) and
    ``current_charts``. With a store, ``alerts_view`` lists the selected posts running outside
    their typical band, or forecast outside it at 7 days (:func:`ayr_analysis.analysis.alerts`
    over the account's stored posts, with their caveats; the frame is ``current_alerts``), and
    the first of them is drawn over its band with its forecast
    (:func:`ayr_analysis.charts.expected_curve`), after the other charts. Those alerts and that
    curve depend only on the history, the selection and the metric: they are computed for the
    selected posts only (``posts=``: the rest of the history is read as their reference, so the
    numbers are those of the whole history), once per metric after each load or refresh (which
    reads the history again), and a control change only filters them to the posts shown."""

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
        self.posts: pl.DataFrame | None = None  # the post history, read by load()
        self._load_tried = False
        self.snapshots: pl.DataFrame | None = None
        #: every stored snapshot of the account's posts (the history the typical bands of the
        #: alerts come from); None without a store
        self.history: pl.DataFrame | None = None
        #: the alerts shown last (:func:`ayr_analysis.analysis.alerts` of the selected posts)
        self.current_alerts: pl.DataFrame | None = None
        # what depends only on the history and the metric, computed once per history read:
        # metric -> alerts of every post; metric -> the outlooks of every post
        self._cached_for: pl.DataFrame | None = None
        self._alerts_of: dict[str, pl.DataFrame] = {}
        self._outlooks: dict[str, Any] = {}
        # metric -> what both read of the history for the selected posts, and now
        self._read_for: dict[str, tuple[pl.DataFrame, Any]] = {}
        self.source: str | None = None
        self.current_chart: alt.TopLevelMixin | None = None
        self.current_charts: list[alt.TopLevelMixin] = []
        self.handle: TrackHandle | None = None
        self._watcher: threading.Thread | None = None
        self._lock = threading.RLock()
        self._muted = False
        self.controls = build_controls(
            [_NOT_LOADED],
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
        self.chart_view, self.table, self.alerts_view = c.chart_view, c.table, c.alerts
        self.chart_output = w.Output() if render == "vega" else None
        self.widget = build_layout(c)
        if self.chart_output is not None:
            kids = list(self.widget.children)
            kids[kids.index(c.chart_view)] = self.chart_output
            self.widget.children = tuple(kids)
        self._show_banner()
        self._wire(auto_update)
        self.show_status("Posts and numbers load when the dashboard is shown (or press Refresh).")

    def _show_banner(self) -> None:
        banner = []
        if self.client.is_demo:
            banner.append(
                f'<span style="{_DEMO_STYLE}">DEMO DATA: simulated numbers from the built-in '
                "sandbox, not real analytics.</span>"
            )
        missing = []
        if self.posts is not None:
            missing = campaigns_without_posts(self.posts, self.campaigns)
        if missing:
            banner.append(
                "<span>Campaigns not offered (no post in the history): "
                f"{html.escape(', '.join(missing))}</span>"
            )
        self.controls.banner.value = "<br>".join(banner)

    # ------------------------------------------------------------------ wiring

    def _wire(self, auto_update: bool) -> None:
        c = self.controls
        c.refresh_button.on_click(lambda _b: self.refresh())
        c.tracking.observe(self._on_tracking, names="value")
        c.picker.observe(lambda _ch: self._guarded("load", self._fetch_and_draw), names="value")
        if auto_update:
            for control in (c.platforms, c.metric, c.rate_by, c.rate_form, c.age):
                control.observe(lambda _ch: self._on_control(), names="value")

    def _on_control(self) -> None:
        if self.posts is None:  # nothing loaded yet: the values are read when it is
            return
        self._guarded("redraw", self.redraw)

    def _guarded(self, what: str, fn: Callable[[], Any]) -> bool:
        """Run a handler; an error becomes a message in the status line, never a traceback."""
        if self._muted:
            return False
        try:
            with self._lock:
                fn()
            return True
        except Exception as exc:
            # no stale charts next to an error: what is on screen must match the controls
            self.current_chart, self.current_charts = None, []
            self.chart_view.value, self.table.value, self.alerts_view.value = "", "", ""
            self.current_alerts = None
            if self.chart_output is not None:
                self.chart_output.clear_output()
            self.show_error(f"Could not {what}: {_message(exc)}")
            return False

    def show_error(self, text: str) -> None:
        """Put ``text`` in the status line as an error."""
        self.status.value = f'<span style="{_ERROR_STYLE}">⚠ {html.escape(text)}</span>'

    def show_status(self, text: str) -> None:
        """Put ``text`` in the status line."""
        self.status.value = f"<span>{html.escape(text)}</span>"

    # ------------------------------------------------------------------ actions

    def load(self) -> bool:
        """Read the post history (the picker's campaigns and posts), then fetch the numbers of
        the selected posts and draw. Done by the first display; call it again to see posts
        published since. Returns False when it failed (see status)."""

        def load_and_draw() -> None:
            self._load_history()
            self._fetch_and_draw()

        return self._guarded("load", load_and_draw)

    def refresh(self) -> bool:
        """Fetch the latest numbers of the selected posts (read the store while live tracking
        runs: the tracker is fetching) and redraw; the first time, read the post history first.
        Returns False when it failed (see status)."""
        return self._guarded("refresh", self._fetch_and_draw)

    def _load_history(self) -> pl.DataFrame:
        """Read the post history and offer its campaigns and posts in the picker (the current
        choice is kept when it is still offered)."""
        self._load_tried = True
        posts = _load_posts(self.client)
        options = picker_options(posts, self.campaigns)
        values = [value for _, value in options]
        keep = self.picker.value if self.picker.value in values else values[0]
        self._muted = True  # a new choice here is not a request to fetch: load fetches after
        try:
            self.picker.options = options
            self.picker.value = keep
        finally:
            self._muted = False
        self.posts = posts
        self._show_banner()
        return posts

    def selected_ids(self) -> list[str]:
        """The Ayrshare post ids of the current picker value (the post history is read first
        when it is not yet)."""
        posts = self.posts if self.posts is not None else self._load_history()
        return selected_post_ids(self.picker.value, posts, self.campaigns)

    def _fetch_and_draw(self) -> None:
        from .api import fetch_post_analytics

        ids = self.selected_ids()
        tracking = self.handle is not None and self.handle.running
        if not tracking:
            frames = fetch_post_analytics(ids, client=self.client, posts=self.posts,
                                          progress=False)  # fmt: skip
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
        if self.store is not None:  # every snapshot, with publication time and text from history
            self.snapshots = self.store.frames(post_ids=ids, tables=["wide"]).wide
            self.source = self.store.source or self.source
            # the account's posts (not only the selected ones): the alerts' typical bands
            own = (
                self.posts["post_id"].drop_nulls().unique().to_list()
                if self.posts is not None
                else None
            )
            self.history = self.store.frames(post_ids=own, tables=["wide"]).wide
        self.redraw()
        when = datetime.now(UTC).strftime("%H:%M:%S UTC")
        seen = self.snapshots.height if self.snapshots is not None else 0
        text = f"{len(ids)} posts, {seen} observations; updated {when}"
        if tracking:
            text += " (from the store; live tracking is fetching)"
        if n_err:
            text += f"; {n_err} network errors (see frames.errors)"
        self.show_status(text)

    def _view(self) -> pl.DataFrame:
        """The snapshots of the chosen networks (every snapshot: the analysis picks the latest
        value or the value at the chosen age)."""
        if self.snapshots is None:
            raise RuntimeError("no data yet: press Refresh")
        frame = self.snapshots
        chosen = list(self.platforms.value)
        if chosen:
            frame = frame.filter(pl.col("platform").is_in(chosen))
        return frame

    def _followers(self, platforms: list[str]) -> pl.DataFrame | None:
        if self.rate_by.value != "followers" or not platforms:
            return None
        from .api import followers

        return followers(platforms, client=self.client)

    def redraw(self) -> None:
        """Redraw chart and table from the data already fetched (no request, except followers
        counts for a rate per follower). Every number comes from :mod:`ayr_analysis.analysis`."""
        from . import analysis, charts
        from .formatting import caveat_notes_html

        self.current_chart, self.current_charts = None, []
        self.chart_view.value, self.table.value, self.alerts_view.value = "", "", ""
        self.current_alerts = None
        view = self._view()
        metric, age, demo = self.metric.value, self.age.value, self.source == "demo"
        at = None if age == "latest" else age
        dist = analysis.distribution(view, metric, by="platform", at_age=at)
        comparison = charts.platform_comparison(dist, metric, demo=demo)
        drawn: list[alt.TopLevelMixin] = [comparison]
        if "observed_at" in view.columns and "published_at" in view.columns:
            curves = analysis.growth_curves(view, metric, max_age=at or "7d")
            if curves.posts.height:  # several snapshots of posts from publication on
                drawn.append(charts.growth_curves(curves, demo=demo))
        platforms = view["platform"].unique().to_list()
        table = summary_table(
            view, metric, at_age=at, rate_by=self.rate_by.value, rate_form=self.rate_form.value,
            followers=self._followers(platforms),
        )  # fmt: skip
        alerts = self._alerts(view, metric)
        if alerts is not None and alerts.height:  # the first alert listed, over its band
            first = alerts.row(0, named=True)
            drawn.append(charts.expected_curve(self._outlook(metric, first)))
        self.current_chart, self.current_charts = comparison, drawn
        self._show_charts(drawn)
        definition = table["definition"].drop_nulls()
        caption = f"{metric} per network, unit: a post on a network (an X thread once)"
        caption += "" if at is None else f", at post age {at}"
        caption += f"; engagement rate = {definition[0]}" if definition.len() else ""
        if demo:
            caption += " (demo data)"
        label = metric.replace("_", " ")
        self.table.value = _TABLE_CSS + html_table(
            table,
            {
                "platform": "Network",
                "posts": "Posts",
                "n": f"Posts with {label}",
                "median": f"Median {label}",
                "total": f"Total {label}",
                "rate": "Engagement rate",
                "rate_low": "95% low",
                "rate_high": "95% high",
                "rate_n": "Posts in rate",
                "why_excluded": "Left out",
                "caveats": "Caveats",
            },
            percent=("rate", "rate_low", "rate_high"),
            caption=caption,
        )
        self.table.value += caveat_notes_html(table)  # the footnotes of the Caveats column
        self.current_alerts = alerts
        self.alerts_view.value = alerts_html(alerts, metric, demo=demo)

    def _selected(self) -> pl.DataFrame:
        """The selected posts (every network): those whose alerts and outlooks are asked for."""
        assert self.snapshots is not None  # read with the history
        return self.snapshots.select(POST_KEY).unique()

    def _reading(self, metric: str) -> tuple[pl.DataFrame, Any]:
        """What the alerts and the outlooks of ``metric`` read of the history for the selected
        posts, and ``now`` (:func:`ayr_analysis.analysis.for_posts`): chosen once for both."""
        from . import analysis

        if metric not in self._read_for:
            assert self.history is not None  # alerts come from the history
            self._read_for[metric] = analysis.for_posts(self.history, metric, self._selected())
        return self._read_for[metric]

    def _alerts(self, view: pl.DataFrame, metric: str) -> pl.DataFrame | None:
        """The alerts of the posts in ``view``, as listed (still outside first, then the newest):
        :func:`ayr_analysis.analysis.alerts` of the selected posts against the account's stored
        history (``posts=``: the bands are the account's own posts, ``now`` its latest snapshot),
        kept for the posts shown; None without a store."""
        from . import analysis

        if self.history is None or self.store is None:
            return None
        self._check_cache()
        found = self._alerts_of.get(metric)
        if found is None:
            frame, now = self._reading(metric)
            found = analysis.alerts(frame, metric, posts=self._selected(), now=now)
            self._alerts_of[metric] = found
        keys = [k for k in UNIT_KEY if k in found.columns and k in view.columns]
        shown = view.select(keys).unique()
        found = found.join(shown, on=keys, how="semi", nulls_equal=True)
        if "text" in view.columns:
            texts = view.select(*keys, "text").unique(subset=keys, keep="last")
            found = found.join(texts, on=keys, how="left", nulls_equal=True)
        return found.sort(["active", "since"], descending=True, maintain_order=True)

    def _check_cache(self) -> None:
        """Forget the alerts and outlooks computed from another history than the current one (a
        load or refresh reads the history and the selected posts' snapshots again)."""
        if self._cached_for is not self.history:
            self._alerts_of, self._outlooks, self._read_for = {}, {}, {}
            self._cached_for = self.history

    def _outlook(self, metric: str, alert: Mapping[str, Any]) -> Any:
        """The post of ``alert`` against its band (:func:`ayr_analysis.analysis.post_outlook`),
        from :func:`ayr_analysis.analysis.outlooks` of the selected posts against the history,
        once per history read and metric."""
        from . import analysis

        self._check_cache()
        if metric not in self._outlooks:
            assert self.history is not None  # alerts come from the history
            frame, now = self._reading(metric)
            self._outlooks[metric] = analysis.outlooks(
                frame, metric, posts=self._selected(), now=now
            )
        return self._outlooks[metric].post(alert["post_id"], alert["platform"])

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

        def on_batch(_result: Any) -> None:
            self.update_status()

        handle: TrackHandle = track(  # type: ignore[assignment]  # background=True: a handle
            ids,
            store=self.store,
            client=self.client,
            platforms=list(self.platforms.value) or None,
            background=True,
            on_batch=on_batch,
            **options,
        )
        self.handle = handle
        self._set_toggle(True)
        self.show_status(f"tracking started on {len(ids)} posts")

        def watch() -> None:  # a run that ends by itself still updates status and toggle
            handle.join()
            if self.handle is handle:
                self.update_status()

        self._watcher = threading.Thread(target=watch, name="ayr-dashboard-watch", daemon=True)
        self._watcher.start()
        return handle

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

        display(self)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        # the first display loads the data (once: after a failure, Refresh tries again)
        if not self._load_tried:
            self.load()
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

    return history(client=client, last_days=0)
