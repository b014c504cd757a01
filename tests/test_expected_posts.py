"""Alerts and outlooks of some posts only (``posts=``): the rows of the call over every post, for
those posts, on realistic synthetic snapshots (several networks, an X thread, YouTube placeholder
zeros, posts older than the look-back window, snapshots long after the last grid age)."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
import synthetic
from polars.testing import assert_frame_equal

from ayr_analysis import analysis

AGES_H = (0.5, 1, 2, 3, 6, 12, 24, 30, 48, 72, 80, 120, 168, 200, 300, 400)
# now is P000's late snapshot (at 525 h, an old post polled again): P007-P011 are in the window
LOOKBACK = "20d"
KEYS = ["post_id", "platform"]


def history() -> pl.DataFrame:
    """12 posts on instagram, tiktok and twitter (their sizes varied, two far outliers), a thread
    of three tweets for P004, YouTube videos with placeholder zeros from 2 h to 30 h (numbers at
    1 h, then none while YouTube processes the video), and a late snapshot of the oldest post."""
    base = synthetic.snapshots(n_posts=12, ages_h=AGES_H)
    # vary the sizes so that bands, indexes and forecasts differ from post to post
    size = (1 + (pl.col("post_id").str.slice(1).cast(pl.Int32) * 7 % 5) / 4).alias("__s")
    outlier = pl.col("post_id").is_in(["P005", "P010"]) & (pl.col("platform") == "tiktok")
    grow = pl.when(outlier).then(10.0).otherwise(1.0)
    counts = ("likes", "comments")
    base = (
        base.with_columns(size)
        .with_columns(
            (pl.col(m) * pl.col("__s") * grow).round().cast(pl.Int64).alias(m) for m in counts
        )
        .drop("__s")
    )
    thread = base.filter((pl.col("post_id") == "P004") & (pl.col("platform") == "twitter"))
    tweets = [
        thread.with_columns(
            pl.lit(k, pl.Int32).alias("thread_position"),
            (pl.col("likes") // (k + 1)).alias("likes"),
        )
        for k in (1, 2)
    ]
    video = base.filter(pl.col("platform") == "tiktok").with_columns(
        pl.lit("youtube").alias("platform"), pl.lit("video").alias("media_type")
    )
    age = pl.col("observed_at") - pl.col("published_at")
    young = (age >= timedelta(hours=2)) & (age <= timedelta(hours=30))
    video = video.with_columns(
        pl.when(young).then(0).otherwise(pl.col(m)).alias(m) for m in counts
    ).with_columns(
        pl.when(young).then(pl.lit(["youtube_processing"])).alias("caveats"),
    )
    # demo rows among them (here the oldest post's): every result says demo, whatever it is of
    demo = pl.when(pl.col("post_id") == "P000").then(pl.lit("demo")).alias("source")
    old = base.filter((pl.col("post_id") == "P000") & (pl.col("platform") == "instagram"))
    late = old.tail(1).with_columns(
        pl.col(c) + timedelta(hours=125) for c in ("observed_at", "fetched_at", "last_updated")
    )
    frames = [base, *tweets, video.select(base.columns), late]
    return pl.concat(frames).sort("observed_at").with_columns(demo)


ASKED = pl.DataFrame(
    {"post_id": ["P001", "P005", "P010", "P004", "P009"],
     "platform": ["tiktok", "tiktok", "tiktok", "twitter", "youtube"]}
)  # fmt: skip


def _of(frame: pl.DataFrame, asked: pl.DataFrame = ASKED) -> pl.DataFrame:
    return frame.join(asked, on=KEYS, how="semi")


@pytest.mark.parametrize("metric", ["likes", "comments"])
def test_alerts_of_some_posts_are_the_alerts_of_every_post_for_them(metric):
    f = history()
    kw = {"lookback": LOOKBACK, "forecast_min_posts": 5}
    every = analysis.alerts(f, metric, **kw)
    some = analysis.alerts(f, metric, posts=ASKED, **kw)
    assert_frame_equal(some, _of(every))
    # something to compare: band and forecast alerts of the outliers, and posts left alone
    assert set(some["kind"]) == {"band", "forecast"}
    assert "P010" in set(some["post_id"]) and some.height < every.height
    # ids alone: every network of those posts
    ids = ["P005", "P009"]
    assert_frame_equal(
        analysis.alerts(f, metric, posts=ids, **kw), every.filter(pl.col("post_id").is_in(ids))
    )


def test_alerts_of_some_posts_keep_the_reference_and_now_of_the_whole_history():
    f = history()
    # now from every snapshot: the last posts' late snapshots still place the window
    asked = ASKED.filter(pl.col("post_id") == "P001")
    every = analysis.alerts(f, "likes", lookback=LOOKBACK, forecast=None)
    some = analysis.alerts(f, "likes", lookback=LOOKBACK, forecast=None, posts=asked)
    assert some.height
    assert_frame_equal(some, _of(every, asked))
    # an explicit now, and no look-back at all
    now = f["observed_at"].max() - timedelta(days=5)
    for kw in ({"now": now}, {"lookback": None}):
        assert_frame_equal(
            analysis.alerts(f, "likes", posts=ASKED, forecast_min_posts=5, **kw),
            _of(analysis.alerts(f, "likes", forecast_min_posts=5, **kw)),
        )


def test_outlooks_of_some_posts_are_those_of_every_post():
    f = history()
    kw = {"lookback": LOOKBACK, "forecast_min_posts": 5}
    common = {"lookback": LOOKBACK}
    some = analysis.outlooks(f, "likes", posts=ASKED, **kw)
    assert_frame_equal(some.index, _of(analysis.performance_index(f, "likes", **common)))
    assert_frame_equal(some.forecast, _of(analysis.forecast(f, "likes", min_posts=5, **common)))
    assert set(some.forecast["status"]) >= {"ok"} and set(some.index["status"]) >= {"ok"}
    every = analysis.outlooks(f, "likes", **kw)
    for post_id, platform in ASKED.rows():
        one, other = some.post(post_id, platform), every.post(post_id, platform)
        assert one.post == other.post and one.horizon == other.horizon
        for part in ("points", "typical", "index", "forecast"):
            assert_frame_equal(getattr(one, part), getattr(other, part))
    assert some.demo is every.demo is True
    # a horizon off the grid of ages: the same, by the other road
    off = {"horizon": "100h", **kw}
    assert_frame_equal(
        analysis.outlooks(f, "likes", posts=ASKED, **off).forecast,
        _of(analysis.outlooks(f, "likes", **off).forecast),
    )
    with pytest.raises(ValueError, match="'P008' on tiktok is not among the posts"):
        some.post("P008", "tiktok")


def test_posts_is_checked_before_any_work():
    f = history()
    with pytest.raises(ValueError, match=r"alerts\(posts=...\) needs column\(s\) \['post_id'\]"):
        analysis.alerts(f, "likes", posts=pl.DataFrame({"id": ["P001"]}))
    with pytest.raises(TypeError, match="a list of post ids"):
        analysis.outlooks(f, "likes", posts="P001")
    nothing = analysis.alerts(f, "likes", posts=[])
    assert nothing.is_empty() and nothing.columns == analysis.alerts(f, "likes").columns


def test_what_both_read_for_some_posts_is_chosen_once_with_the_same_answers():
    f = history()
    kw = {"lookback": LOOKBACK, "forecast_min_posts": 5}
    frame, now = analysis.for_posts(f, "likes", ASKED, lookback=LOOKBACK)
    assert now == f["observed_at"].max()  # P000's late snapshot
    assert frame.height < f.height  # the reference posts' rows around the ages only
    assert_frame_equal(
        analysis.alerts(frame, "likes", posts=ASKED, now=now, **kw),
        analysis.alerts(f, "likes", posts=ASKED, **kw),
    )
    one = analysis.outlooks(frame, "likes", posts=ASKED, now=now, **kw)
    other = analysis.outlooks(f, "likes", posts=ASKED, **kw)
    for part in ("typical", "index", "forecast"):
        assert_frame_equal(getattr(one, part), getattr(other, part))
    with pytest.raises(ValueError, match="for_posts\\(posts=...\\) needs column"):
        analysis.for_posts(f, "likes", pl.DataFrame({"id": ["P001"]}))
