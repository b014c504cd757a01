"""The snapshot store on object storage and with many writers: real servers started here on
127.0.0.1 under ``s3://`` stores (moto's S3 server) and ``az://`` stores (Azurite, Microsoft's
storage emulator, run from the copy that ``.ci/run`` or ``make azurite`` installs into
``.ci/node``), compaction while appends go on (local folder, S3 and Azure), the reads that keep
each stored key once, and stores whose endpoint or credentials fail (S3, Azure, GCS): a clear
error within seconds, never a hang. ``gs://`` stores only write, list and delete against a GCS
emulator (gcp-storage-emulator, in process): polars' reads refuse its answers.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from synthetic import analytics_frames

from ayr_analysis.store import AZURITE_ACCOUNT, AZURITE_KEY, TABLE_KEYS, SnapshotStore, StoreError

SECRET = "s3cr3t-" + "Zq9XvT2w"  # a distinctive value to look for everywhere
#: where ``.ci/run`` and ``make azurite`` install Azurite (npm, pinned by version there)
AZURITE_BIN = Path(__file__).resolve().parents[1] / ".ci" / "node" / "node_modules" / ".bin"
AZURITE_MISSING = (
    "Azurite is not installed: run `make azurite` (npm install --prefix .ci/node "
    "azurite@3.35.0; node 20 and npm needed) to run the az:// store tests"
)


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3 server on a free local port, for the whole module."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _azurite_command() -> list[str] | None:
    found = AZURITE_BIN / "azurite-blob"
    program = str(found) if found.is_file() else shutil.which("azurite-blob")
    if program is None or shutil.which("node") is None:
        return None
    return [program]


@pytest.fixture(scope="module")
def azurite(tmp_path_factory):
    """Azurite's blob service on a free local port, in memory, for the whole module (skipped,
    saying how to install it, when it is not installed)."""
    command = _azurite_command()
    if command is None:
        pytest.skip(AZURITE_MISSING)
    workdir = tmp_path_factory.mktemp("azurite")
    proc = subprocess.Popen(
        [*command, "--blobHost", "127.0.0.1", "--blobPort", "0", "--inMemoryPersistence",
         "--extentMemoryLimit", "256", "--disableTelemetry", "--skipApiVersionCheck", "--loose"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=workdir,
    )  # fmt: skip
    port: list[int] = []
    lines: list[str] = []

    def watch() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if m := re.search(r"listens on http://127\.0\.0\.1:(\d+)", line):
                port.append(int(m.group(1)))

    threading.Thread(target=watch, daemon=True).start()
    deadline = time.monotonic() + 30
    while not port and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not port:
        proc.kill()
        pytest.fail(f"Azurite did not start (30 s at most): {''.join(lines)[-2000:]}")
    yield f"http://127.0.0.1:{port[0]}"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def clean_aws_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def clean_cloud_env(monkeypatch, clean_aws_env):
    for name in list(os.environ):
        if name.startswith(("AZURE_", "AZURITE_", "GOOGLE_", "GCLOUD_", "CLOUDSDK_")):
            monkeypatch.delenv(name)


def _options(endpoint: str) -> dict[str, str]:
    return {
        "aws_access_key_id": "testing",
        "aws_secret_access_key": SECRET,
        "aws_region": "us-east-1",
        "aws_endpoint_url": endpoint,
        "aws_allow_http": "true",
    }


def _azure_options(endpoint: str) -> dict[str, str]:
    """Azurite's public development account (path-style URLs: endpoint/account/container)."""
    return {
        "account_name": AZURITE_ACCOUNT,
        "account_key": AZURITE_KEY,
        "endpoint": f"{endpoint}/{AZURITE_ACCOUNT}",
        "allow_http": "true",
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


def _azure_fs(endpoint: str):
    import pyarrow.fs as pafs

    host = endpoint.partition("://")[2]
    return pafs.AzureFileSystem(
        account_name=AZURITE_ACCOUNT, account_key=AZURITE_KEY,
        blob_storage_authority=host, blob_storage_scheme="http",
        dfs_storage_authority=host, dfs_storage_scheme="http",
    )  # fmt: skip


def _azure_objects(endpoint: str, container: str) -> dict[str, bytes]:
    import pyarrow.fs as pafs

    fs = _azure_fs(endpoint)
    out = {}
    for info in fs.get_file_info(pafs.FileSelector(container, recursive=True)):
        if info.type == pafs.FileType.File:
            with fs.open_input_stream(info.path) as src:
                out[info.path.partition("/")[2]] = bytes(src.read())
    return out


@dataclass
class Backend:
    """One object store under test: its URL scheme, a fresh bucket (container), the options a
    store needs there, the secret among them, and the objects as the server holds them."""

    scheme: str
    bucket: str
    options: dict[str, str]
    secret: str
    objects: Callable[[], dict[str, bytes]]
    broken: Callable[[int], dict[str, object]]  # options pointing at a closed local port

    def url(self, prefix: str) -> str:
        return f"{self.scheme}://{self.bucket}/{prefix}"


@pytest.fixture
def s3_backend(s3_server, bucket):
    return Backend(
        "s3", bucket, _options(s3_server), SECRET, lambda: _objects(s3_server, bucket),
        lambda port: {**_options(f"http://127.0.0.1:{port}"), "max_retries": 0},
    )  # fmt: skip


@pytest.fixture
def az_backend(azurite, clean_cloud_env):
    container = f"c{uuid.uuid4().hex[:12]}"
    _azure_fs(azurite).create_dir(container)
    return Backend(
        "az", container, _azure_options(azurite), AZURITE_KEY,
        lambda: _azure_objects(azurite, container),
        lambda port: _azure_options(f"http://127.0.0.1:{port}"),
    )  # fmt: skip


@pytest.fixture(params=[pytest.param(b, marks=pytest.mark.slow) for b in ("s3", "az")])
def backend(request) -> Backend:
    """Each object store the tests start a server for, in turn (servers take seconds to start and
    answer over HTTP: these runs are left out of the inner loop, ``make test`` runs them)."""
    return request.getfixturevalue(f"{request.param}_backend")


def _raw_duplicates(store: SnapshotStore, table: str) -> int:
    """Rows whose key is in more than one stored row, reading the files as they are."""
    sources = store._sources(table)
    if sources is None:
        return 0
    raw = pl.scan_parquet(
        sources, hive_partitioning=False, storage_options=store._storage_options
    ).collect()
    return raw.height - raw.unique(subset=list(TABLE_KEYS[table])).height


# ------------------------------------------------------------------------ round trips


def test_an_object_store_reads_back_what_a_local_store_does(backend, tmp_path):
    frames = analytics_frames(n_posts=6)
    remote = SnapshotStore(backend.url("snapshots"), storage_options=backend.options)
    local = SnapshotStore(tmp_path / "local")
    assert remote.read("wide").height == 0  # empty prefix: empty, typed
    assert remote.append(frames) == local.append(frames)
    assert remote.append(frames)["wide"] == 0  # idempotent on object storage as well
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
    keys = sorted(backend.objects())
    assert all(k.startswith("snapshots/") for k in keys)
    assert any(k.startswith("snapshots/wide/platform=") and "/date=" in k for k in keys)
    assert len(keys) == r["files"].sum()


@pytest.mark.slow
def test_a_key_in_two_objects_is_read_once(backend):
    store = SnapshotStore(backend.url("dup"), storage_options=backend.options)
    frames = analytics_frames(n_posts=3)
    written = store.append(frames)
    # the moment between a compaction's write and its deletes: every wide object twice
    for url, _ in store._url_files("wide"):
        folder, name = url.rsplit("/", 1)
        body = store._remote.read(url)
        store._remote.put(f"{folder}/{name.replace('part-', 'part-20000101T000000000000-copy-')}",
                          body)  # fmt: skip
    assert _raw_duplicates(store, "wide") == written["wide"]
    assert store.read("wide").height == written["wide"]
    assert store.summary().filter(table="wide")["rows"].item() == written["wide"]
    assert store.latest("wide").height == frames.wide.select("post_id", "platform").n_unique()
    assert store.append(frames)["wide"] == 0
    assert store.compact("wide", min_age=0)["wide"] > 0
    assert _raw_duplicates(store, "wide") == 0
    assert store.read("wide").height == written["wide"]


def test_reads_between_dates_open_no_object_of_other_days(backend, tmp_path):
    frames = analytics_frames(n_posts=4)
    store = SnapshotStore(backend.url("prune"), storage_options=backend.options)
    local = SnapshotStore(tmp_path / "local")
    store.append(frames)
    local.append(frames)
    days = sorted(frames.wide["observed_at"].dt.date().unique().to_list())
    assert len(days) >= 3
    since = days[-2]
    # an object that cannot be read, in a partition of a day before ``since``
    platform = frames.wide["platform"][0]
    store._remote.put(
        backend.url(f"prune/wide/platform={platform}/date={days[0] - timedelta(days=30)}/"
                    "part-20000101T000000000000-junk.parquet"),
        b"not parquet",
    )  # fmt: skip
    with pytest.raises(StoreError, match="prune"):
        store.read("wide")  # the whole table opens the junk object
    got = store.read("wide", since=since)
    assert got.height > 0
    assert got.equals(local.read("wide", since=since))
    assert got["observed_at"].dt.date().min() >= since


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


@pytest.mark.slow
def test_azure_credentials_come_from_the_environment(azurite, clean_cloud_env, monkeypatch):
    container = f"c{uuid.uuid4().hex[:12]}"
    _azure_fs(azurite).create_dir(container)
    # the variables of Azure's tools and of polars (object_store) for Azurite
    monkeypatch.setenv("AZURE_STORAGE_USE_EMULATOR", "true")
    monkeypatch.setenv("AZURITE_BLOB_STORAGE_URL", azurite)
    store = SnapshotStore(f"az://{container}/env")  # no storage_options
    written = store.append(analytics_frames(n_posts=2))
    assert written["wide"] > 0
    assert store.read("wide").height == written["wide"]
    assert set(_azure_objects(azurite, container)) == {
        u.partition(f"{container}/")[2] for t in TABLE_KEYS for u, _ in store._url_files(t)
    }


def test_an_empty_object_is_not_data(backend):
    """pyarrow's Azure client creates a blob empty when it starts writing it: a reader listing
    the store meanwhile must not take it for a (broken) Parquet file."""
    store = SnapshotStore(backend.url("empty"), storage_options=backend.options)
    written = store.append(analytics_frames(n_posts=2))
    folder = store._url_files("wide")[0][0].rsplit("/", 1)[0]
    store._remote.put(f"{folder}/part-20000101T000000000000-inflight.parquet", b"")
    assert len(backend.objects()) == sum(store.summary()["files"]) + 1
    assert store.read("wide").height == written["wide"]
    assert store.append(analytics_frames(n_posts=2))["wide"] == 0
    assert store.compact(min_age=0) == dict.fromkeys(TABLE_KEYS, 0)  # nothing to merge


def test_the_secret_is_never_shown_nor_stored(backend, closed_port):
    store = SnapshotStore(backend.url("sec"), storage_options=backend.options)
    store.append(analytics_frames(n_posts=2))
    store.compact(min_age=0)
    secret = backend.secret
    assert secret not in repr(store) and secret not in str(store)
    masked = store.storage_options
    assert [k for k, v in masked.items() if v == "***"]
    assert secret not in str(masked)
    assert secret not in str(store.summary())
    for key, body in backend.objects().items():
        assert secret.encode() not in body, key
    # an error names the store, not the credentials (the endpoint refuses connections)
    broken = SnapshotStore(backend.url("sec"), storage_options=backend.broken(closed_port))
    for call in (broken.summary, lambda: broken.append(analytics_frames(n_posts=1))):
        with pytest.raises(StoreError) as caught:
            call()
        text = f"{caught.value}\n{caught.value!r}"
        assert backend.url("sec") in text and secret not in text


@pytest.fixture
def closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture(scope="module")
def gcs_server():
    """gcp-storage-emulator (pure Python, in memory) on a free local port, with a bucket."""
    from gcp_storage_emulator.server import create_server

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = create_server("127.0.0.1", port, in_memory=True, default_bucket="bkt")
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_a_gcs_store_writes_lists_and_deletes_objects_on_an_emulator(
    gcs_server, clean_cloud_env, tmp_path
):
    """pyarrow's half of a gs:// store (list, upload, delete) against a GCS emulator. The other
    half, polars' reads, does not work against it (docs/SCALE.md): it must fail clearly."""
    # polars' GCS client finds an emulator through a service-account key naming it (with no
    # key it would ask the cloud's metadata server for a token)
    polars_key = json.dumps({"gcs_base_url": gcs_server, "disable_oauth": True,
                             "client_email": "", "private_key": "", "private_key_id": ""})  # fmt: skip
    options = {"endpoint": gcs_server, "anonymous": True, "project_id": "test",
               "service_account_key": polars_key, "max_retries": 0}  # fmt: skip
    store = SnapshotStore("gs://bkt/snapshots", storage_options=options)
    local = SnapshotStore(tmp_path / "local")
    frames = analytics_frames(n_posts=3)
    # an empty store has no keys to read back: an append is listings and uploads alone
    assert store.append(frames) == local.append(frames)
    for table in TABLE_KEYS:
        remote_files = store._url_files(table)
        local_files = local._files(table)
        as_local = sorted(
            str(tmp_path / "local" / u.partition("gs://bkt/snapshots/")[2].rsplit("/", 1)[0])
            for u, _ in remote_files
        )
        assert as_local == sorted(str(f.parent) for f in local_files), table
        for (url, size), path in zip(remote_files, sorted(local_files), strict=True):
            body = store._remote.read(url)
            assert len(body) == size > 0
            assert pl.read_parquet(body).equals(pl.read_parquet(path)), url
    url = store._url_files("wide")[0][0]
    store._remote.delete(url)
    assert url not in [u for u, _ in store._url_files("wide")]
    with pytest.raises(StoreError, match="gs://bkt/snapshots.*Last-Modified Header missing"):
        store.read("wide")  # polars refuses the emulator's answer


def _first_contact(url: str, options: dict[str, object]) -> tuple[float, str]:
    """Seconds and message of a store's first read, in a child process that is killed after
    90 s, so that a client that hangs fails the test instead of holding up the run."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("AWS_", "AZURE_", "AZURITE_", "GOOGLE_", "GCLOUD_", "CLOUDSDK_"))
    }  # fmt: skip
    code = (
        "import sys, time\n"
        "from ayr_analysis.store import SnapshotStore, StoreError\n"
        f"store = SnapshotStore({url!r}, storage_options={options!r})\n"
        "t = time.monotonic()\n"
        "try:\n"
        "    store.summary()\n"
        "except StoreError as exc:\n"
        "    print(f'{time.monotonic() - t:.1f}'); print(exc); sys.exit(0)\n"
        "print('no error'); sys.exit(1)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=90, env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    seconds, _, message = done.stdout.partition("\n")
    return float(seconds), message


@pytest.mark.slow
def test_a_gcs_store_with_an_unreachable_endpoint_fails_within_seconds(closed_port):
    # pyarrow's own default retries for 15 minutes: the store bounds it (GCS_RETRY_TIME_LIMIT_S)
    url = "gs://bucket/prefix"
    options = {"endpoint": f"http://127.0.0.1:{closed_port}", "anonymous": True}
    seconds, message = _first_contact(url, options)
    assert seconds < 60, seconds
    assert f"snapshot store '{url}': the endpoint cannot be reached" in message
    assert "GOOGLE_APPLICATION_CREDENTIALS" in message
    # and sooner when asked (polars' name for the same bound)
    seconds, message = _first_contact(url, {**options, "retry_timeout_ms": 1000})
    assert seconds < 10, seconds
    assert "the endpoint cannot be reached" in message


@pytest.mark.slow
def test_an_azure_store_with_an_unreachable_endpoint_fails_within_seconds(closed_port):
    url = "az://container/prefix"
    key = base64.b64encode(SECRET.encode()).decode()  # an account key is base64
    options = {
        "account_name": AZURITE_ACCOUNT,
        "account_key": key,
        "endpoint": f"http://127.0.0.1:{closed_port}/{AZURITE_ACCOUNT}",
    }
    seconds, message = _first_contact(url, options)
    assert seconds < 60, seconds
    assert f"snapshot store '{url}': the endpoint cannot be reached" in message
    assert "AZURE_STORAGE_ACCOUNT_NAME" in message and "account_key" in message
    assert key not in message and SECRET not in message


def test_bad_cloud_options_fail_before_any_request(clean_cloud_env):
    with pytest.raises(StoreError, match="'max_retries' must be a whole number >= 0, got 'two'"):
        SnapshotStore("s3://b/p", storage_options={"max_retries": "two"})
    with pytest.raises(StoreError, match="'retry_timeout_ms' must be a whole number"):
        SnapshotStore("gs://b/p", storage_options={"retry_timeout_ms": 1500.5})
    # given as polars takes them: whole numbers as numbers, flags as text
    ok = SnapshotStore("gs://b/p", storage_options={"max_retries": "2", "anonymous": False})
    assert ok.storage_options == {"max_retries": 2, "anonymous": "false"}
    with pytest.raises(StoreError, match="'retry_timeout_ms' must be a whole number.*'soon'"):
        SnapshotStore("gs://b/p", storage_options={"retry_timeout_ms": "soon"})
    with pytest.raises(StoreError, match="retry_timeout_ms must be at least 1000, got 0"):
        SnapshotStore("gs://b/p", storage_options={"retry_timeout_ms": 0})
    with pytest.raises(StoreError, match=r"'az://c/p': name the Azure storage account"):
        SnapshotStore("az://c/p")
    with pytest.raises(StoreError, match="account key or a SAS token, not both"):
        SnapshotStore(
            "az://c/p",
            storage_options={"account_name": "a", "account_key": SECRET, "sas_token": "sv=x"},
        )


def test_every_cloud_credential_option_is_masked(clean_cloud_env):
    secrets = (
        "account_key", "access_key", "azure_storage_account_key", "azure_storage_access_key",
        "sas_token", "azure_storage_sas_token", "client_secret", "azure_client_secret",
        "azure_storage_client_secret", "service_account_key", "google_service_account_key",
    )  # fmt: skip
    options = {name: f"{SECRET}-{i}" for i, name in enumerate(secrets)}
    store = SnapshotStore("gs://b/p", storage_options={**options, "anonymous": True})
    # flags become text, as polars takes them
    assert store.storage_options == {**dict.fromkeys(secrets, "***"), "anonymous": "true"}
    assert SECRET not in repr(store)
    assert store._redact(" ".join(options.values())) == " ".join(["***"] * len(secrets))


def test_cloud_options_become_pyarrow_arguments(clean_cloud_env):
    """What the stores pass to pyarrow's GCS and Azure clients (no request is made)."""
    from ayr_analysis.store import GCS_RETRY_TIME_LIMIT_S, _Remote

    gcs = _Remote("gs://b/p", {"endpoint": "http://127.0.0.1:4443", "anonymous": "true"})._kwargs
    assert gcs == {
        "retry_time_limit": timedelta(seconds=GCS_RETRY_TIME_LIMIT_S),
        "anonymous": True,
        "endpoint_override": "127.0.0.1:4443",
        "scheme": "http",
    }
    assert _Remote("gs://b/p", {"retry_timeout_ms": 2500})._kwargs == {
        "retry_time_limit": timedelta(seconds=2.5)
    }
    # an account's own host, and a path-style emulator (pyarrow adds the account itself)
    cloud = _Remote(
        "az://c/p",
        {"account_name": "acct", "sas_token": SECRET,
         "endpoint": "https://acct.blob.core.windows.net"},
    )._kwargs  # fmt: skip
    assert cloud == {
        "account_name": "acct", "sas_token": SECRET,
        "blob_storage_authority": ".blob.core.windows.net", "blob_storage_scheme": "https",
        "dfs_storage_authority": ".dfs.core.windows.net", "dfs_storage_scheme": "https",
    }  # fmt: skip
    emulator = _Remote("az://c/p", {"use_emulator": True})._kwargs
    assert emulator == {
        "account_name": AZURITE_ACCOUNT, "account_key": AZURITE_KEY,
        "blob_storage_authority": "127.0.0.1:10000", "blob_storage_scheme": "http",
        "dfs_storage_authority": "127.0.0.1:10000", "dfs_storage_scheme": "http",
    }  # fmt: skip


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


def _compact_while_appending(
    store: SnapshotStore, n_posts: int = 8, n_batches: int | None = None
) -> dict[str, int]:
    batches = _batches(n_posts)[:n_batches]
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
def test_compact_while_appending_on_object_storage(backend):
    store = SnapshotStore(backend.url("c"), storage_options=backend.options)
    # 10 appends (a few compactions run between them): each request to a server costs more
    # than a local file, Azurite's most of all
    _compact_while_appending(store, n_posts=3, n_batches=10)


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
