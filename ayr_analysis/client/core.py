"""The transport core shared by the sync and async clients: settings and demo mode, auth headers,
pacing to the rate limit, retries with backoff, and turning answers into :class:`ApiResponse` or
the errors of :mod:`ayr_analysis.errors`.

The life of one request is written once, as a generator (:meth:`ClientCore._exchange`) that
yields the I/O it needs (:class:`Pace`: wait for a rate-limit slot; :class:`Send`: send the
request; :class:`Sleep`: wait before a retry) and gets the outcome back. Each face performs those
steps its own way (blocking, or awaiting) and shares everything else:

>>> import httpx
>>> from ayr_analysis.client import calls
>>> core = ClientCore("k", transport=httpx.MockTransport(lambda r: httpx.Response(200)))
>>> steps = core._exchange(calls.history({}))
>>> next(steps)
Pace()
>>> send = steps.send((0.0, 0.0))
>>> send.call.path, send.headers["Authorization"]
('/history', 'Bearer k')
>>> try:
...     steps.send(httpx.Response(200, json={"history": []}))
... except StopIteration as done:
...     answer = done.value
>>> answer, answer.status_code
({'history': []}, 200)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import importlib
import logging
import random
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .. import __version__
from ..config import Secret, Settings, load_settings
from ..errors import (
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
from ..ratelimit import RateLimiter, RateLimitInfo, shared_limiter
from .calls import Call
from .display import announce_demo
from .results import HIDDEN_HEADERS, ApiResponse
from .validation import platform_names

__all__ = ["BACKOFF_BASE", "BACKOFF_MAX", "DEMO_BASE_URL", "ClientCore", "Pace", "Send", "Sleep"]

logger = logging.getLogger("ayr_analysis")

#: The base URL of requests to the demo sandbox (served in process; nothing listens there).
DEMO_BASE_URL = "http://sandbox.invalid/api"
#: backoff: first retry after about BACKOFF_BASE s, doubling, never more than BACKOFF_MAX s
BACKOFF_BASE = 0.5
BACKOFF_MAX = 30.0


# --------------------------------------------------------------------------------------------
# the I/O steps of one exchange
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pace:
    """Wait for a slot of the rate limiter; the face replies with ``(seconds waited, stamp)``."""


@dataclass(frozen=True)
class Send:
    """Send ``call`` with ``headers``; the face replies with the :class:`httpx.Response` (or throws
    the :class:`httpx.RequestError` it got)."""

    call: Call
    headers: dict[str, str] = dataclasses.field(repr=False)


@dataclass(frozen=True)
class Sleep:
    """Wait ``seconds`` before the next attempt; the face replies with None."""

    seconds: float


_PACE = Pace()
Step = Pace | Send | Sleep


# --------------------------------------------------------------------------------------------
# clocks and small helpers
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
        found = clock if callable(clock) else getattr(clock, "now", None)
        if not callable(found):
            return lambda: dt.datetime.now(dt.UTC)
        source: Callable[[], Any] = found
        try:
            probe = source()
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
    names = platform_names()
    if any(key in names for key in body):
        return True
    errors = body.get("errors")
    return isinstance(errors, list) and any(
        isinstance(e, dict) and e.get("platform") in names for e in errors
    )


def _check_demo(demo: Any) -> Any:
    if not callable(getattr(demo, "transport", None)):
        raise ValidationError(
            "demo must be an ayr_analysis.sandbox.Demo (or an object with transport(), "
            f"rate_limit and rate_window), got {type(demo).__name__}"
        )
    return demo


# --------------------------------------------------------------------------------------------
# the shared core
# --------------------------------------------------------------------------------------------
class ClientCore:
    """Everything the sync and async clients share; they add only the I/O (see the module)."""

    def __init__(
        self,
        api_key: str | Secret | None = None,
        *,
        profile_key: str | Secret | None = None,
        base_url: str | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        demo: Any = None,
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
        if demo is not None:
            _check_demo(demo)
            if transport is not None:
                raise ValidationError(
                    "pass demo= or transport=, not both: a demo brings its own transport"
                )
            if source is not None and source != "demo":
                raise ValidationError(
                    f"demo= runs on the demo sandbox; it cannot be source={source!r}"
                )
            source = "demo"
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
        given: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
        if settings is None:
            settings = load_settings(**given)
        elif given:
            settings = dataclasses.replace(settings, **given)
        self.settings = settings
        if settings.source == "live" and settings.api_key is None:
            raise _missing_key_error()

        self._is_demo = settings.is_demo
        self._demo: Any = None
        if self._is_demo:
            try:
                sandbox = importlib.import_module("..sandbox", __package__)
            except ImportError as exc:
                raise MissingApiKeyError(
                    "no Ayrshare API key is set and the demo sandbox is not available in this "
                    "installation; set AYRSHARE_API_KEY (environment or .env)"
                ) from exc
            self._api_key = Secret(sandbox.DEMO_API_KEY)
            self._base_url = DEMO_BASE_URL
            if transport is None:
                self._demo = demo if demo is not None else sandbox.Demo.default()
                transport = self._demo.transport()
                # pace to the limits of the sandbox we talk to, unless told otherwise
                settings = dataclasses.replace(
                    settings,
                    rate_limit=self._demo.rate_limit if rate_limit is None else rate_limit,
                    rate_window=self._demo.rate_window if rate_window is None else rate_window,
                )
            elif isinstance(transport, sandbox.SandboxTransport):
                self._demo = sandbox.Demo.serving(transport)
            if settings.x_api_key is None and settings.x_api_secret is None:
                settings = dataclasses.replace(
                    settings,
                    x_api_key=Secret(sandbox.DEMO_X_API_KEY),
                    x_api_secret=Secret(sandbox.DEMO_X_API_SECRET),
                )
            self.settings = settings
            announce_demo(forced=settings.source == "demo")
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
        return self._is_demo

    @property
    def demo(self) -> Any:
        """The :class:`~ayr_analysis.sandbox.Demo` this client runs on (its world, its clock, its
        limits), or None for live data (and for a demo-mode client on a stand-in transport).
        Ask it for demo time: ``client.demo.clock.now()``."""
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
            f"demo={self._is_demo})"
        )

    def _sibling_kwargs(self) -> dict[str, Any]:
        """Arguments that make a client of the other face (sync or async) on the same settings,
        demo or transport, clock and limits."""
        out: dict[str, Any] = {
            "settings": self.settings,
            "clock": self._clock_arg,
            "sleep": self._sleep_arg,
            "max_retry_time": self._max_retry_time,
            "rate_limit": self.settings.rate_limit,
            "rate_window": self.settings.rate_window,
        }
        if self._demo is not None:
            out["demo"] = self._demo
        else:
            out["transport"] = self._transport
        return out

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

    def _client_kwargs(self) -> dict[str, Any]:
        return {
            "base_url": self._base_url,
            "transport": self._transport,
            "timeout": self.settings.timeout,
            "follow_redirects": False,
        }

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

    def _transport_error(self, exc: Exception, call: Call) -> AyrshareError:
        common: dict[str, Any] = {"endpoint": call.endpoint, "post_id": call.post_id}
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

    def _handle(self, response: httpx.Response, call: Call) -> ApiResponse:
        """The answer as an :class:`ApiResponse`, or the error it means (raised)."""
        received_at = self._wall_now()
        headers = {
            k.lower(): v for k, v in response.headers.items() if k.lower() not in HIDDEN_HEADERS
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
            demo=self._is_demo,
        )

    # -- retries ---------------------------------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        ceiling = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (attempt - 1))
        return ceiling / 2 + self._random.uniform(0, ceiling / 2)  # "equal jitter"

    def _retry_delay(self, err: AyrshareError, attempt: int, spent: float) -> float | None:
        """How long to wait before sending again after ``attempt`` failed with ``err`` (its
        ``retry_after`` hint, else backoff with jitter), or None to give up: the error is not
        transient, the attempts are used up, or the wait would pass ``max_retry_time``
        (``spent`` is the time retrying took so far, rate-limit pacing not counted)."""
        if not err.retryable or attempt > self.settings.max_retries:
            return None
        hint = getattr(err, "retry_after", None)
        delay = float(hint) if hint is not None else self._backoff(attempt)
        if spent + delay > self._max_retry_time:
            return None
        return delay

    # -- one exchange ----------------------------------------------------------------------------
    def _exchange(self, call: Call) -> Generator[Step, Any, ApiResponse]:
        """Send ``call`` until it is answered or gives up, as the steps a face performs.

        Each attempt takes a rate-limit slot, sends, and hands the answer to :meth:`_handle`; a
        transient failure is retried after :meth:`_retry_delay`. The error that ends the exchange
        carries ``attempts``, the number of times the request was sent.
        """
        start = self._now()
        paced = 0.0  # waits for the rate limiter, which do not count as time spent retrying
        attempt = 0
        while True:
            attempt += 1
            try:
                waited, stamp = yield _PACE
                paced += waited
                try:
                    response = yield Send(call, self._headers())
                except httpx.RequestError as exc:
                    raise self._transport_error(exc, call) from exc
                finally:
                    # the server counted the request somewhere between the slot and now
                    self._limiter.complete(stamp)
                return self._handle(response, call)
            except AyrshareError as exc:
                delay = self._retry_delay(exc, attempt, self._now() - start - paced)
                if delay is None:
                    exc.attempts = attempt
                    raise
                error = exc
            logger.info(
                "retrying %s %s%s in %.1f s (attempt %d of %d) after: %s",
                call.method,
                call.endpoint,
                f" for post {call.post_id!r}" if call.post_id else "",
                delay,
                attempt + 1,
                self.settings.max_retries + 1,
                error,
            )
            yield Sleep(delay)

    # -- calls shared by both faces --------------------------------------------------------------
    @staticmethod
    def _bulk_arguments(
        ids: Any, platforms: Any, concurrency: Any
    ) -> tuple[list[str], list[str] | None, int]:
        from .validation import check_concurrency, check_ids, check_platforms

        return check_ids(ids), check_platforms(platforms), check_concurrency(concurrency)
