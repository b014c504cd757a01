"""Fault injection for the sandbox: latency, server errors, timeouts, broken bodies.

Faults stand *in front of* the API: a 5xx or a timeout never reaches the simulated API (it does
not count against the rate limit), while a malformed or truncated body corrupts an answer the
API did produce (it counts). Decisions come from a seeded RNG, so a run is reproducible for a
given sequence of requests.

>>> f = Faults(error_rate=1.0, seed=1)
>>> f.decide().kind
'error'
>>> Faults().decide().kind
'ok'
"""

from __future__ import annotations

import json
import random
import threading
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
