"""The transport core shared by the sync and async clients: settings and demo mode, auth headers,
pacing to the rate limit, retries with backoff, and turning answers into :class:`ApiResponse` or
the errors of :mod:`ayr_analysis.errors`.

The life of one request is written once, as a generator (:meth:`ClientCore._exchange`) that
yields the I/O it needs (:class:`Pace`: wait for a rate-limit slot; :class:`Send`: send the
request and read its answer within the deadline and the size cap; :class:`Sleep`: wait before a
retry) and gets the outcome back. Each face performs those steps its own way (blocking, or
awaiting) and shares everything else:

>>> import httpx
>>> from ayr_analysis.client import calls
>>> core = ClientCore("k", transport=httpx.MockTransport(lambda r: httpx.Response(200)))
>>> steps = core._exchange(calls.history({}))
>>> type(next(steps)).__name__
'Pace'
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
import ipaddress
import logging
import math
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
    DeadlineExceededError,
    InvalidResponseError,
    MissingApiKeyError,
    RateLimitError,
    RateLimitPausedError,
    ResponseTooLargeError,
    ServerError,
    ValidationError,
    XQuotaError,
    error_from_response,
)
from ..ratelimit import (
    MAX_RESET_S,
    STORM_STRIKES,
    LimiterRefusal,
    RateLimiter,
    RateLimitInfo,
    pacing_file,
    shared_limiter,
)
from .bounds import (
    BodyReader,
    BodyTooLarge,
    DeadlinePassed,
    UnreadableBody,
    announced_size,
    decode_json,
)
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
#: without a deadline setting, an exchange may take this many times the timeout in all
DEADLINE_TIMEOUTS = 4
#: the longest wait a server may ask for (Retry-After, Instagram's delay) and be believed: two
#: days; longer ones, and ones that are not a number of seconds >= 0, count as absent
MAX_SERVER_WAIT = MAX_RESET_S
#: the failures of sending and reading that end an attempt (see ClientCore._transport_error)
TRANSPORT_FAILURES = (httpx.RequestError, BodyTooLarge, DeadlinePassed)


# --------------------------------------------------------------------------------------------
# the I/O steps of one exchange
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pace:
    """Wait for a slot of the rate limiter; the face replies with ``(seconds waited, stamp)``.
    A block after a 429 longer than ``max_block`` seconds (what is left of the retry budget)
    is not waited for: the limiter raises :class:`~ayr_analysis.ratelimit.LimiterRefusal`."""

    max_block: float | None = None


@dataclass(frozen=True)
class Send:
    """Send ``call`` with ``headers`` and read the answer within the deadline and the size cap;
    the face replies with the :class:`~ayr_analysis.client.bounds.Received` answer (or throws
    the :class:`httpx.RequestError`, ``BodyTooLarge`` or ``DeadlinePassed`` it got)."""

    call: Call
    headers: dict[str, str] = dataclasses.field(repr=False)


@dataclass(frozen=True)
class Sleep:
    """Wait ``seconds`` before the next attempt; the face replies with None."""

    seconds: float


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


#: the settings holding credentials, with the environment variable each comes from
_KEY_SETTINGS = {
    "api_key": "the API key (AYRSHARE_API_KEY)",
    "profile_key": "the Profile-Key (AYRSHARE_PROFILE_KEY)",
    "x_api_key": "the X API key (AYRSHARE_X_API_KEY)",
    "x_api_secret": "the X API secret (AYRSHARE_X_API_SECRET)",
}


def _key_problem(value: str) -> str | None:
    """What makes ``value`` unusable as a key in a header (None when nothing does); the answer
    never holds the key itself.

    >>> _key_problem("sk-abc_123"), _key_problem("abc\\r\\nX: y"), _key_problem("caf\\u00e9")
    (None, 'a line break (CR or LF) at character 4', 'a character that is not ASCII at character 4')
    """
    for i, ch in enumerate(value, start=1):
        if "!" <= ch <= "~":
            continue
        if ch in "\r\n":
            what = "a line break (CR or LF)"
        elif ch.isspace():
            what = "whitespace"
        elif ch.isascii():
            what = "a control character"
        else:
            what = "a character that is not ASCII"
        return f"{what} at character {i}"
    return None


def _check_keys(settings: Settings) -> None:
    """Every key must be visible ASCII (it goes into a header): checked before any use, with a
    message that does not contain the key."""
    for name, label in _KEY_SETTINGS.items():
        secret = getattr(settings, name)
        problem = _key_problem(secret.get_secret_value()) if secret is not None else None
        if problem:
            raise ValidationError(
                f"{label} contains {problem}; a key is visible ASCII characters only (letters, "
                "digits, punctuation): look for a pasted line end, space or typographic quote. "
                "The key itself is not shown."
            )


def _is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (localhost, 127.0.0.0/8, ::1).

    >>> _is_loopback("127.0.0.1"), _is_loopback("localhost"), _is_loopback("api.ayrshare.com")
    (True, True, False)
    """
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_transport_security(base_url: str, allow_insecure: bool) -> None:
    """Plain ``http://`` sends the keys readable by anyone on the way: only to this machine,
    unless allowed explicitly."""
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        raise ValidationError(f"base_url {base_url!r} is not a valid URL ({exc})") from None
    if url.scheme == "http" and not allow_insecure and not _is_loopback(url.host):
        raise ValidationError(
            f"base_url {base_url!r} is plain http: the API key would cross the network "
            "unencrypted. Use https://, or, on a network you trust, allow it with "
            "allow_insecure_http=True (AYRSHARE_ALLOW_INSECURE_HTTP=1). Plain http to this "
            "machine (localhost, 127.0.0.1) is always allowed."
        )


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
        deadline: float | None = None,
        max_response_bytes: int | None = None,
        allow_insecure_http: bool | None = None,
        pacing_dir: Any = None,
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
            "deadline": deadline,
            "max_response_bytes": max_response_bytes,
            "allow_insecure_http": allow_insecure_http,
            "pacing_dir": pacing_dir,
        }
        given: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
        if settings is None:
            settings = load_settings(**given)
        elif given:
            settings = dataclasses.replace(settings, **given)
        self.settings = settings
        if settings.source == "live" and settings.api_key is None:
            raise _missing_key_error()
        _check_keys(settings)

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
            _check_transport_security(self._base_url, settings.allow_insecure_http)
        self._transport = transport
        #: the whole exchange (connect and every read) ends within this many seconds
        self._deadline_s = (
            settings.deadline
            if settings.deadline is not None
            else DEADLINE_TIMEOUTS * settings.timeout
        )
        self._max_bytes = settings.max_response_bytes

        self._clock_arg = clock
        self._sleep_arg = sleep
        self._now = _seconds_clock(clock) if clock is not None else time.monotonic
        self._wall_now = _wall_clock(clock)
        self._max_retry_time = (
            float(max_retry_time)
            if max_retry_time is not None
            else max(600.0, 2.0 * settings.rate_window)
        )
        if not 0 <= self._max_retry_time < math.inf:
            raise ValidationError(
                f"max_retry_time must be a finite number of seconds >= 0, got {max_retry_time!r}"
            )
        self._random = random.Random()
        #: the server's header values already warned about (each is warned about once)
        self._warned: set[tuple[str, str]] = set()
        clock_key: Any = clock
        try:
            hash(clock)
        except TypeError:
            clock_key = id(clock)
        # processes of this machine pace one profile together when the client makes its own
        # connections on the real clock (not for the demo, a stand-in transport or a test clock)
        shared = None
        if not self._is_demo and transport is None and clock is None:
            profile = settings.profile_key.get_secret_value() if settings.profile_key else ""
            shared = pacing_file(
                settings.pacing_dir, self._base_url, self._api_key.get_secret_value(), profile
            )
        self._limiter: RateLimiter = shared_limiter(
            (self._base_url, _identity(self._api_key, settings.profile_key), clock_key),
            limit=settings.rate_limit,
            window=settings.rate_window,
            clock=self._now if clock is not None else None,
            shared_file=shared,
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
            # the encodings the client decompresses itself, within the size cap
            "Accept-Encoding": "gzip, deflate",
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

    def _body_reader(self, response: httpx.Response, deadline: float) -> BodyReader:
        """A reader of ``response``'s body within the size cap and the deadline; an answer that
        announces more than the cap is refused before it is read."""
        announced = announced_size(response.headers)
        if announced is not None and announced > self._max_bytes:
            raise BodyTooLarge(self._max_bytes, announced, announced=True)
        return BodyReader(
            self._max_bytes,
            self._deadline_s,
            encoding=response.headers.get("content-encoding", ""),
            deadline=deadline,
        )

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

    def _transport_error(self, exc: Exception, call: Call, elapsed: float = 0.0) -> AyrshareError:
        """The error of an attempt that got no usable answer (``elapsed`` seconds after it was
        sent): the deadline or the size cap was reached, the connection failed or timed out,
        the body could not be decoded."""
        common: dict[str, Any] = {"endpoint": call.endpoint, "post_id": call.post_id}
        detail = self._scrub_text(str(exc)) or type(exc).__name__
        deadline = f"deadline of {self._deadline_s:g} s exceeded"
        if isinstance(exc, DeadlinePassed) or (
            isinstance(exc, httpx.TimeoutException) and elapsed >= self._deadline_s * 0.99
        ):
            return DeadlineExceededError(
                f"{deadline}: the server did not finish its answer in time (connecting and "
                "every read count); raise deadline= (AYRSHARE_DEADLINE) if answers are "
                "legitimately this slow",
                **common,
            )
        if isinstance(exc, BodyTooLarge):
            return ResponseTooLargeError(
                f"{detail}; reading stopped there. Raise max_response_bytes= "
                "(AYRSHARE_MAX_RESPONSE_BYTES) if answers are legitimately this large",
                **common,
            )
        if isinstance(exc, httpx.TimeoutException):
            return ApiTimeoutError(
                f"no answer within {self.settings.timeout:g} s ({detail})", **common
            )
        if isinstance(exc, httpx.DecodingError):
            return InvalidResponseError(f"the answer could not be decoded ({detail})", **common)
        return ApiConnectionError(
            f"could not reach {self._base_url} ({type(exc).__name__}: {detail})", **common
        )

    def _redacted_cause(self, exc: Exception) -> BaseException | None:
        """A copy of ``exc`` to chain to the error raised for it: its message scrubbed and its
        request with every secret header masked (httpx masks only Authorization), so that
        ``err.__cause__.request.headers`` shows no key."""
        if not isinstance(exc, httpx.RequestError):
            return None
        try:
            request = exc.request
        except RuntimeError:
            request = None
        masked = None
        if request is not None:
            headers = [
                (k, "[secret]" if k.lower() in HIDDEN_HEADERS else v)
                for k, v in request.headers.items()
            ]
            masked = httpx.Request(request.method, request.url, headers=headers)
        try:
            return type(exc)(self._scrub_text(str(exc)), request=masked)
        except Exception:  # an httpx error of another signature: chain nothing
            return None

    def _decoded(self, content: bytes) -> Any:
        """The JSON of an error answer as far as it can be read safely, for
        :func:`error_from_response`: the decoded value, or text that is not JSON."""
        try:
            return decode_json(content)
        except UnreadableBody as exc:
            return f"<{exc}>"
        except ValueError:
            return content.decode("utf-8", errors="replace")

    def _server_wait(self, err: AyrshareError, headers: Mapping[str, str]) -> float | None:
        """The wait the server asked for (``Retry-After`` seconds or date, Instagram's delay in
        ``details``), when it is believable: a number of seconds >= 0 and at most
        :data:`MAX_SERVER_WAIT`. Anything else counts as absent, with a warning."""
        wait = getattr(err, "retry_after", None)
        raw = headers.get("retry-after")
        source = "Retry-After" if raw is not None else "delay in details"
        if raw is not None and wait is None:
            self._warn_once(source, raw, "not a number of seconds >= 0 or an HTTP date")
        if wait is None:
            return None
        if not math.isfinite(wait) or wait < 0:
            self._warn_once(source, raw or str(wait), "not a wait")
            return None
        if wait > MAX_SERVER_WAIT:
            self._warn_once(source, raw or str(wait), f"{wait:,.0f} s, over two days")
            return None
        return float(wait)

    def _warn_once(self, name: str, value: str, why: str) -> None:
        """Warn that the server's ``name`` was ignored, once per value and client."""
        key = (name, value[:40])
        if key not in self._warned:
            if len(self._warned) < 256:
                self._warned.add(key)
            logger.warning(
                "ignored the server's %s: %r (%s)", name, self._scrub_text(value[:40]), why
            )

    def _rate_limited(
        self, err: RateLimitError, info: RateLimitInfo | None, stamp: float, status: int
    ) -> AyrshareError:
        """Decide what a 429 (or Instagram's 435) means for the profile."""
        if err.code == CODE_INSTAGRAM_RATE_LIMIT:
            # Instagram's own limit: the profile's other requests go on
            self._limiter.succeeded()
            return err
        if err.platform == "twitter":
            # X's daily analytics quota: not this profile's rate limit, and not retried today
            self._limiter.succeeded()
            quota = XQuotaError(
                err.message,
                http_status=status,
                code=err.code,
                endpoint=err.endpoint,
                post_id=err.post_id,
                platform=err.platform,
                details=err.details,
                retry_after=err.retry_after,
                hint=(
                    "X's daily analytics quota for this profile is used up (Business 1,000, "
                    "Premium 500 requests per 24 hours): ask again tomorrow, or leave twitter "
                    "out of platforms"
                ),
            )
            return quota
        if err.retry_after is None:
            # no hint from Ayrshare: wait for its window to roll over
            if info is not None and info.reset_after is not None:
                err.retry_after = info.reset_after
            else:
                err.retry_after = self._limiter.window
        # every request on this profile waits, never longer than the retry budget
        budget = self._max_retry_time
        paused = self._limiter.rate_limited(
            min(err.retry_after, budget), sent_at=stamp, pause=budget
        )
        if paused:
            err.retryable = False
            err.hint = (
                f"{STORM_STRIKES} answers 429 in a row: the client pauses this profile for "
                f"{budget:.0f} s rather than risk a suspension (Ayrshare suspends a profile "
                "after 1,000 429 answers in 24 hours)"
            )
            logger.warning("profile paused for %.0f s after %d answers 429 in a row",
                           budget, STORM_STRIKES)  # fmt: skip
        return err

    def _handle(self, response: Any, call: Call, stamp: float = 0.0) -> ApiResponse:
        """The answer as an :class:`ApiResponse`, or the error it means (raised). ``response``
        has ``status_code``, ``headers`` and ``content`` (a :class:`Received` or an
        :class:`httpx.Response`); ``stamp`` is the rate-limit slot the request was sent in."""
        received_at = self._wall_now()
        headers = {
            k.lower(): v for k, v in response.headers.items() if k.lower() not in HIDDEN_HEADERS
        }
        info = RateLimitInfo.from_headers(
            headers, wall_time=received_at.timestamp(), warned=self._warned
        )
        self._limiter.observe(info)
        status = response.status_code
        content = response.content
        if not 200 <= status < 300:
            err = error_from_response(
                status, self._decoded(content), call.endpoint, call.post_id, headers=headers
            )
            if isinstance(err, RateLimitError | ServerError):
                err.retry_after = self._server_wait(err, headers)
            if status < 500 and status != 429:  # the API answered: its limit let us through
                self._limiter.succeeded()
            if isinstance(err, RateLimitError):
                err = self._rate_limited(err, info, stamp, status)
            raise self._scrub(err)
        self._limiter.succeeded()
        try:
            body = decode_json(content)
        except UnreadableBody as exc:
            raise self._scrub(
                InvalidResponseError(
                    str(exc), http_status=status, endpoint=call.endpoint, post_id=call.post_id
                )
            ) from None
        except ValueError:
            raise self._scrub(
                error_from_response(status, content, call.endpoint, call.post_id)
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

    def _refused(self, refusal: LimiterRefusal, call: Call) -> RateLimitPausedError:
        if refusal.paused:
            why = (
                f"the client pauses this profile for another {refusal.seconds:.0f} s after "
                f"{STORM_STRIKES} answers 429 in a row (Ayrshare suspends a profile after 1,000 "
                "429 answers in 24 hours)"
            )
        else:
            why = (
                f"the profile is rate limited for another {refusal.seconds:.0f} s, longer than "
                f"this request may still wait (max_retry_time {self._max_retry_time:g} s)"
            )
        return RateLimitPausedError(
            f"not sent: {why}",
            endpoint=call.endpoint,
            post_id=call.post_id,
            retry_after=refusal.seconds,
        )

    # -- one exchange ----------------------------------------------------------------------------
    def _exchange(self, call: Call) -> Generator[Step, Any, ApiResponse]:
        """Send ``call`` until it is answered or gives up, as the steps a face performs.

        Each attempt takes a rate-limit slot, sends, and hands the answer to :meth:`_handle`; a
        transient failure is retried after :meth:`_retry_delay`. The error that ends the exchange
        carries ``attempts``, the number of times the request was sent. Waits for a block after a
        429 count as time spent retrying; a block longer than what is left of the budget is not
        waited for (:class:`~ayr_analysis.errors.RateLimitPausedError`).
        """
        start = self._now()
        paced = 0.0  # waits for room in the window, which do not count as time spent retrying
        attempt = 0
        while True:
            attempt += 1
            try:
                left = max(0.0, self._max_retry_time - (self._now() - start - paced))
                try:
                    waited, stamp = yield Pace(left)
                except LimiterRefusal as refusal:
                    raise self._refused(refusal, call) from None
                paced += waited
                failure: AyrshareError | None = None
                cause: BaseException | None = None
                sent = time.monotonic()
                try:
                    try:
                        answer = yield Send(call, self._headers())
                    except TRANSPORT_FAILURES as exc:
                        failure = self._transport_error(exc, call, time.monotonic() - sent)
                        cause = self._redacted_cause(exc)
                    if failure is not None:
                        # raised outside the handler: the error carries the masked copy of the
                        # httpx error (and its request), never the original
                        raise failure from cause
                    return self._handle(answer, call, stamp)
                finally:
                    # the server counted the request somewhere between the slot and now
                    self._limiter.complete(stamp)
            except AyrshareError as exc:
                delay = self._retry_delay(exc, attempt, self._now() - start - paced)
                if delay is None:
                    # a request the limiter refused was not sent that time
                    exc.attempts = attempt - 1 if isinstance(exc, RateLimitPausedError) else attempt
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
