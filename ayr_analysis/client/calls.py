"""One :class:`Call` per endpoint: what a client method sends, built from checked arguments.

The sync and async clients build the same calls here and differ only in how they send them.

>>> analytics_post("p1", ["X"])
Call(method='POST', path='/analytics/post', params=None, json={'id': 'p1', 'platforms': ['twitter']}, post_id='p1')
>>> history({"last_days": 3}).params
{'lastDays': '3'}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ValidationError
from .validation import (
    check_history_filters,
    check_history_platform_filters,
    check_id,
    check_platform,
    check_platforms,
    check_social_options,
)

__all__ = [
    "Call",
    "analytics_by_social_id",
    "analytics_post",
    "analytics_social",
    "history",
    "history_platform",
    "post_analytics",
]


@dataclass(frozen=True)
class Call:
    """One request: method, path (after the base URL), query parameters, JSON body, and the post
    id it asks about (named in errors)."""

    method: str
    path: str
    params: dict[str, str] | None = None
    json: dict[str, Any] | None = None
    post_id: str | None = None

    @property
    def endpoint(self) -> str:
        """The endpoint, as errors and answers name it (e.g. ``"/analytics/post"``)."""
        return self.path


def post_analytics(post_id: str, names: list[str] | None) -> Call:
    """``POST /analytics/post`` for an id and networks already checked (None: every network)."""
    body: dict[str, Any] = {"id": post_id}
    if names is not None:
        body["platforms"] = names
    return Call("POST", "/analytics/post", json=body, post_id=post_id)


def analytics_post(id: Any, platforms: Any) -> Call:
    """``POST /analytics/post`` for one Ayrshare post id."""
    return post_analytics(check_id(id), check_platforms(platforms))


def analytics_by_social_id(social_id: Any, platform: Any) -> Call:
    """``POST /analytics/post`` by the network's own id (``searchPlatformId``), one network."""
    sid = check_id(social_id, "social id")
    if isinstance(platform, str):
        names = [check_platform(platform)]
    else:
        names = check_platforms(platform, required=True) or []
        if len(names) != 1:
            raise ValidationError(
                f"a lookup by social id needs exactly one platform, got {len(names)}: {names!r}"
            )
    return Call(
        "POST",
        "/analytics/post",
        json={"id": sid, "platforms": names, "searchPlatformId": True},
        post_id=sid,
    )


def analytics_social(platforms: Any, options: Mapping[str, Any]) -> Call:
    """``POST /analytics/social`` (account-level analytics)."""
    names = check_platforms(platforms, required=True)
    return Call(
        "POST", "/analytics/social", json={"platforms": names, **check_social_options(options)}
    )


def history(filters: Mapping[str, Any]) -> Call:
    """``GET /history`` with its filters."""
    return Call("GET", "/history", params=check_history_filters(filters))


def history_platform(platform: Any, filters: Mapping[str, Any]) -> Call:
    """``GET /history/{platform}`` with its filters."""
    name = check_platform(platform)
    return Call("GET", f"/history/{name}", params=check_history_platform_filters(filters))
