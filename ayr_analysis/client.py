"""HTTP clients for the Ayrshare analytics API (sync and async, on httpx).

They add the auth headers, validate input before any request, pace requests to the per-profile
rate limit, retry transient failures (connection errors, timeouts, 429, 5xx) with backoff, and turn
error answers into the errors of :mod:`ayr_analysis.errors`. Answers come back as
:class:`ApiResponse`: the decoded JSON body (a dict) with metadata.

Without an API key (and ``source`` not ``"live"``) the clients talk to the built-in demo sandbox.

>>> import httpx
>>> def handler(request):
...     return httpx.Response(200, json={"status": "success", "id": "p1", "bluesky": {}})
>>> with AyrshareClient("my-key", transport=httpx.MockTransport(handler)) as client:
...     answer = client.analytics_post("p1", platforms=["bluesky"])
>>> answer["id"], answer.status_code, answer.endpoint
('p1', 200, '/analytics/post')
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import hashlib
import importlib
import inspect
import logging
import random
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from . import __version__
from .config import Secret, Settings, load_settings
from .errors import (
    CODE_INSTAGRAM_RATE_LIMIT,
    ApiConnectionError,
    ApiTimeoutError,
    AyrshareError,
    InvalidResponseError,
    MissingApiKeyError,
    RateLimitError,
    ValidationError,
    error_from_response,
)
from .ratelimit import RateLimiter, RateLimitInfo, shared_limiter

__all__ = [
    "DEMO_BASE_URL",
    "HISTORY_MAX_LIMIT",
    "ApiResponse",
    "AsyncAyrshareClient",
    "AyrshareClient",
    "BulkResult",
    "PostFailure",
    "RateLimitInfo",
]

logger = logging.getLogger("ayr_analysis")

DEMO_BASE_URL = "http://sandbox.invalid/api"
#: response headers never copied into ApiResponse.headers
_HIDDEN_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "profile-key",
        "x-twitter-oauth1-api-key",
        "x-twitter-oauth1-api-secret",
        "set-cookie",
        "cookie",
    }
)
#: backoff: first retry after about BACKOFF_BASE s, doubling, never more than BACKOFF_MAX s
BACKOFF_BASE = 0.5
BACKOFF_MAX = 30.0

_announce_lock = threading.Lock()
_announced = False


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------
class ApiResponse(dict):
    """The decoded JSON body of one answer, with metadata as attributes.

    ``status_code``; ``headers`` (lower-case names, no credentials); ``received_at`` (UTC);
    ``endpoint`` (e.g. ``"/analytics/post"``); ``request_id`` (the post id asked for, if any);
    ``rate_limit`` (what the rate-limit headers said, if any); ``demo`` (True for sandbox data).

    >>> r = ApiResponse({"status": "success"}, status_code=200, endpoint="/history")
    >>> r["status"], r.endpoint, r.demo
    ('success', '/history', False)
    """

    def __init__(
        self,
        body: Mapping[str, Any] | Iterable[tuple[str, Any]] = (),
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        received_at: dt.datetime | None = None,
        endpoint: str = "",
        request_id: str | None = None,
        rate_limit: RateLimitInfo | None = None,
        demo: bool = False,
    ) -> None:
        super().__init__(body)
        self.status_code = status_code
        self.headers: dict[str, str] = {
            k.lower(): v for k, v in (headers or {}).items() if k.lower() not in _HIDDEN_HEADERS
        }
        self.received_at = received_at or dt.datetime.now(dt.UTC)
        self.endpoint = endpoint
        self.request_id = request_id
        self.rate_limit = rate_limit
        self.demo = demo


@dataclass
class PostFailure:
    """One post of a bulk fetch that failed, with the error that says why."""

    post_id: str
    error: AyrshareError


@dataclass(repr=False)
class BulkResult:
    """The outcome of :meth:`AsyncAyrshareClient.fetch_many`: the answers that came back (in the
    order of the ids asked for) and one :class:`PostFailure` per post that failed.

    >>> BulkResult(responses=[ApiResponse({"id": "a"})], failures=[]).summary()
    'fetched 1 of 1 posts'
    """

    responses: list[ApiResponse] = field(default_factory=list)
    failures: list[PostFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no post failed."""
        return not self.failures

    def summary(self) -> str:
        """One line: how many posts were fetched, how many failed and why.

        Failures are grouped by error class, HTTP status and Ayrshare code, most frequent first,
        each with the server's message (shortened) and, for a transient failure, how many times the
        request was sent before giving up.

        >>> from ayr_analysis.errors import NotFoundError
        >>> err = NotFoundError("Post ID not found.", http_status=404, code=186)
        >>> BulkResult([ApiResponse({"id": "a"})], [PostFailure("b", err)]).summary()
        'fetched 1 of 2 posts; 1 failed: 1 NotFoundError 404 code 186 (Post ID not found.)'
        """
        total = len(self.responses) + len(self.failures)
        text = f"fetched {len(self.responses)} of {total} posts"
        if not self.failures:
            return text
        groups: dict[tuple[str, int | None, int | None], list[AyrshareError]] = {}
        for f in self.failures:
            err = f.error
            groups.setdefault((type(err).__name__, err.http_status, err.code), []).append(err)
        parts = []
        for (kind, status, code), errs in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            label = f"{len(errs)} {kind}"
            if status is not None:
                label += f" {status}"
            if code is not None and code != status:
                label += f" code {code}"
            attempts = (
                max(getattr(e, "attempts", 1) for e in errs if e.retryable)
                if errs[0].retryable
                else 1
            )
            if attempts > 1:
                label += f" after {attempts} attempts"
            message = " ".join(str(errs[0].message).split())
            if len(message) > 60:
                message = message[:57] + "..."
            parts.append(f"{label} ({message})")
        return text + f"; {len(self.failures)} failed: " + ", ".join(parts)

    def __repr__(self) -> str:
        return f"BulkResult(responses={len(self.responses)}, failures={len(self.failures)})"


# --------------------------------------------------------------------------------------------
# validation (all of it happens before any request)
# --------------------------------------------------------------------------------------------


def _platform_names() -> tuple[str, ...]:
    from .schema import PLATFORMS

    return PLATFORMS


#: The most post ids one ``fetch_many`` call accepts. At Ayrshare's 300 requests per 5 minutes,
#: 10,000 posts already take close to three hours; for more, use ``track()``, which fetches in
#: batches and writes each batch to a snapshot store as it goes.
MAX_BULK_IDS = 10_000
#: The longest id accepted (Ayrshare ids are 20 characters; network ids such as Bluesky's
#: ``at://`` URIs are under 100).
MAX_ID_LENGTH = 512


def _id_problem(value: Any) -> str | None:
    """What is wrong with an id (None when nothing is)."""
    if not isinstance(value, str):
        return f"must be a string, got {type(value).__name__} {value!r}"
    if not value:
        return "is empty"
    if any(ch.isspace() for ch in value):
        return f"{value!r} contains whitespace"
    if len(value) > MAX_ID_LENGTH:
        return f"is {len(value)} characters long (at most {MAX_ID_LENGTH}): {value[:20]!r}..."
    odd = next((ch for ch in value if not (ch.isascii() and ch.isprintable())), None)
    if odd is not None:
        import unicodedata

        name = unicodedata.name(odd, "a control character")
        return (
            f"{value!r} contains {odd!r} (U+{ord(odd):04X} {name}); ids are plain ASCII "
            "letters, digits and punctuation"
        )
    return None


def _check_id(value: Any, what: str = "post id") -> str:
    problem = _id_problem(value)
    if problem is not None:
        raise ValidationError(f"{what} {problem}")
    return value


def _check_ids(ids: Any, limit: int | None = MAX_BULK_IDS) -> list[str]:
    if isinstance(ids, str | bytes):
        raise ValidationError(
            f"ids must be a list of post ids, not a single string ({ids!r}); "
            f"use analytics_post() for one post or pass [{ids!r}]"
        )
    try:
        items = list(ids)
    except TypeError:
        raise ValidationError(f"ids must be a list of post ids, got {type(ids).__name__}") from None
    if not items:
        raise ValidationError("ids is empty: pass at least one Ayrshare post id")
    if limit is not None and len(items) > limit:
        raise ValidationError(
            f"too many ids: {len(items):,} in one call (at most {limit:,}; at 300 "
            "requests per 5 minutes that many take hours). Split the list, or use track(), "
            "which fetches in batches and stores each batch as it goes"
        )
    bad = []
    for index, value in enumerate(items):
        problem = _id_problem(value)
        if problem is not None:
            bad.append(f"[{index}] {problem}")
    if bad:
        shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise ValidationError(
            f"post ids must be non-empty ASCII strings without whitespace; bad: {shown}"
        )
    return list(dict.fromkeys(items))


def _check_platform(value: Any) -> str:
    from .platforms import UnknownPlatformError, resolve

    try:
        return resolve(value)
    except UnknownPlatformError as exc:
        raise ValidationError(str(exc)) from None


def _check_platforms(platforms: Any, *, required: bool = False) -> list[str] | None:
    if platforms is None:
        if required:
            raise ValidationError(
                f"platforms is required; choose from: {', '.join(_platform_names())}"
            )
        return None
    items = [platforms] if isinstance(platforms, str) else platforms
    try:
        items = list(items)
    except TypeError:
        raise ValidationError(
            f"platforms must be a list of platform names, got {type(platforms).__name__}"
        ) from None
    if not items:
        raise ValidationError(
            "platforms is empty; leave it out (None) for every network, or name at least one of: "
            + ", ".join(_platform_names())
        )
    return list(dict.fromkeys(_check_platform(p) for p in items))


def _check_int(name: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{name} must be an integer, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValidationError(f"{name} must be {bounds}, got {value!r}")
    return value


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be True or False, got {value!r}")
    return value


def _check_text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _check_date(name: str, value: Any) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        try:
            dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            pass
        else:
            return text
    raise ValidationError(
        f"{name} must be an ISO date or date-time (e.g. '2026-08-01' or "
        f"'2026-08-01T12:00:00Z'), a date or a datetime; got {value!r}"
    )


def _rename(
    options: Mapping[str, Any], aliases: Mapping[str, str], allowed: Iterable[str], what: str
):
    allowed = list(allowed)
    out: dict[str, Any] = {}
    for key, value in options.items():
        name = aliases.get(key, key)
        if name not in allowed:
            raise ValidationError(f"unknown {what} {key!r}; allowed: {', '.join(allowed)}")
        if value is not None:
            out[name] = value
    return out


def _check_social_options(options: Mapping[str, Any]) -> dict[str, Any]:
    opts = _rename(
        options,
        {"period_60_days": "period60Days", "period60days": "period60Days"},
        ("quarters", "daily", "period60Days"),
        "option",
    )
    if "quarters" in opts:
        _check_int("quarters", opts["quarters"], 1, 4)
    for name in ("daily", "period60Days"):
        if name in opts:
            _check_bool(name, opts[name])
    return opts


#: The largest ``limit`` of ``GET /history`` the client sends: Ayrshare's docs give 1000 today
#: (500 in older versions, which is why :func:`ayr_analysis.history` asks for pages of 500).
HISTORY_MAX_LIMIT = 1000


def _check_history_filters(filters: Mapping[str, Any]) -> dict[str, str]:
    opts = _rename(
        filters,
        {"last_days": "lastDays", "start_date": "startDate", "end_date": "endDate"},
        ("lastDays", "limit", "status", "type", "platforms", "startDate", "endDate"),
        "history filter",
    )
    params: dict[str, str] = {}
    if "lastDays" in opts:
        params["lastDays"] = str(_check_int("lastDays", opts["lastDays"], 0))
    if "limit" in opts:
        params["limit"] = str(_check_int("limit", opts["limit"], 1, HISTORY_MAX_LIMIT))
    for name in ("status", "type"):
        if name in opts:
            params[name] = _check_text(name, opts[name])
    if "platforms" in opts:
        for i, name in enumerate(_check_platforms(opts["platforms"]) or []):
            params[f"platforms[{i}]"] = name
    for name in ("startDate", "endDate"):
        if name in opts:
            params[name] = _check_date(name, opts[name])
    if "startDate" in params and "endDate" in params:
        start = _parse_loose(params["startDate"])
        end = _parse_loose(params["endDate"])
        if start > end:
            raise ValidationError(
                f"startDate {params['startDate']!r} is after endDate {params['endDate']!r}"
            )
    return params


def _parse_loose(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _check_history_platform_filters(filters: Mapping[str, Any]) -> dict[str, str]:
    opts = _rename(filters, {}, ("limit", "next"), "history filter")
    params: dict[str, str] = {}
    if "limit" in opts:
        params["limit"] = str(_check_int("limit", opts["limit"], 1))
    if "next" in opts:
        params["next"] = _check_text("next", opts["next"])
    return params


def _check_concurrency(value: Any) -> int:
    return _check_int("concurrency", value, 1, 256)


# --------------------------------------------------------------------------------------------
# clocks, demo mode, small helpers
# --------------------------------------------------------------------------------------------
def _to_seconds(value: Any) -> float:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return float(value)


def _seconds_clock(clock: Any) -> Callable[[], float]:
    """A callable giving seconds from a user clock: a callable giving seconds or datetimes, or an
    object with a ``now()`` method (such as the sandbox's VirtualClock). The same clock gives the
    same callable, so clients on one clock share their rate limiter."""
    try:
        return _seconds_clock_cached(clock)
    except TypeError:  # an unhashable clock
        return _make_seconds_clock(clock)


@functools.lru_cache(maxsize=64)
def _seconds_clock_cached(clock: Any) -> Callable[[], float]:
    return _make_seconds_clock(clock)


def _make_seconds_clock(clock: Any) -> Callable[[], float]:
    if callable(clock):
        return lambda: _to_seconds(clock())
    now = getattr(clock, "now", None)
    if callable(now):
        return lambda: _to_seconds(now())
    raise ValidationError(f"clock must be callable or have a now() method, got {clock!r}")


def _wall_clock(clock: Any) -> Callable[[], dt.datetime]:
    """When the user clock gives datetimes, received_at follows it; otherwise real UTC time."""
    if clock is not None:
        source = clock if callable(clock) else getattr(clock, "now", None)
        try:
            probe = source() if callable(source) else None
        except Exception:  # pragma: no cover - a clock that cannot be probed
            probe = None
        if isinstance(probe, dt.datetime):

            def wall() -> dt.datetime:
                value = source()
                if value.tzinfo is None:
                    return value.replace(tzinfo=dt.UTC)
                return value.astimezone(dt.UTC)

            return wall
    return lambda: dt.datetime.now(dt.UTC)


def _announce_demo(forced: bool) -> None:
    global _announced
    with _announce_lock:
        if _announced:
            return
        _announced = True
    why = "source='demo'" if forced else "no Ayrshare API key configured"
    text = (
        f"ayr-analysis: {why}, using the built-in demo sandbox. All numbers are DEMO data, "
        "not real analytics. Set AYRSHARE_API_KEY (environment or .env) for live data."
    )
    if not _show_in_notebook(text):
        print(text, file=sys.stderr)
    logger.info(text)


def _show_in_notebook(text: str) -> bool:
    """In a Jupyter kernel, show the demo notice as a labelled banner (not as an error on
    stderr); return False elsewhere."""
    if not _in_notebook():
        return False
    try:
        from html import escape

        from IPython.display import HTML, display

        display(
            HTML(
                '<div style="border-left:4px solid #b45309;background:#fef3c7;color:#78350f;'
                f'padding:6px 10px;margin:4px 0;font-family:sans-serif">{escape(text)}</div>'
            )
        )
    except Exception:  # pragma: no cover - any display trouble: fall back to stderr
        return False
    return True


def _missing_key_error() -> MissingApiKeyError:
    return MissingApiKeyError(
        "source='live' needs an Ayrshare API key, but none is set. Set AYRSHARE_API_KEY in the "
        "environment or in a .env file in the working directory (see .env.example), or pass "
        "api_key=...; to use the demo sandbox instead, pass source='demo' or leave the key "
        "unset with source='auto'."
    )


def _identity(api_key: Secret, profile_key: Secret | None) -> str:
    """A digest naming the quota bucket (account + profile) without holding the keys."""
    raw = (
        api_key.get_secret_value()
        + "\x00"
        + (profile_key.get_secret_value() if profile_key else "")
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _has_platform_results(body: Mapping[str, Any]) -> bool:
    names = _platform_names()
    if any(key in names for key in body):
        return True
    errors = body.get("errors")
    return isinstance(errors, list) and any(
        isinstance(e, dict) and e.get("platform") in names for e in errors
    )


def _in_notebook() -> bool:
    if "ipykernel" not in sys.modules or "IPython" not in sys.modules:
        return False
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except Exception:  # pragma: no cover
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _show_progress(progress: bool | None) -> bool:
    if progress is not None:
        return bool(progress)
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty or _in_notebook()


@dataclass(frozen=True)
class _Call:
    method: str
    path: str
    params: dict[str, str] | None = None
    json: dict[str, Any] | None = None
    post_id: str | None = None

    @property
    def endpoint(self) -> str:
        return self.path


# --------------------------------------------------------------------------------------------
# the shared core
# --------------------------------------------------------------------------------------------
class _ClientCore:
    _async = False

    def __init__(
        self,
        api_key: str | Secret | None = None,
        *,
        profile_key: str | Secret | None = None,
        base_url: str | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        settings: Settings | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        rate_limit: int | None = None,
        rate_window: float | None = None,
        x_api_key: str | Secret | None = None,
        x_api_secret: str | Secret | None = None,
        source: str | None = None,
        clock: Any = None,
        sleep: Callable[[float], Any] | None = None,
        max_retry_time: float | None = None,
    ) -> None:
        overrides = {
            "api_key": api_key,
            "profile_key": profile_key,
            "base_url": base_url,
            "timeout": timeout,
            "max_retries": max_retries,
            "rate_limit": rate_limit,
            "rate_window": rate_window,
            "x_api_key": x_api_key,
            "x_api_secret": x_api_secret,
            "source": source,
        }
        given = {k: v for k, v in overrides.items() if v is not None}
        if settings is None:
            settings = load_settings(**given)
        elif given:
            settings = dataclasses.replace(settings, **given)
        self.settings = settings
        if settings.source == "live" and settings.api_key is None:
            raise _missing_key_error()

        self._demo = settings.is_demo
        if self._demo:
            try:
                sandbox = importlib.import_module(f"{__package__}.sandbox")
            except ImportError as exc:
                raise MissingApiKeyError(
                    "no Ayrshare API key is set and the demo sandbox is not available in this "
                    "installation; set AYRSHARE_API_KEY (environment or .env)"
                ) from exc
            self._api_key = Secret(sandbox.DEMO_API_KEY)
            self._base_url = DEMO_BASE_URL
            if transport is None:
                transport = sandbox.default_transport()
                # pace to the limits of the sandbox we talk to
                server_limits = getattr(getattr(transport, "app", None), "rate_limiter", None)
                if server_limits is not None:
                    settings = dataclasses.replace(
                        settings,
                        rate_limit=server_limits.max_requests,
                        rate_window=server_limits.window_s / server_limits.time_scale,
                    )
            if settings.x_api_key is None and settings.x_api_secret is None:
                settings = dataclasses.replace(
                    settings,
                    x_api_key=Secret(sandbox.DEMO_X_API_KEY),
                    x_api_secret=Secret(sandbox.DEMO_X_API_SECRET),
                )
            self.settings = settings
            _announce_demo(forced=settings.source == "demo")
        else:
            assert settings.api_key is not None
            self._api_key = settings.api_key
            self._base_url = settings.base_url
        self._transport = transport

        self._clock_arg = clock
        self._sleep_arg = sleep
        self._now = _seconds_clock(clock) if clock is not None else time.monotonic
        self._wall_now = _wall_clock(clock)
        self._max_retry_time = (
            float(max_retry_time)
            if max_retry_time is not None
            else max(600.0, 2.0 * settings.rate_window)
        )
        if self._max_retry_time < 0:
            raise ValidationError(f"max_retry_time must be >= 0, got {max_retry_time!r}")
        self._random = random.Random()
        clock_key: Any = clock
        try:
            hash(clock)
        except TypeError:
            clock_key = id(clock)
        self._limiter: RateLimiter = shared_limiter(
            (self._base_url, _identity(self._api_key, settings.profile_key), clock_key),
            limit=settings.rate_limit,
            window=settings.rate_window,
            clock=self._now if clock is not None else None,
        )
        self._secrets = [
            s.get_secret_value()
            for s in (
                settings.api_key,
                settings.profile_key,
                settings.x_api_key,
                settings.x_api_secret,
            )
            if s is not None and len(s.get_secret_value()) >= 4
        ]

    # -- public bits shared by both clients ------------------------------------------------------
    @property
    def is_demo(self) -> bool:
        """True when this client talks to the built-in demo sandbox."""
        return self._demo

    @property
    def base_url(self) -> str:
        """The API base URL requests go to."""
        return self._base_url

    @property
    def rate_limiter(self) -> RateLimiter:
        """The limiter pacing this client (shared by clients of the same profile)."""
        return self._limiter

    def __repr__(self) -> str:
        profile = "'**********'" if self.settings.profile_key else "None (primary)"
        return (
            f"{type(self).__name__}(base_url={self._base_url!r}, profile_key={profile}, "
            f"demo={self._demo})"
        )

    # -- requests --------------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self._api_key.get_secret_value()}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"ayr-analysis/{__version__}",
        }
        s = self.settings
        if s.profile_key is not None:
            headers["Profile-Key"] = s.profile_key.get_secret_value()
        if s.x_api_key is not None:
            headers["X-Twitter-OAuth1-Api-Key"] = s.x_api_key.get_secret_value()
        if s.x_api_secret is not None:
            headers["X-Twitter-OAuth1-Api-Secret"] = s.x_api_secret.get_secret_value()
        return headers

    def _scrub_text(self, text: Any) -> Any:
        if isinstance(text, str):
            for secret in self._secrets:
                text = text.replace(secret, "**********")
            return text
        if isinstance(text, list):
            return [self._scrub_text(v) for v in text]
        if isinstance(text, dict):
            return {k: self._scrub_text(v) for k, v in text.items()}
        return text

    def _scrub(self, err: AyrshareError) -> AyrshareError:
        if self._secrets:
            err.message = self._scrub_text(err.message)
            err.args = (err.message,)
            err.details = self._scrub_text(err.details)
            err.hint = self._scrub_text(err.hint)
        return err

    def _transport_error(self, exc: Exception, call: _Call) -> AyrshareError:
        common = {"endpoint": call.endpoint, "post_id": call.post_id}
        detail = self._scrub_text(str(exc)) or type(exc).__name__
        if isinstance(exc, httpx.TimeoutException):
            return ApiTimeoutError(
                f"no answer within {self.settings.timeout:g} s ({detail})", **common
            )
        if isinstance(exc, httpx.DecodingError):
            return InvalidResponseError(f"the answer could not be decoded ({detail})", **common)
        return ApiConnectionError(
            f"could not reach {self._base_url} ({type(exc).__name__}: {detail})", **common
        )

    def _handle(self, response: httpx.Response, call: _Call) -> ApiResponse:
        received_at = self._wall_now()
        headers = {
            k.lower(): v for k, v in response.headers.items() if k.lower() not in _HIDDEN_HEADERS
        }
        info = RateLimitInfo.from_headers(headers, wall_time=received_at.timestamp())
        self._limiter.observe(info)
        status = response.status_code
        if not 200 <= status < 300:
            err = error_from_response(
                status, response.content, call.endpoint, call.post_id, headers=headers
            )
            if isinstance(err, RateLimitError) and err.code != CODE_INSTAGRAM_RATE_LIMIT:
                if err.retry_after is None:
                    # no hint from Ayrshare: wait for its window to roll over
                    if info is not None and info.reset_after is not None:
                        err.retry_after = info.reset_after
                    else:
                        err.retry_after = self._limiter.window
                # every request on this profile waits, not just this one
                self._limiter.block_for(err.retry_after)
            raise self._scrub(err)
        try:
            body = response.json()
        except ValueError:
            raise self._scrub(
                error_from_response(status, response.content, call.endpoint, call.post_id)
            ) from None
        if isinstance(body, list) and call.path == "/history":
            body = {"history": body}  # very old accounts get a bare array
        if not isinstance(body, dict):
            raise InvalidResponseError(
                f"the server answered with a JSON {type(body).__name__} where an object was "
                "expected",
                http_status=status,
                endpoint=call.endpoint,
                post_id=call.post_id,
            )
        if body.get("status") == "error" and not _has_platform_results(body):
            raise self._scrub(error_from_response(status, body, call.endpoint, call.post_id))
        return ApiResponse(
            body,
            status_code=status,
            headers=headers,
            received_at=received_at,
            endpoint=call.endpoint,
            request_id=call.post_id,
            rate_limit=info,
            demo=self._demo,
        )

    # -- retries ---------------------------------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        ceiling = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (attempt - 1))
        return ceiling / 2 + self._random.uniform(0, ceiling / 2)  # "equal jitter"

    def _retry_policy(self, call: _Call, paced: list[float]) -> dict[str, Any]:
        """tenacity arguments for one request; ``paced`` accumulates the rate limiter's waits,
        which do not count against ``max_retry_time``."""
        from tenacity import retry_if_exception

        start = self._now()
        attempts = self.settings.max_retries + 1

        def wait(state: Any) -> float:
            exc = state.outcome.exception()
            hint = getattr(exc, "retry_after", None)
            if hint is not None:
                return float(hint)
            return self._backoff(state.attempt_number)

        def stop(state: Any) -> bool:
            if state.attempt_number >= attempts:
                return True
            spent = self._now() - start - paced[0]
            return spent + state.upcoming_sleep > self._max_retry_time

        def before_sleep(state: Any) -> None:
            exc = state.outcome.exception()
            logger.info(
                "retrying %s %s%s in %.1f s (attempt %d of %d) after: %s",
                call.method,
                call.endpoint,
                f" for post {call.post_id!r}" if call.post_id else "",
                state.upcoming_sleep,
                state.attempt_number + 1,
                attempts,
                exc,
            )

        return {
            "retry": retry_if_exception(lambda e: isinstance(e, AyrshareError) and e.retryable),
            "wait": wait,
            "stop": stop,
            "before_sleep": before_sleep,
            "reraise": True,
        }

    # -- calls -----------------------------------------------------------------------------------
    def _analytics_post_call(self, id: Any, platforms: Any) -> _Call:
        post_id = _check_id(id)
        names = _check_platforms(platforms)
        return self._post_call(post_id, names)

    @staticmethod
    def _post_call(post_id: str, names: list[str] | None) -> _Call:
        body: dict[str, Any] = {"id": post_id}
        if names is not None:
            body["platforms"] = names
        return _Call("POST", "/analytics/post", json=body, post_id=post_id)

    def _social_id_call(self, social_id: Any, platform: Any) -> _Call:
        sid = _check_id(social_id, "social id")
        if isinstance(platform, str):
            names = [_check_platform(platform)]
        else:
            names = _check_platforms(platform, required=True) or []
            if len(names) != 1:
                raise ValidationError(
                    f"a lookup by social id needs exactly one platform, got {len(names)}: {names!r}"
                )
        return _Call(
            "POST",
            "/analytics/post",
            json={"id": sid, "platforms": names, "searchPlatformId": True},
            post_id=sid,
        )

    def _social_call(self, platforms: Any, options: Mapping[str, Any]) -> _Call:
        names = _check_platforms(platforms, required=True)
        body: dict[str, Any] = {"platforms": names, **_check_social_options(options)}
        return _Call("POST", "/analytics/social", json=body)

    def _history_call(self, filters: Mapping[str, Any]) -> _Call:
        return _Call("GET", "/history", params=_check_history_filters(filters))

    def _history_platform_call(self, platform: Any, filters: Mapping[str, Any]) -> _Call:
        name = _check_platform(platform)
        return _Call("GET", f"/history/{name}", params=_check_history_platform_filters(filters))

    def _client_kwargs(self) -> dict[str, Any]:
        return {
            "base_url": self._base_url,
            "transport": self._transport,
            "timeout": self.settings.timeout,
            "follow_redirects": False,
        }


def _failure(post_id: str, exc: BaseException) -> PostFailure:
    if isinstance(exc, AyrshareError):
        return PostFailure(post_id, exc)
    err = AyrshareError(
        f"unexpected {type(exc).__name__}: {exc}", endpoint="/analytics/post", post_id=post_id
    )
    err.__cause__ = exc
    return PostFailure(post_id, err)


# --------------------------------------------------------------------------------------------
# sync client
# --------------------------------------------------------------------------------------------
class AyrshareClient(_ClientCore):
    """Synchronous client. Use it as a context manager, or call :meth:`close`.

    Arguments override the settings (``settings`` or, when not given, :func:`load_settings`).
    ``transport`` plugs in any httpx transport (tests, the sandbox); ``clock`` (seconds, or
    datetimes) and ``sleep`` drive the retries and the rate limiter; ``max_retry_time`` bounds the
    total time spent retrying one request (default: 10 minutes, or two rate windows).

    >>> import httpx
    >>> seen = []
    >>> def handler(request):
    ...     seen.append(request.headers["Authorization"])
    ...     return httpx.Response(200, json={"history": []})
    >>> client = AyrshareClient("k-1", transport=httpx.MockTransport(handler))
    >>> client.history(lastDays=7)["history"], seen
    ([], ['Bearer k-1'])
    >>> client.close()
    """

    def __init__(self, api_key: str | Secret | None = None, **kwargs: Any) -> None:
        super().__init__(api_key, **kwargs)
        self._sleep = self._sleep_arg or time.sleep
        self._http = httpx.Client(**self._client_kwargs())

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> AyrshareClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _attempt(self, call: _Call, paced: list[float]) -> ApiResponse:
        waited, stamp = self._limiter.acquire_slot(self._sleep)
        paced[0] += waited
        try:
            response = self._http.request(
                call.method, call.path, params=call.params, json=call.json, headers=self._headers()
            )
        except httpx.RequestError as exc:
            raise self._transport_error(exc, call) from exc
        finally:
            # the server counted the request somewhere between the slot and now
            self._limiter.complete(stamp)
        return self._handle(response, call)

    def _send(self, call: _Call) -> ApiResponse:
        from tenacity import Retrying

        paced = [0.0]
        retrying = Retrying(sleep=self._sleep, **self._retry_policy(call, paced))
        try:
            return retrying(self._attempt, call, paced)
        except AyrshareError as exc:
            exc.attempts = retrying.statistics.get("attempt_number", 1)
            raise

    def analytics_post(self, id: str, platforms: Iterable[str] | str | None = None) -> ApiResponse:
        """Post-level analytics for one Ayrshare post id (``POST /analytics/post``).

        ``platforms`` narrows the answer; ``None`` gives every network the post went to. A network
        that failed stays in the answer as its error object (see the normaliser).

        >>> import httpx
        >>> t = httpx.MockTransport(lambda r: httpx.Response(200, json={"id": "p1", "x": 1}))
        >>> AyrshareClient("k", transport=t).analytics_post("p1")["id"]
        'p1'
        """
        return self._send(self._analytics_post_call(id, platforms))

    def analytics_by_social_id(self, social_id: str, platform: str) -> ApiResponse:
        """Analytics for a post by the network's own id (``searchPlatformId``); one platform.

        >>> import httpx
        >>> t = httpx.MockTransport(lambda r: httpx.Response(200, content=r.content))
        >>> AyrshareClient("k", transport=t).analytics_by_social_id("17890", "instagram")
        {'id': '17890', 'platforms': ['instagram'], 'searchPlatformId': True}
        """
        return self._send(self._social_id_call(social_id, platform))

    def analytics_social(self, platforms: Iterable[str] | str, **options: Any) -> ApiResponse:
        """Account-level analytics (``POST /analytics/social``); options ``quarters`` (1-4),
        ``daily`` and ``period60Days`` (booleans).

        >>> import httpx
        >>> t = httpx.MockTransport(lambda r: httpx.Response(200, content=r.content))
        >>> AyrshareClient("k", transport=t).analytics_social(["tiktok"], daily=True)
        {'platforms': ['tiktok'], 'daily': True}
        """
        return self._send(self._social_call(platforms, options))

    def history(self, **filters: Any) -> ApiResponse:
        """Posts sent through Ayrshare (``GET /history``): one request, the newest ``limit``
        posts (the API's default 25, at most :data:`HISTORY_MAX_LIMIT`) of the window; to get
        every post of a window use :func:`ayr_analysis.history`. Filters: ``lastDays``,
        ``limit``, ``status``, ``type``, ``platforms``, ``startDate``/``endDate`` (ISO text, date
        or datetime; both inclusive, and the API reads a bare ``endDate`` as its whole day).
        A legacy bare-array answer comes back as ``{"history": [...]}``.

        >>> import httpx
        >>> t = httpx.MockTransport(lambda r: httpx.Response(200, json=dict(r.url.params)))
        >>> AyrshareClient("k", transport=t).history(lastDays=7, platforms=["twitter"])
        {'lastDays': '7', 'platforms[0]': 'twitter'}
        """
        return self._send(self._history_call(filters))

    def history_platform(self, platform: str, **filters: Any) -> ApiResponse:
        """Posts on one network, also those not sent through Ayrshare (``GET /history/{platform}``).
        Filters: ``limit``, ``next`` (the cursor of the previous page).

        >>> import httpx
        >>> t = httpx.MockTransport(lambda r: httpx.Response(200, json={"path": r.url.path}))
        >>> AyrshareClient("k", transport=t).history_platform("bluesky", limit=5)["path"]
        '/api/history/bluesky'
        """
        return self._send(self._history_platform_call(platform, filters))

    def fetch_many(
        self,
        ids: Iterable[str],
        platforms: Iterable[str] | str | None = None,
        *,
        concurrency: int = 8,
        progress: bool | None = None,
    ) -> BulkResult:
        """Analytics for many posts, ``concurrency`` at a time; see
        :meth:`AsyncAyrshareClient.fetch_many`. Works in scripts and inside a running event loop
        (Jupyter), where it runs in a worker thread.

        >>> import httpx
        >>> t = httpx.MockTransport(lambda r: httpx.Response(200, json={"status": "success"}))
        >>> AyrshareClient("k", transport=t).fetch_many(["a", "b", "a"], progress=False).summary()
        'fetched 2 of 2 posts'
        """
        post_ids = _check_ids(ids)
        names = _check_platforms(platforms)
        limit = _check_concurrency(concurrency)
        transport = self._transport
        if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
            return self._fetch_sequential(post_ids, names, progress)

        async def run() -> BulkResult:
            async with AsyncAyrshareClient(
                settings=self.settings,
                transport=transport,
                clock=self._clock_arg,
                sleep=self._sleep_arg,
                max_retry_time=self._max_retry_time,
            ) as client:
                return await client._bulk(post_ids, names, limit, progress)

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(run())
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ayr-fetch") as pool:
            return pool.submit(asyncio.run, run()).result()

    def _fetch_sequential(
        self, post_ids: list[str], names: list[str] | None, progress: bool | None
    ) -> BulkResult:
        bar = _progress_bar(len(post_ids), progress)
        result = BulkResult()
        try:
            for pid in post_ids:
                try:
                    result.responses.append(self._send(self._post_call(pid, names)))
                except Exception as exc:
                    result.failures.append(_failure(pid, exc))
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        return result


def _progress_bar(total: int, progress: bool | None) -> Any:
    if not _show_progress(progress):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="post analytics", unit="post", file=sys.stderr)


# --------------------------------------------------------------------------------------------
# async client
# --------------------------------------------------------------------------------------------
class AsyncAyrshareClient(_ClientCore):
    """Asynchronous client, same arguments and methods as :class:`AyrshareClient` (awaitable).
    ``sleep`` may be a coroutine function or a plain one. Use ``async with`` or ``await
    client.close()``.

    >>> import asyncio, httpx
    >>> async def main():
    ...     t = httpx.MockTransport(lambda r: httpx.Response(200, json={"status": "success"}))
    ...     async with AsyncAyrshareClient("k", transport=t) as client:
    ...         return (await client.fetch_many(["a", "b"], progress=False)).summary()
    >>> asyncio.run(main())
    'fetched 2 of 2 posts'
    """

    _async = True

    def __init__(self, api_key: str | Secret | None = None, **kwargs: Any) -> None:
        super().__init__(api_key, **kwargs)
        self._http = httpx.AsyncClient(**self._client_kwargs())

    async def _sleep(self, seconds: float) -> None:
        if self._sleep_arg is None:
            await asyncio.sleep(seconds)
            return
        result = self._sleep_arg(seconds)
        if inspect.isawaitable(result):
            await result

    async def close(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    aclose = close

    async def __aenter__(self) -> AsyncAyrshareClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _attempt(self, call: _Call, paced: list[float]) -> ApiResponse:
        waited, stamp = await self._limiter.acquire_slot_async(self._sleep)
        paced[0] += waited
        try:
            response = await self._http.request(
                call.method, call.path, params=call.params, json=call.json, headers=self._headers()
            )
        except httpx.RequestError as exc:
            raise self._transport_error(exc, call) from exc
        finally:
            # the server counted the request somewhere between the slot and now
            self._limiter.complete(stamp)
        return self._handle(response, call)

    async def _send(self, call: _Call) -> ApiResponse:
        from tenacity import AsyncRetrying

        paced = [0.0]
        retrying = AsyncRetrying(sleep=self._sleep, **self._retry_policy(call, paced))
        try:
            return await retrying(self._attempt, call, paced)
        except AyrshareError as exc:
            exc.attempts = retrying.statistics.get("attempt_number", 1)
            raise

    async def analytics_post(
        self, id: str, platforms: Iterable[str] | str | None = None
    ) -> ApiResponse:
        """Async :meth:`AyrshareClient.analytics_post`."""
        return await self._send(self._analytics_post_call(id, platforms))

    async def analytics_by_social_id(self, social_id: str, platform: str) -> ApiResponse:
        """Async :meth:`AyrshareClient.analytics_by_social_id`."""
        return await self._send(self._social_id_call(social_id, platform))

    async def analytics_social(self, platforms: Iterable[str] | str, **options: Any) -> ApiResponse:
        """Async :meth:`AyrshareClient.analytics_social`."""
        return await self._send(self._social_call(platforms, options))

    async def history(self, **filters: Any) -> ApiResponse:
        """Async :meth:`AyrshareClient.history`."""
        return await self._send(self._history_call(filters))

    async def history_platform(self, platform: str, **filters: Any) -> ApiResponse:
        """Async :meth:`AyrshareClient.history_platform`."""
        return await self._send(self._history_platform_call(platform, filters))

    async def fetch_many(
        self,
        ids: Iterable[str],
        platforms: Iterable[str] | str | None = None,
        *,
        concurrency: int = 8,
        progress: bool | None = None,
    ) -> BulkResult:
        """Analytics for many Ayrshare post ids, at most ``concurrency`` requests at a time, paced
        to the rate limit. Duplicate ids are asked for once. A post that fails becomes a
        :class:`PostFailure`; the batch never raises for it. ``progress``: ``None`` shows a bar
        only on a terminal or in a notebook, ``True`` always, ``False`` never.

        >>> import asyncio, httpx
        >>> def handler(request):
        ...     status = 404 if b'"bad"' in request.content else 200
        ...     return httpx.Response(status, json={"status": "error" if status == 404 else "ok"})
        >>> async def main():
        ...     async with AsyncAyrshareClient("k", transport=httpx.MockTransport(handler)) as c:
        ...         return await c.fetch_many(["a", "bad", "c"], progress=False)
        >>> result = asyncio.run(main())
        >>> [r.request_id for r in result.responses], [f.post_id for f in result.failures]
        (['a', 'c'], ['bad'])
        """
        post_ids = _check_ids(ids)
        names = _check_platforms(platforms)
        limit = _check_concurrency(concurrency)
        return await self._bulk(post_ids, names, limit, progress)

    async def _bulk(
        self,
        post_ids: list[str],
        names: list[str] | None,
        concurrency: int,
        progress: bool | None,
    ) -> BulkResult:
        semaphore = asyncio.Semaphore(concurrency)
        answers: list[ApiResponse | None] = [None] * len(post_ids)
        failures: dict[int, PostFailure] = {}
        bar = _progress_bar(len(post_ids), progress)

        async def one(index: int, pid: str) -> None:
            async with semaphore:
                try:
                    answers[index] = await self._send(self._post_call(pid, names))
                except Exception as exc:
                    failures[index] = _failure(pid, exc)
                if bar is not None:
                    bar.update(1)
                    if failures:
                        bar.set_postfix(failed=len(failures), refresh=False)

        try:
            await asyncio.gather(*(one(i, pid) for i, pid in enumerate(post_ids)))
        finally:
            if bar is not None:
                bar.close()
        return BulkResult(
            responses=[a for a in answers if a is not None],
            failures=[failures[i] for i in sorted(failures)],
        )
