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
  ``**/*.parquet`` glob used here (and by DuckDB) never sees them, even after a crash.
* **Idempotent appends.** Rows already stored (same key, see :data:`TABLE_KEYS`) are dropped at
  write time, reading only the keys of the partitions being written. Appending the same fetch
  twice writes nothing the second time. An append that fails part-way (one file per table and
  partition) leaves every file either complete or absent; running the same append again writes
  exactly what is missing.
* **Demo and live data never mix.** Frames that say where they come from (``source`` of
  ``AnalyticsFrames``: ``"demo"`` or ``"live"``) mark the store on first write (``_store.json``);
  appending data from the other source raises :class:`StoreError`. (Local folders only.)
* **One writer at a time.** Two processes appending to one store at the same moment may both
  write a row; run one tracker per store.

For URLs (``s3://...``, ``gs://...``, ``az://...``) files are written directly with
:meth:`polars.DataFrame.write_parquet` and ``storage_options``: object stores have no atomic
rename, but a single object upload is all-or-nothing on those services, so readers still never
see half a file. Duplicates are dropped in the same way.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import polars as pl

from . import schema as S

if TYPE_CHECKING:  # pragma: no cover
    from .normalize import AnalyticsFrames

__all__ = ["TABLE_KEYS", "TABLES", "SnapshotStore", "StoreError"]

NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
_TMP_PREFIX = "."
_TMP_SUFFIX = ".tmp"
_META = "_store.json"


class StoreError(OSError):
    """The store's path cannot be used (not a folder, not writable) or a write failed."""


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
        S.ERRORS_SCHEMA,
        (*S.POST_KEY, "code", "message", "http_status", "fetched_at"),
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
        _replace: Callable[[str | os.PathLike[str], str | os.PathLike[str]], None] = os.replace,
    ) -> None:
        raw = os.fspath(path)
        if raw.startswith("file://"):
            raw = raw[len("file://") :]
        self.is_url = _is_url(raw)
        self.path = raw.rstrip("/") if self.is_url else str(Path(raw).expanduser())
        self.storage_options = dict(storage_options) if storage_options else None
        self._replace = _replace
        if not self.is_url:
            self._check_local_path()

    def __repr__(self) -> str:
        return f"SnapshotStore({self.path!r})"

    # ------------------------------------------------------------------ paths

    def _check_local_path(self) -> None:
        p = Path(self.path)
        if p.exists():
            if not p.is_dir():
                raise StoreError(f"snapshot store path {self.path!r} exists and is not a folder")
            if not os.access(p, os.W_OK | os.X_OK):
                raise StoreError(f"snapshot store folder {self.path!r} is not writable")
            return
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

    def _table_dir(self, table: str) -> str:
        return f"{self.path}/{table}"

    def _glob(self, table: str) -> str:
        return f"{self._table_dir(table)}/**/*.parquet"

    def _files(self, table: str) -> list[Path]:
        root = Path(self._table_dir(table))
        if not root.is_dir():
            return []
        return sorted(f for f in root.rglob("*.parquet") if not f.name.startswith(_TMP_PREFIX))

    def _has_data(self, table: str) -> bool:
        if not self.is_url:
            return bool(self._files(table))
        try:
            pl.scan_parquet(self._glob(table), storage_options=self.storage_options).head(
                0
            ).collect()
        except Exception:  # no object under the prefix yet
            return False
        return True

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
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"format": 1, "source": source}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)

    def append(self, frames: Any, *, source: str | None = None) -> dict[str, int]:
        """Store normalised frames; return how many new rows each table received.

        ``frames`` is an ``AnalyticsFrames`` (any object with ``long``, ``wide``, ``reactions``,
        ``breakdowns``, ``errors``, ``posts`` attributes) or a dict ``{table: frame}``. Each
        frame must have its table's columns (see :mod:`ayr_analysis.schema`). Rows already
        stored are skipped, so re-appending the same fetch returns zeros. ``source`` (``"demo"``
        or ``"live"``; taken from ``frames.source`` when not given) keeps demo and live data in
        separate stores.

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
        if any(f.height for f in tables.values()):
            self._claim_source(source)
        written: dict[str, int] = {}
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
        existing = self._existing_keys(list(folders.values()), key)
        if existing is not None and existing.height:
            frame = frame.join(
                existing, on=key, how="anti", nulls_equal=True, maintain_order="left"
            )
        total = 0
        parts = frame.partition_by(["platform", "__date"], as_dict=True, maintain_order=True)
        for part_key, part in sorted(parts.items(), key=lambda kv: _part_sort(kv[0])):
            self._write_file(part.drop("__date"), folders[part_key])
            total += part.height
        return total

    def _existing_keys(self, folders: list[str], key: Sequence[str]) -> pl.DataFrame | None:
        if self.is_url:
            found = []
            for folder in folders:
                try:
                    found.append(
                        pl.scan_parquet(f"{folder}/*.parquet", storage_options=self.storage_options)
                        .select(key)
                        .collect()
                    )
                except Exception:  # nothing stored under this prefix yet
                    continue
            return pl.concat(found) if found else None
        files = [
            str(f)
            for folder in folders
            if Path(folder).is_dir()
            for f in sorted(Path(folder).glob("*.parquet"))
            if not f.name.startswith(_TMP_PREFIX)
        ]
        if not files:
            return None
        return pl.scan_parquet(files, hive_partitioning=False).select(key).collect()

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

    # ----------------------------------------------------------------- reading

    def scan(self, table: str = "long") -> pl.LazyFrame:
        """All stored rows of ``table`` as a LazyFrame with the table's exact schema.

        Empty (but fully typed) when nothing is stored yet.

        >>> import tempfile
        >>> SnapshotStore(tempfile.mkdtemp()).scan("long").collect().height
        0
        """
        spec = _spec(table)
        if not self._has_data(table):
            return S.empty(spec.schema).lazy()
        lf = pl.scan_parquet(
            self._glob(table),
            hive_partitioning=True,
            hive_schema=_HIVE_SCHEMA,
            schema=spec.schema,
            missing_columns="insert",
            extra_columns="ignore",
            storage_options=self.storage_options,
        )
        return lf.select(spec.schema.names())

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
        return (
            self._filtered(table, post_ids, platforms, since, until)
            .sort([spec.time, *spec.entity], nulls_last=True)
            .collect()
        )

    def _filtered(
        self,
        table: str,
        post_ids: Iterable[str] | str | None,
        platforms: Iterable[str] | str | None,
        since: datetime | date | None,
        until: datetime | date | None,
    ) -> pl.LazyFrame:
        spec = _spec(table)
        lf = self.scan(table)
        if platforms is not None:
            lf = lf.filter(pl.col("platform").is_in(_as_list(platforms, "platforms")))
        if post_ids is not None:
            lf = lf.filter(pl.col("post_id").is_in(_as_list(post_ids, "post_ids")))
        if since is not None:
            lf = lf.filter(pl.col(spec.time) >= _as_utc(since, end=False))
        if until is not None:
            lf = lf.filter(pl.col(spec.time) <= _as_utc(until, end=True))
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
        lf = self._filtered(table, post_ids, platforms, None, None)
        if table == "posts":
            if not self._has_data(table):
                return lf.collect()
            lf = pl.scan_parquet(
                self._glob(table),
                hive_partitioning=True,
                hive_schema=_HIVE_SCHEMA,
                schema=spec.schema,
                missing_columns="insert",
                extra_columns="ignore",
                include_file_paths="__file",
                storage_options=self.storage_options,
            )
            if platforms is not None:
                lf = lf.filter(pl.col("platform").is_in(_as_list(platforms, "platforms")))
            if post_ids is not None:
                lf = lf.filter(pl.col("post_id").is_in(_as_list(post_ids, "post_ids")))
            lf = lf.with_columns(pl.col("__file").str.extract(r"part-([^/\\]+)\.parquet$"))
            order = ["__file"]
        else:
            # the table's time first, then the other snapshot times it has
            order = [
                spec.time,
                *(t for t in S.SNAPSHOT_TIMES if t in spec.schema and t != spec.time),
            ]
        entity = list(spec.entity)
        if table == "posts":
            lf = lf.group_by(entity).agg(pl.all().sort_by(order, maintain_order=True).last())
        else:
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
        return (
            self.scan("wide")
            .group_by(*S.POST_KEY)
            .agg(
                pl.col("next_update").max(),
                pl.col("observed_at").max().alias("last_observed_at"),
            )
            .sort(*S.POST_KEY)
            .collect()
        )

    def summary(self) -> pl.DataFrame:
        """One row per table: rows, files, posts, platforms, time span, bytes, stray temp files.

        >>> import tempfile
        >>> SnapshotStore(tempfile.mkdtemp()).summary()["rows"].to_list()
        [0, 0, 0, 0, 0, 0]
        """
        rows = []
        for name, spec in TABLES.items():
            stats = (
                self.scan(name)
                .select(
                    pl.len().alias("rows"),
                    pl.col("post_id").n_unique().alias("posts"),
                    pl.col("platform").drop_nulls().unique().sort().alias("platforms").implode(),
                    pl.col(spec.time).min().alias("first"),
                    pl.col(spec.time).max().alias("last"),
                )
                .collect()
                .row(0, named=True)
            )
            if self.is_url:
                files = size = stray = None
            else:
                found = self._files(name)
                files, size = len(found), sum(f.stat().st_size for f in found)
                root = Path(self._table_dir(name))
                stray = (
                    sum(1 for _ in root.rglob(f"{_TMP_PREFIX}*{_TMP_SUFFIX}"))
                    if root.is_dir()
                    else 0
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
