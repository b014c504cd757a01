"""A snapshot store holding the demo world's whole history, asked at equal post ages.

Comparing posts at equal age (their numbers 1 h, 24 h, 7 days after publication) needs snapshots
taken from publication on. A tracker started today only sees the demo world's posts weeks after
they went out. :func:`demo_store` records what a tracker running since the first post would have
stored: it moves the virtual clock of a private sandbox to each post's publication + each age and
asks ``POST /analytics/post`` then, through an :class:`~ayr_analysis.client.AyrshareClient` (the
same protocol as any other client), plus one fetch at the world's "now".

>>> import tempfile
>>> store = demo_store(tempfile.mkdtemp(), platforms=["linkedin"], ages=["24h"], progress=False)
>>> wide = store.frames().wide
>>> sorted(set(wide["platform"])), wide["published_at"].null_count()
(['linkedin'], 0)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from .. import schema

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from ..client import AyrshareClient
    from ..store import SnapshotStore

__all__ = ["ASK_DELAY", "DEFAULT_AGES", "demo_store"]

#: The post ages :func:`demo_store` asks at by default: the ages compared by default, and 30 days.
DEFAULT_AGES: tuple[str, ...] = (*schema.DEFAULT_AGES, "30d")

#: How long after publication + age a post is asked. Each network publishes a few seconds after
#: the Ayrshare post (an X thread's tweets a few seconds apart) and serves its numbers as cached
#: at its own refresh times; asking a few minutes later gets the copy refreshed at that very age.
ASK_DELAY = timedelta(minutes=5)


def demo_store(
    path_or_store: SnapshotStore | str | os.PathLike[str],
    *,
    seed: int = 7,
    ages: Sequence[str | timedelta] = DEFAULT_AGES,
    profiles: Literal["all"] | Iterable[str | None] = "all",
    post_ids: Iterable[str] | None = None,
    platforms: str | Iterable[str] | None = None,
    progress: bool | None = None,
) -> SnapshotStore:
    """Record the demo world's history into a snapshot store and return the store.

    For each profile (``"all"``, or a list of Profile-Keys; ``None`` in the list is the primary
    profile) the posts are read from ``GET /history`` and stored in the ``posts`` table. Then
    each post is asked (``POST /analytics/post``) at its publication + each of ``ages`` (a few
    minutes after, see :data:`ASK_DELAY`), for the ages already reached at the world's "now",
    and once more at "now". Publication is the schedule time of a scheduled post, else its
    creation time. Every answer is normalised with the post history, so publication time, text
    and url are there for every network, and everything is appended to the store in one go.

    ``post_ids`` and ``platforms`` narrow what is recorded (every post and network when None).
    The recording is deterministic (fetch times are simulated times): the same rows every run,
    and recording again into a store that holds it adds nothing. It runs on a private sandbox
    (seed ``seed``, no rate limit) and never touches the shared demo sandbox.

    Shows a progress bar on long runs (``progress=None``: in a terminal or notebook).

    >>> import tempfile
    >>> from ayr_analysis.sandbox import build_world
    >>> key = build_world(7).profiles[1].profile_key
    >>> store = demo_store(tempfile.mkdtemp(), profiles=[key], platforms="tiktok",
    ...                    ages=["1h"], progress=False)
    >>> store.source, store.read("wide")["platform"].unique().to_list()
    ('demo', ['tiktok'])
    """
    from ..analysis import parse_duration
    from ..client import AyrshareClient
    from ..client.display import show_progress
    from ..client.validation import check_ids, check_platforms
    from ..store import SnapshotStore, StoreError
    from .demo import Demo
    from .world import build_world

    # every check happens before any request
    if isinstance(path_or_store, SnapshotStore):
        store = path_or_store
    elif isinstance(path_or_store, (str, os.PathLike)):
        store = SnapshotStore(path_or_store)
    else:
        raise TypeError(f"path_or_store must be a SnapshotStore or a path, got {path_or_store!r}")
    if store.source == "live":
        raise StoreError(
            f"snapshot store {store.path!r} holds live data; record the demo world into a "
            "separate store"
        )
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    if isinstance(ages, (str, timedelta)):
        ages = [ages]
    steps = sorted({parse_duration(a) for a in ages})
    if any(step <= timedelta(0) for step in steps):
        raise ValueError(f"ages must be above 0, got {list(ages)!r}")
    nets = check_platforms(platforms)
    wanted = None if post_ids is None else set(check_ids(post_ids, limit=None))
    world = build_world(seed)
    keys = _profile_keys(world, profiles)

    demo = Demo.frozen(seed)
    clock = demo.clock
    clients: dict[str | None, AyrshareClient] = {
        key: AyrshareClient(demo=demo, profile_key=key, clock=clock) for key in keys
    }
    try:
        posts, owner = _history(clients, wanted, nets)
        ids = list(owner)
        plan = _plan(posts, steps, world.now)
        show = show_progress(progress) and bool(ids)
        bar = _bar(len(plan) + len(ids)) if show else None
        answers: list[Any] = []
        failures: dict[datetime, list[Any]] = {}
        try:
            for when, pid in [*plan, *((world.now, pid) for pid in ids)]:
                clock.set(when)
                _ask(clients[owner[pid]], pid, nets, answers, failures.setdefault(when, []))
                if bar is not None:
                    bar.update(1)
        finally:
            clock.set(world.now)
            if bar is not None:
                bar.close()
    finally:
        for c in clients.values():
            c.close()
    frames = _normalised(answers, failures, posts)
    if posts.height or frames.wide.height or frames.errors.height:
        store.append(frames, source="demo")
    return store


def _profile_keys(world: Any, profiles: Any) -> list[str | None]:
    known = [p.profile_key for p in world.profiles]
    if isinstance(profiles, str):
        if profiles == "all":
            return list(known)
        profiles = [profiles]
    try:
        keys = list(dict.fromkeys(profiles))
    except TypeError:
        raise TypeError(
            f"profiles must be 'all' or a list of Profile-Keys, got {profiles!r}"
        ) from None
    if not keys:
        raise ValueError("profiles is empty: give 'all' or at least one Profile-Key")
    unknown = [k for k in keys if k is not None and k not in known]
    if unknown:
        raise ValueError(
            f"unknown demo Profile-Key(s) {unknown!r}; the demo world (seed {world.seed}) has "
            f"{known!r} (None: the primary profile)"
        )
    return keys


def _history(
    clients: dict[str | None, AyrshareClient], wanted: set[str] | None, nets: list[str] | None
) -> tuple[pl.DataFrame, dict[str, str | None]]:
    """The history rows of every profile (narrowed to ``wanted`` posts and ``nets``) and the
    profile each post belongs to, in history order."""
    import polars as pl

    from ..api import history

    parts = []
    owner: dict[str, str | None] = {}
    for key, client in clients.items():
        rows = history(client=client, last_days=0)
        if wanted is not None:
            rows = rows.filter(pl.col("post_id").is_in(sorted(wanted)))
        if nets is not None:
            rows = rows.filter(pl.col("platform").is_in(nets))
        rows = rows.filter(~pl.col("post_id").is_in(list(owner)))  # the same profile twice
        for pid in rows["post_id"].drop_nulls().unique(maintain_order=True):
            owner[pid] = key
        parts.append(rows)
    return pl.concat(parts), owner


def _plan(posts: pl.DataFrame, steps: list[timedelta], now: datetime) -> list[tuple[datetime, str]]:
    """(time, post id) of every ask before ``now``, in time order."""
    import polars as pl

    published = pl.coalesce(
        pl.when(pl.col("type") == "schedule").then(pl.col("scheduled_at")), pl.col("created_at")
    )
    first = (
        posts.group_by("post_id", maintain_order=True)
        .agg(published.drop_nulls().min().alias("published"))
        .drop_nulls()
    )
    plan = [
        (t + step + ASK_DELAY, pid)
        for pid, t in first.iter_rows()
        for step in steps
        if t + step + ASK_DELAY < now
    ]
    return sorted(plan)


def _ask(
    client: AyrshareClient,
    pid: str,
    nets: list[str] | None,
    answers: list[Any],
    failures: list[Any],
) -> None:
    from ..client import PostFailure
    from ..errors import AyrshareError

    try:
        answers.append(client.analytics_post(pid, nets))
    except AyrshareError as exc:  # a post not published yet, ...: kept as an errors row
        failures.append(PostFailure(pid, exc))


def _normalised(
    answers: list[Any], failures: dict[datetime, list[Any]], posts: pl.DataFrame
) -> Any:
    from ..client import BulkResult
    from ..normalize import AnalyticsFrames, normalize

    parts = [normalize(BulkResult(responses=answers, failures=[]))]
    # failures carry no answer time: each group is stamped with the simulated time it was asked
    parts += [
        normalize(BulkResult(responses=[], failures=group), fetched_at=when)
        for when, group in failures.items()
        if group
    ]
    frames = AnalyticsFrames.concat(parts).with_posts(posts)
    frames.source = "demo"
    return frames


def _bar(total: int) -> Any:
    import sys

    from tqdm.auto import tqdm

    return tqdm(total=total, desc="demo history", unit="request", file=sys.stderr)
