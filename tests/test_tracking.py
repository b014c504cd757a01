"""Live tracking on the sandbox: nextUpdate respected, no 429, stop and restart without loss."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import httpx
import polars as pl
import pytest

from ayr_analysis import AyrshareClient, SnapshotStore, history, track
from ayr_analysis.errors import ValidationError
from ayr_analysis.sandbox import SandboxTransport, VirtualClock, build_world
from ayr_analysis.sandbox.transport import DEMO_RATE_WINDOW
from ayr_analysis.store import TABLE_KEYS


class CountingTransport(SandboxTransport):
    """The sandbox, counting answers by HTTP status."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.statuses: list[int] = []
        self.analytics_requests = 0

    def _count(self, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        self.statuses.append(response.status_code)
        self.analytics_requests += request.url.path.endswith("/analytics/post")
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self._count(request, await super().handle_async_request(request))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._count(request, super().handle_request(request))


def fast_client(speed: float = 36_000.0) -> tuple[AyrshareClient, CountingTransport]:
    transport = CountingTransport(clock=VirtualClock(speed=speed), rate_window=DEMO_RATE_WINDOW)
    client = AyrshareClient(
        source="demo", transport=transport, rate_window=DEMO_RATE_WINDOW, rate_limit=300
    )
    return client, transport


def young_posts(client: AyrshareClient, n: int = 3) -> list[str]:
    posts = history(client=client, last_days=3).filter(pl.col("status") == "success")
    return posts["post_id"].unique(maintain_order=True).head(n).to_list()


def no_duplicates(store: SnapshotStore) -> None:
    for table in ("long", "wide"):
        frame = store.scan(table).collect()
        assert frame.height > 0
        assert frame.select(TABLE_KEYS[table]).is_duplicated().sum() == 0, table


def test_track_gathers_five_snapshots_per_post_without_a_429(tmp_path):
    # the demo's clock moves only between rounds (two simulated hours each), so the count of
    # snapshots does not depend on how fast this machine runs a round
    clock = VirtualClock(speed=0.0)
    transport = CountingTransport(clock=clock, rate_window=DEMO_RATE_WINDOW)
    client = AyrshareClient(
        source="demo", transport=transport, rate_window=DEMO_RATE_WINDOW, rate_limit=300
    )
    ids = young_posts(client)
    store = SnapshotStore(tmp_path / "snaps")
    for _ in range(8):
        # every due post (thrift off): a young YouTube video would otherwise wait out its delay
        result = track(ids, store=store, client=client, rounds=1, progress=False, thrift=False)
        assert result.rounds == 1 and result.failed_posts == 0 and result.requests == len(ids)
        clock.advance(timedelta(hours=2))
    per_network = (
        store.scan("wide")
        .filter(pl.col("thread_position") == 0)
        .group_by("post_id", "platform")
        .agg(pl.col("observed_at").n_unique().alias("snapshots"))
        .collect()
    )
    assert set(per_network["post_id"]) == set(ids)
    assert per_network["snapshots"].min() >= 5
    assert 429 not in transport.statuses
    no_duplicates(store)


def test_track_asks_nothing_before_next_update(tmp_path):
    clock = VirtualClock(speed=0.0)  # frozen: nothing becomes due after the first round
    transport = CountingTransport(clock=clock, rate_window=DEMO_RATE_WINDOW)
    client = AyrshareClient(source="demo", transport=transport, rate_window=DEMO_RATE_WINDOW)
    ids = young_posts(client)
    store = SnapshotStore(tmp_path / "snaps")
    first = track(ids, store=store, client=client, progress=False)
    assert first.requests == len(ids)
    assert "frozen" in first.stopped
    # a restart on the same store knows every nextUpdate is in the future: no request at all
    second = track(ids, store=store, client=client, progress=False)
    assert second.requests == 0
    assert transport.analytics_requests == len(ids)
    # once time passes the next update, exactly the due networks are asked again
    clock.advance(timedelta(hours=7))
    third = track(ids, store=store, client=client, rounds=1, progress=False)
    assert third.requests == len(ids) and third.snapshots > 0
    no_duplicates(store)


def test_stop_in_the_background_then_restart_continues_without_duplicates(tmp_path):
    client, transport = fast_client(speed=7_200.0)
    ids = young_posts(client, n=4)
    store = SnapshotStore(tmp_path / "snaps")
    handle = track(ids, store=store, client=client, batch_size=2, background=True, progress=False)
    deadline = time.monotonic() + 30
    while handle.result.snapshots == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    result = handle.stop()
    assert not handle.running
    assert "stopped by request" in result.stopped
    assert "tracking stopped" in handle.status
    kept = store.scan("wide").collect().height
    assert kept == result.snapshots > 0  # everything fetched was written
    again = track(ids, store=store, client=client, rounds=3, progress=False)
    assert again.snapshots > 0
    assert store.scan("wide").collect().height == kept + again.snapshots
    no_duplicates(store)
    assert 429 not in transport.statuses


def test_track_by_campaign_and_by_last_days(tmp_path):
    client, _ = fast_client(speed=0.0)
    world = build_world()
    store = SnapshotStore(tmp_path / "snaps")
    campaigns = os.path.join(os.path.dirname(__file__), "..", "data", "campaigns.toml")
    result = track(
        campaign="reel-rush", campaigns=campaigns, store=store, client=client, progress=False
    )
    expected = {
        p.id for p in world.ayrshare_posts() if p.profile == 0 and p.campaign == "reel-rush"
    }
    assert result.posts == len(expected) > 0
    assert set(store.scan("wide").collect()["post_id"]) <= expected
    recent = track(last_days=2, store=tmp_path / "other", client=client, progress=False)
    assert recent.posts > 0 and recent.rounds == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of"),
        ({"ids": ["a"], "last_days": 3}, "exactly one of"),
        ({"ids": []}, "ids is empty"),
        ({"last_days": 0}, "whole number >= 1"),
        ({"last_days": "7"}, "whole number"),
        ({"campaign": "x"}, "needs campaigns="),
        ({"ids": ["a b"]}, "whitespace"),
        ({"ids": ["a"], "rounds": 0}, "rounds must be"),
        ({"ids": ["a"], "duration": "soon"}, "soon"),
        ({"ids": ["a"], "platforms": ["myspace"]}, "myspace"),
    ],
)
def test_bad_arguments_fail_before_any_request(tmp_path, kwargs, message):
    client, transport = fast_client(speed=0.0)
    with pytest.raises(ValidationError, match=message):
        track(store=tmp_path / "s", client=client, progress=False, **kwargs)
    assert transport.analytics_requests == 0


@pytest.mark.slow
def test_cli_track_stops_cleanly_on_ctrl_c_and_resumes(tmp_path):
    store = tmp_path / "snaps"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AYRSHARE_")}
    cmd = [sys.executable, "-m", "ayr_analysis", "track", "--last-days", "3", "--store",
           str(store), "--demo-speed", "600"]  # fmt: skip
    proc = subprocess.Popen(
        cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not (store / "wide").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "interrupted (Ctrl-C)" in out
    stored = SnapshotStore(store)
    before = stored.scan("wide").collect().height
    assert before > 0
    no_duplicates(stored)
    # again, for one round: continues on the same store, without duplicates
    again = subprocess.run(
        [*cmd, "--rounds", "1", "--quiet"], env=env, cwd=tmp_path, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    no_duplicates(stored)
    assert stored.scan("wide").collect().height >= before
