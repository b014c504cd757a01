"""Equal-age values read from the few snapshots around each age give what every snapshot gives.

``analysis.at_age`` and ``analysis.values`` first keep, per unit, the snapshots that bracket each
age (``analysis.bracketing``), so a year of hourly snapshots is not interpolated in memory. These
tests hold that choice to the result of interpolating over every snapshot: on a frame built to
be awkward (metrics that stop and restart being reported, several fetches at one instant, an X
thread, a post without a publication time) and on a demo store read lazily.
"""

from __future__ import annotations

import datetime as dt
import random

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from ayr_analysis import analysis
from ayr_analysis.analysis import selection
from ayr_analysis.sandbox.history import demo_store

T0 = dt.datetime(2026, 8, 1, tzinfo=dt.UTC)
AGES = [("1h", 3600.0), ("6h", 21600.0), ("24h", 86400.0), ("3d", 259200.0)]


def _awkward(seed: int = 7) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = []
    for p in range(40):
        platform = rng.choice(["tiktok", "instagram", "twitter"])
        published = None if p == 3 else T0 + dt.timedelta(minutes=rng.randrange(600))
        positions = [0, 1, 2] if p == 5 else [0]
        if p == 5:
            platform = "twitter"
        hours = sorted(rng.sample(range(0, 120), rng.randrange(1, 30)))
        for h in hours:
            observed = T0 + dt.timedelta(hours=h)
            for fetch in range(2 if rng.random() < 0.1 else 1):
                fetched = observed + dt.timedelta(seconds=fetch)
                for pos in positions:
                    rows.append({
                        "post_id": f"p{p}", "platform": platform, "thread_position": pos,
                        "published_at": published, "observed_at": observed,
                        "fetched_at": fetched, "text": f"post {p} at {h}",
                        "likes": None if rng.random() < 0.3 else h * 3 + p + fetch,
                        "comments": None if p % 4 == 0 or rng.random() < 0.2 else h + pos,
                        "caveats": [f"c{h % 3}"] if rng.random() < 0.2 else [],
                    })  # fmt: skip
    return pl.DataFrame(rows)


def _everything(frame: pl.DataFrame, metrics: list[str], hold: bool) -> pl.DataFrame:
    """Interpolation over every snapshot, as ``at_age`` did before choosing brackets."""
    keys = selection.unit_keys(frame)
    static = selection.latest(frame, fill="none").select(*keys, "caveats")
    targets = pl.DataFrame({"age": [a for a, _ in AGES], "age_s": [s for _, s in AGES]})
    base = static.join(targets, how="cross").sort("age_s")
    out = selection._interpolate(frame, base, keys, metrics, hold)
    return selection._caveats_at(frame, out, keys).sort([*keys, "age_s"])


@pytest.mark.parametrize("hold", [True, False])
def test_brackets_interpolate_as_every_snapshot_does(hold):
    frame = _awkward()
    metrics = ["likes", "comments"]
    chosen = analysis.bracketing(frame, [s for _, s in AGES], metrics)
    assert 0 < chosen.height < frame.height * 0.6  # many snapshots are left out
    assert_frame_equal(
        _everything(chosen, metrics, hold).select(pl.exclude("caveats")),
        _everything(frame, metrics, hold).select(pl.exclude("caveats")),
    )
    a = _everything(chosen, metrics, hold)["caveats"].list.sort()
    b = _everything(frame, metrics, hold)["caveats"].list.sort()
    assert a.to_list() == b.to_list()
    # the thread and the post without a publication time keep every row
    for post in ("p3", "p5"):
        assert (
            chosen.filter(pl.col("post_id") == post).height
            == frame.filter(pl.col("post_id") == post).height
        )


@pytest.mark.parametrize("fill", ["last_reported", "none"])
def test_values_at_age_lazy_equals_eager(fill):
    frame = _awkward(11)
    for metric in ("likes", "comments"):
        eager = analysis.values(frame, metric, at_age="24h", fill=fill)
        lazy = analysis.values(frame.lazy(), metric, at_age="24h", fill=fill)
        assert_frame_equal(lazy, eager)
        assert set(eager["status"]) >= {"reported", "no_publication_time"}


@pytest.mark.parametrize("fill", ["last_reported", "none"])
def test_at_age_lazy_equals_eager(fill):
    frame = _awkward(3)
    ages = [a for a, _ in AGES]
    eager = analysis.at_age(frame, ages, ["likes", "comments"], fill=fill)
    lazy = analysis.at_age(frame.lazy(), ages, ["likes", "comments"], fill=fill)
    assert_frame_equal(lazy, eager)
    assert eager["likes"].drop_nulls().len() > 0


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Three ages of every demo post of the primary profile, on disk."""
    return demo_store(
        tmp_path_factory.mktemp("big-reads") / "store", profiles=[None],
        ages=["1h", "24h", "72h"], progress=False,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:no post counted for pinterest")
def test_at_age_on_a_scan_equals_the_eager_result_on_a_demo_store(store):
    wide = store.read("wide")
    eager = analysis.at_age(wide, ["6h", "48h"])
    lazy = analysis.at_age(store.scan("wide"), ["6h", "48h"])
    assert_frame_equal(lazy, eager)
    assert eager["likes"].drop_nulls().len() > 0  # interpolated values, not only nulls
    cols = ["post_id", "platform", "thread_position", "observed_at", "fetched_at",
            "published_at", "likes"]  # fmt: skip
    for eager_frame, lazy_frame in (
        (wide, store.scan("wide")),
        (wide.select(cols), store.scan("wide").select(cols)),
    ):
        a = analysis.compare(eager_frame, by="platform", metric="likes", at_age="24h", seed=0)
        b = analysis.compare(lazy_frame, by="platform", metric="likes", at_age="24h", seed=0)
        assert_frame_equal(a.table, b.table)
        assert_frame_equal(a.beats, b.beats)
        assert a.table["n"].sum() > 0


@pytest.mark.slow
def test_frames_read_only_the_tables_and_fields_asked_for(store):
    posts = store.read("wide")["post_id"].unique().sort().to_list()[:20]
    every = store.frames(post_ids=posts)
    assert every.long.height > 0 and every.wide.height > 0
    wide_only = store.frames(post_ids=posts, tables=["wide"])
    assert_frame_equal(wide_only.wide, every.wide)
    assert_frame_equal(wide_only.posts, every.posts)
    for name in ("long", "reactions", "breakdowns", "errors"):
        got = getattr(wide_only, name)
        assert got.height == 0 and got.schema == getattr(every, name).schema
    fields = [*analysis.PLAYBACK_FIELDS, "publicMetrics.likeCount"]
    narrow = store.frames(post_ids=posts, tables=["wide", "long"], fields=fields)
    expected = every.long.filter(pl.col("field").is_in(fields))
    assert expected.height > 0
    assert_frame_equal(narrow.long, expected)
    with pytest.raises(ValueError, match="unknown table"):
        store.frames(tables=["wid"])
