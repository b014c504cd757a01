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
from ._base import UNITS, BreakdownSpec, FieldSpec, PlatformSpec

__all__ = [
    "REGISTRY",
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

_ALIASES = {"x": "twitter"}


class UnknownPlatformError(ValueError):
    """A platform name that no field map knows."""


def get(name: str) -> PlatformSpec:
    """The field map of the network ``name`` (case-insensitive; ``"x"`` means ``"twitter"``).

    >>> get("YouTube").name
    'youtube'
    >>> get("myspace")
    Traceback (most recent call last):
    ...
    ayr_analysis.platforms.UnknownPlatformError: unknown platform 'myspace'; valid names: bluesky, facebook, instagram, linkedin, pinterest, reddit, snapchat, threads, tiktok, twitter, youtube
    """
    key = name.strip().lower() if isinstance(name, str) else name
    key = _ALIASES.get(key, key)
    try:
        return REGISTRY[key]
    except (KeyError, TypeError):
        raise UnknownPlatformError(
            f"unknown platform {name!r}; valid names: {', '.join(REGISTRY)}"
        ) from None
