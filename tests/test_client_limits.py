"""The client's own limits, in process: the deadline and the size cap on streamed bodies, server
waits that are not believable, rate-limit headers out of bounds, 429 storms, X's daily quota,
keys that cannot go into a header, secret headers in chained errors, plain http, and answers
that would crash a JSON decoder. (Over real sockets: tests/test_hostile_http.py.)"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import time
import tracemalloc
from typing import Any

import httpx
import pytest
from client_fakes import (
    KEY,
    PROFILE,
    SECRETS,
    X_KEY,
    X_SECRET,
    AsyncAyrshareClient,
    AyrshareClient,
    FakeClock,
    make_client,
    ok,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import ayr_analysis as ayr
from ayr_analysis import errors as E
from ayr_analysis.client.bounds import UnreadableBody, decode_json
from ayr_analysis.config import ENV_VARS, Settings, load_settings
from ayr_analysis.ratelimit import STORM_STRIKES, RateLimiter, RateLimitInfo
from ayr_analysis.sandbox import Quirks, build_world
from ayr_analysis.sandbox.transport import SandboxTransport


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for var in ENV_VARS.values():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)


def always(factory):
    return lambda request, n: factory()


RATE_429 = {"action": "request", "status": "error", "code": 429, "message": "Too many requests."}


# ------------------------------------------------------------------------ streamed bodies
class Endless(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body of 1 MB pieces without end (counts what was read)."""

    def __init__(self, pause: float = 0.0, piece: bytes = b"a" * 1_000_000) -> None:
        self.pause, self.piece, self.read = pause, piece, 0

    def __iter__(self):
        yield b'{"status":"success","pad":"'
        while True:
            if self.pause:
                time.sleep(self.pause)
            self.read += len(self.piece)
            yield self.piece

    async def __aiter__(self):
        yield b'{"status":"success","pad":"'
        while True:
            if self.pause:
                await asyncio.sleep(self.pause)
            self.read += len(self.piece)
            yield self.piece


def streaming_client(stream, cls=AyrshareClient, headers=None, **kw):
    def handler(request):
        return httpx.Response(200, headers=headers or {}, stream=stream)

    return cls(KEY, transport=httpx.MockTransport(handler), max_retries=0, **kw)


def test_an_endless_body_stops_at_the_cap_sync_and_async():
    stream = Endless()
    client = streaming_client(stream, max_response_bytes=5_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(E.ResponseTooLargeError) as info:
            client.analytics_post("p1")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "larger than 5,000,000 bytes" in str(info.value)
    assert info.value.retryable is False and info.value.attempts == 1
    assert stream.read <= 6_000_000 and peak < 15_000_000

    async def main():
        async with streaming_client(
            Endless(), AsyncAyrshareClient, max_response_bytes=3_000_000
        ) as c:
            await c.analytics_post("p1")

    with pytest.raises(E.ResponseTooLargeError):
        asyncio.run(main())


def test_a_gzip_bomb_is_capped_on_its_decompressed_size():
    bomb = gzip.compress(b'{"status":"success","pad":"' + b"0" * 50_000_000 + b'"}')
    assert len(bomb) < 100_000
    client = streaming_client(
        httpx.ByteStream(bomb), headers={"content-encoding": "gzip"}, max_response_bytes=5_000_000
    )
    tracemalloc.start()
    try:
        with pytest.raises(E.ResponseTooLargeError):
            client.analytics_post("p1")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 15_000_000


def test_a_small_gzip_answer_is_decompressed():
    body = gzip.compress(json.dumps({"status": "success", "id": "p1"}).encode())
    client = streaming_client(httpx.ByteStream(body), headers={"content-encoding": "gzip"})
    assert client.analytics_post("p1") == {"status": "success", "id": "p1"}


def test_a_slow_body_ends_at_the_deadline_sync_and_async():
    client = streaming_client(Endless(pause=0.3, piece=b"a"), timeout=1, deadline=1.0)
    start = time.monotonic()
    with pytest.raises(E.DeadlineExceededError) as info:
        client.analytics_post("p1")
    # at the deadline (reads alone never end: a piece every 0.3 s, within the 1 s read timeout);
    # the slack above it is for a machine busy with other tests
    assert 0.9 <= time.monotonic() - start < 5.0
    assert "deadline of 1 s exceeded" in str(info.value) and info.value.retryable is False

    async def main():
        async with streaming_client(
            Endless(pause=0.3, piece=b"a"), AsyncAyrshareClient, timeout=1, deadline=1.0
        ) as c:
            await c.analytics_post("p1")

    start = time.monotonic()
    with pytest.raises(E.DeadlineExceededError):
        asyncio.run(main())
    assert 0.9 <= time.monotonic() - start < 5.0


def test_deadline_and_cap_are_settings():
    s = load_settings(env_file=None, api_key=KEY)
    assert (s.deadline, s.max_response_bytes) == (None, 50_000_000)
    client = AyrshareClient(KEY, timeout=5, transport=httpx.MockTransport(lambda r: ok()))
    assert client._deadline_s == 20.0  # four timeouts by default
    with pytest.raises(E.ValidationError, match="deadline must be"):
        load_settings(env_file=None, deadline=float("inf"))
    with pytest.raises(E.ValidationError, match="max_response_bytes"):
        load_settings(env_file=None, max_response_bytes=0)


# ------------------------------------------------------------------------ server waits
@pytest.mark.parametrize(
    "value", ["inf", "nan", "-5", "soon", "999999999", "Fri, 01 Jan 2100 00:00:00 GMT"]
)
def test_an_unbelievable_retry_after_is_ignored_with_a_warning(value, caplog):
    def respond(request, n):
        if n == 1:
            return ok(RATE_429, status=429, headers={"Retry-After": value})
        return ok()

    client, rec, clock = make_client(respond, rate_window=300)
    with caplog.at_level(logging.WARNING, logger="ayr_analysis"):
        assert client.analytics_post("p1") == {"status": "success"}
    assert len(rec.requests) == 2
    assert sum(clock.sleeps) == pytest.approx(300.0)  # the window, as without the header
    assert any("Retry-After" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("status", [429, 503])
def test_an_infinite_retry_after_never_reaches_sleep(status):
    client, rec, clock = make_client(
        always(lambda: ok(RATE_429, status=status, headers={"Retry-After": "inf"})),
        max_retries=2,
    )
    with pytest.raises(E.RateLimitError if status == 429 else E.ServerError):
        client.analytics_post("p1")
    assert all(0 <= s <= 600 for s in clock.sleeps)
    assert client.rate_limiter.blocked_for <= 600  # the profile is not blocked for ever


def test_a_long_but_believable_wait_is_raised_at_once_and_blocks_within_the_budget():
    client, rec, clock = make_client(
        always(lambda: ok(RATE_429, status=429, headers={"Retry-After": "86400"})),
        max_retry_time=120,
    )
    with pytest.raises(E.RateLimitError) as info:
        client.analytics_post("p1")
    assert info.value.retry_after == 86400.0 and len(rec.requests) == 1
    assert 0 < client.rate_limiter.blocked_for <= 120  # never beyond the retry budget
    start = clock()
    with pytest.raises(E.RateLimitError):
        client.analytics_post("p2")
    assert clock() - start <= 120


def test_an_absurd_reset_header_falls_back_to_the_window(caplog):
    headers = {"x-ratelimit-reset": "99999999999"}
    client, rec, clock = make_client(
        lambda r, n: ok(RATE_429, status=429, headers=headers) if n == 1 else ok(),
        rate_window=60,
    )
    with caplog.at_level(logging.WARNING, logger="ayr_analysis"):
        client.analytics_post("p1")
    assert sum(clock.sleeps) == pytest.approx(60.0)
    assert any("x-ratelimit-reset" in r.getMessage() for r in caplog.records)


def test_an_infinite_instagram_delay_is_ignored():
    body = b'{"status":"error","code":435,"message":"IG limit.","details":1e400}'
    client, rec, clock = make_client(
        lambda r, n: httpx.Response(429, content=body) if n == 1 else ok(), max_retries=1
    )
    client.analytics_post("p1")
    assert len(clock.sleeps) == 1 and clock.sleeps[0] < 1.0  # backoff, not inf


def test_a_rate_limit_count_out_of_bounds_costs_nothing(caplog):
    headers = {"x-ratelimit-max": "300", "x-ratelimit-count": "100000000"}
    client, rec, clock = make_client(lambda r, n: ok(headers=headers))
    tracemalloc.start()
    start = time.process_time()
    try:
        with caplog.at_level(logging.WARNING, logger="ayr_analysis"):
            client.analytics_post("p1")
            client.analytics_post("p2")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.process_time() - start < 2.0 and peak < 5_000_000
    assert clock.sleeps == []  # treated as absent: the window is not full
    assert any("x-ratelimit-count" in r.getMessage() for r in caplog.records)
    for value in ("1e400", "-3", "nan"):
        info = RateLimitInfo.from_headers({"x-ratelimit-count": value, "x-ratelimit-max": "9"})
        assert info is not None and info.count is None


def test_a_server_count_above_the_limit_fills_the_window_and_no_more():
    limiter = RateLimiter(limit=10, window=60.0, clock=lambda: 0.0, margin=0.0)
    limiter.observe(RateLimitInfo(limit=10, count=999_999))
    assert limiter.in_window() == 10


# ------------------------------------------------------------------------ 429 storms
@pytest.mark.parametrize("retry_after", [None, "0"])
def test_a_bulk_fetch_never_storms_a_server_that_keeps_saying_429(retry_after):
    headers = {"Retry-After": retry_after} if retry_after else {}
    clock = FakeClock()
    seen = []

    def handler(request):
        seen.append(clock())
        return ok(RATE_429, status=429, headers=headers)

    async def main():
        async with AsyncAyrshareClient(
            settings=Settings(api_key=KEY, profile_key=PROFILE),
            transport=httpx.MockTransport(handler),
            clock=clock,
            sleep=clock.sleep,
        ) as client:
            result = await client.fetch_many([f"p{i}" for i in range(1000)], progress=False)
            return result, client.rate_limiter

    result, limiter = asyncio.run(main())
    assert len(result.failures) == 1000
    assert len(seen) <= 8 + STORM_STRIKES  # the first wave, then one probe at a time
    paused = [f for f in result.failures if isinstance(f.error, E.RateLimitPausedError)]
    assert len(paused) >= 980 and "not sent" in paused[-1].error.message
    assert limiter.paused_for > 0


def test_after_a_429_one_request_goes_first_and_a_success_resumes_all():
    # real time, short windows: the server says 429 for its first 0.75 s
    start = time.monotonic()
    seen, limited = [], []

    async def handler(request):
        await asyncio.sleep(0.01)  # in flight: the other requests run meanwhile
        now = time.monotonic() - start
        seen.append(now)
        if now < 0.75:
            limited.append(now)
            return ok(RATE_429, status=429)
        return ok({"status": "success", "id": json.loads(request.content)["id"]})

    async def main():
        async with AsyncAyrshareClient(
            KEY, rate_window=0.5, transport=httpx.MockTransport(handler)
        ) as client:
            return await client.fetch_many([f"p{i}" for i in range(20)], progress=False)

    result = asyncio.run(main())
    assert result.ok and len(result.responses) == 20
    # 8 requests in flight together got 429; after the window one probe alone (not the 7
    # others) got 429 again; after the next window a probe succeeded, then the rest went
    assert len(limited) <= 8 + 1, limited  # (before the probes: 16, every waiter at once)
    assert len(seen) == len(limited) + 20
    assert min(seen[len(limited) :]) >= 0.75


def test_x_daily_quota_is_not_retried_and_does_not_block_the_profile():
    world = build_world(7)
    clock = FakeClock()
    transport = SandboxTransport(
        world, rate_time=clock, quirks=Quirks(x_daily_quota=1), rate_limit=100_000
    )
    x_posts = [p for p in world.ayrshare_posts() if p.profile == 0 and "twitter" in p.networks]
    other = next(p for p in world.ayrshare_posts() if p.profile == 0 and "bluesky" in p.networks)
    client = AyrshareClient(transport=transport, source="demo", clock=clock, sleep=clock.sleep)
    client.analytics_post(x_posts[0].id, platforms=["twitter"])  # the day's one X request
    before = transport.app.stats()["requests"]
    with pytest.raises(E.XQuotaError) as info:
        client.analytics_post(x_posts[1].id, platforms=["twitter"])
    err = info.value
    assert err.retryable is False and err.attempts == 1 and err.platform == "twitter"
    assert "24 hours" in err.message and "tomorrow" in err.hint
    assert transport.app.stats()["requests"] == before + 1
    assert client.rate_limiter.blocked_for == 0 and client.rate_limiter.strikes == 0
    start = clock()
    assert client.analytics_post(other.id, platforms=["bluesky"])["status"] == "success"
    assert clock() == start  # the profile's other requests go on at once
    result = client.fetch_many([p.id for p in x_posts[2:6]], "twitter", progress=False)
    assert [type(f.error) for f in result.failures] == [E.XQuotaError] * 4
    assert client.rate_limiter.strikes == 0


# ------------------------------------------------------------------------ secrets
@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("api_key", "sk-live-abc\r\nX-Evil: 1"),
        ("api_key", "sk-live\x00abc-123"),
        ("profile_key", "pk-caf\u00e9-123"),
        ("x_api_secret", "xs-abc\u200bdef"),
        ("x_api_key", "xk-abc def"),
    ],
)
def test_keys_that_cannot_go_into_a_header_are_refused_without_showing_them(field, bad):
    kwargs: dict[str, Any] = {"api_key": KEY, field: bad}
    with pytest.raises(E.ValidationError) as info:
        AyrshareClient(transport=httpx.MockTransport(lambda r: ok()), **kwargs)
    text = str(info.value) + repr(info.value)
    assert "is not shown" in text
    core = bad.strip()
    for piece in (core, core[:8], core[-6:]):
        assert piece not in text
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_a_key_with_a_line_break_from_the_environment_is_refused(monkeypatch):
    monkeypatch.setenv("AYRSHARE_API_KEY", "sk-env-abc\ndef")
    with pytest.raises(E.ValidationError, match="line break"):
        AyrshareClient(transport=httpx.MockTransport(lambda r: ok()))


def _chain(err: BaseException) -> list[BaseException]:
    out, seen = [], set()
    stack = [err]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        out.append(e)
        stack += [e.__cause__, e.__context__]
    return out


@pytest.mark.parametrize("kind", [httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError])
def test_chained_errors_mask_every_secret_header(kind):
    def respond(request, n):
        raise kind("it failed", request=request)

    client, rec, _ = make_client(
        respond, profile_key=PROFILE, x_api_key=X_KEY, x_api_secret=X_SECRET, max_retries=0
    )
    with pytest.raises(E.AyrshareError) as info:
        client.analytics_post("p1")
    chain = _chain(info.value)
    requests = [e.request for e in chain if isinstance(e, httpx.RequestError)]
    assert requests, "the cause (with its masked request) is kept for debugging"
    for request in requests:
        headers = dict(request.headers)
        assert headers["profile-key"] == "[secret]"
        assert headers["x-twitter-oauth1-api-key"] == "[secret]"
        assert headers["x-twitter-oauth1-api-secret"] == "[secret]"
        assert headers["authorization"] == "[secret]"
    for e in chain:
        text = repr(e) + str(e) + repr(getattr(e, "__dict__", {}))
        if isinstance(e, httpx.RequestError):
            text += repr(list(e.request.headers.items()))
        for secret in SECRETS:
            assert secret not in text


@pytest.mark.parametrize(
    "url",
    ["http://api.example.com/api", "http://10.0.0.5:8080/api", "http://127.0.0.1.evil.com/api"],
)
def test_plain_http_to_another_machine_needs_an_explicit_opt_in(url, monkeypatch):
    sent = []
    transport = httpx.MockTransport(lambda r: sent.append(r) or ok())
    with pytest.raises(E.ValidationError) as info:
        AyrshareClient(KEY, base_url=url, transport=transport)
    assert "plain http" in str(info.value) and "allow_insecure_http" in str(info.value)
    assert KEY not in str(info.value)
    AyrshareClient(KEY, base_url=url, transport=transport, allow_insecure_http=True).history()
    monkeypatch.setenv("AYRSHARE_ALLOW_INSECURE_HTTP", "1")
    AyrshareClient(KEY, base_url=url, transport=transport).history()
    assert len(sent) == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8787/api",
        "http://localhost:9/api",
        "http://[::1]:80/api",
        "https://x.example/api",
    ],
)
def test_https_and_plain_http_to_this_machine_need_nothing(url):
    AyrshareClient(KEY, base_url=url, transport=httpx.MockTransport(lambda r: ok())).history()


def test_the_insecure_http_setting_reads_true_and_false(monkeypatch):
    monkeypatch.setenv("AYRSHARE_ALLOW_INSECURE_HTTP", "maybe")
    with pytest.raises(E.ValidationError, match="AYRSHARE_ALLOW_INSECURE_HTTP"):
        load_settings(env_file=None)
    monkeypatch.setenv("AYRSHARE_ALLOW_INSECURE_HTTP", "off")
    assert load_settings(env_file=None).allow_insecure_http is False


# ------------------------------------------------------------------------ odd answers
NESTED = b'{"status":"success","x":' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def test_deeply_nested_answers_are_invalid_responses_everywhere(tmp_path):
    client, rec, _ = make_client(always(lambda: httpx.Response(200, content=NESTED)))
    for call in (lambda: client.analytics_post("p1"), lambda: client.history()):
        with pytest.raises(E.InvalidResponseError, match="nested deeper than 64 levels"):
            call()
    with pytest.raises(E.InvalidResponseError):
        ayr.history(client=client, last_days=3)
    frames = ayr.fetch_post_analytics(["p1", "p2"], client=client, progress=False)
    assert frames.errors.height == 2
    with pytest.raises(E.InvalidResponseError):
        ayr.track(["p1"], store=tmp_path / "s", client=client, rounds=1, progress=False)
    # a history that reads, analytics that do not: the post fails, the run goes on
    client, _, _ = make_client(
        lambda r, n: (
            ok({"history": []})
            if r.url.path.endswith("/history")
            else httpx.Response(200, content=NESTED)
        )
    )
    run = ayr.track(["p1"], store=tmp_path / "t", client=client, rounds=1, progress=False)
    assert run.rounds == 1 and "1 failed" in run.summary()
    # 64 levels are fine, 65 are not
    ok64 = b'{"x":' + b"[" * 63 + b"]" * 63 + b"}"
    client, _, _ = make_client(always(lambda: httpx.Response(200, content=ok64)))
    assert "x" in client.analytics_post("p1")


def test_a_deeply_nested_error_body_keeps_its_status():
    client, _, _ = make_client(
        always(lambda: httpx.Response(404, content=b"[" * 100_000 + b"]" * 100_000))
    )
    with pytest.raises(E.InvalidResponseError) as info:
        client.analytics_post("p1")
    assert info.value.http_status == 404
    err = E.error_from_response(502, b"[" * 100_000 + b"]" * 100_000)
    assert isinstance(err, E.ServerError)


def test_one_byte_that_is_not_utf8_is_reported_precisely():
    body = b'{"status":"success","id":"p1","bluesky":{"post":"caf\xe9"}}'
    client, rec, _ = make_client(always(lambda: httpx.Response(200, content=body)))
    with pytest.raises(E.InvalidResponseError) as info:
        client.analytics_post("p1")
    message = str(info.value)
    assert "not valid UTF-8: byte 0xe9 at offset" in message
    assert "reported an error" not in message
    assert len(rec.requests) == 1  # the same bytes would come again


def test_a_utf8_byte_order_mark_is_accepted():
    client, _, _ = make_client(always(lambda: httpx.Response(200, content=b'\xef\xbb\xbf{"a":1}')))
    assert client.analytics_post("p1") == {"a": 1}


# -------------------------------------------- the decoder: what json.loads gives, faster
_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)  # beyond 64 bits: still exact integers
    | st.floats(allow_nan=True, allow_infinity=True)  # NaN, Infinity: json.loads reads them
    | st.text(),  # lone surrogates included
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same types, NaN equal to NaN and -0.0 told from 0.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return repr(a) == repr(b)
    return a == b


@settings(max_examples=400, deadline=None)
@given(value=_JSON_VALUES, indent=st.sampled_from([None, 2]), bom=st.booleans())
def test_the_decoder_gives_what_json_loads_gives(value, indent, bom):
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    try:
        body = text.encode()
    except UnicodeEncodeError:  # a lone surrogate: only its \\u escape can carry it
        body = json.dumps(value, indent=indent).encode()
    body = b"\xef\xbb\xbf" + body if bom else body
    assert _same(decode_json(body), json.loads(body.decode("utf-8-sig")))


@settings(max_examples=400, deadline=None)
@given(
    body=st.binary(max_size=40)
    | st.text(alphabet='[]{}",:0123456789.eE+-tfnul \\', max_size=40).map(str.encode)
)
def test_the_decoder_refuses_what_json_loads_refuses(body):
    try:
        expected = json.loads(body.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        with pytest.raises(ValueError if _utf8(body) else UnreadableBody):
            decode_json(body)
    else:
        assert _same(decode_json(body), expected)


def _utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return True


def test_integers_beyond_64_bits_and_the_literals_only_json_reads_come_through():
    body = b'{"a": 18446744073709551616, "b": -9223372036854775809, "c": NaN, "d": 1e400}'
    got = decode_json(body)
    assert got["a"] == 2**64 and type(got["a"]) is int
    assert got["b"] == -(2**63) - 1 and type(got["b"]) is int
    assert got["c"] != got["c"] and got["d"] == float("inf")
    assert decode_json(b"[" + b"9" * 400 + b"]") == [int("9" * 400)]


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("AYRSHARE_TIMEOUT", "inf"),
        ("AYRSHARE_TIMEOUT", "nan"),
        ("AYRSHARE_TIMEOUT", "1e30"),
        ("AYRSHARE_RATE_WINDOW", "inf"),
        ("AYRSHARE_DEADLINE", "-1"),
        ("AYRSHARE_MAX_RESPONSE_BYTES", "lots"),
    ],
)
def test_absurd_numbers_in_the_environment_are_clear_errors(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(E.ValidationError) as info:
        AyrshareClient(KEY, transport=httpx.MockTransport(lambda r: ok()))
    assert var in str(info.value)


def test_max_retry_time_must_be_finite():
    with pytest.raises(E.ValidationError, match="max_retry_time"):
        AyrshareClient(
            KEY, transport=httpx.MockTransport(lambda r: ok()), max_retry_time=float("inf")
        )
