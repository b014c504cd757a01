"""The error family: the right class from status and body, informative messages, no secrets."""

import json
import pickle
from pathlib import Path

import pytest

from ayr_analysis import errors as E
from ayr_analysis.errors import error_from_response, parse_retry_after

EXAMPLES = Path(__file__).parent / "data" / "ayrshare"  # verbatim Ayrshare samples
NOT_FOUND_BODY = json.loads((EXAMPLES / "error_analytics_post_id_not_found_404.json").read_text())


def test_404_code_186_gives_not_found_with_hint():
    err = error_from_response(
        404, json.dumps(NOT_FOUND_BODY).encode(), endpoint="/analytics/post", post_id="abc"
    )
    assert type(err) is E.NotFoundError
    assert (err.http_status, err.code, err.message) == (404, 186, "Post ID not found.")
    assert (err.endpoint, err.post_id, err.platform, err.retryable) == (
        "/analytics/post",
        "abc",
        None,
        False,
    )
    assert str(err) == (
        "404 Not Found (code 186) on /analytics/post for post 'abc': Post ID not found. "
        "Hint: this looks like a network's own post id; pass the Ayrshare id (from history) "
        "or use analytics_by_social_id(...)"
    )


@pytest.mark.parametrize(
    ("status", "body", "cls", "retryable"),
    [
        (
            400,
            {
                "action": "analytics",
                "status": "error",
                "code": 156,
                "message": "Instagram is not linked.",
                "platform": "instagram",
            },
            E.BadRequestError,
            False,
        ),
        (
            401,
            {
                "action": "authorization",
                "status": "error",
                "code": 102,
                "message": "API Key not valid.",
            },
            E.AuthenticationError,
            False,
        ),
        (
            402,
            {"status": "error", "code": 169, "message": "Plan does not include analytics."},
            E.PermissionDeniedError,
            False,
        ),
        (
            403,
            {"status": "error", "code": 148, "message": "Profile is suspended."},
            E.PermissionDeniedError,
            False,
        ),
        (404, NOT_FOUND_BODY, E.NotFoundError, False),
        (
            429,
            {"status": "error", "code": 429, "message": "Too many requests."},
            E.RateLimitError,
            True,
        ),
        (500, {"status": "error", "message": "Internal error."}, E.ServerError, True),
        (502, b"<html><body>502 Bad Gateway</body></html>", E.ServerError, True),
        (503, {"status": "error", "message": "Service unavailable."}, E.ServerError, True),
        (504, b"", E.ServerError, True),
    ],
)
def test_status_picks_the_class(status, body, cls, retryable):
    err = error_from_response(status, body, "/analytics/post", "p-1")
    assert type(err) is cls
    assert err.http_status == status
    assert err.retryable is retryable
    assert isinstance(err, E.AyrshareError)
    assert str(err).startswith(f"{status} ")
    if isinstance(body, dict):
        assert err.message == body["message"]
        assert err.code == body.get("code")


def test_platform_comes_from_the_body():
    err = error_from_response(
        400, {"status": "error", "code": 161, "message": "Relink.", "platform": "facebook"}
    )
    assert err.platform == "facebook"
    assert "[facebook]" in str(err)
    assert "relinked" in str(err)


@pytest.mark.parametrize(
    "body",
    [b"<html>Not Found</html>", b"not json at all", b'["a", "list"]', b'"text"', b""],
)
def test_non_json_or_wrong_shape_is_invalid_response(body):
    err = error_from_response(404, body, "/analytics/post", "p-1")
    assert type(err) is E.InvalidResponseError
    assert err.http_status == 404
    assert err.retryable is False


def test_invalid_body_on_200_is_invalid_response():
    err = error_from_response(200, b"{truncated", "/history")
    assert type(err) is E.InvalidResponseError
    assert "non-JSON body '{truncated'" in str(err)


def test_errors_array_from_the_duplicate_example():
    body = json.loads((EXAMPLES / "error_post_duplicate_multi_platform.json").read_text())
    err = error_from_response(400, body, "/post")
    assert type(err) is E.BadRequestError
    assert err.code == 110  # the first entry's
    assert err.message.startswith("twitter: Status is a duplicate.; facebook: Facebook Error")
    assert err.platform is None  # two networks failed
    assert [e["platform"] for e in err.details] == ["twitter", "facebook"]


@pytest.mark.parametrize(
    ("details", "seconds"),
    [
        (90, 90.0),
        ("Please retry in 5 minutes", 300.0),
        ("wait 30 seconds", 30.0),
        ("3600", 3600.0),
        ({"retryAfter": 45}, 45.0),
        ({"minutes": 2}, 120.0),
        ({"message": "try again in 1 hour"}, 3600.0),
        (None, None),
        ("no delay given", None),
    ],
)
def test_instagram_435_delay_from_details(details, seconds):
    body = {"status": "error", "code": 435, "message": "Instagram rate limit reached."}
    if details is not None:
        body["details"] = details
    err = error_from_response(429, body, "/analytics/post", "p-9")
    assert type(err) is E.RateLimitError
    assert err.code == 435
    assert err.retry_after == seconds
    assert err.details == details


def test_retry_after_header_wins_and_is_parsed():
    err = error_from_response(
        429, {"status": "error", "message": "slow down"}, headers={"Retry-After": "12"}
    )
    assert err.retry_after == 12.0
    assert str(err).endswith("(retry after 12 s)")
    err = error_from_response(503, b"busy", headers={"retry-after": "7"})
    assert type(err) is E.ServerError and err.retry_after == 7.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", now=1767225600.0) == 60.0
    assert parse_retry_after("soon") is None


def test_error_in_a_200_body_follows_the_code():
    err = error_from_response(
        200, {"action": "history", "status": "error", "code": 221, "message": "History not found."}
    )
    assert type(err) is E.NotFoundError and err.code == 221
    err = error_from_response(200, {"status": "error", "code": 435, "message": "IG limit"})
    assert type(err) is E.RateLimitError
    err = error_from_response(200, {"status": "error", "code": 999, "message": "Odd."})
    assert type(err) is E.AyrshareError and err.retryable is False


def test_hierarchy():
    assert issubclass(E.ValidationError, ValueError)
    assert issubclass(E.MissingApiKeyError, E.ValidationError)
    assert issubclass(E.ApiTimeoutError, E.ApiConnectionError)
    assert E.ApiTimeoutError("t").retryable is True
    assert E.InvalidResponseError("x").retryable is False


def test_errors_pickle_with_their_attributes():
    err = error_from_response(429, {"status": "error", "code": 435, "message": "m", "details": 60})
    err.post_id = "p"
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is E.RateLimitError
    assert (back.code, back.retry_after, back.post_id, back.details) == (435, 60.0, "p", 60)
    assert str(back) == str(err)


def test_repr_is_informative():
    err = error_from_response(404, NOT_FOUND_BODY, "/analytics/post", "abc")
    assert repr(err) == (
        "NotFoundError('Post ID not found.', http_status=404, code=186, "
        "endpoint='/analytics/post', post_id='abc', retryable=False)"
    )
