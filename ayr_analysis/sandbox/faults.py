"""Fault injection for the sandbox (latency, server errors, timeouts, broken bodies) and the
switches of the live API's awkward answers (:class:`Quirks`).

Faults stand *in front of* the API: a 5xx or a timeout never reaches the simulated API (it does
not count against the rate limit), while a malformed or truncated body corrupts an answer the
API did produce (it counts). Decisions come from a seeded RNG, so a run is reproducible for a
given sequence of requests.

>>> f = Faults(error_rate=1.0, seed=1)
>>> f.decide().kind
'error'
>>> Faults().decide().kind
'ok'

Quirks are the API's own behaviour, answered by the simulated API itself (see :class:`Quirks`).
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

SERVER_STATUSES = (500, 502, 503, 504)


@dataclass(frozen=True)
class FaultDecision:
    """What happens to one request: ``kind`` is ok, error, timeout, malformed or truncated."""

    kind: str
    latency_s: float = 0.0
    status: int = 200


@dataclass
class Faults:
    """Fault settings. Rates are probabilities per request (0-1), checked in this order:
    timeout, 5xx error, malformed body, truncated body.

    ``latency_s`` is added to every answer; ``timeout_s`` is how long the HTTP server stalls
    before dropping a "timed out" request (the in-process transport raises
    ``httpx.ReadTimeout`` at once).
    """

    latency_s: float = 0.0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    malformed_rate: float = 0.0
    truncated_rate: float = 0.0
    seed: int = 0
    timeout_s: float = 35.0
    _rng: random.Random = field(init=False, repr=False, compare=False)
    _lock: threading.Lock = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("error_rate", "timeout_rate", "malformed_rate", "truncated_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
        if self.latency_s < 0 or self.timeout_s < 0:
            raise ValueError("latency_s and timeout_s must be >= 0")
        self._rng = random.Random(f"faults-{self.seed}")
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return bool(
            self.latency_s or self.error_rate or self.timeout_rate or self.malformed_rate
            or self.truncated_rate
        )  # fmt: skip

    def decide(self) -> FaultDecision:
        """Draw the fate of the next request."""
        with self._lock:
            draws = [self._rng.random() for _ in range(4)]
            status = self._rng.choice(SERVER_STATUSES)
        if draws[0] < self.timeout_rate:
            return FaultDecision("timeout", self.latency_s)
        if draws[1] < self.error_rate:
            return FaultDecision("error", self.latency_s, status)
        if draws[2] < self.malformed_rate:
            return FaultDecision("malformed", self.latency_s)
        if draws[3] < self.truncated_rate:
            return FaultDecision("truncated", self.latency_s)
        return FaultDecision("ok", self.latency_s)


REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def server_error_body(status: int) -> bytes:
    """An Ayrshare-style error body for an injected 5xx."""
    body = {
        "action": "request",
        "status": "error",
        "code": status,
        "message": f"{REASONS.get(status, 'Server Error')} (injected by the sandbox).",
    }
    return json.dumps(body, separators=(",", ":")).encode()


def malformed_body() -> bytes:
    """A body that is not JSON (what a proxy's error page looks like)."""
    return b"<html><head><title>502 Bad Gateway</title></head><body>upstream error</body></html>"


def truncated_body(body: bytes) -> bytes:
    """The first half of ``body`` (cut JSON).

    >>> truncated_body(b'{"status":"success"}')
    b'{"status":'
    """
    return body[: max(1, len(body) // 2)]


#: Regions whose Instagram stories report ``repliesCount`` 0 ("stories created by users in Europe
#: and Japan"): the countries of Europe (ISO 3166-1 alpha-2), ``"EU"`` itself, and Japan.
EUROPE_JAPAN = frozenset(
    {
        "AD", "AL", "AT", "BA", "BE", "BG", "BY", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "EU",
        "FI", "FO", "FR", "GB", "GI", "GR", "HR", "HU", "IE", "IM", "IS", "IT", "LI", "LT", "LU",
        "LV", "MC", "MD", "ME", "MK", "MT", "NL", "NO", "PL", "PT", "RO", "RS", "SE", "SI", "SK",
        "SM", "UA", "VA", "XK", "JP",
    }
)  # fmt: skip
#: X analytics requests a User Profile may make per 24 hours, by plan (Ayrshare's docs).
X_DAILY_QUOTA_BUSINESS = 1000
X_DAILY_QUOTA_PREMIUM = 500
#: 429 answers (rate limit violations) in 24 hours that get a User Profile suspended.
SUSPEND_AFTER_429S = 1000

_CHOICES = {
    "errors_form": ("in_place", "array", "both"),
    "partial_status": ("success", "partial", "error"),
    "unsent_platforms": ("absent", "error"),
    "x_quota_form": ("http", "in_place"),
    "instagram_form": ("http", "in_place"),
    "youtube_delay": ("small", "all"),
}


@dataclass
class Quirks:
    """Switches for the awkward answers of the live API. Every switch is off by default, so the
    default sandbox answers as it always did; the YouTube rule is the documented behaviour and
    leaves the default world's numbers as they were (its channels are all small).

    How a failed network is reported in ``POST /analytics/post``:

    * ``errors_form``: ``"in_place"`` (an error object in the network's place), ``"array"``
      (the network's key is gone and the error is an entry of a top-level ``errors`` array,
      with ``platform``), ``"both"`` (in place *and* in ``errors``, worded differently).
    * ``partial_status``: the top-level ``status`` when some networks answered and some failed
      (``"success"``, ``"partial"`` or ``"error"``). When every network failed it is ``"error"``.

    Networks missing from the answer:

    * ``tiktok_filtered_ids`` (TikTok social ids or Ayrshare post ids) and
      ``tiktok_filtered_rate`` (a share of all TikTok videos, picked by a stable hash of the
      social id): videos filtered for violations (music copyright). They are not returned: the
      ``tiktok`` key is absent, asked for or not.
    * ``unsent_platforms``: a network asked for in ``platforms`` that the post was never sent
      to. ``"absent"`` (the reading of the docs: ``platforms`` narrows the answer) or
      ``"error"`` (an error object in its place: code 156 when the profile has not linked the
      network, else 186 "Post ID not found").

    Per-profile behaviour:

    * ``profile_regions``: profile index or Profile-Key -> region (ISO country code) overriding
      the world's; Instagram stories of a profile in :data:`EUROPE_JAPAN` report
      ``repliesCount`` 0.
    * ``suspend_after_429s``: after this many 429 answers of the profile rate limit within
      ``day_s``, the profile is suspended: every request of it is answered 403 until
      :meth:`SandboxApp.reactivate <ayr_analysis.sandbox.app.SandboxApp.reactivate>`
      (Ayrshare: 1,000 in 24 hours, :data:`SUSPEND_AFTER_429S`).
    * ``x_daily_quota``: X analytics requests per profile per ``day_s`` (Business 1,000,
      Premium 500). Past it the X part is refused: ``x_quota_form`` ``"http"`` answers the
      whole request 429, ``"in_place"`` puts an error object in X's place.
    * ``instagram_limit``: Instagram analytics requests per profile per
      ``instagram_window_s``; past it Instagram's own limit answers code 435 with the seconds to
      wait in ``details`` (``instagram_form`` ``"http"``: HTTP 429 for the whole request;
      ``"in_place"``: an error object in Instagram's place).

    YouTube's 24-48 h of zeros (``youtube_delay``): ``"small"`` (the docs: only videos with few
    views or a small channel: final views below ``youtube_few_views`` or fewer subscribers than
    ``youtube_small_channel`` at publication) or ``"all"`` (every video).

    ``day_s`` and ``instagram_window_s`` are seconds of the rate limiter's time (real monotonic
    time times its ``time_scale``, or the injected ``rate_time``), so tests can compress them.

    >>> Quirks().active, Quirks(errors_form="array").active
    (False, True)
    >>> Quirks(profile_regions={1: "de"}).profile_regions
    {1: 'DE'}
    """

    errors_form: str = "in_place"
    partial_status: str = "success"
    tiktok_filtered_ids: frozenset[str] = frozenset()
    tiktok_filtered_rate: float = 0.0
    unsent_platforms: str = "absent"
    profile_regions: Mapping[int | str, str] = field(default_factory=dict)
    suspend_after_429s: int | None = None
    x_daily_quota: int | None = None
    x_quota_form: str = "http"
    instagram_limit: int | None = None
    instagram_window_s: float = 3600.0
    instagram_form: str = "http"
    youtube_delay: str = "small"
    youtube_small_channel: int = 100_000
    youtube_few_views: int = 1_000
    day_s: float = 86_400.0

    def __post_init__(self) -> None:
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if isinstance(self.tiktok_filtered_ids, str) or not isinstance(
            self.tiktok_filtered_ids, Iterable
        ):
            raise ValueError("tiktok_filtered_ids must be a collection of ids")
        self.tiktok_filtered_ids = frozenset(self.tiktok_filtered_ids)
        if not 0.0 <= self.tiktok_filtered_rate <= 1.0:
            raise ValueError(f"tiktok_filtered_rate must be between 0 and 1, got "
                             f"{self.tiktok_filtered_rate!r}")  # fmt: skip
        self.profile_regions = {k: str(v).upper() for k, v in dict(self.profile_regions).items()}
        for name in ("suspend_after_429s", "x_daily_quota", "instagram_limit"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or int(value) != value or value < 1):
                raise ValueError(f"{name} must be a positive integer or None, got {value!r}")
        if self.day_s <= 0 or self.instagram_window_s <= 0:
            raise ValueError("day_s and instagram_window_s must be > 0")

    @property
    def active(self) -> bool:
        """Whether any switch differs from the default sandbox."""
        return self != Quirks()
