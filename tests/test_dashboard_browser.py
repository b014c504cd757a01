"""The dashboard in a real browser: a notebook served by Voila, driven by headless chromium.

Voila runs the notebook in a kernel and renders its widgets with the standard ipywidgets front
end, exactly as an analyst would open it. The chart is an SVG inside an HTML widget, so its axis
titles and marks can be read from the page.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import nbformat
import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
CAMPAIGNS = REPO / "data" / "campaigns.toml"
VOILA = Path(sys.executable).with_name("voila")

SOURCE = f"""\
import ayr_analysis as ayr
from ayr_analysis import AyrshareClient
from ayr_analysis.widgets import Dashboard

store = ayr.demo_store("snapshots", progress=False)  # the demo world's recorded history
dashboard = Dashboard(AyrshareClient(source="demo"), store=store, campaigns={str(CAMPAIGNS)!r})
dashboard
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_server(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"voila exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "api", timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)  # polling a server we started: nothing to wait on
    pytest.fail(f"voila did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def voila_app(tmp_path):
    """Voila serving a notebook that builds the dashboard on the demo sandbox."""
    if not VOILA.exists():
        pytest.fail(f"{VOILA} is missing: install the dev extra (make install)")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SOURCE)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, tmp_path / "dashboard.ipynb")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AYRSHARE_")}
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    log = tmp_path / "voila.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(VOILA),
                "dashboard.ipynb",
                "--no-browser",
                f"--port={port}",
                "--Voila.ip=127.0.0.1",
                "--show_tracebacks=True",
            ],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_server(url, proc, log)
        yield url, log
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def axis_titles(page) -> list[str]:
    return page.locator(".ayr-chart svg .role-axis-title text").all_text_contents()


def test_dashboard_renders_and_redraws_in_voila(browser, voila_app, artifacts):
    url, log = voila_app
    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    try:
        page.goto(url, wait_until="domcontentloaded", timeout=120_000)
        page.wait_for_selector(".ayr-chart svg .role-axis-title", timeout=120_000)
        assert "Median likes (count)" in axis_titles(page)
        # networks, growth with age, and the first alert's post over its typical band
        assert page.locator(".ayr-chart svg").count() == 3
        bars = page.locator(".ayr-chart svg .mark-rect.layer_0_marks path").count()
        assert bars == 4  # the four networks of the campaign reel-rush
        assert page.get_by_text("DEMO DATA", exact=False).count() >= 1
        assert page.locator("table.ayr-table th", has_text="Median likes").count() == 1
        # the caveats of each network's posts: markers in the table, footnotes under it
        assert page.locator("table.ayr-table:not(.ayr-alerts) th", has_text="Caveats").count() == 1
        notes = page.locator("ul.ayr-notes li").all_text_contents()
        assert any(n.startswith("[1] meta_comment_count: ") for n in notes), notes
        markers = page.locator("table.ayr-table td.notes").all_text_contents()
        assert any(m.startswith("[1] ") and "post" in m for m in markers), markers
        # alerts: the campaign's posts running outside their typical band, marked by direction
        alerts = page.locator("table.ayr-alerts")
        assert alerts.count() == 1
        caption = alerts.locator("caption").inner_text()
        assert re.match(r"\d+ alerts?: posts with their likes outside the 10th-90th", caption)
        marks = alerts.locator("span.alert")
        assert marks.count() >= 1
        for text in marks.all_inner_texts():
            assert text in ("▲ above its band", "▼ below its band",
                            "⇡ forecast above its 7d band", "⇣ forecast below its 7d band")  # fmt: skip
        # forecast alerts are marked apart (in italics), with the forecast and its interval
        ahead = alerts.locator("span.alert.forecast")
        assert ahead.count() >= 1
        style = page.evaluate("e => getComputedStyle(e).fontStyle", ahead.first.element_handle())
        assert style == "italic"
        assert alerts.locator("th", has_text="Forecast (interval)").count() == 1
        cells = ahead.first.locator("xpath=ancestor::tr").locator("td").all_inner_texts()
        assert re.fullmatch(r"[\d,.]+ \([\d,.]+–[\d,.]+\)", cells[6]) and cells[7] == "7d", cells
        # each alert's caveats: markers in the last column, their meaning under the table
        assert alerts.locator("th").last.inner_text() == "Caveats"
        cells = alerts.locator("td.notes").all_inner_texts()
        used = {m for c in cells for m in re.findall(r"\[\d+\]", c)}
        alert_notes = page.locator("table.ayr-alerts + ul.ayr-notes li").all_inner_texts()
        assert {n.split(" ")[0] for n in alert_notes} == used, (cells, alert_notes)
        colors = {page.evaluate("e => getComputedStyle(e).color", m.element_handle())
                  for m in marks.all()}  # fmt: skip
        assert colors <= {"rgb(21, 128, 61)", "rgb(185, 28, 28)"}  # green above, red below
        third = page.locator(".ayr-chart").nth(2)
        band = third.locator("svg .role-title-text").first.text_content()
        assert re.fullmatch(r"Likes of one [a-z]+( [a-z]+)? post against its typical band", band)
        first = alerts.locator("tbody tr").first.locator("td").first.inner_text()
        subtitle = " ".join(third.locator("svg .role-title-subtitle").all_text_contents())
        assert f"post: {first.rstrip('…')}" in subtitle  # the chart is the first alert's post
        page.screenshot(path=str(artifacts / "dashboard-before.png"), full_page=True)

        # choose another metric in the dropdown, then press Refresh
        metric = page.locator(".widget-dropdown", has_text="Metric").locator("select")
        metric.select_option("views")
        page.locator("button", has_text="Refresh").click()
        page.wait_for_selector(
            ".ayr-chart svg .role-axis-title text:text-is('Median views (count)')",
            timeout=60_000,
        )
        page.wait_for_selector("table.ayr-table th:text-is('Median views')", timeout=60_000)
        assert "Median likes (count)" not in axis_titles(page)
        title = page.locator(".ayr-chart svg .role-title-text").first.text_content()
        assert title == "Median views per post by network"
        status = page.locator(".ayr-dashboard").inner_text()
        assert "updated" in status and "⚠" not in status
        page.screenshot(path=str(artifacts / "dashboard-after.png"), full_page=True)
        # the alerts table (views: its widest numbers) fits the 1200 px window: nothing under it
        # scrolls sideways, its date and forecast cells wrap between their parts instead
        page.wait_for_selector("table.ayr-alerts caption:has-text('their views')", timeout=60_000)
        fit = page.evaluate(
            """() => {
                const t = document.querySelector('table.ayr-alerts');
                const wide = [];
                for (let e = t.parentElement; e; e = e.parentElement)
                    if (e.scrollWidth > e.clientWidth + 1) wide.push(e.className || e.tagName);
                return {right: t.getBoundingClientRect().right, window: window.innerWidth,
                        wide: wide};
            }"""
        )
        assert fit["right"] <= fit["window"] and fit["wide"] == [], fit
        page.locator("table.ayr-alerts").screenshot(path=str(artifacts / "alerts-1200.png"))

        # posts compared at 24 h: the title says so, growth curves from publication on
        age = page.locator(".widget-dropdown", has_text="Post age").locator("select")
        age.select_option("24h")
        page.wait_for_selector(
            ".ayr-chart svg .role-title-text:has-text('at post age 24h')", timeout=60_000
        )
        assert page.locator(".ayr-chart svg").count() == 3  # comparison, growth, an alert
        table = page.locator("table.ayr-table:not(.ayr-alerts)").inner_text()
        assert "at post age 24h" in table and "not reported by the network" not in table
        page.screenshot(path=str(artifacts / "dashboard-24h.png"), full_page=True)
    except Exception:
        page.screenshot(path=str(artifacts / "dashboard-failure.png"), full_page=True)
        print(log.read_text()[-4000:])
        raise
    finally:
        page.close()
