"""Checks of everything a caller passes in, before any request is made.

Each check returns the value as it will be sent (a platform by Ayrshare's name, a date as ISO
text, ids without duplicates) or raises :class:`~ayr_analysis.errors.ValidationError` saying what
was wrong and what to pass instead. Network names go through the one resolver of
:mod:`ayr_analysis.platforms`.

>>> check_ids(["a1", "b2", "a1"])
['a1', 'b2']
>>> check_platforms(["X", "TikTok"])
['twitter', 'tiktok']
>>> check_history_filters({"last_days": 7, "platforms": "x"})
{'lastDays': '7', 'platforms[0]': 'twitter'}
>>> check_id("a b")
Traceback (most recent call last):
...
ayr_analysis.errors.ValidationError: post id 'a b' contains whitespace
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import ValidationError

__all__ = [
    "HISTORY_MAX_LIMIT",
    "MAX_BULK_IDS",
    "MAX_ID_LENGTH",
    "check_bool",
    "check_concurrency",
    "check_date",
    "check_history_filters",
    "check_history_platform_filters",
    "check_id",
    "check_ids",
    "check_int",
    "check_platform",
    "check_platforms",
    "check_social_options",
    "check_text",
    "id_problem",
    "platform_names",
]


def platform_names() -> tuple[str, ...]:
    """Every network name the API knows, as Ayrshare spells it.

    >>> platform_names()[:3]
    ('bluesky', 'facebook', 'instagram')
    """
    from ..platforms import REGISTRY

    return tuple(REGISTRY)


#: The most post ids one ``fetch_many`` call accepts. At Ayrshare's 300 requests per 5 minutes,
#: 10,000 posts already take close to three hours; for more, use ``track()``, which fetches in
#: batches and writes each batch to a snapshot store as it goes.
MAX_BULK_IDS = 10_000
#: The longest id accepted (Ayrshare ids are 20 characters; network ids such as Bluesky's
#: ``at://`` URIs are under 100).
MAX_ID_LENGTH = 512


def id_problem(value: Any) -> str | None:
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


def check_id(value: Any, what: str = "post id") -> str:
    """``value`` if it is a usable id (``what`` names it in the error)."""
    problem = id_problem(value)
    if problem is not None:
        raise ValidationError(f"{what} {problem}")
    return value


def check_ids(ids: Any, limit: int | None = MAX_BULK_IDS) -> list[str]:
    """A list of post ids without duplicates (first occurrence kept), at most ``limit`` (None:
    no upper bound); every bad id is named in one error."""
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
        problem = id_problem(value)
        if problem is not None:
            bad.append(f"[{index}] {problem}")
    if bad:
        shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise ValidationError(
            f"post ids must be non-empty ASCII strings without whitespace; bad: {shown}"
        )
    return list(dict.fromkeys(items))


def check_platform(value: Any) -> str:
    """One network name, resolved (``"X"`` is ``"twitter"``)."""
    from ..platforms import UnknownPlatformError, resolve

    try:
        return resolve(value)
    except UnknownPlatformError as exc:
        raise ValidationError(str(exc)) from None


def check_platforms(platforms: Any, *, required: bool = False) -> list[str] | None:
    """Network names (one name or a list), resolved and without duplicates; None (every
    network) unless ``required``."""
    if platforms is None:
        if required:
            raise ValidationError(
                f"platforms is required; choose from: {', '.join(platform_names())}"
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
            + ", ".join(platform_names())
        )
    return list(dict.fromkeys(check_platform(p) for p in items))


def check_int(name: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    """An integer (not a bool) between ``low`` and ``high`` (inclusive, when given)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{name} must be an integer, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValidationError(f"{name} must be {bounds}, got {value!r}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """True or False, nothing else."""
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be True or False, got {value!r}")
    return value


def check_text(name: str, value: Any) -> str:
    """A string that is not blank."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-empty string, got {value!r}")
    return value


def check_date(name: str, value: Any) -> str:
    """A date or date-time as the API reads it: ISO text as given, a date as ``YYYY-MM-DD``, a
    datetime in UTC with a ``Z`` (a naive one is taken as UTC)."""
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


def check_social_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options of ``POST /analytics/social`` (``quarters``, ``daily``, ``period60Days``)."""
    opts = _rename(
        options,
        {"period_60_days": "period60Days", "period60days": "period60Days"},
        ("quarters", "daily", "period60Days"),
        "option",
    )
    if "quarters" in opts:
        check_int("quarters", opts["quarters"], 1, 4)
    for name in ("daily", "period60Days"):
        if name in opts:
            check_bool(name, opts[name])
    return opts


#: The largest ``limit`` of ``GET /history`` the client sends: Ayrshare's docs give 1000 today
#: (500 in older versions, which is why :func:`ayr_analysis.history` asks for pages of 500).
HISTORY_MAX_LIMIT = 1000


def check_history_filters(filters: Mapping[str, Any]) -> dict[str, str]:
    """The query parameters of ``GET /history`` from its filters (snake_case names accepted)."""
    opts = _rename(
        filters,
        {"last_days": "lastDays", "start_date": "startDate", "end_date": "endDate"},
        ("lastDays", "limit", "status", "type", "platforms", "startDate", "endDate"),
        "history filter",
    )
    params: dict[str, str] = {}
    if "lastDays" in opts:
        params["lastDays"] = str(check_int("lastDays", opts["lastDays"], 0))
    if "limit" in opts:
        params["limit"] = str(check_int("limit", opts["limit"], 1, HISTORY_MAX_LIMIT))
    for name in ("status", "type"):
        if name in opts:
            params[name] = check_text(name, opts[name])
    if "platforms" in opts:
        for i, name in enumerate(check_platforms(opts["platforms"]) or []):
            params[f"platforms[{i}]"] = name
    for name in ("startDate", "endDate"):
        if name in opts:
            params[name] = check_date(name, opts[name])
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


def check_history_platform_filters(filters: Mapping[str, Any]) -> dict[str, str]:
    """The query parameters of ``GET /history/{platform}`` (``limit``, ``next``)."""
    opts = _rename(filters, {}, ("limit", "next"), "history filter")
    params: dict[str, str] = {}
    if "limit" in opts:
        params["limit"] = str(check_int("limit", opts["limit"], 1))
    if "next" in opts:
        params["next"] = check_text("next", opts["next"])
    return params


def check_concurrency(value: Any) -> int:
    """How many requests may be in flight at once: 1 to 256."""
    return check_int("concurrency", value, 1, 256)
