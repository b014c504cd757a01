"""The snapshot store: round trips, idempotent appends, crash safety, DuckDB interop."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from synthetic import T0, analytics_frames, frame_of, snapshots, wide_frame

from ayr_analysis import schema as S
from ayr_analysis.store import TABLES, SnapshotStore, StoreError

SORT = {name: list(spec.key) for name, spec in TABLES.items()}


def _sorted(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    return frame.sort(SORT[table], nulls_last=True)


def _all_tables(frames) -> dict[str, pl.DataFrame]:
    return {name: getattr(frames, name) for name in TABLES}


def test_empty_store_scans_fully_typed_frames(tmp_path):
    store = SnapshotStore(tmp_path / "store")
    for name, spec in TABLES.items():
        lf = store.scan(name)
        assert isinstance(lf, pl.LazyFrame)
        assert lf.collect().schema == spec.schema
        assert store.read(name).height == 0
    assert not (tmp_path / "store").exists()  # nothing written until the first append
    assert store.latest().schema == S.WIDE_SCHEMA
    assert store.known_next_updates().height == 0


def test_round_trip_keeps_values_dtypes_and_schema(tmp_path):
    frames = analytics_frames()
    store = SnapshotStore(tmp_path)
    written = store.append(frames)
    assert written == {name: getattr(frames, name).height for name in TABLES}
    for name in TABLES:
        back = store.read(name)
        assert back.schema == TABLES[name].schema
        if name == "errors":  # one row per error: seen once, at its fetch
            assert (back["count"] == 1).all()
            assert back["first_seen"].equals(back["last_seen"])
            back = back.drop("first_seen", "last_seen", "count")
        assert_frame_equal(_sorted(back, name), _sorted(getattr(frames, name), name))
    # null (not reported) stays null and 0 stays 0
    wide = store.read("wide")
    assert wide.filter(pl.col("platform") == "instagram")["views"].null_count() == (
        wide.filter(pl.col("platform") == "instagram").height
    )
    assert 0 in store.read("reactions")["count"].to_list()


def test_layout_is_hive_partitioned_by_platform_and_date(tmp_path):
    store = SnapshotStore(tmp_path)
    store.append(analytics_frames(n_posts=1, ages_h=(1, 30)))
    dirs = {
        p.relative_to(tmp_path).parent.as_posix() for p in (tmp_path / "wide").rglob("*.parquet")
    }
    assert dirs == {
        f"wide/platform={p}/date={d}"
        for p in ("instagram", "tiktok", "twitter")
        for d in ("2026-08-03", "2026-08-04")
    }
    # errors with no platform go to the Hive null partition and come back as null
    assert any(
        "platform=__HIVE_DEFAULT_PARTITION__" in str(p) for p in (tmp_path / "errors").rglob("*")
    )
    assert store.read("errors").filter(pl.col("post_id") == "P999")["platform"].to_list() == [None]


def test_reappending_the_same_frames_writes_nothing(tmp_path):
    frames = analytics_frames()
    store = SnapshotStore(tmp_path)
    store.append(frames)
    files_before = sorted(tmp_path.rglob("*.parquet"))
    assert store.append(frames) == {name: 0 for name in TABLES}
    assert sorted(tmp_path.rglob("*.parquet")) == files_before
    for name in TABLES:
        assert store.read(name).height == getattr(frames, name).height


def test_overlapping_append_writes_only_new_rows(tmp_path):
    store = SnapshotStore(tmp_path)
    wide = snapshots(n_posts=2, ages_h=(1, 5, 30))
    early = wide.filter(pl.col("observed_at") < T0 + timedelta(hours=6))
    assert store.append({"wide": early}) == {"wide": early.height}
    # the full frame repeats `early` and adds the later snapshots; duplicates inside one
    # frame are dropped too
    doubled = pl.concat([wide, wide])
    assert store.append({"wide": doubled}) == {"wide": wide.height - early.height}
    assert_frame_equal(_sorted(store.read("wide"), "wide"), _sorted(wide, "wide"))


def test_dict_input_lazy_frames_and_schema_errors(tmp_path):
    store = SnapshotStore(tmp_path)
    wide = snapshots(n_posts=1)
    assert store.append({"wide": wide.lazy()}) == {"wide": wide.height}
    with pytest.raises(ValueError, match=r"unknown table\(s\) \['wides'\]"):
        store.append({"wides": wide})
    with pytest.raises(ValueError, match=r"missing columns \['likes'\]"):
        store.append({"wide": wide.drop("likes")})
    with pytest.raises(ValueError, match=r"unexpected columns \['extra'\]"):
        store.append({"wide": wide.with_columns(extra=pl.lit(1))})
    with pytest.raises(ValueError, match="cannot be cast"):
        store.append({"wide": wide.with_columns(likes=pl.lit("many"))})
    with pytest.raises(TypeError, match="AnalyticsFrames-like"):
        store.append([wide])
    with pytest.raises(ValueError, match="unknown table 'wid'"):
        store.scan("wid")


def test_interrupted_write_leaves_a_readable_store_without_partial_rows(tmp_path):
    frames = analytics_frames()
    SnapshotStore(tmp_path).append({"wide": frames.wide.filter(pl.col("platform") == "tiktok")})
    before = SnapshotStore(tmp_path).read("wide")

    calls = []

    def crash_on_third(src, dst):  # the temp file is fully written; the rename never happens
        calls.append(src)
        assert Path(src).exists() and Path(src).stat().st_size > 0
        if len(calls) == 3:
            raise OSError("disk gone")
        os.replace(src, dst)

    crashing = SnapshotStore(tmp_path, _replace=crash_on_third)
    with pytest.raises(StoreError, match="disk gone"):
        crashing.append({"wide": frames.wide})
    # a stray temp file, as a killed process would leave it (half a Parquet file)
    folder = tmp_path / "wide" / "platform=instagram" / "date=2026-08-03"
    folder.mkdir(parents=True, exist_ok=True)
    stray = folder / ".part-20260803T000000000000-deadbeef.parquet.tmp"
    stray.write_bytes(b"PAR1 half a file")

    store = SnapshotStore(tmp_path)
    after = store.read("wide")
    # every stored row is a complete original row: files are all or nothing
    assert after.join(frames.wide, on=after.columns, how="anti", nulls_equal=True).height == 0
    assert after.height > before.height  # the first files did land
    assert after.height < frames.wide.height  # the crashed one did not
    assert not any(p.name.startswith(".") for p in tmp_path.rglob("*.tmp") if p != stray)
    assert store.summary().filter(pl.col("table") == "wide")["stray_temp_files"].item() == 1
    # DuckDB ignores the temp file too
    duckdb = pytest.importorskip("duckdb")
    n = duckdb.sql(
        f"select count(*) from read_parquet('{tmp_path}/wide/**/*.parquet', hive_partitioning=true)"
    ).fetchall()[0][0]
    assert n == after.height
    # running the same append again completes it, exactly
    assert store.append({"wide": frames.wide})["wide"] == frames.wide.height - after.height
    assert_frame_equal(_sorted(store.read("wide"), "wide"), _sorted(frames.wide, "wide"))


def test_duckdb_reads_the_dataset_and_agrees_with_polars(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    store = SnapshotStore(tmp_path)
    frames = analytics_frames()
    store.append(frames)
    for name in TABLES:
        got = duckdb.sql(
            f"select platform, count(*) as n from read_parquet('{tmp_path}/{name}/**/*.parquet', "
            "hive_partitioning=true) group by platform order by platform nulls last"
        ).fetchall()
        expected = (
            store.read(name).group_by("platform").len().sort("platform", nulls_last=True).rows()
        )
        assert got == expected, name
    likes = duckdb.sql(
        f"select sum(likes) from read_parquet('{tmp_path}/wide/**/*.parquet', hive_partitioning=true)"
    ).fetchall()[0][0]
    assert likes == frames.wide["likes"].sum()


def test_latest_and_known_next_updates(tmp_path):
    store = SnapshotStore(tmp_path)
    wide = snapshots(n_posts=2, ages_h=(1, 5, 30))
    store.append({"wide": wide})
    latest = store.latest()
    assert latest.height == 2 * 3  # posts x networks
    expected = wide.filter(
        pl.col("observed_at") == pl.col("observed_at").max().over("post_id", "platform")
    )
    assert_frame_equal(_sorted(latest, "wide"), _sorted(expected, "wide"))
    nxt = store.known_next_updates()
    row = nxt.filter((pl.col("post_id") == "P001") & (pl.col("platform") == "tiktok")).row(
        0, named=True
    )
    pub = T0 + timedelta(hours=7)
    assert row["next_update"] == pub + timedelta(hours=31)
    assert row["last_observed_at"] == pub + timedelta(hours=30)
    assert store.latest("wide", platforms="tiktok", post_ids=["P000"]).height == 1


def test_latest_posts_prefers_the_row_written_last(tmp_path):
    store = SnapshotStore(tmp_path)
    posts = analytics_frames(n_posts=2).posts
    store.append({"posts": posts})
    deleted = posts.filter(pl.col("post_id") == "P001").with_columns(status=pl.lit("deleted"))
    assert store.append({"posts": deleted}) == {"posts": 1}
    latest = store.latest("posts")
    assert latest.height == posts.height
    assert latest.filter(pl.col("post_id") == "P001")["status"].item() == "deleted"
    assert latest.schema == S.POSTS_SCHEMA


def test_read_filters_by_time_and_summary(tmp_path):
    store = SnapshotStore(tmp_path)
    frames = analytics_frames(n_posts=2, ages_h=(1, 30))
    store.append(frames)
    day1 = store.read("wide", since=T0.date(), until=T0.date())
    assert day1.height == 2 * 3  # both posts' 1h snapshots fall on the first day
    assert day1["observed_at"].is_sorted()
    summary = store.summary()
    wide = summary.filter(pl.col("table") == "wide").row(0, named=True)
    assert wide["rows"] == frames.wide.height
    assert wide["posts"] == 2
    assert wide["platforms"] == ["instagram", "tiktok", "twitter"]
    assert wide["first"] == frames.wide["observed_at"].min()
    assert wide["files"] == 6 and wide["bytes"] > 0 and wide["stray_temp_files"] == 0


def test_unusable_paths_fail_with_the_path_in_the_message(tmp_path):
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    with pytest.raises(StoreError, match="not-a-folder.*is not a folder"):
        SnapshotStore(a_file)
    with pytest.raises(StoreError, match=r"cannot be created: .*not-a-folder.* is a file"):
        SnapshotStore(a_file / "store")


def test_demo_and_live_snapshots_never_mix(tmp_path):
    demo = analytics_frames(n_posts=1)  # source="demo"
    store = SnapshotStore(tmp_path)
    assert store.source is None
    store.append(demo)
    assert store.source == "demo"
    assert store.append(demo) == {name: 0 for name in TABLES}  # same source: fine
    live = analytics_frames(n_posts=2)
    live.source = "live"
    with pytest.raises(StoreError, match="holds demo data; refusing to add live data"):
        store.append(live)
    with pytest.raises(StoreError, match="holds demo data"):
        store.append({"wide": live.wide}, source="live")
    assert store.read("wide").height == demo.wide.height  # nothing of the live data landed
    # the marker is invisible to Parquet readers
    assert store.summary()["rows"].sum() == sum(getattr(demo, n).height for n in TABLES)


def test_a_killed_writer_leaves_only_complete_files(tmp_path):
    """A real process dies between writing a temp file and renaming it (os._exit, no cleanup)."""
    import subprocess
    import sys

    here = Path(__file__).parent
    script = f"""
import os, sys
sys.path.insert(0, {str(here)!r})
from synthetic import analytics_frames
from ayr_analysis.store import SnapshotStore
calls = []
def dying_replace(src, dst):
    calls.append(src)
    if len(calls) == 4:
        os._exit(3)  # killed: the temp file stays, nothing is cleaned up
    os.replace(src, dst)
SnapshotStore({str(tmp_path)!r}, _replace=dying_replace).append(analytics_frames())
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 3, proc.stderr
    store = SnapshotStore(tmp_path)
    frames = analytics_frames()
    stray = store.summary()["stray_temp_files"].sum()
    assert stray == 1
    long = store.read("long")
    assert 0 < long.height < frames.long.height
    assert long.join(frames.long, on=long.columns, how="anti", nulls_equal=True).height == 0
    missing = frames.long.height - long.height
    assert store.append(frames)["long"] == missing
    assert store.read("long").height == frames.long.height


def _daily_wide(days: int, platforms: tuple[str, ...]) -> pl.DataFrame:
    start = T0.replace(hour=12, minute=0, second=0, microsecond=0)
    rows = [
        {"post_id": "p1", "platform": p, "thread_position": 0, "likes": d,
         "observed_at": start + timedelta(days=d), "fetched_at": start + timedelta(days=d)}
        for d in range(days) for p in platforms
    ]  # fmt: skip
    return pl.DataFrame([{c: r.get(c) for c in S.WIDE_SCHEMA} for r in rows], schema=S.WIDE_SCHEMA)


def test_reads_of_a_few_days_open_only_their_partitions(tmp_path):
    wide = _daily_wide(10, ("tiktok", "youtube"))
    # a row with no time: in the __HIVE_DEFAULT_PARTITION__ date folder, read only unfiltered
    undated = wide.head(1).with_columns(
        pl.lit(None, S.UTC_TIME).alias("observed_at"), pl.lit(-1).cast(pl.Int64).alias("likes")
    )
    SnapshotStore(tmp_path).append({"wide": pl.concat([wide, undated])})
    files = sorted((tmp_path / "wide").rglob("*.parquet"))
    assert len(files) == 21
    day7 = (T0 + timedelta(days=7)).date()
    day8 = day7 + timedelta(days=1)

    store = SnapshotStore(tmp_path)  # a fresh reader: it has checked no file yet
    plan = store._filtered("wide", None, "tiktok", day7, day8).explain()
    scanned = plan.split("SCAN [", 1)[1].split("]", 1)[0]
    # the two days' files of one network: 2 files of 21
    assert "other sources" not in scanned and scanned.count(".parquet") == 2
    assert f"platform=tiktok/date={day7.isoformat()}/part-" in scanned
    assert f"platform=tiktok/date={day8.isoformat()}/part-" in scanned
    assert len(store._checked) == 2  # the footers read: those two files alone

    got = store.read("wide", platforms="tiktok", since=day7, until=day8)
    assert got["likes"].to_list() == [7, 8]
    assert store.read("wide", since=day8)["likes"].to_list() == [8, 8, 9, 9]
    assert store.read("wide", until=T0.date())["likes"].to_list() == [0, 0]
    # the same rows as a filter over every file, and the undated row only without a time filter
    everything = store.read("wide")
    assert everything.height == 21 and everything["likes"].min() == -1
    late = everything.filter(pl.col("observed_at") >= datetime_of(day8))
    assert_frame_equal(store.read("wide", since=day8), late)
    assert store.latest("wide", platforms="youtube")["likes"].to_list() == [9]


def datetime_of(day) -> object:
    from datetime import UTC, datetime

    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def test_append_keeps_each_key_once_across_calls_with_null_parts(tmp_path):
    # keys with a null part (no post id, no time, no thread position) match themselves only
    store = SnapshotStore(tmp_path)
    rows = [
        {"post_id": "P1", "platform": "tiktok", "thread_position": 0, "observed_at": T0,
         "likes": 1},
        {"post_id": None, "platform": "tiktok", "thread_position": 0, "observed_at": T0,
         "likes": 2},
        {"post_id": "P1", "platform": "tiktok", "thread_position": 0, "observed_at": None,
         "likes": 3},
        {"post_id": "P1", "platform": "tiktok", "thread_position": None, "observed_at": T0,
         "likes": 4},
    ]  # fmt: skip
    wide = wide_frame(rows)
    assert store.append({"wide": wide}) == {"wide": 4}
    assert store.append({"wide": wide}) == {"wide": 0}
    assert store.append({"wide": wide[1:3]}) == {"wide": 0}
    assert sorted(store.read("wide")["likes"].to_list()) == [1, 2, 3, 4]


def test_append_writes_the_keys_that_differ_in_any_part(tmp_path):
    # a stored row of the same post and the same time, or the same field at another time of
    # the same day, is not the same key: each new key is written, the repeated one is not
    store = SnapshotStore(tmp_path)
    long = frame_of(
        S.LONG_SCHEMA,
        [{"post_id": "P1", "platform": "twitter", "thread_position": 0, "field": "likeCount",
          "observed_at": T0, "value": 5.0}],
    )  # fmt: skip
    assert store.append({"long": long}) == {"long": 1}
    more = pl.concat(
        [
            long,  # stored already
            long.with_columns(field=pl.lit("replyCount"), value=pl.lit(1.0)),
            long.with_columns(thread_position=pl.lit(1)),
            long.with_columns(observed_at=pl.lit(T0 + timedelta(hours=1))),
            long.with_columns(post_id=pl.lit("P2")),
            long.with_columns(platform=pl.lit("tiktok")),
        ]
    )
    assert store.append({"long": more}) == {"long": 5}
    assert store.append({"long": more}) == {"long": 0}
    back = store.read("long")
    assert back.height == 6
    assert back.filter(pl.col("field") == "replyCount")["value"].to_list() == [1.0]


def test_append_reads_back_only_the_stored_keys_it_appends_again(tmp_path):
    # a day of hourly snapshots of one post is stored; appending one of them again and one new
    # one finds exactly one stored key (never the day's other 23): that bounds the append's
    # memory by its own size, not by the partitions it touches
    store = SnapshotStore(tmp_path)
    day = wide_frame(
        [{"post_id": "P1", "platform": "tiktok", "thread_position": 0,
          "observed_at": T0.replace(hour=0) + timedelta(hours=h), "likes": h} for h in range(24)]
    )  # fmt: skip
    assert store.append({"wide": day}) == {"wide": 24}
    again = pl.concat([day[5:6], day[5:6].with_columns(observed_at=pl.col("observed_at")
                                                       + timedelta(minutes=30))])  # fmt: skip
    folder = str(tmp_path / "wide" / "platform=tiktok" / f"date={T0.date().isoformat()}")
    found = store._existing_keys("wide", [folder], again.select(TABLES["wide"].key))
    assert found is not None
    assert found.to_dicts() == [
        {"post_id": "P1", "platform": "tiktok", "thread_position": 0,
         "observed_at": T0.replace(hour=5)}
    ]  # fmt: skip
    assert store.append({"wide": again}) == {"wide": 1}
    assert store.read("wide").height == 25


def test_append_matches_stored_times_written_without_a_time_zone(tmp_path):
    # a file written by another tool with naive UTC times is read into the schema's types:
    # its rows are still recognised when appended again
    store = SnapshotStore(tmp_path)
    wide = snapshots(n_posts=1, ages_h=(1,), platforms=("tiktok",))
    folder = tmp_path / "wide" / "platform=tiktok" / f"date={wide['observed_at'][0].date()}"
    folder.mkdir(parents=True)
    wide.with_columns(
        pl.col(c).dt.replace_time_zone(None)
        for c, t in S.WIDE_SCHEMA.items()
        if isinstance(t, pl.Datetime)
    ).write_parquet(folder / "part-20260803T000000000000-other.parquet")
    assert store.append({"wide": wide}) == {"wide": 0}
    assert store.read("wide").height == 1
