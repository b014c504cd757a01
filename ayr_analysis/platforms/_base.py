"""Building blocks of the per-network field maps: :class:`FieldSpec` and :class:`PlatformSpec`.

A field map says, for one network, which raw field inside ``<platform>.analytics`` feeds which
canonical metric (:data:`ayr_analysis.schema.CANONICAL_METRICS`), in which unit it arrives and how
it is converted, which fields carry post metadata, and which canonical metrics count as that
network's engagements. The decisions behind every map are written down in ``docs/METRICS.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ..schema import CANONICAL_METRICS, COUNT_METRICS, FLOAT_METRICS

#: Raw unit -> (canonical unit, multiplier, divisor). value = raw * multiplier / divisor.
#: Divisors are kept apart from multipliers so that 1145 ms gives exactly 1.145 s.
UNITS: dict[str, tuple[str, float, float]] = {
    "count": ("count", 1.0, 1.0),
    "ms": ("s", 1.0, 1000.0),
    "s": ("s", 1.0, 1.0),
    "min": ("s", 60.0, 1.0),
    "percent": ("fraction", 1.0, 100.0),
    "fraction": ("fraction", 1.0, 1.0),
    "rate": ("rate", 1.0, 1.0),
    "px": ("px", 1.0, 1.0),
}

_COUNT_METRICS = frozenset(COUNT_METRICS)
_CANONICAL = frozenset(CANONICAL_METRICS)


@dataclass(frozen=True)
class ValueCheck:
    """What values a canonical metric can take, in its canonical unit.

    ``low`` / ``high``: the possible range (``None``: unbounded); ``integer``: whole numbers only.
    A value outside is impossible: null in ``wide`` with a ``DataQualityWarning`` naming the post,
    network, field and raw value; the raw value stays in ``long``.

    >>> VALUE_CHECKS["likes"].allows(12.5), VALUE_CHECKS["completion_rate"].allows(18.5)
    (False, False)
    """

    low: float | None = 0.0
    high: float | None = None
    integer: bool = False
    rule: str = ""

    def allows(self, v: float) -> bool:
        if self.low is not None and v < self.low:
            return False
        if self.high is not None and v > self.high:
            return False
        return not self.integer or v == int(v)


#: The value check of every canonical metric (declared here, next to the field maps): counts are
#: whole numbers >= 0; durations >= 0 s; fractions within 0-1 (``avg_view_fraction`` up to 2:
#: YouTube's average view percentage passes 100 % on looped Shorts, never 250 %); a network's own
#: rate >= 0.
VALUE_CHECKS: dict[str, ValueCheck] = {
    **{m: ValueCheck(0.0, None, True, "a count is a whole number >= 0") for m in COUNT_METRICS},
    "watch_time_s": ValueCheck(0.0, None, False, "a duration is >= 0 s"),
    "avg_watch_time_s": ValueCheck(0.0, None, False, "a duration is >= 0 s"),
    "avg_view_fraction": ValueCheck(0.0, 2.0, False, "an average view fraction is within 0-2"),
    "completion_rate": ValueCheck(0.0, 1.0, False, "a rate is a fraction within 0-1"),
    "engagement_rate_reported": ValueCheck(0.0, None, False, "a rate is >= 0"),
}
assert set(VALUE_CHECKS) == set(COUNT_METRICS) | set(FLOAT_METRICS)


@dataclass(frozen=True)
class Caveat:
    """A known limit of a network's numbers, set as ``code`` in the wide frame's ``caveats``
    column on every row that meets all of its conditions (an empty condition always holds).

    * ``media_types``: the row's ``media_type`` is one of these;
    * ``any_zero`` / ``any_null`` / ``all_null`` / ``any_reported``: of these canonical metrics,
      one is reported as 0 / one is not reported / none is reported / one is reported;
    * ``max_age_h``: the post is younger than this at the observation (or its age is unknown).

    ``text`` is the footnote shown under report tables and in the dashboard (see
    ``docs/METRICS.md``, section "Caveats").
    """

    code: str
    text: str
    media_types: tuple[str, ...] = ()
    any_zero: tuple[str, ...] = ()
    any_null: tuple[str, ...] = ()
    all_null: tuple[str, ...] = ()
    any_reported: tuple[str, ...] = ()
    max_age_h: float | None = None

    def __post_init__(self) -> None:
        for m in (*self.any_zero, *self.any_null, *self.all_null, *self.any_reported):
            if m not in _CANONICAL:
                raise ValueError(f"caveat {self.code}: {m!r} is not a canonical metric")


@dataclass(frozen=True)
class FieldSpec:
    """One raw numeric field of a network and what it feeds.

    ``path`` is the dotted path inside ``analytics`` (``"publicMetrics.likeCount"``), ``metric``
    the canonical metric it feeds (``None``: kept in the long frame only), ``raw_unit`` the unit
    the API sends (one of :data:`UNITS`). ``unit`` (after conversion) and ``scale`` (the factor
    applied to the raw value) follow from ``raw_unit``.

    >>> FieldSpec("estimatedMinutesWatched", "watch_time_s", "min").convert(12.5)
    750.0
    >>> FieldSpec("averageViewPercentage", "avg_view_fraction", "percent").unit
    'fraction'
    """

    path: str
    metric: str | None
    raw_unit: str = "count"
    note: str = ""
    unit: str = field(init=False)
    scale: float = field(init=False)
    multiplier: float = field(init=False, repr=False)
    divisor: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.raw_unit not in UNITS:
            raise ValueError(
                f"{self.path}: unknown unit {self.raw_unit!r}; valid units: {', '.join(UNITS)}"
            )
        if self.metric is not None and self.metric not in _CANONICAL:
            raise ValueError(f"{self.path}: {self.metric!r} is not a canonical metric")
        unit, mul, div = UNITS[self.raw_unit]
        if self.metric is not None and (self.metric in _COUNT_METRICS) != (unit == "count"):
            raise ValueError(f"{self.path}: unit {self.raw_unit!r} does not fit {self.metric!r}")
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "multiplier", mul)
        object.__setattr__(self, "divisor", div)
        object.__setattr__(self, "scale", mul / div)

    def convert(self, raw: float) -> float:
        """The raw value in :attr:`unit`."""
        return raw * self.multiplier / self.divisor


def count(path: str, metric: str | None = None, note: str = "") -> FieldSpec:
    """A count field (no conversion)."""
    return FieldSpec(path, metric, "count", note)


def ms(path: str, metric: str | None = None, note: str = "") -> FieldSpec:
    """A duration sent in milliseconds (converted to seconds)."""
    return FieldSpec(path, metric, "ms", note)


def seconds(path: str, metric: str | None = None, note: str = "") -> FieldSpec:
    """A duration sent in seconds."""
    return FieldSpec(path, metric, "s", note)


def minutes(path: str, metric: str | None = None, note: str = "") -> FieldSpec:
    """A duration sent in minutes (converted to seconds)."""
    return FieldSpec(path, metric, "min", note)


def percent(path: str, metric: str | None = None, note: str = "") -> FieldSpec:
    """A share sent in percent 0-100 (converted to a fraction 0-1)."""
    return FieldSpec(path, metric, "percent", note)


def fraction(path: str, metric: str | None = None, note: str = "") -> FieldSpec:
    """A share sent as a fraction 0-1."""
    return FieldSpec(path, metric, "fraction", note)


def rate(path: str, metric: str | None = None, note: str = "") -> FieldSpec:
    """A ratio computed by the network by its own definition (kept as sent)."""
    return FieldSpec(path, metric, "rate", note)


@dataclass(frozen=True)
class BreakdownSpec:
    """A list of shares, e.g. TikTok ``impressionSources: [{impressionSource, percentage}]``.

    ``keys`` are the candidate names of the label inside each item, ``values`` those of the
    share; ``raw_unit`` is ``"percent"`` or ``"fraction"``.
    """

    path: str
    breakdown: str
    keys: tuple[str, ...]
    values: tuple[str, ...] = ("percentage", "percent", "share", "value")
    raw_unit: str = "percent"


@dataclass(frozen=True)
class PlatformSpec:
    """The field map of one network.

    * ``fields``: mapped and known-but-unmapped numeric fields. When several fields feed one
      metric, the first one listed that was reported wins (precedence).
    * ``engagement``: canonical metrics summed into ``engagements``; an entry that is a tuple
      holds alternatives of which only the first reported one counts (Facebook: ``reactions``
      already include likes, so ``likes`` counts only when no reactions total was given).
    * ``url_paths``, ``published_paths``, ``media_type_paths``, ``text_paths``: where post
      metadata is found, looked up first on the network object, then inside ``analytics``; the
      first usable value wins.
    * ``reaction_paths``: objects of reaction counts by type (first one with counts wins).
    * ``breakdowns``: lists of shares feeding the breakdowns frame.
    * ``follower_fields``: names of the follower count in ``/analytics/social`` answers.

    >>> from ayr_analysis.platforms import get
    >>> get("youtube").metric_sources["watch_time_s"]
    ('estimatedMinutesWatched',)
    """

    name: str
    fields: tuple[FieldSpec, ...] = ()
    engagement: tuple[str | tuple[str, ...], ...] = ()
    engagement_reason: str = ""
    url_paths: tuple[str, ...] = ("postUrl", "url")
    published_paths: tuple[str, ...] = ("created",)
    media_type_paths: tuple[str, ...] = ("mediaType",)
    text_paths: tuple[str, ...] = ("post", "caption", "text", "title", "description")
    default_media_type: str | None = None
    reaction_paths: tuple[str, ...] = ()
    breakdowns: tuple[BreakdownSpec, ...] = ()
    follower_fields: tuple[str, ...] = ()
    precedence_notes: tuple[str, ...] = ()
    caveats: tuple[Caveat, ...] = ()

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for f in self.fields:
            if f.path in seen:
                raise ValueError(f"{self.name}: field {f.path!r} listed twice")
            seen.add(f.path)
        for entry in self.engagement:
            for m in (entry,) if isinstance(entry, str) else entry:
                if m not in _COUNT_METRICS:
                    raise ValueError(f"{self.name}: engagement metric {m!r} is not a count")

    @cached_property
    def field_map(self) -> dict[str, FieldSpec]:
        """Raw path -> :class:`FieldSpec`, mapped and known-unmapped fields alike."""
        return {f.path: f for f in self.fields}

    @cached_property
    def metric_sources(self) -> dict[str, tuple[str, ...]]:
        """Canonical metric -> raw paths feeding it, in precedence order (first reported wins)."""
        out: dict[str, list[str]] = {}
        for f in self.fields:
            if f.metric is not None:
                out.setdefault(f.metric, []).append(f.path)
        return {m: tuple(p) for m, p in out.items()}

    @cached_property
    def priority(self) -> dict[str, int]:
        """Raw path -> rank among the fields feeding the same metric (0 wins)."""
        return {p: i for paths in self.metric_sources.values() for i, p in enumerate(paths)}

    @cached_property
    def container_paths(self) -> frozenset[str]:
        """Paths that should hold an object (parents of dotted fields, reaction objects)."""
        out: set[str] = set(self.reaction_paths)
        for f in self.fields:
            parts = f.path.split(".")
            out.update(".".join(parts[:i]) for i in range(1, len(parts)))
        return frozenset(out)

    @cached_property
    def engagement_metrics(self) -> tuple[str, ...]:
        """Every canonical metric that can count as an engagement here, flattened."""
        return tuple(m for e in self.engagement for m in ((e,) if isinstance(e, str) else e))

    @cached_property
    def breakdown_map(self) -> dict[str, BreakdownSpec]:
        return {b.path: b for b in self.breakdowns}
