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
import hashlib
import logging
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import polars as pl

from .errors import ValidationError, XQuotaError
from .schema import CANONICAL_METRICS, COUNT_METRICS

if TYPE_CHECKING:  # pragma: no cover
    from .client import AyrshareClient
    from .store import SnapshotStore

__all__ = [
    "DEFAULT_MAX_INTERVAL",
    "KNOWN_DELAYS",
    "SETTLED_AFTER",
    "TrackHandle",
    "TrackResult",
    "Tracker",
    "after_error",
    "decision_table",
    "parse_shard",
    "resolve_targets",
    "shard_of",
    "simulate",
    "track",
]

log = logging.getLogger("ayr_analysis")

#: How long to wait before asking again for a network that gave no ``nextUpdate``.
DEFAULT_MIN_INTERVAL = timedelta(hours=1)
#: The longest wait between two asks of a settled network (the floor of the back-off).
DEFAULT_MAX_INTERVAL = timedelta(days=1)
#: How long an error that lasts until someone acts (relink, X keys) waits before it is asked
#: again; it doubles with each repeat, up to :data:`UNTIL_FIXED_LONGEST`.
UNTIL_FIXED_WAIT = timedelta(hours=12)
UNTIL_FIXED_LONGEST = timedelta(days=7)
#: Networks whose numbers all appear only after a delay (YouTube: 24-48 h for videos with few
#: views or subscribers): an answer with no number yet is asked again at the start of the window
#: in which they can appear (24 h after publication), then ``nextUpdate`` governs. Asking at the
#: end of the window (48 h) would lose the first numbers of a video whose delay is shorter.
#: Pinterest (24-72 h) is not held: only its impressions, saves and clicks wait, while its
#: comments and reactions move from the start, and holding it would lose them.
KNOWN_DELAYS: dict[str, timedelta] = {"youtube": timedelta(hours=24)}
#: The post age after which a network's numbers barely move (documented defaults: about 99 %
#: of the final counts on typical curves): past it, asks are spaced out geometrically, from twice
#: ``min_interval`` up to ``max_interval``.
SETTLED_AFTER: dict[str, timedelta] = {
    "twitter": timedelta(days=3),
    "bluesky": timedelta(days=3),
    "threads": timedelta(days=3),
    "reddit": timedelta(days=3),
    "facebook": timedelta(days=7),
    "instagram": timedelta(days=7),
    "linkedin": timedelta(days=7),
    "gmb": timedelta(days=7),
    "tiktok": timedelta(days=14),
    "youtube": timedelta(days=30),
    "pinterest": timedelta(days=30),
}
_NUMBERS = frozenset(CANONICAL_METRICS)
_COUNTS = tuple(COUNT_METRICS)
#: The thrift rules, in the order a held-back ask is put down to.
RULES = ("permanent", "until_fixed", "retry_after", "scheduled", "delay", "settled")


@dataclass
class TrackResult:
    """What a tracking run did. ``snapshots`` counts wide rows newly written to the store."""

    posts: int = 0
    rounds: int = 0
    requests: int = 0
    snapshots: int = 0
    failed_posts: int = 0
    #: requests that brought at least one new snapshot; that returned a changed number
    productive: int = 0
    changed: int = 0
    #: requests not sent, per thrift rule (see :data:`RULES`), counted per round
    saved: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RULES, 0))
    errors: list[str] = field(default_factory=list)
    #: new alerts passed to ``on_alert``; alerts whose callback raised (caught and logged)
    alerts: int = 0
    alert_errors: int = 0
    stopped: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None

    def summary(self) -> str:
        """One line, for logs and the CLI."""
        text = (
            f"{self.posts} posts, {self.rounds} rounds, {self.requests} requests, "
            f"{self.snapshots} new snapshots"
        )
        if self.requests:
            text += (
                f" ({self.productive / self.requests:.0%} brought a new snapshot, "
                f"{self.changed / self.requests:.0%} a changed number)"
            )
        saved = sum(self.saved.values())
        by_rule = ", ".join(f"{k} {v}" for k, v in self.saved.items() if v)
        text += f"; saved {saved} requests" + (f" ({by_rule})" if by_rule else "")
        if self.failed_posts:
            text += f", {self.failed_posts} failed fetches"
        if self.alerts or self.alert_errors:
            text += f", {self.alerts} alerts"
            if self.alert_errors:
                text += f" ({self.alert_errors} raised in on_alert)"
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


def shard_of(post_id: str, shards: int) -> int:
    """The shard (``0`` to ``shards - 1``) a post belongs to when ``shards`` trackers share the
    work: the first 8 bytes of the SHA-256 of its Ayrshare id, read as a big-endian number,
    modulo ``shards``. Stable across processes, machines, versions and Python's hash seeds, so
    every tracker started with ``--shard i/N`` agrees on who tracks which post.

    >>> shard_of("Hx2AbC9", 4)
    2
    >>> sorted({shard_of(f"post{i}", 3) for i in range(30)})
    [0, 1, 2]
    """
    if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
        raise ValidationError(f"the number of shards must be a whole number >= 1, got {shards!r}")
    digest = hashlib.sha256(post_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards


def parse_shard(value: str | tuple[int, int]) -> tuple[int, int]:
    """``"i/N"`` (or ``(i, N)``) as ``(i, N)``: this tracker's shard ``i`` of ``N``, counted
    from 0.

    >>> parse_shard("1/4")
    (1, 4)
    >>> parse_shard("4/4")
    Traceback (most recent call last):
    ...
    ayr_analysis.errors.ValidationError: shard '4/4': i must be from 0 to N-1 (0 to 3)
    """
    if isinstance(value, tuple) and len(value) == 2:
        i, n = value
        text = f"{i}/{n}"
    elif isinstance(value, str):
        text = value.strip()
        head, sep, tail = text.partition("/")
        if not sep or not head.strip().isdigit() or not tail.strip().isdigit():
            raise ValidationError(f"shard {value!r}: write it as i/N, e.g. 0/4 (i from 0 to N-1)")
        i, n = int(head), int(tail)
    else:
        raise ValidationError(f"shard must be 'i/N' or (i, N), got {value!r}")
    if (
        isinstance(i, bool)
        or isinstance(n, bool)
        or not isinstance(i, int)
        or not isinstance(n, int)
    ):
        raise ValidationError(f"shard {value!r}: i and N must be whole numbers")
    if n < 1:
        raise ValidationError(f"shard {text!r}: N must be at least 1")
    if not 0 <= i < n:
        raise ValidationError(f"shard {text!r}: i must be from 0 to N-1 (0 to {n - 1})")
    return i, n


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
    if campaign is None or campaign not in names:
        raise ValidationError(f"no campaign named {campaign!r}; the file defines {names}")
    posts = history(client=client, last_days=0)
    chosen_posts = campaign_posts(posts, loaded, campaign)  # none yet: a warning, 0 posts
    found = chosen_posts["post_id"].drop_nulls().unique(maintain_order=True).to_list()
    return found, chosen_posts


_WHEN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")


def after_error(
    code: int | None,
    http_status: int | None,
    now: datetime,
    *,
    min_interval: timedelta = DEFAULT_MIN_INTERVAL,
    retry_after: float | None = None,
    message: str | None = None,
    repeats: int = 0,
    platform: str | None = None,
) -> tuple[datetime | None, str]:
    """When to ask again after an error answer, and the rule that says so.

    The error code's ``lasting`` in :data:`~ayr_analysis.errors.ERROR_CODES` decides:
    ``permanent``: never (None); ``until_fixed``: after :data:`UNTIL_FIXED_WAIT`, doubled with
    each ``repeats``, up to :data:`UNTIL_FIXED_LONGEST`; ``retry_after``: after the delay the
    error gives (``retry_after`` seconds, or the schedule time in the message of code 189; for
    X's daily quota, a 429 naming ``platform`` twitter, the quota's 24 hours), else
    ``min_interval``; ``retry_now``: after ``min_interval``. An unknown code follows the HTTP
    status: 429/5xx after ``min_interval``, 401/403/404 never, other refusals after four.

    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 11, 1, tzinfo=timezone.utc)
    >>> after_error(485, None, t)
    (None, 'permanent')
    >>> after_error(419, 400, t)[0] - t, after_error(419, 400, t, repeats=1)[0] - t
    (datetime.timedelta(seconds=43200), datetime.timedelta(days=1))
    >>> after_error(429, 429, t, platform="twitter")[0] - t
    datetime.timedelta(days=1)
    """
    from .errors import (
        CODE_NOT_PUBLISHED,
        CODE_RATE_LIMITED,
        ERROR_CODES,
        X_QUOTA_PERIOD_S,
        is_retryable,
    )

    known = ERROR_CODES.get(code) if code is not None else None
    lasting = known.lasting if known is not None else None
    if lasting == "permanent":
        return None, "permanent"
    if lasting == "until_fixed":
        wait = min(UNTIL_FIXED_WAIT * 2 ** min(repeats, 16), UNTIL_FIXED_LONGEST)
        return now + wait, "until_fixed"
    if lasting == "retry_after":
        rule = "scheduled" if code == CODE_NOT_PUBLISHED else "retry_after"
        if retry_after is not None and retry_after > 0:
            return now + timedelta(seconds=retry_after), rule
        if code == CODE_RATE_LIMITED and platform == "twitter":  # X's daily quota
            return now + timedelta(seconds=X_QUOTA_PERIOD_S), rule
        if message and (found := _WHEN.search(message)):
            with contextlib.suppress(ValueError):
                when = datetime.fromisoformat(found.group(0).replace("Z", "+00:00"))
                when = when if when.tzinfo else when.replace(tzinfo=UTC)
                if when > now:
                    return when, rule
        return now + min_interval, rule
    if lasting == "retry_now":
        return now + min_interval, "retry_now"
    if http_status in (401, 403, 404):
        return None, "permanent"
    if is_retryable(code, http_status):
        return now + min_interval, "retry_now"
    return now + 4 * min_interval, "retry_after"


#: What each rule makes the tracker do, in words (the decision table of docs/METRICS.md).
_RULE_WORDS = {
    "permanent": "never asked again for this post and network (a post with no network left is "
    "no longer asked)",
    "until_fixed": "held back 12 h, doubling with each repeat up to 7 days; a new run starts from "
    "the errors table",
    "retry_after": "asked again after the delay the error gives (else `min_interval`)",
    "scheduled": "asked again at the schedule time (from history, else the error's message)",
    "retry_now": "asked again after `min_interval`",
}


def decision_table() -> list[tuple[int, str, str]]:
    """(code, lasting, what tracking does next) for every code of
    :data:`~ayr_analysis.errors.ERROR_CODES`, as docs/METRICS.md shows it.

    >>> [row for row in decision_table() if row[0] == 484]
    [(484, 'permanent', 'never asked again for this post and network (a post with no network left is no longer asked)')]
    """
    from .errors import CODE_RATE_LIMITED, ERROR_CODES

    now = datetime(2000, 1, 1, tzinfo=UTC)
    also = {
        CODE_RATE_LIMITED: "; X's daily quota (the 429 names twitter): X alone is asked again "
        "24 h later, the post's other networks go on"
    }
    return [
        (code, entry.lasting, _RULE_WORDS[after_error(code, None, now)[1]] + also.get(code, ""))
        for code, entry in sorted(ERROR_CODES.items())
    ]


class Tracker:
    """The scheduler of a tracking run: which post and network is due when, and the fetches.

    It holds the run's whole state: for each post the networks it is on and their
    ``nextUpdate`` (:attr:`next_updates`), the posts whose last fetch failed and when to ask them
    again (:attr:`retry_at`), the counters (:attr:`result`), the store every batch is written to
    and the clock "due" is measured on. :func:`track` checks its arguments and runs one; drive one
    yourself with :meth:`start` and :meth:`run_round` (or :func:`simulate` on a virtual clock).

    With ``thrift`` (the default) no request is spent on an answer that cannot change:

    * a network that answered with a permanent error (:func:`after_error`) is dropped from the
      post's requests (:attr:`dropped`); a post with no network left is no longer asked;
    * an error that lasts until someone acts, or that says when to come back, holds its network
      (or post) back until then (:attr:`held`, :attr:`retry_at`);
    * a scheduled post is first asked at its schedule time (from the history rows);
    * a network of :data:`KNOWN_DELAYS` whose answer has no number yet waits for the start of
      the window in which numbers appear; a network past its :data:`SETTLED_AFTER` age is asked
      less and less often, down to once per ``max_interval`` (:attr:`not_before`);
    * at :meth:`start`, the store's errors table tells a new run what earlier runs learned.

    ``nextUpdate`` keeps governing everything else. ``thrift=False`` is the plain behaviour
    (every network asked again at each ``nextUpdate`` or ``min_interval``), for comparison.

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
        max_interval: timedelta = DEFAULT_MAX_INTERVAL,
        thrift: bool = True,
        batch_size: int = 50,
        concurrency: int = 8,
        progress: bool | None = None,
        clock: Any = None,
        on_batch: Callable[[TrackResult], None] | None = None,
        on_alert: Callable[[dict[str, Any]], Any] | None = None,
        alert_metric: str = "likes",
        alert_band: str = "10-90",
        alert_forecast: str | timedelta | None = "7d",
    ) -> None:
        self.client = client
        self.store = store
        self.post_ids = list(post_ids)
        #: history rows of the posts (publication time, text, url), stored with every batch
        self.posts = posts if posts is not None else pl.DataFrame()
        self.platforms = platforms
        self.min_interval = min_interval
        self.max_interval = max(max_interval, min_interval)
        self.thrift = thrift
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.progress = progress
        self.on_batch = on_batch
        #: called with each new alert (a dict: see :func:`ayr_analysis.analysis.alerts`)
        self.on_alert = on_alert
        self.alert_metric = alert_metric
        self.alert_band = alert_band
        self.alert_forecast = alert_forecast
        #: the crossings already reported: (post id, network, thread position, kind, direction,
        #: since)
        self.alerted: set[tuple[Any, ...]] = set()
        self.now, self.speed = _clock_of(client, clock)
        self.source = "demo" if client.is_demo else "live"
        #: (post id, network) -> when Ayrshare has fresher numbers (None: ask now)
        self.next_updates: dict[tuple[str, str], datetime | None] = {}
        #: post id -> the networks it is known to be on
        self.networks: dict[str, set[str]] = {}
        #: post id whose last fetch failed -> when to ask again (None: never)
        self.retry_at: dict[str, datetime | None] = {}
        #: (post id, network) -> the permanent error code that dropped it from the requests
        self.dropped: dict[tuple[str, str], int | None] = {}
        #: (post id, network) -> (when to ask again, rule, repeats) after an error that passes
        self.held: dict[tuple[str, str], tuple[datetime, str, int]] = {}
        #: (post id, network) -> (not before, rule): a known delay or a settled network
        self.not_before: dict[tuple[str, str], tuple[datetime, str]] = {}
        #: post id -> the schedule time of a post not yet published
        self.scheduled: dict[str, datetime] = {}
        #: post id -> why it is held back as a whole (rule of :attr:`retry_at`)
        self.retry_rule: dict[str, str] = {}
        #: (post id, network) -> asks since it settled (the back-off exponent)
        self.settled_asks: dict[tuple[str, str], int] = {}
        #: (post id, network, thread position) -> (observed_at, numbers) of the latest snapshot
        self.last_seen: dict[tuple[str, str, int], tuple[datetime | None, tuple[Any, ...]]] = {}
        self.result = TrackResult(posts=len(self.post_ids))

    # ------------------------------------------------------------------ state
    def start(self) -> None:
        """Store the posts' history rows and pick up what the store already knows (a restart
        continues where the last run stopped, and remembers the errors earlier runs got)."""
        self.result.posts = len(self.post_ids)
        self.result.started_at = datetime.now(UTC)
        if self.posts.height:
            self.store.append({"posts": self.posts}, source=self.source)
        targets = set(self.post_ids)
        for row in self.store.known_next_updates().iter_rows(named=True):
            if row["post_id"] in targets:
                self.networks.setdefault(row["post_id"], set()).add(row["platform"])
                self.next_updates[(row["post_id"], row["platform"])] = row["next_update"]
        if self.on_alert is not None:  # a restart does not report the crossings it knew of
            self.alerted |= {_alert_key(a) for a in self.current_alerts()}
        if not self.thrift:
            return
        now = self.now()
        if self.posts.height and {"scheduled_at", "type", "post_id"} <= set(self.posts.columns):
            for pid, at in (
                self.posts.filter(
                    pl.col("type") == "schedule", pl.col("scheduled_at").is_not_null()
                )
                .select("post_id", "scheduled_at")
                .iter_rows()
            ):
                if pid in targets and at > now:
                    self.scheduled[pid] = at
        latest = self.store.latest("wide", post_ids=list(targets)) if targets else None
        if latest is not None and latest.height:
            self._note_numbers(latest)
        errors = self.store.scan("errors").filter(pl.col("post_id").is_in(list(targets)))
        self.note_errors(errors.collect(), now, restart=True)

    def left(self, pid: str) -> set[str] | None:
        """The networks of ``pid`` still to be asked (None: not known yet)."""
        known = self.networks.get(pid)
        if known is None:
            return None
        return {p for p in known if (pid, p) not in self.dropped}

    def note_errors(self, errors: pl.DataFrame, now: datetime, *, restart: bool = False) -> None:
        """Hold back or drop what answered with an error (rows of an errors frame or of the
        store's errors table; ``restart``: from the table, timed from when they were seen)."""
        if not self.thrift or errors.height == 0:
            return
        count = "count" in errors.columns
        for row in errors.iter_rows(named=True):
            pid, platform = row["post_id"], row["platform"]
            if pid is None:
                continue
            seen = row.get("last_seen") or row.get("fetched_at") or now
            if restart and row["code"] is None:
                continue  # a passing failure of an earlier run says nothing now
            if platform is None:
                repeats = (row["count"] - 1) if count and row["count"] else 0
                when, rule = after_error(
                    row["code"], row["http_status"], seen if restart else now,
                    min_interval=self.min_interval, message=row["message"], repeats=repeats,
                )  # fmt: skip
                if pid in self.scheduled and when is not None:
                    when, rule = max(when, self.scheduled[pid]), "scheduled"
                if restart and when is not None and when <= now:
                    continue
                self.retry_at[pid], self.retry_rule[pid] = when, rule
                continue
            self.networks.setdefault(pid, set()).add(platform)
            previous = self.held.get((pid, platform))
            repeats = (row["count"] - 1) if count and row["count"] else 0
            if previous is not None and not restart:
                repeats = previous[2] + 1
            when, rule = after_error(
                row["code"], row["http_status"], seen if restart else now,
                min_interval=self.min_interval, message=row["message"], repeats=repeats,
                platform=platform,
            )  # fmt: skip
            if when is None:
                self.dropped[(pid, platform)] = row["code"]
                self.held.pop((pid, platform), None)
            elif not restart or when > now:
                self.held[(pid, platform)] = (when, rule, repeats)

    def _hold_network(self, pid: str, platform: str, when: datetime, rule: str) -> bool:
        """Hold back only ``platform`` of ``pid`` until ``when`` (a network's own limit, X's
        daily quota, refused the whole request) when the post has other networks to ask, known
        from the store or its history; whether it did."""
        known = set(self.networks.get(pid) or ())
        if not known and self.posts.height and {"post_id", "platform"} <= set(self.posts.columns):
            rows = self.posts.filter(pl.col("post_id") == pid)["platform"].drop_nulls()
            known = set(rows.to_list())
        if not known - {platform}:
            return False
        self.networks[pid] = known | {platform}
        self.held[(pid, platform)] = (when, rule, 0)
        self.retry_at.pop(pid, None)
        return True

    def _note_numbers(self, wide: pl.DataFrame) -> tuple[set[str], set[str]]:
        """Remember each unit's latest numbers; the posts with a new snapshot and with a changed
        number."""
        metrics = [
            c for c in wide.columns
            if c in _NUMBERS and wide.schema[c].is_numeric()
        ]  # fmt: skip
        new: set[str] = set()
        changed: set[str] = set()
        for row in wide.select(
            "post_id", "platform", "thread_position", "observed_at", *metrics
        ).iter_rows():
            pid, platform, pos, observed, *values = row
            unit = (pid, platform, pos or 0)
            before = self.last_seen.get(unit)
            if (
                before is not None
                and before[0] is not None
                and observed is not None
                and observed <= before[0]
            ):
                continue
            new.add(pid)
            if before is None or tuple(values) != before[1]:
                changed.add(pid)
            self.last_seen[unit] = (observed, tuple(values))
        return new, changed

    def remember(self, wide: pl.DataFrame, now: datetime) -> None:
        """Note each network's ``nextUpdate`` from fetched rows (``min_interval`` from ``now``
        where there is none, or it has passed); with ``thrift``, a known delay or a settled
        network also puts its next ask off (:attr:`not_before`)."""
        fallback = now + self.min_interval
        seen: set[tuple[str, str]] = set()
        for pid, platform, nu in wide.select("post_id", "platform", "next_update").iter_rows():
            self.networks.setdefault(pid, set()).add(platform)
            self.held.pop((pid, platform), None)
            nu = nu if nu is not None and nu > now else fallback
            old = self.next_updates.get((pid, platform))
            self.next_updates[(pid, platform)] = max(nu, old) if old and old > now else nu
        if not self.thrift:
            return
        metrics = [c for c in wide.columns if c in _COUNTS]
        for row in wide.iter_rows(named=True):
            unit = (row["post_id"], row["platform"])
            if unit in seen:
                continue
            seen.add(unit)
            published = row.get("published_at")
            if published is None:
                self.not_before.pop(unit, None)
                continue
            age = now - published
            platform = unit[1]
            delay = KNOWN_DELAYS.get(platform)
            if delay is not None and age < delay and not any(row[m] for m in metrics):
                self.not_before[unit] = (published + delay, "delay")
                continue
            settle = SETTLED_AFTER.get(platform)
            if settle is not None and age >= settle:
                k = self.settled_asks.get(unit, 0)
                wait = min(self.max_interval, 2 * self.min_interval * 2**k)
                self.settled_asks[unit] = k + 1
                self.not_before[unit] = (now + wait, "settled")
                continue
            self.not_before.pop(unit, None)

    def _blocked(self, pid: str, platform: str, now: datetime) -> str | None:
        """The thrift rule holding a network back at ``now``, if any."""
        if (pid, platform) in self.dropped:
            return "permanent"
        held = self.held.get((pid, platform))
        if held is not None and held[0] > now:
            return held[1]
        nb = self.not_before.get((pid, platform))
        if nb is not None and nb[0] > now:
            return nb[1]
        return None

    def due(self, now: datetime) -> dict[tuple[str, ...] | None, list[str]]:
        """The posts due at ``now``, grouped by the networks to ask for (None: every network).

        A post never seen is asked for everything (or the platforms asked for); a post whose
        last fetch failed waits for its :attr:`retry_at`; with ``thrift``, the networks held back
        by a rule are left out, and a post held back as a whole counts as a saved request.
        """
        platforms = self.platforms
        saved = self.result.saved
        plan: dict[tuple[str, ...] | None, list[str]] = {}
        for pid in self.post_ids:
            if self.thrift and pid in self.scheduled and self.scheduled[pid] > now:
                saved["scheduled"] += 1
                continue
            if pid in self.retry_at and ((at := self.retry_at[pid]) is None or at > now):
                rule = self.retry_rule.get(pid)
                if self.thrift and rule in saved:
                    saved[rule] += 1
                continue
            known = self.networks.get(pid)
            if not known:  # never seen: ask for everything (or the platforms asked for)
                plan.setdefault(tuple(platforms) if platforms else None, []).append(pid)
                continue
            wanted = [p for p in sorted(known) if platforms is None or p in platforms]
            due, blocked = [], []
            for p in wanted:
                nu = self.next_updates.get((pid, p))
                rule = self._blocked(pid, p, now) if self.thrift else None
                if rule is not None:
                    if rule == "permanent" or nu is None or nu <= now:
                        blocked.append(rule)
                elif nu is None or nu <= now:
                    due.append(p)
            if not due:
                if blocked:
                    saved[min(blocked, key=RULES.index)] += 1
                continue
            narrowed = self.thrift and len(due) < len(known)
            key = None if len(due) == len(known) and platforms is None else tuple(due)
            if narrowed:
                key = tuple(due)
            plan.setdefault(key, []).append(pid)
        return plan

    def earliest(self) -> datetime | None:
        """The first time anything becomes due again (a ``nextUpdate``, a hold or a retry), or
        None."""
        times: list[datetime] = []
        for pid in self.post_ids:
            if self.thrift and pid in self.scheduled:
                times.append(self.scheduled[pid])
                continue
            for p in self.networks.get(pid, ()):
                if self.platforms is not None and p not in self.platforms:
                    continue
                if self.thrift and (pid, p) in self.dropped:
                    continue
                nu = self.next_updates.get((pid, p))
                if self.thrift:
                    extra = [t for t in (
                        (self.held.get((pid, p)) or (None,))[0],
                        (self.not_before.get((pid, p)) or (None,))[0],
                    ) if t is not None]  # fmt: skip
                    if extra:
                        nu = max([*extra, *([nu] if nu is not None else [])])
                if nu is not None:
                    times.append(nu)
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
        new, changed = self._note_numbers(frames.wide)
        result.productive += len(new & set(batch))
        result.changed += len(changed & set(batch))
        self.remember(frames.wide, now)
        failed = {f.post_id for f in bulk.failures}
        for failure in bulk.failures:
            err = failure.error
            platform = getattr(err, "platform", None)
            when, rule = after_error(
                getattr(err, "code", None), getattr(err, "http_status", None), now,
                min_interval=self.min_interval, retry_after=getattr(err, "retry_after", None),
                message=getattr(err, "message", None) or str(err), platform=platform,
            )  # fmt: skip
            if (
                self.thrift
                and isinstance(err, XQuotaError)
                and when is not None
                and self._hold_network(failure.post_id, str(platform), when, rule)
            ):
                continue  # X alone waits for its quota; the post's other networks go on
            if self.thrift and failure.post_id in self.scheduled and when is not None:
                when, rule = max(when, self.scheduled[failure.post_id]), "scheduled"
            self.retry_at[failure.post_id], self.retry_rule[failure.post_id] = when, rule
        for pid in set(batch) - failed:
            self.retry_at.pop(pid, None)
            self.scheduled.pop(pid, None)
        if self.thrift:
            self.note_errors(frames.errors.filter(pl.col("platform").is_not_null()), now)
            if networks:  # asked by name, absent from the answer: the post is not there
                answered = set(frames.wide["post_id"]) | set(frames.errors["post_id"])
                for pid in set(batch) - failed:
                    if pid not in answered:
                        continue
                    got = set(frames.wide.filter(pl.col("post_id") == pid)["platform"])
                    got |= set(frames.errors.filter(pl.col("post_id") == pid)["platform"])
                    for p in set(networks) - got:
                        self.dropped[(pid, p)] = None
        if self.on_batch is not None:
            self.on_batch(result)

    def run_round(self, now: datetime, stop: _StopFlag | None = None) -> bool:
        """Ask everything due at ``now``, ``batch_size`` posts at a time (stopping between
        batches once ``stop`` is set); False when nothing was due."""
        plan = self.due(now)
        if not plan:
            return False
        self.result.rounds += 1
        try:
            for networks, due_ids in plan.items():
                for first in range(0, len(due_ids), self.batch_size):
                    if stop is not None and stop.is_set():
                        return True
                    self.fetch(due_ids[first : first + self.batch_size], networks, now)
        finally:
            self.report_alerts()
        return True

    # ------------------------------------------------------------------ alerts
    def current_alerts(self) -> list[dict[str, Any]]:
        """The crossings of the tracked posts in the store (every post in it is history): out of
        their band, and, unless ``alert_forecast`` is None, forecast out of it at that horizon,
        as :func:`ayr_analysis.analysis.alerts` gives them; empty when it cannot say (logged)."""
        from .analysis import alerts

        try:
            wide = self.store.read("wide")
            if wide.is_empty() or self.alert_metric not in wide.columns:
                return []
            found = alerts(
                wide, self.alert_metric, band=self.alert_band,  # type: ignore[arg-type]
                forecast=self.alert_forecast,
            )  # fmt: skip
        except Exception:  # an alert is a convenience: it never stops tracking
            log.exception("alerts could not be computed; tracking goes on")
            return []
        return found.filter(pl.col("post_id").is_in(self.post_ids)).to_dicts()

    def report_alerts(self) -> None:
        """Call ``on_alert`` with each alert not reported before; an error in it is logged and
        counted (:attr:`TrackResult.alert_errors`), never raised: the data is already stored."""
        if self.on_alert is None:
            return
        for alert in self.current_alerts():
            key = _alert_key(alert)
            if key in self.alerted:
                continue
            self.alerted.add(key)
            self.result.alerts += 1
            try:
                self.on_alert(alert)
            except Exception:
                self.result.alert_errors += 1
                log.exception(
                    "on_alert raised for post %s on %s; tracking goes on",
                    alert.get("post_id"),
                    alert.get("platform"),
                )

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


def _alert_key(alert: dict[str, Any]) -> tuple[Any, ...]:
    """One crossing: a post on a network moving out of its band (or forecast out of it: the
    alert's ``kind``) in one direction, at one time."""
    return (
        alert.get("post_id"), alert.get("platform"), alert.get("thread_position"),
        alert.get("kind", "band"), alert.get("direction"), alert.get("since"),
    )  # fmt: skip


def simulate(
    tracker: Tracker, clock: Any, *, until: datetime, tick: timedelta = timedelta(minutes=10)
) -> TrackResult:
    """Run ``tracker`` on a virtual clock (a frozen :class:`~ayr_analysis.sandbox.VirtualClock`)
    up to ``until``: a round whenever something is due, the clock moved by hand between rounds,
    at least ``tick`` at a time (a tracker that wakes up every ``tick`` at most). For benchmarks
    and tests: a simulated week runs in seconds.

    >>> import tempfile
    >>> from ayr_analysis import AyrshareClient, SnapshotStore, history
    >>> from ayr_analysis.sandbox import Demo, VirtualClock
    >>> clock = VirtualClock()
    >>> client = AyrshareClient(demo=Demo(clock=clock))
    >>> ids = history(client=client, last_days=1)["post_id"].unique().sort().head(1).to_list()
    >>> t = Tracker(client, SnapshotStore(tempfile.mkdtemp()), ids, progress=False, clock=clock)
    >>> simulate(t, clock, until=clock.now() + timedelta(hours=6)).requests > 1
    True
    """
    tracker.start()
    while (now := clock.now()) <= until:
        tracker.run_round(now)
        nxt = tracker.earliest()
        step = tick if nxt is None else max(nxt - now, tick)
        clock.advance(step)
    tracker.result.ended_at = datetime.now(UTC)
    return tracker.result


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
    max_interval: str | timedelta = DEFAULT_MAX_INTERVAL,
    thrift: bool = True,
    batch_size: int = 50,
    concurrency: int = 8,
    background: Literal[False] = False,
    progress: bool | None = None,
    clock: Any = None,
    on_batch: Callable[[TrackResult], None] | None = None,
    on_alert: Callable[[dict[str, Any]], Any] | None = None,
    alert_metric: str = "likes",
    alert_band: str = "10-90",
    alert_forecast: str | timedelta | None = "7d",
    shard: str | tuple[int, int] | None = None,
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
    max_interval: str | timedelta = DEFAULT_MAX_INTERVAL,
    thrift: bool = True,
    batch_size: int = 50,
    concurrency: int = 8,
    background: Literal[True],
    progress: bool | None = None,
    clock: Any = None,
    on_batch: Callable[[TrackResult], None] | None = None,
    on_alert: Callable[[dict[str, Any]], Any] | None = None,
    alert_metric: str = "likes",
    alert_band: str = "10-90",
    alert_forecast: str | timedelta | None = "7d",
    shard: str | tuple[int, int] | None = None,
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
    max_interval: str | timedelta = DEFAULT_MAX_INTERVAL,
    thrift: bool = True,
    batch_size: int = 50,
    concurrency: int = 8,
    background: bool = False,
    progress: bool | None = None,
    clock: Any = None,
    on_batch: Callable[[TrackResult], None] | None = None,
    on_alert: Callable[[dict[str, Any]], Any] | None = None,
    alert_metric: str = "likes",
    alert_band: str = "10-90",
    alert_forecast: str | timedelta | None = "7d",
    shard: str | tuple[int, int] | None = None,
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
    max_interval: str | timedelta = DEFAULT_MAX_INTERVAL,
    thrift: bool = True,
    batch_size: int = 50,
    concurrency: int = 8,
    background: bool = False,
    progress: bool | None = None,
    clock: Any = None,
    on_batch: Callable[[TrackResult], None] | None = None,
    on_alert: Callable[[dict[str, Any]], Any] | None = None,
    alert_metric: str = "likes",
    alert_band: str = "10-90",
    alert_forecast: str | timedelta | None = "7d",
    shard: str | tuple[int, int] | None = None,
) -> TrackResult | TrackHandle:
    """Poll posts into ``store`` until stopped, ``rounds`` rounds are done or ``duration`` (of
    real time) has passed.

    Each round asks only the posts and networks whose ``nextUpdate`` has passed (a network that
    gave none is asked again after ``min_interval``), ``batch_size`` posts at a time; each batch is
    written to the store before the next is asked, so stopping (``stop()``, Ctrl-C in the CLI)
    loses nothing fetched. A failure is recorded in the store's ``errors`` table (one row per
    post, network and error, with a count). Restarting on the same store continues without
    duplicates.

    Quota thrift (``thrift=True``, see :class:`Tracker`): a network that answered with a
    permanent error is not asked again (a post with none left is dropped), a relink or missing
    keys wait 12 h (doubling), a scheduled post waits for its schedule time, a network in a known
    delay (YouTube, Pinterest) waits for it, and a network past the age where its numbers settle
    is asked less and less often, down to once per ``max_interval``. The result counts the
    requests saved by each rule and the share that brought a new snapshot or a changed number.
    ``thrift=False`` asks as before (for comparison).

    With ``background=True`` the run goes on in a thread and a :class:`TrackHandle` is returned
    at once (for notebooks); otherwise the call blocks and returns a :class:`TrackResult`.
    ``clock`` is the time ``nextUpdate`` is compared with (see :class:`Tracker`; by default the
    client's demo clock in demo mode, else real time). When nothing can ever become due (a frozen
    demo clock), the run ends by itself.

    Alerts: with ``on_alert`` (a function of one ``dict``), after each round every **new**
    crossing of a tracked post out of its typical band of ``alert_metric`` (``alert_band``:
    ``"10-90"`` or ``"25-75"``; the store's posts are the history, see
    :func:`ayr_analysis.analysis.alerts`) is passed to it as a dict of the alert's columns
    (``post_id``, ``platform``, ``kind``, ``direction``, ``since``, ``value``, ``typical``,
    ``index``...). With ``alert_forecast`` (default ``"7d"``; None: band crossings only) a post
    whose forecast at that horizon lies outside the band there is also passed (``kind`` is
    ``"forecast"``, with ``forecast``, ``forecast_low`` and ``forecast_high``). Each crossing is
    reported once, also across restarts on the same store. An exception in
    ``on_alert`` is logged and counted (``alert_errors``) and tracking goes on: the snapshots
    are stored before alerts are looked for.

    Many trackers, one store: give each its profile (a client with its ``profile_key``) and,
    to split one profile's posts, ``shard="i/N"``: this run keeps only the posts whose
    :func:`shard_of` is ``i``. Trackers on disjoint shards write disjoint keys, so each one's
    write-time deduplication is enough and they never wait for each other (see
    :mod:`ayr_analysis.store` on many writers).

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
        longest = parse_duration(max_interval)
        limit_s = parse_duration(duration).total_seconds() if duration is not None else None
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    wanted = check_platforms(platforms)
    if on_alert is not None:
        _check_alerting(on_alert, alert_metric, alert_band, alert_forecast)
    part = parse_shard(shard) if shard is not None else None
    client = client if client is not None else AyrshareClient()
    if ids is not None:  # checked before any request; fetched in batches: no upper bound
        ids = check_ids([ids] if isinstance(ids, str) else list(ids), limit=None)
    post_ids, posts = _resolve(
        ids, campaign=campaign, campaigns=campaigns, last_days=last_days, client=client
    )
    if part is not None:
        i, n = part
        post_ids = [p for p in post_ids if shard_of(p, n) == i]
        if posts.height and "post_id" in posts.columns:
            posts = posts.filter(pl.col("post_id").is_in(post_ids))
        log.info("shard %d/%d: %d posts", i, n, len(post_ids))
    tracker = Tracker(
        client, store, post_ids, posts=posts, platforms=wanted, min_interval=interval,
        max_interval=longest, thrift=thrift, batch_size=batch_size, concurrency=concurrency, progress=progress, clock=clock,
        on_batch=on_batch, on_alert=on_alert, alert_metric=alert_metric, alert_band=alert_band,
        alert_forecast=alert_forecast,
    )  # fmt: skip
    if background:
        return TrackHandle(tracker, rounds=rounds, duration_s=limit_s)
    flag = _StopFlag()
    _install_sigint(flag, lambda: tracker.run(flag, rounds=rounds, duration_s=limit_s))
    return tracker.result


def _check_alerting(
    on_alert: Any, metric: str, band: str, horizon: str | timedelta | None = None
) -> None:
    from .analysis import BANDS, parse_duration

    if not callable(on_alert):
        raise ValidationError(
            f"on_alert must be a function of one alert (a dict), got {on_alert!r}"
        )
    if metric not in CANONICAL_METRICS:
        raise ValidationError(
            f"alert_metric={metric!r} is not a metric; choose one of {', '.join(CANONICAL_METRICS)}"
        )
    if band not in BANDS:
        raise ValidationError(f"alert_band={band!r}: choose one of {', '.join(BANDS)}")
    if horizon is not None:
        try:
            if parse_duration(horizon) <= timedelta(hours=1):
                raise ValueError("it must be later than the first age, 1h")
        except ValueError as exc:
            raise ValidationError(
                f"alert_forecast={horizon!r}: {exc} (e.g. '7d'; None: band crossings only)"
            ) from exc


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
