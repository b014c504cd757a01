"""A catalogue of bad inputs across the public functions and the CLI: each gets a clear error
that names the problem, and nothing is sent (requests are counted at the transport).

Report parameters (``ayr_analysis.reports.check_parameters``) are not part of this branch yet:
the cases to add once it exists are listed in docs/RELIABILITY.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest
from sandbox_helpers import CountingFaults

import ayr_analysis as ayr
from ayr_analysis import cli
from ayr_analysis.campaigns import CampaignsFileError, load_campaigns
from ayr_analysis.client import MAX_BULK_IDS, AyrshareClient
from ayr_analysis.config import ENV_VARS, load_settings
from ayr_analysis.errors import MissingApiKeyError, ValidationError
from ayr_analysis.metrics import at_age, parse_duration
from ayr_analysis.reports import ReportParameterError, check_parameters, run_report
from ayr_analysis.sandbox import serve_in_thread
from ayr_analysis.store import SnapshotStore, StoreError
from ayr_analysis.tracking import track

KEY = "bad-input-test-key-0001"
CAMPAIGNS = '[[campaign]]\nname = "launch"\nhashtags = ["#Launch"]\n'


@dataclass
class Ctx:
    client: AyrshareClient
    tmp: Path
    requests: list[httpx.Request]

    def file(self, name: str, text: str | bytes) -> Path:
        path = self.tmp / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def store(self) -> str:
        return str(self.tmp / "store")


@pytest.fixture
def ctx(tmp_path, monkeypatch):
    for var in ENV_VARS.values():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "success", "history": []})

    client = AyrshareClient(KEY, transport=httpx.MockTransport(handler), sleep=lambda s: None)
    yield Ctx(client, tmp_path, seen)
    client.close()


def _frame() -> pl.DataFrame:
    t = dt.datetime(2026, 8, 1, tzinfo=dt.UTC)
    return pl.DataFrame(
        {"post_id": ["a"], "platform": ["tiktok"], "observed_at": [t], "published_at": [t]}
    )


V = ValidationError
RPE = ReportParameterError
# (id, call, exception, words the message must contain)
CASES: list[tuple[str, Any, type[BaseException], str]] = [
    # ids
    ("ids-int", lambda c: ayr.fetch_post_analytics(123, client=c.client), V, "ids must be a list"),
    ("ids-empty", lambda c: ayr.fetch_post_analytics([], client=c.client), V, "ids is empty"),
    ("ids-space", lambda c: ayr.fetch_post_analytics(["ab cd"], client=c.client), V,
     "'ab cd' contains whitespace"),
    ("ids-empty-string", lambda c: ayr.fetch_post_analytics(["ok", ""], client=c.client), V,
     "[1] is empty"),
    ("ids-none-item", lambda c: ayr.fetch_post_analytics(["ok", None], client=c.client), V,
     "[1] must be a string, got NoneType"),
    ("ids-unicode", lambda c: ayr.fetch_post_analytics(["caf\u00e9"], client=c.client), V,
     "U+00E9 LATIN SMALL LETTER E WITH ACUTE"),
    ("ids-zero-width", lambda c: ayr.fetch_post_analytics(["abc\u200b"], client=c.client), V,
     "U+200B ZERO WIDTH SPACE"),
    ("ids-huge-id", lambda c: ayr.fetch_post_analytics(["x" * 5000], client=c.client), V,
     "5000 characters long (at most 512)"),
    ("ids-100001", lambda c: ayr.fetch_post_analytics(
        [f"id{i}" for i in range(100_001)], client=c.client), V,
     f"too many ids: 100,001 in one call (at most {MAX_BULK_IDS:,}"),
    ("ids-single-string-to-fetch-many", lambda c: c.client.fetch_many("abc"), V,
     "not a single string"),
    ("post-id-none", lambda c: c.client.analytics_post(None), V, "post id must be a string"),
    # platforms
    ("platform-typo", lambda c: ayr.fetch_post_analytics(["a"], "tiktokk", client=c.client), V,
     "unknown platform 'tiktokk' (did you mean 'tiktok'?)"),
    ("platform-short-name", lambda c: ayr.fetch_post_analytics(["a"], ["yt"], client=c.client),
     V, "did you mean 'youtube'?"),
    ("platform-gmb", lambda c: ayr.fetch_post_analytics(["a"], ["gmb"], client=c.client), V,
     "Google Business has no post analytics"),
    ("platforms-empty", lambda c: ayr.fetch_post_analytics(["a"], [], client=c.client), V,
     "platforms is empty"),
    ("platforms-int", lambda c: ayr.fetch_post_analytics(["a"], 5, client=c.client), V,
     "platforms must be a list of platform names, got int"),
    ("social-id-two-platforms", lambda c: c.client.analytics_by_social_id(
        "1789", ["instagram", "tiktok"]), V, "exactly one platform, got 2"),
    ("history-platform-unknown", lambda c: ayr.history(client=c.client, platform="myspace"), V,
     "unknown platform 'myspace'"),
    # numbers, options, dates
    ("concurrency-zero", lambda c: ayr.fetch_post_analytics(["a"], client=c.client,
                                                            concurrency=0), V,
     "concurrency must be between 1 and 256, got 0"),
    ("concurrency-string", lambda c: ayr.fetch_post_analytics(["a"], client=c.client,
                                                              concurrency="8"), V,
     "concurrency must be an integer, got '8'"),
    ("history-negative-days", lambda c: ayr.history(client=c.client, last_days=-1), V,
     "lastDays must be >= 0, got -1"),
    ("history-limit-huge", lambda c: ayr.history(client=c.client, limit=5000), V,
     "limit must be between 1 and 1000, got 5000"),
    ("history-bad-date", lambda c: ayr.history(client=c.client, start_date="2026-13-01"), V,
     "startDate must be an ISO date"),
    ("history-dates-reversed", lambda c: ayr.history(
        client=c.client, start_date="2026-09-01", end_date="2026-08-01"), V,
     "startDate '2026-09-01' is after endDate '2026-08-01'"),
    ("history-unknown-filter", lambda c: ayr.history(client=c.client, colour="red"), V,
     "unknown history filter 'colour'"),
    ("social-quarters", lambda c: ayr.account_analytics(["tiktok"], client=c.client,
                                                        quarters=5), V,
     "quarters must be between 1 and 4, got 5"),
    ("social-daily-string", lambda c: ayr.account_analytics(["tiktok"], client=c.client,
                                                            daily="yes"), V,
     "daily must be True or False, got 'yes'"),
    ("social-unknown-option", lambda c: ayr.account_analytics(["tiktok"], client=c.client,
                                                              weekly=True), V,
     "unknown option 'weekly'"),
    ("age-no-unit", lambda c: parse_duration("24"), ValueError,
     "invalid duration '24': write a number and a unit"),
    ("age-twice", lambda c: at_age(_frame(), ["24h", "1d"]), ValueError, "are the same age"),
    # settings and keys
    ("live-without-key", lambda c: AyrshareClient(source="live"), MissingApiKeyError,
     "source='live' needs an Ayrshare API key"),
    ("source-unknown", lambda c: load_settings(source="prod"), V, "source must be one of"),
    ("timeout-env-text", lambda c: (c.file(".env", "AYRSHARE_TIMEOUT=soon\n"), load_settings()),
     V, "AYRSHARE_TIMEOUT"),
    ("timeout-negative", lambda c: AyrshareClient(KEY, timeout=-1), V,
     "timeout must be a number of seconds > 0"),
    # tracking
    ("track-nothing-to-track", lambda c: track(store=c.store(), client=c.client), V,
     "exactly one of: ids=[...], campaign='name'"),
    ("track-two-targets", lambda c: track(["a"], last_days=3, store=c.store(), client=c.client),
     V, "got ids, last_days"),
    ("track-last-days-zero", lambda c: track(last_days=0, store=c.store(), client=c.client), V,
     "last_days must be a whole number >= 1, got 0"),
    ("track-last-days-text", lambda c: track(last_days="30", store=c.store(), client=c.client),
     V, "last_days must be a whole number >= 1, got '30'"),
    ("track-rounds-zero", lambda c: track(["a"], store=c.store(), client=c.client, rounds=0), V,
     "rounds must be a whole number >= 1, got 0"),
    ("track-min-interval", lambda c: track(["a"], store=c.store(), client=c.client,
                                           min_interval="soon"), V, "invalid duration 'soon'"),
    ("track-campaign-no-file", lambda c: track(campaign="launch", store=c.store(),
                                               client=c.client), V,
     "campaign='launch' needs campaigns='path/to/campaigns.toml'"),
    ("track-campaign-unknown", lambda c: track(campaign="nope", campaigns=c.file(
        "c.toml", CAMPAIGNS), store=c.store(), client=c.client), V,
     "no campaign named 'nope'; the file defines ['launch']"),
    ("track-ids-unicode", lambda c: track(["ok", "b\u00e9"], store=c.store(), client=c.client),
     V, "[1] 'b\u00e9' contains"),
    # store
    ("store-is-a-file", lambda c: SnapshotStore(c.file("plain.txt", "x")), StoreError,
     "exists and is not a folder"),
    ("store-under-a-file", lambda c: track(["a"], store=str(c.file("f.txt", "x") / "store"),
                                           client=c.client), StoreError,
     "cannot be created"),
    ("store-bad-type", lambda c: track(["a"], store=42, client=c.client), V,
     "store must be a SnapshotStore or a path, got 42"),
    ("store-unknown-table", lambda c: SnapshotStore(c.store()).read("likes"), ValueError,
     "unknown table 'likes'"),
    # campaigns files
    ("campaigns-missing", lambda c: load_campaigns(c.tmp / "nope.toml"), CampaignsFileError,
     "nope.toml' not found"),
    ("campaigns-not-toml", lambda c: load_campaigns(c.file("c.toml", "[[campaign]\nname=")),
     CampaignsFileError, "not valid TOML"),
    ("campaigns-not-utf8", lambda c: load_campaigns(c.file("c.toml", b"\xff\xfe\x00name")),
     CampaignsFileError, "not UTF-8"),
    ("campaigns-bad-regex", lambda c: load_campaigns(c.file(
        "c.toml", '[[campaign]]\nname = "a"\npattern = "(unclosed"\n')), CampaignsFileError,
     "'pattern' is not a valid regex"),
    ("campaigns-end-before-start", lambda c: load_campaigns(c.file(
        "c.toml", '[[campaign]]\nname = "a"\nstart = 2026-09-01\nend = 2026-08-01\n')),
     CampaignsFileError, "end 2026-08-01 is before start 2026-09-01"),
    # report parameters: checked before the notebook starts (and before any request)
    ("report-unknown-parameter", lambda c: check_parameters(lieks=1), RPE,
     "unknown parameter 'lieks'; the parameters are source"),
    ("report-metric-typo", lambda c: check_parameters(metric="lieks"), RPE,
     "metric 'lieks' is not a canonical metric; choose one of likes"),
    ("report-rate-by", lambda c: check_parameters(rate_by="clicks"), RPE,
     "rate_by 'clicks' is not an engagement-rate base; choose one of impressions"),
    ("report-rate-form", lambda c: check_parameters(rate_form="median"), RPE,
     "rate_form 'median' is not allowed"),
    ("report-post-age", lambda c: check_parameters(at_age="soon"), RPE,
     "at_age 'soon' is not a post age"),
    ("report-source", lambda c: check_parameters(source="prod"), RPE,
     "source 'prod' is not allowed; choose 'demo' or 'live'"),
    ("report-network", lambda c: check_parameters(platforms=["myspace"]), RPE,
     "unknown platform 'myspace'; valid platforms: bluesky"),
    ("report-networks-type", lambda c: check_parameters(platforms=5), RPE,
     "platforms 5 must be a list of network names"),
    ("report-bad-date", lambda c: check_parameters(start_date="2026-13-01"), RPE,
     "start_date '2026-13-01' is not a date"),
    ("report-window-reversed", lambda c: check_parameters(
        start_date="2026-09-10", end_date="2026-09-01"), RPE,
     "start_date 2026-09-10 is after end_date 2026-09-01"),
    ("report-campaigns-missing", lambda c: check_parameters(campaigns_file="/nope/c.toml"), RPE,
     "campaigns_file '/nope/c.toml' does not exist"),
    ("report-output-under-file", lambda c: check_parameters(
        output_dir=str(c.file("taken.txt", "x")) + "/out"), RPE, "is a file"),
    ("report-profile-type", lambda c: check_parameters(profile_key=5), RPE,
     "profile_key must be None (the primary profile), a Profile-Key"),
    ("report-unknown-name", lambda c: run_report("nope"), ValueError,
     "unknown report 'nope'; available: campaign_comparison"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "exc", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_gets_a_clear_error_and_sends_nothing(ctx, call, exc, words):
    with pytest.raises(exc) as info:
        call(ctx)
    assert words in str(info.value)
    assert ctx.requests == []


# ------------------------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def live_server():
    faults = CountingFaults()
    with serve_in_thread(api_keys=[KEY], faults=faults) as srv:
        yield srv, faults


def _live_env(monkeypatch, tmp_path, base_url: str) -> None:
    for var in ENV_VARS.values():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("AYRSHARE_API_KEY", KEY)
    monkeypatch.setenv("AYRSHARE_BASE_URL", base_url)
    monkeypatch.setenv("AYRSHARE_SOURCE", "live")
    monkeypatch.chdir(tmp_path)


# (id, argv with {tmp} for the test folder, words the error output must contain)
CLI_CASES = [
    ("track-no-store", ["track", "--last-days", "3"], "the following arguments are required: --store"),
    ("track-no-target", ["track", "--store", "{tmp}/s"], "one of the arguments --ids --campaign --last-days is required"),
    ("track-days-text", ["track", "--last-days", "week", "--store", "{tmp}/s"], "--last-days: invalid int value: 'week'"),
    ("track-days-zero", ["track", "--last-days", "0", "--store", "{tmp}/s"], "last_days must be a whole number >= 1, got 0"),
    ("track-id-space", ["track", "--ids", "a b", "--store", "{tmp}/s"], "'a b' contains whitespace"),
    ("track-platform", ["track", "--ids", "a", "--platforms", "myspace", "--store", "{tmp}/s"], "unknown platform 'myspace'"),
    ("track-store-under-file", ["track", "--ids", "a", "--store", "{tmp}/f.txt/s"], "cannot be created"),
    ("track-demo-speed-live", ["track", "--ids", "a", "--store", "{tmp}/s", "--demo-speed", "60"], "--demo-speed only applies to the demo sandbox"),
    ("track-bad-duration", ["track", "--ids", "a", "--store", "{tmp}/s", "--duration", "forever"], "invalid duration 'forever'"),
    ("track-campaign-no-file", ["track", "--campaign", "launch", "--store", "{tmp}/s"], "needs campaigns='path/to/campaigns.toml'"),
    ("campaigns-missing", ["campaigns", "{tmp}/nope.toml"], "nope.toml' not found"),
    ("campaigns-malformed", ["campaigns", "{tmp}/f.txt"], "not valid TOML"),
    ("report-unknown", ["report", "nope"], "unknown report 'nope'"),
    ("report-name-typo", ["report", "quickstart", "-p", "metrc", "views"], "unknown parameter 'metrc' (did you mean 'metric'?)"),
    ("report-bad-metric", ["report", "quickstart", "-p", "metric", "lieks"], "metric 'lieks' is not a canonical metric"),
    ("report-bad-age", ["report", "quickstart", "-p", "at_age", "soon"], "at_age 'soon' is not a post age"),
    ("report-bad-window", ["report", "quickstart", "-p", "start_date", "2026-09-10", "-p", "end_date", "2026-09-01"], "is after end_date"),
    ("report-output-under-file", ["report", "quickstart", "-o", "{tmp}/f.txt/out"], "is a file"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "words"), [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES]
)
def test_cli_bad_input_exits_2_with_one_clear_line(live_server, monkeypatch, tmp_path, capsys, argv, words):  # fmt: skip
    srv, faults = live_server
    _live_env(monkeypatch, tmp_path, srv.base_url)
    (tmp_path / "f.txt").write_text("not = [toml", encoding="utf-8")
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
