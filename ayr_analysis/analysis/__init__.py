"""The analysis layer: the only place that computes.

Selection (the unit of analysis, the latest observation, values at an equal age), rates, growth,
comparisons, rankings, timing, expected performance (typical curves, a performance index,
forecasts, their backtest and alerts), the funnel of each network, reactions by type and video
retention. Every function takes polars frames (a wide frame, or snapshots
from a :class:`~ayr_analysis.store.SnapshotStore`) and returns tidy frames (or a small result
object of frames) that carry their own ``n``, ``unit``, ``metric``, ``age`` and what was left out
(``excluded``, ``why_excluded``). Charts draw these results; reports and the dashboard show them.

The unit of analysis is a post on one network, an X thread counted once: see
:mod:`ayr_analysis.analysis.selection` and ``docs/METRICS.md``.
"""

from __future__ import annotations

from ._base import PLACEHOLDER_CAVEATS, bootstrap_median, parse_duration, wilson
from .comparison import (
    AnalysisWarning,
    Comparison,
    campaign_summary,
    compare,
    network_mix,
    relative_values,
)
from .expected import (
    BANDS,
    INDEX_STATUSES,
    INTERCEPTS,
    Backtest,
    Outlooks,
    PostOutlook,
    alerts,
    backtest,
    for_posts,
    forecast,
    index_distribution,
    outlooks,
    performance_index,
    post_outlook,
    typical_curves,
)
from .funnel import FUNNEL_STAGES, funnel
from .growth import GROWTH_AGES, GrowthCurves, growth, growth_curves, half_life
from .posts import posts_per_group, recent_posts, widest_post
from .rankings import distribution, network_summary, post_label, top_posts
from .rates import engagement_rate, followers_by_network, rate_definitions
from .reactions import reactions_by_type
from .selection import (
    ABSENCES,
    at_age,
    bracketing,
    caveat_counts,
    describe_exclusions,
    exclusions,
    latest,
    units,
    values,
)
from .timing import WEEKDAYS, best_time_to_post, local_timezone, time_exclusions
from .video import COMPLETION_MEASURES, PLAYBACK_FIELDS, VideoRetention, video_retention

__all__ = [
    "BANDS",
    "INDEX_STATUSES",
    "INTERCEPTS",
    "PLACEHOLDER_CAVEATS",
    "Backtest",
    "Outlooks",
    "PostOutlook",
    "alerts",
    "backtest",
    "for_posts",
    "forecast",
    "index_distribution",
    "outlooks",
    "performance_index",
    "post_outlook",
    "typical_curves",
    "ABSENCES",
    "COMPLETION_MEASURES",
    "FUNNEL_STAGES",
    "GROWTH_AGES",
    "PLAYBACK_FIELDS",
    "WEEKDAYS",
    "AnalysisWarning",
    "Comparison",
    "GrowthCurves",
    "VideoRetention",
    "at_age",
    "bracketing",
    "best_time_to_post",
    "bootstrap_median",
    "campaign_summary",
    "caveat_counts",
    "compare",
    "describe_exclusions",
    "distribution",
    "engagement_rate",
    "exclusions",
    "followers_by_network",
    "funnel",
    "growth",
    "growth_curves",
    "half_life",
    "latest",
    "local_timezone",
    "network_mix",
    "network_summary",
    "parse_duration",
    "post_label",
    "posts_per_group",
    "recent_posts",
    "reactions_by_type",
    "rate_definitions",
    "relative_values",
    "time_exclusions",
    "top_posts",
    "units",
    "values",
    "widest_post",
    "video_retention",
    "wilson",
]
