"""HTTP clients for the Ayrshare analytics API (sync and async, on httpx).

They add the auth headers, validate input before any request, pace requests to the per-profile
rate limit (with the other processes of the machine), retry transient failures (connection
errors, timeouts, 429, 5xx) with backoff, bound each exchange in time and size, and turn error
answers into the errors of :mod:`ayr_analysis.errors`. Answers come back as
:class:`ApiResponse`: the decoded JSON body (a dict) with metadata.

Without an API key (and ``source`` not ``"live"``) the clients talk to the built-in demo sandbox;
``AyrshareClient(demo=Demo(...))`` chooses the demo (:class:`ayr_analysis.sandbox.Demo`) and
``client.demo`` gives it back.

>>> import httpx
>>> def handler(request):
...     return httpx.Response(200, json={"status": "success", "id": "p1", "bluesky": {}})
>>> with AyrshareClient("my-key", transport=httpx.MockTransport(handler)) as client:
...     answer = client.analytics_post("p1", platforms=["bluesky"])
>>> answer["id"], answer.status_code, answer.endpoint
('p1', 200, '/analytics/post')

The package, by seam:

- :mod:`~ayr_analysis.client.core`: the transport core (settings and demo mode, headers,
  pacing, retries, answers and errors), written once for both faces;
- :mod:`~ayr_analysis.client.sync` and :mod:`~ayr_analysis.client.aio`: the two faces, which
  only perform the I/O;
- :mod:`~ayr_analysis.client.bounds`: the limits of one exchange (a total deadline, a cap on the
  decompressed size of the answer, JSON that is UTF-8 and at most 64 levels deep);
- :mod:`~ayr_analysis.client.calls`: what each endpoint sends;
- :mod:`~ayr_analysis.client.validation`: the checks of every argument, before any request;
- :mod:`~ayr_analysis.client.display`: the demo notice and progress bars;
- :mod:`~ayr_analysis.client.results`: :class:`ApiResponse`, :class:`BulkResult`,
  :class:`PostFailure`.
"""

from __future__ import annotations

from ..errors import ValidationError
from ..ratelimit import RateLimitInfo
from .aio import AsyncAyrshareClient
from .core import DEMO_BASE_URL
from .results import ApiResponse, BulkResult, PostFailure
from .sync import AyrshareClient
from .validation import HISTORY_MAX_LIMIT, MAX_BULK_IDS, MAX_ID_LENGTH

__all__ = [
    "DEMO_BASE_URL",
    "HISTORY_MAX_LIMIT",
    "MAX_BULK_IDS",
    "MAX_ID_LENGTH",
    "ApiResponse",
    "AsyncAyrshareClient",
    "AyrshareClient",
    "BulkResult",
    "PostFailure",
    "RateLimitInfo",
    "ValidationError",
]
