"""The client against a hostile HTTP server on 127.0.0.1 (tests/hostile_server.py): an endless
body, a trickle, a huge body, a gzip bomb, absurd rate-limit headers, nested JSON, a byte that is
not UTF-8. Each attack runs a live client in a fresh interpreter (under an address-space limit,
so a client that gives way cannot take the machine down) and bounds its wall time and the growth
of its peak resident memory. The bounds are generous (a loaded machine must not fail them); the
figures of one run are in docs/RELIABILITY.md (``bench/bench_hostile.py`` prints them).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hostile_server import HostileServer, run_client

pytestmark = pytest.mark.slow

#: the default response size cap (AYRSHARE_MAX_RESPONSE_BYTES)
CAP_MB = 50
#: the bound on the growth of peak memory for a capped answer: twice the cap and 100 MB
MEMORY_BOUND_MB = 2 * CAP_MB + 100
FAST = {"AYRSHARE_TIMEOUT": "1", "AYRSHARE_DEADLINE": "3", "AYRSHARE_MAX_RETRIES": "0"}


@pytest.fixture
def attack(tmp_path):
    """Run ``call`` of a client against a server of ``name``; returns (outcome, server)."""

    def run(name: str, call: str = "post", env: dict[str, str] | None = None, timeout=90.0):
        with HostileServer(name) as srv:
            full = {"AYRSHARE_PACING_DIR": str(tmp_path / "pacing"), **(env or {})}
            out = run_client(srv.base_url, call, env=full, timeout=timeout)
        print(f"\n{name} {call}: {out}")
        return out, srv

    return run


@pytest.mark.parametrize("name", ["endless", "huge_unannounced", "gzip_bomb"])
def test_a_body_past_the_cap_ends_in_response_too_large_with_bounded_memory(attack, name):
    out, srv = attack(name)
    assert out.get("error") == "ResponseTooLargeError", out
    assert "50,000,000 bytes" in out["message"]
    assert out["peak_mb"] < MEMORY_BOUND_MB
    assert out["seconds"] < 30
    assert srv.requests == 1  # not retried: the same answer would come again


@pytest.mark.parametrize(
    ("name", "error", "deadline"),
    [
        # reading 50 MB may take more than 3 s on a machine busy with other tests
        ("endless", "ResponseTooLargeError", 20),
        ("gzip_bomb", "ResponseTooLargeError", 20),
        ("trickle_headers", "DeadlineExceededError", 3),
        ("nested", "InvalidResponseError", 3),
    ],
)
def test_a_bulk_fetch_meets_the_same_limits(attack, name, error, deadline):
    out, srv = attack(name, "bulk2", env={**FAST, "AYRSHARE_DEADLINE": str(deadline)}, timeout=60)
    assert out.get("errors") == [error], out
    assert out["result"].startswith("fetched 0 of 2 posts")
    assert out["peak_mb"] < 2 * MEMORY_BOUND_MB  # two answers read at once
    assert out["seconds"] < 3 * deadline


def test_an_announced_huge_body_is_refused_before_it_is_read(attack):
    out, _ = attack("huge")
    assert out.get("error") == "ResponseTooLargeError", out
    assert "announced 200,000,000 bytes" in out["message"]
    assert out["peak_mb"] < 20
    assert out["seconds"] < 10


def test_the_cap_is_configurable(attack):
    out, _ = attack("huge_unannounced", env={"AYRSHARE_MAX_RESPONSE_BYTES": "1000000"})
    assert out.get("error") == "ResponseTooLargeError", out
    assert "1,000,000 bytes" in out["message"]
    assert out["peak_mb"] < 2 * 1 + 100


@pytest.mark.parametrize("name", ["trickle", "trickle_headers"])
def test_a_trickling_server_ends_at_the_deadline(attack, name):
    out, srv = attack(name, env=FAST, timeout=60)
    assert out.get("error") == "DeadlineExceededError", out
    assert "deadline of 3 s" in out["message"]
    assert 2.5 <= out["seconds"] < 3 * 3  # at the deadline, not per read
    assert srv.requests == 1


def test_the_default_deadline_is_a_few_timeouts(attack):
    out, _ = attack("trickle", env={"AYRSHARE_TIMEOUT": "1"}, timeout=60)
    assert out.get("error") == "DeadlineExceededError", out
    assert "deadline of 4 s" in out["message"]
    assert out["seconds"] < 3 * 4


@pytest.mark.parametrize("call", ["post", "history"])
def test_deeply_nested_json_is_an_invalid_response(attack, call):
    out, _ = attack("nested", call)
    assert out.get("error") == "InvalidResponseError", out
    assert "nested deeper than 64 levels" in out["message"]
    assert out["seconds"] < 10


def test_a_deeply_nested_error_body_is_the_server_error_it_is(attack):
    out, _ = attack("nested_error", env={"AYRSHARE_MAX_RETRIES": "0"})
    assert out.get("error") == "ServerError", out
    assert "503" in out["message"]


def test_a_byte_that_is_not_utf8_is_named(attack):
    out, srv = attack("bad_utf8")
    assert out.get("error") == "InvalidResponseError", out
    assert "not valid UTF-8" in out["message"] and "0xe9" in out["message"]
    assert "reported an error" not in out["message"]
    assert srv.requests == 1


@pytest.mark.parametrize("name", ["retry_after_huge", "retry_after_inf", "retry_after_2100", "reset_huge"])  # fmt: skip
def test_absurd_waits_do_not_stall_a_bulk_fetch_or_storm_the_server(attack, name):
    out, srv = attack(name, "bulk20", env={"AYRSHARE_RATE_WINDOW": "1"}, timeout=90)
    assert out.get("result", "").startswith("fetched 0 of 20 posts"), out
    assert out["errors"] and all("RateLimit" in e for e in out["errors"]), out
    assert out["seconds"] < 30
    # never a 429 storm: far fewer requests than posts, however often it is told no
    assert srv.requests <= 16, srv.requests


def test_an_absurd_rate_limit_count_costs_no_memory(attack):
    out, _ = attack("count_huge", "bulk3")
    assert out.get("result") == "fetched 3 of 3 posts", out
    assert out["peak_mb"] < 50
    assert out["seconds"] < 10


def test_the_bench_script_prints_the_table():
    script = Path(__file__).resolve().parents[1] / "bench" / "bench_hostile.py"
    out = subprocess.run(
        [sys.executable, str(script), "--smoke"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "| JSON nested 100,000 deep" in out.stdout and "InvalidResponseError" in out.stdout
