"""The post-performance report (``notebooks/post_performance.ipynb``) runs headless through
``ayr-analysis report``, and every number in its tables is the analysis functions' answer on the
same store (recomputed here through the public route, from a fresh store).

The notebook is executed once per parameter set for the whole module (two at a time); the generic
checks of every curated report (committed clean, a bad parameter stops in the first cell) are in
tests/test_notebooks.py, which leaves this notebook's runs to this file.
"""

from __future__ import annotations

import html
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import nbformat
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from test_notebooks import _run_cli, _shown, _table_outputs

from ayr_analysis import analysis, formatting, reports

pytestmark = pytest.mark.slow

NAME = "post_performance"

#: A second parameter set (as the CLI takes them: text); ``post`` is filled in by the fixture.
OTHER = {
    "platforms": "tiktok,instagram,facebook,twitter",
    "metric": "comments",
    "days": "14",
    "band": "25-75",
    "horizon": "72h",
    "lookback": "60d",
}


def _chosen_post() -> tuple[str, str]:
    """A post of the demo world's primary profile published in the last 14 days on TikTok."""
    p = reports.check_parameters(platforms="tiktok")
    client = reports.report_client(p)
    since = reports.report_now(p, client) - timedelta(days=14)
    posts = reports.load_posts(p, client).filter(pl.col("created_at") >= since)
    return posts.sort("created_at")["post_id"][0], "tiktok"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """variant -> (completed process, output folder, parameters), each run once."""
    post_id, network = _chosen_post()
    jobs = {"defaults": {}, "other": {**OTHER, "post": f"{post_id}:{network}"}}

    def one(item):
        variant, params = item
        out = tmp_path_factory.mktemp(f"{NAME}-{variant}")
        t0 = time.monotonic()
        proc = _run_cli(NAME, params, out)
        print(f"{variant}: {time.monotonic() - t0:.1f} s")
        return variant, (proc, out, params)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, jobs.items()))


def _executed(out) -> nbformat.NotebookNode:
    return nbformat.read(out / f"{NAME}.ipynb", as_version=4)


def _printed(nb: nbformat.NotebookNode, start: str) -> str:
    """What the code cell whose source starts with ``start`` printed."""
    cells = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(start)]
    assert len(cells) == 1, start
    return "".join(o.get("text", "") for o in cells[0].outputs if o.output_type == "stream")


@pytest.mark.parametrize("variant", ["defaults", "other"])
def test_report_runs_headless_and_is_labelled(runs, variant):
    proc, out, _ = runs[variant]
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = out / f"{NAME}.html"
    assert str(html) in proc.stdout and html.stat().st_size > 10_000
    nb = _executed(out)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [o for c in code for o in c.outputs if o.output_type == "error"] == []
    text = html.read_text()
    assert "check_parameters(" not in text and "import polars" not in text  # code hidden
    assert "<script src=" not in text.replace("'", '"') and "https://cdn" not in text
    assert "shape: (" not in text and "<td>&quot;" not in text
    banners = [o for c in code for o in c.outputs
               if "DEMO data" in str(o.get("data", {}).get("text/html", ""))]  # fmt: skip
    assert len(banners) == 1  # demo data is labelled, once
    # what the text promises the tables show
    assert "<th>why no index</th>" in text and "<th>past posts</th>" in text
    assert "not enough history" in text  # the words the tables use, explained
    assert (out / "post_performance_index.csv").stat().st_size > 0
    assert (out / "post_performance_alerts.csv").exists()


def _recompute(params: dict[str, str], tmp_path):
    """The report's inputs through the public route: checked parameters, a fresh store."""
    p = reports.check_parameters(
        **{k: v for k, v in params.items() if k in reports.DEFAULT_PARAMETERS},
        output_dir=str(tmp_path),
    )
    own = {k: v for k, v in params.items() if k in reports.PERFORMANCE_PARAMETERS}
    q = reports.check_performance_parameters(p, **own)
    client = reports.report_client(p)
    now = reports.report_now(p, client)
    posts = reports.load_posts(p, client)
    store = reports.collect_snapshots(p, client, posts)
    snaps = reports.snapshot_frames(store, posts, p.platforms).wide
    return p, q, now, snaps


@pytest.mark.parametrize("variant", ["defaults", "other"])
def test_every_number_in_the_report_is_the_analysis_functions_answer(runs, variant, tmp_path):
    """Each table the report shows is, cell for cell, the formatted answer of the public
    analysis functions for the same arguments; the CSV files hold the same frames unrounded."""
    proc, out, params = runs[variant]
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = reports.report_table_html
    shown = _table_outputs(out / f"{NAME}.ipynb")
    p, q, now, snaps = _recompute(params, tmp_path)
    metric = p.metric
    since = now - timedelta(days=q.days)

    index = analysis.performance_index(snaps, metric, lookback=q.lookback, now=now)
    recent = reports.published_since(index, since)
    assert recent.height > 0 and (recent["status"] == "ok").any()
    flat = formatting.flat_lists(recent)  # the caveat codes as text
    saved = pl.read_csv(out / "post_performance_index.csv", schema_overrides=flat.schema)
    assert_frame_equal(saved.with_columns(pl.col("caveats").fill_null("")), flat)  # unrounded
    assert _shown(shown, 'recent.sort("index"') == html(
        recent.sort("index", descending=True, nulls_last=True).select(
            pl.col("text").alias("post"), pl.col("platform").alias("network"), "media_type",
            pl.col("age_h").alias("age (h)"), "value", "typical", "index", "percentile",
            pl.col("n").alias("past posts"), pl.col("reason").alias("why no index"), "caveats",
        )
    )  # fmt: skip
    assert _shown(shown, "analysis.index_distribution(") == html(
        analysis.index_distribution(recent, by="platform").select(
            pl.col("platform").alias("network"), "n", "median", "q25", "q75",
            pl.col("above").alias("share"), "excluded", "why_excluded", "caveats", "caveat_posts",
        )
    )  # fmt: skip

    alerts = reports.same_posts(
        analysis.alerts(
            snaps, metric, band=q.band, forecast=q.horizon, lookback=q.lookback, now=now
        ),
        recent,
    )
    flat = formatting.flat_lists(alerts)
    saved = pl.read_csv(out / "post_performance_alerts.csv", schema_overrides=flat.schema)
    assert_frame_equal(saved.with_columns(pl.col("caveats").fill_null("")), flat)
    labels = recent.select("post_id", "platform", "thread_position", "text")
    assert _shown(shown, "alerts.join(labels") == html(
        alerts.join(labels, on=["post_id", "platform", "thread_position"], how="left").select(
            pl.col("text").alias("post"), pl.col("platform").alias("network"), "kind",
            "direction", "since", pl.col("since_age_h").alias("from age (h)"), "age", "value",
            pl.coalesce("horizon", "age").alias("band at"), "low", "high", "typical", "index",
            "forecast",
            pl.col("forecast_low").alias("forecast low"),
            pl.col("forecast_high").alias("forecast high"), pl.col("active").alias("still outside"),
            "caveats",
        )
    )  # fmt: skip
    # both kinds of alert are in the report (the demo world's outliers), each forecast alert
    # with the forecast's own numbers: forecast() from the age it last judged, outside the band
    assert set(alerts["kind"]) == {"band", "forecast"}
    ahead = alerts.filter(pl.col("kind") == "forecast")
    assert (ahead["horizon"] == q.horizon).all()
    outside = (pl.col("forecast") > pl.col("high")) | (pl.col("forecast") < pl.col("low"))
    assert ahead.filter(pl.col("active")).select(outside.all()).item()
    one = ahead.row(0, named=True)
    fc = analysis.forecast(
        snaps,
        metric,
        horizon=q.horizon,
        at=timedelta(hours=one["age_h"]),
        lookback=q.lookback,
        now=now,
    ).filter((pl.col("post_id") == one["post_id"]) & (pl.col("platform") == one["platform"]))
    assert fc.select("forecast", "low", "high").row(0) == (
        one["forecast"], one["forecast_low"], one["forecast_high"],
    )  # fmt: skip

    judged = recent.filter(pl.col("status") == "ok")
    cols = [
        pl.col("text").alias("post"), pl.col("platform").alias("network"), "media_type",
        pl.col("age_h").alias("age (h)"), "value", "typical", "index", "percentile",
        pl.col("n").alias("past posts"), "caveats",
    ]  # fmt: skip
    above = judged.filter(pl.col("index") > 1).sort("index", descending=True).head(5)
    below = judged.filter(pl.col("index") < 1).sort("index").head(5)
    assert _shown(shown, "judged = ") == html(above.select(cols))
    assert _shown(shown, 'judged.filter(pl.col("index") < 1)') == html(below.select(cols))
    assert (above["index"] > 1).all() and (below["index"] < 1).all()

    if q.post is not None:
        chosen = (q.post, q.post_platform)
    else:  # the post furthest above typical
        chosen = above.select("post_id", "platform").row(0)
    nb = _executed(out)
    assert f"post {chosen[0]} on {chosen[1]}:" in _printed(nb, "if q.post is not None:")
    outlook = analysis.post_outlook(
        snaps, metric, chosen[0], chosen[1], horizon=q.horizon, lookback=q.lookback, now=now
    )
    assert _shown(shown, "outlook.index.select(") == html(
        outlook.index.select(
            pl.col("age_h").alias("age (h)"), "value", "typical", "q10", "q90", "index",
            "percentile", pl.col("n").alias("past posts"), pl.col("reason").alias("why no index"),
            "caveats",
        )
    )  # fmt: skip
    assert _shown(shown, "outlook.forecast.select(") == html(
        outlook.forecast.select(
            "from_age", "value_at", "horizon", "forecast", "low", "high", "coverage", "typical",
            "stays", "scaled", pl.col("n_train").alias("past posts"), "reason", "caveats",
        )
    )  # fmt: skip
    assert _shown(shown, "outlook.typical.select(") == html(
        outlook.typical.select("age", "n", "median", "q10", "q25", "q75", "q90", "reason")
    )
    trust = analysis.backtest(snaps, metric, horizon=q.horizon, lookback=q.lookback)
    assert _shown(shown, "trust = ") == html(
        trust.summary.select(
            pl.col("platform").alias("network"), "from_age", "n", "model", "typical", "stays",
            "scaled", "coverage", "enough",
        )
    )  # fmt: skip
    # the counts printed above the tables
    printed = _printed(nb, "index = analysis.performance_index(")
    assert f"{recent.height} posts published since {since:%Y-%m-%d}, {judged.height} with an " \
        f"index; metric: {metric}" in printed  # fmt: skip
    printed = _printed(nb, "alerts = reports.same_posts(")
    assert printed.startswith(f"{alerts.height} alerts on ")
    assert f"({ahead.height} from forecasts at {q.horizon})" in printed


def test_parameters_change_the_report(runs):
    _, out, params = runs["other"]
    nb = _executed(out)
    table = next(c for c in nb.cells if c.source.startswith("import polars"))
    shown = dict(re.findall(r"<tr><td>(\w+)</td><td>([^<]*)</td></tr>",
                            table.outputs[0]["data"]["text/html"]))  # fmt: skip
    assert shown == {
        "source": "demo", "profile_key": "(none)",
        "platforms": "tiktok, instagram, facebook, twitter", "metric": "comments", "days": "14",
        "post": params["post"], "horizon": "72h", "band": "25-75", "lookback": "60d",
    }  # fmt: skip
    index = pl.read_csv(out / "post_performance_index.csv")
    assert set(index["platform"]) <= {"tiktok", "instagram", "facebook", "twitter"}
    assert set(index["metric"]) == {"comments"}
    chosen = params["post"].split(":")[0]
    assert f"post {chosen} on tiktok:" in _printed(nb, "if q.post is not None:")
    _, default_out, _ = runs["defaults"]
    assert set(pl.read_csv(default_out / "post_performance_index.csv")["metric"]) == {"likes"}


@pytest.mark.browser
def test_html_report_shows_its_charts_offline(runs, browser, artifacts):
    """The HTML report opens with networking off and shows its charts: the post over its band
    with its forecast, and the backtest's errors."""
    _, out, _ = runs["defaults"]
    context = browser.new_context(offline=True)
    requested: list[str] = []

    def block(route):
        requested.append(route.request.url)
        route.abort()

    context.route("http://**/*", block)
    context.route("https://**/*", block)
    page = context.new_page()
    try:
        page.goto((out / f"{NAME}.html").as_uri())
        page.wait_for_load_state("load")
        titles = page.evaluate(
            """() => Array.from(document.querySelectorAll('img'))
                 .filter(i => i.src.startsWith('data:image/svg') && i.naturalWidth > 0)
                 .map(i => atob(i.src.split(',')[1]))"""
        )
        page.screenshot(path=str(artifacts / f"report-{NAME}.png"), full_page=True)
    finally:
        context.close()
    assert len(titles) >= 2, len(titles)
    text = " ".join(titles)
    assert re.search(r"Likes of one [a-z]+( [a-z]+)? post against its typical band", text)
    assert "Forecast error of likes at 7d, by the age it was made at" in text
    assert not [u for u in requested if u.endswith(".js")], requested


def test_caveat_codes_appear_in_the_report_where_they_apply(runs):
    """The report's tables mark the caveats of the posts they show, at the age they are judged
    at, with numbered footnotes under each table; the rows of a network that did not report the
    metric yet say why (Pinterest's delayed numbers), and a YouTube video in its processing
    window says why its value is 0."""
    from test_caveat_notebooks import tables

    _, out, _ = runs["defaults"]
    page = (out / f"{NAME}.html").read_text(encoding="utf-8")
    codes: set[str] = set()
    for table, notes in tables(page):
        items = [html.unescape(i) for i in re.findall(r"<li>(.*?)</li>", notes)]
        numbers = {
            re.match(r"\[\d+\] (\w+): ", i).group(1): int(i[1 : i.index("]")]) for i in items
        }
        assert sorted(numbers.values()) == list(range(1, len(items) + 1)), items
        codes |= set(numbers)
        rows = re.findall(r"<tr>(.*?)</tr>", table)
        cells = [c for r in rows if (c := re.findall(r"<td[^>]*>(.*?)</td>", r))]
        used = {int(m) for r in rows for c in re.findall(r'<td class="notes">(.*?)</td>', r)
                for m in re.findall(r"\[(\d+)\]", c)}  # fmt: skip
        assert used == set(numbers.values())  # every footnote is used, and only those
        if "<th>why no index</th>" in table and "<th>post</th>" in table:  # the index table
            for row in cells:
                network, marks = row[1], row[-1]
                if network == "pinterest" and "not reported" in row[-2]:
                    assert f"[{numbers['pinterest_delayed']}]" in marks, row
                if network == "youtube" and row[4] == "0":
                    assert f"[{numbers['youtube_processing']}]" in marks, row
    assert {"youtube_processing", "meta_comment_count", "pinterest_delayed"} <= codes
    assert re.search(r'<td class="notes">\[\d+\] \d+ posts?', page)  # the per-network table
    assert "[&#x27;" not in page  # no list shown as a Python repr
