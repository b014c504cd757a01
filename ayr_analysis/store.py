"""Snapshot store: every fetch kept as Parquet, so metrics become time series.

A store is a folder (or an object-store URL) holding one Parquet dataset per table of
:mod:`ayr_analysis.schema`::

    <path>/long/platform=<platform>/date=<YYYY-MM-DD>/part-<written at>-<uuid>.parquet
    <path>/wide/...      <path>/reactions/...   <path>/breakdowns/...
    <path>/errors/...    <path>/posts/...

The layout is Hive-style: partitioned by platform and by the UTC date of ``observed_at``
(``fetched_at`` for errors, ``created_at`` for posts). A missing platform or date is written as
``__HIVE_DEFAULT_PARTITION__``, which polars and DuckDB read back as null. Every file also holds
the ``platform`` column itself, so a single file is complete on its own. Any Parquet reader works::

    SELECT * FROM read_parquet('<path>/wide/**/*.parquet', hive_partitioning = true)

Guarantees (local folders):

* **Atomic files.** Each file is written to a temporary file in its final folder, flushed to
  disk, then renamed into place with :func:`os.replace`. Temporary files are named
  ``.part-....parquet.tmp``: they start with a dot and do not end in ``.parquet``, so the
  ``**/*.parquet`` glob used here (and by DuckDB) never sees them, even after a crash. A writer
  removes the temporary files left by killed writers once they are older than
  :data:`STALE_TEMP_AGE_S` (one hour: a live write keeps its temporary file for the time it takes
  to write one file, well under a minute even on a slow network disk).
* **Idempotent appends.** Rows already stored (same key, see :data:`TABLE_KEYS`) are dropped at
  write time. A key holds its partition's network and time, so only the partitions being
  written are read, and of them only the key columns of the rows whose post id is among those
  appended and whose time is among those appended (filtered as the files are read): an append
  holds about as many stored keys as it appends, however long the history of its posts in those
  partitions. Appending the same fetch twice writes nothing the second time. An append that fails part-way (one file per table and
  partition) leaves every file either complete or absent; running the same append again writes
  exactly what is missing.
* **One writer at a time (local folders).** Each append holds the store's writer lock (``.writer.lock``, an
  ``flock`` that the system releases when its holder ends, even when killed) from reading the
  stored keys to renaming its last file, so two processes appending to one store (a tracker and
  a dashboard, two trackers) are serialised and never store a row twice. A writer waits up to
  ``lock_timeout`` seconds for the lock, then raises :class:`StoreError` naming the holder (pid,
  host, since when).
* **One bad file never stops the store.** Every data file is checked once (its Parquet footer
  and column types) before it is read; a file that is empty, not Parquet, or not of its table
  is moved to ``<path>/_quarantine/<table>/...`` (never read; listed in
  ``_quarantine/quarantine.log``) with a :class:`StoreWarning` naming it and why, and reads and
  appends go on without it. A file whose data pages are damaged is found the same way when a
  read fails. In a folder that cannot be written, the file is skipped (with the warning).
* **Read-only folders** open and read normally; appending raises :class:`StoreError`.
* **Demo and live data never mix.** Frames that say where they come from (``source`` of
  ``AnalyticsFrames``: ``"demo"`` or ``"live"``) mark the store on first write (``_store.json``);
  appending data from the other source raises :class:`StoreError`. (Local folders only.)

**Object storage.** A store may live under ``s3://bucket/prefix``, ``gs://bucket/prefix`` or
``az://container/prefix`` (``file:///path`` is a local folder). Objects are listed, written and
deleted through ``pyarrow.fs`` (pyarrow is already a dependency: no extra library, and its S3,
GCS and Azure clients take credentials from each cloud's usual places: ``AWS_*`` variables and
``~/.aws`` profiles (``AWS_PROFILE``), ``GOOGLE_APPLICATION_CREDENTIALS``, ``AZURE_STORAGE_*``);
reads scan the listed files with polars, which takes the same ``storage_options`` (polars'
names: ``aws_access_key_id``, ``aws_secret_access_key``, ``aws_region``, ``aws_endpoint_url``,
...) or the same environment variables (polars reads ``~/.aws`` profiles only where ``boto3``
is installed: with profiles and no boto3, pass ``storage_options`` or export the variables). A file is one object uploaded whole, so readers never see half a
file (pyarrow's Azure client creates a blob empty and fills it on close: empty objects are
never read as data). Credentials are never written into the store, and ``repr``,
:attr:`storage_options` and error messages mask them. A URL store that cannot be reached raises
:class:`StoreError` naming the URL, whether credentials or the endpoint failed, and what to set;
within seconds (GCS retries for :data:`GCS_RETRY_TIME_LIMIT_S`, not pyarrow's 15 minutes:
``retry_timeout_ms`` overrides it). An empty prefix reads as empty. Azure takes polars' option
names too (``account_name``, ``account_key`` or ``sas_token``, ``endpoint``, ``use_emulator``
for Azurite); GCS takes ``endpoint``, ``anonymous`` and ``project_id`` for pyarrow. Quarantine,
stray temporary files and the demo/live mark are local-folder features. Tested against an
S3-compatible server (moto) and Azure's emulator (Azurite); ``gs://`` only half: its uploads,
listings and deletes against a GCS emulator, whose answers polars' reads refuse, so no read of
a ``gs://`` store has been run against a server here (docs/SCALE.md).

**Many writers.** Object stores have no lock, and trackers on several machines write one store
at once. The design: each tracker owns a share of the posts (its profile, and ``--shard i/N``
of :func:`~ayr_analysis.tracking.shard_of` within a profile), so writers never write the same
key, and the write-time deduplication of each writer (its own keys, read back from the
partitions it writes) is enough; file names carry the writer (host and pid) and a uuid, so they
never collide. The local ``flock`` stays for local folders (it costs nothing there and keeps two
writers of the same share apart); on URL stores writers of the same share are not serialised:
give every post to one tracker.

**Each row once, on read.** Reads (:meth:`SnapshotStore.read`, :meth:`~SnapshotStore.scan`,
:meth:`~SnapshotStore.latest`, :meth:`~SnapshotStore.frames`, :meth:`~SnapshotStore.summary`,
:meth:`~SnapshotStore.known_next_updates`) keep each key of :data:`TABLE_KEYS` once (errors:
rows equal in every column once, then one row per error), after the filters, so a row found in
two files is counted once. Two copies exist while :meth:`~SnapshotStore.compact` runs (it
writes the merged file before it deletes the sources), after a compaction or an error rewrite is
killed between its two steps, or if two writers were given the same share. A read whose listed
file vanishes under it (compacted away) starts again from a fresh listing.

**Compaction.** :meth:`SnapshotStore.compact` (``ayr-analysis compact STORE``) merges each
partition's files into one while trackers write: files younger than ``min_age`` are left alone,
the merged file is written first and its sources deleted after, and files written meanwhile are
never among the sources. See its docstring.

**Why not an open table format.** Delta Lake (``deltalake``) or Apache Iceberg (``pyiceberg``)
would give transactions (a commit log: a compaction swaps files atomically, so readers never see
both), compaction and vacuum built in, time travel, and schema evolution recorded in metadata.
They cost: a second storage engine next to polars (the ``deltalake`` wheel is tens of MB; Iceberg
needs a catalog, a REST service, Glue, or a SQL database, to commit at all), concurrent writers
on S3 that need a locking provider or conditional writes of their own (Delta) or a catalog
(Iceberg), and readers that must understand the format: DuckDB, Spark and polars read both, but
a plain ``read_parquet('.../**/*.parquet')`` (and every other Parquet tool) would then see
deleted and superseded files. Here each writer owns disjoint keys and a compaction's only
hazard, a row seen twice for a moment, is removed by deduplicating on the key at read time, so
plain Hive-partitioned Parquet keeps the guarantees the tracker needs and stays readable by any
engine without a catalog. A reader that is not this class should deduplicate on
:data:`TABLE_KEYS` too, or read after a compaction has finished. If time travel or
multi-table transactions become needs, converting the store to Delta is one
``write_deltalake`` per table.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import math
import os
import re
import socket
import stat
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import polars as pl

from . import schema as S

if TYPE_CHECKING:  # pragma: no cover
    from .normalize import AnalyticsFrames

__all__ = [
    "COMPACT_MIN_AGE_S",
    "DEFAULT_LOCK_TIMEOUT_S",
    "STALE_TEMP_AGE_S",
    "TABLE_KEYS",
    "TABLES",
    "SnapshotStore",
    "StoreError",
    "StoreWarning",
]

NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
_TMP_PREFIX = "."
_TMP_SUFFIX = ".tmp"
_META = "_store.json"
_LOCK = ".writer.lock"
_QUARANTINE = "_quarantine"
_QUARANTINE_LOG = "quarantine.log"

#: Temporary files older than this (seconds) are left over by a killed writer and are removed by
#: the next append. A live write keeps its temporary file for the time it takes to write one file.
STALE_TEMP_AGE_S = 3600.0
#: :meth:`SnapshotStore.compact` leaves alone the files written less than this long ago (s).
COMPACT_MIN_AGE_S = 60.0
_STAMP = re.compile(r"part-(\d{8}T\d{12})[^/\\]*\.parquet$")
_READ_ATTEMPTS = 12  # a read whose files vanish under it (compaction) starts again this often
#: How long (seconds) an append waits for another writer's lock before it gives up.
DEFAULT_LOCK_TIMEOUT_S = 60.0

_T = TypeVar("_T")
_F = TypeVar("_F", pl.DataFrame, pl.LazyFrame)


class StoreError(OSError):
    """The store's path cannot be used (not a folder, read-only, unreachable) or a write failed."""


class StoreWarning(UserWarning):
    """A file of the store was set aside (empty, not Parquet, not of its table); reads go on."""


@dataclass(frozen=True)
class _Table:
    schema: pl.Schema
    key: tuple[str, ...]  # identifies one stored row; duplicates are dropped on write
    time: str  # partition date and ordering column
    entity: tuple[str, ...]  # what `latest` keeps one row of


TABLES: dict[str, _Table] = {
    "long": _Table(
        S.LONG_SCHEMA,
        (*S.UNIT_KEY, "field", "observed_at"),
        "observed_at",
        (*S.UNIT_KEY, "field"),
    ),
    "wide": _Table(S.WIDE_SCHEMA, S.OBSERVATION_KEY, "observed_at", S.UNIT_KEY),
    "reactions": _Table(
        S.REACTIONS_SCHEMA,
        (*S.UNIT_KEY, "reaction", "observed_at"),
        "observed_at",
        (*S.UNIT_KEY, "reaction"),
    ),
    "breakdowns": _Table(
        S.BREAKDOWNS_SCHEMA,
        (*S.POST_KEY, "breakdown", "key", "observed_at"),
        "observed_at",
        (*S.POST_KEY, "breakdown", "key"),
    ),
    "errors": _Table(
        S.STORED_ERRORS_SCHEMA,
        (*S.POST_KEY, "code", "http_status"),
        "fetched_at",
        S.POST_KEY,
    ),
    "posts": _Table(
        S.POSTS_SCHEMA,
        tuple(c for c in S.POSTS_SCHEMA.names() if c != "media_urls"),
        "created_at",
        S.POST_KEY,
    ),
}

#: The columns that identify a stored row, per table.
TABLE_KEYS: dict[str, tuple[str, ...]] = {name: t.key for name, t in TABLES.items()}

_HIVE_SCHEMA = {"platform": pl.String, "date": pl.Date}
#: storage option names that hold credentials (masked in reprs and error messages)
_SECRET_OPTION = re.compile(r"secret|token|password|key|sas|credential", re.IGNORECASE)
_SECRET_ENV = (
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_ACCESS_KEY", "AZURE_STORAGE_SAS_TOKEN", "AZURE_CLIENT_SECRET",
    "GOOGLE_SERVICE_ACCOUNT_KEY",
)  # fmt: skip


def _is_url(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


#: URL schemes a store can live under (``file://`` is a local folder).
URL_SCHEMES = ("s3", "gs", "az")

# storage_options keys (polars' names, from the object_store crate) -> pyarrow.fs arguments
_S3_KEYS = {
    "aws_access_key_id": "access_key",
    "access_key_id": "access_key",
    "aws_secret_access_key": "secret_key",
    "secret_access_key": "secret_key",
    "aws_session_token": "session_token",
    "session_token": "session_token",
    "aws_token": "session_token",
    "token": "session_token",
    "aws_region": "region",
    "region": "region",
    "aws_default_region": "region",
}
_ENDPOINT_KEYS = ("aws_endpoint_url", "aws_endpoint", "endpoint_url", "endpoint")
_AZURE_KEYS = {
    "azure_storage_account_name": "account_name",
    "account_name": "account_name",
    "azure_storage_account_key": "account_key",
    "azure_storage_access_key": "account_key",
    "account_key": "account_key",
    "access_key": "account_key",
    "azure_storage_sas_token": "sas_token",
    "sas_token": "sas_token",
    "azure_storage_client_id": "client_id",
    "azure_client_id": "client_id",
    "client_id": "client_id",
    "azure_storage_client_secret": "client_secret",
    "azure_client_secret": "client_secret",
    "client_secret": "client_secret",
    "azure_storage_tenant_id": "tenant_id",
    "azure_tenant_id": "tenant_id",
    "tenant_id": "tenant_id",
}
_AZURE_ENDPOINT_KEYS = ("azure_storage_endpoint", "azure_endpoint", "endpoint")
_AZURE_EMULATOR_KEYS = ("azure_storage_use_emulator", "use_emulator")
#: Azurite's development account: public constants of Microsoft's storage emulator
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
_GCS_ENDPOINT_KEYS = ("gcs_endpoint", "google_endpoint", "endpoint")
#: Seconds the GCS client keeps retrying a failing request (pyarrow's own default is 15
#: minutes, so a store with no credentials or an unreachable endpoint seemed to hang).
#: ``storage_options={"retry_timeout_ms": ...}`` (polars' name) overrides it.
GCS_RETRY_TIME_LIMIT_S = 15.0
_TRUE = ("1", "true", "yes", "on")


def _flag(value: Any) -> bool:
    return value is True or str(value).strip().lower() in _TRUE


def _split_endpoint(endpoint: str) -> tuple[str, str, str]:
    """``(scheme, host[:port], path)`` of an endpoint URL (a bare host means https)."""
    scheme, sep, rest = endpoint.partition("://")
    if not sep:
        scheme, rest = "https", endpoint
    host, _, path = rest.partition("/")
    return scheme.lower(), host, path.strip("/")


#: polars' own storage options that take whole numbers (retries, milliseconds, seconds)
_INT_OPTIONS = (
    "max_retries", "retry_timeout_ms", "retry_init_backoff_ms", "retry_max_backoff_ms",
    "file_cache_ttl",
)  # fmt: skip


def _polars_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` as polars takes them: flags as text (``True`` -> ``"true"``), its numeric
    options as whole numbers (``"3"`` -> ``3``); a value it would refuse fails here, before
    any request, naming the option."""
    out: dict[str, Any] = {}
    for k, v in options.items():
        if isinstance(v, bool):
            v = str(v).lower()
        elif str(k).lower() in _INT_OPTIONS:
            text = str(v).strip()
            if isinstance(v, float) or not re.fullmatch(r"\d+", text):
                raise StoreError(f"storage option {k!r} must be a whole number >= 0, got {v!r}")
            v = int(text)
        out[k] = v
    return out


def _writer_id() -> str:
    """This process's name in the files it writes: host (letters and digits) and pid."""
    host = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:16] or "host"
    return f"{host}{os.getpid()}"


class _Remote:
    """The object-store side of a URL store: list, put and delete objects through
    ``pyarrow.fs`` (already a dependency; the clouds' own SDK credential chains)."""

    def __init__(self, url: str, options: Mapping[str, Any] | None) -> None:
        scheme, _, rest = url.partition("://")
        self.scheme = scheme.lower()
        if self.scheme not in URL_SCHEMES:
            raise StoreError(
                f"snapshot store URL scheme {scheme!r} is not supported: use one of "
                f"{', '.join(s + '://' for s in URL_SCHEMES)}, file:// or a local folder"
            )
        if not rest.strip("/"):
            raise StoreError(f"snapshot store URL {url!r} names no bucket")
        self.url = url
        self.root = rest.strip("/")  # bucket/prefix, as pyarrow.fs names it
        self._options = dict(options or {})
        opts = {str(k).lower(): v for k, v in self._options.items()}
        # built now, so that bad options fail before any request (no network here)
        if self.scheme == "gs":
            self._kwargs = self._gcs_kwargs(opts)
        elif self.scheme == "az":
            self._kwargs = self._azure_kwargs(opts)
        self._fs: Any = None
        self._lock = threading.Lock()

    @property
    def fs(self) -> Any:
        with self._lock:
            if self._fs is None:
                self._fs = self._open()
            return self._fs

    def _open(self) -> Any:
        import pyarrow.fs as pafs

        opts = {str(k).lower(): v for k, v in self._options.items()}
        if self.scheme == "s3":
            kwargs: dict[str, Any] = {}
            for key, arg in _S3_KEYS.items():
                if opts.get(key) is not None:
                    kwargs.setdefault(arg, str(opts[key]))
            endpoint = next((str(opts[k]) for k in _ENDPOINT_KEYS if opts.get(k)), None)
            endpoint = (
                endpoint
                or os.environ.get("AWS_ENDPOINT_URL_S3")
                or os.environ.get("AWS_ENDPOINT_URL")
            )
            if endpoint:
                scheme, sep, host = endpoint.partition("://")
                kwargs["endpoint_override"] = host if sep else endpoint
                kwargs["scheme"] = scheme if sep else "https"
            if "region" not in kwargs and (
                region := os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
            ):
                kwargs["region"] = region
            retries = opts.get("max_retries")
            if retries is not None:
                kwargs["retry_strategy"] = pafs.AwsStandardS3RetryStrategy(
                    max_attempts=int(retries) + 1
                )
            kwargs.setdefault("connect_timeout", 10.0)
            kwargs.setdefault("request_timeout", 60.0)
            return pafs.S3FileSystem(**kwargs)
        if self.scheme == "gs":
            return pafs.GcsFileSystem(**self._kwargs)
        return pafs.AzureFileSystem(**self._kwargs)

    def _gcs_kwargs(self, opts: Mapping[str, Any]) -> dict[str, Any]:
        """pyarrow's GcsFileSystem arguments: credentials from GOOGLE_APPLICATION_CREDENTIALS
        or gcloud's default credentials; a bounded retry time; an emulator's endpoint."""
        from datetime import timedelta

        kwargs: dict[str, Any] = {}
        limit_ms = opts.get("retry_timeout_ms")
        try:
            limit_s = GCS_RETRY_TIME_LIMIT_S if limit_ms is None else float(limit_ms) / 1000
        except (TypeError, ValueError):
            limit_s = math.nan
        if not math.isfinite(limit_s) or limit_s < 1:
            raise StoreError(
                f"snapshot store {self.url!r}: retry_timeout_ms must be at least 1000, "
                f"got {limit_ms!r}"
            )
        kwargs["retry_time_limit"] = timedelta(seconds=limit_s)
        if _flag(opts.get("anonymous")) or _flag(opts.get("skip_signature")):
            kwargs["anonymous"] = True
        endpoint = next((str(opts[k]) for k in _GCS_ENDPOINT_KEYS if opts.get(k)), None)
        if endpoint:
            scheme, host, _ = _split_endpoint(endpoint)
            kwargs["endpoint_override"] = host
            kwargs["scheme"] = scheme
        project = opts.get("project_id") or opts.get("google_project_id")
        if project:
            kwargs["project_id"] = str(project)
        return kwargs

    def _azure_kwargs(self, opts: Mapping[str, Any]) -> dict[str, Any]:
        """pyarrow's AzureFileSystem arguments: account and key (or SAS token, or a service
        principal, else Azure's default credential chain); an endpoint for Azurite."""
        kwargs = {
            arg: str(opts[key]) for key, arg in _AZURE_KEYS.items() if opts.get(key) is not None
        }
        env = os.environ
        emulator = any(_flag(opts.get(k)) for k in _AZURE_EMULATOR_KEYS) or _flag(
            env.get("AZURE_STORAGE_USE_EMULATOR", "")
        )
        endpoint = next((str(opts[k]) for k in _AZURE_ENDPOINT_KEYS if opts.get(k)), None)
        endpoint = endpoint or env.get("AZURE_STORAGE_ENDPOINT") or env.get("AZURE_ENDPOINT")
        if emulator and not endpoint:
            endpoint = env.get("AZURITE_BLOB_STORAGE_URL") or "http://127.0.0.1:10000"
        kwargs.setdefault(
            "account_name",
            env.get("AZURE_STORAGE_ACCOUNT_NAME") or (AZURITE_ACCOUNT if emulator else ""),
        )
        if not kwargs["account_name"]:
            raise StoreError(
                f"snapshot store {self.url!r}: name the Azure storage account "
                "(AZURE_STORAGE_ACCOUNT_NAME or storage_options={'account_name': ...})"
            )
        if "account_key" not in kwargs and "sas_token" not in kwargs:
            for name in ("AZURE_STORAGE_ACCOUNT_KEY", "AZURE_STORAGE_ACCESS_KEY"):
                if secret := env.get(name):
                    kwargs["account_key"] = secret
                    break
            else:
                if sas := env.get("AZURE_STORAGE_SAS_TOKEN"):
                    kwargs["sas_token"] = sas
                elif emulator:
                    kwargs["account_key"] = AZURITE_KEY
        if "account_key" in kwargs and "sas_token" in kwargs:
            raise StoreError(
                f"snapshot store {self.url!r}: give the Azure account key or a SAS token, not both"
            )
        if endpoint:
            scheme, host, _ = _split_endpoint(endpoint)
            account = kwargs["account_name"]
            # https://<account>.blob.core.windows.net: the account's own host (pyarrow wants
            # the part after the account, dot included); anything else (Azurite, a proxy) is
            # path-style, http://host:port/<account>, and pyarrow adds the account itself
            authority = host[len(account) :] if host.startswith(account + ".") else host
            kwargs["blob_storage_authority"] = authority
            kwargs["blob_storage_scheme"] = scheme
            kwargs["dfs_storage_authority"] = authority.replace(".blob.", ".dfs.", 1)
            kwargs["dfs_storage_scheme"] = scheme
        return kwargs

    def key(self, url: str) -> str:
        """The object path (bucket/key) of a URL of this store."""
        return url.partition("://")[2]

    def url_of(self, key: str) -> str:
        return f"{self.scheme}://{key}"

    def files(self, prefix_url: str, *, recursive: bool = True) -> list[tuple[str, int]]:
        """(URL, size) of the data files under ``prefix_url`` (``part-*.parquet``), sorted.

        Empty objects are left out: no Parquet file is empty, and pyarrow's Azure client
        creates a blob empty when it opens it for writing and fills it when it closes it (S3
        and GCS objects appear only once whole), so an empty object is a write in flight, or
        one a killed writer left, never data."""
        import pyarrow.fs as pafs

        selector = pafs.FileSelector(
            self.key(prefix_url), recursive=recursive, allow_not_found=True
        )
        found = []
        for info in self.fs.get_file_info(selector):
            name = info.base_name
            if (
                info.type == pafs.FileType.File
                and name.startswith("part-")
                and name.endswith(".parquet")
                and info.size
            ):
                found.append((self.url_of(info.path), int(info.size)))
        return sorted(found)

    def put(self, url: str, data: bytes) -> None:
        """One object, uploaded whole: readers see all of it or nothing."""
        with self.fs.open_output_stream(self.key(url)) as out:
            out.write(data)

    def delete(self, url: str) -> None:
        import pyarrow.fs as pafs

        info = self.fs.get_file_info(self.key(url))
        if info.type == pafs.FileType.File:
            self.fs.delete_file(self.key(url))

    def read(self, url: str) -> bytes:
        with self.fs.open_input_stream(self.key(url)) as src:
            return bytes(src.read())


class SnapshotStore:
    """A folder (or URL) of Parquet snapshots, one dataset per table.

    Args:
        path: a local folder (created on first write) or a URL polars can write to.
        storage_options: passed to polars for URLs (credentials, region, ...).
        lock_timeout: seconds an append waits for another process's writer lock before it
            raises :class:`StoreError` naming that process.

    >>> import tempfile, polars as pl
    >>> from ayr_analysis import schema
    >>> store = SnapshotStore(tempfile.mkdtemp())
    >>> store.scan("wide").collect().schema == schema.WIDE_SCHEMA
    True
    >>> store.append({"wide": schema.empty(schema.WIDE_SCHEMA)})
    {'wide': 0}
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        storage_options: Mapping[str, Any] | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT_S,
        _replace: Callable[[str | os.PathLike[str], str | os.PathLike[str]], None] = os.replace,
    ) -> None:
        raw = os.fspath(path)
        if raw.startswith("file://"):
            raw = raw[len("file://") :]
        self.is_url = _is_url(raw)
        if self.is_url and not raw.partition("://")[2].strip("/"):
            raise StoreError(f"snapshot store URL {raw!r} names no bucket")
        self.path = raw.rstrip("/") if self.is_url else str(Path(raw).expanduser())
        if storage_options is not None and not isinstance(storage_options, Mapping):
            raise TypeError("storage_options must be a mapping of option name -> value")
        # kept private: the values are credentials; only masked copies are shown
        self._storage_options = _polars_options(storage_options) if storage_options else None
        self._remote = _Remote(self.path, self._storage_options) if self.is_url else None
        if (
            isinstance(lock_timeout, bool)
            or not isinstance(lock_timeout, (int, float))
            or not math.isfinite(lock_timeout)
            or lock_timeout < 0
        ):
            raise ValueError(f"lock_timeout must be a number of seconds >= 0, got {lock_timeout!r}")
        self.lock_timeout = float(lock_timeout)
        self._replace = _replace
        # files already checked: path -> (size, mtime_ns); stored files never change in place
        self._checked: dict[str, tuple[int, int]] = {}
        # bad files that could not be moved aside (read-only folder): skipped, warned once
        self._skipped: dict[str, str] = {}
        self._depth: dict[int, int] = {}  # thread id -> depth in write_lock() (re-entrancy)
        self._cleaned_at: float | None = None
        if not self.is_url:
            self._check_local_path()

    def __repr__(self) -> str:
        return f"SnapshotStore({self.path!r})"

    @property
    def storage_options(self) -> dict[str, Any] | None:
        """The options given for a URL store, with every credential masked (``'***'``)."""
        if self._storage_options is None:
            return None
        return {
            k: "***" if _SECRET_OPTION.search(str(k)) else v
            for k, v in self._storage_options.items()
        }

    def _redact(self, text: str) -> str:
        """``text`` with every storage option value that is a credential replaced by ``***``
        (the longest first: a secret that begins with another is masked whole)."""
        secrets = [
            v
            for k, v in (self._storage_options or {}).items()
            if _SECRET_OPTION.search(str(k)) and isinstance(v, str)
        ]
        secrets += [os.environ.get(name) or "" for name in _SECRET_ENV]
        for value in sorted((v for v in secrets if len(v) >= 3), key=len, reverse=True):
            text = text.replace(value, "***")
        return text

    # ------------------------------------------------------------------ paths

    def _check_local_path(self) -> None:
        """Fail early on a path that can never hold a store; opening writes nothing."""
        p = Path(self.path)
        if p.exists():
            if not p.is_dir():
                raise StoreError(f"snapshot store path {self.path!r} exists and is not a folder")
            if not os.access(p, os.R_OK | os.X_OK):
                raise StoreError(f"snapshot store folder {self.path!r} is not readable")
            return  # a read-only folder is fine for reading; writes say so (_require_writable)
        parent = p.parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            raise StoreError(
                f"snapshot store path {self.path!r} cannot be created: {str(parent)!r} is a file"
            )
        if not os.access(parent, os.W_OK | os.X_OK):
            raise StoreError(
                f"snapshot store path {self.path!r} cannot be created: "
                f"{str(parent)!r} is not writable"
            )

    def _require_writable(self) -> None:
        if self.is_url:
            return
        p = Path(self.path)
        existing = p
        while not existing.exists():
            existing = existing.parent
        if not os.access(existing, os.W_OK | os.X_OK):
            where = "" if existing == p else f" (cannot create it in {str(existing)!r})"
            raise StoreError(
                f"snapshot store folder {self.path!r} is read-only{where}: it can be read, "
                "not written; append to a store in a folder you can write to"
            )

    def _table_dir(self, table: str) -> str:
        return f"{self.path}/{table}"

    def _glob(self, table: str) -> str:
        return f"{self._table_dir(table)}/**/*.parquet"

    def _files(self, table: str, folders: Sequence[str] | None = None) -> list[Path]:
        """The table's data files (local stores), each checked once; bad ones are set aside.

        ``folders`` limits the search to those partition folders (no subfolders).
        """
        if folders is None:
            root = Path(self._table_dir(table))
            found = sorted(root.rglob("*.parquet")) if root.is_dir() else []
        else:
            found = sorted(
                f for d in folders if Path(d).is_dir() for f in Path(d).glob("*.parquet")
            )
        spec = _spec(table)
        good = []
        for f in found:
            key = str(f)
            if f.name.startswith(_TMP_PREFIX) or key in self._skipped:
                continue
            try:
                st = f.stat()
            except FileNotFoundError:  # set aside by another reader in the meantime
                continue
            sig = (st.st_size, st.st_mtime_ns)
            if self._checked.get(key) == sig:
                good.append(f)
                continue
            why = _file_problem(f, st, table, spec)
            if why is None:
                self._checked[key] = sig
                good.append(f)
            else:
                self._set_aside(f, why)
        return good

    def _set_aside(self, path: Path, why: str) -> None:
        """Move a file the store cannot use to ``_quarantine/`` and warn; skip it if it cannot."""
        self._checked.pop(str(path), None)
        rel = path.relative_to(self.path)
        dest = Path(self.path, _QUARANTINE, rel)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            n = 0
            while dest.exists() or dest.is_symlink():
                n += 1
                dest = Path(self.path, _QUARANTINE, rel.parent, f"{rel.name}.{n}")
            os.rename(path, dest)
        except FileNotFoundError:
            if not path.exists():
                return  # another reader moved it first
            self._skip(path, why, "its quarantine folder could not be made")
            return
        except OSError as exc:
            self._skip(path, why, exc.strerror or str(exc))
            return
        entry = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "file": str(rel),
            "moved_to": str(dest.relative_to(self.path)),
            "reason": why,
        }
        log = Path(self.path, _QUARANTINE, _QUARANTINE_LOG)
        with contextlib.suppress(OSError), open(log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")
        _warn(
            f"snapshot store {self.path!r}: set aside {str(path)!r}: {why}; moved to "
            f"{str(dest)!r}, where reads no longer see it"
        )

    def _skip(self, path: Path, why: str, cause: str) -> None:
        self._skipped[str(path)] = why
        _warn(
            f"snapshot store {self.path!r}: skipped {str(path)!r}: {why}; it could not be moved "
            f"aside ({cause}): remove it from the table folder"
        )

    def _deep_check(self, tables: Iterable[str]) -> int:
        """Read every file of ``tables`` whole; set aside those whose data cannot be read.

        Run when a read fails although every footer was fine (a damaged data page).
        """
        moved = 0
        for table in tables:
            for f in self._files(table):
                try:
                    self._scan_some(table, [str(f)]).collect()
                except Exception as exc:  # noqa: BLE001 - any failure to decode is the file's
                    self._set_aside(f, f"its data cannot be read ({_first_line(exc)})")
                    moved += 1
        return moved

    def _guarded(self, tables: Sequence[str], run: Callable[[], _T]) -> _T:
        """Run a read; a failure is a :class:`StoreError` naming the store, after setting aside
        (and retrying without) any file whose data turns out to be unreadable.

        A file listed and then gone before it was read (merged away by :meth:`compact`, or
        rewritten by another writer) makes the read start again from a fresh listing."""
        for attempt in range(_READ_ATTEMPTS):
            last = attempt == _READ_ATTEMPTS - 1
            try:
                return run()
            except StoreError:
                raise
            except (pl.exceptions.PolarsError, OSError) as exc:
                if _is_gone(exc) and not last:
                    time.sleep(
                        min(0.02 * 2**attempt, 2.0)
                    )  # let the compaction finish (~10 s in all)
                    continue
                if self.is_url:
                    raise self._url_error(exc) from exc
                if last or self._deep_check(tables) == 0:
                    raise StoreError(
                        f"cannot read {', '.join(tables)} of snapshot store {self.path!r}: "
                        f"{self._redact(_first_line(exc))}"
                    ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _url_error(self, exc: BaseException) -> StoreError:
        cause = _first_line(exc).split(" error_info={", 1)[0]  # google-cloud-cpp's details
        scheme = self.path.partition("://")[0].lower()
        if _NO_CREDENTIALS.search(cause):
            what = "no credentials were found or they were refused"
        elif _UNREACHABLE.search(cause):
            what = "the endpoint cannot be reached"
        else:
            return StoreError(
                f"snapshot store {self.path!r} cannot be reached or read: "
                f"{self._redact(cause)} (check the URL, the credentials and the endpoint in "
                "storage_options or the environment)"
            )
        return StoreError(
            f"snapshot store {self.path!r}: {what}: {self._redact(cause)} "
            f"({_URL_HINTS.get(scheme, _URL_HINTS['s3'])})"
        )

    def _url_files(self, table: str, folders: Sequence[str] | None = None) -> list[tuple[str, int]]:
        """(URL, size) of the table's data files in a URL store (``folders``: only those)."""
        assert self._remote is not None
        try:
            if folders is None:
                return self._remote.files(self._table_dir(table))
            return sorted(f for d in folders for f in self._remote.files(d, recursive=False))
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure to list is the store's
            raise self._url_error(exc) from exc

    def _sources(self, table: str) -> list[str] | None:
        """The files to scan for ``table`` (checked local files, or listed objects), or None."""
        if self.is_url:
            return [url for url, _ in self._url_files(table)] or None
        return [str(f) for f in self._files(table)] or None

    def _has_data(self, table: str) -> bool:
        return self._sources(table) is not None

    # ------------------------------------------------------------------ locking

    @contextlib.contextmanager
    def write_lock(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the store's writer lock (local folders; a no-op for URLs).

        Every :meth:`append` takes it; hold it yourself to make several appends one unit.
        Re-entrant within a thread. Waits up to ``timeout`` seconds (default ``lock_timeout``)
        for another holder, then raises :class:`StoreError` naming it (pid, host, since).

        >>> import tempfile
        >>> store = SnapshotStore(tempfile.mkdtemp())
        >>> with store.write_lock():
        ...     store.append({})
        {}
        """
        if self.is_url:
            yield
            return
        me = threading.get_ident()
        depth = self._depth.get(me, 0)
        if depth:
            self._depth[me] = depth + 1
            try:
                yield
            finally:
                self._depth[me] = depth
            return
        self._require_writable()
        try:
            os.makedirs(self.path, exist_ok=True)
            fd = os.open(os.path.join(self.path, _LOCK), os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise StoreError(
                f"cannot open the writer lock of snapshot store {self.path!r}: {exc}"
            ) from exc
        try:
            self._acquire(fd, self.lock_timeout if timeout is None else timeout)
            holder = {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "since": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            with contextlib.suppress(OSError):  # who holds it is information, not the lock
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)
                os.write(fd, json.dumps(holder).encode())
        except BaseException:
            os.close(fd)
            raise
        self._depth[me] = 1
        try:
            yield
        finally:
            self._depth.pop(me, None)
            with contextlib.suppress(OSError):
                _unlock(fd)
            os.close(fd)

    def _acquire(self, fd: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pause = 0.005
        while not _try_lock(fd):
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreError(
                    f"snapshot store {self.path!r} is being written by {self._holder()}; waited "
                    f"{timeout:g} s for its writer lock ({_LOCK}). Appends take seconds: a "
                    "holder that keeps it is stuck (stop it) or writing a very large append "
                    "(wait, or pass a longer lock_timeout)"
                )
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.1)

    def _holder(self) -> str:
        try:
            with open(os.path.join(self.path, _LOCK), encoding="utf-8") as fh:
                info = json.load(fh)
            return f"pid {info['pid']} on {info['host']} since {info['since']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "another process (it has not said which yet)"

    # ----------------------------------------------------------------- writing

    @property
    def source(self) -> str | None:
        """``"demo"`` or ``"live"`` once data with a known source was stored, else None."""
        if self.is_url:
            return None
        try:
            with open(os.path.join(self.path, _META), encoding="utf-8") as fh:
                meta = json.load(fh)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read {_META} in snapshot store {self.path!r}: {exc}") from exc
        value = meta.get("source") if isinstance(meta, dict) else None
        return value if isinstance(value, str) else None

    def _claim_source(self, source: str | None) -> None:
        if source is None or self.is_url:
            return
        if source not in ("demo", "live"):
            raise ValueError(f"source must be 'demo', 'live' or None, got {source!r}")
        stored = self.source
        if stored == source:
            return
        if stored is not None:
            raise StoreError(
                f"snapshot store {self.path!r} holds {stored} data; refusing to add {source} "
                "data to it: keep demo and live snapshots in separate stores"
            )
        try:
            os.makedirs(self.path, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create snapshot store folder {self.path!r}: {exc}") from exc
        target = os.path.join(self.path, _META)
        tmp = os.path.join(self.path, f".{_META}.{uuid.uuid4().hex[:8]}{_TMP_SUFFIX}")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump({"format": 1, "source": source}, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise StoreError(f"could not write {target!r} in snapshot store: {exc}") from exc

    def remove_stale_temp_files(self, older_than: float = STALE_TEMP_AGE_S) -> int:
        """Delete the temporary files killed writers left behind; return how many.

        Only hidden ``.tmp`` files of the store's own naming (``.part-*.parquet.tmp`` in the
        tables, ``._store.json.*.tmp`` at the top) whose last change is more than ``older_than``
        seconds ago: a writer at work keeps its temporary file for far less. :meth:`append`
        calls this (at most every ten minutes per store object); reads never delete anything.

        >>> import tempfile
        >>> SnapshotStore(tempfile.mkdtemp()).remove_stale_temp_files()
        0
        """
        if self.is_url or not os.path.isdir(self.path):
            return 0
        cutoff = time.time() - older_than
        candidates = list(Path(self.path).glob(f".{_META}.*{_TMP_SUFFIX}"))
        for table in TABLES:
            root = Path(self._table_dir(table))
            if root.is_dir():
                candidates.extend(root.rglob(f"{_TMP_PREFIX}part-*.parquet{_TMP_SUFFIX}"))
        removed = 0
        for f in candidates:
            try:
                if f.lstat().st_mtime < cutoff and f.is_file():
                    f.unlink()
                    removed += 1
            except OSError:  # gone already, or not ours to remove: never a reason to stop
                continue
        return removed

    def append(self, frames: Any, *, source: str | None = None) -> dict[str, int]:
        """Store normalised frames; return how many new rows each table received.

        ``frames`` is an ``AnalyticsFrames`` (any object with ``long``, ``wide``, ``reactions``,
        ``breakdowns``, ``errors``, ``posts`` attributes) or a dict ``{table: frame}``. Each
        frame must have its table's columns (see :mod:`ayr_analysis.schema`). Rows already
        stored are skipped, so re-appending the same fetch returns zeros. ``source`` (``"demo"``
        or ``"live"``; taken from ``frames.source`` when not given) keeps demo and live data in
        separate stores. The whole append holds the writer lock (:meth:`write_lock`).

        >>> import tempfile, datetime as dt, polars as pl
        >>> from ayr_analysis import schema
        >>> t = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
        >>> row = {"post_id": "p1", "platform": "tiktok", "thread_position": 0,
        ...        "observed_at": t, "likes": 5}
        >>> wide = pl.DataFrame([{c: row.get(c) for c in schema.WIDE_SCHEMA}],
        ...                     schema=schema.WIDE_SCHEMA)
        >>> store = SnapshotStore(tempfile.mkdtemp())
        >>> store.append({"wide": wide}), store.append({"wide": wide})
        ({'wide': 1}, {'wide': 0})
        """
        tables = self._coerce_frames(frames)
        if source is None and not isinstance(frames, Mapping):
            source = getattr(frames, "source", None)
        if not any(f.height for f in tables.values()):
            return {name: 0 for name in tables}
        written: dict[str, int] = {}
        with self.write_lock():
            now = time.monotonic()
            if self._cleaned_at is None or now - self._cleaned_at > 600:
                self.remove_stale_temp_files()
                self._cleaned_at = now
            self._claim_source(source)
            for name, frame in tables.items():
                written[name] = self._append_table(name, frame)
        return written

    def _coerce_frames(self, frames: Any) -> dict[str, pl.DataFrame]:
        if isinstance(frames, Mapping):
            items = dict(frames)
            unknown = sorted(set(items) - set(TABLES))
            if unknown:
                raise ValueError(f"unknown table(s) {unknown}: the store keeps {sorted(TABLES)}")
        else:
            present = [n for n in TABLES if hasattr(frames, n)]
            if not present:
                raise TypeError(
                    "append() needs an AnalyticsFrames-like object (attributes "
                    f"{', '.join(TABLES)}) or a dict of table name -> frame; "
                    f"got {type(frames).__name__}"
                )
            items = {n: getattr(frames, n) for n in present}
        out: dict[str, pl.DataFrame] = {}
        for name, frame in items.items():
            if frame is None:
                continue
            if isinstance(frame, pl.LazyFrame):
                frame = frame.collect()
            if not isinstance(frame, pl.DataFrame):
                raise TypeError(f"table {name!r}: expected a polars DataFrame, got {type(frame)}")
            out[name] = _conform(name, frame)
        return out

    def _append_table(self, name: str, frame: pl.DataFrame) -> int:
        if frame.height == 0:
            return 0
        if name == "errors":
            return self._append_errors(frame)
        spec = TABLES[name]
        key = list(spec.key)
        frame = frame.unique(subset=key, keep="first", maintain_order=True)
        frame = frame.with_columns(pl.col(spec.time).dt.date().alias("__date"))
        folders = {
            (platform, day): (
                f"{self._table_dir(name)}/platform={_hive_value(platform)}/date={_hive_value(day)}"
            )
            for platform, day in frame.select("platform", "__date").unique().iter_rows()
        }
        # the key holds the platform and the partition's time column, so a row already stored
        # lies in one of the partitions touched: the keys found there that equal a key
        # appended (never more of them than rows appended) drop exactly the rows already stored
        existing = self._existing_keys(name, list(folders.values()), frame.select(key))
        if existing is not None and existing.height:
            frame = frame.join(
                existing, on=key, how="anti", nulls_equal=True, maintain_order="left"
            )
        return self._write_parts(frame, folders)

    def _write_parts(self, frame: pl.DataFrame, folders: dict[tuple[Any, ...], str]) -> int:
        """Write ``frame`` (with its ``__date`` column) as one file per partition."""
        total = 0
        parts = frame.partition_by(["platform", "__date"], as_dict=True, maintain_order=True)
        for part_key, part in sorted(parts.items(), key=lambda kv: _part_sort(kv[0])):
            self._write_file(part.drop("__date"), folders[part_key])
            total += part.height
        return total

    def _append_errors(self, frame: pl.DataFrame) -> int:
        """Merge errors into the one row per post, network and error (code, HTTP status).

        A new error gets a row (``count`` 1); one already stored gets its ``count`` raised,
        ``last_seen`` (and ``fetched_at``) moved and its latest message kept. An answer not
        newer than the stored ``last_seen`` is already counted and changes nothing, so appending
        the same fetch twice writes nothing. The merged rows are written first, one file per
        partition, then each file that held an older copy is written again without it (or
        removed); a crash in between leaves two copies, and reading keeps the newest.
        """
        key = list(TABLES["errors"].key)
        frame = _errors_seen(frame).unique(
            subset=[*key, "fetched_at"], keep="first", maintain_order=True
        )
        frame = _errors_merge(frame.lazy()).collect()
        old = self._guarded(
            ["errors"],
            lambda: (
                self._scan("errors", file_column="__file", dedup=False)
                .join(frame.lazy().select(key), on=key, how="semi", nulls_equal=True)
                .collect()
            ),
        )
        if old.height:
            newest = _errors_merge(_errors_seen(old.drop("__file").lazy())).collect()
            joined = frame.join(newest, on=key, how="left", nulls_equal=True, suffix="__old")
            joined = joined.filter(
                pl.col("last_seen__old").is_null()
                | (pl.col("last_seen") > pl.col("last_seen__old"))
            )
            frame = joined.with_columns(
                pl.min_horizontal("first_seen", "first_seen__old").alias("first_seen"),
                (pl.col("count") + pl.col("count__old").fill_null(0)).alias("count"),
            ).select(S.STORED_ERRORS_SCHEMA.names())
        if frame.height == 0:
            return 0
        frame = frame.with_columns(pl.col("fetched_at").dt.date().alias("__date"))
        folders = {
            (platform, day): (
                f"{self._table_dir('errors')}/platform={_hive_value(platform)}/"
                f"date={_hive_value(day)}"
            )
            for platform, day in frame.select("platform", "__date").unique().iter_rows()
        }
        written = self._write_parts(frame, folders)
        if old.height:
            merged = frame.select(key)
            for file in old["__file"].unique().to_list():
                self._rewrite_without(file, merged, key)
        return written

    def _rewrite_without(self, file: str, keys: pl.DataFrame, key: list[str]) -> None:
        """Write ``file`` again without the rows of ``keys`` (remove it when none is left)."""
        try:
            rows = pl.read_parquet(
                file, hive_partitioning=False, storage_options=self._storage_options
            )
        except Exception as exc:  # noqa: BLE001 - gone (compacted) or unreadable: leave it
            if _is_gone(exc):
                return
            raise
        kept = rows.join(keys, on=key, how="anti", nulls_equal=True, maintain_order="left")
        if kept.height == rows.height:
            return
        folder = file.rsplit("/", 1)[0] if self.is_url else os.path.dirname(file)
        if kept.height:
            self._write_file(kept, folder)
        self._remove(file)

    def _remove(self, file: str) -> None:
        """Delete one data file (a file already gone is fine)."""
        if self._remote is not None:
            try:
                self._remote.delete(file)
            except Exception as exc:
                raise StoreError(
                    f"could not delete {file!r} in snapshot store: {self._redact(_first_line(exc))}"
                ) from exc
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(file)
        self._checked.pop(file, None)
        _fsync_dir(os.path.dirname(file))

    def _existing_keys(
        self, table: str, folders: list[str], keys: pl.DataFrame
    ) -> pl.DataFrame | None:
        """The stored keys in ``folders`` that can equal one of ``keys`` (a frame of
        ``table``'s key columns), each once; None when those folders hold no file.

        Only the key columns are read, and only the rows whose post id is one of those in
        ``keys`` and whose time is one of those in ``keys`` (a null one kept), filtered as the
        files are decoded (streaming engine): a stored row of the same post at another moment
        is never read. What is held is about the size of the append (at most the stored rows
        of its posts at its times), not the history of its posts in the partitions it touches
        (a year of hourly snapshots of the posts appended: 1.9 GB when those were read back).
        The caller's anti-join on the whole key drops the rows already stored."""
        spec = _spec(table)
        key = list(keys.columns)
        narrow = []
        for col in dict.fromkeys(c for c in ("post_id", spec.time) if c in key):
            column, values = pl.col(col), keys[col].drop_nulls().unique()
            if values.dtype.is_temporal():  # as integers: is_in on zoned times is slow
                column, values = column.dt.epoch("us"), values.dt.epoch("us")
            cond = column.is_in(pl.lit(values).implode())
            if keys[col].null_count():
                cond = cond | pl.col(col).is_null()
            narrow.append(cond)

        def read() -> pl.DataFrame | None:
            if self.is_url:
                files = [url for url, _ in self._url_files(table, folders)]
            else:
                files = [str(f) for f in self._files(table, folders)]
            if not files:
                return None
            lf = self._scan_some(table, files).select(key)
            for cond in narrow:
                lf = lf.filter(cond)
            return lf.unique().collect(engine="streaming")

        return self._guarded([table], read)

    def _write_file(self, frame: pl.DataFrame, folder: str, *, stamp: str | None = None) -> str:
        """Write ``frame`` as one new file of ``folder``; return its path (or URL).

        Its name is ``part-<UTC time>-<writer>-<uuid>.parquet``: the time orders the files
        (:meth:`latest` of ``posts``), the writer (host and pid) and a random uuid keep the
        names of writers on many machines apart. ``stamp`` replaces the time (:meth:`compact`
        gives its merged file the time of its newest source)."""
        stamp = stamp or datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"part-{stamp}-{_writer_id()}-{uuid.uuid4().hex[:12]}.parquet"
        if self._remote is not None:
            target = f"{folder}/{name}"
            buf = io.BytesIO()
            frame.write_parquet(buf, compression="zstd", statistics=True)
            try:
                self._remote.put(target, buf.getvalue())
            except Exception as exc:
                raise StoreError(
                    f"could not write {target!r} in snapshot store: "
                    f"{self._redact(_first_line(exc))}"
                ) from exc
            return target
        buf = io.BytesIO()
        frame.write_parquet(buf, compression="zstd", statistics=True)
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create folder {folder!r} in snapshot store: {exc}") from exc
        final = os.path.join(folder, name)
        tmp = os.path.join(folder, f"{_TMP_PREFIX}{name}{_TMP_SUFFIX}")
        try:
            with open(tmp, "wb") as fh:
                fh.write(buf.getvalue())
                fh.flush()
                os.fsync(fh.fileno())
            self._replace(tmp, final)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, OSError) and not isinstance(exc, StoreError):
                raise StoreError(f"could not write {final!r} in snapshot store: {exc}") from exc
            raise
        _fsync_dir(folder)
        with contextlib.suppress(OSError):  # written here: no need to check it on the next read
            st = os.stat(final)
            self._checked[final] = (st.st_size, st.st_mtime_ns)
        return final

    # -------------------------------------------------------------- compaction

    def compact(
        self,
        tables: Iterable[str] | str | None = None,
        *,
        min_age: float = COMPACT_MIN_AGE_S,
        min_files: int = 2,
    ) -> dict[str, int]:
        """Merge the small files of each partition into one; return the files merged away per
        table.

        Safe while trackers append (in other processes or machines, local folder or URL): in
        each partition (platform and day) the files written more than ``min_age`` seconds ago
        (by the time in their names), when there are at least ``min_files`` of them, are read,
        written again as one file, and only then deleted. No row is lost: a file written
        meanwhile is not among the sources and stays. None is counted twice: between the write
        and the deletes a reader may see a row in both the merged file and its source, and
        reads keep each key once (:data:`TABLE_KEYS`; errors: rows equal in every column). A
        compaction killed half-way leaves exactly that state, which the next one merges.
        The merged file takes the time of its newest source, so the order of writes that
        :meth:`latest` of ``posts`` relies on is kept.

        >>> import tempfile, datetime as dt, polars as pl
        >>> from ayr_analysis import schema
        >>> store = SnapshotStore(tempfile.mkdtemp())
        >>> t = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
        >>> for h in range(3):
        ...     row = {"post_id": "p1", "platform": "tiktok", "thread_position": 0,
        ...            "observed_at": t + dt.timedelta(hours=h), "likes": h}
        ...     _ = store.append({"wide": pl.DataFrame([row], schema=schema.WIDE_SCHEMA)})
        >>> store.compact("wide", min_age=0), store.summary().row(1)[:3]
        ({'wide': 2}, ('wide', 3, 1))
        """
        if isinstance(min_age, bool) or not isinstance(min_age, (int, float)) or min_age < 0:
            raise ValueError(f"min_age must be a number of seconds >= 0, got {min_age!r}")
        if isinstance(min_files, bool) or not isinstance(min_files, int) or min_files < 2:
            raise ValueError(f"min_files must be a whole number >= 2, got {min_files!r}")
        names = list(TABLES) if tables is None else _as_list(tables, "tables")
        for name in names:
            _spec(name)
        self._require_writable()
        cutoff = datetime.now(UTC).timestamp() - float(min_age)
        merged: dict[str, int] = {}
        for name in names:
            merged[name] = 0
            for folder, files in self._partitions(name).items():
                old = [f for f in files if (_stamp_time(f) or 0.0) <= cutoff]
                if len(old) >= min_files:
                    merged[name] += self._merge(name, folder, old)
        return merged

    def _partitions(self, table: str) -> dict[str, list[str]]:
        """Each partition folder (or URL prefix) of ``table`` with its data files, sorted."""
        if self.is_url:
            files = [url for url, _ in self._url_files(table)]
            split = "/"
        else:
            files = [str(f) for f in self._files(table)]
            split = os.sep
        out: dict[str, list[str]] = {}
        for f in sorted(files):
            out.setdefault(f.rsplit(split, 1)[0], []).append(f)
        return out

    def _merge(self, table: str, folder: str, files: list[str]) -> int:
        """Write ``files`` as one file of ``folder``, then delete them; files merged away."""
        spec = _spec(table)
        subset = spec.schema.names() if table == "errors" else list(spec.key)
        try:
            rows = (
                self._scan_some(table, files)
                .unique(subset=subset, keep="first", maintain_order=True)
                .collect()
            )
        except (pl.exceptions.PolarsError, OSError) as exc:
            if _is_gone(exc):  # another compaction got there first: its turn
                return 0
            raise StoreError(
                f"cannot compact {folder!r} of snapshot store {self.path!r}: "
                f"{self._redact(_first_line(exc))}"
            ) from exc
        stamps = [m.group(1) for f in files if (m := _STAMP.search(f))]
        if rows.height:
            self._write_file(rows, folder, stamp=max(stamps) if stamps else None)
        for f in files:
            self._remove(f)
        return len(files) - (1 if rows.height else 0)

    # ----------------------------------------------------------------- reading

    def scan(self, table: str = "long") -> pl.LazyFrame:
        """All stored rows of ``table`` as a LazyFrame with the table's exact schema, each key
        of :data:`TABLE_KEYS` once (see "Each row once, on read" above).

        Empty (but fully typed) when nothing is stored yet. Files that cannot be read as the
        table are set aside first (:class:`StoreWarning`); an unreachable URL store raises
        :class:`StoreError`. The files are listed when ``scan`` is called: collect soon, or use
        :meth:`read` (with its filters, applied before the deduplication, so partitions are
        pruned), which lists again if a compaction removed a file meanwhile.

        >>> import tempfile
        >>> SnapshotStore(tempfile.mkdtemp()).scan("long").collect().height
        0
        """
        if table == "errors":  # one row per error, whatever the files hold
            return _errors_merge(_errors_seen(self._scan(table)))
        return self._scan(table)

    def _scan(
        self,
        table: str,
        *,
        file_column: str | None = None,
        dedup: bool = True,
        platforms: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> pl.LazyFrame:
        """The table's rows; ``dedup``: each key once (see :func:`_dedup`); ``platforms`` and
        ``since``/``until`` prune partitions (see :meth:`_scan_files`)."""
        return self._scan_where(table, [], file_column, dedup, platforms, since, until)

    def _scan_some(self, table: str, files: list[str]) -> pl.LazyFrame:
        """The rows of ``files`` of ``table`` in the table's schema (a column a file lacks is
        null, one it has beyond the schema is left out), without reading partition folders."""
        return pl.scan_parquet(
            files,
            hive_partitioning=False,
            schema=_spec(table).schema,
            missing_columns="insert",
            extra_columns="ignore",
            storage_options=self._storage_options,
        )

    def _scan_where(
        self,
        table: str,
        filters: Sequence[pl.Expr],
        file_column: str | None = None,
        dedup: bool = True,
        platforms: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> pl.LazyFrame:
        """The table's rows passing ``filters`` (pushed down to the files), each key once
        (``dedup``). A key holds its partition's network and time, so two rows of one key lie in
        one partition: only the rows of partitions holding several files are deduplicated (an
        append writes each key once in its file), which keeps a year of single-file partitions
        out of memory."""
        out = []
        for lf, shared in self._scan_parts(table, file_column, platforms, since, until):
            for f in filters:
                lf = lf.filter(f)
            # only partitions of several files can hold a key twice; errors: any two equal rows
            out.append(_dedup(table, lf) if dedup and (shared or table == "errors") else lf)
        return pl.concat(out) if len(out) > 1 else out[0]

    def _scan_files(
        self,
        table: str,
        file_column: str | None,
        platforms: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> pl.LazyFrame:
        """The table's rows as the files hold them; ``platforms`` and ``since``/``until`` (UTC,
        on the table's time) prune whole partitions: only the folders that can hold such rows
        are listed and read (local stores), and the ``date`` partition is filtered before any
        file is opened (URLs). The rows are not filtered here beyond that: :meth:`_filtered`
        does it."""
        parts = [lf for lf, _ in self._scan_parts(table, file_column, platforms, since, until)]
        return pl.concat(parts) if len(parts) > 1 else parts[0]

    def _scan_parts(
        self,
        table: str,
        file_column: str | None,
        platforms: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[tuple[pl.LazyFrame, bool]]:
        """:meth:`_scan_files` in parts, each with whether its partitions hold several files:
        the files alone in their partition, and those of partitions of several files (each part
        only when it has files; one empty frame when there are none)."""
        spec = _spec(table)
        pruned = platforms is not None or since is not None or until is not None
        if pruned and not self.is_url:
            folders = self._pruned_folders(table, platforms, since, until)
            sources: list[str] | None = [str(f) for f in self._files(table, folders)] or None
        else:
            sources = self._sources(table)
        if sources is None:
            empty = S.empty(spec.schema).lazy()
            if file_column is not None:
                empty = empty.with_columns(pl.lit(None, pl.String).alias(file_column))
            return [(empty, False)]
        sep = "/" if self.is_url else os.sep
        per_folder: dict[str, list[str]] = {}
        for f in sources:
            per_folder.setdefault(f.rsplit(sep, 1)[0], []).append(f)
        alone = [fs[0] for fs in per_folder.values() if len(fs) == 1]
        shared = [f for fs in per_folder.values() if len(fs) > 1 for f in fs]
        return [
            (self._scan_list(table, group, file_column, since, until), several)
            for group, several in ((alone, False), (shared, True))
            if group
        ]

    def _scan_list(
        self,
        table: str,
        sources: list[str],
        file_column: str | None,
        since: datetime | None,
        until: datetime | None,
    ) -> pl.LazyFrame:
        spec = _spec(table)
        lf = pl.scan_parquet(
            sources,
            hive_partitioning=True,
            hive_schema=_HIVE_SCHEMA,
            schema=spec.schema,
            missing_columns="insert",
            extra_columns="ignore",
            include_file_paths=file_column,
            storage_options=self._storage_options,
        )
        if since is not None:
            lf = lf.filter(pl.col("date") >= since.date())
        if until is not None:
            lf = lf.filter(pl.col("date") <= until.date())
        return lf.select(*spec.schema.names(), *([file_column] if file_column else []))

    def _pruned_folders(
        self,
        table: str,
        platforms: Sequence[str] | None,
        since: datetime | None,
        until: datetime | None,
    ) -> list[str]:
        """The partition folders of ``table`` that can hold rows of ``platforms`` observed
        between ``since`` and ``until`` (UTC). Rows with no platform or no time (the
        ``__HIVE_DEFAULT_PARTITION__`` folders) never match such a filter and are left out."""
        root = Path(self._table_dir(table))
        if not root.is_dir():
            return []
        wanted = None if platforms is None else {_hive_value(p) for p in platforms}
        first = None if since is None else since.date().isoformat()
        last = None if until is None else until.date().isoformat()
        folders = []
        for pdir in root.glob("platform=*"):
            name = pdir.name.partition("=")[2]
            if wanted is not None and name not in wanted:
                continue
            for ddir in pdir.glob("date=*"):
                day = ddir.name.partition("=")[2]
                if (first is not None or last is not None) and day == NULL_PARTITION:
                    continue
                if (first is not None and day < first) or (last is not None and day > last):
                    continue
                folders.append(str(ddir))
        return sorted(folders)

    def read(
        self,
        table: str = "long",
        *,
        post_ids: Iterable[str] | str | None = None,
        platforms: Iterable[str] | str | None = None,
        since: datetime | date | None = None,
        until: datetime | date | None = None,
    ) -> pl.DataFrame:
        """Stored rows of ``table``, optionally filtered, sorted by time.

        ``since``/``until`` bound the table's time column (``observed_at``; ``fetched_at`` for
        errors; ``created_at`` for posts), both inclusive; a date means the whole UTC day.

        >>> import tempfile
        >>> SnapshotStore(tempfile.mkdtemp()).read("wide", platforms="tiktok").height
        0
        """
        spec = _spec(table)
        return self._guarded(
            [table],
            lambda: (
                self._filtered(table, post_ids, platforms, since, until)
                .sort([spec.time, *spec.entity], nulls_last=True)
                .collect()
            ),
        )

    def _filtered(
        self,
        table: str,
        post_ids: Iterable[str] | str | None,
        platforms: Iterable[str] | str | None,
        since: datetime | date | None,
        until: datetime | date | None,
        *,
        file_column: str | None = None,
        where: Sequence[pl.Expr] = (),
    ) -> pl.LazyFrame:
        spec = _spec(table)
        nets = None if platforms is None else _as_list(platforms, "platforms")
        start = None if since is None else _as_utc(since, end=False)
        end = None if until is None else _as_utc(until, end=True)
        # filters first, on the files' rows: only the partitions (platform, date) that can hold
        # the rows asked for are read, the rest is pushed down; then each key once
        filters = list(where)
        if nets is not None:
            filters.append(pl.col("platform").is_in(nets))
        if post_ids is not None:
            filters.append(pl.col("post_id").is_in(_as_list(post_ids, "post_ids")))
        if start is not None:
            filters.append(pl.col(spec.time) >= start)
        if end is not None:
            filters.append(pl.col(spec.time) <= end)
        return self._scan_where(
            table, filters, file_column=file_column, platforms=nets, since=start, until=end
        )

    def frames(
        self,
        post_ids: Iterable[str] | str | None = None,
        platforms: Iterable[str] | str | None = None,
        start: datetime | date | None = None,
        end: datetime | date | None = None,
        *,
        tables: Iterable[str] | None = None,
        fields: Iterable[str] | None = None,
    ) -> AnalyticsFrames:
        """Every stored table as :class:`~ayr_analysis.normalize.AnalyticsFrames`, with the post
        metadata joined in on read.

        ``tables`` (default: all of them): the tables to read, e.g. ``["wide"]``; the others come
        back empty (with their schema), unread. ``posts`` is always read. ``fields``: only these
        raw fields of ``long`` and ``breakdowns`` (e.g. ``analysis.PLAYBACK_FIELDS``), filtered
        as the files are read. On a big store a report that reads ``wide`` alone reads a tenth
        of the rows.

        The wide frame's ``published_at``, ``text`` and ``url`` are filled where they are null
        from the ``posts`` table (the history rows stored by :func:`~ayr_analysis.track` or
        :func:`~ayr_analysis.demo_store`; see
        :func:`~ayr_analysis.normalize.with_post_metadata`), so snapshots fetched without the
        history can still be compared at equal post age. ``post_ids`` and ``platforms`` narrow
        every table; ``start`` / ``end`` bound the observation times (``fetched_at`` for
        errors), both inclusive, as in :meth:`read`. ``posts`` holds the latest history row of
        each post and network asked for. ``source`` is the store's (``"demo"``, ``"live"`` or
        None).

        >>> import tempfile, datetime as dt, polars as pl
        >>> from ayr_analysis.normalize import AnalyticsFrames, normalize
        >>> fetched = normalize({"id": "p1", "linkedin": {"analytics": {"likeCount": 5},
        ...                      "lastUpdated": "2026-08-01T12:00:00Z"}})  # no history
        >>> history = pl.DataFrame({"post_id": ["p1"], "platform": ["linkedin"], "text": ["Hi"],
        ...                         "created_at": [dt.datetime(2026, 8, 1, 10, tzinfo=dt.UTC)]})
        >>> store = SnapshotStore(tempfile.mkdtemp())
        >>> _ = store.append(fetched), store.append(AnalyticsFrames.empty().with_posts(history))
        >>> store.read("wide").select("likes", "text").row(0)
        (5, None)
        >>> store.frames().wide.select("likes", "text", pl.col("published_at").dt.hour()).row(0)
        (5, 'Hi', 10)
        """
        from .normalize import AnalyticsFrames, with_post_metadata

        names = list(TABLES) if tables is None else _as_list(tables, "tables")
        unknown = [t for t in names if t not in TABLES]
        if unknown:
            raise ValueError(f"unknown table(s) {unknown}: choose from {', '.join(TABLES)}")
        only = None if fields is None else _as_list(fields, "fields")

        def read(table: str) -> pl.DataFrame:
            if table not in names:
                return S.empty(_spec(table).schema)
            if only is None or table not in ("long", "breakdowns"):
                return self.read(
                    table, post_ids=post_ids, platforms=platforms, since=start, until=end
                )
            spec = _spec(table)
            where = [pl.col("field").is_in(only)]
            return self._guarded(
                [table],
                lambda: (
                    self._filtered(table, post_ids, platforms, start, end, where=where)
                    .sort([spec.time, *spec.entity], nulls_last=True)
                    .collect()
                ),
            )

        # every network's row of a post: a network's own row may lack what another row has
        history = self.latest("posts", post_ids=post_ids)
        wide = read("wide")
        if history.height:
            wide = with_post_metadata(wide, history)
        if platforms is not None:
            history = history.filter(pl.col("platform").is_in(_as_list(platforms, "platforms")))
        return AnalyticsFrames(
            long=read("long"),
            wide=wide,
            reactions=read("reactions"),
            breakdowns=read("breakdowns"),
            errors=read("errors"),
            posts=history,
            source=self.source,
        )

    def latest(
        self,
        table: str = "wide",
        *,
        post_ids: Iterable[str] | str | None = None,
        platforms: Iterable[str] | str | None = None,
    ) -> pl.DataFrame:
        """The last observation of each post, network and tweet (per field for ``long``).

        For ``posts`` (no observation time) the row written last wins.

        >>> import tempfile
        >>> SnapshotStore(tempfile.mkdtemp()).latest().columns[:3]
        ['post_id', 'platform', 'social_id']
        """
        spec = _spec(table)
        return self._guarded([table], lambda: self._latest(table, spec, post_ids, platforms))

    def _latest(
        self,
        table: str,
        spec: _Table,
        post_ids: Iterable[str] | str | None,
        platforms: Iterable[str] | str | None,
    ) -> pl.DataFrame:
        entity = list(spec.entity)
        if table == "posts":
            lf = self._filtered(table, post_ids, platforms, None, None, file_column="__file")
            lf = lf.with_columns(pl.col("__file").str.extract(r"part-([^/\\]+)\.parquet$"))
            lf = lf.group_by(entity).agg(pl.all().sort_by("__file", maintain_order=True).last())
        else:
            lf = self._filtered(table, post_ids, platforms, None, None)
            # the table's time first, then the other snapshot times it has
            order = [
                spec.time,
                *(t for t in S.SNAPSHOT_TIMES if t in spec.schema and t != spec.time),
            ]
            # keep the rows at each entity's latest time (a semi-join on the per-entity maximum)
            # and break ties by fetch time: no global sort, so millions of rows stay cheap. The
            # maxima are collected first, from the key columns alone: as one plan, the scan
            # shared by both sides would hold every column of every row in memory at once
            newest = lf.group_by(entity).agg(pl.col(spec.time).max()).collect()
            lf = lf.join(newest.lazy(), on=[*entity, spec.time], how="semi", nulls_equal=True)
            lf = lf.sort(order, nulls_last=False, maintain_order=True).group_by(entity).last()
        return lf.select(spec.schema.names()).sort(entity, nulls_last=True).collect()

    def known_next_updates(self) -> pl.DataFrame:
        """Per post and network: the latest ``next_update`` Ayrshare announced (null if never).

        Also gives ``last_observed_at``. The tracker skips posts whose ``next_update`` is still
        in the future, so quota is never spent on numbers that have not changed.

        >>> import tempfile
        >>> SnapshotStore(tempfile.mkdtemp()).known_next_updates().columns
        ['post_id', 'platform', 'next_update', 'last_observed_at']
        """
        return self._guarded(
            ["wide"],
            lambda: (
                self.scan("wide")
                .group_by(*S.POST_KEY)
                .agg(
                    pl.col("next_update").max(),
                    pl.col("observed_at").max().alias("last_observed_at"),
                )
                .sort(*S.POST_KEY)
                .collect()
            ),
        )

    def summary(self) -> pl.DataFrame:
        """One row per table: rows, files, posts, platforms, time span, bytes, stray temp files
        and files set aside in ``_quarantine/`` (the last two are null for URL stores).

        >>> import tempfile
        >>> SnapshotStore(tempfile.mkdtemp()).summary()["rows"].to_list()
        [0, 0, 0, 0, 0, 0]
        """
        rows = []
        for name, spec in TABLES.items():

            def stats_of(name: str = name, spec: _Table = spec) -> dict[str, Any]:
                return (
                    self.scan(name)
                    .select(
                        pl.len().alias("rows"),
                        pl.col("post_id").n_unique().alias("posts"),
                        pl.col("platform")
                        .drop_nulls()
                        .unique()
                        .sort()
                        .alias("platforms")
                        .implode(),
                        pl.col(spec.time).min().alias("first"),
                        pl.col(spec.time).max().alias("last"),
                    )
                    .collect()
                    .row(0, named=True)
                )

            stats = self._guarded([name], stats_of)
            if self.is_url:
                listed = self._url_files(name)
                files, size = len(listed), sum(n for _, n in listed)
                stray = quarantined = None
            else:
                found = self._files(name)
                files, size = len(found), sum(_size(f) for f in found)
                root = Path(self._table_dir(name))
                stray = (
                    sum(1 for _ in root.rglob(f"{_TMP_PREFIX}*{_TMP_SUFFIX}"))
                    if root.is_dir()
                    else 0
                )
                aside = Path(self.path, _QUARANTINE, name)
                quarantined = (
                    sum(1 for f in aside.rglob("*") if not f.is_dir()) if aside.is_dir() else 0
                )
            rows.append(
                {
                    "table": name,
                    "rows": stats["rows"],
                    "files": files,
                    "posts": stats["posts"] if stats["rows"] else 0,
                    "platforms": stats["platforms"] or [],
                    "time_column": spec.time,
                    "first": stats["first"],
                    "last": stats["last"],
                    "bytes": size,
                    "stray_temp_files": stray,
                    "quarantined_files": quarantined,
                }
            )
        return pl.DataFrame(
            rows,
            schema={
                "table": pl.String,
                "rows": pl.Int64,
                "files": pl.Int64,
                "posts": pl.Int64,
                "platforms": pl.List(pl.String),
                "time_column": pl.String,
                "first": S.UTC_TIME,
                "last": S.UTC_TIME,
                "bytes": pl.Int64,
                "stray_temp_files": pl.Int64,
                "quarantined_files": pl.Int64,
            },
        )


# --------------------------------------------------------------------------- helpers


def _spec(table: str) -> _Table:
    try:
        return TABLES[table]
    except KeyError:
        raise ValueError(f"unknown table {table!r}: choose one of {sorted(TABLES)}") from None


def _conform(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Check ``frame`` has ``name``'s columns and cast it to the exact schema."""
    spec = _spec(name)
    if name == "errors":  # a frame of the normaliser: seen once, when fetched
        frame = frame.with_columns(
            pl.lit(None, S.STORED_ERRORS_SCHEMA[c]).alias(c)
            for c in ("first_seen", "last_seen", "count")
            if c not in frame.columns
        )
    missing = [c for c in spec.schema.names() if c not in frame.columns]
    extra = [c for c in frame.columns if c not in spec.schema]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing columns {missing}")
        if extra:
            parts.append(f"unexpected columns {extra}")
        raise ValueError(
            f"table {name!r} does not match schema.{name.upper()}_SCHEMA: " + "; ".join(parts)
        )
    try:
        return frame.select(pl.col(c).cast(t, strict=True) for c, t in spec.schema.items())
    except Exception as exc:
        raise ValueError(f"table {name!r}: columns cannot be cast to the schema: {exc}") from exc


def _stamp_time(path: str) -> float | None:
    """The time (epoch seconds) in a data file's name, or None for a name without one."""
    m = _STAMP.search(path)
    if m is None:
        return None
    return datetime.strptime(m.group(1), "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC).timestamp()


def _dedup(table: str, lf: pl.LazyFrame) -> pl.LazyFrame:
    """Each stored row once, on read: the rows of one key (:data:`TABLE_KEYS`) found in two
    files are one row (errors: rows equal in every column). Two copies exist only for a moment
    (:meth:`SnapshotStore.compact` writes its merged file before it deletes the sources) or
    after a crash between the two steps of a rewrite; appends never store a key twice."""
    spec = _spec(table)
    subset = spec.schema.names() if table == "errors" else list(spec.key)
    return lf.unique(subset=subset, keep="any", maintain_order=False)


def _errors_seen(frame: _F) -> _F:
    """Fill the times of errors rows that lack them (seen once, when fetched); their ``count``
    stays null: one answer, added up by :func:`_errors_merge`."""
    return frame.with_columns(
        pl.coalesce("first_seen", "fetched_at").alias("first_seen"),
        pl.coalesce("last_seen", "fetched_at").alias("last_seen"),
    )


def _errors_merge(lf: pl.LazyFrame) -> pl.LazyFrame:
    """One row per error key: the latest answer's columns, the first and last time it was
    seen, and how often. A row with a ``count`` is cumulative up to its ``last_seen`` (the
    largest one counts: a copy left by a crash or by a compaction is not counted twice); a row
    without one is one answer (new answers, and the rows of stores written one per answer) and
    adds one, unless a cumulative row seen later already counts it."""
    key = list(TABLES["errors"].key)
    cols = S.STORED_ERRORS_SCHEMA.names()
    rest = [c for c in cols if c not in (*key, "first_seen", "last_seen", "count")]
    return (
        lf.sort("last_seen", nulls_last=False, maintain_order=True)
        .group_by(key, maintain_order=True)
        .agg(
            *(pl.col(c).last() for c in rest),
            pl.col("first_seen").min(),
            pl.col("last_seen").max(),
            (
                pl.col("count").max().fill_null(0).cast(pl.Int64)
                + (
                    pl.col("count").is_null()
                    & (
                        pl.col("last_seen")
                        > pl.col("last_seen").filter(pl.col("count").is_not_null()).max()
                    ).fill_null(True)
                )
                .sum()
                .cast(pl.Int64)
            ).alias("count"),
        )
        .select(cols)
    )


def _hive_value(value: object) -> str:
    if value is None:
        return NULL_PARTITION
    if isinstance(value, date):
        return value.isoformat()
    return quote(str(value), safe="")


def _part_sort(key: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in key)


def _as_list(value: Iterable[str] | str, what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    out = list(value)
    if not all(isinstance(v, str) for v in out):
        raise TypeError(f"{what} must be a string or a list of strings")
    return out


def _as_utc(value: datetime | date, *, end: bool) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        t = datetime(value.year, value.month, value.day, tzinfo=UTC)
        return t.replace(hour=23, minute=59, second=59, microsecond=999999) if end else t
    raise TypeError(f"expected a datetime or date, got {type(value).__name__}")


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_PACKAGE = __name__.partition(".")[0]


def _warn(message: str) -> None:
    """Warn with :class:`StoreWarning`, pointing at the first caller outside the package."""
    here = inspect.currentframe()
    level, frame = 1, here.f_back if here is not None else None
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith(_PACKAGE):
        level, frame = level + 1, frame.f_back
    warnings.warn(message, StoreWarning, stacklevel=level)


#: what an object-store error says when credentials are missing or refused, or the endpoint
#: cannot be reached (pyarrow's S3, GCS and Azure clients, polars' object_store)
_NO_CREDENTIALS = re.compile(
    r"OAuth2 access token|DefaultAzureCredential|AuthenticationException|AuthenticationFailed|"
    r"InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied|\b40[13]\b|credential",
    re.IGNORECASE,
)
_UNREACHABLE = re.compile(
    r"could not connect|could not resolve|connection refused|failed to connect|"
    r"new connection|timed? ?out|unreachable|error sending request",
    re.IGNORECASE,
)
#: what to set, per URL scheme, in an error about an object store
_URL_HINTS = {
    "s3": "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), AWS_REGION, and "
    "AWS_ENDPOINT_URL for an S3-compatible server, or the same in storage_options: "
    "aws_access_key_id, aws_secret_access_key, aws_region, aws_endpoint_url",
    "gs": "set GOOGLE_APPLICATION_CREDENTIALS to a service account's JSON key file, or run "
    "`gcloud auth application-default login`; storage_options: anonymous=True for a public "
    "bucket, endpoint for an emulator, retry_timeout_ms for how long to retry",
    "az": "set AZURE_STORAGE_ACCOUNT_NAME with AZURE_STORAGE_ACCOUNT_KEY or "
    "AZURE_STORAGE_SAS_TOKEN (or AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID), or "
    "the same in storage_options: account_name, account_key or sas_token, endpoint for Azurite",
}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _compatible(found: pl.DataType, wanted: pl.DataType) -> bool:
    """Whether polars reads a column stored as ``found`` into the schema's ``wanted`` type."""
    if found == wanted:
        return True
    # a time zone is the reader's to set; the unit must match
    return (
        isinstance(found, pl.Datetime)
        and isinstance(wanted, pl.Datetime)
        and found.time_unit == wanted.time_unit
    )


def _file_problem(path: Path, st: os.stat_result, table: str, spec: _Table) -> str | None:
    """Why ``path`` cannot be read as a file of ``table`` (None when it can)."""
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    if st.st_size == 0:
        return "empty file (0 bytes)"
    try:
        found = pl.read_parquet_schema(path)
    except Exception as exc:  # noqa: BLE001 - whatever the reader says, the file is unusable
        return f"not a readable Parquet file ({_first_line(exc)})"
    for column, wanted in spec.schema.items():
        got = found.get(column)
        if got is not None and not _compatible(got, wanted):
            return f"not a {table} file: column {column!r} is {got}, expected {wanted}"
    needed = dict.fromkeys((*spec.entity, spec.time))
    missing = [c for c in needed if c not in found]
    if missing:
        return (
            f"not a {table} file: it is missing the columns {missing} (its columns: "
            f"{', '.join(list(found)[:8])}{', ...' if len(found) > 8 else ''})"
        )
    return None


_GONE = ("not found", "no such file", "does not exist", "nosuchkey", "404")


def _is_gone(exc: BaseException) -> bool:
    """Whether a read failed because a file it had listed is no longer there."""
    if isinstance(exc, FileNotFoundError):
        return True
    text = str(exc).lower()
    return any(m in text for m in _GONE)


if sys.platform != "win32":
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

else:  # pragma: no cover - Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
