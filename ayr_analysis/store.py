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
  write time, reading only the keys of the partitions being written. Appending the same fetch
  twice writes nothing the second time. An append that fails part-way (one file per table and
  partition) leaves every file either complete or absent; running the same append again writes
  exactly what is missing.
* **One writer at a time.** Each append holds the store's writer lock (``.writer.lock``, an
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

For URLs (``s3://...``, ``gs://...``, ``az://...``) files are written directly with
:meth:`polars.DataFrame.write_parquet` and ``storage_options``: object stores have no atomic
rename, but a single object upload is all-or-nothing on those services, so readers still never
see half a file. Duplicates are dropped in the same way, but the writer lock is local only: run
one writer per URL store. A URL store that cannot be reached (no endpoint, no credentials, a
refused connection) raises :class:`StoreError` naming the URL; an empty prefix reads as empty.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import math
import os
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


def _is_url(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


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
        self.path = raw.rstrip("/") if self.is_url else str(Path(raw).expanduser())
        self.storage_options = dict(storage_options) if storage_options else None
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
            spec = _spec(table)
            for f in self._files(table):
                try:
                    pl.scan_parquet(
                        f, schema=spec.schema, missing_columns="insert",
                        extra_columns="ignore", hive_partitioning=False,
                    ).collect()  # fmt: skip
                except Exception as exc:  # noqa: BLE001 - any failure to decode is the file's
                    self._set_aside(f, f"its data cannot be read ({_first_line(exc)})")
                    moved += 1
        return moved

    def _guarded(self, tables: Sequence[str], run: Callable[[], _T]) -> _T:
        """Run a read; a failure is a :class:`StoreError` naming the store, after setting aside
        (and retrying without) any file whose data turns out to be unreadable."""
        try:
            return run()
        except StoreError:
            raise
        except (pl.exceptions.PolarsError, OSError) as exc:
            if self.is_url:
                raise self._url_error(exc) from exc
            retry = self._deep_check(tables) > 0 or isinstance(exc, FileNotFoundError)
            if not retry:
                raise StoreError(
                    f"cannot read {', '.join(tables)} of snapshot store {self.path!r}: "
                    f"{_first_line(exc)}"
                ) from exc
        try:
            return run()
        except StoreError:
            raise
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise StoreError(
                f"cannot read {', '.join(tables)} of snapshot store {self.path!r}: "
                f"{_first_line(exc)}"
            ) from exc

    def _url_error(self, exc: BaseException) -> StoreError:
        return StoreError(
            f"snapshot store {self.path!r} cannot be reached or read: {_first_line(exc)} "
            "(check the URL, the credentials and the endpoint in storage_options or the "
            "environment)"
        )

    def _url_listing(
        self, pattern: str, columns: Sequence[str] | None = None
    ) -> pl.DataFrame | None:
        """Rows (``columns`` of them, or none) under a URL glob; None when nothing is there."""
        try:
            lf = pl.scan_parquet(pattern, storage_options=self.storage_options)
            return (lf.select(columns) if columns else lf.head(0)).collect()
        except Exception as exc:
            if _is_empty_listing(exc):
                return None
            raise self._url_error(exc) from exc

    def _sources(self, table: str) -> list[str] | str | None:
        """What to scan for ``table``: checked local files, the URL glob, or None (no data)."""
        if self.is_url:
            return self._glob(table) if self._url_listing(self._glob(table)) is not None else None
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
        # the key holds the platform and the partition's time column, so one anti-join against
        # the keys of every partition touched drops exactly the rows already stored
        existing = self._existing_keys(name, list(folders.values()), key)
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
                self._scan("errors", file_column="__file")
                .join(frame.lazy().select(key), on=key, how="semi", nulls_equal=True)
                .collect()
            ),
        )
        if old.height:
            newest = _errors_merge(old.drop("__file").lazy()).collect()
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
        if old.height and not self.is_url:
            merged = frame.select(key)
            for file in old["__file"].unique().to_list():
                self._rewrite_without(file, merged, key)
        return written

    def _rewrite_without(self, file: str, keys: pl.DataFrame, key: list[str]) -> None:
        """Write ``file`` again without the rows of ``keys`` (remove it when none is left)."""
        try:
            rows = pl.read_parquet(file, hive_partitioning=False)
        except FileNotFoundError:
            return
        kept = rows.join(keys, on=key, how="anti", nulls_equal=True, maintain_order="left")
        if kept.height == rows.height:
            return
        if kept.height:
            self._write_file(kept, os.path.dirname(file))
        with contextlib.suppress(FileNotFoundError):
            os.unlink(file)
        self._checked.pop(file, None)
        _fsync_dir(os.path.dirname(file))

    def _existing_keys(
        self, table: str, folders: list[str], key: Sequence[str]
    ) -> pl.DataFrame | None:
        if self.is_url:
            found = [
                keys
                for folder in folders
                if (keys := self._url_listing(f"{folder}/*.parquet", key)) is not None
            ]
            return pl.concat(found) if found else None

        def read() -> pl.DataFrame | None:
            files = [str(f) for f in self._files(table, folders)]
            if not files:
                return None
            return pl.scan_parquet(files, hive_partitioning=False).select(key).collect()

        return self._guarded([table], read)

    def _write_file(self, frame: pl.DataFrame, folder: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"part-{stamp}-{uuid.uuid4().hex[:12]}.parquet"
        if self.is_url:
            target = f"{folder}/{name}"
            try:
                frame.write_parquet(target, storage_options=self.storage_options, statistics=True)
            except Exception as exc:
                raise StoreError(f"could not write {target!r} in snapshot store: {exc}") from exc
            return
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

    # ----------------------------------------------------------------- reading

    def scan(self, table: str = "long") -> pl.LazyFrame:
        """All stored rows of ``table`` as a LazyFrame with the table's exact schema.

        Empty (but fully typed) when nothing is stored yet. Files that cannot be read as the
        table are set aside first (:class:`StoreWarning`); an unreachable URL store raises
        :class:`StoreError`.

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
        platforms: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> pl.LazyFrame:
        """The table's rows; ``platforms`` and ``since``/``until`` (UTC, on the table's time)
        prune whole partitions: only the folders that can hold such rows are listed and read
        (local stores), and the ``date`` partition is filtered before any file is opened (URLs).
        The rows are not filtered here beyond that: :meth:`_filtered` does it."""
        spec = _spec(table)
        pruned = platforms is not None or since is not None or until is not None
        if pruned and not self.is_url:
            folders = self._partitions(table, platforms, since, until)
            sources: list[str] | str | None = [str(f) for f in self._files(table, folders)] or None
        else:
            sources = self._sources(table)
        if sources is None:
            empty = S.empty(spec.schema).lazy()
            if file_column is not None:
                empty = empty.with_columns(pl.lit(None, pl.String).alias(file_column))
            return empty
        lf = pl.scan_parquet(
            sources,
            hive_partitioning=True,
            hive_schema=_HIVE_SCHEMA,
            schema=spec.schema,
            missing_columns="insert",
            extra_columns="ignore",
            include_file_paths=file_column,
            storage_options=self.storage_options,
        )
        if since is not None:
            lf = lf.filter(pl.col("date") >= since.date())
        if until is not None:
            lf = lf.filter(pl.col("date") <= until.date())
        return lf.select(*spec.schema.names(), *([file_column] if file_column else []))

    def _partitions(
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
    ) -> pl.LazyFrame:
        spec = _spec(table)
        nets = None if platforms is None else _as_list(platforms, "platforms")
        start = None if since is None else _as_utc(since, end=False)
        end = None if until is None else _as_utc(until, end=True)
        # only the partitions (platform, date) that can hold the rows asked for are read
        lf = self._scan(table, file_column=file_column, platforms=nets, since=start, until=end)
        if nets is not None:
            lf = lf.filter(pl.col("platform").is_in(nets))
        if post_ids is not None:
            lf = lf.filter(pl.col("post_id").is_in(_as_list(post_ids, "post_ids")))
        if start is not None:
            lf = lf.filter(pl.col(spec.time) >= start)
        if end is not None:
            lf = lf.filter(pl.col(spec.time) <= end)
        return lf

    def frames(
        self,
        post_ids: Iterable[str] | str | None = None,
        platforms: Iterable[str] | str | None = None,
        start: datetime | date | None = None,
        end: datetime | date | None = None,
    ) -> AnalyticsFrames:
        """Every stored table as :class:`~ayr_analysis.normalize.AnalyticsFrames`, with the post
        metadata joined in on read.

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

        def read(table: str) -> pl.DataFrame:
            return self.read(table, post_ids=post_ids, platforms=platforms, since=start, until=end)

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
        and files set aside in ``_quarantine/`` (file counts are null for URL stores).

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
                files = size = stray = quarantined = None
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


def _errors_seen(frame: _F) -> _F:
    """Fill the times of errors rows that lack them (seen once, when fetched); their ``count``
    stays null: one answer, added up by :func:`_errors_merge`."""
    return frame.with_columns(
        pl.coalesce("first_seen", "fetched_at").alias("first_seen"),
        pl.coalesce("last_seen", "fetched_at").alias("last_seen"),
    )


def _errors_merge(lf: pl.LazyFrame) -> pl.LazyFrame:
    """One row per error key: the latest answer's columns, the first and last time it was
    seen, and how often. A row with a ``count`` is cumulative (the largest one counts: a copy
    left by a crash is not counted twice); a row without one is one answer (new answers, and the
    rows of stores written one per answer) and adds one."""
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
                + pl.col("count").null_count().cast(pl.Int64)
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


_EMPTY_LISTING = ("expanded paths were empty", "at least 1 source", "no matching files")


def _is_empty_listing(exc: BaseException) -> bool:
    """Whether a scan of a URL glob failed only because nothing is stored there yet."""
    if isinstance(exc, FileNotFoundError):
        return True
    text = str(exc).lower()
    return isinstance(exc, pl.exceptions.ComputeError) and any(m in text for m in _EMPTY_LISTING)


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
