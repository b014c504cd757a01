"""Pacing shared by the processes of one machine: a pacing file per profile (a digest of base
URL and keys names it), holding recent request times under an exclusive lock."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from client_fakes import KEY, PROFILE, FakeClock, ok
from test_ratelimit import max_in_any_window

from ayr_analysis.client import AyrshareClient
from ayr_analysis.config import ENV_VARS
from ayr_analysis.ratelimit import RateLimiter, default_pacing_dir, pacing_file
from ayr_analysis.sandbox import Faults, serve_in_thread

ROOT = Path(__file__).resolve().parents[1]
LIMIT, WINDOW = 20, 2.0


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for var in ENV_VARS.values():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.chdir(tmp_path)


class Arrivals(Faults):
    """No faults; records when each request reached the server."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.times: list[float] = []
        self._guard = threading.Lock()

    def decide(self):
        with self._guard:
            self.times.append(time.monotonic())
        return super().decide()


WORKER = r"""
import sys, time
from ayr_analysis.client import AyrshareClient
start, n = float(sys.argv[1]), int(sys.argv[2])
with AyrshareClient() as client:
    while time.time() < start:
        time.sleep(0.005)
    for _ in range(n):
        client.history(limit=1)
print("done")
"""


def _workers(srv, tmp_path, pacing_dir: str, n: int = 30, processes: int = 2):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AYRSHARE_")}
    env.update(
        AYRSHARE_API_KEY=KEY,
        AYRSHARE_BASE_URL=srv.base_url,
        AYRSHARE_SOURCE="live",
        AYRSHARE_RATE_LIMIT=str(LIMIT),
        AYRSHARE_RATE_WINDOW=str(WINDOW),
        AYRSHARE_PACING_DIR=pacing_dir,
        AYRSHARE_MAX_RETRIES="0",
        PYTHONPATH=str(ROOT),
    )
    # both are running before either sends (an interpreter importing the package can take
    # seconds to start on a machine busy with other tests)
    start = time.time() + 5.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(start), str(n)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(processes)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    return [(p.returncode, out, err) for p, (out, err) in zip(procs, outs, strict=True)]


@pytest.mark.slow
def test_two_processes_on_one_profile_stay_within_the_limit_together(tmp_path):
    arrivals = Arrivals()
    with serve_in_thread(
        api_keys=[KEY], faults=arrivals, rate_limit=LIMIT, rate_window=WINDOW
    ) as srv:
        results = _workers(srv, tmp_path, str(tmp_path / "pacing"))
        stats = srv.app.stats()
    for code, out, err in results:
        assert code == 0 and "done" in out, err[-2000:]
    assert len(arrivals.times) == 60
    assert stats["rate_limited"] == 0, stats
    assert max_in_any_window(arrivals.times, WINDOW) <= LIMIT
    # and not slower than needed: 60 requests at 20 per 2 s take a little over 4 s
    assert max(arrivals.times) - min(arrivals.times) < 4 * WINDOW + 6
    assert len(list((tmp_path / "pacing").glob("*.pace"))) == 1


def test_two_limiters_on_one_file_pace_together(tmp_path):
    path = pacing_file(tmp_path, "https://api.example/api", KEY, PROFILE)
    a = RateLimiter(3, 60.0, shared_file=path)
    b = RateLimiter(3, 60.0, shared_file=path)
    slept = []
    for limiter in (a, b, a):
        assert limiter.acquire(slept.append) == 0.0
    assert b.in_window() == 3 and a.in_window() == 3
    b.block_for(0.0)  # no wait changes nothing
    t0 = time.time()
    waits = []

    def fake_sleep(seconds):
        waits.append(seconds)
        raise TimeoutError  # stop at the first wait

    with pytest.raises(TimeoutError):
        b.acquire(fake_sleep)
    assert 59 < waits[0] <= 61 and time.time() - t0 < 1
    a.block_for(30.0)
    assert 29 < b.blocked_for <= 30  # a 429's block is shared too


def test_the_pacing_file_names_and_holds_no_key(tmp_path):
    path = pacing_file(tmp_path, "https://api.example/api", KEY, PROFILE)
    RateLimiter(5, 60.0, shared_file=path).acquire()
    data = path.read_bytes()
    assert KEY not in path.name and PROFILE not in path.name
    for secret in (KEY, PROFILE):
        assert secret.encode() not in data and secret[-6:].encode() not in data
    assert len(data) < 200
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    other = pacing_file(tmp_path, "https://api.example/api", KEY, "pk-other")
    assert other != path and pacing_file(tmp_path, "https://other/api", KEY, PROFILE) != path


def test_a_damaged_pacing_file_is_started_afresh(tmp_path):
    path = pacing_file(tmp_path, "u", KEY, "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00garbage" * 100)
    limiter = RateLimiter(2, 60.0, shared_file=path)
    assert limiter.acquire() == 0.0 and limiter.in_window() == 1


def test_which_clients_share_a_pacing_file(tmp_path, monkeypatch):
    monkeypatch.setenv("AYRSHARE_PACING_DIR", str(tmp_path / "p"))
    live = AyrshareClient(KEY, base_url="https://api.example/api")
    assert live.rate_limiter.shared_file is not None
    assert live.rate_limiter.shared_file.parent == tmp_path / "p"
    # a test clock, a stand-in transport or the demo: pacing stays in the process
    clock = FakeClock()
    assert AyrshareClient(KEY, clock=clock, sleep=clock.sleep).rate_limiter.shared_file is None
    mock = httpx.MockTransport(lambda r: ok())
    assert AyrshareClient(KEY, transport=mock).rate_limiter.shared_file is None
    assert AyrshareClient(source="demo").rate_limiter.shared_file is None
    monkeypatch.setenv("AYRSHARE_PACING_DIR", "off")
    assert AyrshareClient(KEY, base_url="https://api.example/api").rate_limiter.shared_file is None
    monkeypatch.delenv("AYRSHARE_PACING_DIR")
    off = AyrshareClient(KEY, base_url="https://api.example/api", pacing_dir="off")
    assert off.rate_limiter.shared_file is None


def test_the_default_folder_is_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    if sys.platform.startswith("linux"):
        assert default_pacing_dir() == tmp_path / "cache" / "ayr-analysis" / "pacing"
    assert pacing_file(None, "u", "k").parent == default_pacing_dir()


def test_an_unusable_pacing_folder_falls_back_with_a_warning(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    client = AyrshareClient(KEY, base_url="https://api.example/api", pacing_dir=str(blocker / "p"))
    assert client.rate_limiter.shared_file is None
    assert any("pacing with other processes is off" in r.getMessage() for r in caplog.records)
