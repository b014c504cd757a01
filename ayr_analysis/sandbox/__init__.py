"""The demo sandbox: a deterministic simulation of the Ayrshare analytics API over a demo world.

:class:`Demo` is the one object a client takes to run on it (``AyrshareClient(demo=Demo())``): it
holds the world, its virtual clock and the server's rate limit, and makes the in-process
:class:`SandboxTransport` (an httpx transport, sync and async). The other way in is a local HTTP
server (:func:`serve_in_thread`, or ``ayr-analysis sandbox --port 8787``).
:func:`demo_store` records the demo world's history (every post asked at equal ages since its
publication) into a snapshot store (or ``ayr-analysis demo-store DIR``).

>>> from ayr_analysis.sandbox import DEMO_API_KEY
>>> DEMO_API_KEY
'demo-sandbox-key'
"""

from __future__ import annotations

import importlib
from typing import Any

#: The public API key the sandbox accepts (a demo value, not a secret).
DEMO_API_KEY = "demo-sandbox-key"
#: Demo values for the X BYO headers; the sandbox accepts any non-empty pair.
DEMO_X_API_KEY = "demo-x-api-key"
DEMO_X_API_SECRET = "demo-x-api-secret"

_EXPORTS = {
    "Demo": "demo",
    "UNLIMITED": "demo",
    "build_world": "world",
    "write_demo_data": "world",
    "World": "world",
    "VirtualClock": "clock",
    "WORLD_NOW": "clock",
    "Faults": "faults",
    "Quirks": "faults",
    "SandboxApp": "app",
    "RateLimiter": "app",
    "ApiRequest": "app",
    "ApiAnswer": "app",
    "SandboxTransport": "transport",
    "default_transport": "transport",
    "serve_in_thread": "server",
    "SandboxServer": "server",
    "serve_forever": "server",
    "demo_store": "history",
}

__all__ = ["DEMO_API_KEY", "DEMO_X_API_KEY", "DEMO_X_API_SECRET", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ayr_analysis.sandbox' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
