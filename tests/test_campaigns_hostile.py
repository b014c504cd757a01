"""Campaigns against odd and hostile input: a campaign with no post yet, a byte-order mark, a
device or a huge file given as the campaigns file, and a regex that backtracks forever in a
backtracking engine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from ayr_analysis import AyrshareClient, SnapshotStore, track
from ayr_analysis.campaigns import (
    MAX_CAMPAIGNS_FILE_BYTES,
    Campaign,
    CampaignsFileError,
    CampaignWarning,
    assign_campaigns,
    campaign_posts,
    load_campaigns,
    parse_campaigns,
)
from ayr_analysis.config import ENV_VARS
from ayr_analysis.sandbox import SandboxTransport, VirtualClock
from ayr_analysis.sandbox.transport import DEMO_RATE_WINDOW
from ayr_analysis.tracking import resolve_targets

NOT_YET = '[[campaign]]\nname = "winter-sale"\nhashtags = ["#WinterSale"]\n'
FRAME = pl.DataFrame(
    {
        "post_id": ["a", "b", "c"],
        "platform": ["tiktok", "instagram", "tiktok"],
        "text": ["New #Launch", "hello", None],
        "published_at": [datetime(2026, 8, 1, 10, tzinfo=UTC)] * 3,
    }
)
POSTS = FRAME.rename({"published_at": "created_at"})


def _cli_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ENV_VARS.values()}


def _demo_client() -> AyrshareClient:
    transport = SandboxTransport(clock=VirtualClock(speed=0.0), rate_window=DEMO_RATE_WINDOW)
    return AyrshareClient(source="demo", transport=transport, rate_window=DEMO_RATE_WINDOW)


# ------------------------------------------------------------------- no post yet


@pytest.mark.parametrize(
    "campaigns",
    [
        [Campaign("soon", hashtags=("#WinterSale",))],
        [Campaign("soon", ids=("not-published-yet",))],
        [Campaign("soon", pattern="winter sale")],
        [Campaign("soon", start=datetime(2030, 1, 1, tzinfo=UTC))],
        [Campaign("soon", platforms=("youtube",))],
        [Campaign("soon", hashtags=("#WinterSale",)), Campaign("later", pattern="^zzz")],
    ],
    ids=["hashtag", "ids", "pattern", "window", "network", "two"],
)
@pytest.mark.parametrize("rows", [3, 1, 0])
@pytest.mark.parametrize("with_posts", [False, True])
def test_a_campaign_with_no_post_yet_assigns_nothing_and_raises_nothing(
    campaigns, rows, with_posts
):
    frame = FRAME.head(rows)
    out = assign_campaigns(frame, campaigns, posts=POSTS if with_posts else None)
    assert out.height == rows
    assert out["campaign"].to_list() == [None] * rows
    assert out.drop("campaign").equals(frame)


def test_campaign_posts_of_a_campaign_with_no_post_yet_is_empty_with_a_warning():
    campaigns = [Campaign("launch", hashtags=("#Launch",)), Campaign("soon", pattern="winter")]
    with pytest.warns(CampaignWarning, match=r"campaign 'soon' matches none of 3 post\(s\) yet"):
        chosen = campaign_posts(FRAME, campaigns, "soon")
    assert chosen.height == 0 and chosen.columns == FRAME.columns
    with warnings.catch_warnings():
        warnings.simplefilter("error", CampaignWarning)
        assert campaign_posts(FRAME, campaigns, "launch")["post_id"].to_list() == ["a"]


def test_tracking_a_campaign_with_no_post_yet_tracks_zero_posts_with_a_warning(tmp_path):
    file = tmp_path / "campaigns.toml"
    file.write_text(NOT_YET)
    client = _demo_client()
    with pytest.warns(CampaignWarning, match="'winter-sale' matches none"):
        assert resolve_targets(campaign="winter-sale", campaigns=file, client=client) == []
    store = SnapshotStore(tmp_path / "store")
    with pytest.warns(CampaignWarning, match="'winter-sale' matches none"):
        result = track(
            campaign="winter-sale", campaigns=file, store=store, client=client, progress=False
        )
    assert result.posts == 0 and result.snapshots == 0


def test_cli_track_of_a_campaign_with_no_post_yet_ends_cleanly(tmp_path):
    file = tmp_path / "campaigns.toml"
    file.write_text(NOT_YET)
    argv = [sys.executable, "-m", "ayr_analysis", "track", "--campaign", "winter-sale",
            "--campaigns", str(file), "--store", str(tmp_path / "store"), "--rounds", "1",
            "--quiet"]  # fmt: skip
    proc = subprocess.run(argv, env=_cli_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "AssertionError" not in proc.stderr
    assert "CampaignWarning" in proc.stderr and "'winter-sale' matches none" in proc.stderr
    assert "tracking ended: 0 posts" in proc.stdout


@pytest.mark.slow
def test_the_campaign_report_runs_when_no_campaign_has_a_post_yet(tmp_path):
    from ayr_analysis.reports import run_report

    file = tmp_path / "campaigns.toml"
    file.write_text(NOT_YET + '\n[[campaign]]\nname = "next-year"\nstart = 2031-01-01\n')
    nb_path, html = run_report(
        "campaign_comparison", {"campaigns_file": str(file)}, tmp_path / "out", timeout=300
    )
    assert html.exists()
    outputs = [
        "".join(out.get("text") or out.get("data", {}).get("text/plain", ""))
        for cell in json.loads(nb_path.read_text())["cells"]
        for out in cell.get("outputs", [])
    ]
    assert any("winter-sale" in o and "0" in o and "next-year" in o for o in outputs)
    assert any("0 snapshots of 0 campaign posts" in o for o in outputs)


# ------------------------------------------------------------------------ the file


def test_a_byte_order_mark_is_accepted(tmp_path):
    file = tmp_path / "campaigns.toml"
    file.write_bytes("\ufeff".encode() + NOT_YET.encode())
    assert [c.name for c in load_campaigns(file)] == ["winter-sale"]
    assert [c.name for c in parse_campaigns("\ufeff" + NOT_YET)] == ["winter-sale"]
    file.write_text(NOT_YET, encoding="utf-8-sig")
    proc = subprocess.run(
        [sys.executable, "-m", "ayr_analysis", "campaigns", str(file)],
        env=_cli_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "1 campaign(s) OK" in proc.stdout


def _load_quickly(path: Path, seconds: float = 5.0):
    """load_campaigns(path) in a thread, so that a hang fails the test instead of the run."""
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["value"] = load_campaigns(path)
        except Exception as exc:  # noqa: BLE001 - handed to the test
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"load_campaigns({str(path)!r}) still running after {seconds} s"
    assert time.monotonic() - started < seconds
    return result


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero on this system")
def test_a_device_is_refused_at_once():
    got = _load_quickly(Path("/dev/zero"))
    assert isinstance(got.get("error"), CampaignsFileError)
    assert "/dev/zero" in str(got["error"]) and "not a regular file" in str(got["error"])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "campaigns.toml"
    os.mkfifo(fifo)
    got = _load_quickly(fifo)
    assert isinstance(got.get("error"), CampaignsFileError)
    assert "not a regular file" in str(got["error"])


def test_a_huge_file_is_refused_by_its_size(tmp_path):
    file = tmp_path / "campaigns.toml"
    padding = "# " + "x" * 98 + "\n"
    file.write_text(NOT_YET + padding * (MAX_CAMPAIGNS_FILE_BYTES // len(padding) + 1))
    got = _load_quickly(file)
    assert isinstance(got.get("error"), CampaignsFileError)
    assert f"larger than {MAX_CAMPAIGNS_FILE_BYTES:,} bytes" in str(got["error"])
    file.write_text(NOT_YET + padding * 100)  # comments are fine below the limit
    assert [c.name for c in _load_quickly(file)["value"]] == ["winter-sale"]


def test_cli_campaigns_on_a_device_is_one_line_and_exit_status_2():
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero on this system")
    proc = subprocess.run(
        [sys.executable, "-m", "ayr_analysis", "campaigns", "/dev/zero"],
        env=_cli_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "not a regular file" in proc.stderr and "Traceback" not in proc.stderr


# ---------------------------------------------------------------------------- regexes


def test_a_catastrophic_regex_ends_fast():
    """``(a+)+$`` backtracks for ever on 'aaa...b' in a backtracking engine (2^n steps)."""
    campaigns = parse_campaigns('[[campaign]]\nname = "a"\npattern = "(a+)+$"\n')
    texts = ["a" * n + "b" for n in (30, 1_000, 50_000)] + ["a" * 40]
    frame = pl.DataFrame(
        {"post_id": [f"p{i}" for i in range(len(texts))], "platform": "tiktok", "text": texts}
    )
    started = time.monotonic()
    out = assign_campaigns(frame, campaigns)
    assert out["campaign"].to_list() == [None, None, None, "a"]
    assert campaigns[0].matches_text("a" * 30 + "b") is False
    assert time.monotonic() - started < 5


def test_a_catastrophic_regex_over_many_demo_like_texts_ends_fast():
    texts = [f"Post {i}: " + "great " * 40 + "#DevTips with @ana!" for i in range(2_000)]
    frame = pl.DataFrame({"post_id": [str(i) for i in range(2_000)], "text": texts})
    campaigns = [Campaign("x", pattern=r"(\w+\s?)+$"), Campaign("y", pattern=r"(.*a){20}")]
    started = time.monotonic()
    out = assign_campaigns(frame, campaigns)
    assert time.monotonic() - started < 10
    assert out["campaign"].null_count() == 0  # each text ends... with "!" -> y matches


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("(?<=with )@ana", "look-around"),
        (r"(\\w)\\1", "backreferences"),
        ("(unclosed", "unclosed group"),
        (r"\\w{1000}{1000}", "size limit"),
    ],
)
def test_patterns_the_engine_cannot_run_are_refused_with_the_reason(pattern, message):
    text = f'[[campaign]]\nname = "a"\npattern = "{pattern}"\n'
    started = time.monotonic()
    with pytest.raises(
        CampaignsFileError, match=rf"'a': 'pattern' is not a valid regex: .*{message}"
    ):
        parse_campaigns(text)
    assert time.monotonic() - started < 10
