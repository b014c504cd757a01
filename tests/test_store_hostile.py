"""The snapshot store against hostile files, folders and processes.

A corrupt or foreign ``.parquet`` file, an empty one, stray temporary files of a killed writer, a
read-only folder, an object store that cannot be reached, and two processes appending to one store
at the same time. Each case says what the store does instead of failing or losing rows.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import polars as pl
import pytest
from synthetic import analytics_frames

from ayr_analysis.config import ENV_VARS
from ayr_analysis.store import (
    STALE_TEMP_AGE_S,
    TABLE_KEYS,
    TABLES,
    SnapshotStore,
    StoreError,
    StoreWarning,
)

HERE = Path(__file__).resolve().parent
PARTITION = Path("wide/platform=tiktok/date=2026-08-03")


def _filled(path: Path) -> tuple[SnapshotStore, dict[str, int]]:
    store = SnapshotStore(path)
    store.append(analytics_frames())
    return store, {name: store.read(name).height for name in TABLES}


def _duckdb_rows(path: Path, table: str = "wide") -> int:
    duckdb = pytest.importorskip("duckdb")
    query = (
        f"select count(*) from read_parquet('{path}/{table}/**/*.parquet', hive_partitioning=true)"
    )
    return duckdb.sql(query).fetchall()[0][0]


def _no_duplicates(store: SnapshotStore) -> None:
    for name, key in TABLE_KEYS.items():
        frame = store.read(name)
        dups = frame.height - frame.unique(subset=list(key)).height
        assert dups == 0, f"{name}: {dups} duplicated rows"


# ------------------------------------------------------------------------ one bad file


def _write_garbage(path: Path) -> None:
    path.write_bytes(b"this is not parquet " * 50)


def _write_foreign_columns(path: Path) -> None:
    pl.DataFrame({"x": [1, 2], "y": ["a", "b"]}).write_parquet(path)


def _write_foreign_types(path: Path) -> None:
    pl.DataFrame(
        {"post_id": [1, 2], "platform": ["tiktok"] * 2, "likes": ["a", "b"]}
    ).write_parquet(path)


@pytest.mark.parametrize(
    ("write", "why"),
    [
        (_write_garbage, "not a readable Parquet file"),
        (_write_foreign_columns, "missing the columns"),
        (_write_foreign_types, "'post_id' is Int64, expected String"),
    ],
    ids=["garbage-bytes", "foreign-columns", "foreign-types"],
)
def test_a_bad_file_is_quarantined_and_the_store_goes_on(tmp_path, write, why):
    store, before = _filled(tmp_path)
    bad = tmp_path / PARTITION / "part-intruder.parquet"
    bad.parent.mkdir(parents=True, exist_ok=True)
    write(bad)
    fresh = SnapshotStore(tmp_path)  # a new process would see the store like this
    with pytest.warns(StoreWarning, match="part-intruder.parquet") as caught:
        wide = fresh.read("wide")
    message = str(caught[0].message)
    assert why in message and "_quarantine" in message
    assert wide.height == before["wide"]  # no row lost, no row of nulls gained
    assert not bad.exists()
    moved = tmp_path / "_quarantine" / PARTITION / "part-intruder.parquet"
    assert moved.exists()
    assert "part-intruder.parquet" in (tmp_path / "_quarantine" / "quarantine.log").read_text()
    # every other way in works, and warns no more: the file is gone from the table
    with warnings.catch_warnings():
        warnings.simplefilter("error", StoreWarning)
        summary = fresh.summary()
        assert summary["rows"].to_list() == [before[name] for name in TABLES]
        assert summary["quarantined_files"].to_list() == [0, 1, 0, 0, 0, 0]
        assert fresh.latest().height > 0
        assert fresh.frames().wide.height == before["wide"]
        assert fresh.known_next_updates().height > 0
        assert fresh.append(analytics_frames(n_posts=5))["wide"] > 0
    assert _duckdb_rows(tmp_path) == fresh.read("wide").height


def test_a_bad_file_in_a_partition_being_written_does_not_stop_the_append(tmp_path):
    store, before = _filled(tmp_path)
    bad = tmp_path / PARTITION / "part-intruder.parquet"
    _write_garbage(bad)
    fresh = SnapshotStore(tmp_path)
    with pytest.warns(StoreWarning, match="part-intruder"):
        written = fresh.append(analytics_frames(n_posts=6))
    assert written["wide"] == analytics_frames(n_posts=6).wide.height - before["wide"]
    _no_duplicates(fresh)


def test_a_file_with_a_damaged_data_page_is_found_and_quarantined(tmp_path):
    """The footer is intact (the schema reads) but the data is not: found when a read fails."""
    store, before = _filled(tmp_path)
    victim = sorted((tmp_path / "wide").rglob("*.parquet"))[0]
    lost = pl.read_parquet(victim).height
    data = bytearray(victim.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little") + 8
    for i in range(4, len(data) - footer):  # everything between the magic and the footer
        data[i] = (data[i] * 7 + 13) % 256
    victim.write_bytes(bytes(data))
    pl.read_parquet_schema(victim)  # still looks like a Parquet file
    fresh = SnapshotStore(tmp_path)
    with pytest.warns(StoreWarning, match=victim.name):
        wide = fresh.read("wide")
    assert wide.height == before["wide"] - lost
    assert not victim.exists()


def test_track_on_a_store_with_a_bad_file_warns_and_runs(tmp_path):
    store = tmp_path / "store"
    SnapshotStore(store).append(analytics_frames())  # demo data, as the demo tracker writes
    _write_garbage(store / PARTITION / "part-intruder.parquet")
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS.values()}
    argv = [sys.executable, "-m", "ayr_analysis", "track", "--last-days", "30", "--store",
            str(store), "--rounds", "1", "--quiet"]  # fmt: skip
    proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert "StoreWarning" in proc.stderr and "part-intruder.parquet" in proc.stderr
    assert "tracking ended" in proc.stdout
    assert (store / "_quarantine" / PARTITION / "part-intruder.parquet").exists()


def test_an_empty_file_is_ignored_and_duckdb_still_reads_the_store(tmp_path):
    store, before = _filled(tmp_path)
    empty = tmp_path / PARTITION / "part-empty.parquet"
    empty.touch()
    fresh = SnapshotStore(tmp_path)
    with pytest.warns(StoreWarning, match="empty file"):
        assert fresh.read("wide").height == before["wide"]
    assert not empty.exists()
    assert _duckdb_rows(tmp_path) == before["wide"]


# ------------------------------------------------------------------- stray temporary files


def test_stale_temporary_files_are_removed_and_fresh_ones_kept(tmp_path):
    store, _ = _filled(tmp_path)
    folder = tmp_path / PARTITION
    old = folder / ".part-20260803T000000000000-aaaaaaaaaaaa.parquet.tmp"
    new = folder / ".part-20260803T000000000000-bbbbbbbbbbbb.parquet.tmp"
    old_meta = tmp_path / "._store.json.1234abcd.tmp"
    for f in (old, new, old_meta):
        f.write_bytes(b"half a file")
    past = time.time() - STALE_TEMP_AGE_S - 60
    os.utime(old, (past, past))
    os.utime(old_meta, (past, past))
    assert store.summary()["stray_temp_files"].sum() == 2  # reads never delete anything
    SnapshotStore(tmp_path).append(analytics_frames(n_posts=5))
    assert not old.exists() and not old_meta.exists()
    assert new.exists()  # may be a concurrent writer's file in flight
    assert SnapshotStore(tmp_path).summary()["stray_temp_files"].sum() == 1


# ---------------------------------------------------------------------- read-only folders


@contextlib.contextmanager
def _read_only(root: Path):
    """Make a folder tree unwritable, also for root (immutable flag), and restore it after."""
    folders = [root, *(p for p in root.rglob("*") if p.is_dir())]
    if os.geteuid() != 0:
        for d in folders:
            d.chmod(0o555)
        undo = [["chmod", "-R", "u+w", str(root)]]
    else:
        chattr = shutil.which("chattr")
        if chattr is None:
            pytest.skip("running as root without chattr: cannot make a folder read-only")
        done = subprocess.run([chattr, "+i", *map(str, folders)], capture_output=True)
        if done.returncode != 0 or os.access(root, os.W_OK):
            subprocess.run([chattr, "-i", *map(str, folders)], capture_output=True)
            pytest.skip(f"cannot make a folder read-only here: {done.stderr.decode()[:200]}")
        undo = [[chattr, "-i", *map(str, folders)]]
    try:
        yield
    finally:
        for cmd in undo:
            subprocess.run(cmd, check=True)


def test_a_read_only_store_opens_for_reading_and_refuses_writes_clearly(tmp_path):
    _, before = _filled(tmp_path)
    _write_garbage(tmp_path / PARTITION / "part-intruder.parquet")
    listing = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with _read_only(tmp_path):
        store = SnapshotStore(tmp_path)  # opening writes nothing and does not fail
        with pytest.warns(StoreWarning, match="part-intruder.parquet.*could not be moved aside"):
            assert store.read("wide").height == before["wide"]
        assert store.summary()["rows"].to_list() == [before[name] for name in TABLES]
        assert store.latest().height > 0
        assert store.source == "demo"
        with pytest.raises(StoreError, match="read-only"):
            store.append(analytics_frames(n_posts=5))
    # nothing was written or moved
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == listing


# ------------------------------------------------------------------- unreachable object store


@pytest.fixture
def closed_port():
    """A local port bound but not listening: connections are refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


def _s3_options(port: int) -> dict[str, object]:
    return {
        "aws_endpoint_url": f"http://127.0.0.1:{port}",
        "aws_access_key_id": "test",
        "aws_secret_access_key": "test",
        "aws_region": "us-east-1",
        "aws_allow_http": "true",
        "max_retries": 0,
    }


@pytest.fixture
def no_aws_environment(monkeypatch):
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_an_unreachable_object_store_is_an_error_not_an_empty_store(
    closed_port, no_aws_environment
):
    store = SnapshotStore("s3://analytics/snapshots", storage_options=_s3_options(closed_port))
    started = time.monotonic()
    for call in (
        lambda: store.read("wide"),
        lambda: store.scan("long"),
        lambda: store.summary(),
        lambda: store.latest("posts"),
        lambda: store.frames(),
    ):
        with pytest.raises(StoreError, match=r"s3://analytics/snapshots.*cannot be reached"):
            call()
    assert time.monotonic() - started < 30


class _EmptyBucket(http.server.BaseHTTPRequestHandler):
    """An S3 endpoint holding no object: every listing is empty."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = (
            b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult '
            b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>analytics</Name><KeyCount>0'
            b"</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>"
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_reachable_empty_object_store_reads_as_empty(no_aws_environment):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EmptyBucket)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        options = _s3_options(server.server_address[1])
        store = SnapshotStore("s3://analytics/snapshots", storage_options=options)
        assert store.read("wide").height == 0
        assert store.summary()["rows"].sum() == 0
    finally:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------------------------- two writers

_WRITER = """
import sys, time
sys.path.insert(0, {here!r})
import polars as pl
from synthetic import analytics_frames
from ayr_analysis.store import SnapshotStore
frames = analytics_frames(n_posts=12, ages_h=tuple(range(1, 40, 2)))
store = SnapshotStore({path!r})
start = {start!r}
while time.time() < start:
    time.sleep(0.001)
order = sorted(frames.wide["observed_at"].unique().to_list())
for i in range(0, len(order), 2):  # overlapping windows: each batch repeats the one before
    window = order[max(0, i - 2) : i + 2]
    store.append({{
        "wide": frames.wide.filter(pl.col("observed_at").is_in(window)),
        "long": frames.long.filter(pl.col("observed_at").is_in(window)),
        "posts": frames.posts,
    }}, source="demo")
print("done")
"""


@pytest.mark.slow  # three interpreters racing to append: about 8 s of CPU
def test_two_processes_appending_overlapping_frames_write_each_row_once(tmp_path):
    script = _WRITER.format(here=str(HERE), path=str(tmp_path), start=time.time() + 3.0)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(3)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err[-3000:]
    store = SnapshotStore(tmp_path)
    _no_duplicates(store)
    frames = analytics_frames(n_posts=12, ages_h=tuple(range(1, 40, 2)))
    assert store.read("wide").height == frames.wide.height
    assert store.read("long").height == frames.long.height
    assert store.read("posts").height == frames.posts.height


_HOLDER = """
import sys, time
from ayr_analysis.store import SnapshotStore
with SnapshotStore({path!r}).write_lock():
    print("locked", flush=True)
    time.sleep(120)
"""


def test_a_second_writer_waits_then_fails_naming_the_holder(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER.format(path=str(tmp_path))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked", holder.stderr.read()
        store = SnapshotStore(tmp_path, lock_timeout=0.5)
        started = time.monotonic()
        with pytest.raises(StoreError, match=rf"pid {holder.pid} on {socket.gethostname()}.*since"):
            store.append(analytics_frames())
        assert 0.5 <= time.monotonic() - started < 10
        assert store.read("wide").height == 0  # nothing written
    finally:
        holder.kill()
        holder.communicate()
    # the lock dies with its holder: the next append goes through
    assert SnapshotStore(tmp_path, lock_timeout=5).append(analytics_frames())["wide"] > 0


def test_the_write_lock_is_reentrant_in_one_thread(tmp_path):
    store = SnapshotStore(tmp_path, lock_timeout=1)
    with store.write_lock():
        assert store.append(analytics_frames())["wide"] > 0
    assert (tmp_path / ".writer.lock").exists()
    assert _duckdb_rows(tmp_path) == store.read("wide").height  # the lock file is not data
