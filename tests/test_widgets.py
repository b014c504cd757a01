"""The dashboard, driven headless: set control values, click buttons, read chart and table."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path

import httpx
import polars as pl
import pytest

from ayr_analysis import AyrshareClient, SnapshotStore
from ayr_analysis.sandbox import SandboxTransport, VirtualClock
from ayr_analysis.sandbox.transport import DEMO_RATE_WINDOW
from ayr_analysis.widgets import Dashboard, html_table, picker_options, selected_post_ids

CAMPAIGNS = Path(__file__).resolve().parent.parent / "data" / "campaigns.toml"


def demo_client(speed: float = 0.0) -> AyrshareClient:
    transport = SandboxTransport(clock=VirtualClock(speed=speed), rate_window=DEMO_RATE_WINDOW)
    return AyrshareClient(
        source="demo", transport=transport, rate_window=DEMO_RATE_WINDOW, rate_limit=300
    )


def table_rows(dash: Dashboard) -> list[list[str]]:
    body = dash.table.value.split("<tbody>")[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in body.split("</tr>") if "<td" in row]


def table_headers(dash: Dashboard) -> list[str]:
    return re.findall(r"<th>(.*?)</th>", dash.table.value)


def x_fields(chart) -> list[str]:
    spec = chart.to_dict()
    return [layer["encoding"]["x"]["field"] for layer in spec["layer"]]


class CountingTransport(httpx.BaseTransport):
    """Passes requests on to ``inner`` and keeps the path of each."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return self.inner.handle_request(request)


def counted_client() -> tuple[AyrshareClient, CountingTransport]:
    counting = CountingTransport(SandboxTransport(clock=VirtualClock(speed=0.0)))
    return AyrshareClient(source="demo", transport=counting), counting


@pytest.fixture(scope="module")
def dash() -> Dashboard:
    dash = Dashboard(demo_client(), campaigns=CAMPAIGNS)
    assert dash.load()
    return dash


def test_building_asks_nothing_the_first_display_loads(tmp_path):
    client, counting = counted_client()
    dash = Dashboard(client, store=tmp_path / "snaps", campaigns=CAMPAIGNS, metric="views")
    dash.metric.value = "likes"  # a control changed before anything is loaded asks nothing
    dash.platforms.value = ("tiktok",)
    assert counting.paths == []
    assert dash.posts is None and dash.snapshots is None and dash.current_chart is None
    assert "load when the dashboard is shown" in dash.status.value
    assert not (tmp_path / "snaps").exists()  # nor writes anything
    bundle = dash._repr_mimebundle_()  # what IPython calls to display it
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert counting.paths[0] == "/api/history"
    assert "/api/analytics/post" in counting.paths
    assert dash.picker.value == ("campaign", "reel-rush")
    assert dash.current_chart.to_dict()["title"]["text"] == "Median likes per post by network"
    assert [r[0] for r in table_rows(dash)] == ["tiktok"]
    asked = len(counting.paths)
    dash._repr_mimebundle_()  # shown again: nothing more is asked
    assert len(counting.paths) == asked


def test_load_and_refresh_fetch_when_called():
    client, counting = counted_client()
    dash = Dashboard(client, campaigns=CAMPAIGNS)
    assert counting.paths == []
    assert dash.refresh()  # the first refresh reads the history first
    assert counting.paths[0] == "/api/history" and dash.posts is not None
    assert "updated" in dash.status.value
    asked = len(counting.paths)
    dash._repr_mimebundle_()  # already loaded: the display asks nothing
    assert len(counting.paths) == asked
    assert dash.load()  # an explicit load reads the history again, keeping the choice
    assert counting.paths[asked] == "/api/history"
    assert dash.picker.value == ("campaign", "reel-rush")


def test_built_on_demo_data_with_campaigns_listed_and_labelled(dash):
    labels = [label for label, _ in dash.picker.options]
    assert labels[0].startswith("Campaign: reel-rush (")
    assert any(label.startswith("All posts of the last 7 days") for label in labels)
    assert any(label.startswith("Post ") for label in labels)
    assert dash.picker.value == ("campaign", "reel-rush")
    assert "DEMO DATA" in dash.widget.children[0].value
    spec = dash.current_chart.to_dict()
    assert spec["title"]["text"] == "Median likes per post by network"
    assert "demo data: simulated numbers" in spec["title"]["subtitle"]
    assert "<svg" in dash.chart_view.value and "Median likes (count)" in dash.chart_view.value
    assert "(demo data)" in dash.table.value


def test_metric_change_and_refresh_redraw_chart_and_table(dash):
    dash.metric.value = "likes"
    likes_rows = {r[0]: r for r in table_rows(dash)}
    dash.metric.value = "views"
    dash.refresh_button.click()
    assert dash.current_chart.to_dict()["title"]["text"] == "Median views per post by network"
    assert x_fields(dash.current_chart)[0] == "median"
    assert "Median views (count)" in dash.chart_view.value
    assert "Median likes" not in dash.chart_view.value
    assert "Median views" in table_headers(dash)
    views_rows = {r[0]: r for r in table_rows(dash)}
    assert set(views_rows) == set(likes_rows) == {"facebook", "instagram", "tiktok", "youtube"}
    # the numbers are the campaign's own: tiktok views are far above its likes
    tiktok_views = float(views_rows["tiktok"][3].replace(",", ""))
    tiktok_likes = float(likes_rows["tiktok"][3].replace(",", ""))
    assert tiktok_views > tiktok_likes > 0
    wide = dash.snapshots.filter(pl.col("platform") == "tiktok")
    # the table shows three significant digits of the campaign's median
    assert tiktok_views == float(f"{wide['views'].median():.3g}")
    assert "updated" in dash.status.value and "⚠" not in dash.status.value


def test_networks_campaign_and_rate_definition_change_the_view(dash):
    dash.metric.value = "likes"
    dash.platforms.value = ("tiktok", "youtube")
    assert [r[0] for r in table_rows(dash)] == ["tiktok", "youtube"]
    legend = dash.current_chart.to_dict()["layer"][0]["encoding"]["color"]["legend"]["values"]
    assert sorted(legend) == ["tiktok", "youtube"]
    dash.platforms.value = ()
    dash.rate_by.value = "views"
    dash.rate_form.value = "mean"
    assert "engagements / views, mean of post rates" in dash.table.value
    dash.picker.value = ("campaign", "behind-the-scenes")  # a new selection is fetched
    ids = selected_post_ids(dash.picker.value, dash.posts, dash.campaigns)
    assert set(dash.snapshots["post_id"]) <= set(ids)
    assert "threads" in [r[0] for r in table_rows(dash)]
    assert f"{len(ids)} posts" in dash.status.value
    dash.rate_by.value = "followers"  # followers counts come from /analytics/social
    assert "engagements / followers" in dash.table.value
    assert "⚠" not in dash.status.value


def test_post_age_aligns_values_and_says_so(dash):
    dash.picker.value = ("campaign", "reel-rush")
    dash.age.value = "7d"
    assert "at post age 7d" in dash.current_chart.to_dict()["title"]["text"]
    assert "at post age 7d" in dash.table.value
    dash.age.value = "latest"
    assert "at post age" not in dash.current_chart.to_dict()["title"]["text"]


def test_errors_show_in_the_status_line_not_as_a_traceback(tmp_path):
    dash = Dashboard(demo_client(), campaigns=CAMPAIGNS)
    dash.load()
    before = dash.chart_view.value
    dash.tracking.value = True  # no store: a clear message, and the toggle goes back off
    assert "live tracking needs a snapshot store" in dash.status.value
    assert "⚠" in dash.status.value and dash.tracking.value is False
    # a key the API refuses: the refresh fails with the API's reason, and no stale chart or
    # table stays on screen next to the error
    dash.client = AyrshareClient(
        "wrong-key-123", source="live", transport=SandboxTransport(), max_retries=0
    )
    assert dash.refresh() is False
    assert "Could not refresh: RuntimeError: no analytics came back" in dash.status.value
    assert "API Key not valid" in dash.status.value and "HTTP 401" in dash.status.value
    assert "wrong-key-123" not in dash.status.value
    assert before and dash.chart_view.value == "" and dash.table.value == ""
    assert dash.current_chart is None


@pytest.mark.slow  # real time: waits for a tracking thread's first snapshot
def test_live_tracking_toggle_starts_and_stops_a_background_run(tmp_path):
    store = SnapshotStore(tmp_path / "snaps")
    dash = Dashboard(demo_client(speed=36_000.0), store=store, campaigns=CAMPAIGNS)
    dash.load()
    first = store.scan("wide").collect().height
    assert first > 0  # the first refresh was kept as a snapshot
    dash.tracking.value = True
    handle = dash.handle
    assert handle is not None and handle.running
    assert "tracking started" in dash.status.value
    deadline = time.monotonic() + 30
    while handle.result.snapshots == 0 and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting on another thread's progress (no clock to inject)
    dash.tracking.value = False
    assert not handle.running
    assert "tracking stopped" in dash.status.value and "stopped by request" in dash.status.value
    assert handle.result.snapshots > 0
    assert store.scan("wide").collect().height == first + handle.result.snapshots
    dash.refresh_button.click()
    assert dash.snapshots.height > first
    # the posts were first tracked weeks after publication: no growth curve is drawn from them
    # (a cross-section of old posts is not growth)
    assert len(dash.current_charts) == 1


def test_a_run_that_ends_by_itself_updates_status_and_toggle(tmp_path):
    dash = Dashboard(demo_client(speed=0.0), store=tmp_path / "snaps", campaigns=CAMPAIGNS)
    dash.tracking.value = True  # frozen clock: one round, then nothing can become due
    dash.handle.join(30)
    dash._watcher.join(30)
    assert dash.tracking.value is False
    assert "tracking stopped" in dash.status.value and "frozen" in dash.status.value


def test_vega_rendering_puts_an_output_widget_in_place_of_the_svg():
    dash = Dashboard(demo_client(), render="vega")
    dash.load()
    assert dash.chart_output in dash.widget.children
    assert dash.chart_view not in dash.widget.children
    assert dash.current_chart.to_dict()["title"]["text"] == "Median likes per post by network"
    with pytest.raises(ValueError, match="render must be 'svg' or 'vega'"):
        Dashboard(demo_client(), render="png")


def test_picker_options_and_table_helpers():
    from ayr_analysis import schema

    frame = pl.DataFrame(
        [
            {"post_id": "a", "platform": "tiktok", "text": "x " * 40, "created_at": None},
        ],
        schema=schema.POSTS_SCHEMA,
    )
    options = picker_options(frame)
    assert options[-1][1] == ("post", "a") and options[-1][0].endswith("…")
    with pytest.raises(ValueError, match="no posts in the last 7 days"):
        selected_post_ids(("recent", 7), frame)
    out = html_table(pl.DataFrame({"n": ["<b>"], "r": [0.125]}), percent=["r"])
    assert "&lt;b&gt;" in out and "12.5%" in out


@pytest.mark.slow
def test_on_the_recorded_demo_history_24h_is_a_real_equal_age_view(tmp_path):
    """On the demo world's recorded history, the dashboard compares posts at 24 h, draws growth
    curves from publication on, and names only networks that really do not report a metric."""
    import ayr_analysis as ayr
    from ayr_analysis import analysis

    store = ayr.demo_store(tmp_path / "snaps", progress=False)
    dash = Dashboard(demo_client(), store=store, campaigns=CAMPAIGNS, metric="views")
    dash.load()
    dash.picker.value = ("campaign", "reel-rush")
    dash.age.value = "24h"
    assert "⚠" not in dash.status.value
    # growth curves (the posts were followed from 1 h on), and the first alert's post over its
    # typical band
    assert dash.current_alerts is not None and dash.current_alerts.height > 0
    assert len(dash.current_charts) == 3
    title = dash.current_charts[2].to_dict()["title"]["text"]
    assert title.startswith("Views of one ") and title.endswith(" post against its typical band")
    rows = {r[0]: r for r in table_rows(dash)}
    # the table is the analysis layer's answer for the same arguments
    expected = analysis.network_summary(dash.snapshots, "views", "24h")
    for r in expected.iter_rows(named=True):
        shown = rows[r["platform"]]
        assert int(shown[1].replace(",", "")) == r["posts"]
        assert int(shown[2].replace(",", "")) == r["n"]
        assert shown[-2] == r["why_excluded"]
    # networks that report views are never said not to report them at 24 h
    why = " ".join(expected["why_excluded"].to_list())
    for net in ("facebook", "instagram", "tiktok", "youtube"):
        reason = expected.filter(pl.col("platform") == net)["why_excluded"]
        assert reason.len() == 0 or "not reported by the network" not in reason.item(), why
    # the caveats of each network's posts: markers in the last column, footnotes under the table
    assert table_headers(dash)[-1] == "Caveats"
    from ayr_analysis.formatting import caveat_markers, caveat_notes

    assert [rows[p][-1] for p in expected["platform"]] == caveat_markers(expected)
    youtube = expected.filter(pl.col("platform") == "youtube").row(0, named=True)
    assert "youtube_processing" in youtube["caveats"]  # the demo videos' zeros before 48 h
    assert re.search(r"\[\d\] \d+ posts?", rows["youtube"][-1])
    notes = caveat_notes(expected)
    assert any(n.split(" ")[1] == "youtube_processing:" for n in notes)
    for note in notes:
        assert note in dash.table.value.replace("&#x27;", "'")
    assert "[&#x27;" not in dash.table.value  # no list shown as a Python repr


def _unbroken(cell: str) -> str:
    """A cell of the alerts table without the spans that keep its parts on one line each."""
    return re.sub(r'<span class="nb">(.*?)</span>', r"\1", cell)


def test_alerts_table_says_what_an_alert_is_and_marks_its_direction():
    from datetime import UTC, datetime

    from ayr_analysis.widgets import MAX_ALERTS, alerts_html

    t = datetime(2026, 11, 20, 9, tzinfo=UTC)
    row = {"post_id": "p", "platform": "tiktok", "text": "<b>Hi</b>", "direction": "above",
           "since": t, "age": "30h", "value": 900.0, "low": 10.0, "high": 400.0,
           "typical": 100.0, "index": 9.0, "active": True}  # fmt: skip
    out = alerts_html(pl.DataFrame([row]), "likes", demo=True)
    cells = [_unbroken(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", out)]
    assert cells == ["&lt;b&gt;Hi&lt;/b&gt;", "tiktok",
                     '<span class="alert above">▲ above its band</span>', "2026-11-20 09:00 UTC",
                     "30h", "900", "100", "10–400", "9", "yes"]  # fmt: skip
    # the date and its time may go on two lines (the table fits 1200 px), neither is broken
    since = '<td class="wrap"><span class="nb">2026-11-20</span> <span class="nb">09:00 UTC</span>'
    assert since in out and ".ayr-alerts .nb{white-space:nowrap}" in out
    assert "1 alert: posts with their likes outside the 10th-90th percentile band" in out
    assert "(demo data)" in out and "shown:" not in out
    many = pl.DataFrame([{**row, "post_id": str(i), "direction": "below", "active": i % 2 == 0,
                          "since": t.replace(hour=i)} for i in range(15)])  # fmt: skip
    out = alerts_html(many, "views", band="25-75")
    assert "15 alerts: posts with their views outside the 25th-75th" in out
    assert f"({MAX_ALERTS} shown: still outside first, then the newest)" in out
    assert out.count("<tr>") == MAX_ALERTS + 1  # the header and the rows shown
    assert out.count("▼ below its band") == MAX_ALERTS
    shown_since = re.findall(r"2026-11-20 (\d\d):00 UTC", _unbroken(out))
    assert shown_since[:3] == ["14", "12", "10"]  # posts still outside first, newest first
    assert "No alert" in alerts_html(many.clear(), "likes")
    assert "give the dashboard a snapshot store" in alerts_html(None, "likes")


def test_alerts_table_marks_forecast_alerts_and_shows_each_alerts_caveats():
    from datetime import UTC, datetime

    from ayr_analysis.formatting import caveat_notes
    from ayr_analysis.widgets import alerts_html

    t = datetime(2026, 11, 20, 9, tzinfo=UTC)
    base = {"post_id": "v", "platform": "youtube", "text": "Video", "since": t, "age": "6h",
            "value": 0.0, "low": 10.0, "high": 400.0, "typical": 100.0, "index": 0.0,
            "active": False, "horizon": None, "forecast": None, "forecast_low": None,
            "forecast_high": None, "caveats": ["youtube_processing"]}  # fmt: skip
    ahead = {**base, "post_id": "p", "platform": "tiktok", "text": "Dance", "kind": "forecast",
             "direction": "above", "active": True, "age": "24h", "value": 900.0,
             "typical": 1000.0, "low": 400.0, "high": 2000.0, "index": 5.0, "horizon": "7d",
             "forecast": 5000.0, "forecast_low": 4000.0, "forecast_high": 6500.0,
             "caveats": []}  # fmt: skip
    frame = pl.DataFrame([{**base, "kind": "band", "direction": "below"}, ahead])
    out = alerts_html(frame, "likes")
    rows = [
        [_unbroken(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)]
        for r in re.findall(r"<tr>(.*?)</tr>", out)[1:]
    ]
    headers = re.findall(r"<th>(.*?)</th>", out)
    assert headers == ["Post", "Network", "Alert", "Since", "Post age", "Likes",
                       "Forecast (interval)", "Band at", "Typical", "Band", "Index",
                       "Still outside", "Caveats"]  # fmt: skip
    # still outside first: the forecast alert, marked apart, its band and index at the horizon
    assert rows[0] == ["Dance", "tiktok",
                       '<span class="alert above forecast">⇡ forecast above its 7d band</span>',
                       "2026-11-20 09:00 UTC", "24h", "900", "5,000 (4,000–6,500)", "7d",
                       "1,000", "400–2,000", "5", "yes", ""]  # fmt: skip
    assert rows[1][2] == '<span class="alert below">▼ below its band</span>'
    interval = '<td class="wrap"><span class="nb">5,000</span> <span class="nb">(4,000–6,500)'
    assert interval in out  # the forecast, then its interval, each on one line
    assert rows[1][6:8] == ["–", "6h"] and rows[1][-1] == "[1]"
    # the marker's meaning under the table, as the dashboard's main table gives it
    (note,) = caveat_notes(frame)
    assert note.startswith("[1] youtube_processing: ")
    assert html.escape(note) in out
    assert "or whose forecast lies outside the band at its horizon (1 of them" in out


def test_without_a_store_the_dashboard_says_alerts_need_history(dash):
    assert dash.current_alerts is None
    assert "Alerts need history" in dash.alerts_view.value


@pytest.mark.slow
def test_alerts_are_the_analysis_answer_for_the_posts_shown(tmp_path):
    """With a store, the dashboard lists :func:`analysis.alerts` over the account's stored
    history, for the selected posts only, and follows the metric."""
    import ayr_analysis as ayr
    from ayr_analysis import analysis
    from ayr_analysis.widgets import MAX_ALERTS

    store = ayr.demo_store(tmp_path / "snaps", profiles=[None], platforms=["tiktok", "instagram"],
                           progress=False)  # fmt: skip
    dash = Dashboard(demo_client(), store=store, campaigns=CAMPAIGNS)
    assert dash.load(), dash.status.value
    dash.picker.value = ("campaign", "reel-rush")
    history = store.frames(post_ids=dash.posts["post_id"].unique().to_list()).wide
    ids = set(dash.selected_ids())
    for metric in ("likes", "views"):
        dash.metric.value = metric
        expected = analysis.alerts(history, metric).filter(pl.col("post_id").is_in(ids))
        shown = dash.current_alerts
        assert expected.height > 0  # the demo world's outliers: something to mark
        keys = ["post_id", "platform", "direction", "since", "value", "low", "high", "active"]
        assert sorted(shown.select(keys).rows()) == sorted(expected.select(keys).rows())
        assert f"{expected.height} alert" in dash.alerts_view.value
        listed = expected.sort(["active", "since"], descending=True, maintain_order=True)
        listed = listed.head(MAX_ALERTS)
        for kind, direction, mark in (
            ("band", "above", "▲ above its band"),
            ("band", "below", "▼ below its band"),
            ("forecast", "above", "⇡ forecast above its 7d band"),
            ("forecast", "below", "⇣ forecast below its 7d band"),
        ):
            n = listed.filter((pl.col("kind") == kind) & (pl.col("direction") == direction)).height
            assert dash.alerts_view.value.count(mark) == n
        assert set(expected["kind"]) == {"band", "forecast"}  # both kinds on the demo world
    # an alert from a post outside the selection is not listed
    assert set(dash.current_alerts["post_id"]) <= ids
    # the first alert listed is drawn over its band: the outlook of that post on that network
    first = dash.current_alerts.row(0, named=True)
    assert first["active"] or not dash.current_alerts["active"].any()
    spec = dash.current_charts[-1].to_dict()
    group = first["platform"] + (f" {first['media_type']}" if first["media_type"] else "")
    assert spec["title"]["text"] == f"Views of one {group} post against its typical band"
    expected = analysis.post_outlook(history, "views", first["post_id"], first["platform"])
    drawn = {tuple(r["value"] for r in d) for d in spec["datasets"].values() if d
             and "value" in d[0] and "observed_at" in d[0]}  # fmt: skip
    # its snapshots up to the horizon (7d, with 5% of room) are the line drawn
    shown = expected.points.filter((pl.col("age_h") > 0) & (pl.col("age_h") <= 168 * 1.05))
    assert drawn == {tuple(shown["value"].to_list())}


@pytest.mark.slow
def test_a_control_change_reuses_the_alerts_until_a_reload_or_another_metric(tmp_path, monkeypatch):
    """The alerts over the whole history are computed once per history read and metric: a
    control change that keeps the metric only filters them; a new metric or a refresh (which
    reads the history again) computes them again. The list shown is the same either way."""
    import ayr_analysis as ayr
    from ayr_analysis import analysis

    store = ayr.demo_store(tmp_path / "snaps", profiles=[None], platforms=["tiktok", "instagram"],
                           progress=False)  # fmt: skip
    calls: list[str] = []
    outlooks: list[str] = []
    real_alerts, real_outlooks = analysis.alerts, analysis.outlooks

    def counted(history, metric, *args, **kwargs):
        calls.append(metric)
        return real_alerts(history, metric, *args, **kwargs)

    def counted_outlooks(history, metric, *args, **kwargs):
        outlooks.append(metric)
        return real_outlooks(history, metric, *args, **kwargs)

    monkeypatch.setattr(analysis, "alerts", counted)
    monkeypatch.setattr(analysis, "outlooks", counted_outlooks)
    dash = Dashboard(demo_client(), store=store, campaigns=CAMPAIGNS)
    assert calls == []  # construction computes (and asks) nothing
    assert dash.load(), dash.status.value
    assert calls == ["likes"] and outlooks == ["likes"]
    before = dash.current_alerts
    assert before is not None and before.height > 0
    dash.age.value = "24h"
    dash.rate_form.value = "mean"
    assert calls == ["likes"] and outlooks == ["likes"]  # two control changes, no recomputation
    assert dash.current_alerts is not None
    assert dash.current_alerts.equals(before)
    only = ("tiktok",)
    dash.platforms.value = only  # a filter: the cached alerts of those networks only
    assert calls == ["likes"] and outlooks == ["likes"]  # another post drawn: no recomputation
    assert set(dash.current_alerts["platform"]) <= set(only)
    keys = ["post_id", "platform", "kind", "since"]
    assert dash.current_alerts.sort(keys).equals(
        before.filter(pl.col("platform").is_in(list(only))).sort(keys)
    )
    dash.platforms.value = ()
    dash.metric.value = "comments"  # another metric: computed for it
    assert calls == ["likes", "comments"] and outlooks[-1] == "comments"
    dash.metric.value = "likes"  # back: still known
    assert calls == ["likes", "comments"]
    assert dash.current_alerts.equals(before)
    assert dash.refresh(), dash.status.value  # the history is read again: computed again
    assert calls == ["likes", "comments", "likes"]
