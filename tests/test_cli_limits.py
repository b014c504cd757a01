"""Command-line values that used to end in a traceback (OverflowError) or be taken as they were
(a zero interval, an empty store path) are refused while the command line is read: exit code 2,
one line naming the option, nothing sent."""

from __future__ import annotations

import pytest
from sandbox_helpers import CountingFaults

from ayr_analysis import cli
from ayr_analysis.config import ENV_VARS
from ayr_analysis.sandbox import serve_in_thread

KEY = "cli-limits-key-1234"


@pytest.fixture(scope="module")
def live_server():
    faults = CountingFaults()
    with serve_in_thread(api_keys=[KEY], faults=faults) as srv:
        yield srv, faults


# (id, argv with {tmp} for the test folder, words the error output must contain)
CASES = [
    ("duration-overflow", ["track", "--ids", "a", "--store", "{tmp}/s", "--duration", "99999999999w"], "argument --duration: duration '99999999999w' is too long"),
    ("duration-decades", ["track", "--ids", "a", "--store", "{tmp}/s", "--duration", "1000w"], "is over 3650 days"),
    ("duration-zero", ["track", "--ids", "a", "--store", "{tmp}/s", "--duration", "0s"], "must be more than 0 s"),
    ("duration-text", ["track", "--ids", "a", "--store", "{tmp}/s", "--duration", "forever"], "invalid duration 'forever'"),
    ("min-interval-zero", ["track", "--ids", "a", "--store", "{tmp}/s", "--min-interval", "0s"], "argument --min-interval: duration '0s' must be more than 0 s"),
    ("max-interval-overflow", ["track", "--ids", "a", "--store", "{tmp}/s", "--max-interval", "9999999999999d"], "argument --max-interval: duration '9999999999999d' is too long"),
    ("demo-speed-inf", ["track", "--ids", "a", "--store", "{tmp}/s", "--demo-speed", "inf"], "argument --demo-speed: speed inf is not between 0 and 1,000,000"),
    ("demo-speed-nan", ["track", "--ids", "a", "--store", "{tmp}/s", "--demo-speed", "nan"], "speed nan is not between"),
    ("store-empty", ["track", "--ids", "a", "--store", ""], "argument --store: the store path must not be empty"),
    ("store-blank", ["track", "--ids", "a", "--store", "  "], "the store path must not be empty"),
    ("sandbox-port", ["sandbox", "--port", "99999"], "argument --port: port 99999 is not between 0 and 65535"),
    ("sandbox-port-negative", ["sandbox", "--port", "-1"], "port -1 is not between"),
    ("sandbox-speed-inf", ["sandbox", "--speed", "inf"], "argument --speed: speed inf"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_cli_refuses_absurd_values_with_one_line(live_server, monkeypatch, tmp_path, capsys, argv, words):  # fmt: skip
    srv, faults = live_server
    for var in ENV_VARS.values():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("AYRSHARE_API_KEY", KEY)
    monkeypatch.setenv("AYRSHARE_BASE_URL", srv.base_url)
    monkeypatch.setenv("AYRSHARE_SOURCE", "live")
    monkeypatch.chdir(tmp_path)
    before = faults.seen
    try:
        code = cli.main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert words in err
    assert "Traceback" not in err
    assert faults.seen == before  # nothing reached the server
    assert list(tmp_path.iterdir()) == []  # nothing written either
