"""Shared pieces of the analysis layer: post ages, intervals, argument checks, placeholder zeros.

Randomness (bootstrap resamples, posterior draws) comes only from a ``seed`` argument, so every
result is reproducible.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from datetime import timedelta
from statistics import NormalDist
from typing import TypeVar

import polars as pl

_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")
_MAX_CELLS = 4_000_000  # resampled values materialised at once

# --------------------------------------------------------------------------- durations


def parse_duration(value: str | timedelta) -> timedelta:
    """Parse a post age such as ``"24h"``, ``"7d"``, ``"90m"`` or ``"1h30m"``.

    Units: ``w`` (weeks), ``d``, ``h``, ``m`` (minutes), ``s``, largest first, each at most once.

    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)
    >>> parse_duration("24")
    Traceback (most recent call last):
    ...
    ValueError: invalid duration '24': write a number and a unit (w, d, h, m, s), e.g. "24h", "7d", "90m", "1h30m"
    """
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise ValueError(f"duration {value} is negative: post ages start at 0")
        return value
    if not isinstance(value, str):
        raise TypeError(f"a duration is a string like '24h' or a timedelta, got {value!r}")
    text = value.strip().lower().replace(" ", "")
    hint = 'write a number and a unit (w, d, h, m, s), e.g. "24h", "7d", "90m", "1h30m"'
    parts = _DURATION_PART.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"invalid duration {value!r}: {hint}")
    units = [u for _, u in parts]
    order = list(_SECONDS)
    if len(set(units)) != len(units) or units != sorted(units, key=order.index):
        raise ValueError(f"invalid duration {value!r}: give each unit once, largest first ({hint})")
    return timedelta(seconds=sum(float(n) * _SECONDS[u] for n, u in parts))


def age_label(value: str | timedelta) -> str:
    if isinstance(value, str):
        return value.strip()
    secs = int(value.total_seconds())
    out = ""
    for unit, size in _SECONDS.items():
        if secs >= size:
            out += f"{secs // size}{unit}"
            secs %= size
    return out or "0s"


# --------------------------------------------------------------------------- intervals


def z_score(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(successes: float, trials: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``successes / trials``.

    >>> tuple(round(x, 4) for x in wilson(20, 100))
    (0.1334, 0.2888)
    """
    z = z_score(confidence)
    if trials is None or successes is None:
        raise ValueError("wilson() needs numbers, not null: a missing count has no interval")
    if trials <= 0:
        raise ValueError(f"trials must be positive, got {trials!r}")
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and trials ({trials}), got {successes!r}")
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return (low, high)


def wilson_exprs(s: pl.Expr, n: pl.Expr, confidence: float) -> tuple[pl.Expr, pl.Expr]:
    z = z_score(confidence)
    p = s / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * (p * (1 - p) / n + z * z / (4 * n * n)).sqrt() / denom
    ok = (n > 0) & (s >= 0) & (s <= n)
    low = pl.when(ok & (s == 0)).then(0.0).when(ok).then(pl.max_horizontal(centre - half, 0.0))
    high = pl.when(ok & (s == n)).then(1.0).when(ok).then(pl.min_horizontal(centre + half, 1.0))
    return low, high


def seed_for(seed: int, label: object) -> int:
    digest = hashlib.sha256(f"{seed}:{label}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % (2**63)


def resampled(values: pl.Series, stat: str, n_resamples: int, seed: int) -> pl.Series:
    """``n_resamples`` bootstrap statistics of ``values`` (nulls already dropped)."""
    n = values.len()
    if n == 0:
        return pl.Series("stat", [], dtype=pl.Float64)
    values = values.cast(pl.Float64)
    per_chunk = max(1, _MAX_CELLS // n)
    out: list[pl.Series] = []
    done = 0
    chunk = 0
    while done < n_resamples:
        k = min(per_chunk, n_resamples - done)
        drawn = values.sample(n * k, with_replacement=True, seed=seed_for(seed, f"chunk{chunk}"))
        frame = pl.DataFrame({"v": drawn, "r": pl.int_range(n * k, eager=True) // n})
        agg = getattr(pl.col("v"), stat)()
        out.append(frame.group_by("r").agg(agg.alias("stat")).sort("r")["stat"])
        done += k
        chunk += 1
    return pl.concat(out)


def percentile_interval(stats: pl.Series, confidence: float) -> tuple[float | None, float | None]:
    z_score(confidence)
    if stats.len() == 0:
        return (None, None)
    alpha = (1 - confidence) / 2
    return (
        stats.quantile(alpha, interpolation="linear"),
        stats.quantile(1 - alpha, interpolation="linear"),
    )


def bootstrap_median(
    values: Iterable[float | None] | pl.Series,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval for the median (nulls are dropped, not zeroed).

    Deterministic for a given ``seed``; ``(None, None)`` when there is no value.

    >>> low, high = bootstrap_median([3, 5, 8, 9, 12, 15, 40], seed=1)
    >>> low <= 9 <= high
    True
    >>> bootstrap_median([None, None])
    (None, None)
    """
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    s = values if isinstance(values, pl.Series) else pl.Series("v", list(values), strict=False)
    s = s.drop_nulls().cast(pl.Float64).drop_nans()
    return percentile_interval(resampled(s, "median", n_resamples, seed), confidence)


# --------------------------------------------------------------------------- frames and arguments


def eager(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """``frame`` as a DataFrame (a LazyFrame is collected); anything else is a TypeError."""
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if not isinstance(frame, pl.DataFrame):
        raise TypeError(f"expected a polars DataFrame, got {type(frame).__name__}")
    return frame


def need(
    frame: pl.DataFrame | pl.LazyFrame | Sequence[str], columns: Iterable[str], what: str
) -> None:
    """A clear ValueError when ``frame`` (a frame, or its column names) lacks any of ``columns``."""
    if isinstance(frame, pl.LazyFrame):
        have = frame.collect_schema().names()
    elif isinstance(frame, pl.DataFrame):
        have = frame.columns
    else:
        have = list(frame)
    missing = [c for c in columns if c not in have]
    if missing:
        raise ValueError(f"{what} needs column(s) {missing}; the frame has {have}")


def group_list(group_by: str | Sequence[str] | None) -> list[str]:
    """``group_by`` as a list of column names (``None``: no groups)."""
    if group_by is None:
        return []
    return [group_by] if isinstance(group_by, str) else list(group_by)


def age_text(at_age: str | timedelta | None) -> str:
    """The ``age`` a result is labelled with: ``"latest"``, or the age asked for (``"24h"``)."""
    return "latest" if at_age is None else age_label(at_age)


def is_demo(frame: pl.DataFrame | pl.LazyFrame | None) -> bool:
    """Whether ``frame`` holds demo rows (a ``source`` column saying ``"demo"``); a LazyFrame
    reads that column alone."""
    if isinstance(frame, pl.LazyFrame):
        if "source" not in frame.collect_schema().names():
            return False
        return bool(frame.select((pl.col("source") == "demo").any()).collect().item())
    return (
        frame is not None and "source" in frame.columns and bool((frame["source"] == "demo").any())
    )


# --------------------------------------------------------------------------- placeholder zeros

#: Caveat codes whose snapshots carry placeholder zeros: the network has not reported the numbers
#: yet, so a 0 on such a snapshot is not an observation and counts as not reported (null) in
#: every analysis (medians, ranks, sums, rates, comparisons, curves, forecasts); a post whose value
#: is missing for that reason has the status ``not_reported_yet`` and this reason in words. A 0 on
#: a snapshot without such a code is a reported 0, and stays 0.
PLACEHOLDER_CAVEATS: dict[str, str] = {
    "youtube_processing": "numbers not reported yet: YouTube is still processing this video",
}

_CODES = pl.List(pl.String)
_F = TypeVar("_F", pl.DataFrame, pl.LazyFrame)


def has_caveats(frame: pl.DataFrame | pl.LazyFrame) -> bool:
    """Whether ``frame`` has a ``caveats`` column of lists (codes per snapshot)."""
    schema = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
    return "caveats" in schema and isinstance(schema["caveats"], pl.List)


def pending(caveats: str | pl.Expr = "caveats") -> pl.Expr:
    """True where the codes in ``caveats`` (a list column) hold a :data:`PLACEHOLDER_CAVEATS`
    code; a null list is False."""
    codes = (pl.col(caveats) if isinstance(caveats, str) else caveats).cast(_CODES)
    return pl.any_horizontal(
        codes.list.contains(code).fill_null(False) for code in PLACEHOLDER_CAVEATS
    )


def placeholder(frame: pl.DataFrame | pl.LazyFrame) -> pl.Expr:
    """True on the snapshots of ``frame`` that carry a :data:`PLACEHOLDER_CAVEATS` code (False
    everywhere when ``frame`` has no ``caveats`` column)."""
    return pending() if has_caveats(frame) else pl.lit(False)


def placeholder_zero(frame: pl.DataFrame | pl.LazyFrame, metric: str) -> pl.Expr:
    """True where ``metric`` is a placeholder 0: a 0 on a snapshot carrying a
    :data:`PLACEHOLDER_CAVEATS` code."""
    return (pl.col(metric) == 0).fill_null(False) & placeholder(frame)


def without_placeholders(frame: _F, metrics: str | Iterable[str]) -> _F:
    """``frame`` with each of ``metrics`` null where it is a placeholder 0 (a 0 on a snapshot
    carrying a :data:`PLACEHOLDER_CAVEATS` code, e.g. a YouTube video still processing): not
    reported, not a 0. Every analysis reads metric values through this before any median, rank,
    sum, rate or comparison; a 0 on any other snapshot stays 0.

    >>> import polars as pl
    >>> f = pl.DataFrame({"likes": [0, 0, 7], "caveats": [["youtube_processing"], [], []]})
    >>> without_placeholders(f, "likes")["likes"].to_list()
    [None, 0, 7]
    """
    if not has_caveats(frame):
        return frame
    names = [metrics] if isinstance(metrics, str) else list(dict.fromkeys(metrics))
    schema = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
    names = [m for m in names if m in schema and schema[m].is_numeric()]
    if not names:
        return frame
    return frame.with_columns(
        pl.when(placeholder_zero(frame, m))
        .then(pl.lit(None, schema[m]))
        .otherwise(pl.col(m))
        .alias(m)
        for m in names
    )
