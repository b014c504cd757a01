"""Raw Ayrshare answers -> tidy polars frames with the schemas of :mod:`ayr_analysis.schema`.

Pure: no I/O. One pass over the decoded JSON collects plain Python lists; every frame is then
built once, with its schema, and the per-metric work (unit conversion, precedence between fields,
the wide pivot, engagement sums) is done by polars on whole columns.

* ``null`` means *not reported*, ``0`` means *reported zero*: never one for the other.
* Sentinels (``"-"``, ``""``, ``None``) become null silently; a value of the wrong type where a
  number is expected becomes null and raises one :class:`DataQualityWarning` per network and
  field per call. Unknown shapes never raise.

The mapping decisions are in ``docs/METRICS.md`` and in the field maps of
:mod:`ayr_analysis.platforms`.
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import repeat
from typing import Any

import polars as pl

from . import platforms
from .platforms import PlatformSpec
from .schema import (
    ACCOUNT_SCHEMA,
    BREAKDOWNS_SCHEMA,
    CANONICAL_METRICS,
    COUNT_METRICS,
    ERRORS_SCHEMA,
    LONG_SCHEMA,
    POSTS_SCHEMA,
    REACTIONS_SCHEMA,
    THREAD_TOTALS_SCHEMA,
    UTC_TIME,
    WIDE_SCHEMA,
    empty,
)

__all__ = [
    "AnalyticsFrames",
    "DataQualityWarning",
    "normalize",
    "normalize_history",
    "normalize_social",
    "with_post_metadata",
]


class DataQualityWarning(UserWarning):
    """A value of the wrong type or shape was found where a number or an object was expected.

    The value became null (or was skipped); the message names the network and the field.
    """


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_MAX_INT = 2**63 - 1
_MAX_COUNT = 9.2e18  # a float beyond this does not fit an Int64 count
_INT64_EDGE = 2.0**63 - 1024  # floats from here on may come from an int beyond Int64
_MIN_US = -62_135_596_800_000_000  # 0001-01-01
_MAX_US = 253_402_300_799_000_000  # 9999-12-31
_SENTINELS = frozenset({"", "-"})
_MAX_DEPTH = 24
#: Up to this many numbers per call the wide columns are filled in plain Python (less overhead);
#: above it, by polars on whole columns. Both give the same frame.
SMALL_BATCH = 50_000
_BAD = object()  # a value of the wrong type (distinct from None = not reported)

#: Keys of the answer envelope that are never a network.
_ENVELOPE = frozenset(
    {"status", "id", "errors", "action", "code", "message", "postIds", "details", "refId"}
)

#: Ayrshare error codes known to be permanent (retrying the same call gives the same answer).
NON_RETRYABLE_CODES = frozenset({107, 110, 156, 161, 186, 221, 272, 419, 485})
#: Ayrshare error codes known to be transient (435: Instagram's own rate limit).
RETRYABLE_CODES = frozenset({435})

_MEDIA_TYPES: dict[str, str | None] = {
    "image": "image",
    "images": "image",
    "photo": "image",
    "picture": "image",
    "video": "video",
    "videos": "video",
    "reel": "reel",
    "reels": "reel",
    "clips": "reel",
    "story": "story",
    "stories": "story",
    "carousel": "carousel",
    "carousel_album": "carousel",
    "album": "carousel",
    "multiple_images": "carousel",
    "text": "text",
    "status": "text",
    "link": "link",
    "article": "article",
    "document": "document",
    "gif": "gif",
    "animated_gif": "gif",
    "poll": "poll",
    "short": "short",
    "shorts": "short",
    "feed": None,  # Instagram's mediaProductType FEED says nothing: look at mediaType
}

_METRIC_POS = {m: i for i, m in enumerate(CANONICAL_METRICS)}
_SPECS: dict[str, PlatformSpec] = dict(platforms.REGISTRY)  # a plain dict: quicker look-ups
_COUNT_SET = frozenset(COUNT_METRICS)
_KEY_COLS = ("post_id", "platform", "social_id", "thread_position", "observed_at", "fetched_at")
_OBS_COLS = (
    *_KEY_COLS,
    "last_updated",
    "next_update",
    "url",
    "published_at",
    "media_type",
    "text",
)
_OBS_SCHEMA = pl.Schema({c: WIDE_SCHEMA[c] for c in _OBS_COLS})


def _frame(rows: list[tuple[Any, ...]], schema: pl.Schema) -> pl.DataFrame:
    """One frame from row tuples whose datetimes are epoch microseconds.

    The rows are transposed in C (``zip``) and each column built as one typed series: much
    cheaper than letting polars read the tuples row by row.
    """
    if not rows:
        return empty(schema)
    series = []
    for (name, dtype), values in zip(schema.items(), zip(*rows, strict=True), strict=True):
        if dtype == UTC_TIME:
            series.append(pl.Series(name, values, dtype=pl.Int64).cast(UTC_TIME))
        else:
            series.append(pl.Series(name, values, dtype=dtype))
    return pl.DataFrame(series)


def _side_frame(
    obs: pl.DataFrame, idx: Sequence[int], own: Sequence[Sequence[Any]], schema: pl.Schema
) -> pl.DataFrame:
    """A side frame from the observation index of each row and the columns of its own: the
    columns it shares with the observations (post, network, times) are gathered from ``obs``
    in one step."""
    if not idx:
        return empty(schema)
    shared = [c for c in schema if c in obs.schema]
    own_names = [c for c in schema if c not in obs.schema]
    keys = obs.select(pl.col(shared).gather(pl.Series(idx, dtype=pl.UInt32)))
    mine = pl.DataFrame(
        [pl.Series(c, v, dtype=schema[c]) for c, v in zip(own_names, own, strict=True)]
    )
    return pl.concat([keys, mine], how="horizontal").select(schema.names()).cast(dict(schema))


# ---------------------------------------------------------------------------------------------
# scalar helpers


@lru_cache(maxsize=16384)
def _iso_us(text: str) -> int | None:
    try:
        dt = datetime.fromisoformat(text.strip())
    except (ValueError, OverflowError):
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - _EPOCH) // _US


@lru_cache(maxsize=16384)
def _text_us(text: str) -> Any:
    """A time sent as text: epoch microseconds, None for a sentinel, _BAD when unreadable."""
    if text.strip() in _SENTINELS:
        return None
    r = _iso_us(text)
    return _BAD if r is None else r


def _dt_us(dt: datetime) -> int:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - _EPOCH) // _US


def _to_us(v: Any) -> Any:
    """A time as epoch microseconds; None when absent or a sentinel; _BAD when unusable."""
    if v is None:
        return None
    t = type(v)
    if t is str:
        return _text_us(v)
    if t is dict:  # Firestore timestamps: {"_seconds", "_nanoseconds"} (+ "utc" on newer items)
        utc = v.get("utc")
        if type(utc) is str and (r := _iso_us(utc)) is not None:
            return r
        s = v.get("_seconds")
        if type(s) is int or type(s) is float:
            ns = v.get("_nanoseconds")
            extra = ns // 1000 if type(ns) is int else 0
            x = s * 1_000_000
            if x - x != 0:  # not finite, or too large once in microseconds
                return _BAD
            r = round(x) + extra
            return r if _MIN_US <= r <= _MAX_US else _BAD
        return _BAD
    if t is int or t is float:  # epoch seconds, or milliseconds when too large for seconds
        x = v * 1000 if abs(v) > 1e11 else v * 1_000_000
        if x - x != 0:  # not finite, or too large once in microseconds
            return _BAD
        r = round(x)
        return r if _MIN_US <= r <= _MAX_US else _BAD
    if isinstance(v, datetime):
        return _dt_us(v)
    return _BAD


def _number(v: Any) -> Any:
    """A value where a number is expected: int/float, None (not reported) or _BAD."""
    t = type(v)
    if t is int:
        return v if -_MAX_INT <= v <= _MAX_INT else _BAD
    if t is float:
        return v if v - v == 0 else _BAD
    if v is None:
        return None
    if t is str:
        s = v.strip()
        if s in _SENTINELS:
            return None
        try:
            n: int | float = int(s)
        except ValueError:
            try:
                n = float(s)
            except ValueError:
                return _BAD
        return _number(n)
    if t is bool:
        return _BAD
    if isinstance(v, (int, float)):  # numpy scalars, Decimal subclasses of int/float
        return _number(float(v))
    return _BAD


def _int(v: Any) -> int | None:
    n = _number(v)
    if n is None or n is _BAD:
        return None
    return int(n) if n == int(n) else None


def _str_id(v: Any) -> Any:
    t = type(v)
    if t is str:
        return v if v.strip() not in _SENTINELS else None
    if t is int:
        return str(v)
    return None if v is None else _BAD


@lru_cache(maxsize=1024)
def _media_type(v: str) -> str | None:
    key = v.strip().lower()
    if key in _MEDIA_TYPES:
        return _MEDIA_TYPES[key]
    return key.replace("_", " ").replace("-", " ") or None


def _look(obj: dict[str, Any], analytics: dict[str, Any] | None, path: str) -> Any:
    """``path`` on the network object, else inside ``analytics``."""
    if "." in path:
        v = _dig(obj, path)
        return _dig(analytics, path) if v is None and analytics is not None else v
    v = obj.get(path)
    return analytics.get(path) if v is None and analytics is not None else v


def _dig(d: Any, path: str) -> Any:
    if "." not in path:
        return d.get(path) if type(d) is dict else None
    for part in path.split("."):
        if type(d) is not dict:
            return None
        d = d.get(part)
    return d


def _path(prefix: str, key: Any) -> str:
    return prefix + (key if type(key) is str else str(key))


# where a metadata path is found, for objects of one shape (see _meta_plan)
_ON_OBJECT, _IN_ANALYTICS, _ON_BOTH, _DOTTED = 0, 1, 2, 3


def _meta_plan(
    spec: PlatformSpec, obj_keys: tuple[Any, ...], analytics_keys: tuple[Any, ...] | None
) -> tuple[tuple[tuple[str, int], ...], ...]:
    """For network objects with these keys (and analytics with these), the metadata paths
    worth looking at, in order: url, published time, media type, text. A path on neither
    object is left out (it would give None); dotted paths are always looked at."""
    on_obj = set(obj_keys)
    in_analytics = set(analytics_keys or ())

    def where(paths: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
        out = []
        for p in paths:
            if "." in p:
                out.append((p, _DOTTED))
            elif p in on_obj:
                out.append((p, _ON_BOTH if p in in_analytics else _ON_OBJECT))
            elif p in in_analytics:
                out.append((p, _IN_ANALYTICS))
        return tuple(out)

    return (
        where(spec.url_paths),
        where(spec.published_paths),
        where(spec.media_type_paths),
        where(spec.text_paths),
    )


def _meta(obj: dict[str, Any], analytics: dict[str, Any] | None, path: str, where: int) -> Any:
    """``path`` on the network object, else inside ``analytics`` (``where``: see _meta_plan)."""
    if where == _ON_OBJECT:
        return obj[path]
    if where == _IN_ANALYTICS:
        return analytics[path]  # type: ignore[index]
    if where == _ON_BOTH:
        v = obj[path]
        return analytics[path] if v is None else v  # type: ignore[index]
    return _look(obj, analytics, path)


class _Place:
    """What the walk learnt of the keys met at one place (network, prefix, depth): the field
    code of each numeric key, the keys whose values are metadata (text, lists, booleans), and
    the places of the objects found under keys."""

    __slots__ = ("children", "codes", "depth", "dull", "lookups", "prefix")

    def __init__(self, prefix: str, depth: int) -> None:
        self.prefix = prefix
        self.depth = depth
        self.codes: dict[str, int] = {}
        self.dull: set[str] = set()
        self.children: dict[str, _Place] = {}
        self.lookups = (self.codes.get, self.dull, self.children)  # bound once, for the walk


def _kind(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(v), type(v).__name__
    )


def _retryable(code: int | None, http_status: int | None) -> bool | None:
    if code in RETRYABLE_CODES:
        return True
    if code in NON_RETRYABLE_CODES:
        return False
    if http_status is not None:
        return http_status == 429 or http_status >= 500
    return None


def _now_us() -> int:
    return _dt_us(datetime.now(UTC))


def _fetched_us(fetched_at: Any) -> int:
    if fetched_at is None:
        return _now_us()
    if isinstance(fetched_at, datetime):
        return _dt_us(fetched_at)
    raise TypeError(f"fetched_at must be a datetime (UTC) or None, not {type(fetched_at).__name__}")


# ---------------------------------------------------------------------------------------------
# the one-pass collector


class _Collector:
    """Walks answers once and collects row tuples and flat value lists."""

    def __init__(self) -> None:
        # one tuple per observation (post x network x tweet) in the order of _OBS_COLS;
        # transposed into columns once, at the end
        self.obs: list[tuple[Any, ...]] = []
        self.counts: list[int] = []  # long rows per observation
        self.codes: list[int] = []  # per long row: index into the field table
        self.raws: list[int | float] = []  # per long row: the raw value
        self.appends = (self.codes.append, self.raws.append)  # bound once, for the walk
        # reactions as columns: observation index, reaction, count
        self.r_obs: list[int] = []
        self.r_key: list[str] = []
        self.r_count: list[int] = []
        self.reaction_keys: dict[str, str] = {}  # label as sent -> reaction
        # side rows: (index of the observation, then the columns of their own)
        self.breakdowns: list[tuple[Any, ...]] = []
        self.errors: list[tuple[Any, ...]] = []
        self.error_seen: set[tuple[Any, ...]] = set()
        # field table: one entry per (platform, path) seen in this call
        self.pcodes: dict[str, dict[str, int]] = {}
        self.t_platform: list[str] = []
        self.t_field: list[str] = []
        self.t_metric: list[str | None] = []
        self.t_unit: list[str | None] = []
        self.t_mul: list[float] = []
        self.t_div: list[float] = []
        self.t_prio: list[int] = []
        self.adhoc: dict[str, PlatformSpec] = {}
        # (network, prefix, depth) -> what the walk learnt of the keys met there
        self.places: dict[tuple[str, str, int], _Place] = {}
        # (network, keys of the network object, keys of analytics) -> where its metadata is
        # (and the place of its analytics objects)
        self.meta_plans: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self.warned: dict[tuple[str | None, str | None], str] = {}

    def release(self) -> None:
        """Drop the collected rows (the frames are built): only the warnings are kept."""
        for name, value in vars(self).items():
            if name != "warned" and isinstance(value, (list, dict, set)):
                value.clear()

    # -- warnings -------------------------------------------------------------------------------
    def bad(
        self,
        platform: str | None,
        fieldname: str | None,
        what: str,
        outcome: str = "treated as not reported (null)",
    ) -> None:
        key = (platform, fieldname)
        if key not in self.warned:
            where = f"network {platform!r}" if platform else "answer"
            if fieldname:
                where += f", field {fieldname!r}"
            self.warned[key] = f"{where}: {what}; {outcome}"

    def post_id(self, platform: str | None, value: Any) -> str | None:
        """An id that is not plain text: a number as text, None for a sentinel or null, and
        None with a warning for anything else."""
        pid = _str_id(value)
        if pid is _BAD:
            self.bad(platform, "id", f"expected a post id, got {_kind(value)}")
            return None
        return pid

    # -- answers -------------------------------------------------------------------------------
    def answer(
        self, ans: Any, fetched: int, post_hint: Any = None, status_code: Any = None
    ) -> None:
        if not isinstance(ans, dict):
            if ans is not None:
                self.bad(None, None, f"expected an answer object, got {_kind(ans)}")
            return
        pid = ans.get("id")
        if type(pid) is not str or pid.strip() in _SENTINELS:  # plain text is kept as it is
            pid = self.post_id(None, pid)
        if pid is None and type(post_hint) is str:
            pid = post_hint
        listed = False
        errs = ans.get("errors")
        if type(errs) is list:
            for e in errs:
                if type(e) is dict:
                    p = e.get("platform")
                    self.error(pid, p.lower() if type(p) is str else None, e, fetched)
                    listed = True
                elif e is not None:
                    self.bad(None, "errors", f"expected error objects, got {_kind(e)}")
        elif errs is not None:
            self.bad(None, "errors", f"expected a list, got {_kind(errs)}")
        http = status_code if type(status_code) is int and status_code >= 400 else None
        if not listed and (
            (ans.get("status") == "error" and ("code" in ans or "message" in ans))
            or http is not None
        ):
            self.error(pid, None, ans, fetched, http)
        registry = _SPECS
        for key, value in ans.items():
            spec = registry.get(key)
            if spec is None:
                if key in _ENVELOPE or type(key) is not str or not _looks_like_network(value):
                    continue
                spec = self.adhoc.get(key)
                if spec is None:
                    spec = self.adhoc[key] = PlatformSpec(name=key)
            if type(value) is dict:  # the common case, without the call to network()
                self.observation(spec, value, pid, 0, fetched)
            else:
                self.network(spec, value, pid, fetched)

    def network(self, spec: PlatformSpec, value: Any, pid: str | None, fetched: int) -> None:
        t = type(value)
        if t is dict:
            self.observation(spec, value, pid, 0, fetched)
        elif t is list:
            for i, item in enumerate(value):
                if type(item) is dict:
                    self.observation(spec, item, pid, i, fetched)
                elif item is not None:
                    self.bad(
                        spec.name, None, f"expected post objects in the list, got {_kind(item)}"
                    )
        elif value is None or (t is str and value.strip() in _SENTINELS):
            return
        else:
            self.bad(spec.name, None, f"expected an object, got {_kind(value)}")

    def error(
        self,
        pid: str | None,
        platform: str | None,
        err: Mapping[str, Any],
        fetched: int,
        http: int | None = None,
    ) -> None:
        code = _int(err.get("code"))
        msg = err.get("message")
        if type(msg) is not str:
            alt = err.get("error")
            msg = alt if type(alt) is str else (None if msg is None else str(msg))
        if http is None:
            for k in ("httpStatus", "statusCode", "http_status"):
                if (h := _int(err.get(k))) is not None:
                    http = h
                    break
        retry = err.get("retryAvailable")
        if type(retry) is not bool:
            retry = _retryable(code, http)
        row = (pid, platform, code, msg, http, retry, fetched)
        if row not in self.error_seen:  # the same failure both in place and in `errors`
            self.error_seen.add(row)
            self.errors.append(row)

    def failure(self, failure: Any, fetched: int) -> None:
        err = getattr(failure, "error", None)
        pid = getattr(failure, "post_id", None)
        platform = getattr(err, "platform", None)
        code = _int(getattr(err, "code", None))
        http = _int(getattr(err, "http_status", None))
        msg = getattr(err, "message", None)
        if msg is None and err is not None:
            msg = str(err)
        retry = getattr(err, "retryable", None)
        if type(retry) is not bool:
            retry = _retryable(code, http)
        self.errors.append(
            (
                None if pid is None else str(pid),
                platform.lower() if type(platform) is str else None,
                code,
                None if msg is None else str(msg),
                http,
                retry,
                fetched,
            )
        )

    # -- one post on one network (one tweet of a thread) ---------------------------------------
    def observation(
        self, spec: PlatformSpec, obj: dict[str, Any], pid: str | None, pos: int, fetched: int
    ) -> None:
        name = spec.name
        if obj.get("status") == "error":
            self.error(pid, name, obj, fetched)
            return
        sid = obj.get("id")
        if type(sid) is not str or sid.strip() in _SENTINELS:  # plain text is kept as it is
            sid = self.post_id(name, sid)
        v = obj.get("lastUpdated")
        last = _text_us(v) if type(v) is str else _to_us(v)
        if last is _BAD:
            self.bad(name, "lastUpdated", "not a time")
            last = None
        v = obj.get("nextUpdate")
        nxt = _text_us(v) if type(v) is str else _to_us(v)
        if nxt is _BAD:
            self.bad(name, "nextUpdate", "not a time")
            nxt = None
        observed = fetched if last is None else last
        analytics = obj.get("analytics")
        if type(analytics) is dict:
            shape = (name, tuple(obj), tuple(analytics))
        else:
            if analytics is not None and not (
                type(analytics) is str and analytics.strip() in _SENTINELS
            ):
                self.bad(name, "analytics", f"expected an object, got {_kind(analytics)}")
            analytics = None
            shape = (name, tuple(obj), None)

        # metadata: on the network object first, then inside analytics; only the paths that
        # objects of this shape have are looked at
        plan = self.meta_plans.get(shape)
        if plan is None:
            plan = self.meta_plans[shape] = (
                *_meta_plan(spec, shape[1], shape[2]),
                self.place(spec, "", 0),
            )
        url_paths, published_paths, media_paths, text_paths, top = plan
        url = text = media = published = None
        for p, where in url_paths:
            v = obj[p] if where == _ON_OBJECT else _meta(obj, analytics, p, where)
            if type(v) is str:
                if v:
                    url = v
                    break
            elif v is not None:
                self.bad(name, p, f"expected a URL, got {_kind(v)}")
        for p, where in published_paths:
            v = obj[p] if where == _ON_OBJECT else _meta(obj, analytics, p, where)
            if v is not None:
                ts = _text_us(v) if type(v) is str else _to_us(v)
                if ts is _BAD:
                    self.bad(name, p, "not a time")
                elif ts is not None:
                    published = ts
                    break
        for p, where in media_paths:
            v = obj[p] if where == _ON_OBJECT else _meta(obj, analytics, p, where)
            if type(v) is str:
                if (m := _media_type(v)) is not None:
                    media = m
                    break
            elif v is not None:
                self.bad(name, p, f"expected a media type, got {_kind(v)}")
        if media is None:
            media = spec.default_media_type
        for p, where in text_paths:
            v = obj[p] if where == _ON_OBJECT else _meta(obj, analytics, p, where)
            if type(v) is str and v:
                text = v
                break

        self.obs.append(
            (pid, name, sid, pos, observed, fetched, last, nxt, url, published, media, text)
        )
        if analytics is None:
            self.counts.append(0)
            return
        n0 = len(self.codes)
        self.walk(analytics, top, spec)
        self.counts.append(len(self.codes) - n0)
        if spec.reaction_paths:
            self.reaction_rows(spec, analytics, len(self.obs) - 1)
        if spec.breakdowns:
            self.breakdown_rows(spec, analytics, len(self.obs) - 1)

    def place(self, spec: PlatformSpec, prefix: str, depth: int) -> _Place:
        """The place ``prefix`` (at ``depth``) on network ``spec``, made the first time."""
        key = (spec.name, prefix, depth)
        place = self.places.get(key)
        if place is None:
            place = self.places[key] = _Place(prefix, depth)
        return place

    def key_code(self, spec: PlatformSpec, place: _Place, key: Any) -> int:
        """The code of the field at ``key`` of ``place``, made the first time it is met."""
        path = _path(place.prefix, key)
        pcodes = self.pcodes.get(spec.name)
        if pcodes is None:
            pcodes = self.pcodes[spec.name] = {}
        code = pcodes.get(path)
        if code is None:
            code = self.intern(spec, pcodes, path)
        if type(key) is str:  # other keys (1, True, 1.0 are one dict key) keep their own path
            place.codes[key] = code
        return code

    def walk(self, d: dict[Any, Any], place: _Place, spec: PlatformSpec) -> None:
        """Every number in ``d`` (the object at ``place``), in the order of its keys.

        The common cases cost one set or dictionary look-up per key: a number under a field met
        before, an object under a key met before, text under a key known to hold metadata. The
        field's path is only spelled out for the other values (``other``). Numbers are checked
        all at once when the frames are built (``checked_numbers``).
        """
        code_append, raw_append = self.appends
        get_code, dull, children = place.lookups
        for k, v in d.items():
            t = type(v)
            if t is int or t is float:  # checked in bulk later (infinite, beyond Int64)
                code = get_code(k)
                if code is None:
                    code = self.key_code(spec, place, k)
                code_append(code)
                raw_append(v)
            elif t is dict:
                child = children.get(k)
                if child is None:
                    self.other(spec, place, k, v)
                else:
                    self.walk(v, child, spec)
            elif v is not None and k not in dull:
                self.other(spec, place, k, v)

    def other(self, spec: PlatformSpec, place: _Place, k: Any, v: Any) -> None:
        """A value that is not a plain number: an object to walk, a known numeric field sent as
        text or another type, or metadata (other strings, lists, booleans: not numbers)."""
        path = _path(place.prefix, k)
        t = type(v)
        field_map = spec.field_map
        if t is dict:
            if path in field_map:
                self.bad(
                    spec.name,
                    path,
                    "expected a number, got an object",
                    "treated as not reported (null); its numbers kept in long, unmapped",
                )
            if place.depth < _MAX_DEPTH:
                child = self.place(spec, path + ".", place.depth + 1)
                if type(k) is str and path not in field_map:  # next time, walked at once
                    place.children[k] = child
                self.walk(v, child, spec)
            else:
                self.bad(spec.name, path, "nested too deeply")
        elif path in field_map:  # a known numeric field sent as text or as another type
            n = _number(v)
            if n is _BAD:
                self.bad(spec.name, path, f"expected a number, got {_kind(v)}")
            elif n is not None:
                code = place.codes.get(k)
                if code is None:
                    code = self.key_code(spec, place, k)
                self.codes.append(code)
                self.raws.append(n)
        elif path in spec.container_paths:
            if t is not str or v.strip() not in _SENTINELS:
                self.bad(spec.name, path, f"expected an object, got {_kind(v)}")
        elif type(k) is str:  # metadata under this key, whatever it holds next time (but objects)
            place.dull.add(k)

    def intern(self, spec: PlatformSpec, pcodes: dict[str, int], path: str) -> int:
        code = len(self.t_field)
        fs = spec.field_map.get(path)
        self.t_platform.append(spec.name)
        self.t_field.append(path)
        if fs is None:
            self.t_metric.append(None)
            self.t_unit.append(None)
            self.t_mul.append(1.0)
            self.t_div.append(1.0)
            self.t_prio.append(0)
        else:
            self.t_metric.append(fs.metric)
            self.t_unit.append(fs.unit)
            self.t_mul.append(fs.multiplier)
            self.t_div.append(fs.divisor)
            self.t_prio.append(spec.priority.get(path, 0))
        if path in spec.container_paths:
            self.bad(spec.name, path, "expected an object, got a number", "kept in long, unmapped")
        pcodes[path] = code
        return code

    # -- side frames ---------------------------------------------------------------------------
    def reaction_rows(self, spec: PlatformSpec, analytics: dict[str, Any], obs: int) -> None:
        name = spec.name
        for path in spec.reaction_paths:
            v = _dig(analytics, path)
            pairs: Iterable[tuple[Any, Any]] = ()
            if type(v) is dict:
                pairs = v.items()
            elif type(v) is list:  # [{"type": "LIKE", "count": 3}, ...]
                pairs = listed = []
                for item in v:
                    if type(item) is not dict:
                        self.bad(name, path, f"expected reaction objects, got {_kind(item)}")
                        continue
                    label = next(
                        (item[k] for k in ("type", "reaction", "name") if type(item.get(k)) is str),
                        None,
                    )
                    c = next((item[k] for k in ("count", "value", "total") if k in item), None)
                    if label is None:
                        self.bad(name, path, "a reaction without a type")
                        continue
                    listed.append((label, c))
            elif v is not None:
                self.bad(name, path, f"expected reaction counts, got {_kind(v)}")
                continue
            keys: list[str] = []
            counts: list[int] = []
            known = self.reaction_keys
            for label, c in pairs:
                key = known.get(label) if type(label) is str else None
                if key is None:
                    if type(label) is not str:
                        label = str(label)
                    key = label.strip().lower()
                    known[label] = key
                if key == "total":
                    continue
                if type(c) is int and -9_200_000_000_000_000_000 <= c <= 9_200_000_000_000_000_000:
                    keys.append(key)
                    counts.append(c)
                    continue
                n = _number(c)
                if n is _BAD:
                    self.bad(name, f"{path}.{label}", f"expected a number, got {_kind(c)}")
                elif n is not None:
                    if abs(n) > _MAX_COUNT:
                        self.bad(name, f"{path}.{label}", "a number too large to be a count")
                        continue
                    keys.append(key)
                    counts.append(round(n))
            if keys:
                self.r_obs.extend(repeat(obs, len(keys)))
                self.r_key.extend(keys)
                self.r_count.extend(counts)
                return  # the first reaction object with counts wins

    def breakdown_rows(self, spec: PlatformSpec, analytics: dict[str, Any], obs: int) -> None:
        name = spec.name
        for b in spec.breakdowns:
            v = _dig(analytics, b.path)
            if v is None:
                continue
            div = 100.0 if b.raw_unit == "percent" else 1.0
            pairs: list[tuple[Any, Any]] = []
            if type(v) is list:
                for item in v:
                    if type(item) is not dict:
                        self.bad(name, b.path, f"expected share objects, got {_kind(item)}")
                        continue
                    key = next((item[k] for k in b.keys if type(item.get(k)) is str), None)
                    share = next((item[k] for k in b.values if k in item), None)
                    if key is None:
                        self.bad(name, b.path, "a share without a label")
                        continue
                    pairs.append((key, share))
            elif type(v) is dict:  # {"For You": 45.2, ...}
                pairs = [(str(k), s) for k, s in v.items()]
            else:
                self.bad(name, b.path, f"expected a list of shares, got {_kind(v)}")
                continue
            for key, share in pairs:
                n = _number(share)
                if n is _BAD:
                    self.bad(name, b.path, f"expected a share, got {_kind(share)}")
                elif n is not None:
                    self.breakdowns.append((obs, b.breakdown, key, n / div))

    # -- frames --------------------------------------------------------------------------------
    def obs_frame(self) -> pl.DataFrame:
        return _frame(self.obs, _OBS_SCHEMA)

    def frames(self, source: str | None) -> AnalyticsFrames:
        obs = self.obs_frame()
        long, metrics = self.long_frame(obs)
        wide = self.wide_frame(obs, metrics)
        return AnalyticsFrames(
            long=long,
            wide=wide,
            reactions=_side_frame(obs, self.r_obs, [self.r_key, self.r_count], REACTIONS_SCHEMA),
            breakdowns=_side_frame(
                obs,
                [row[0] for row in self.breakdowns],
                [[row[i] for row in self.breakdowns] for i in (1, 2, 3)],
                BREAKDOWNS_SCHEMA,
            ),
            errors=_frame(self.errors, ERRORS_SCHEMA),
            source=source,
        )

    def long_frame(self, obs: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame | None]:
        if not self.codes:
            return empty(LONG_SCHEMA), None
        counts = pl.DataFrame(
            {
                "i": pl.Series(range(len(self.counts)), dtype=pl.UInt32),
                "c": pl.Series(self.counts, dtype=pl.UInt32),
            }
        )
        obs_idx = (
            counts.filter(pl.col("c") > 0)
            .select(pl.col("i").repeat_by("c").explode())
            .to_series()
            .alias("obs")
        )
        code = pl.Series("code", self.codes, dtype=pl.UInt32)
        raw, dropped = self.checked_numbers()
        if dropped is not None:
            keep = pl.Series(dtype=pl.Boolean).extend_constant(True, len(self.raws))
            keep = keep.scatter(dropped, False)
            obs_idx, code, raw = obs_idx.filter(keep), code.filter(keep), raw.filter(keep)
            if raw.is_empty():
                return empty(LONG_SCHEMA), None
        # numbers first (cheap to filter), strings only for the long frame
        conv = pl.DataFrame(
            {
                "mul": pl.Series(self.t_mul, dtype=pl.Float64),
                "div": pl.Series(self.t_div, dtype=pl.Float64),
                "prio": pl.Series(self.t_prio, dtype=pl.Int32),
                "mpos": pl.Series(
                    [_METRIC_POS.get(m, -1) if m else -1 for m in self.t_metric], dtype=pl.Int16
                ),
            }
        ).select(pl.all().gather(code))
        value = (raw * conv["mul"] / conv["div"]).alias("value")
        names = pl.DataFrame(
            {
                "field": pl.Series(self.t_field, dtype=pl.String),
                "metric": pl.Series(self.t_metric, dtype=pl.String),
                "unit": pl.Series(self.t_unit, dtype=pl.String),
            }
        ).select(pl.all().gather(code))
        keys = obs.select(pl.col(list(_KEY_COLS)).gather(obs_idx))
        long = pl.concat([keys, names, pl.DataFrame([value, raw])], how="horizontal").select(
            LONG_SCHEMA.names()
        )
        metrics = pl.DataFrame([obs_idx, code, conv["mpos"], conv["prio"], value]).filter(
            pl.col("mpos") >= 0
        )
        return long, metrics

    def checked_numbers(self) -> tuple[pl.Series, list[int] | None]:
        """The raw values as Float64, and the rows to drop (None: none): an infinite float or
        a nan, an int beyond Int64. Checked by polars on the whole column; only the few
        suspect values are looked at in Python."""
        raws = self.raws
        try:
            raw = pl.Series("raw_value", raws, dtype=pl.Float64)
        except (OverflowError, TypeError, ValueError):  # an int too large even for a float
            suspects: Iterable[int] = [
                i for i, v in enumerate(raws) if type(v) is int or v - v != 0
            ]
            raw = None
        else:
            suspect = ~raw.is_finite() | (raw.abs() >= _INT64_EDGE)
            if not suspect.any():
                return raw, None
            suspects = suspect.arg_true().to_list()
        dropped = []
        for i in suspects:
            v = raws[i]
            if type(v) is float:
                if v - v == 0:
                    continue
                message = "not a finite number"
            elif -_MAX_INT <= v <= _MAX_INT:
                continue
            else:
                message = "a number too large to be a count"
            c = self.codes[i]
            self.bad(self.t_platform[c], self.t_field[c], message)
            dropped.append(i)
        if raw is None:
            gone = set(dropped)
            raw = pl.Series(
                "raw_value",
                [None if i in gone else v for i, v in enumerate(raws)],
                dtype=pl.Float64,
            )
        return raw, dropped or None

    def metric_columns(self, n: int, metrics: pl.DataFrame | None) -> dict[str, pl.Series]:
        """One column per reported canonical metric, the preferred field winning."""
        if metrics is None or metrics.height == 0:
            return {}
        if len(self.codes) <= SMALL_BATCH:
            return self.metric_columns_python(n, metrics)
        n_counts = len(COUNT_METRICS)
        ok = pl.col("value").is_finite() & (
            (pl.col("mpos") >= n_counts) | (pl.col("value").abs() <= _MAX_COUNT)
        )
        bad = metrics.filter(~ok)
        if bad.height:
            for c in bad["code"].unique().sort().to_list():
                self.bad(self.t_platform[c], self.t_field[c], "a number out of range")
            metrics = metrics.filter(ok)
        # one cell per observation and metric in a flat column (row-major), the fallback
        # fields written first and the preferred field last; then one column per metric
        n_metrics = len(CANONICAL_METRICS)
        cell = metrics["obs"].cast(pl.Int64) * n_metrics + metrics["mpos"]
        prio, value = metrics["prio"], metrics["value"]
        flat = pl.Series("v", [None], dtype=pl.Float64).extend_constant(None, n * n_metrics - 1)
        top = prio.max() or 0
        if top == 0:
            flat = flat.scatter(cell, value)
        else:
            for p in range(top, -1, -1):
                chosen = prio == p
                flat = flat.scatter(cell.filter(chosen), value.filter(chosen))
        exprs = []
        for mpos in metrics["mpos"].unique().sort().to_list():
            m = CANONICAL_METRICS[mpos]
            expr = pl.col("v").gather_every(n_metrics, mpos)
            if WIDE_SCHEMA[m] == pl.Int64:
                expr = expr.round(0).cast(pl.Int64)
            exprs.append(expr.alias(m))
        return {c.name: c for c in pl.DataFrame([flat]).select(exprs).get_columns()}

    def metric_columns_python(self, n: int, metrics: pl.DataFrame) -> dict[str, pl.Series]:
        """The same as the vectorised path, in plain Python: cheaper for small batches."""
        n_counts = len(COUNT_METRICS)
        t_platform, t_field = self.t_platform, self.t_field
        cols: dict[int, list[Any]] = {}
        prio_at: dict[tuple[int, int], int] = {}
        for obs, c, mpos, prio, v in metrics.iter_rows():
            if v - v != 0 or (mpos < n_counts and abs(v) > _MAX_COUNT):
                self.bad(t_platform[c], t_field[c], "a number out of range")
                continue
            if mpos < n_counts:
                v = round(v)
            col = cols.get(mpos)
            if col is None:
                col = cols[mpos] = [None] * n
            if col[obs] is None:
                col[obs] = v
                if prio:
                    prio_at[(mpos, obs)] = prio
            elif prio < prio_at.get((mpos, obs), 0):
                col[obs] = v
                prio_at[(mpos, obs)] = prio
        out = {}
        for mpos, values in cols.items():
            m = CANONICAL_METRICS[mpos]
            out[m] = pl.Series(m, values, dtype=WIDE_SCHEMA[m])
        return out

    def wide_frame(self, obs: pl.DataFrame, metrics: pl.DataFrame | None) -> pl.DataFrame:
        n = obs.height
        if n == 0:
            return empty(WIDE_SCHEMA)
        columns = self.metric_columns(n, metrics)
        exprs: list[pl.Expr | pl.Series] = []
        for m in CANONICAL_METRICS:
            if m == "engagements":
                continue
            if m in columns:
                exprs.append(columns[m].alias(m))
            else:
                exprs.append(pl.lit(None, WIDE_SCHEMA[m]).alias(m))
        wide = obs.with_columns(exprs)
        wide = wide.with_columns(_engagements_expr(obs["platform"].unique().to_list()))
        return wide.select(WIDE_SCHEMA.names())


def _looks_like_network(value: Any) -> bool:
    if type(value) is dict:
        return "analytics" in value or value.get("status") == "error"
    if type(value) is list and value and type(value[0]) is dict:
        return "analytics" in value[0]
    return False


def _engagements_expr(names: Iterable[str | None]) -> pl.Expr:
    """engagements = sum of the network's engagement metrics that were reported, else null."""
    expr: Any = pl.lit(None, pl.Int64)
    chain = None
    for name in names:
        spec = platforms.REGISTRY.get(name) if name else None
        if spec is None or not spec.engagement:
            continue
        terms = [
            pl.col(e) if isinstance(e, str) else pl.coalesce([pl.col(m) for m in e])
            for e in spec.engagement
        ]
        reported = pl.any_horizontal([t.is_not_null() for t in terms])
        value = pl.when(reported).then(pl.sum_horizontal(terms)).otherwise(None)
        cond = pl.col("platform") == name
        chain = pl.when(cond).then(value) if chain is None else chain.when(cond).then(value)
    if chain is not None:
        expr = chain.otherwise(None)
    return expr.cast(pl.Int64).alias("engagements")


# ---------------------------------------------------------------------------------------------
# public API


@dataclass
class AnalyticsFrames:
    """The frames built from analytics answers; every frame has its schema, also when empty.

    ``long``: every numeric field returned (LONG_SCHEMA); ``wide``: one row per post, network,
    tweet and observation with the canonical metrics (WIDE_SCHEMA); ``reactions``,
    ``breakdowns``, ``errors`` and ``posts`` the side frames; ``source`` is ``"demo"``,
    ``"live"`` or ``None`` (unknown).

    >>> frames = normalize({"id": "p1", "bluesky": {"analytics": {"likeCount": 3}}})
    >>> frames.wide.select("platform", "likes", "comments").row(0)
    ('bluesky', 3, None)
    """

    long: pl.DataFrame
    wide: pl.DataFrame
    reactions: pl.DataFrame
    breakdowns: pl.DataFrame
    errors: pl.DataFrame
    posts: pl.DataFrame = field(default_factory=lambda: empty(POSTS_SCHEMA))
    source: str | None = None

    _NAMES = ("long", "wide", "reactions", "breakdowns", "errors", "posts")

    @classmethod
    def empty(cls, source: str | None = None) -> AnalyticsFrames:
        """Frames with their full schemas and no rows.

        >>> AnalyticsFrames.empty().wide.height
        0
        """
        return cls(
            long=empty(LONG_SCHEMA),
            wide=empty(WIDE_SCHEMA),
            reactions=empty(REACTIONS_SCHEMA),
            breakdowns=empty(BREAKDOWNS_SCHEMA),
            errors=empty(ERRORS_SCHEMA),
            source=source,
        )

    @classmethod
    def concat(cls, frames_list: Iterable[AnalyticsFrames]) -> AnalyticsFrames:
        """Stack several results frame by frame. ``source`` is ``"demo"`` if any part is demo.

        >>> a = normalize({"id": "a", "youtube": {"analytics": {"views": 1}}})
        >>> b = normalize({"id": "b", "youtube": {"analytics": {"views": 2}}})
        >>> AnalyticsFrames.concat([a, b]).wide["views"].to_list()
        [1, 2]
        """
        items = list(frames_list)
        if not items:
            return cls.empty()
        parts = {n: pl.concat([getattr(f, n) for f in items], how="vertical") for n in cls._NAMES}
        sources = {f.source for f in items} - {None}
        source = "demo" if "demo" in sources else (sources.pop() if sources else None)
        return cls(**parts, source=source)

    def with_posts(self, posts: pl.DataFrame) -> AnalyticsFrames:
        """These frames with ``posts`` (the history frame) attached and the post metadata the
        analytics answer lacked (published time, text, url) filled in from it; see
        :func:`with_post_metadata`.

        >>> import datetime as dt
        >>> frames = normalize({"id": "p1", "facebook": {"id": "f1", "analytics": {"likeCount": 2}}})
        >>> posts = pl.DataFrame({"post_id": ["p1"], "platform": ["facebook"],
        ...     "created_at": [dt.datetime(2026, 9, 1, tzinfo=dt.UTC)], "text": ["Hello"]})
        >>> frames.with_posts(posts).wide.select("published_at", "text").row(0)
        (datetime.datetime(2026, 9, 1, 0, 0, tzinfo=zoneinfo.ZoneInfo(key='UTC')), 'Hello')
        """
        posts = _conform_posts(posts)
        wide = with_post_metadata(self.wide, posts)
        stacked = pl.concat([self.posts, posts], how="vertical").unique(
            subset=["post_id", "platform"], keep="last", maintain_order=True
        )
        return AnalyticsFrames(
            long=self.long, wide=wide, reactions=self.reactions, breakdowns=self.breakdowns,
            errors=self.errors, posts=stacked, source=self.source,
        )  # fmt: skip

    def thread_totals(self) -> pl.DataFrame:
        """Counts summed per post, network and fetch: a whole X thread as one row.

        A sum stays null when no tweet reported the metric. Networks without threads give their
        single row unchanged.

        >>> thread = [{"analytics": {"publicMetrics": {"likeCount": n}}} for n in (5, 2, 1)]
        >>> frames = normalize({"id": "t", "twitter": thread})
        >>> frames.thread_totals().select("tweets", "likes", "comments").row(0)
        (3, 8, None)
        """
        aggs: list[pl.Expr] = [
            pl.col("social_id").sort_by("thread_position").first(),
            pl.col("observed_at").max(),
            pl.len().cast(pl.Int32).alias("tweets"),
        ]
        aggs += [
            pl.when(pl.col(m).is_not_null().any()).then(pl.col(m).sum()).otherwise(None).alias(m)
            for m in COUNT_METRICS
        ]
        out = self.wide.group_by(["post_id", "platform", "fetched_at"], maintain_order=True).agg(
            aggs
        )
        return out.select(THREAD_TOTALS_SCHEMA.names()).cast(dict(THREAD_TOTALS_SCHEMA))

    def to_pandas(self) -> dict[str, Any]:
        """The six frames as pandas DataFrames, in a dict keyed by name: ``long``, ``wide``,
        ``reactions``, ``breakdowns``, ``errors``, ``posts`` (``source`` is not a frame: read
        it here). Columns keep their names and get pandas' nullable types (``Int64``,
        ``Float64``, ``boolean``, ``string``; times stay UTC), so a metric the network did not
        report stays ``<NA>``: never 0, and counts stay integers. One frame alone:
        ``frames.wide.to_pandas()`` (polars' own, with NumPy types: nulls become NaN there).

        Needs pandas: ``pip install 'ayr-analysis[pandas]'``.

        >>> frames = normalize({"id": "p1", "bluesky": {"analytics": {"likeCount": 3}}})
        >>> dfs = frames.to_pandas()
        >>> list(dfs)
        ['long', 'wide', 'reactions', 'breakdowns', 'errors', 'posts']
        >>> wide = dfs["wide"]
        >>> wide.loc[0, "platform"], int(wide.loc[0, "likes"]), bool(wide["comments"].isna()[0])
        ('bluesky', 3, True)
        >>> str(wide["likes"].dtype), len(dfs["errors"])
        ('Int64', 0)
        """
        mapper = _pandas_types()
        return {n: getattr(self, n).to_pandas(types_mapper=mapper) for n in self._NAMES}

    def __repr__(self) -> str:
        shapes = ", ".join(f"{n}={getattr(self, n).height} rows" for n in self._NAMES)
        return f"AnalyticsFrames({shapes}, source={self.source!r})"


#: What to install when pandas (or pyarrow, which polars converts through) is missing.
PANDAS_HINT = "pip install 'ayr-analysis[pandas]'"


def _pandas_types() -> Any:
    """The Arrow type -> pandas nullable dtype mapping for ``to_pandas`` (a ``types_mapper``);
    a clear ImportError naming the extra when pandas or pyarrow is missing."""
    try:
        import pandas as pd
        import pyarrow as pa
    except ImportError as exc:
        raise ImportError(
            f"to_pandas needs pandas and pyarrow, and {exc.name or 'one'} is not installed: "
            f"{PANDAS_HINT}"
        ) from exc

    def mapper(arrow_type: Any) -> Any:
        t = pa.types
        if t.is_boolean(arrow_type):
            return pd.BooleanDtype()
        if t.is_integer(arrow_type):
            sign = "UInt" if t.is_unsigned_integer(arrow_type) else "Int"
            return pd.api.types.pandas_dtype(f"{sign}{arrow_type.bit_width}")
        if t.is_floating(arrow_type) and arrow_type.bit_width in (32, 64):
            return pd.api.types.pandas_dtype(f"Float{arrow_type.bit_width}")
        if t.is_string(arrow_type) or t.is_large_string(arrow_type) or t.is_string_view(arrow_type):
            return pd.StringDtype()
        return None  # times, lists, ...: pyarrow's own conversion

    return mapper


def _conform_posts(posts: pl.DataFrame) -> pl.DataFrame:
    """``posts`` with every column of POSTS_SCHEMA (missing ones null), in its order."""
    missing = [pl.lit(None, POSTS_SCHEMA[c]).alias(c) for c in POSTS_SCHEMA if c not in posts]
    return posts.with_columns(missing).select(POSTS_SCHEMA.names()).cast(dict(POSTS_SCHEMA))


def with_post_metadata(wide: pl.DataFrame, posts: pl.DataFrame) -> pl.DataFrame:
    """Fill the wide frame's ``published_at``, ``text`` and ``url`` where the analytics answer
    left them null, from the history frame (``posts``: POSTS_SCHEMA).

    Many networks' analytics carry no publication time or text (Facebook, LinkedIn,
    Pinterest...), yet comparing posts at equal age needs the time. The network's own row of
    ``posts`` is used first, then any row of the same post. A scheduled post counts as published
    at its schedule time. Values the answer did give are never replaced; metrics are untouched.

    >>> import datetime as dt
    >>> wide = normalize({"id": "p1", "linkedin": {"analytics": {"likeCount": 1}}}).wide
    >>> posts = pl.DataFrame({"post_id": ["p1"], "platform": ["linkedin"],
    ...     "created_at": [dt.datetime(2026, 9, 1, tzinfo=dt.UTC)], "text": ["Hi"],
    ...     "url": ["https://linkedin.example/p1"]})
    >>> with_post_metadata(wide, posts).select("text", "url").row(0)
    ('Hi', 'https://linkedin.example/p1')
    """
    posts = _conform_posts(posts)
    published = pl.coalesce(
        pl.when(pl.col("type") == "schedule").then(pl.col("scheduled_at")), pl.col("created_at")
    )
    per_network = posts.select(
        "post_id",
        "platform",
        published.alias("__published"),
        pl.col("text").alias("__text"),
        pl.col("url").alias("__url"),
    ).unique(subset=["post_id", "platform"], keep="last", maintain_order=True)
    per_post = per_network.group_by("post_id", maintain_order=True).agg(
        pl.col("__published").drop_nulls().first().alias("__published_any"),
        pl.col("__text").drop_nulls().first().alias("__text_any"),
    )
    out = wide.join(per_network, on=["post_id", "platform"], how="left").join(
        per_post, on="post_id", how="left"
    )
    out = out.with_columns(
        pl.coalesce("published_at", "__published", "__published_any").alias("published_at"),
        pl.coalesce("text", "__text", "__text_any").alias("text"),
        pl.coalesce("url", "__url").alias("url"),
    )
    return out.select(wide.columns)


def _emit(collector: _Collector) -> None:
    for msg in collector.warned.values():
        warnings.warn(msg, DataQualityWarning, stacklevel=3)


def normalize(answers: Any, *, fetched_at: datetime | None = None) -> AnalyticsFrames:
    """Turn ``/analytics/post`` answers into :class:`AnalyticsFrames`.

    ``answers`` is one decoded answer (a dict, or an ``ApiResponse``), a list of them, or a
    ``BulkResult`` (anything with ``.responses`` and ``.failures``: failures become rows in
    ``errors``). ``fetched_at`` is used when an answer carries no ``received_at``; default: now.

    >>> from datetime import datetime, timezone
    >>> answer = {
    ...     "status": "success",
    ...     "id": "AYR1",
    ...     "youtube": {
    ...         "id": "vid1",
    ...         "analytics": {"views": 120, "likes": 0, "estimatedMinutesWatched": 12.5},
    ...         "lastUpdated": "2026-05-01T10:00:00Z",
    ...     },
    ...     "facebook": {"status": "error", "code": 161, "message": "Relink needed"},
    ... }
    >>> f = normalize(answer, fetched_at=datetime(2026, 5, 1, 11, tzinfo=UTC))
    >>> f.wide.select("platform", "views", "likes", "comments", "watch_time_s").row(0)
    ('youtube', 120, 0, None, 750.0)
    >>> f.errors.select("platform", "code", "retryable").row(0)
    ('facebook', 161, False)
    """
    default_us = _fetched_us(fetched_at)
    with _gc_paused():
        col = _Collector()
        frames = _normalize(col, answers, default_us)
        col.release()  # before the collector is back: nothing left for it to scan
    _emit(col)
    return frames


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the block (back on after, if it was on).

    Collecting creates many small containers that live until the frames are built; each
    automatic collection would also scan the (large) decoded answers, several times per call,
    for no garbage: reference counting frees what the walk leaves.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _normalize(col: _Collector, answers: Any, default_us: int) -> AnalyticsFrames:
    failures: Iterable[Any] = ()
    if isinstance(answers, Mapping):
        responses: Iterable[Any] = [answers]
    elif hasattr(answers, "responses") and hasattr(answers, "failures"):
        responses = answers.responses or ()
        failures = answers.failures or ()
    elif isinstance(answers, Iterable) and not isinstance(answers, (str, bytes)):
        responses = list(answers)
    else:
        responses = []
        if answers is not None:
            col.bad(None, None, f"expected answers, got {_kind(answers)}")
    flags: set[bool] = set()
    for r in responses:
        if type(r) is dict:  # a decoded answer: none of an ApiResponse's attributes
            col.answer(r, default_us)
            continue
        received = getattr(r, "received_at", None)
        fetched = _dt_us(received) if isinstance(received, datetime) else default_us
        demo = getattr(r, "demo", None)
        if type(demo) is bool:
            flags.add(demo)
        col.answer(r, fetched, getattr(r, "request_id", None), getattr(r, "status_code", None))
    for f in failures:
        col.failure(f, default_us)
    source = "demo" if True in flags else ("live" if False in flags else None)
    return col.frames(source)


# ---------------------------------------------------------------------------------------------
# history


def _history_platform_hint(answer: Any) -> str | None:
    endpoint = getattr(answer, "endpoint", None)
    if type(endpoint) is str and "/history/" in endpoint:
        tail = endpoint.rstrip("/").rsplit("/history/", 1)[1].split("?", 1)[0]
        return tail.lower() or None
    return None


def normalize_history(answer: Any, *, platform: str | None = None) -> pl.DataFrame:
    """Posts from ``GET /history`` or ``GET /history/{platform}`` as POSTS_SCHEMA rows.

    Accepts ``{"history": [...]}``, the legacy bare array, and ``{"posts": [...]}`` (the
    per-network history; its network comes from ``platform`` or the answer's ``endpoint``).
    ``/history`` items give one row per post and network (social ids from ``postIds``).

    >>> rows = normalize_history({"history": [{
    ...     "id": "AYR1", "post": "Hello", "status": "success", "type": "now",
    ...     "created": "2026-05-01T10:00:00Z",
    ...     "postIds": [{"platform": "bluesky", "id": "at://x", "status": "success"}],
    ... }]})
    >>> rows.select("post_id", "platform", "social_id", "text").row(0)
    ('AYR1', 'bluesky', 'at://x', 'Hello')
    """
    col = _Collector()
    rows: list[tuple[Any, ...]] = []
    items: Any = None
    network_posts = False
    if isinstance(answer, list):
        items = answer
    elif isinstance(answer, Mapping):
        if "history" in answer:
            items = answer["history"]
        elif "posts" in answer:
            items = answer["posts"]
            network_posts = True
        if items is not None and type(items) is not list:
            col.bad(None, "history", f"expected a list of posts, got {_kind(items)}")
            items = None
    elif answer is not None:
        col.bad(None, None, f"expected a history answer, got {_kind(answer)}")
    hint = platform.lower() if isinstance(platform, str) else _history_platform_hint(answer)
    for item in items or ():
        if type(item) is not dict:
            col.bad(None, "history", f"expected post objects, got {_kind(item)}")
            continue
        if network_posts:
            rows.append(_network_post_row(col, item, hint))
        else:
            rows.extend(_history_rows(col, item))
    out = _frame(rows, POSTS_SCHEMA)
    _emit(col)
    return out


def _text_of(item: dict[str, Any], keys: Iterable[str]) -> str | None:
    for k in keys:
        v = item.get(k)
        if type(v) is str and v:
            return v
    return None


def _str_or_none(v: Any) -> str | None:
    return v if type(v) is str and v.strip() not in _SENTINELS else None


def _media_urls(col: _Collector, item: dict[str, Any]) -> list[str] | None:
    v = item.get("mediaUrls")
    if v is None:
        return None
    if type(v) is str:
        return [v]
    if type(v) is not list:
        col.bad(None, "mediaUrls", f"expected a list of URLs, got {_kind(v)}")
        return None
    return [u for u in v if type(u) is str]


def _time_field(col: _Collector, item: dict[str, Any], *keys: str) -> int | None:
    for k in keys:
        v = item.get(k)
        if v is None:
            continue
        ts = _to_us(v)
        if ts is _BAD:
            col.bad(None, k, "not a time")
            continue
        if ts is not None:
            return ts
    return None


def _history_rows(col: _Collector, item: dict[str, Any]) -> list[tuple[Any, ...]]:
    pid = _str_id(item.get("id"))
    pid = None if pid is _BAD else pid
    text = _text_of(item, ("post", "text"))
    created = _time_field(col, item, "created", "create_date", "createDate")
    scheduled = _time_field(col, item, "scheduleDate", "scheduledDate")
    status = _str_or_none(item.get("status"))
    kind = _str_or_none(item.get("type"))
    media = _media_urls(col, item)
    notes = _str_or_none(item.get("notes"))
    failed: set[str] = set()
    errs = item.get("errors")
    if type(errs) is list:
        failed = {
            e["platform"].lower()
            for e in errs
            if type(e) is dict and type(e.get("platform")) is str
        }
    out: list[tuple[Any, ...]] = []
    seen: set[str | None] = set()

    def row(plat: str | None, sid: Any, url: Any, pstatus: Any) -> tuple[Any, ...]:
        return (
            pid,
            plat,
            sid,
            url,
            text,
            created,
            scheduled,
            status,
            pstatus,
            kind,
            media,
            notes,
        )

    post_ids = item.get("postIds")
    if type(post_ids) is list:
        for entry in post_ids:
            if type(entry) is not dict:
                col.bad(None, "postIds", f"expected objects, got {_kind(entry)}")
                continue
            plat = entry.get("platform")
            plat = plat.lower() if type(plat) is str else None
            if plat in seen:
                continue
            seen.add(plat)
            sid = _str_id(entry.get("id"))
            pstatus = _str_or_none(entry.get("status"))
            out.append(
                row(plat, None if sid is _BAD else sid, _str_or_none(entry.get("postUrl")), pstatus)
            )
    nets = item.get("platforms")
    for plat in nets if type(nets) is list else ():
        if type(plat) is str and plat.lower() not in seen:
            p = plat.lower()
            seen.add(p)
            out.append(row(p, None, None, "error" if p in failed else None))
    for p in sorted(failed - {s for s in seen if s}):
        out.append(row(p, None, None, "error"))
        seen.add(p)
    if not out:
        out.append(row(None, None, None, None))
    return out


def _network_post_row(col: _Collector, item: dict[str, Any], hint: str | None) -> tuple[Any, ...]:
    plat = hint
    if plat is None and type(item.get("platform")) is str:
        plat = item["platform"].lower()
    spec = platforms.REGISTRY.get(plat) if plat else None
    text_keys = spec.text_paths if spec else ("post", "caption", "text", "title", "description")
    sid = _str_id(item.get("id"))
    url = _str_or_none(item.get("postUrl")) or _str_or_none(item.get("url"))
    return (
        None,
        plat,
        None if sid is _BAD else sid,
        url,
        _text_of(item, text_keys),
        _time_field(col, item, "created", "createdAt", "timestamp"),
        _time_field(col, item, "scheduleDate"),
        _str_or_none(item.get("status")),
        None,
        _str_or_none(item.get("type")),
        _media_urls(col, item),
        None,
    )


# ---------------------------------------------------------------------------------------------
# account-level analytics

_DATE_KEYS = ("date", "endTime", "end_time", "day", "timestamp")
_VALUE_KEYS = ("value", "count", "total")
_ALL_FOLLOWER_FIELDS = frozenset(f for s in platforms.REGISTRY.values() for f in s.follower_fields)


def _day(v: Any) -> date | None:
    us = _to_us(v)
    if us is None or us is _BAD:
        return None
    return (_EPOCH + timedelta(microseconds=us)).date()


def normalize_social(answer: Any, *, fetched_at: datetime | None = None) -> pl.DataFrame:
    """Account numbers from ``/analytics/social`` as ACCOUNT_SCHEMA rows.

    Every numeric field under each network's ``analytics`` becomes a row (``date`` null); the
    follower count of each network gets ``metric = "followers"``. Lists of daily objects
    (``[{"date": ..., "value": ...}]``) give one row per day. Networks that failed are skipped.

    >>> rows = normalize_social({"instagram": {"analytics": {"followersCount": 1200}}})
    >>> rows.select("platform", "field", "metric", "value").row(0)
    ('instagram', 'followersCount', 'followers', 1200.0)
    """
    col = _Collector()
    received = getattr(answer, "received_at", None)
    fetched = _dt_us(received) if isinstance(received, datetime) else _fetched_us(fetched_at)
    rows: list[tuple[Any, ...]] = []
    if not isinstance(answer, Mapping):
        if answer is not None:
            col.bad(None, None, f"expected an answer object, got {_kind(answer)}")
        answer = {}
    for key, value in answer.items():
        if type(key) is not str or key in _ENVELOPE or type(value) is not dict:
            continue
        if value.get("status") == "error":
            continue
        analytics = value.get("analytics")
        if type(analytics) is not dict:
            if analytics is not None:
                col.bad(key, "analytics", f"expected an object, got {_kind(analytics)}")
            continue
        spec = platforms.REGISTRY.get(key)
        followers = (
            frozenset(spec.follower_fields)
            if spec and spec.name != "snapchat"
            else _ALL_FOLLOWER_FIELDS
        )
        _social_walk(col, key, analytics, "", followers, None, fetched, rows, 0)
    out = _frame(rows, ACCOUNT_SCHEMA)
    _emit(col)
    return out


def _social_walk(
    col: _Collector,
    platform: str,
    d: dict[str, Any],
    prefix: str,
    followers: frozenset[str],
    day: date | None,
    fetched: int,
    rows: list[tuple[Any, ...]],
    depth: int,
) -> None:
    for k, v in d.items():
        path = f"{prefix}{k}"
        t = type(v)
        if t is int or t is float:
            n = _number(v)
            if n is _BAD:
                col.bad(platform, path, "not a finite number")
                continue
            metric = "followers" if path in followers else None
            rows.append((platform, path, metric, float(n), day, fetched))
        elif path in followers and v is not None:  # a follower count sent as text
            n = _number(v)
            if n is _BAD:
                col.bad(platform, path, f"expected a number, got {_kind(v)}")
            elif n is not None:
                rows.append((platform, path, "followers", float(n), day, fetched))
        elif t is dict and depth < _MAX_DEPTH:
            _social_walk(col, platform, v, path + ".", followers, day, fetched, rows, depth + 1)
        elif t is list and day is None:
            for item in v:
                if type(item) is not dict:
                    continue
                dkey = next((k2 for k2 in _DATE_KEYS if k2 in item), None)
                if dkey is None:
                    continue
                d2 = _day(item[dkey])
                if d2 is None:
                    col.bad(platform, f"{path}.{dkey}", "not a date")
                    continue
                vkey = next((k2 for k2 in _VALUE_KEYS if k2 in item), None)
                if vkey is not None:
                    n = _number(item[vkey])
                    if n is _BAD:
                        col.bad(platform, path, f"expected a number, got {_kind(item[vkey])}")
                    elif n is not None:
                        metric = "followers" if path in followers else None
                        rows.append((platform, path, metric, float(n), d2, fetched))
                else:
                    rest = {k2: v2 for k2, v2 in item.items() if k2 != dkey}
                    _social_walk(
                        col, platform, rest, path + ".", followers, d2, fetched, rows, depth + 1
                    )
