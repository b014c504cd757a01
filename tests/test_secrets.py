"""The API key never leaves the process: a sentinel key, accepted by the HTTP sandbox, is used by
the CLI, the public functions (logging at DEBUG into a file), the store and every notebook; then
every file produced (logs, stdout/stderr, the store's Parquet files, executed notebooks, HTML
reports) is searched for it, as are the errors raised with a bad key.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
from sandbox_helpers import CountingFaults

import ayr_analysis as ayr
from ayr_analysis.client import AyrshareClient
from ayr_analysis.config import ENV_VARS, load_settings
from ayr_analysis.errors import ApiConnectionError, AuthenticationError, AyrshareError
from ayr_analysis.sandbox import build_world, serve_in_thread
from ayr_analysis.store import SnapshotStore

SENTINEL = "SENTINEL-KEY-7f3a9c"
#: a fragment that would give away a partly masked key ("SENT...7f3a9c")
FRAGMENT = "7f3a9c"
ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
WINDOW_S = 5.0


@pytest.fixture(scope="module")
def server():
    faults = CountingFaults()
    # the real limit (300 per profile) over a compressed window, so the module runs in seconds
    with serve_in_thread(
        api_keys=[SENTINEL, "other-key-1234"], faults=faults, rate_window=WINDOW_S
    ) as srv:
        yield srv, faults


@pytest.fixture
def live(server, monkeypatch, tmp_path):
    srv, faults = server
    for var in ENV_VARS.values():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("AYRSHARE_API_KEY", SENTINEL)
    monkeypatch.setenv("AYRSHARE_BASE_URL", srv.base_url)
    monkeypatch.setenv("AYRSHARE_SOURCE", "live")
    monkeypatch.setenv("AYRSHARE_RATE_WINDOW", str(WINDOW_S))
    monkeypatch.chdir(tmp_path)
    return srv, faults, tmp_path


def leaks(folder: Path) -> list[str]:
    """Files under ``folder`` holding the sentinel (or its tail), as bytes in any encoding."""
    found = []
    needles = [s.encode(enc) for s in (SENTINEL, FRAGMENT) for enc in ("utf-8", "utf-16-le")]
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(n in data for n in needles):
                found.append(str(path.relative_to(folder)))
    return found


def ids_of_primary(n: int) -> list[str]:
    world = build_world(7)
    posts = [p for p in world.ayrshare_posts() if p.profile == 0 and p.publish_at <= world.now]
    return [p.id for p in posts[-n:]]


def test_the_search_finds_a_planted_key(tmp_path):
    (tmp_path / "a.log").write_text(f"x {SENTINEL} y")
    (tmp_path / "b.bin").write_bytes(b"\x00" + FRAGMENT.encode("utf-16-le"))
    (tmp_path / "c.txt").write_text("nothing here")
    assert sorted(leaks(tmp_path)) == ["a.log", "b.bin"]


@pytest.mark.slow
def test_cli_in_a_subprocess_with_debug_logging_leaks_nothing(live):
    srv, faults, tmp = live
    before = faults.seen
    ids = ids_of_primary(3)
    runs = {
        "track": ["track", "--ids", *ids, "--store", str(tmp / "store"), "--rounds", "1"],
        "track-days": ["track", "--last-days", "2", "--store", str(tmp / "store"), "--rounds", "1"],
        "campaigns": ["campaigns", str(ROOT / "data" / "campaigns.toml")],
        "track-unknown": ["track", "--ids", "no-such-post", "--store", str(tmp / "s2"),
                          "--rounds", "1"],
    }  # fmt: skip
    runs["report"] = ["report", "quickstart", "-p", "source", "live", "-o", str(tmp / "rep")]
    script = (
        "import logging, sys\n"
        "logging.basicConfig(filename=sys.argv[1], level=logging.DEBUG, force=True)\n"
        "from ayr_analysis.cli import main\n"
        "sys.exit(main(sys.argv[2:]))\n"
    )
    for name, argv in runs.items():
        log = tmp / f"{name}.log"
        done = subprocess.run(
            [sys.executable, "-c", script, str(log), *argv],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        (tmp / f"{name}.stdout").write_text(done.stdout)
        (tmp / f"{name}.stderr").write_text(done.stderr)
        assert done.returncode == 0, (name, done.stderr[-2000:])
        assert log.exists() and log.stat().st_size > 0 or name == "campaigns"
    # the runs really talked to the server with the key, and wrote data
    assert faults.seen - before >= 4
    assert "tracking ended" in (tmp / "track.stdout").read_text()
    assert SnapshotStore(tmp / "store").read("wide").height > 0
    assert "HTTP Request: POST" in (tmp / "track.log").read_text()  # httpx logged at DEBUG/INFO
    assert leaks(tmp) == []


def test_public_functions_store_and_logs_leak_nothing(live, capsys):
    srv, faults, tmp = live
    log_file = tmp / "debug.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(args)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        client = AyrshareClient(max_retries=1, sleep=lambda s: None)
        ids = ids_of_primary(4)
        frames = ayr.fetch_post_analytics([*ids, "no-such-post"], client=client, progress=True)
        posts = ayr.history(client=client, last_days=5)
        social = ayr.account_analytics(["instagram", "tiktok"], client=client, daily=True)
        post = build_world(7).posts_by_id[ids[0]]
        net = next(n for n in post.networks if n != "twitter")
        by_social = ayr.social_post_analytics(post.networks[net].social_id, net, client=client)
        store = SnapshotStore(tmp / "store")
        store.append(frames)
        store.append({"posts": posts})
        run = ayr.track(ids[:2], store=store, client=client, rounds=1, progress=False)
        print(client, client.settings, frames, social, run, run.summary(), store.summary())
        print(repr(client.settings), [r.headers for r in client.fetch_many(ids).responses])
        client.close()
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
    out = capsys.readouterr()
    (tmp / "stdout.txt").write_text(out.out)
    (tmp / "stderr.txt").write_text(out.err)
    assert frames.wide.height > 0 and frames.source == "live"
    assert by_social.wide["platform"].to_list() == [net]
    assert frames.errors.filter(frames.errors["post_id"] == "no-such-post").height == 1
    assert store.read("wide").height > 0 and log_file.stat().st_size > 0
    assert leaks(tmp) == []


def test_errors_with_a_bad_or_unusable_key_do_not_carry_it(server, monkeypatch, tmp_path):
    srv, _ = server
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.chdir(tmp_path)
    bad = SENTINEL + "-revoked"
    errors: list[AyrshareError] = []
    with AyrshareClient(bad, base_url=srv.base_url, profile_key=SENTINEL) as client:
        with pytest.raises(AuthenticationError) as info:
            client.analytics_post("abc")
        errors.append(info.value)
        result = client.fetch_many(["a1", "a2"], progress=False)
        assert [type(f.error) for f in result.failures] == [AuthenticationError] * 2
        errors.extend(f.error for f in result.failures)
        frames = ayr.fetch_post_analytics(["a3"], client=client)
    with AyrshareClient(bad, base_url="http://127.0.0.1:9/api", max_retries=0) as client:
        with pytest.raises(ApiConnectionError) as info:
            client.history()
        errors.append(info.value)
    for err in errors:
        texts = [str(err), repr(err), str(err.args), str(err.details), str(err.__dict__)]
        texts.append("".join(traceback.format_exception(err)))
        texts.append(repr(pickle.loads(pickle.dumps(err)).__dict__))
        for text in texts:
            assert SENTINEL not in text and FRAGMENT not in text, text
    assert errors[0].http_status == 401 and "API Key not valid" in errors[0].message
    assert FRAGMENT not in str(frames.errors.rows())
    settings = load_settings(api_key=bad, profile_key=SENTINEL)
    assert FRAGMENT not in repr(settings) + str(settings)


# ------------------------------------------------------------------------------- notebooks
def _run_notebook(notebook: Path, out: Path) -> None:
    """Run one notebook as a report (executed notebook + HTML) on the live (sentinel) server."""
    from ayr_analysis.reports import notebook_parameters, run_report

    # live data has no default campaigns file: the live server holds the demo world, so its
    params = {"source": "live", "profile_key": None, "tracking_seconds": 2,
              "campaigns_file": str(ROOT / "data" / "campaigns.toml")}  # fmt: skip
    declared = notebook_parameters(notebook.stem)  # a name the notebook lacks is an error
    run_report(notebook.stem, {k: v for k, v in params.items() if k in declared}, out)


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_every_notebook_and_report_leaks_nothing(live, notebook):
    assert len(NOTEBOOKS) >= 4
    srv, faults, tmp = live
    before = faults.seen
    out = tmp / "reports"
    _run_notebook(notebook, out)
    produced = [p for p in out.rglob("*") if p.is_file()]
    assert produced, "the notebook run produced no file"
    assert faults.seen > before, "the notebook did not talk to the live (sentinel) server"
    assert leaks(tmp) == []
