"""Per-network field maps and their registry.

One module per network holds its :class:`PlatformSpec` (``SPEC``). Adding a network or a renamed
field is a change in that module and a test, nothing else.

>>> from ayr_analysis import platforms
>>> platforms.get("instagram").field_map["igReelsAvgWatchTimeCount"].convert(1145)
1.145
>>> sorted(platforms.REGISTRY)[:3]
['bluesky', 'facebook', 'instagram']
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from types import MappingProxyType

from ..schema import PLATFORMS
from ._base import UNITS, VALUE_CHECKS, BreakdownSpec, Caveat, FieldSpec, PlatformSpec, ValueCheck

__all__ = [
    "CAVEATS",
    "REGISTRY",
    "VALUE_CHECKS",
    "Caveat",
    "ValueCheck",
    "UNITS",
    "BreakdownSpec",
    "FieldSpec",
    "PlatformSpec",
    "UnknownPlatformError",
    "get",
]

# one module per network of schema.PLATFORMS, named after it
_MODULES = tuple(import_module(f".{name}", __name__) for name in PLATFORMS)

#: Network name (as Ayrshare spells it) -> its field map, in the order of schema.PLATFORMS.
REGISTRY: Mapping[str, PlatformSpec] = MappingProxyType(
    {spec.name: spec for spec in sorted((m.SPEC for m in _MODULES), key=lambda s: s.name)}
)
if tuple(REGISTRY) != PLATFORMS:  # pragma: no cover - a packaging mistake, caught by the tests
    raise RuntimeError("every platform in schema.PLATFORMS needs a field-map module")

#: Caveat code -> its footnote, from every network's field map (the codes of ``wide.caveats``).
CAVEATS: Mapping[str, str] = MappingProxyType(
    {c.code: c.text for spec in REGISTRY.values() for c in spec.caveats}
)

#: Other names accepted for a network, everywhere a network is named (functions, CLI, report
#: parameters, campaigns files, the dashboard).
ALIASES: Mapping[str, str] = MappingProxyType({"x": "twitter"})
_ALIASES = ALIASES
#: Names that are not accepted but get a hint.
_HINTS = {"fb": "facebook", "ig": "instagram", "insta": "instagram", "yt": "youtube",
          "bsky": "bluesky"}  # fmt: skip


class UnknownPlatformError(ValueError):
    """A platform name that no field map knows."""


def resolve(name: object) -> str:
    """The network's name as Ayrshare spells it: case and spaces ignored, ``"x"`` is
    ``"twitter"``. The one check of a network's name: anything else raises
    :class:`UnknownPlatformError` saying what was meant, where that can be guessed.

    >>> resolve(" X "), resolve("TikTok")
    ('twitter', 'tiktok')
    >>> resolve("tiktokk")
    Traceback (most recent call last):
    ...
    ayr_analysis.platforms.UnknownPlatformError: unknown platform 'tiktokk' (did you mean 'tiktok'?); valid platforms: bluesky, facebook, instagram, linkedin, pinterest, reddit, snapchat, threads, tiktok, twitter, youtube
    """
    if isinstance(name, str):
        key = name.strip().lower()
        key = ALIASES.get(key, key)
        if key in REGISTRY:
            return key
    raise UnknownPlatformError(
        f"unknown platform {name!r}{_hint(name)}; valid platforms: {', '.join(REGISTRY)}"
    )


def _hint(name: object) -> str:
    if not isinstance(name, str):
        return ""
    key = name.strip().lower()
    if key in _HINTS:
        return f" (did you mean {_HINTS[key]!r}?)"
    if key == "gmb":
        return " (Google Business has no post analytics)"
    import difflib

    close = difflib.get_close_matches(key, list(REGISTRY), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def get(name: str) -> PlatformSpec:
    """The field map of the network ``name`` (case-insensitive; ``"x"`` means ``"twitter"``).

    >>> get("YouTube").name
    'youtube'
    >>> get("myspace")
    Traceback (most recent call last):
    ...
    ayr_analysis.platforms.UnknownPlatformError: unknown platform 'myspace'; valid platforms: bluesky, facebook, instagram, linkedin, pinterest, reddit, snapchat, threads, tiktok, twitter, youtube
    """
    try:
        return REGISTRY[resolve(name)]
    except UnknownPlatformError as exc:
        raise UnknownPlatformError(str(exc)) from None
