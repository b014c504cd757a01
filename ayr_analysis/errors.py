"""The error family raised by the client.

Every error carries what went wrong and where: the HTTP status, Ayrshare's numeric ``code``, the
server's ``message``, the ``endpoint``, the ``post_id`` asked for, the ``platform`` when one network
is at fault, any ``details`` and whether retrying can help (``retryable``). The API key is never
part of an error: the client builds errors from the response body only and scrubs any secret it
knows of.

What each Ayrshare error code means (class, hint, whether asking again can help, how long the
answer lasts) is one table, :data:`ERROR_CODES`; the normaliser's errors frame reads it too.

>>> err = error_from_response(404, {"status": "error", "code": 186,
...                                 "message": "Post ID not found."},
...                           endpoint="/analytics/post", post_id="abc")
>>> type(err).__name__, err.code, err.retryable
('NotFoundError', 186, False)
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any, Literal

__all__ = [
    "ApiConnectionError",
    "ApiTimeoutError",
    "AuthenticationError",
    "AyrshareError",
    "BadRequestError",
    "DeadlineExceededError",
    "ERROR_CODES",
    "error_from_response",
    "ErrorCode",
    "InvalidResponseError",
    "is_retryable",
    "LASTING",
    "Lasting",
    "MissingApiKeyError",
    "NotFoundError",
    "parse_retry_after",
    "PermissionDeniedError",
    "RateLimitError",
    "RateLimitPausedError",
    "ResponseTooLargeError",
    "ServerError",
    "ValidationError",
    "XQuotaError",
]

#: Ayrshare codes the code below refers to by name (their entries are in :data:`ERROR_CODES`).
CODE_POST_NOT_FOUND = 186
CODE_NOT_PUBLISHED = 189
CODE_HISTORY_NOT_FOUND = 221
CODE_INSTAGRAM_RATE_LIMIT = 435
#: A 429's code: the profile's own rate limit or, naming ``twitter``, X's daily analytics quota.
CODE_RATE_LIMITED = 429
#: How long X's daily analytics quota is refused (Business 1,000, Premium 500 requests per 24
#: hours; the answer says "Try again after the 24-hour period"): asking again a whole period
#: after the refusal is past its renewal, whether X counts a rolling 24 hours or calendar days.
X_QUOTA_PERIOD_S = 86_400.0


class AyrshareError(Exception):
    """Base class of every error raised by ayr-analysis when talking to Ayrshare.

    >>> e = AyrshareError("boom", http_status=500, endpoint="/history")
    >>> str(e)
    '500 Internal Server Error on /history: boom'
    """

    #: whether retrying the same request can succeed, unless the instance says otherwise
    default_retryable: bool = False
    #: how many times the request was sent before giving up (set by the client; 1 = no retry)
    attempts: int = 1

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        code: int | None = None,
        endpoint: str | None = None,
        post_id: str | None = None,
        platform: str | None = None,
        details: Any = None,
        retryable: bool | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.code = code
        self.endpoint = endpoint
        self.post_id = post_id
        self.platform = platform
        self.details = details
        self.retryable = self.default_retryable if retryable is None else bool(retryable)
        if hint is None and code is not None and (known := ERROR_CODES.get(code)) is not None:
            hint = known.hint
        self.hint = hint

    def _head(self) -> str:
        parts: list[str] = []
        if self.http_status is not None:
            try:
                phrase = HTTPStatus(self.http_status).phrase
            except ValueError:
                phrase = "HTTP status"
            parts.append(f"{self.http_status} {phrase}")
        if self.code is not None:
            parts.append(f"(code {self.code})")
        if self.endpoint:
            parts.append(f"on {self.endpoint}")
        if self.post_id is not None:
            parts.append(f"for post {self.post_id!r}")
        if self.platform:
            parts.append(f"[{self.platform}]")
        return " ".join(parts)

    def __str__(self) -> str:
        head = self._head()
        text = f"{head}: {self.message}" if head else self.message
        if self.hint:
            text += f" Hint: {self.hint}"
        return text

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in ("http_status", "code", "endpoint", "post_id", "platform", "retryable")
            if getattr(self, name) is not None
        )
        return f"{type(self).__name__}({self.message!r}{', ' if fields else ''}{fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        # keep every attribute when pickled (multiprocessing, caches)
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))


def _rebuild(cls: type[AyrshareError], message: str, state: dict[str, Any]) -> AyrshareError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class ValidationError(AyrshareError, ValueError):
    """Bad input, found before any request was made.

    >>> str(ValidationError("post id must not be empty, got ''"))
    "post id must not be empty, got ''"
    """


class MissingApiKeyError(ValidationError):
    """Live mode was asked for but no API key is configured."""


class BadRequestError(AyrshareError):
    """HTTP 400: the request was refused (also: network not linked, relink needed)."""


class AuthenticationError(AyrshareError):
    """HTTP 401: the API key is invalid."""


class PermissionDeniedError(AyrshareError):
    """HTTP 402/403: the plan does not include this, or access is denied."""


class NotFoundError(AyrshareError):
    """HTTP 404: not found (code 186: an id that is not an Ayrshare post id)."""


class RateLimitError(AyrshareError):
    """HTTP 429: rate limited. ``retry_after`` (seconds) is the server's hint, when it gave one.

    Code 435 is Instagram's own limit; its delay comes in ``details``.
    """

    default_retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after

    def __str__(self) -> str:
        text = super().__str__()
        if self.retry_after is not None:
            text += f" (retry after {self.retry_after:g} s)"
        return text


class ServerError(AyrshareError):
    """HTTP 5xx: a failure on the server side; retryable. ``retry_after`` from a Retry-After
    header, when there is one."""

    default_retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ApiConnectionError(AyrshareError):
    """The request never got an answer (connection refused, reset, DNS...)."""

    default_retryable = True


class ApiTimeoutError(ApiConnectionError):
    """The request timed out."""


class InvalidResponseError(AyrshareError):
    """The answer could not be understood (not JSON, or not the expected shape).

    Retryable only when a success status came with a body that is not JSON (empty, cut short, an
    HTML page from a proxy): that is damage on the way, and the same request usually succeeds.

    >>> error_from_response(200, b'{"status": "succ').retryable
    True
    >>> error_from_response(404, b"<html>Not Found</html>").retryable
    False
    """


# -- errors of the client's own limits (deadline, size, pacing) and of X's daily quota --------
class DeadlineExceededError(ApiTimeoutError):
    """The whole exchange (connecting and every read) took longer than the client's deadline:
    a server that answers too slowly, or without end. Not retried: it would happen again."""

    default_retryable = False


class ResponseTooLargeError(InvalidResponseError):
    """The answer (decompressed) is larger than the client's size cap; reading stopped there.
    Not retried: the same answer would come again."""


class RateLimitPausedError(RateLimitError):
    """Not sent: the profile is rate limited for longer than this request may wait, or it was
    answered 429 again and again, and the client pauses it rather than risk a suspension
    (Ayrshare suspends a profile after 1,000 429 answers in 24 hours). No request was made."""

    default_retryable = False


class XQuotaError(RateLimitError):
    """X's own daily analytics quota for the profile is used up (Business 1,000, Premium 500
    requests per 24 hours). Not retried: it lasts the day. The profile's other requests go on;
    leave ``twitter`` out of ``platforms`` until the quota renews."""

    default_retryable = False


#: How long an error's answer lasts: what asking the same question again can give.
Lasting = Literal["permanent", "until_fixed", "retry_after", "retry_now"]

#: Each :data:`Lasting` value in words.
LASTING: dict[str, str] = {
    "permanent": "the answer cannot change: asking again gives the same error",
    "until_fixed": "the same error until someone acts (relinks a network, sets keys, fixes the "
    "request); asking again before that is wasted quota",
    "retry_after": "asking again can succeed after a delay the error tells (or the API documents)",
    "retry_now": "a passing failure: asking again can succeed at once (with backoff)",
}


@dataclass(frozen=True)
class ErrorCode:
    """What one Ayrshare error code means to the toolkit: one entry of :data:`ERROR_CODES`.

    * ``meaning``: what the code says, in words;
    * ``error_class``: the class raised when the code comes in a successful (HTTP 200) answer;
      an error status picks its class by itself (see :func:`error_from_response`), except that a
      rate-limit code keeps :class:`RateLimitError` on a 400;
    * ``lasting``: how long the answer lasts (:data:`LASTING`); ``retryable`` follows from it;
    * ``hint``: what to do, added to the error's message;
    * ``source``: where the meaning comes from: ``"reference"`` (Ayrshare's documentation, as
      gathered in the API reference), ``"example"`` (a recovered Ayrshare answer, not described
      in the documentation) or ``"sandbox"`` (a code the built-in sandbox answers with because
      the real API's code for that case is not known).

    >>> ERROR_CODES[485].lasting, ERROR_CODES[485].retryable
    ('permanent', False)
    """

    code: int
    meaning: str
    error_class: type[AyrshareError]
    lasting: Lasting
    hint: str | None = None
    source: Literal["reference", "example", "sandbox"] = "reference"

    @property
    def retryable(self) -> bool:
        """Whether asking the same question again (unchanged) can succeed."""
        return self.lasting in ("retry_after", "retry_now")


def _table(*entries: ErrorCode) -> dict[int, ErrorCode]:
    return {e.code: e for e in entries}


#: The one table of Ayrshare error codes: the client's errors (class, hint, ``retryable``) and
#: the errors frame of :func:`ayr_analysis.normalize.normalize` (``retryable``) both read it.
#: A code missing here is unknown: its class and retryability come from the HTTP status alone.
#: docs/METRICS.md shows this table; a test keeps the two the same.
ERROR_CODES: dict[int, ErrorCode] = _table(
    ErrorCode(
        107,
        "a network refused a post identical to the previous one (Facebook, in the example)",
        AyrshareError,
        "permanent",
        source="example",
    ),
    ErrorCode(
        110,
        "status is a duplicate (X, in the example)",
        AyrshareError,
        "permanent",
        source="example",
    ),
    ErrorCode(
        156,
        "the network is not linked to this profile",
        BadRequestError,
        "until_fixed",
        "the network is not linked to this profile; link it in the Ayrshare dashboard",
    ),
    ErrorCode(
        161,
        "Facebook must be relinked",
        BadRequestError,
        "until_fixed",
        "Facebook needs to be relinked in the Ayrshare dashboard",
    ),
    ErrorCode(
        CODE_POST_NOT_FOUND,
        "post id not found (usually a network's own id sent as an Ayrshare id)",
        NotFoundError,
        "permanent",
        "this looks like a network's own post id; pass the Ayrshare id (from history) "
        "or use analytics_by_social_id(...)",
    ),
    ErrorCode(
        CODE_NOT_PUBLISHED,
        "the post is scheduled and not published yet (its schedule time in the message)",
        BadRequestError,
        "retry_after",
        "the post is scheduled; its analytics can be asked for after its schedule time",
        source="sandbox",
    ),
    ErrorCode(CODE_HISTORY_NOT_FOUND, "history not found", NotFoundError, "permanent"),
    ErrorCode(
        272,
        "X must be relinked",
        BadRequestError,
        "until_fixed",
        "X needs to be relinked in the Ayrshare dashboard",
    ),
    ErrorCode(
        419,
        "the customer's own X app keys are missing (every X call needs them since 2026-03-31)",
        BadRequestError,
        "until_fixed",
        "X calls need your own X app keys: set AYRSHARE_X_API_KEY and AYRSHARE_X_API_SECRET",
    ),
    ErrorCode(
        CODE_RATE_LIMITED,
        "rate limited: the profile's own limit or, naming twitter, X's daily analytics quota "
        "(asked again a day later)",
        RateLimitError,
        "retry_after",
        source="sandbox",
    ),
    ErrorCode(
        CODE_INSTAGRAM_RATE_LIMIT,
        "Instagram's own rate limit (its delay in the error's details)",
        RateLimitError,
        "retry_after",
        "Instagram's own rate limit; wait before asking again",
    ),
    ErrorCode(
        484,
        "a Facebook story: Facebook gives no analytics for stories",
        BadRequestError,
        "permanent",
        source="sandbox",
    ),
    ErrorCode(
        485,
        "the story has expired (Instagram keeps story insights for 24 hours)",
        BadRequestError,
        "permanent",
        "Instagram keeps story insights for 24 hours only",
    ),
)


def is_retryable(code: int | None, http_status: int | None) -> bool | None:
    """Whether asking again can succeed, for an error with this code and HTTP status.

    A known code decides (:data:`ERROR_CODES`); else the HTTP status (429 and 5xx: yes, other
    errors: no); with neither, None (unknown).

    >>> is_retryable(435, 400), is_retryable(186, None), is_retryable(None, 503)
    (True, False, True)
    >>> is_retryable(999, None) is None
    True
    """
    known = ERROR_CODES.get(code) if code is not None else None
    if known is not None:
        return known.retryable
    if http_status is not None:
        return _status_class(http_status).default_retryable
    return None


_UNIT_SECONDS = {
    "ms": 0.001,
    "millisecond": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hour": 3600.0,
}
_DELAY_RE = re.compile(
    r"(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?)\b",
    re.IGNORECASE,
)
_DELAY_KEYS = ("retryAfter", "retry_after", "retryIn", "delay", "wait", "seconds")


def _delay_from_details(details: Any) -> float | None:
    """Instagram's retry delay from a ``details`` value, in seconds, read tolerantly.

    A bare number is taken as seconds; text such as ``"retry in 5 minutes"`` is understood; a mapping
    is searched for keys like ``retryAfter``/``delay`` (``minutes``/``hours`` keys too).
    """
    if details is None or isinstance(details, bool):
        return None
    if isinstance(details, int | float):
        return float(details) if details >= 0 else None
    if isinstance(details, str):
        match = _DELAY_RE.search(details)
        if match:
            unit = match.group(2).lower().rstrip("s") or "s"
            factor = _UNIT_SECONDS.get(unit, _UNIT_SECONDS.get(match.group(2).lower(), 1.0))
            return float(match.group(1)) * factor
        try:
            return max(0.0, float(details.strip()))
        except ValueError:
            return None
    if isinstance(details, dict):
        for key in _DELAY_KEYS:
            if key in details:
                found = _delay_from_details(details[key])
                if found is not None:
                    return found
        for key, factor in (("minutes", 60.0), ("hours", 3600.0)):
            value = details.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value) * factor
        for value in details.values():
            if isinstance(value, str | dict):
                found = _delay_from_details(value)
                if found is not None:
                    return found
    return None


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date).

    >>> parse_retry_after("120")
    120.0
    >>> parse_retry_after(None) is None
    True
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:  # inf, nan or a negative number is no wait at all
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    import time

    reference = time.time() if now is None else now
    return max(0.0, when.timestamp() - reference)


def _status_class(status: int) -> type[AyrshareError]:
    if status == 400:
        return BadRequestError
    if status == 401:
        return AuthenticationError
    if status in (402, 403):
        return PermissionDeniedError
    if status == 404:
        return NotFoundError
    if status == 429:
        return RateLimitError
    if status >= 500:
        return ServerError
    return AyrshareError


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _snippet(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def error_from_response(
    status: int,
    body: Any,
    endpoint: str | None = None,
    post_id: str | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> AyrshareError:
    """Build the right error for an HTTP status and a response body (bytes, text or decoded JSON).

    The class follows the HTTP status (400, 401, 402/403, 404, 429, 5xx); for an error reported in a
    200 answer it follows Ayrshare's code. A body that is not JSON, or JSON of the wrong shape, gives
    an :class:`InvalidResponseError`, except for 429 and 5xx, whose class (and retryability) the
    status alone decides.

    >>> e = error_from_response(429, {"status": "error", "code": 435,
    ...                               "message": "Instagram rate limit", "details": "retry in 2 minutes"},
    ...                         endpoint="/analytics/post", post_id="p1")
    >>> type(e).__name__, e.retry_after, e.retryable
    ('RateLimitError', 120.0, True)
    >>> type(error_from_response(502, b"<html>Bad gateway</html>")).__name__
    'ServerError'
    """
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    decoded: Any = body
    not_json: str | None = None
    if isinstance(body, bytes | bytearray):
        body = body.decode("utf-8", errors="replace")
    if isinstance(body, str):
        try:
            decoded = json.loads(body) if body.strip() else None
        except (ValueError, RecursionError):  # not JSON, or nested too deep to decode
            decoded = None
            not_json = body
        if decoded is None and not_json is None:
            not_json = ""

    common: dict[str, Any] = {"http_status": status, "endpoint": endpoint, "post_id": post_id}
    by_status = _status_class(status)
    status_decides = status == 429 or status >= 500

    if not isinstance(decoded, dict):
        if not_json is not None:
            what = f"non-JSON body {_snippet(not_json)!r}" if not_json.strip() else "an empty body"
        else:
            what = f"a JSON {type(decoded).__name__} where an object was expected"
        if status_decides:
            retry_after = parse_retry_after(headers.get("retry-after"))
            hints: dict[str, Any] = (
                {"retry_after": retry_after} if by_status in (RateLimitError, ServerError) else {}
            )
            return by_status(f"the server answered with {what}", **common, **hints)
        # A success status with a body that is not JSON (cut short, or a proxy's page) is a glitch
        # on the way, not the API's answer: asking again can succeed. A 4xx keeps its meaning
        # (retrying it cannot help), and JSON of the wrong shape is the API's real answer.
        glitch = not_json is not None and 200 <= status < 300
        return InvalidResponseError(
            f"the server answered with {what}", retryable=glitch or None, **common
        )

    errors = decoded.get("errors")
    first: dict[str, Any] = decoded
    if decoded.get("code") is None and decoded.get("message") is None and isinstance(errors, list):
        entries = [e for e in errors if isinstance(e, dict)]
        if entries:
            first = entries[0]
    code = _as_int(first.get("code"))
    message = first.get("message")
    if isinstance(errors, list) and first is not decoded and len(errors) > 1:
        parts = []
        for entry in errors:
            if isinstance(entry, dict):
                label = entry.get("platform") or "?"
                parts.append(f"{label}: {entry.get('message') or 'error'}")
        message = "; ".join(parts)
    if not isinstance(message, str) or not message:
        message = (
            f"the server reported an error without a message (keys: {sorted(decoded)})"
            if status < 300
            else "the server gave no error message"
        )
    platforms = {
        e.get("platform")
        for e in (errors if isinstance(errors, list) else [first])
        if isinstance(e, dict) and isinstance(e.get("platform"), str)
    }
    platform = None
    if len(platforms) == 1:
        platform = next(iter(platforms))
    details = first.get("details")
    if details is None and isinstance(errors, list) and first is decoded:
        details = errors
    if details is None and first is not decoded:
        details = errors

    known = ERROR_CODES.get(code) if code is not None else None
    kwargs: dict[str, Any] = {}
    if status < 300:  # an error inside a successful answer: the code decides
        cls = known.error_class if known is not None else AyrshareError
        if known is not None:
            kwargs["retryable"] = known.retryable
    elif by_status is BadRequestError and known is not None and known.error_class is RateLimitError:
        cls = RateLimitError  # a network's own rate limit sent as a 400
    else:
        cls = by_status
    if cls is ServerError:
        kwargs["retry_after"] = parse_retry_after(headers.get("retry-after"))
    if cls is RateLimitError:
        retry_after = parse_retry_after(headers.get("retry-after"))
        if retry_after is None and code == CODE_INSTAGRAM_RATE_LIMIT:
            retry_after = _delay_from_details(first.get("details"))
        kwargs["retry_after"] = retry_after
    return cls(
        message,
        code=code,
        platform=platform,
        details=details,
        **common,
        **kwargs,
    )
