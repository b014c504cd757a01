"""Posts from history: ``GET /history`` and ``GET /history/{platform}`` answers as the posts frame
(:data:`ayr_analysis.schema.POSTS_SCHEMA`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from .. import platforms
from ..schema import POSTS_SCHEMA
from ._values import _BAD, _SENTINELS, _kind, _Notes, _str_id, _to_us
from .frames import _frame

__all__ = ["normalize_history"]


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
    col = _Notes()
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
    col.emit()
    return out


def _text_of(item: dict[str, Any], keys: Iterable[str]) -> str | None:
    for k in keys:
        v = item.get(k)
        if type(v) is str and v:
            return v
    return None


def _str_or_none(v: Any) -> str | None:
    return v if type(v) is str and v.strip() not in _SENTINELS else None


def _media_urls(col: _Notes, item: dict[str, Any]) -> list[str] | None:
    v = item.get("mediaUrls")
    if v is None:
        return None
    if type(v) is str:
        return [v]
    if type(v) is not list:
        col.bad(None, "mediaUrls", f"expected a list of URLs, got {_kind(v)}")
        return None
    return [u for u in v if type(u) is str]


def _time_field(col: _Notes, item: dict[str, Any], *keys: str) -> int | None:
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


def _history_rows(col: _Notes, item: dict[str, Any]) -> list[tuple[Any, ...]]:
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


def _network_post_row(col: _Notes, item: dict[str, Any], hint: str | None) -> tuple[Any, ...]:
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
