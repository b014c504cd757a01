"""Live tracking: poll posts into a snapshot store, asking only for what may have changed.

Ayrshare serves a cached copy of each post's numbers per network and says when a fresher one can
be had (``nextUpdate``). :func:`track` asks each post and network only once that time has passed,
paced to the profile's rate limit by the client, and appends every answer to a
:class:`~ayr_analysis.store.SnapshotStore`. Because the store drops duplicates and remembers each
``nextUpdate``, a run can stop at any time and a later run continues where it left off.

>>> import tempfile
>>> from ayr_analysis import AyrshareClient, SnapshotStore, history, track
>>> from ayr_analysis.sandbox import Demo, VirtualClock
>>> demo = Demo(clock=VirtualClock(speed=36_000))  # 1 real second = 10 simulated hours
>>> client = AyrshareClient(demo=demo)
>>> posts = history(client=client, last_days=3).filter(status="success")
>>> ids = posts["post_id"].unique().sort().head(2).to_list()
>>> run = track(ids, store=SnapshotStore(tempfile.mkdtemp()), client=client, rounds=3,
...             progress=False)
>>> run.rounds, run.failed_posts
(3, 0)
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import polars as pl

from .errors import ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from .client import AyrshareClient
    from .store import SnapshotStore

__all__ = ["TrackHandle", "TrackResult", "Tracker", "resolve_targets", "track"]

log = logging.getLogger("ayr_analysis")

#: How long to wait before asking again for a network that gave no ``nextUpdate``.
DEFAULT_MIN_INTERVAL = timedelta(hours=1)


@dataclass
class TrackResult:
    """What a tracking run did. ``snapshots`` counts wide rows newly written to the store."""

    posts: int = 0
    rounds: int = 0
    requests: int = 0
    snapshots: int = 0
    failed_posts: int = 0
    errors: list[str] = field(default_factory=list)
    stopped: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None

    def summary(self) -> str:
        """One line, for logs and the CLI."""
        text = (
            f"{self.posts} posts, {self.rounds} rounds, {self.requests} requests, "
            f"{self.snapshots} new snapshots"
        )
        if self.failed_posts:
            text += f", {self.failed_posts} failed fetches"
        if self.stopped:
            text += f" (stopped: {self.stopped})"
        return text


class _StopFlag:
    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def set(self, reason: str) -> None:
        if not self._event.is_set():
            self.reason = reason
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        return self._event.wait(max(0.0, seconds))


class TrackHandle:
    """A tracking run in a background thread (``track(..., background=True)``).

    ``stop()`` asks it to finish the batch in flight, write it, and end; ``join()`` waits;
    ``result`` shows progress so far; ``status`` is one line for a notebook or a widget;
    ``tracker`` is the :class:`Tracker` doing the work.
    """

    def __init__(
        self, tracker: Tracker, *, rounds: int | None = None, duration_s: float | None = None
    ) -> None:
        self._flag = _StopFlag()
        self.tracker = tracker
        self.result = tracker.result
        self.error: BaseException | None = None

        def target() -> None:
            try:
                tracker.run(self._flag, rounds=rounds, duration_s=duration_s)
            except BaseException as exc:  # kept for the caller; the thread must not die loudly
                self.error = exc
                self.result.stopped = f"error: {exc}"
                log.error("tracking stopped by an error: %s", exc)

        self._thread = threading.Thread(target=target, name="ayr-track", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, wait: bool = True, timeout: float | None = 60.0) -> TrackResult:
        """Stop after the batch in flight (nothing fetched is lost) and return the result."""
        self._flag.set("stopped by request")
        if wait:
            self._thread.join(timeout)
        return self.result

    def join(self, timeout: float | None = None) -> TrackResult:
        self._thread.join(timeout)
        return self.result

    @property
    def status(self) -> str:
        state = "running" if self.running else "stopped"
        return f"tracking {state}: {self.result.summary()}"

    def __repr__(self) -> str:
        return f"<TrackHandle {self.status}>"


def resolve_targets(
    ids: str | Iterable[str] | None = None,
    *,
    campaign: str | None = None,
    campaigns: Any = None,
    last_days: int | None = None,
    client: AyrshareClient,
) -> list[str]:
    """The Ayrshare post ids to track: given ``ids``, a ``campaign`` of a campaigns file, or
    everything posted in the last ``last_days`` days (from history).

    Exactly one of the three must be given; every problem is reported before any analytics
    request.
    """
    return _resolve(
        ids, campaign=campaign, campaigns=campaigns, last_days=last_days, client=client
    )[0]


def _resolve(
    ids: str | Iterable[str] | None,
    *,
    campaign: str | None,
    campaigns: Any,
    last_days: int | None,
    client: AyrshareClient,
) -> tuple[list[str], pl.DataFrame]:
    """The post ids to track and the history rows that describe them (publication times, text)."""
    from .api import history

    given = (("ids", ids), ("campaign", campaign), ("last_days", last_days))
    chosen = [name for name, value in given if value is not None]
    if len(chosen) != 1:
        raise ValidationError(
            "say what to track with exactly one of: ids=[...], campaign='name' (with "
            "campaigns='file.toml'), or last_days=N; got "
            + (", ".join(chosen) if chosen else "none")
        )
    if ids is not None:
        out = [ids] if isinstance(ids, str) else list(ids)
        if not out:
            raise ValidationError("ids is empty: give at least one Ayrshare post id")
        posts = history(client=client, last_days=0)
        return out, posts.filter(pl.col("post_id").is_in(out))
    if last_days is not None:
        if isinstance(last_days, bool) or not isinstance(last_days, int) or last_days < 1:
            raise ValidationError(f"last_days must be a whole number >= 1, got {last_days!r}")
        posts = history(client=client, last_days=last_days)
        return posts["post_id"].drop_nulls().unique(maintain_order=True).to_list(), posts
    from .campaigns import campaign_posts, load_campaigns

    if campaigns is None:
        raise ValidationError(
            f"campaign={campaign!r} needs campaigns='path/to/campaigns.toml' (see "
            "docs/CAMPAIGNS.md)"
        )
    loaded = load_campaigns(campaigns) if isinstance(campaigns, (str, Path)) else list(campaigns)
    names = [c.name for c in loaded]
    if campaign not in names:
        raise ValidationError(f"no campaign named {campaign!r}; the file defines {names}")
    posts = history(client=client, last_days=0)
    chosen_posts = campaign_posts(posts, loaded, campaign)  # none yet: a warning, 0 posts
    found = chosen_posts["post_id"].drop_nulls().unique(maintain_order=True).to_list()
    return found, chosen_posts


def _retry_time(error: Exception, now: datetime, interval: timedelta) -> datetime | None:
    """When to ask again for a post whose fetch failed; None for never.

    Transient failures (network, 429, 5xx) are retried after ``interval``; a post that does not
    exist or that the key may not read is dropped; other refusals (a post not yet published, a
    network to relink) are asked again after four intervals.
    """
    from .errors import AuthenticationError, NotFoundError, PermissionDeniedError

    if isinstance(error, (NotFoundError, AuthenticationError, PermissionDeniedError)):
        return None
    if getattr(error, "retryable", False):
        return now + interval
    return now + 4 * interval


class Tracker:
    """The scheduler of a tracking run: which post and network is due when, and the fetches.

    It holds the run's whole state: for each post the networks it is on and their
    ``nextUpdate`` (:attr:`next_updates`), the posts whose last fetch failed and when to ask them
    again (:attr:`retry_at`), the counters (:attr:`result`), the store every batch is written to
    and the clock "due" is measured on. :func:`track` checks its arguments and runs one; drive one
    yourself with :meth:`start` and :meth:`run_round`.

    ``clock`` is what ``nextUpdate`` is compared with: an object with ``now()`` (and ``speed``:
    simulated seconds per real second) or a callable giving aware datetimes; by default the
    client's demo clock (``client.demo.clock``) in demo mode, real UTC time otherwise.

    >>> import tempfile
    >>> from ayr_analysis import AyrshareClient, SnapshotStore, history
    >>> from ayr_analysis.sandbox import Demo
    >>> client = AyrshareClient(demo=Demo())
    >>> ids = history(client=client, last_days=2)["post_id"].unique().sort().head(2).to_list()
    >>> tracker = Tracker(client, SnapshotStore(tempfile.mkdtemp()), ids, progress=False)
    >>> tracker.start()
    >>> sorted(len(v) for v in tracker.due(tracker.now()).values())  # never seen: all due
    [2]
    >>> tracker.run_round(tracker.now()), tracker.result.requests
    (True, 2)
    >>> tracker.due(tracker.now())  # the demo clock is frozen: nothing is due again
    {}
    """

    def __init__(
        self,
        client: AyrshareClient,
        store: SnapshotStore,
        post_ids: Iterable[str],
        *,
        posts: pl.DataFrame | None = None,
        platforms: list[str] | None = None,
        min_interval: timedelta = DEFAULT_MIN_INTERVAL,
        batch_size: int = 50,
        concurrency: int = 8,
        progress: bool | None = None,
        clock: Any = None,
        on_batch: Callable[[TrackResult], None] | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.post_ids = list(post_ids)
        #: history rows of the posts (publication time, text, url), stored with every batch
        self.posts = posts if posts is not None else pl.DataFrame()
        self.platforms = platforms
        self.min_interval = min_interval
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.progress = progress
        self.on_batch = on_batch
        self.now, self.speed = _clock_of(client, clock)
        self.source = "demo" if client.is_demo else "live"
        #: (post id, network) -> when Ayrshare has fresher numbers (None: ask now)
        self.next_updates: dict[tuple[str, str], datetime | None] = {}
        #: post id -> the networks it is known to be on
        self.networks: dict[str, set[str]] = {}
        #: post id whose last fetch failed -> when to ask again (None: never)
        self.retry_at: dict[str, datetime | None] = {}
        self.result = TrackResult(posts=len(self.post_ids))

    # ------------------------------------------------------------------ state
    def start(self) -> None:
        """Store the posts' history rows and pick up what the store already knows (a restart
        continues where the last run stopped)."""
        self.result.posts = len(self.post_ids)
        self.result.started_at = datetime.now(UTC)
        if self.posts.height:
            self.store.append({"posts": self.posts}, source=self.source)
        targets = set(self.post_ids)
        for row in self.store.known_next_updates().iter_rows(named=True):
            if row["post_id"] in targets:
                self.networks.setdefault(row["post_id"], set()).add(row["platform"])
                self.next_updates[(row["post_id"], row["platform"])] = row["next_update"]

    def remember(self, wide: pl.DataFrame, now: datetime) -> None:
        """Note each network's ``nextUpdate`` from fetched rows (``min_interval`` from ``now``
        where there is none, or it has passed)."""
        fallback = now + self.min_interval
        for pid, platform, nu in wide.select("post_id", "platform", "next_update").iter_rows():
            self.networks.setdefault(pid, set()).add(platform)
            nu = nu if nu is not None and nu > now else fallback
            old = self.next_updates.get((pid, platform))
            self.next_updates[(pid, platform)] = max(nu, old) if old and old > now else nu

    def due(self, now: datetime) -> dict[tuple[str, ...] | None, list[str]]:
        """The posts due at ``now``, grouped by the networks to ask for (None: every network).

        A post never seen is asked for everything (or the platforms asked for); a post whose
        last fetch failed waits for its :attr:`retry_at`.
        """
        platforms = self.platforms
        plan: dict[tuple[str, ...] | None, list[str]] = {}
        for pid in self.post_ids:
            if pid in self.retry_at and ((at := self.retry_at[pid]) is None or at > now):
                continue
            known = self.networks.get(pid)
            if not known:  # never seen: ask for everything (or the platforms asked for)
                plan.setdefault(tuple(platforms) if platforms else None, []).append(pid)
                continue
            wanted = [p for p in sorted(known) if platforms is None or p in platforms]
            due = [
                p for p in wanted if (nu := self.next_updates.get((pid, p))) is None or nu <= now
            ]
            if not due:
                continue
            key = None if len(due) == len(known) and platforms is None else tuple(due)
            plan.setdefault(key, []).append(pid)
        return plan

    def earliest(self) -> datetime | None:
        """The first time anything becomes due again (a ``nextUpdate`` or a retry), or None."""
        times = [
            nu
            for pid in self.post_ids
            for p in self.networks.get(pid, ())
            if (self.platforms is None or p in self.platforms)
            and (nu := self.next_updates.get((pid, p))) is not None
        ]
        times += [t for t in self.retry_at.values() if t is not None]
        return min(times) if times else None

    # ------------------------------------------------------------------ work
    def fetch(self, batch: list[str], networks: tuple[str, ...] | None, now: datetime) -> None:
        """Ask one batch, write it to the store, and note what it says about the next time."""
        from .normalize import normalize

        result = self.result
        bulk = self.client.fetch_many(
            batch,
            list(networks) if networks else None,
            concurrency=self.concurrency,
            progress=self.progress,
        )
        frames = normalize(bulk).with_posts(self.posts)
        if frames.source is None:
            frames.source = self.source
        written = self.store.append(frames)
        result.requests += len(batch)
        result.snapshots += written.get("wide", 0)
        result.failed_posts += len(bulk.failures)
        result.errors.extend(f"{f.post_id}: {f.error}" for f in bulk.failures[-20:])
        del result.errors[:-100]
        self.remember(frames.wide, now)
        for failure in bulk.failures:
            self.retry_at[failure.post_id] = _retry_time(failure.error, now, self.min_interval)
        for pid in set(batch) - {f.post_id for f in bulk.failures}:
            self.retry_at.pop(pid, None)
        if self.on_batch is not None:
            self.on_batch(result)

    def run_round(self, now: datetime, stop: _StopFlag | None = None) -> bool:
        """Ask everything due at ``now``, ``batch_size`` posts at a time (stopping between
        batches once ``stop`` is set); False when nothing was due."""
        plan = self.due(now)
        if not plan:
            return False
        self.result.rounds += 1
        for networks, due_ids in plan.items():
            for first in range(0, len(due_ids), self.batch_size):
                if stop is not None and stop.is_set():
                    return True
                self.fetch(due_ids[first : first + self.batch_size], networks, now)
        return True

    def wait(self) -> tuple[float, str]:
        """Real seconds until something is due, or why nothing ever will be (then 0 s)."""
        earliest = self.earliest()
        unseen = any(
            not self.networks.get(pid) and pid not in self.retry_at for pid in self.post_ids
        )
        if earliest is None and not unseen:
            return 0.0, "nothing left to ask"
        if self.speed <= 0:
            return 0.0, "the clock is frozen: nothing will become due"
        if earliest is None:  # only posts that gave nothing yet: ask again after the interval
            return self.min_interval.total_seconds() / self.speed, ""
        return (earliest - self.now()).total_seconds() / self.speed, ""

    def run(
        self,
        stop: _StopFlag | None = None,
        *,
        rounds: int | None = None,
        duration_s: float | None = None,
    ) -> TrackResult:
        """Rounds until ``stop`` is set, ``rounds`` rounds are done, ``duration_s`` real seconds
        have passed or nothing can become due; return :attr:`result`."""
        stop = stop if stop is not None else _StopFlag()
        result = self.result
        self.start()
        started = time.monotonic()
        while not stop.is_set():
            if self.run_round(self.now(), stop) and rounds is not None and result.rounds >= rounds:
                result.stopped = f"{rounds} rounds done"
                break
            left = None if duration_s is None else duration_s - (time.monotonic() - started)
            if left is not None and left <= 0:
                result.stopped = "duration reached"
                break
            if stop.is_set():
                break
            wait, why = self.wait()
            if why:
                result.stopped = why
                break
            if left is not None:
                wait = min(wait, max(0.0, left))
            if wait > 0:
                stop.wait(min(wait, 3600.0))
        if stop.is_set() and not result.stopped:
            result.stopped = stop.reason
        result.ended_at = datetime.now(UTC)
        with contextlib.suppress(Exception):
            log.info("tracking ended: %s", result.summary())
        return result


def _clock_of(client: AyrshareClient, clock: Any) -> tuple[Callable[[], datetime], float]:
    """The time next_update is compared with, and how fast it runs against real time."""
    if clock is None and client.demo is not None:
        clock = client.demo.clock
    if clock is None:
        return (lambda: datetime.now(UTC)), 1.0
    if hasattr(clock, "now"):
        speed = float(getattr(clock, "speed", 1.0))
        return clock.now, speed
    if callable(clock):
        return clock, 1.0
    raise ValidationError(f"clock must be callable or have now(), got {type(clock).__name__}")


@overload
def track(
    ids: str | Iterable[str] | None = None,
    *,
    store: SnapshotStore | str | Path,
    campaign: str | None = None,
    campaigns: Any = None,
    last_days: int | None = None,
    platforms: str | Iterable[str] | None = None,
    client: AyrshareClient | None = None,
    rounds: int | None = None,
    duration: str | timedelta | None = None,
    min_interval: str | timedelta = DEFAULT_MIN_INTERVAL,
    batch_size: int = 50,
    concurrency: int = 8,
    background: Literal[False] = False,
    progress: bool | None = None,
    clock: Any = None,
    on_batch: Callable[[TrackResult], None] | None = None,
) -> TrackResult: ...


@overload
def track(
    ids: str | Iterable[str] | None = None,
    *,
    store: SnapshotStore | str | Path,
    campaign: str | None = None,
    campaigns: Any = None,
    last_days: int | None = None,
    platforms: str | Iterable[str] | None = None,
    client: AyrshareClient | None = None,
    rounds: int | None = None,
    duration: str | timedelta | None = None,
    min_interval: str | timedelta = DEFAULT_MIN_INTERVAL,
    batch_size: int = 50,
    concurrency: int = 8,
    background: Literal[True],
    progress: bool | None = None,
    clock: Any = None,
    on_batch: Callable[[TrackResult], None] | None = None,
) -> TrackHandle: ...


@overload
def track(
    ids: str | Iterable[str] | None = None,
    *,
    store: SnapshotStore | str | Path,
    campaign: str | None = None,
    campaigns: Any = None,
    last_days: int | None = None,
    platforms: str | Iterable[str] | None = None,
    client: AyrshareClient | None = None,
    rounds: int | None = None,
    duration: str | timedelta | None = None,
    min_interval: str | timedelta = DEFAULT_MIN_INTERVAL,
    batch_size: int = 50,
    concurrency: int = 8,
    background: bool = False,
    progress: bool | None = None,
    clock: Any = None,
    on_batch: Callable[[TrackResult], None] | None = None,
) -> TrackResult | TrackHandle: ...


def track(
    ids: str | Iterable[str] | None = None,
    *,
    store: SnapshotStore | str | Path,
    campaign: str | None = None,
    campaigns: Any = None,
    last_days: int | None = None,
    platforms: str | Iterable[str] | None = None,
    client: AyrshareClient | None = None,
    rounds: int | None = None,
    duration: str | timedelta | None = None,
    min_interval: str | timedelta = DEFAULT_MIN_INTERVAL,
    batch_size: int = 50,
    concurrency: int = 8,
    background: bool = False,
    progress: bool | None = None,
    clock: Any = None,
    on_batch: Callable[[TrackResult], None] | None = None,
) -> TrackResult | TrackHandle:
    """Poll posts into ``store`` until stopped, ``rounds`` rounds are done or ``duration`` (of
    real time) has passed.

    Each round asks only the posts and networks whose ``nextUpdate`` has passed (a network that
    gave none is asked again after ``min_interval``), ``batch_size`` posts at a time; each batch is
    written to the store before the next is asked, so stopping (``stop()``, Ctrl-C in the CLI)
    loses nothing fetched. A failing post is recorded in the store's ``errors`` table and asked
    again next round. Restarting on the same store continues without duplicates.

    With ``background=True`` the run goes on in a thread and a :class:`TrackHandle` is returned
    at once (for notebooks); otherwise the call blocks and returns a :class:`TrackResult`.
    ``clock`` is the time ``nextUpdate`` is compared with (see :class:`Tracker`; by default the
    client's demo clock in demo mode, else real time). When nothing can ever become due (a frozen
    demo clock), the run ends by itself.

    >>> import tempfile
    >>> from ayr_analysis import SnapshotStore, track
    >>> run = track(last_days=2, store=SnapshotStore(tempfile.mkdtemp()), rounds=1,
    ...             progress=False)
    >>> run.rounds, run.snapshots > 0
    (1, True)
    """
    from .analysis import parse_duration
    from .client import AyrshareClient
    from .client.validation import check_ids, check_platforms
    from .store import SnapshotStore

    # every check happens before any request
    if not isinstance(store, SnapshotStore):
        if not isinstance(store, (str, Path)):
            raise ValidationError(f"store must be a SnapshotStore or a path, got {store!r}")
        store = SnapshotStore(store)
    if rounds is not None and (
        isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1
    ):
        raise ValidationError(f"rounds must be a whole number >= 1, got {rounds!r}")
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValidationError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    try:
        interval = parse_duration(min_interval)
        limit_s = parse_duration(duration).total_seconds() if duration is not None else None
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    wanted = check_platforms(platforms)
    client = client if client is not None else AyrshareClient()
    if ids is not None:  # checked before any request; fetched in batches: no upper bound
        ids = check_ids([ids] if isinstance(ids, str) else list(ids), limit=None)
    post_ids, posts = _resolve(
        ids, campaign=campaign, campaigns=campaigns, last_days=last_days, client=client
    )
    tracker = Tracker(
        client, store, post_ids, posts=posts, platforms=wanted, min_interval=interval,
        batch_size=batch_size, concurrency=concurrency, progress=progress, clock=clock,
        on_batch=on_batch,
    )  # fmt: skip
    if background:
        return TrackHandle(tracker, rounds=rounds, duration_s=limit_s)
    flag = _StopFlag()
    _install_sigint(flag, lambda: tracker.run(flag, rounds=rounds, duration_s=limit_s))
    return tracker.result


def _install_sigint(flag: _StopFlag, body: Callable[[], Any]) -> None:
    """Run ``body`` with Ctrl-C turned into a clean stop (main thread only); a second Ctrl-C
    interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        body()
        return

    def handler(signum: int, frame: Any) -> None:
        if flag.is_set():
            raise KeyboardInterrupt
        flag.set("interrupted (Ctrl-C)")
        log.warning("stopping after the batch in flight; press Ctrl-C again to abort")

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not allowed here (embedded interpreters)
        body()
        return
    try:
        body()
    finally:
        signal.signal(signal.SIGINT, previous)
