"""Quota thrift: tracking spends no request on an answer that cannot change.

A simulated week of tracking on the demo world (a frozen virtual clock moved by hand), with the
thrift rules and with the old every-round behaviour (``thrift=False``) side by side.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import polars as pl
import pytest

from ayr_analysis import AyrshareClient, SnapshotStore, history
from ayr_analysis.errors import ERROR_CODES
from ayr_analysis.sandbox import SandboxTransport, VirtualClock
from ayr_analysis.sandbox.transport import DEMO_RATE_WINDOW
from ayr_analysis.store import TABLE_KEYS
from ayr_analysis.tracking import (
    SETTLED_AFTER,
    Tracker,
    after_error,
    simulate,
    track,
)

REPO = Path(__file__).resolve().parent.parent
WEEK = timedelta(days=7)


class Recorder(SandboxTransport):
    """The sandbox, noting each analytics request: (simulated time, post id, platforms)."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__(clock=clock, rate_limit=1_000_000, rate_window=DEMO_RATE_WINDOW)
        self.vclock = clock
        self.asked: list[tuple[datetime, str, list[str] | None]] = []

    def _note(self, request: httpx.Request) -> None:
        if request.url.path.endswith("/analytics/post"):
            body = json.loads(request.content or b"{}")
            self.asked.append((self.vclock.now(), body.get("id"), body.get("platforms")))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._note(request)
        return await super().handle_async_request(request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._note(request)
        return super().handle_request(request)


def demo_client() -> tuple[AyrshareClient, VirtualClock, Recorder]:
    clock = VirtualClock(speed=0.0)
    recorder = Recorder(clock)
    client = AyrshareClient(
        source="demo", transport=recorder, rate_limit=1_000_000, rate_window=DEMO_RATE_WINDOW
    )
    return client, clock, recorder


def week(tmp_path: Path, name: str, *, thrift: bool = True, **kwargs):
    client, clock, recorder = demo_client()
    posts = history(client=client, last_days=7)
    ids = posts["post_id"].unique(maintain_order=True).to_list()
    store = SnapshotStore(tmp_path / name)
    tracker = Tracker(
        client, store, ids, posts=posts, progress=False, clock=clock, thrift=thrift, **kwargs
    )
    started = clock.now()
    simulate(tracker, clock, until=started + WEEK, tick=timedelta(minutes=30))
    return tracker, store, recorder, posts, started


#: The tests on the simulated week (client, sandbox, normaliser and store together: about a
#: thousand requests and a few thousand Parquet files, 45 s of CPU for both runs) and on X's
#: quota over three simulated days are left out of ``make test-fast``; ``make test`` runs them
#: (the quota's rule itself, ``after_error``, stays in the fast loop).
week_long = pytest.mark.slow


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("thrift")
    return {
        "thrift": week(base, "thrift"),
        "baseline": week(base, "baseline", thrift=False),
    }


@week_long
def test_no_request_to_a_network_after_its_permanent_error(runs):
    tracker, store, recorder, _, _ = runs["thrift"]
    errors = store.scan("errors").collect()
    permanent = errors.filter(
        pl.col("code").is_in([c for c, e in ERROR_CODES.items() if e.lasting == "permanent"])
    )
    assert permanent.height >= 2  # the Facebook story and the expired Instagram story
    for pid, platform, first in permanent.select("post_id", "platform", "first_seen").iter_rows():
        later = [
            asked
            for when, post, asked in recorder.asked
            if post == pid and when > first and (asked is None or platform in asked)
        ]
        assert later == [], (pid, platform)
        assert permanent.filter(post_id=pid, platform=platform)["count"].to_list() == [1]
    assert tracker.result.saved["permanent"] > 0


@week_long
def test_a_post_with_no_network_left_is_no_longer_asked(runs):
    tracker, store, recorder, _, _ = runs["thrift"]
    gone = [pid for pid in tracker.post_ids if tracker.left(pid) == set()]
    assert gone  # the stories: Facebook refuses them, Instagram's expire after 24 h
    errors = store.scan("errors").collect()
    for pid in gone:
        last = errors.filter(post_id=pid)["first_seen"].max()
        assert [a for a in recorder.asked if a[1] == pid and a[0] > last] == [], pid


@week_long
def test_no_scheduled_post_is_asked_before_its_time(runs):
    _, _, recorder, posts, started = runs["thrift"]
    scheduled = (
        posts.filter(pl.col("type") == "schedule", pl.col("scheduled_at") > started)
        .group_by("post_id")
        .agg(pl.col("scheduled_at").min())
    )
    assert scheduled.height >= 2
    for pid, at in scheduled.iter_rows():
        times = [when for when, post, _ in recorder.asked if post == pid]
        assert all(t >= at for t in times), pid
        if at < started + WEEK - timedelta(hours=1):
            assert times, f"{pid} was never asked after its schedule time"


@week_long
def test_nine_requests_in_ten_give_a_new_snapshot(runs):
    tracker, _, _, _, _ = runs["thrift"]
    result = tracker.result
    assert result.requests > 50
    assert result.productive / result.requests >= 0.9, result.summary()
    assert 0 < result.changed <= result.productive
    text = result.summary()
    assert "saved" in text and "changed" in text


@week_long
def test_no_moving_snapshot_of_the_baseline_is_lost(runs):
    """Every snapshot the every-round baseline captured with a changed number, while the network
    was younger than its settle age, is captured by the thrifty run too."""
    key = list(TABLE_KEYS["wide"])
    base = runs["baseline"][1].scan("wide").collect()
    thrift = runs["thrift"][1].scan("wide").collect()
    metrics = [c for c in base.columns if base[c].dtype.is_numeric() and c != "thread_position"]
    unit = ["post_id", "platform", "thread_position"]
    moved = (
        base.sort([*unit, "observed_at"])
        .with_columns(
            pl.any_horizontal(
                [pl.col(m).ne_missing(pl.col(m).shift(1).over(unit)) for m in metrics]
            ).alias("moved"),
            (pl.col("observed_at") - pl.col("published_at")).alias("age"),
        )
        .filter(pl.col("moved"))
    )
    settle = pl.col("platform").replace_strict(
        {k: v for k, v in SETTLED_AFTER.items()}, default=timedelta(days=7)
    )
    young = moved.filter(pl.col("age") < settle)
    assert young.height > 100
    lost = young.join(thrift, on=key, how="anti", nulls_equal=True)
    assert lost.height == 0, [
        (
            r["platform"],
            str(r["observed_at"]),
            str(r["age"]),
            r["comments"],
            r["reactions"],
            r["impressions"],
        )
        for r in lost.to_dicts()
    ]
    runs_baseline = runs["baseline"][0].result
    assert runs_baseline.requests > 1.5 * runs["thrift"][0].result.requests


@week_long
def test_the_errors_table_keeps_one_row_per_lasting_error(runs):
    _, store, _, _, _ = runs["baseline"]  # the baseline asks the same failures every round
    errors = store.scan("errors").collect()
    assert errors.height > 0
    assert errors.select("post_id", "platform", "code").is_duplicated().sum() == 0
    assert errors["count"].max() > 10
    assert (errors["first_seen"] <= errors["last_seen"]).all()
    files = list((Path(store.path) / "errors").rglob("*.parquet"))
    assert len(files) <= 2 * errors.select("platform").n_unique() * 9  # per batch, not per row


def test_appending_the_same_errors_twice_counts_them_once(tmp_path):
    t = datetime(2026, 11, 1, tzinfo=UTC)
    row = {"post_id": "p1", "platform": "facebook", "reason": "network_error", "code": 484,
           "message": "no story",
           "http_status": None, "retryable": False, "fetched_at": t}  # fmt: skip
    store = SnapshotStore(tmp_path / "s")
    frame = pl.DataFrame([row])
    assert store.append({"errors": frame}) == {"errors": 1}
    assert store.append({"errors": frame}) == {"errors": 0}
    later = frame.with_columns(pl.lit(t + timedelta(hours=1)).alias("fetched_at"))
    assert store.append({"errors": later}) == {"errors": 1}
    got = store.scan("errors").collect()
    assert got.select("count", "first_seen", "last_seen").row(0) == (2, t, t + timedelta(hours=1))


@week_long
def test_a_restarted_tracker_remembers_permanent_errors(runs, tmp_path):
    tracker, store, _, posts, _ = runs["thrift"]
    client, clock, recorder = demo_client()
    clock.advance(WEEK + timedelta(days=1))
    again = Tracker(client, store, tracker.post_ids, posts=posts, progress=False, clock=clock)
    again.start()
    assert again.dropped == tracker.dropped and again.dropped
    again.run_round(clock.now())
    for pid, platform in again.dropped:
        assert not [a for a in recorder.asked if a[1] == pid and (a[2] is None or platform in a[2])]


@pytest.mark.parametrize(
    ("code", "rule"),
    [(484, "permanent"), (485, "permanent"), (186, "permanent"), (419, "until_fixed"),
     (272, "until_fixed"), (435, "retry_after"), (189, "scheduled")],
)  # fmt: skip
def test_each_code_has_a_rule(code, rule):
    now = datetime(2026, 11, 1, tzinfo=UTC)
    when, why = after_error(code, None, now, min_interval=timedelta(hours=1))
    assert why == rule
    if rule == "permanent":
        assert when is None
    elif rule == "until_fixed":
        assert when is not None and when - now >= timedelta(hours=12)
    else:
        assert when is not None and when > now


def test_until_fixed_backs_off_and_is_remembered(tmp_path):
    client, clock, recorder = demo_client()
    store = SnapshotStore(tmp_path / "s")
    tracker = Tracker(client, store, ["p1"], progress=False, clock=clock)
    now = clock.now()
    errors = pl.DataFrame(
        [
            {
                "post_id": "p1",
                "platform": "twitter",
                "reason": "network_error",
                "code": 419,
                "message": "keys",
                "http_status": None,
                "retryable": False,
                "fetched_at": now,
            }
        ]  # fmt: skip
    )
    tracker.note_errors(errors, now)
    first = tracker.held[("p1", "twitter")][0]
    tracker.note_errors(errors, first)
    second = tracker.held[("p1", "twitter")][0]
    assert second - first > first - now >= timedelta(hours=12)
    store.append({"errors": errors})
    fresh = Tracker(client, store, ["p1"], progress=False, clock=clock)
    fresh.start()
    assert fresh.held[("p1", "twitter")][0] > now


def _wide_row(platform: str, published: datetime, observed: datetime, **numbers) -> pl.DataFrame:
    from ayr_analysis import schema

    row = {"post_id": "p1", "platform": platform, "thread_position": 0,
           "observed_at": observed, "fetched_at": observed, "last_updated": observed,
           "next_update": observed + timedelta(hours=1), "published_at": published, **numbers}  # fmt: skip
    return pl.DataFrame([{c: row.get(c) for c in schema.WIDE_SCHEMA}], schema=schema.WIDE_SCHEMA)


def test_a_network_in_its_known_delay_waits_for_the_end_of_it(tmp_path):
    client, clock, _ = demo_client()
    tracker = Tracker(client, SnapshotStore(tmp_path / "s"), ["p1"], progress=False, clock=clock)
    published = clock.now() - timedelta(hours=3)
    tracker.remember(_wide_row("youtube", published, clock.now(), views=0, likes=0), clock.now())
    assert tracker.not_before[("p1", "youtube")] == (published + timedelta(hours=24), "delay")
    # numbers already there: no delay to wait for
    tracker.remember(_wide_row("youtube", published, clock.now(), views=50), clock.now())
    assert ("p1", "youtube") not in tracker.not_before


def test_settled_networks_are_asked_less_and_less_often_down_to_the_floor(tmp_path):
    client, clock, _ = demo_client()
    tracker = Tracker(
        client, SnapshotStore(tmp_path / "s"), ["p1"], progress=False, clock=clock,
        max_interval=timedelta(hours=12),
    )  # fmt: skip
    now = clock.now()
    published = now - SETTLED_AFTER["twitter"] - timedelta(hours=1)
    waits = []
    for _ in range(5):
        tracker.remember(_wide_row("twitter", published, now, likes=10), now)
        at, why = tracker.not_before[("p1", "twitter")]
        assert why == "settled"
        waits.append(at - now)
        now = at
    assert waits == [timedelta(hours=h) for h in (2, 4, 8, 12, 12)]


def test_the_decision_table_in_the_docs_is_the_code():
    doc = (REPO / "docs" / "METRICS.md").read_text(encoding="utf-8")
    header = "| code | lasting | what tracking does next |"
    assert doc.count(header) == 1
    rows = {}
    for line in doc.split(header, 1)[1].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[int(cells[0])] = cells[1:]
    from ayr_analysis.tracking import decision_table

    assert rows == {code: [lasting, what] for code, lasting, what in decision_table()}
    assert set(rows) == set(ERROR_CODES)


def test_track_and_the_cli_know_the_thrift_options(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "ayr_analysis", "track", "--help"],
        capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    assert "--max-interval" in out and "--no-thrift" in out
    client, clock, _ = demo_client()
    result = track(last_days=2, store=tmp_path / "s", client=client, clock=clock, rounds=1,
                   progress=False, max_interval="6h")  # fmt: skip
    assert re.search(r"saved \d+", result.summary())


class QuotaRecorder(Recorder):
    """The sandbox with X's daily analytics quota switched on, its day on the virtual clock;
    notes each analytics request and its status."""

    def __init__(self, clock: VirtualClock, quota: int, form: str) -> None:
        from ayr_analysis.sandbox import Quirks

        SandboxTransport.__init__(
            self, clock=clock, rate_limit=1_000_000, rate_window=DEMO_RATE_WINDOW,
            quirks=Quirks(x_daily_quota=quota, x_quota_form=form),
            rate_time=lambda: clock.now().timestamp(),
        )  # fmt: skip
        self.vclock = clock
        self.asked = []
        self.refused: list[tuple[datetime, str]] = []  # X's quota said no: (when, post id)

    def _answer(self, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if request.url.path.endswith("/analytics/post"):
            body = json.loads(request.content or b"{}")
            text = response.read().decode()
            if "analytics rate limit reached" in text:
                self.refused.append((self.vclock.now(), body.get("id")))
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self._answer(request, await super().handle_async_request(request))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._answer(request, super().handle_request(request))


@week_long  # three simulated days of tracking, a hundred appends to the store: 15 s of CPU each
@pytest.mark.parametrize("form", ["http", "in_place"])
def test_x_daily_quota_is_asked_again_when_it_renews_not_every_interval(tmp_path, form):
    """X's daily quota (a 429 naming twitter): the tracker waits for the quota's 24 hours, not
    ``min_interval``, before asking X again for that post; the post's other networks go on."""
    clock = VirtualClock(speed=0.0)
    recorder = QuotaRecorder(clock, quota=4, form=form)
    client = AyrshareClient(
        source="demo", transport=recorder, rate_limit=1_000_000, rate_window=DEMO_RATE_WINDOW
    )
    posts = history(client=client, last_days=30)
    x_ids = posts.filter(pl.col("platform") == "twitter")["post_id"].unique().sort().to_list()
    assert len(x_ids) >= 8
    tracker = Tracker(
        client, SnapshotStore(tmp_path / form), x_ids[:8], posts=posts, progress=False,
        clock=clock, min_interval=timedelta(hours=1),
    )  # fmt: skip
    started = clock.now()
    simulate(tracker, clock, until=started + timedelta(days=3), tick=timedelta(minutes=30))
    assert recorder.refused, "the quota was never reached"
    by_post: dict[str, list[datetime]] = {}
    for when, pid in recorder.refused:
        by_post.setdefault(pid, []).append(when)
    for pid, times in by_post.items():
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert all(g >= timedelta(hours=24) for g in gaps), (pid, gaps)
    # at most one refusal per post and quota day (before: one per post every min_interval)
    assert len(recorder.refused) <= 8 * 3
    # the other networks of a refused post are still asked within the quota's day
    nets = {p: set(posts.filter(pl.col("post_id") == p)["platform"]) for p in by_post}
    wider = [p for p in by_post if len(nets[p]) > 1]
    assert wider
    for pid in wider:
        first = by_post[pid][0]
        later = [t for t, p, asked in recorder.asked
                 if p == pid and asked and "twitter" not in asked
                 and first < t < first + timedelta(hours=24)]  # fmt: skip
        assert later, pid


def test_x_daily_quota_rule():
    now = datetime(2026, 11, 1, tzinfo=UTC)
    hour = timedelta(hours=1)
    assert ERROR_CODES[429].lasting == "retry_after"
    when, rule = after_error(429, 429, now, min_interval=hour, platform="twitter")
    assert (when - now, rule) == (timedelta(hours=24), "retry_after")
    # the profile's own rate limit (no network named) keeps the error's delay, else the interval
    assert after_error(429, 429, now, min_interval=hour, retry_after=300.0)[0] - now == timedelta(
        seconds=300
    )
    assert after_error(429, 429, now, min_interval=hour)[0] - now == hour
