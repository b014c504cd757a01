"""The metrics functions under their earlier module name: everything here is
:mod:`ayr_analysis.analysis` (the one place that computes), re-exported unchanged.

>>> from ayr_analysis import analysis, metrics
>>> metrics.compare is analysis.compare
True
"""

from __future__ import annotations

from .analysis import (
    Comparison,
    at_age,
    best_time_to_post,
    bootstrap_median,
    compare,
    engagement_rate,
    growth,
    growth_curves,
    half_life,
    parse_duration,
    top_posts,
    wilson,
)
from .schema import DEFAULT_AGES, RATE_BASES

__all__ = [
    "DEFAULT_AGES",
    "RATE_BASES",
    "Comparison",
    "at_age",
    "best_time_to_post",
    "bootstrap_median",
    "compare",
    "engagement_rate",
    "growth",
    "growth_curves",
    "half_life",
    "parse_duration",
    "top_posts",
    "wilson",
]
