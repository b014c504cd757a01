"""Every notebook in notebooks/ runs headless (its defaults and one other parameter set) through
``ayr-analysis report``, a bad parameter stops it in the first cell after the parameters, and
each HTML report shows its charts in a real chromium with networking off.

The notebooks are executed once per module (two at a time) and the results shared by the tests.
"""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import polars as pl
import pytest
from conftest import run_report_cli

from ayr_analysis.sandbox.world import build_world

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
NAMES = [p.stem for p in NOTEBOOKS]
#: Notebooks executed (with these checks and their own) by a test file of their own.
RUN_ELSEWHERE = {"post_performance": "tests/test_post_performance_notebook.py"}
RUN_HERE = [n for n in NAMES if n not in RUN_ELSEWHERE]

#: One non-default parameter set per notebook (values as the CLI takes them: text).
#: A notebook not listed here (e.g. one added later) runs with its defaults only.
OTHER_PARAMETERS: dict[str, dict[str, str]] = {
    "quickstart": {"platforms": '["tiktok","youtube"]', "metric": "views"},
    "engagement_analysis": {
        "platforms": "instagram,tiktok,youtube",
        "metric": "comments",
        "rate_by": "reach",
        "rate_form": "mean",
        "at_age": "48h",
        "start_date": "2026-09-01",
    },
    "campaign_comparison": {
        "campaigns_file": str(REPO / "tests" / "data" / "campaigns_own.toml"),  # the user's own
        "metric": "engagement_rate",
        "rate_by": "reach",
        "at_age": "72h",
        "start_date": "2026-09-01",
        "end_date": "2026-11-20",
    },
}

#: Charts each report must show (at least); unknown notebooks: at least 0 (HTML must exist).
EXPECTED_CHARTS: dict[str, int] = {
    "quickstart": 1,
    "engagement_analysis": 5,
    "campaign_comparison": 3,
}

pytestmark = pytest.mark.slow


_run_cli = run_report_cli


@pytest.fixture(scope="module")
def runs(tmp_path_factory, default_report):
    """(name, variant) -> (completed process, output folder, seconds), all run once (a report
    with its defaults once per test run: tests/test_caveat_notebooks.py reads the same)."""
    jobs = []
    for name in RUN_HERE:
        jobs.append((name, "defaults", {}))
        if name in OTHER_PARAMETERS:
            jobs.append((name, "other", OTHER_PARAMETERS[name]))

    def one(job):
        name, variant, params = job
        if variant == "defaults":
            return (name, variant), default_report(name)
        out = tmp_path_factory.mktemp(f"{name}-{variant}")
        t0 = time.monotonic()
        proc = _run_cli(name, params, out)
        return (name, variant), (proc, out, time.monotonic() - t0)

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(pool.map(one, jobs))
    for key, (_, _, seconds) in done.items():
        print(f"{key}: {seconds:.1f} s")
    return done


def test_notebooks_are_committed_clean():
    assert {"quickstart", "engagement_analysis", "campaign_comparison"} <= set(NAMES)
    for name, path in RUN_ELSEWHERE.items():  # a notebook left out here is run there
        assert name in NAMES and (REPO / path).is_file(), (name, path)
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), path.name
        tagged = [i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{path.name}: one cell tagged 'parameters'"
        assert any(c.cell_type == "markdown" for c in nb.cells), path.name


@pytest.mark.parametrize("name", RUN_HERE)
@pytest.mark.parametrize("variant", ["defaults", "other"])
def test_notebook_runs(runs, name, variant):
    if variant == "other" and name not in OTHER_PARAMETERS:
        assert (name, "other") not in runs  # defaults only, by design, for unlisted notebooks
        return
    proc, out, _ = runs[(name, variant)]
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = out / f"{name}.html"
    executed = out / f"{name}.ipynb"
    assert str(html) in proc.stdout and html.stat().st_size > 10_000
    nb = nbformat.read(executed, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]  # fmt: skip
    assert errors == []
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and f"output_dir = {json.dumps(str(out.resolve()))}" in injected[0].source
    text = html.read_text()
    assert "check_parameters(" not in text and "import polars" not in text  # code hidden
    assert "<script src=" not in text.replace("'", '"')
    assert "https://cdn" not in text and "require.min.js" not in text
    if name in ("quickstart", "engagement_analysis", "campaign_comparison"):
        assert "DEMO" in text  # demo data is labelled
    # the demo notice is a banner in the notebook, not an error-looking stderr stream
    streams = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if o.output_type == "stream" and o.name == "stderr"]  # fmt: skip
    assert not any("DEMO data" in o.text for o in streams)
    banners = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if "DEMO data" in str(o.get("data", {}).get("text/html", ""))]  # fmt: skip
    assert len(banners) == 1
    assert "shape: (" not in text  # report tables without polars' shape line
    assert "<td>&quot;" not in text  # text cells show the text, not the text in quotes
    if name in ("quickstart", "engagement_analysis", "campaign_comparison"):
        assert any(f"<td>{p}</td>" in text for p in ("facebook", "instagram", "tiktok"))


def test_non_default_parameters_change_the_report(runs):
    def shown_parameters(variant: str) -> str:
        nb = nbformat.read(runs[("quickstart", variant)][1] / "quickstart.ipynb", as_version=4)
        cell = next(c for c in nb.cells if "check_parameters(" in c.source)
        return cell.outputs[0]["data"]["text/plain"]

    assert re.search(r"metric\s+┆ likes", shown_parameters("defaults"))
    assert re.search(r"metric\s+┆ views", shown_parameters("other"))
    assert re.search(r"platforms\s+┆ tiktok, youtube", shown_parameters("other"))
    nb = nbformat.read(runs[("quickstart", "other")][1] / "quickstart.ipynb", as_version=4)
    wide_out = next(c for c in nb.cells if "frames.wide.select(" in c.source).outputs[0]
    table = wide_out["data"]["text/plain"]
    assert "tiktok" in table or "youtube" in table
    for other in ("instagram", "facebook", "twitter", "linkedin"):
        assert other not in table
    camp = runs[("campaign_comparison", "other")][1]
    assert (camp / "campaign_comparison.svg").read_text().startswith("<svg")
    assert (camp / "campaign_comparison.png").read_bytes()[:4] == b"\x89PNG"
    nb = nbformat.read(camp / "campaign_comparison.ipynb", as_version=4)
    method = next(c for c in nb.cells if "per_network.method" in c.source).outputs[0]["text"]
    assert "reach pooled per group" in method and "within each platform" in method
    fair = next(c for c in nb.cells if "comparison.method" in c.source).outputs[0]["text"]
    assert "the median post of its platform" in fair


def test_demo_campaign_ranking_matches_the_design(runs):
    """At equal age (24h), with each post's likes relative to its network's median post, the
    designed best campaign ranks first and the worst last."""
    out = runs[("campaign_comparison", "defaults")][1]
    summary = pl.read_csv(out / "campaign_summary.csv")
    ranked = summary.sort("rank")["campaign"].to_list()
    assert sorted(ranked) == sorted(build_world(7).expected_ranking)
    assert ranked[0] == "reel-rush" and ranked[-1] == "press-corner", ranked
    # the winner beats the runner-up more often than not (lower in the ranking, intervals
    # overlap and a lower-ranked campaign may have the higher median: the table says so)
    assert summary["p_beats_next"][0] >= 0.5


def test_the_planned_ranking_shows_only_with_the_demo_worlds_own_campaigns(runs):
    """The ranking the demo world was built to show is printed on the demo world with its own
    campaigns, and not when the user gives a campaigns file of their own."""
    planned = ", ".join(build_world(7).expected_ranking)
    assert planned.startswith("reel-rush, autumn-launch")
    out = runs[("campaign_comparison", "defaults")][1]
    demo = out / "campaign_comparison.html"
    assert f"demo world, designed ranking (mean likes per post): {planned}" in demo.read_text()
    # beside it, the order the report measured (its summary table's), and why they differ
    measured = pl.read_csv(out / "campaign_summary.csv").sort("rank")["campaign"].to_list()
    said = f"measured above (relative to each network's median post): {', '.join(measured)}"
    assert said in demo.read_text()
    if measured != planned.split(", "):
        assert "The two orders differ (" in demo.read_text()
    own = runs[("campaign_comparison", "other")][1]
    summary = pl.read_csv(own / "campaign_summary.csv")
    assert sorted(summary["campaign"]) == ["video-and-launch", "words"]  # the user's campaigns
    text = (own / "campaign_comparison.html").read_text()
    assert "video-and-launch" in text
    assert "designed ranking" not in text and planned not in text


#: A bad value per parameter and the start of the message it must give; each notebook gets the
#: first of these that it has as a parameter.
BAD_VALUES = [
    ("metric", "lieks", "metric 'lieks' is not a canonical metric; choose one of likes"),
    ("source", "prod", "source 'prod' is not allowed; choose 'demo' or 'live'"),
    ("at_age", "soon", "at_age 'soon' is not a post age"),
]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_bad_parameter_stops_in_the_first_cell(path, tmp_path):
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    declared = pm.inspect_notebook(str(path))
    bad = [b for b in BAD_VALUES if b[0] in declared]
    assert bad, f"{path.name} has none of the report parameters {[b[0] for b in BAD_VALUES]}"
    key, value, message = bad[0]
    out = tmp_path / path.name
    with pytest.raises(PapermillExecutionError) as info:
        pm.execute_notebook(
            str(path), str(out), parameters={key: value, "output_dir": str(tmp_path)},
            kernel_name="python3", cwd=str(path.parent), progress_bar=False,
        )  # fmt: skip
    assert "ReportParameterError" in info.value.ename
    assert message in info.value.evalue
    nb = nbformat.read(out, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    failed = [i for i, c in enumerate(code) if any(o.output_type == "error" for o in c.outputs)]
    injected = next(
        i for i, c in enumerate(code) if "injected-parameters" in c.metadata.get("tags", [])
    )
    assert failed == [injected + 1]  # the first cell after the parameters
    assert all(c.execution_count is None for c in code[injected + 2 :])


@pytest.mark.browser
@pytest.mark.parametrize("name", RUN_HERE)
def test_html_report_shows_its_charts_offline(runs, browser, name, artifacts):
    _, out, _ = runs[(name, "defaults")]
    html = out / f"{name}.html"
    context = browser.new_context(offline=True)
    requested: list[str] = []

    def block(route):
        requested.append(route.request.url)
        route.abort()

    context.route("http://**/*", block)
    context.route("https://**/*", block)
    page = context.new_page()
    try:
        page.goto(html.as_uri())
        page.wait_for_load_state("load")
        images = page.evaluate(
            """() => Array.from(document.querySelectorAll('img'))
                 .filter(i => i.src.startsWith('data:image/') && i.complete && i.naturalWidth > 0)
                 .length"""
        )
        svgs = page.evaluate(
            """() => Array.from(document.querySelectorAll('svg'))
                 .filter(s => s.querySelector('.role-mark, path, rect')).length"""
        )
        page.screenshot(path=str(artifacts / f"report-{name}.png"), full_page=True)
    finally:
        context.close()
    charts = images + svgs
    assert charts >= EXPECTED_CHARTS.get(name, 0), (name, images, svgs)
    assert not [u for u in requested if u.endswith(".js")], requested


def _table_outputs(path: Path) -> dict[str, str]:
    """The HTML table each code cell of an executed notebook showed, by the cell's source."""
    nb = nbformat.read(path, as_version=4)
    out = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for o in cell.outputs:
            html = o.get("data", {}).get("text/html", "")
            if o.output_type == "execute_result" and '<table class="ayr-table">' in html:
                out[cell.source] = html
    return out


def _shown(tables: dict[str, str], start: str) -> str:
    found = [html for source, html in tables.items() if source.startswith(start)]
    assert len(found) == 1, (start, list(tables))
    return found[0]


def test_report_tables_equal_the_public_analysis_functions(runs, tmp_path):
    """Every number in the curated reports' tables is the public analysis function's answer
    for the same arguments (recomputed here through the public route, from a fresh store)."""
    import ayr_analysis as ayr
    from ayr_analysis import analysis, reports
    from ayr_analysis.campaigns import assign_campaigns, load_campaigns

    html = reports.report_table_html
    # engagement analysis, default parameters
    shown = _table_outputs(
        runs[("engagement_analysis", "defaults")][1] / "engagement_analysis.ipynb"
    )
    p = reports.check_parameters(output_dir=str(tmp_path / "e"))
    client = reports.report_client(p)
    posts = reports.load_posts(p, client)
    store = reports.collect_snapshots(p, client, posts)
    snaps = reports.snapshot_frames(store, posts).wide
    age = p.at_age
    assert _shown(shown, "by_network = ") == html(
        analysis.distribution(snaps, "likes", by="platform", at_age=age)
    )
    assert _shown(shown, "analysis.distribution(snaps, count_metric, by=[") == html(
        analysis.distribution(snaps, "likes", by=["platform", "media_type"], at_age=age)
    )
    top = analysis.top_posts(snaps, "likes", n=10, at_age=age)
    assert _shown(shown, "top = ") == html(
        top.select("rank", "label", "value", "metric", "age", "unit", "caveats")
    )
    curves = analysis.growth_curves(snaps, "likes", by="platform", max_age="7d")
    assert _shown(shown, "curves.table(") == html(curves.table(["1h", "6h", "24h", "72h", "7d"]))
    assert _shown(shown, "curves.cohorts") == html(curves.cohorts)
    followers = ayr.followers(sorted(snaps["platform"].unique()), client=client)
    rates = analysis.rate_definitions(snaps, followers, at_age=age)
    assert _shown(shown, "followers = ") == html(
        rates.select(
            "platform",
            "definition",
            "n",
            "rate",
            "low",
            "high",
            "why_excluded",
            "caveats",
            "caveat_posts",
        )  # fmt: skip
    )
    assert _shown(shown, "analysis.engagement_rate(") == html(
        analysis.engagement_rate(snaps, group_by="platform", at_age=age)
    )
    cells = analysis.best_time_to_post(snaps, "likes", at_age=age)
    assert _shown(shown, "cells = ") == html(
        cells.filter(pl.col("rank").is_not_null())
        .sort("rank")
        .head(5)
        .select(
            "rank",
            "weekday_name",
            "hour",
            "n",
            "median",
            "tz",
            "measure",
            "caveats",
            "caveat_posts",
        )  # fmt: skip
    )
    assert _shown(shown, "analysis.time_exclusions(") == html(
        analysis.time_exclusions(snaps, "likes", at_age=age)
    )

    # campaign comparison, default parameters (every demo profile)
    shown = _table_outputs(
        runs[("campaign_comparison", "defaults")][1] / "campaign_comparison.ipynb"
    )
    p = reports.check_parameters(profile_key="all", output_dir=str(tmp_path / "c"))
    client = reports.report_client(p)
    campaigns = load_campaigns(reports.resolve_campaigns_file(p))
    posts = assign_campaigns(reports.load_posts(p, client), campaigns)
    chosen = posts.filter(pl.col("campaign").is_not_null())
    store = reports.collect_snapshots(p, client, chosen)
    snaps = assign_campaigns(reports.snapshot_frames(store, chosen).wide, campaigns, posts=posts)
    snaps = snaps.filter(pl.col("campaign").is_not_null())
    fair = analysis.compare(snaps, by="campaign", metric="likes", at_age=age,
                            relative_to="platform", demo=True)  # fmt: skip
    assert _shown(shown, "comparison = ") == html(
        fair.table.select(
            "group",
            "rank",
            "n",
            "excluded",
            "estimate",
            "low",
            "high",
            "why_excluded",
            "caveats",
            "caveat_posts",
        )  # fmt: skip
    )
    within = analysis.compare(snaps, by="campaign", metric="likes", at_age=age,
                              within="platform", demo=True)  # fmt: skip
    assert _shown(shown, "import warnings") == html(
        within.table.select(
            "platform",
            "group",
            "rank",
            "n",
            "excluded",
            "estimate",
            "low",
            "high",
            "why_excluded",
            "caveats",
            "caveat_posts",
        )  # fmt: skip
    )
    assert _shown(shown, "reports.probability_table(") == html(reports.probability_table(fair))
    mix = analysis.network_mix(snaps, "campaign")
    assert _shown(shown, "summary = ") == html(analysis.campaign_summary(fair, mix))
    # the summary's ranking is the same as the table's
    summary = pl.read_csv(runs[("campaign_comparison", "defaults")][1] / "campaign_summary.csv")
    assert summary["campaign"].to_list() == fair.table["group"].to_list()
