"""What every reader of raw answers shares: values read tolerantly, and data-quality warnings.

A value where a number, a time or an id is expected is read by one of the functions here: the
result is the value, ``None`` (not reported: absent, null or a sentinel such as ``"-"``) or
:data:`_BAD` (the wrong type: the caller warns and keeps null). :class:`_Notes` collects the
warnings of one call, one per network and field, and gives them once the frames are built.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any


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
_BAD = object()  # a value of the wrong type (distinct from None = not reported)

#: Keys of the answer envelope that are never a network.
_ENVELOPE = frozenset(
    {"status", "id", "errors", "action", "code", "message", "postIds", "details", "refId"}
)

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


def _dig(d: Any, path: str) -> Any:
    if "." not in path:
        return d.get(path) if type(d) is dict else None
    for part in path.split("."):
        if type(d) is not dict:
            return None
        d = d.get(part)
    return d


def _kind(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(v), type(v).__name__
    )


def _now_us() -> int:
    return _dt_us(datetime.now(UTC))


def _fetched_us(fetched_at: Any) -> int:
    if fetched_at is None:
        return _now_us()
    if isinstance(fetched_at, datetime):
        return _dt_us(fetched_at)
    raise TypeError(f"fetched_at must be a datetime (UTC) or None, not {type(fetched_at).__name__}")


class _Notes:
    """The data-quality warnings of one call: one per network and field, given once at the end
    (:meth:`emit`), so a field wrong in a thousand answers warns once."""

    def __init__(self) -> None:
        self.warned: dict[tuple[str | None, str | None], str] = {}

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

    def emit(self) -> None:
        """Give the warnings collected, as :class:`DataQualityWarning`, to the caller of the
        public function that called this."""
        for msg in self.warned.values():
            warnings.warn(msg, DataQualityWarning, stacklevel=3)
