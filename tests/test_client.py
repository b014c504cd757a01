"""The HTTP clients, end to end through httpx.MockTransport on a fake clock."""

import asyncio
import datetime as dt
import json
import logging
from urllib.parse import unquote

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
    Recorder,
    example,
    make_client,
    ok,
)

from ayr_analysis import errors as E
from ayr_analysis.client import ApiResponse, BulkResult, PostFailure
from ayr_analysis.config import ENV_VARS, Settings

NOT_FOUND = example("error_analytics_post_id_not_found_404.json")
ANALYTICS = {
    "status": "success",
    "id": "AYR1",
    "instagram": {
        "id": "17900000000000001",
        "postUrl": "https://www.instagram.com/p/abc/",
        "analytics": {"likeCount": 12, "commentsCount": 0},
        "lastUpdated": "2026-11-20T10:00:00Z",
        "nextUpdate": "2026-11-20T11:00:00Z",
    },
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for var in ENV_VARS.values():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)


def always(response_factory):
    return lambda request, n: response_factory()


# -- requests as sent ---------------------------------------------------------------------------
def test_headers_are_sent_with_exact_values():
    client, rec, _ = make_client(
        always(lambda: ok(ANALYTICS)),
        profile_key=PROFILE,
        x_api_key=X_KEY,
        x_api_secret=X_SECRET,
    )
    client.analytics_post("AYR1")
    headers = rec.requests[0].headers
    assert headers["Authorization"] == f"Bearer {KEY}"
    assert headers["Profile-Key"] == PROFILE
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Twitter-OAuth1-Api-Key"] == X_KEY
    assert headers["X-Twitter-OAuth1-Api-Secret"] == X_SECRET


def test_optional_headers_are_absent_when_not_set():
    client, rec, _ = make_client(always(lambda: ok(ANALYTICS)))
    client.analytics_post("AYR1")
    headers = rec.requests[0].headers
    assert headers["Authorization"] == f"Bearer {KEY}"
    for name in ("Profile-Key", "X-Twitter-OAuth1-Api-Key", "X-Twitter-OAuth1-Api-Secret"):
        assert name not in headers


def test_analytics_post_request_and_response_metadata():
    client, rec, _ = make_client(
        always(
            lambda: ok(
                ANALYTICS,
                headers={"x-ratelimit-max": "300", "x-ratelimit-count": "7", "X-Request-Id": "r1"},
            )
        ),
        base_url="https://app.ayrshare.com/api/",
    )
    answer = client.analytics_post("AYR1", platforms=["instagram", "tiktok", "instagram"])
    request = rec.requests[0]
    assert request.method == "POST"
    assert str(request.url) == "https://app.ayrshare.com/api/analytics/post"
    assert rec.bodies[0] == {"id": "AYR1", "platforms": ["instagram", "tiktok"]}

    assert isinstance(answer, ApiResponse) and isinstance(answer, dict)
    assert answer == ANALYTICS
    assert answer.status_code == 200
    assert answer.endpoint == "/analytics/post"
    assert answer.request_id == "AYR1"
    assert answer.demo is False
    assert answer.headers["x-request-id"] == "r1"  # lower-case names
    assert answer.rate_limit.limit == 300 and answer.rate_limit.count == 7
    assert answer.received_at.tzinfo is not None
    assert abs(answer.received_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)

    client.analytics_post("AYR2")
    assert rec.bodies[1] == {"id": "AYR2"}  # no platforms key when not narrowed
    client.analytics_post("AYR3", platforms="tiktok")
    assert rec.bodies[2] == {"id": "AYR3", "platforms": ["tiktok"]}


def test_analytics_by_social_id_body():
    client, rec, _ = make_client(always(lambda: ok(ANALYTICS)))
    client.analytics_by_social_id("17900000000000001", "instagram")
    client.analytics_by_social_id("at://did:plc:x/app.bsky.feed.post/3l", ["bluesky"])
    assert rec.bodies == [
        {"id": "17900000000000001", "platforms": ["instagram"], "searchPlatformId": True},
        {
            "id": "at://did:plc:x/app.bsky.feed.post/3l",
            "platforms": ["bluesky"],
            "searchPlatformId": True,
        },
    ]
    assert str(rec.requests[0].url).endswith("/api/analytics/post")


def test_analytics_social_body_and_options():
    client, rec, _ = make_client(always(lambda: ok({"status": "success"})))
    client.analytics_social(["facebook", "tiktok"], quarters=2, daily=True, period60Days=False)
    client.analytics_social("youtube")
    assert str(rec.requests[0].url).endswith("/api/analytics/social")
    assert rec.bodies == [
        {"platforms": ["facebook", "tiktok"], "quarters": 2, "daily": True, "period60Days": False},
        {"platforms": ["youtube"]},
    ]


def test_history_query_parameters():
    client, rec, _ = make_client(always(lambda: ok({"history": []})))
    client.history(
        lastDays=7,
        limit=100,
        status="success",
        type="now",
        platforms=["instagram", "tiktok"],
        startDate=dt.datetime(2026, 8, 1, 12, 0, tzinfo=dt.UTC),
        endDate="2026-08-31",
    )
    request = rec.requests[0]
    assert request.method == "GET"
    assert request.url.path == "/api/history"
    assert list(request.url.params.multi_items()) == [
        ("lastDays", "7"),
        ("limit", "100"),
        ("status", "success"),
        ("type", "now"),
        ("platforms[0]", "instagram"),
        ("platforms[1]", "tiktok"),
        ("startDate", "2026-08-01T12:00:00Z"),
        ("endDate", "2026-08-31"),
    ]
    assert "platforms[0]=instagram" in unquote(str(request.url))


def test_history_legacy_bare_array_is_wrapped():
    legacy = example("history_response_legacy_array.json")
    client, _, _ = make_client(always(lambda: ok(legacy)))
    answer = client.history()
    assert answer == {"history": legacy}
    assert answer["history"][0]["id"] == "rhn6u7wwz2WxGv6MZGK9"


def test_history_platform_path_and_cursor():
    page = {"status": "success", "posts": [{"id": "p"}], "nextUpdate": "2026-11-20T11:00:00Z"}
    client, rec, _ = make_client(always(lambda: ok(page)))
    answer = client.history_platform("bluesky", limit=50, next="cursor-2")
    assert rec.requests[0].url.path == "/api/history/bluesky"
    assert dict(rec.requests[0].url.params) == {"limit": "50", "next": "cursor-2"}
    assert answer.endpoint == "/history/bluesky"
    assert answer["posts"] == [{"id": "p"}]


# -- validation before any request -------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.analytics_post(""), "post id is empty"),
        (lambda c: c.analytics_post(" AYR1"), "' AYR1' contains whitespace"),
        (lambda c: c.analytics_post("AYR 1"), "'AYR 1' contains whitespace"),
        (lambda c: c.analytics_post(123), "must be a string, got int 123"),
        (lambda c: c.analytics_post("AYR1", platforms=["instagrm"]), "did you mean 'instagram'"),
        (lambda c: c.analytics_post("AYR1", platforms=["fb"]), "did you mean 'facebook'"),
        (lambda c: c.analytics_post("AYR1", platforms=["gmb"]), "Google Business"),
        (lambda c: c.analytics_post("AYR1", platforms=[]), "platforms is empty"),
        (lambda c: c.analytics_by_social_id("1789", ["instagram", "facebook"]), "exactly one"),
        (lambda c: c.analytics_by_social_id("1789", []), "platforms is empty"),
        (lambda c: c.analytics_by_social_id("", "instagram"), "social id"),
        (lambda c: c.analytics_social([]), "platforms is empty"),
        (lambda c: c.analytics_social(["tiktok"], quarters=5), "between 1 and 4, got 5"),
        (lambda c: c.analytics_social(["tiktok"], quarters=True), "integer, got True"),
        (lambda c: c.analytics_social(["tiktok"], daily="yes"), "True or False, got 'yes'"),
        (lambda c: c.analytics_social(["tiktok"], weekly=True), "unknown option 'weekly'"),
        (lambda c: c.history(lastDays=-1), "lastDays must be >= 0"),
        (lambda c: c.history(limit=5000), "between 1 and 1000"),
        (lambda c: c.history(startDate="yesterday"), "ISO date"),
        (lambda c: c.history(startDate="2026-09-01", endDate="2026-08-01"), "after endDate"),
        (lambda c: c.history(sort="desc"), "unknown history filter 'sort'"),
        (lambda c: c.history_platform("myspace"), "unknown platform 'myspace'"),
        (lambda c: c.history_platform("reddit", limit=0), "limit must be >= 1"),
        (lambda c: c.fetch_many([]), "ids is empty"),
        (lambda c: c.fetch_many("AYR1"), "not a single string"),
        (
            lambda c: c.fetch_many(["ok", "", "also_ok", "bad id"]),
            "[1] is empty; [3] 'bad id' contains whitespace",
        ),
        (lambda c: c.fetch_many(["a"], platforms=["nope"]), "unknown platform 'nope'"),
        (lambda c: c.fetch_many(["a"], concurrency=0), "concurrency must be between"),
    ],
)
def test_bad_input_raises_before_any_request(call, message):
    client, rec, _ = make_client(always(lambda: ok(ANALYTICS)))
    with pytest.raises(E.ValidationError) as info:
        call(client)
    assert message in str(info.value)
    assert rec.requests == []


def test_unknown_platform_error_lists_the_valid_ones():
    client, rec, _ = make_client(always(lambda: ok(ANALYTICS)))
    with pytest.raises(E.ValidationError) as info:
        client.analytics_post("AYR1", platforms=["friendster"])
    assert str(info.value).endswith(
        "valid platforms: bluesky, facebook, instagram, linkedin, pinterest, reddit, snapchat, "
        "threads, tiktok, twitter, youtube"
    )
    assert rec.requests == []


def test_live_without_key_says_how_to_fix_it():
    with pytest.raises(E.MissingApiKeyError) as info:
        AyrshareClient(source="live", transport=httpx.MockTransport(lambda r: ok()))
    text = str(info.value)
    assert "AYRSHARE_API_KEY" in text and ".env" in text
    assert "source='demo'" in text
    assert isinstance(info.value, E.ValidationError)


# -- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (
            400,
            {"action": "analytics", "status": "error", "code": 156, "message": "Not linked."},
            E.BadRequestError,
        ),
        (
            401,
            {"action": "authorization", "status": "error", "code": 102, "message": "Bad key."},
            E.AuthenticationError,
        ),
        (403, {"status": "error", "code": 148, "message": "Suspended."}, E.PermissionDeniedError),
        (404, NOT_FOUND, E.NotFoundError),
    ],
)
def test_client_errors_are_raised_once_and_never_retried(status, body, cls):
    client, rec, clock = make_client(always(lambda: ok(body, status=status)))
    with pytest.raises(cls) as info:
        client.analytics_post("IHvCmacgIc6hMU9IQ6C")
    err = info.value
    assert len(rec.requests) == 1
    assert clock.sleeps == []
    assert err.http_status == status and err.code == body["code"]
    assert err.post_id == "IHvCmacgIc6hMU9IQ6C" and err.endpoint == "/analytics/post"


def test_404_code_186_message_has_the_hint():
    client, _, _ = make_client(always(lambda: ok(NOT_FOUND, status=404)))
    with pytest.raises(E.NotFoundError) as info:
        client.analytics_post("abc")
    assert str(info.value) == (
        "404 Not Found (code 186) on /analytics/post for post 'abc': Post ID not found. "
        "Hint: this looks like a network's own post id; pass the Ayrshare id (from history) "
        "or use analytics_by_social_id(...)"
    )


def test_503_then_200_is_retried_to_success(caplog):
    def respond(request, n):
        if n == 1:
            return ok({"status": "error", "message": "Service unavailable."}, status=503)
        return ok(ANALYTICS)

    client, rec, clock = make_client(respond)
    with caplog.at_level(logging.INFO, logger="ayr_analysis"):
        answer = client.analytics_post("AYR1")
    assert answer == ANALYTICS
    assert len(rec.requests) == 2
    assert len(clock.sleeps) == 1 and 0.25 <= clock.sleeps[0] <= 0.5  # first backoff + jitter
    assert rec.times[1] - rec.times[0] == pytest.approx(clock.sleeps[0])
    retry_logs = [r for r in caplog.records if r.name == "ayr_analysis" and "retrying" in r.message]
    assert len(retry_logs) == 1 and retry_logs[0].levelno == logging.INFO
    assert "503 Service Unavailable" in retry_logs[0].message
    assert "attempt 2 of 5" in retry_logs[0].message


def test_server_errors_stop_after_max_retries_with_growing_backoff():
    client, rec, clock = make_client(
        always(lambda: ok({"status": "error", "message": "Bad gateway."}, status=502)),
        max_retries=3,
    )
    with pytest.raises(E.ServerError) as info:
        client.analytics_post("AYR1")
    assert info.value.http_status == 502
    assert len(rec.requests) == 4
    assert len(clock.sleeps) == 3
    for i, delay in enumerate(clock.sleeps):
        ceiling = 0.5 * 2**i
        assert ceiling / 2 <= delay <= ceiling


def test_retry_after_header_on_503_is_honoured():
    def respond(request, n):
        if n == 1:
            return httpx.Response(503, text="busy", headers={"Retry-After": "7"})
        return ok(ANALYTICS)

    client, rec, clock = make_client(respond)
    client.analytics_post("AYR1")
    assert clock.sleeps == [7.0]
    assert rec.times[1] - rec.times[0] == 7.0


def test_connection_errors_are_retried_and_timeouts_give_up_as_timeout_errors():
    def respond(request, n):
        if n == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return ok(ANALYTICS)

    client, rec, _ = make_client(respond)
    assert client.analytics_post("AYR1") == ANALYTICS
    assert len(rec.requests) == 2

    def slow(request, n):
        raise httpx.ReadTimeout("timed out", request=request)

    client, rec, _ = make_client(slow, max_retries=2, timeout=5)
    with pytest.raises(E.ApiTimeoutError) as info:
        client.analytics_post("AYR1")
    assert len(rec.requests) == 3
    assert "no answer within 5 s" in str(info.value)
    assert info.value.retryable is True


def test_total_retry_time_is_bounded():
    client, rec, clock = make_client(
        always(lambda: httpx.Response(503, text="down", headers={"Retry-After": "40"})),
        max_retries=10,
        max_retry_time=100,
    )
    start = clock()
    with pytest.raises(E.ServerError):
        client.analytics_post("AYR1")
    assert clock.sleeps == [40.0, 40.0]  # a third wait would pass 100 s
    assert len(rec.requests) == 3
    assert clock() - start <= 100


def test_ayrshare_429_waits_for_the_window_to_roll_over():
    def respond(request, n):
        if n == 1:
            return ok({"status": "error", "code": 429, "message": "Rate limit."}, status=429)
        return ok(ANALYTICS)

    client, rec, clock = make_client(respond, rate_window=300)
    assert client.analytics_post("AYR1") == ANALYTICS
    assert len(rec.requests) == 2
    assert rec.times[1] - rec.times[0] >= 300.0  # the fake clock shows the wait
    assert sum(clock.sleeps) >= 300.0


def test_429_pauses_every_request_of_the_profile():
    def respond(request, n):
        if n == 1:
            return ok({"status": "error", "message": "Too many requests."}, status=429)
        return ok(ANALYTICS)

    client, rec, clock = make_client(respond, max_retries=0)
    with pytest.raises(E.RateLimitError) as info:
        client.analytics_post("AYR1")
    assert info.value.retry_after == 300.0
    # another call for the same profile does not hit the server before the window rolls over
    client.analytics_post("AYR2")
    assert rec.times[1] - rec.times[0] >= 300.0


def test_instagram_435_waits_for_the_delay_in_details():
    def respond(request, n):
        if n == 1:
            body = {
                "status": "error",
                "code": 435,
                "message": "Instagram rate limit reached.",
                "details": "Please retry in 2 minutes",
            }
            return ok(body, status=429)
        return ok(ANALYTICS)

    client, rec, clock = make_client(respond)
    client.analytics_post("AYR1")
    assert clock.sleeps == [120.0]
    assert rec.times[1] - rec.times[0] == 120.0


def test_instagram_delay_longer_than_the_retry_budget_is_raised_at_once():
    body = {"status": "error", "code": 435, "message": "IG limit.", "details": {"retryAfter": 7200}}
    client, rec, clock = make_client(always(lambda: ok(body, status=429)))
    with pytest.raises(E.RateLimitError) as info:
        client.analytics_post("AYR1")
    assert info.value.retry_after == 7200.0
    assert len(rec.requests) == 1 and clock.sleeps == []


def test_error_status_in_a_200_body_without_network_results_raises():
    body = {"action": "history", "status": "error", "code": 221, "message": "History not found."}
    client, rec, _ = make_client(always(lambda: ok(body)))
    with pytest.raises(E.NotFoundError) as info:
        client.history()
    assert info.value.http_status == 200 and info.value.code == 221
    assert len(rec.requests) == 1


def test_network_errors_inside_a_useful_body_stay_in_the_body():
    body = {
        "status": "error",
        "id": "AYR1",
        "instagram": ANALYTICS["instagram"],
        "tiktok": {"status": "error", "code": 283, "message": "TikTok analytics unavailable."},
    }
    client, _, _ = make_client(always(lambda: ok(body)))
    answer = client.analytics_post("AYR1")
    assert answer["tiktok"]["code"] == 283
    assert answer["instagram"]["analytics"]["likeCount"] == 12

    errors_only = {
        "status": "error",
        "errors": [{"status": "error", "code": 156, "message": "x", "platform": "linkedin"}],
    }
    client, _, _ = make_client(always(lambda: ok(errors_only)))
    assert client.analytics_post("AYR1")["errors"][0]["platform"] == "linkedin"


def test_non_json_200_is_a_retried_invalid_response():
    # a success status with a body cut short is damage on the way: asked again, then reported
    client, rec, _ = make_client(always(lambda: httpx.Response(200, text='{"status": "succ')))
    with pytest.raises(E.InvalidResponseError, match="non-JSON body") as info:
        client.analytics_post("AYR1")
    assert len(rec.requests) == 5  # max_retries=4
    assert info.value.retryable is True and info.value.attempts == 5


def test_non_json_200_then_a_good_answer_succeeds():
    answers = iter([httpx.Response(200, text="<html>proxy</html>"), ok({"id": "AYR1"})])
    client, rec, _ = make_client(always(lambda: next(answers)))
    assert client.analytics_post("AYR1")["id"] == "AYR1"
    assert len(rec.requests) == 2


def test_wrong_shape_json_and_non_json_4xx_are_not_retried():
    client, rec, _ = make_client(always(lambda: httpx.Response(404, text="<html>nope</html>")))
    with pytest.raises(E.InvalidResponseError) as info:
        client.analytics_post("AYR1")
    assert len(rec.requests) == 1 and info.value.attempts == 1
    client, rec, _ = make_client(always(lambda: httpx.Response(200, json=[1, 2])))
    with pytest.raises(E.InvalidResponseError, match="JSON list"):
        client.analytics_post("AYR1")
    assert len(rec.requests) == 1


# -- bulk ------------------------------------------------------------------------------------------
def bulk_responder(failing):
    def respond(request, n):
        post_id = json.loads(request.content)["id"]
        if post_id in failing:
            status, body = failing[post_id]
            return ok(body, status=status)
        return ok({"status": "success", "id": post_id, "bluesky": {"analytics": {"likeCount": 1}}})

    return respond


FAILING = {
    "p03": (404, NOT_FOUND),
    "p05": (400, {"status": "error", "code": 156, "message": "Not linked.", "platform": "x"}),
    "p08": (503, {"status": "error", "message": "Service unavailable."}),
}


def test_bulk_with_three_failing_posts_keeps_the_others():
    ids = [f"p{i:02d}" for i in range(10)]
    client, rec, _ = make_client(bulk_responder(FAILING), max_retries=2)
    result = client.fetch_many(ids + ["p00", "p01"], progress=False)  # duplicates asked once
    assert isinstance(result, BulkResult)
    assert [r["id"] for r in result.responses] == [i for i in ids if i not in FAILING]
    assert [r.request_id for r in result.responses] == [i for i in ids if i not in FAILING]
    assert [(f.post_id, type(f.error)) for f in result.failures] == [
        ("p03", E.NotFoundError),
        ("p05", E.BadRequestError),
        ("p08", E.ServerError),
    ]
    assert all(isinstance(f, PostFailure) for f in result.failures)
    assert result.ok is False
    assert result.summary() == (
        "fetched 7 of 10 posts; 3 failed: 1 NotFoundError 404 code 186 (Post ID not found.), "
        "1 BadRequestError 400 code 156 (Not linked.), "
        "1 ServerError 503 after 3 attempts (Service unavailable.)"
    )
    # 7 good + 404 once + 400 once + 503 three times (two retries)
    assert len(rec.requests) == 7 + 1 + 1 + 3


def test_async_bulk_bounds_concurrency_and_keeps_order():
    in_flight = 0
    peak = 0

    async def handler(request):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        in_flight -= 1
        post_id = json.loads(request.content)["id"]
        return ok({"status": "success", "id": post_id})

    clock = FakeClock()

    async def main():
        async with AsyncAyrshareClient(
            settings=Settings(api_key=KEY),
            transport=httpx.MockTransport(handler),
            clock=clock,
            sleep=clock.sleep,
        ) as client:
            return await client.fetch_many(
                [f"p{i}" for i in range(20)], platforms=["bluesky"], concurrency=3, progress=False
            )

    result = asyncio.run(main())
    assert result.ok and result.summary() == "fetched 20 of 20 posts"
    assert [r["id"] for r in result.responses] == [f"p{i}" for i in range(20)]
    assert peak == 3


def test_sync_fetch_many_works_inside_a_running_event_loop():
    client, rec, _ = make_client(bulk_responder({}))

    async def notebook_cell():
        asyncio.get_running_loop()  # as in Jupyter
        return client.fetch_many(["a", "b", "c"], progress=False)

    result = asyncio.run(notebook_cell())
    assert [r["id"] for r in result.responses] == ["a", "b", "c"]
    assert len(rec.requests) == 3


def test_sync_fetch_many_with_a_sync_only_transport_runs_sequentially():
    clock = FakeClock()
    seen = []

    class SyncOnly(httpx.BaseTransport):
        def handle_request(self, request):
            seen.append(json.loads(request.content)["id"])
            return ok({"status": "success"})

    client = AyrshareClient(
        settings=Settings(api_key=KEY), transport=SyncOnly(), clock=clock, sleep=clock.sleep
    )
    result = client.fetch_many(["a", "b"], progress=False)
    assert seen == ["a", "b"] and len(result.responses) == 2


def test_progress_bar_shows_when_asked_and_stays_quiet_otherwise(capsys):
    client, _, _ = make_client(bulk_responder({}))
    client.fetch_many(["a", "b"], progress=True)
    assert "post analytics" in capsys.readouterr().err
    client.fetch_many(["a", "b"], progress=False)
    client.fetch_many(["a", "b"])  # None: stderr is not a terminal under pytest
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_async_methods_mirror_the_sync_ones():
    async def main():
        client, rec, _ = make_client(always(lambda: ok(ANALYTICS)), cls=AsyncAyrshareClient)
        async with client:
            a = await client.analytics_post("AYR1", ["instagram"])
            await client.analytics_by_social_id("1789", "instagram")
            await client.analytics_social(["tiktok"], daily=True)
            await client.history(limit=3)
            await client.history_platform("reddit")
        return a, rec

    answer, rec = asyncio.run(main())
    assert answer == ANALYTICS and answer.endpoint == "/analytics/post"
    assert [r.url.path for r in rec.requests] == [
        "/api/analytics/post",
        "/api/analytics/post",
        "/api/analytics/social",
        "/api/history",
        "/api/history/reddit",
    ]


# -- the key never shows -------------------------------------------------------------------------
def test_key_appears_in_no_repr_error_or_log(caplog):
    def respond(request, n):
        if n == 1:
            return ok({"status": "error", "message": "Service unavailable."}, status=503)
        if n == 2:  # a server that echoes the key back
            return ok({"status": "error", "code": 102, "message": f"Key {KEY} invalid"}, 401)
        return ok(ANALYTICS)

    texts = []
    with caplog.at_level(logging.DEBUG):
        for name in ("httpx", "httpcore", "ayr_analysis"):
            logging.getLogger(name).setLevel(logging.DEBUG)
        client, _, _ = make_client(
            respond, profile_key=PROFILE, x_api_key=X_KEY, x_api_secret=X_SECRET
        )
        with pytest.raises(E.AuthenticationError) as info:
            client.analytics_post("AYR1")
        answer = client.analytics_post("AYR1")
        result = client.fetch_many(["a", "b"], progress=False)
    err = info.value
    texts += [str(client), repr(client), str(client.settings), repr(client.settings)]
    texts += [str(err), repr(err), err.message, repr(err.details), repr(err.args)]
    texts += [repr(answer.headers), repr(answer.__dict__), repr(result), result.summary()]
    for cls in (E.ApiConnectionError, E.ApiTimeoutError, E.InvalidResponseError):
        texts.append(str(cls("x")))
    texts.append(caplog.text)
    texts += [repr(r.args) + r.getMessage() for r in caplog.records]
    assert "**********" in str(err)  # scrubbed, not dropped
    assert any(r.name == "httpx" for r in caplog.records)  # httpx did log
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


# -- demo mode -------------------------------------------------------------------------------------
def test_demo_mode_uses_the_sandbox_and_labels_answers(capsys, monkeypatch):
    from ayr_analysis import sandbox
    from ayr_analysis.client import display

    monkeypatch.setattr(display, "_announced", False)  # as in a fresh process
    client = AyrshareClient()  # no key anywhere: demo
    assert client.is_demo is True
    assert client.base_url == "http://sandbox.invalid/api"
    answer = client.history(lastDays=0)
    assert answer.demo is True
    assert isinstance(answer.get("history"), list)
    assert client._api_key.get_secret_value() == sandbox.DEMO_API_KEY
    AyrshareClient()
    err = capsys.readouterr().err
    assert err.count("DEMO data") == 1  # announced once per process, on stderr
    # the client paces to the sandbox's own (compressed) window and sends demo X keys
    assert client.settings.rate_window == sandbox.transport.DEMO_RATE_WINDOW
    assert client.settings.rate_limit == 300
    assert client.demo is sandbox.Demo.default()  # the shared default demo
    x_post = next(
        p
        for p in sandbox.build_world().ayrshare_posts()
        if p.profile == 0 and "twitter" in p.networks
    )
    tweet = client.analytics_post(x_post.id, platforms=["twitter"])["twitter"]
    first = tweet[0] if isinstance(tweet, list) else tweet
    assert first.get("status") != "error" and "analytics" in first


def test_demo_wiring_with_a_stand_in_demo(monkeypatch, capsys, caplog):
    """The demo path on a stand-in demo: anything with transport(), rate_limit and rate_window
    (the real sandbox is tested above)."""
    from ayr_analysis.client import display

    seen = []

    def handler(request):
        seen.append(request)
        return ok({"history": []})

    shared = httpx.MockTransport(handler)

    class StandIn:
        rate_limit = 7
        rate_window = 3.0

        def transport(self):
            return shared

    monkeypatch.setattr(display, "_announced", False)
    clock = FakeClock()
    demo = StandIn()

    with caplog.at_level(logging.INFO, logger="ayr_analysis"):
        client = AyrshareClient(demo=demo, clock=clock, sleep=clock.sleep)
        AyrshareClient(demo=demo, clock=clock, sleep=clock.sleep)
    assert client.is_demo and client.demo is demo
    assert client.base_url == "http://sandbox.invalid/api"
    assert (client.settings.rate_limit, client.settings.rate_window) == (7, 3.0)
    answer = client.history()
    assert answer.demo is True
    assert str(seen[0].url) == "http://sandbox.invalid/api/history"
    assert seen[0].headers["Authorization"] == "Bearer demo-sandbox-key"
    assert capsys.readouterr().err.count("DEMO data") == 1
    assert sum("DEMO data" in r.getMessage() for r in caplog.records) == 1

    bulk = client.fetch_many(["a", "b"], progress=False)
    assert all(r.demo for r in bulk.responses) and len(seen) == 3
    # a key makes it live; source="demo" forces demo even with a key
    assert AyrshareClient(KEY, transport=shared).is_demo is False
    assert AyrshareClient(KEY, transport=shared).demo is None
    assert AyrshareClient(KEY, source="demo").is_demo is True
    # a demo and a transport, or a demo and source="live", contradict each other
    with pytest.raises(E.ValidationError, match="not both"):
        AyrshareClient(demo=demo, transport=shared)
    with pytest.raises(E.ValidationError, match="source='live'"):
        AyrshareClient(KEY, demo=demo, source="live")
    with pytest.raises(E.ValidationError, match="demo must be"):
        AyrshareClient(demo="sandbox")


def test_explicit_demo_source_wins_over_a_key():
    assert AyrshareClient(api_key=KEY, source="demo").is_demo is True


def test_a_clock_with_now_giving_datetimes_drives_waits_and_received_at():
    class VirtualClock:  # like the sandbox's: now() gives an aware datetime
        def __init__(self):
            self.at = dt.datetime(2026, 8, 1, 12, 0, tzinfo=dt.UTC)

        def now(self):
            return self.at

        def sleep(self, seconds):
            self.at += dt.timedelta(seconds=seconds)

    vc = VirtualClock()

    def respond(request, n):
        if n == 1:
            return httpx.Response(503, text="busy", headers={"Retry-After": "30"})
        return ok(ANALYTICS)

    rec = Recorder(vc.now, respond)
    client = AyrshareClient(
        settings=Settings(api_key=KEY), transport=httpx.MockTransport(rec), clock=vc, sleep=vc.sleep
    )
    answer = client.analytics_post("AYR1")
    assert rec.times == [
        dt.datetime(2026, 8, 1, 12, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 8, 1, 12, 0, 30, tzinfo=dt.UTC),
    ]
    assert answer.received_at == dt.datetime(2026, 8, 1, 12, 0, 30, tzinfo=dt.UTC)


def test_client_reads_the_key_from_dotenv_when_no_argument_is_given(tmp_path):
    (tmp_path / ".env").write_text(f"AYRSHARE_API_KEY={KEY}\nAYRSHARE_PROFILE_KEY={PROFILE}\n")
    clock = FakeClock()
    rec = Recorder(clock, lambda r, n: ok(ANALYTICS))
    client = AyrshareClient(transport=httpx.MockTransport(rec), clock=clock, sleep=clock.sleep)
    assert client.is_demo is False
    client.analytics_post("AYR1")
    assert rec.requests[0].headers["Authorization"] == f"Bearer {KEY}"
    assert rec.requests[0].headers["Profile-Key"] == PROFILE


def test_a_bare_array_is_only_accepted_from_history():
    client, _, _ = make_client(always(lambda: ok([{"id": "x"}])))
    with pytest.raises(E.InvalidResponseError, match="JSON list where an object was expected"):
        client.analytics_post("AYR1")
