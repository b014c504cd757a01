"""What the clients hand back: :class:`ApiResponse` (one answer), :class:`BulkResult` and
:class:`PostFailure` (a batch of posts, some of which may have failed).

>>> r = ApiResponse({"status": "success"}, status_code=200, endpoint="/history")
>>> r["status"], r.endpoint, r.demo
('success', '/history', False)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import AyrshareError
from ..ratelimit import RateLimitInfo

__all__ = ["HIDDEN_HEADERS", "ApiResponse", "BulkResult", "PostFailure", "as_failure"]

#: response headers never copied into ApiResponse.headers
HIDDEN_HEADERS = frozenset(
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
            k.lower(): v for k, v in (headers or {}).items() if k.lower() not in HIDDEN_HEADERS
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


def as_failure(post_id: str, exc: BaseException) -> PostFailure:
    """The failure of ``post_id``: an :class:`~ayr_analysis.errors.AyrshareError` as it is, any
    other exception wrapped in one (with the original as its cause).

    >>> as_failure("p1", ValueError("odd")).error.message
    'unexpected ValueError: odd'
    """
    if isinstance(exc, AyrshareError):
        return PostFailure(post_id, exc)
    err = AyrshareError(
        f"unexpected {type(exc).__name__}: {exc}", endpoint="/analytics/post", post_id=post_id
    )
    err.__cause__ = exc
    return PostFailure(post_id, err)
