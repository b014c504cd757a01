"""The snapshot store on object storage and with many writers: a real S3-compatible server
(moto's server mode, started here on 127.0.0.1) under ``s3://`` stores, compaction while
appends go on (local folder and S3), and the reads that keep each stored key once.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from pathlib import Path

import polars as pl
import pytest
from synthetic import analytics_frames

from ayr_analysis.store import TABLE_KEYS, SnapshotStore, StoreError

SECRET = "s3cr3t-" + "Zq9XvT2w"  # a distinctive value to look for everywhere


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3 server on a free local port, for the whole module."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def clean_aws_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def _options(endpoint: str) -> dict[str, str]:
    return {
        "aws_access_key_id": "testing",
        "aws_secret_access_key": SECRET,
        "aws_region": "us-east-1",
        "aws_endpoint_url": endpoint,
        "aws_allow_http": "true",
    }


@pytest.fixture
def bucket(s3_server, clean_aws_env):
    """A fresh bucket on the server; yields its name."""
    import boto3

    name = f"b{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3", endpoint_url=s3_server, aws_access_key_id="testing",
        aws_secret_access_key=SECRET, region_name="us-east-1",
    ).create_bucket(Bucket=name)  # fmt: skip
    return name


def _objects(endpoint: str, bucket: str) -> dict[str, bytes]:
    import boto3

    s3 = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="testing",
        aws_secret_access_key=SECRET, region_name="us-east-1",
    )  # fmt: skip
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            out[obj["Key"]] = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
    return out


def _raw_duplicates(store: SnapshotStore, table: str) -> int:
    """Rows whose key is in more than one stored row, reading the files as they are."""
    sources = store._sources(table)
    if sources is None:
        return 0
    raw = pl.scan_parquet(
        sources, hive_partitioning=False, storage_options=store._storage_options
    ).collect()
    return raw.height - raw.unique(subset=list(TABLE_KEYS[table])).height


# --------------------------------------------------------------------------- S3 round trip


def test_an_s3_store_reads_back_what_a_local_store_does(s3_server, bucket, tmp_path):
    frames = analytics_frames(n_posts=6)
    remote = SnapshotStore(f"s3://{bucket}/snapshots", storage_options=_options(s3_server))
    local = SnapshotStore(tmp_path / "local")
    assert remote.read("wide").height == 0  # empty prefix: empty, typed
    assert remote.append(frames) == local.append(frames)
    assert remote.append(frames)["wide"] == 0  # idempotent on S3 as well
    for table in TABLE_KEYS:
        key = list(TABLE_KEYS[table])
        assert remote.read(table).sort(key).equals(local.read(table).sort(key)), table
        assert remote.latest(table).equals(local.latest(table)), table
    assert remote.known_next_updates().equals(local.known_next_updates())
    assert (
        remote.frames()
        .wide.sort("post_id", "observed_at")
        .equals(local.frames().wide.sort("post_id", "observed_at"))
    )
    r, lo = remote.summary(), local.summary()
    assert r["rows"].to_list() == lo["rows"].to_list()
    assert r["files"].to_list() == lo["files"].to_list()
    assert r["bytes"].sum() > 0
    # Hive layout under the prefix, one object per table and partition
    keys = sorted(_objects(s3_server, bucket))
    assert all(k.startswith("snapshots/") for k in keys)
    assert any(k.startswith("snapshots/wide/platform=") and "/date=" in k for k in keys)
    assert len(keys) == r["files"].sum()


def test_credentials_come_from_the_environment(s3_server, bucket, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    monkeypatch.setenv("AWS_ALLOW_HTTP", "true")
    store = SnapshotStore(f"s3://{bucket}/env")  # no storage_options
    written = store.append(analytics_frames(n_posts=2))
    assert written["wide"] > 0
    assert store.read("wide").height == written["wide"]
    assert store.summary().filter(table="wide")["files"].item() >= 1


def test_the_secret_is_never_shown_nor_stored(s3_server, bucket, closed_port):
    store = SnapshotStore(f"s3://{bucket}/sec", storage_options=_options(s3_server))
    store.append(analytics_frames(n_posts=2))
    store.compact(min_age=0)
    assert SECRET not in repr(store) and SECRET not in str(store)
    assert store.storage_options["aws_secret_access_key"] == "***"
    assert SECRET not in str(store.summary())
    for key, body in _objects(s3_server, bucket).items():
        assert SECRET.encode() not in body, key
    # an error names the store, not the credentials (the endpoint refuses connections)
    options = {**_options(f"http://127.0.0.1:{closed_port}"), "max_retries": 0}
    broken = SnapshotStore(f"s3://{bucket}/sec", storage_options=options)
    for call in (broken.summary, lambda: broken.append(analytics_frames(n_posts=1))):
        with pytest.raises(StoreError) as caught:
            call()
        text = f"{caught.value}\n{caught.value!r}"
        assert f"s3://{bucket}/sec" in text and SECRET not in text


@pytest.fixture
def closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


def test_unsupported_url_schemes_fail_at_once():
    with pytest.raises(StoreError, match="ftp.*not supported"):
        SnapshotStore("ftp://host/x")
    with pytest.raises(StoreError, match="names no bucket"):
        SnapshotStore("s3://")


# ------------------------------------------------------------------ dedup on read, errors


def test_a_key_in_two_files_is_read_once(tmp_path):
    store = SnapshotStore(tmp_path)
    frames = analytics_frames(n_posts=3)
    written = store.append(frames)
    # the moment between a compaction's write and its deletes: every file twice
    for f in list((tmp_path / "wide").rglob("part-*.parquet")):
        (f.parent / f.name.replace("part-", "part-99990101T000000000000-copy-")).write_bytes(
            f.read_bytes()
        )
    assert _raw_duplicates(store, "wide") == written["wide"]
    assert store.read("wide").height == written["wide"]
    assert store.scan("wide").collect().height == written["wide"]
    assert store.summary().filter(table="wide")["rows"].item() == written["wide"]
    assert store.latest("wide").height == frames.wide.select("post_id", "platform").n_unique()
    assert store.append(frames)["wide"] == 0


def test_an_error_counted_in_a_later_cumulative_row_is_not_counted_again(tmp_path):
    from datetime import UTC, datetime, timedelta

    from ayr_analysis import schema as S

    t = datetime(2026, 8, 1, tzinfo=UTC)
    row = {"post_id": "p1", "platform": "instagram", "code": 485, "http_status": 400,
           "message": "expired"}  # fmt: skip

    def frame(e: dict) -> pl.DataFrame:
        return pl.DataFrame([{c: e.get(c) for c in S.ERRORS_SCHEMA}], schema=S.ERRORS_SCHEMA)

    errors = [{**row, "fetched_at": t + timedelta(hours=h)} for h in range(3)]
    store = SnapshotStore(tmp_path)
    for e in errors:
        store.append({"errors": frame(e)})
    assert store.scan("errors").collect()["count"].to_list() == [3]
    # a single-answer row left beside the cumulative one (a crash, a compaction) adds nothing
    first = pl.DataFrame(
        [{c: {**errors[0], "first_seen": None, "last_seen": None, "count": None}.get(c)
          for c in S.STORED_ERRORS_SCHEMA}], schema=S.STORED_ERRORS_SCHEMA,
    )  # fmt: skip
    folder = next((tmp_path / "errors").rglob("part-*.parquet")).parent
    first.write_parquet(folder / "part-20000101T000000000000-left-over.parquet")
    assert store.scan("errors").collect()["count"].to_list() == [3]
    # an answer seen after the cumulative row is one more
    store.append({"errors": frame({**row, "fetched_at": t + timedelta(hours=5)})})
    assert store.scan("errors").collect()["count"].to_list() == [4]


# ------------------------------------------------------------------------------- compact


def _batches(n_posts: int = 8) -> list[dict[str, pl.DataFrame]]:
    """One append per observation time, as a tracker writes them."""
    frames = analytics_frames(n_posts=n_posts, ages_h=tuple(range(1, 49, 2)))
    out = []
    for at in sorted(frames.wide["observed_at"].unique().to_list()):
        out.append(
            {
                "wide": frames.wide.filter(pl.col("observed_at") == at),
                "long": frames.long.filter(pl.col("observed_at") == at),
                "posts": frames.posts,
            }
        )
    return out


def _compact_while_appending(store: SnapshotStore, n_posts: int = 8) -> dict[str, int]:
    batches = _batches(n_posts)
    expected = {
        t: pl.concat([b[t] for b in batches]).unique(subset=list(TABLE_KEYS[t])).height
        for t in ("wide", "long", "posts")
    }
    done = threading.Event()
    failures: list[BaseException] = []
    seen_during: list[int] = []

    def writer() -> None:
        try:
            for b in batches:
                store.append(b)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    merged = 0
    other = SnapshotStore(store.path, storage_options=store._storage_options)
    while not done.is_set():
        merged += sum(store.compact(["wide", "long", "posts"], min_age=0).values())
        # a reader at any moment: never a row twice, never fewer rows than a moment ago
        now = other.read("wide")
        n = now.height
        assert now.n_unique(list(TABLE_KEYS["wide"])) == n
        assert not seen_during or n >= seen_during[-1]
        seen_during.append(n)
    thread.join()
    assert not failures, failures
    merged += sum(store.compact(min_age=0).values())
    for table, n in expected.items():
        assert store.read(table).height == n, table
        assert _raw_duplicates(store, table) == 0, table
    files = store.summary().select("table", "files").rows()
    # one file per partition is left after the last compaction
    for table, count in files:
        if table in expected:
            assert count == len(store._partitions(table)), (table, count)
    assert merged > 0
    return expected


@pytest.mark.slow
def test_compact_while_appending_local(tmp_path):
    store = SnapshotStore(tmp_path)
    _compact_while_appending(store)


@pytest.mark.slow
def test_compact_while_appending_on_s3(s3_server, bucket):
    store = SnapshotStore(f"s3://{bucket}/c", storage_options=_options(s3_server))
    _compact_while_appending(store, n_posts=3)


def test_compact_leaves_young_files_and_keeps_the_latest_post_row(tmp_path):
    store = SnapshotStore(tmp_path)
    frames = analytics_frames(n_posts=2)
    store.append({"posts": frames.posts})
    edited = frames.posts.with_columns(pl.lit("edited").alias("text"))
    time.sleep(0.01)
    store.append({"posts": edited})
    before = store.latest("posts")
    assert set(before["text"]) == {"edited"}
    assert store.compact(min_age=3600) == dict.fromkeys(TABLE_KEYS, 0)  # all too young
    assert store.compact("posts", min_age=0)["posts"] > 0
    assert store.latest("posts").equals(before)  # the newest write still wins
    with pytest.raises(ValueError, match="min_files"):
        store.compact(min_files=1)
    with pytest.raises(ValueError, match="unknown table"):
        store.compact("nope")


def test_compact_cli(tmp_path):
    from ayr_analysis.cli import main

    store = SnapshotStore(tmp_path / "s")
    for b in _batches(n_posts=2)[:4]:
        store.append(b)
    files = store.summary().filter(table="wide")["files"].item()
    assert files > 1
    assert main(["compact", str(tmp_path / "s"), "--min-age", "0"]) == 0
    assert store.summary().filter(table="wide")["files"].item() < files
    assert Path(tmp_path / "s").is_dir()
