"""Reactions by type per network (Facebook, LinkedIn)."""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from .. import analysis
from ..schema import POST_KEY
from ._base import (
    _axis_format,
    _data,
    _empty,
    _platform_order,
    _require,
    _title,
    _unwrap,
)

_RESULT = ("platform", "reaction", "total", "share", "rank")


def reactions_by_type(
    reactions: Any,
    *,
    mode: str = "stacked",
    demo: bool | None = None,
) -> alt.Chart:
    """Reactions by type per network as ``"stacked"``, ``"grouped"`` or ``"normalized"`` (share
    of the network's reactions) bars.

    ``reactions`` is the result of ``analysis.reactions_by_type(frame)``, or the reactions
    frame (or ``AnalyticsFrames``), for which that function is called: each post's latest
    observation, summed per network. Each network's label gives its ``n`` (posts with reactions
    reported).

    >>> import polars as pl
    >>> from ayr_analysis import schema
    >>> r = pl.DataFrame([{"post_id": "p", "platform": "facebook", "reaction": "love",
    ...                    "count": 4}], schema=schema.REACTIONS_SCHEMA)
    >>> spec = reactions_by_type(r).to_dict()
    >>> spec["encoding"]["color"]["field"], spec["encoding"]["x"]["sort"]
    ('reaction', ['facebook (n=1)'])
    """
    helper = "reactions_by_type"
    if mode not in ("stacked", "grouped", "normalized"):
        raise ValueError(
            f"{helper}(): mode must be 'stacked', 'grouped' or 'normalized', not {mode!r}"
        )
    frame, demo_ = _unwrap(reactions, "reactions", demo, helper)
    if set(_RESULT) <= set(frame.columns):
        agg = frame
    else:
        _require(frame, [*POST_KEY, "reaction", "count"], helper)
        agg = analysis.reactions_by_type(frame)
    title = "Reactions by type per network (count)"
    notes = [
        "each post's latest observation, summed per network; n = posts with reactions reported"
    ]
    if agg.is_empty():
        return _empty(title, demo_, notes)
    reaction_order = list(dict.fromkeys(agg.sort("rank", "reaction")["reaction"].to_list()))
    n_text = (
        pl.format("{} (n={})", pl.col("platform"), pl.col("network_posts"))
        if "network_posts" in agg.columns
        else pl.col("platform")
    )
    agg = agg.with_columns(n_text.alias("network")).sort("platform", "rank")
    platforms = sorted(agg["platform"].unique().to_list(), key=_platform_order)
    networks = [
        agg.filter(pl.col("platform") == p)["network"][0] for p in platforms
    ]  # labels in network order
    normalized = mode == "normalized"
    y = alt.Y(
        "total:Q",
        title="Share of the network's reactions (%)" if normalized else "Reactions (count)",
        stack="normalize" if normalized else (None if mode == "grouped" else "zero"),
        axis=alt.Axis(**_axis_format(normalized)),
    )
    enc: dict[str, Any] = {
        "x": alt.X("network:N", sort=networks, title="Network", axis=alt.Axis(labelAngle=0)),
        "y": y,
        "color": alt.Color(
            "reaction:N",
            sort=reaction_order,
            scale=alt.Scale(domain=reaction_order, scheme="tableau20"),
            title="Reaction",
        ),
        "order": alt.Order("rank:Q"),
        "tooltip": [
            alt.Tooltip("platform:N", title="Network"),
            alt.Tooltip("reaction:N", title="Reaction"),
            alt.Tooltip("total:Q", title="Reactions (count)", format=",d"),
            alt.Tooltip("share:Q", title="Share of the network's reactions", format=".1%"),
            alt.Tooltip("posts:Q", title="Posts reporting it", format=",d"),
        ],
    }
    if mode == "grouped":
        enc["xOffset"] = alt.XOffset("reaction:N", sort=reaction_order)
    return (
        alt.Chart(_data(agg))
        .mark_bar()
        .encode(**enc)
        .properties(
            title=_title(title, demo_, notes),
            width=alt.Step(22 if mode == "grouped" else 110),
            height=280,
        )
    )
