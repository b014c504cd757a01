"""Comparisons of groups (campaigns, networks, media types), with intervals and P(A beats B).

Like is compared with like: posts are taken at the same age, and a comparison can be made
``within`` each network (campaign A against campaign B on TikTok, on YouTube, ...) or on a measure
that does not reward a group for its network mix (``relative_to="platform"``: each post's value
divided by the median of its network's posts at that age, so 1.0 is a typical post of that
network). Groups without data get no rank and a warning.
"""

from __future__ import annotations

import random
import warnings
from dataclasses import dataclass, field
from datetime import timedelta

import polars as pl

from ..schema import POST_KEY
from ._base import (
    age_label,
    eager,
    is_demo,
    need,
    percentile_interval,
    resampled,
    seed_for,
    wilson_exprs,
)
from .selection import Fill, Unit, exclusions, values, with_caveats

__all__ = [
    "AnalysisWarning",
    "Comparison",
    "campaign_summary",
    "compare",
    "network_mix",
    "relative_values",
]


class AnalysisWarning(UserWarning):
    """Something in a result the reader must know: a group left without data, a thin cell."""


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare`.

    ``table``: one row per group (and ``within`` stratum): ``group``, ``rank`` (null for a group
    without data), ``n`` (posts counted), ``excluded``, ``why_excluded``, ``estimate``, ``low``,
    ``high`` (and for pooled rates ``numerator``/``denominator``), then ``metric``, ``age``,
    ``unit``, ``caveats`` and ``caveat_posts`` (the caveat codes of the group's posts and how
    many posts carry each); best first. ``beats``: ``group_a``, ``group_b``, ``p_a_beats_b`` for every ordered
    pair (within a stratum). ``method``: how the estimates, intervals and probabilities were
    made. ``label``: what the estimate is, in words, for titles and axes. ``without_data``: with
    ``within``, one row per stratum where no group has a post counted (e.g. YouTube at 24 h,
    every video still processing): the stratum, its ``groups``, ``posts`` (all left out),
    ``not_reported_yet`` (how many of them carry placeholder zeros: see
    :data:`~ayr_analysis.analysis.PLACEHOLDER_CAVEATS`), ``why_excluded`` and ``note``, the
    reason in words to show instead of an empty axis.
    """

    table: pl.DataFrame
    beats: pl.DataFrame
    metric: str
    at_age: str | None
    method: str
    label: str = ""
    unit: str = "post"
    within: str | None = None
    demo: bool = False
    without_data: pl.DataFrame = field(default_factory=lambda: _without_data_schema(None))

    def matrix(self, stratum: str | None = None) -> pl.DataFrame:
        """P(row group beats column group) as a square frame (diagonal null); with ``within``,
        for one ``stratum`` (e.g. ``"tiktok"``)."""
        table, beats = self.table, self.beats
        if self.within is not None:
            if stratum is None:
                raise ValueError(f"this comparison is within {self.within}: pass stratum=...")
            table = table.filter(pl.col(self.within) == stratum)
            beats = beats.filter(pl.col(self.within) == stratum)
        order = table["group"].to_list()
        wide = beats.pivot(on="group_b", index="group_a", values="p_a_beats_b")
        if wide.is_empty():
            wide = pl.DataFrame({"group_a": order}, schema={"group_a": pl.String})
        for g in order:
            if g not in wide.columns:
                wide = wide.with_columns(pl.lit(None, pl.Float64).alias(g))
        rank = {g: i for i, g in enumerate(order)}
        return (
            wide.filter(pl.col("group_a").is_in(order))
            .with_columns(
                pl.col("group_a").replace_strict(rank, return_dtype=pl.Int64).alias("__o")
            )
            .sort("__o")
            .select("group_a", *order)
        )

    def __repr__(self) -> str:
        return (
            f"Comparison({self.metric!r} at {self.at_age or 'latest'}; {self.method})\n{self.table}"
        )


def relative_values(vals: pl.DataFrame, relative_to: str = "platform") -> pl.DataFrame:
    """``vals`` (from :func:`~.selection.values`) with each ``value`` divided by the median value
    of its ``relative_to`` group (e.g. its network): 1.0 is that network's median post. Adds
    ``reference`` (the median divided by). A group whose median is 0 gives null (status
    ``zero_reference``).

    >>> import polars as pl
    >>> from .selection import values
    >>> f = pl.DataFrame({"post_id": list("abcd"), "platform": ["x", "x", "y", "y"],
    ...                   "likes": [10, 30, 1000, 3000]})
    >>> relative_values(values(f, "likes"))["value"].to_list()
    [0.5, 1.5, 0.5, 1.5]
    """
    need(vals, [relative_to, "value", "status"], "relative_values")
    ok = pl.col("status") == "reported"
    reference = pl.col("value").filter(ok).median().over(relative_to)
    out = vals.with_columns(reference.alias("reference"))
    status = (
        pl.when(ok & (pl.col("reference") <= 0))
        .then(pl.lit("zero_reference"))
        .otherwise(pl.col("status"))
    )
    return out.with_columns(status.alias("status")).with_columns(
        pl.when(pl.col("status") == "reported")
        .then(pl.col("value") / pl.col("reference"))
        .alias("value")
    )


def compare(
    frame: pl.DataFrame | pl.LazyFrame,
    by: str = "campaign",
    metric: str = "engagement_rate",
    at_age: str | timedelta | None = "24h",
    rate_by: str = "impressions",
    seed: int = 0,
    *,
    within: str | None = None,
    relative_to: str | None = None,
    numerator: str = "engagements",
    followers: pl.DataFrame | str | None = None,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    unit: Unit = "post",
    demo: bool | None = None,
    fill: Fill = "last_reported",
) -> Comparison:
    """Compare groups of posts (campaigns, networks, media types) on one metric, honestly.

    Posts are first taken at the same age (``at_age``, interpolated; ``None`` = latest;
    ``fill``: what to do when a network stopped reporting a field, as in
    :func:`~.selection.values`).

    * ``metric="engagement_rate"`` (and no ``relative_to``): the estimate is the pooled rate
      (sum of ``numerator`` / sum of ``rate_by``) with a Wilson interval; P(A beats B) comes
      from Beta posteriors Beta(1 + engagements, 1 + base - engagements) per group,
      ``n_resamples`` draws each. This treats every impression as an independent trial, so with
      very large counts the intervals are narrow; compare with ``engagement_rate(form="mean")``
      when posts vary a lot.
    * any count column (``likes``, ``views``, ...): the estimate is the median per post, with a
      percentile bootstrap interval; P(A beats B) is the share of paired bootstrap resamples
      where A's median is above B's (ties count half).
    * ``within="platform"``: groups are compared inside each network (one ranking per network).
    * ``relative_to="platform"``: each post's value is divided by the median of its network's
      posts first (see :func:`relative_values`), so a group gains nothing from running on
      networks with bigger numbers; the estimate is then the median of that index.

    Groups are ranked by the lower bound of their interval (a group must be credibly good to rank
    high). A group with no post counted gets no rank (null) and an :class:`AnalysisWarning`.
    Posts with a null group are labelled ``"(none)"``. Deterministic for a ``seed``.

    >>> import polars as pl
    >>> f = pl.DataFrame({"post_id": list("abcdef"), "platform": ["tiktok"] * 6,
    ...     "campaign": ["A", "A", "A", "B", "B", "B"],
    ...     "engagements": [90, 110, 100, 10, 12, 8], "impressions": [1000] * 6})
    >>> c = compare(f, at_age=None)
    >>> c.table.select("group", "rank", "estimate").rows()
    [('A', 1, 0.1), ('B', 2, 0.01)]
    >>> round(c.beats.filter(pl.col("group_a") == "A")["p_a_beats_b"].item(), 3)
    1.0
    """
    if not isinstance(frame, pl.LazyFrame):  # a LazyFrame is read by values(): only what it needs
        frame = eager(frame)
    need(frame, [by] + ([within] if within else []), "compare")
    if relative_to is not None:
        need(frame, [relative_to], "compare(relative_to=...)")
    vals = values(
        frame, metric, at_age, rate_by=rate_by, numerator=numerator, followers=followers,
        unit=unit, fill=fill,
    )  # fmt: skip
    if relative_to is not None:
        vals = relative_values(vals, relative_to)
    vals = vals.with_columns(pl.col(by).cast(pl.String).fill_null("(none)").alias("group"))
    strata = [within] if within else []
    pooled = metric == "engagement_rate" and relative_to is None
    age = age_label(at_age) if at_age is not None else None
    tables, pairs = [], []
    parts = vals.partition_by(strata, as_dict=True) if strata else {(): vals}
    for key, part in parts.items():
        table, draws = (_pooled if pooled else _medians)(
            part, seed=seed, confidence=confidence, n_resamples=n_resamples, salt=key
        )
        table = _rank(table)
        for s, v in zip(strata, key, strict=True):
            table = table.with_columns(pl.lit(v).alias(s))
        tables.append(table)
        pairs += _beats(table["group"].to_list(), draws, dict(zip(strata, key, strict=True)))
    if tables:
        table = pl.concat(tables, how="diagonal_relaxed")
    else:  # nothing to compare: the empty table still has every column, strata included
        table = _rank(_medians(vals.clear())[0]).with_columns(
            pl.lit(None, vals.schema[s]).alias(s) for s in strata
        )
    cols = [*strata, "group", "rank", "n", "excluded", "why_excluded"]
    cols += ["numerator", "denominator"] if pooled else []
    table = table.select(*cols, "estimate", "low", "high").with_columns(
        pl.lit(metric).alias("metric"),
        pl.lit(age or "latest").alias("age"),
        pl.lit(unit).alias("unit"),
    )
    table = with_caveats(table, vals, [*strata, "group"])
    if strata:
        table = table.sort(within, pl.col("rank"), nulls_last=True, maintain_order=True)
    beats_schema = {s: pl.String for s in strata} | {
        "group_a": pl.String,
        "group_b": pl.String,
        "p_a_beats_b": pl.Float64,
    }
    beats = pl.DataFrame(pairs, schema=beats_schema)
    empty = table.filter(pl.col("n") == 0)
    if empty.height:
        where = (
            ", ".join(f"{g} ({s})" for g, s in zip(empty["group"], empty[within], strict=True))
            if within
            else ", ".join(empty["group"])
        )
        warnings.warn(
            f"no post counted for {where} ({metric} at {age or 'latest'}): not ranked; see "
            "why_excluded in the table",
            AnalysisWarning,
            stacklevel=2,
        )
    method = _method(
        metric, pooled, relative_to, within, numerator, rate_by, confidence, n_resamples
    )
    label = _label(metric, age, relative_to, rate_by, pooled)
    shown_demo = demo if demo is not None else is_demo(frame)
    return Comparison(
        table=table, beats=beats, metric=metric, at_age=age, method=method, label=label,
        unit=unit, within=within, demo=shown_demo,
        without_data=_without_data(vals, within, age or "latest"),
    )  # fmt: skip


def _without_data_schema(within: str | None) -> pl.DataFrame:
    return pl.DataFrame(
        schema={**({within: pl.String} if within else {}), "groups": pl.List(pl.String),
                "posts": pl.Int64,
                "not_reported_yet": pl.Int64, "why_excluded": pl.String, "note": pl.String}
    )  # fmt: skip


def _without_data(vals: pl.DataFrame, within: str | None, age: str) -> pl.DataFrame:
    """The strata of ``vals`` (by ``within``) where no post has a value, with the reason in
    words (see :attr:`Comparison.without_data`)."""
    if within is None or vals.is_empty():
        return _without_data_schema(within)
    counted = exclusions(vals, [within]).filter(pl.col("n") == 0)
    names = vals.group_by(within).agg(pl.col("group").unique().sort().alias("groups"))
    yet = (
        vals.filter(pl.col("status") == "not_reported_yet")
        .group_by(within)
        .agg(pl.len().cast(pl.Int64).alias("not_reported_yet"))
    )
    at = f"at post age {age}" if age != "latest" else "in the latest snapshots"
    out = (
        counted.join(yet, on=within, how="left", nulls_equal=True).join(
            names, on=within, how="left", nulls_equal=True
        )
    ).with_columns(
        pl.col("not_reported_yet").fill_null(0),
        pl.col("excluded").alias("posts"),
        pl.col(within).cast(pl.String),
    )
    everyone = pl.col("not_reported_yet") == pl.col("posts")
    note = (
        pl.when(everyone)
        .then(
            pl.format(
                "{}: not reported yet {}, all {} posts still processing (their 0s are "
                "placeholders, not values)",
                pl.col("groups").list.join(", "),
                pl.lit(at),
                pl.col("posts"),
            )
        )
        .otherwise(
            pl.format(
                "{}: no post counted {} ({})",
                pl.col("groups").list.join(", "),
                pl.lit(at),
                pl.col("why_excluded"),
            )
        )
    )
    return (
        out.with_columns(note.alias("note"))
        .select(within, "groups", "posts", "not_reported_yet", "why_excluded", "note")
        .sort(within)
    )


def _label(
    metric: str, age: str | None, relative_to: str | None, rate_by: str, pooled: bool
) -> str:
    at = f" at post age {age}" if age else ", latest values"
    if relative_to:
        return f"{metric}{at}, relative to the {relative_to}'s median post (1 = typical)"
    if pooled:
        return f"engagement rate per {rate_by}{at} (pooled)"
    return f"{metric}{at} (median per post)"


def _method(
    metric: str,
    pooled: bool,
    relative_to: str | None,
    within: str | None,
    numerator: str,
    rate_by: str,
    confidence: float,
    n_resamples: int,
) -> str:
    if pooled:
        text = (
            f"{numerator} / {rate_by} pooled per group (ratio of sums); Wilson "
            f"{confidence:.0%} interval; P(A beats B) from Beta(1+s, 1+n-s) posterior draws"
        )
    else:
        what = f"{metric} / the median post of its {relative_to}" if relative_to else metric
        text = (
            f"median {what} per post; percentile bootstrap {confidence:.0%} interval "
            f"({n_resamples} resamples); P(A beats B) from paired bootstrap medians"
        )
    return text + (f"; groups compared within each {within}" if within else "")


def _pooled(
    vals: pl.DataFrame, *, seed: int, confidence: float, n_resamples: int, salt: object = ()
) -> tuple[pl.DataFrame, dict[str, list[float]]]:
    counted = exclusions(vals, ["group"])
    ok = pl.col("status") == "reported"
    sums = vals.group_by("group").agg(
        pl.col("numerator").filter(ok).sum().cast(pl.Float64).alias("numerator"),
        pl.col("denominator").filter(ok).sum().cast(pl.Float64).alias("denominator"),
    )
    agg = counted.join(sums, on="group", how="left")
    low, high = wilson_exprs(pl.col("numerator"), pl.col("denominator"), confidence)
    has = pl.col("n") > 0
    agg = agg.with_columns(
        pl.when(has).then(pl.col("numerator") / pl.col("denominator")).alias("estimate"),
        pl.when(has).then(low).alias("low"),
        pl.when(has).then(high).alias("high"),
        pl.when(has).then(pl.col("numerator")).alias("numerator"),
        pl.when(has).then(pl.col("denominator")).alias("denominator"),
    )
    draws: dict[str, list[float]] = {}
    for g, n, s, t in agg.select("group", "n", "numerator", "denominator").iter_rows():
        if n and t and 0 <= s <= t:
            rng = random.Random(seed_for(seed, (salt, g) if salt else g))
            draws[g] = [rng.betavariate(1 + s, 1 + t - s) for _ in range(n_resamples)]
    return agg, draws


def _medians(
    vals: pl.DataFrame,
    *,
    seed: int = 0,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    salt: object = (),
) -> tuple[pl.DataFrame, dict[str, list[float]]]:
    counted = exclusions(vals, ["group"]) if vals.height else None
    draws: dict[str, list[float]] = {}
    rows = []
    groups = counted["group"].to_list() if counted is not None else []
    for g in groups:
        ok = vals.filter((pl.col("group") == g) & (pl.col("status") == "reported"))["value"]
        ok = ok.drop_nulls().drop_nans()
        stats = resampled(ok, "median", n_resamples, seed_for(seed, (salt, g) if salt else g))
        lo, hi = percentile_interval(stats, confidence)
        if stats.len():
            draws[g] = stats.to_list()
        rows.append(
            {"group": g, "estimate": ok.median() if ok.len() else None, "low": lo, "high": hi}
        )
    est = pl.DataFrame(
        rows,
        schema={"group": pl.String, "estimate": pl.Float64, "low": pl.Float64, "high": pl.Float64},
    )
    if counted is None:
        counted = pl.DataFrame(
            schema={
                "group": pl.String,
                "n": pl.Int64,
                "excluded": pl.Int64,
                "why_excluded": pl.String,
            }
        )
    return counted.join(est, on="group", how="left"), draws


def _rank(table: pl.DataFrame) -> pl.DataFrame:
    """Rank groups with data by the lower bound, then the estimate, then the name; no rank for
    a group without data."""
    has = table.filter(pl.col("n") > 0).sort(
        ["low", "estimate", "group"], descending=[True, True, False], nulls_last=True
    )
    has = has.with_row_index("rank", offset=1).with_columns(pl.col("rank").cast(pl.Int64))
    none = (
        table.filter(pl.col("n") == 0)
        .sort("group")
        .with_columns(pl.lit(None, pl.Int64).alias("rank"))
    )
    return pl.concat([has, none.select(has.columns)])


def _beats(
    order: list[str], draws: dict[str, list[float]], stratum: dict[str, object]
) -> list[dict[str, object]]:
    pairs = []
    for a in order:
        for b in order:
            if a == b:
                continue
            p = None
            if a in draws and b in draws:
                da, db = draws[a], draws[b]
                wins = sum((x > y) + 0.5 * (x == y) for x, y in zip(da, db, strict=True))
                p = wins / len(da)
            pairs.append({**stratum, "group_a": a, "group_b": b, "p_a_beats_b": p})
    return pairs


# --------------------------------------------------------------------------- the mix of networks


def network_mix(frame: pl.DataFrame | pl.LazyFrame, by: str = "campaign") -> pl.DataFrame:
    """Posts per ``by`` group and network (a post on a network counted once, an X thread once),
    with each network's share of the group's posts.

    >>> import polars as pl
    >>> f = pl.DataFrame({"post_id": ["a", "a", "b"], "platform": ["x", "y", "x"],
    ...                   "campaign": ["c", "c", "c"]})
    >>> network_mix(f).rows()
    [('c', 'x', 2, 0.6666666666666666), ('c', 'y', 1, 0.3333333333333333)]
    """
    frame = eager(frame)
    need(frame, [by, *POST_KEY], "network_mix")
    return (
        frame.filter(pl.col(by).is_not_null())
        .group_by(by, "platform")
        .agg(pl.col("post_id").n_unique().cast(pl.Int64).alias("posts"))
        .with_columns((pl.col("posts") / pl.col("posts").sum().over(by)).alias("share"))
        .sort(by, "platform")
    )


def campaign_summary(comparison: Comparison, mix: pl.DataFrame) -> pl.DataFrame:
    """One row per campaign, best first: rank, posts counted, estimate and interval, the
    probability it beats the next-ranked campaign, its main network, what was excluded and the
    caveats of its posts (``caveats``, ``caveat_posts``).

    >>> import polars as pl
    >>> f = pl.DataFrame({"post_id": list("abcdef"), "platform": ["x"] * 6,
    ...     "campaign": list("AAABBB"), "likes": [9, 10, 11, 1, 2, 3]})
    >>> s = campaign_summary(compare(f, metric="likes", at_age=None), network_mix(f))
    >>> s.select("campaign", "rank", "p_beats_next", "main_network").rows()
    [('A', 1, 1.0, 'x'), ('B', 2, None, 'x')]
    """
    if comparison.within is not None:
        raise ValueError("campaign_summary needs one ranking: compare without within=")
    table = comparison.table
    order = table.filter(pl.col("rank").is_not_null())["group"].to_list()
    beats = {
        (a, b): p
        for a, b, p in comparison.beats.select("group_a", "group_b", "p_a_beats_b").iter_rows()
    }
    nxt = {g: beats.get((g, order[i + 1])) for i, g in enumerate(order[:-1])}
    main = (
        mix.sort(["posts", "platform"], descending=[True, False])
        .group_by("campaign", maintain_order=True)
        .first()
        .select("campaign", pl.col("platform").alias("main_network"))
    )
    return (
        table.rename({"group": "campaign"})
        .with_columns(
            pl.col("campaign")
            .replace_strict(nxt, default=None, return_dtype=pl.Float64)
            .alias("p_beats_next")
        )
        .join(main, on="campaign", how="left", maintain_order="left")
        .select(
            "campaign",
            "rank",
            "n",
            "excluded",
            "estimate",
            "low",
            "high",
            "p_beats_next",
            "main_network",
            "why_excluded",
            "caveats",
            "caveat_posts",
        )  # fmt: skip
    )
