"""The expected-performance charts draw exactly what the analysis functions give."""

from __future__ import annotations

import polars as pl
from test_expected import T0, H, frame, post_rows, regular_posts, scaled

from ayr_analysis import analysis, charts


def _layers(spec: dict) -> list[dict]:
    return spec["layer"]


def _values(spec: dict, layer: dict) -> list[dict]:
    return spec["datasets"][layer["data"]["name"]]


def test_expected_curve_draws_the_band_the_post_and_its_forecast():
    rows = regular_posts([1000 + 250 * i for i in range(17)], every_h=6)
    rows += post_rows("new", T0 + 200 * H, scaled(6000), ages_h=(1, 6, 24))
    o = analysis.post_outlook(frame(rows), "likes", "new")
    spec = charts.expected_curve(o).to_dict()
    layers = _layers(spec)
    band = _values(spec, layers[0])
    assert [r["median"] for r in band] == o.typical["median"].to_list()
    assert [r["q90"] for r in band] == o.typical["q90"].to_list()
    post = _values(spec, layers[3])
    assert [r["value"] for r in post] == o.points["value"].to_list()
    fc = _values(spec, layers[5])[0]
    row = o.forecast.row(0, named=True)
    assert (fc["forecast"], fc["low"], fc["high"]) == (row["forecast"], row["low"], row["high"])
    assert fc["age_h"] == 168.0
    assert "forecast at 7d from 24h" in " ".join(spec["title"]["subtitle"])


def test_expected_curve_says_when_there_is_no_band_and_no_forecast():
    rows = regular_posts([1000, 2000])
    o = analysis.post_outlook(frame(rows), "likes", "P00")
    subtitle = " ".join(charts.expected_curve(o).to_dict()["title"]["subtitle"])
    assert "no band at 1h, 6h, 24h, 72h, 7d: not enough history" in subtitle
    assert "no forecast: not enough history" in subtitle


def test_index_distribution_chart_orders_campaigns_by_the_analysis_median():
    idx = pl.DataFrame(
        {
            "post_id": list("abcdef"),
            "platform": ["tiktok", "twitter", "tiktok", "twitter", "tiktok", "tiktok"],
            "campaign": ["A", "A", "B", "B", "B", None],
            "index": [0.5, 0.7, 2.0, 0.0, 4.0, 9.0],
            "status": ["ok"] * 6,
        }
    )
    spec = charts.index_distribution(idx).to_dict()
    summary = analysis.index_distribution(idx)
    bars = _values(spec, _layers(spec)[0])
    assert [b["campaign"] for b in bars] == ["B", "A"] == summary["campaign"].to_list()
    assert [b["median"] for b in bars] == summary["median"].to_list()
    ticks = _values(spec, _layers(spec)[1])
    assert sorted(t["index"] for t in ticks) == [
        0.0,
        0.5,
        0.7,
        2.0,
        4.0,
    ]  # 0 kept, null campaign out


def test_index_distribution_chart_per_network():
    idx = pl.DataFrame(
        {
            "post_id": list("abcd"),
            "platform": ["tiktok", "twitter", "tiktok", "twitter"],
            "index": [0.5, 0.7, 2.0, 3.0],
            "status": ["ok"] * 4,
        }
    )
    spec = charts.index_distribution(idx, by="platform").to_dict()
    summary = analysis.index_distribution(idx, by="platform")
    bars = _values(spec, _layers(spec)[0])
    assert [b["platform"] for b in bars] == summary["platform"].to_list() == ["twitter", "tiktok"]
    ticks = _values(spec, _layers(spec)[1])
    assert sorted((t["platform"], t["index"]) for t in ticks) == [
        ("tiktok", 0.5), ("tiktok", 2.0), ("twitter", 0.7), ("twitter", 3.0),
    ]  # fmt: skip


def test_backtest_chart_draws_every_method_per_network():
    scales = [800 + (i * 37) % 500 for i in range(40)]
    bt = analysis.backtest(frame(regular_posts(scales, every_h=24)), "likes", min_posts=5)
    spec = charts.backtest_errors(bt).to_dict()
    values = spec["datasets"][spec["data"]["name"]]
    model_24h = [v for v in values if v["method"] == "log-linear model" and v["from_age"] == "24h"]
    assert [v["error"] for v in model_24h] == (
        bt.summary.filter(pl.col("from_age") == "24h")["model"].to_list()
    )
    assert {v["method"] for v in values} == set(charts._expected.METHODS.values())
    assert spec["facet"]["field"] == "platform"
