"""Raw Ayrshare answers -> tidy polars frames with the schemas of :mod:`ayr_analysis.schema`.

Pure: no I/O. One pass over the decoded JSON collects plain Python lists; every frame is then
built once, with its schema, and the per-metric work (unit conversion, precedence between fields,
the wide columns, engagement sums) is done by polars on whole columns.

* ``null`` means *not reported*, ``0`` means *reported zero*: never one for the other.
* Sentinels (``"-"``, ``""``, ``None``) become null silently; a value of the wrong type where a
  number is expected becomes null and raises one :class:`DataQualityWarning` per network and
  field per call. Unknown shapes never raise.

The mapping decisions are in ``docs/METRICS.md`` and in the field maps of
:mod:`ayr_analysis.platforms`. The modules, by what they produce:

* :mod:`~ayr_analysis.normalize.collector`: the walk over ``/analytics/post`` answers;
* :mod:`~ayr_analysis.normalize.frames`: :class:`AnalyticsFrames` and how its frames are built;
* :mod:`~ayr_analysis.normalize.history`: the posts frame from history (:func:`normalize_history`);
* :mod:`~ayr_analysis.normalize.account`: account numbers (:func:`normalize_social`).

>>> frames = normalize({"id": "p1", "bluesky": {"analytics": {"likeCount": 3, "replyCount": 0}}})
>>> frames.wide.select("platform", "likes", "comments", "shares").row(0)
('bluesky', 3, 0, None)
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from ._values import DataQualityWarning, _dt_us, _fetched_us, _kind
from .account import normalize_social
from .collector import _Collector
from .frames import AnalyticsFrames, build_frames, with_post_metadata
from .history import normalize_history

__all__ = [
    "AnalyticsFrames",
    "DataQualityWarning",
    "normalize",
    "normalize_history",
    "normalize_social",
    "with_post_metadata",
]


def normalize(
    answers: Any,
    *,
    fetched_at: datetime | None = None,
    platforms: str | Iterable[str] | None = None,
    posts: Any = None,
) -> AnalyticsFrames:
    """Turn ``/analytics/post`` answers into :class:`AnalyticsFrames`.

    ``answers`` is one decoded answer (a dict, or an ``ApiResponse``), a list of them, or a
    ``BulkResult`` (anything with ``.responses`` and ``.failures``: failures become rows in
    ``errors``). ``fetched_at`` is used when an answer carries no ``received_at``; default: now.

    ``platforms`` (the networks asked for) or, without it, ``posts`` (the history frame: the
    networks each post went to) say which networks to expect: each one with neither data nor an
    error gets an ``errors`` row with reason ``missing_from_answer``, and a whole request that
    failed gets one row per network expected.

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
    >>> f = normalize(answer, fetched_at=datetime(2026, 5, 1, 11, tzinfo=timezone.utc))
    >>> f.wide.select("platform", "views", "likes", "comments", "watch_time_s").row(0)
    ('youtube', 120, 0, None, 750.0)
    >>> f.errors.select("platform", "code", "retryable").row(0)
    ('facebook', 161, False)
    """
    default_us = _fetched_us(fetched_at)
    with _gc_paused():
        col = _Collector()
        frames = _normalize(col, answers, default_us, _expected(platforms, posts))
        col.release()  # before the collector is back: nothing left for it to scan
    col.emit()
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


def _expected(
    names: str | Iterable[str] | None, posts: Any
) -> Iterable[str] | Mapping[str, list[str]] | None:
    """The networks expected: those asked for (every post), else each post's from history."""
    from ..platforms import resolve

    if names is not None:
        return [resolve(n) for n in ([names] if isinstance(names, str) else names)]
    if posts is None or not hasattr(posts, "columns"):
        return None
    if "post_id" not in posts.columns or "platform" not in posts.columns:
        return None
    out: dict[str, list[str]] = {}
    for pid, net in zip(posts["post_id"].to_list(), posts["platform"].to_list(), strict=True):
        if pid is not None and net is not None and net not in out.setdefault(pid, []):
            out[pid].append(net)
    return out


def _normalize(
    col: _Collector, answers: Any, default_us: int, expected: Any = None
) -> AnalyticsFrames:
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
    col.expect(expected)
    source = "demo" if True in flags else ("live" if False in flags else None)
    return build_frames(col, source)
