"""Account numbers: ``POST /analytics/social`` answers as the account frame
(:data:`ayr_analysis.schema.ACCOUNT_SCHEMA`): every numeric field per network, follower counts
named, daily series one row per day."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from .. import platforms
from ..schema import ACCOUNT_SCHEMA
from ._values import (
    _BAD,
    _ENVELOPE,
    _EPOCH,
    _MAX_DEPTH,
    _dt_us,
    _fetched_us,
    _kind,
    _Notes,
    _number,
    _to_us,
)
from .frames import _frame

__all__ = ["normalize_social"]


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
    col = _Notes()
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
    col.emit()
    return out


def _social_walk(
    col: _Notes,
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
