"""Altair chart helpers: analysis results in, an Altair chart out. They draw; they do not compute.

Every helper takes the result of the matching :mod:`ayr_analysis.analysis` function (a
distribution, :class:`~ayr_analysis.analysis.GrowthCurves`,
:class:`~ayr_analysis.analysis.Comparison`, top posts, best-time cells, the funnel, reactions,
:class:`~ayr_analysis.analysis.VideoRetention`, the network mix) and draws it. For convenience each
also accepts the frames those functions read (a wide frame, snapshots, or an ``AnalyticsFrames``
holding them) and then calls the analysis function itself, so a chart and a table made from the
same data always agree. Nothing is displayed or written here; :func:`save_chart` writes a chart to
``.png``, ``.svg`` or ``.html``.

Rules every helper keeps:

* ``null`` means *not reported*: such values are left out and named with the reason (not reported
  by the network, no snapshot near the age asked for...), never drawn as zero.
* The unit is stated: a post on a network, an X thread counted once; every group says its ``n``.
* Each network has one colour everywhere (:data:`PLATFORM_COLORS`, through an explicit scale);
  legends list only the networks present.
* Titles and axes say the metric and its unit (:data:`METRIC_LABELS`); counts read as integers,
  rates and fractions (stored as 0-1) as percentages, other values to 3 significant figures.
* Charts built from demo data carry the subtitle ``"demo data: simulated numbers"``. Pass
  ``demo=True``, or pass an object with ``.source == "demo"`` (``AnalyticsFrames``), a frame with
  a ``source`` column holding ``"demo"``, or an analysis result made from demo data. A demo source
  cannot be turned off by ``demo=False``.
* At most :data:`MAX_ROWS` rows are embedded per dataset: per-post detail layers are thinned (and
  said so) when they would exceed it.
* An empty input gives a chart whose title says "no data".

The ``ayr`` theme is registered when this module is imported, but only :func:`use_theme` enables
it.

>>> import polars as pl
>>> from ayr_analysis import analysis, schema
>>> from ayr_analysis.charts import platform_comparison
>>> wide = pl.DataFrame(
...     [{"post_id": "p1", "platform": "facebook", "likes": 3},
...      {"post_id": "p2", "platform": "instagram", "likes": 10}],
...     schema=schema.WIDE_SCHEMA,
... )
>>> chart = platform_comparison(analysis.distribution(wide, "likes", by="platform"))
>>> chart.to_dict()["title"]["text"]
'Median likes per post by network'
>>> platform_comparison(wide, "likes").to_dict() == chart.to_dict()
True
"""

from __future__ import annotations

from ._base import (
    DEMO_SUBTITLE,
    MAX_ROWS,
    METRIC_LABELS,
    NOT_REPORTED,
    PLATFORM_COLORS,
    WEEKDAYS,
    _register_theme,
    metric_title,
    platform_scale,
    use_theme,
    value_format,
)
from ._campaigns import campaign_comparison
from ._expected import backtest_errors, expected_curve, index_distribution
from ._export import chart_to_image, save_chart
from ._funnel import FUNNEL_STAGES, funnel
from ._growth import growth_curves
from ._platforms import network_mix, platform_comparison
from ._posts import top_posts
from ._reactions import reactions_by_type
from ._timing import best_time_heatmap
from ._video import PLAYBACK_FIELDS, video_retention

_register_theme()

__all__ = [
    "DEMO_SUBTITLE",
    "FUNNEL_STAGES",
    "MAX_ROWS",
    "METRIC_LABELS",
    "NOT_REPORTED",
    "PLATFORM_COLORS",
    "PLAYBACK_FIELDS",
    "WEEKDAYS",
    "backtest_errors",
    "best_time_heatmap",
    "campaign_comparison",
    "chart_to_image",
    "expected_curve",
    "funnel",
    "growth_curves",
    "index_distribution",
    "metric_title",
    "network_mix",
    "platform_comparison",
    "platform_scale",
    "reactions_by_type",
    "save_chart",
    "top_posts",
    "use_theme",
    "value_format",
    "video_retention",
]
