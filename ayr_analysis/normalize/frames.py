"""The frames: :class:`AnalyticsFrames`, and how they are built with the schemas of
:mod:`ayr_analysis.schema` from what the collector gathered.

Every frame is built once, with its schema, and the per-metric work (unit conversion,
precedence between fields, the wide columns, engagement sums) is done by polars on whole columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations
from typing import TYPE_CHECKING, Any, cast

import polars as pl

from .. import platforms
from ..platforms import VALUE_CHECKS
from ..schema import (
    BREAKDOWNS_SCHEMA,
    CANONICAL_METRICS,
    COUNT_METRICS,
    ERRORS_SCHEMA,
    FETCH_KEY,
    LONG_SCHEMA,
    POST_KEY,
    POSTS_SCHEMA,
    REACTIONS_SCHEMA,
    THREAD_TOTALS_SCHEMA,
    UTC_TIME,
    WIDE_SCHEMA,
    empty,
)
from ._values import _INT64_EDGE, _MAX_COUNT, _MAX_INT

if TYPE_CHECKING:  # pragma: no cover
    from .collector import _Collector

__all__ = ["OBS_COLUMNS", "PANDAS_HINT", "AnalyticsFrames", "build_frames", "with_post_metadata"]

#: The columns of one observation (a post on a network, a tweet of a thread, at one time): the
#: wide frame without its metrics. The collector's row tuples hold them in this order.
OBS_COLUMNS: tuple[str, ...] = tuple(
    c for c in WIDE_SCHEMA if c not in CANONICAL_METRICS and c != "caveats"
)
#: The columns of the collector's error rows (the errors frame may hold more: null here).
ERROR_COLUMNS: tuple[str, ...] = (
    *POST_KEY, "reason", "code", "message", "http_status", "retryable", "fetched_at",
)  # fmt: skip
#: Counts beyond this are not exact in a Float64 (long's ``value``): wide keeps them exact.
_EXACT_LIMIT = 2.0**53
_OBS_SCHEMA = pl.Schema({c: WIDE_SCHEMA[c] for c in OBS_COLUMNS})
#: The columns the long frame shares with its observation.
_KEY_COLS: tuple[str, ...] = tuple(c for c in LONG_SCHEMA if c in _OBS_SCHEMA)
_METRIC_POS = {m: i for i, m in enumerate(CANONICAL_METRICS)}


def _frame(rows: list[tuple[Any, ...]], schema: pl.Schema) -> pl.DataFrame:
    """One frame from row tuples whose datetimes are epoch microseconds.

    The rows are transposed in C (``zip``) and each column built as one typed series: much
    cheaper than letting polars read the tuples row by row.
    """
    if not rows:
        return empty(schema)
    series = []
    for (name, dtype), values in zip(schema.items(), zip(*rows, strict=True), strict=True):
        if dtype == UTC_TIME:
            series.append(pl.Series(name, values, dtype=pl.Int64).cast(UTC_TIME))
        else:
            series.append(pl.Series(name, values, dtype=dtype))
    return pl.DataFrame(series)


def _side_frame(
    obs: pl.DataFrame, idx: Sequence[int], own: Sequence[Sequence[Any]], schema: pl.Schema
) -> pl.DataFrame:
    """A side frame from the observation index of each row and the columns of its own: the
    columns it shares with the observations (post, network, times) are gathered from ``obs``
    in one step."""
    if not idx:
        return empty(schema)
    shared = [c for c in schema if c in obs.schema]
    own_names = [c for c in schema if c not in obs.schema]
    keys = obs.select(pl.col(shared).gather(pl.Series(idx, dtype=pl.UInt32)))
    mine = pl.DataFrame(
        [pl.Series(c, v, dtype=schema[c]) for c, v in zip(own_names, own, strict=True)]
    )
    return pl.concat([keys, mine], how="horizontal").select(schema.names()).cast(schema)


# ---------------------------------------------------------------------------------------------
# building the frames


def build_frames(col: _Collector, source: str | None) -> AnalyticsFrames:
    """The six frames (``posts`` empty) from what ``col`` collected; values dropped here (not
    finite, out of range) become warnings of ``col``."""
    obs = _frame(col.obs, _OBS_SCHEMA)
    long, metrics = _long_frame(col, obs)
    wide = _wide_frame(col, obs, metrics)
    return AnalyticsFrames(
        long=long,
        wide=wide,
        reactions=_side_frame(obs, col.r_obs, [col.r_key, col.r_count], REACTIONS_SCHEMA),
        breakdowns=_side_frame(
            obs,
            [row[0] for row in col.breakdowns],
            [[row[i] for row in col.breakdowns] for i in (1, 2, 3)],
            BREAKDOWNS_SCHEMA,
        ),
        errors=_errors_frame(col.errors),
        source=source,
    )


def _errors_frame(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    """The errors frame from the collector's rows (:data:`ERROR_COLUMNS`); other columns of
    ERRORS_SCHEMA null."""
    if not rows:
        return empty(ERRORS_SCHEMA)
    own = _frame(rows, pl.Schema({c: ERRORS_SCHEMA[c] for c in ERROR_COLUMNS}))
    rest = [pl.lit(None, t).alias(c) for c, t in ERRORS_SCHEMA.items() if c not in own.columns]
    return own.with_columns(rest).select(ERRORS_SCHEMA.names())


def _long_frame(col: _Collector, obs: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """The long frame, and the rows of it that feed a canonical metric (for the wide columns)."""
    if not col.codes:
        return empty(LONG_SCHEMA), None
    obs_idx = _row_owners(col.counts, len(col.codes))
    code = pl.Series("code", col.codes, dtype=pl.UInt32)
    raw, dropped = _checked_numbers(col)
    exact = _exact_ints(col.raws, raw)
    if dropped is not None:
        keep = pl.Series(dtype=pl.Boolean).extend_constant(True, len(col.raws))
        keep = keep.scatter(dropped, False)
        obs_idx, code, raw = obs_idx.filter(keep), code.filter(keep), raw.filter(keep)
        if exact is not None:
            exact = exact.filter(keep)
        if raw.is_empty():
            return empty(LONG_SCHEMA), None
    # numbers first (cheap to filter), strings only for the long frame
    conv = pl.DataFrame(
        {
            "mul": pl.Series(col.t_mul, dtype=pl.Float64),
            "div": pl.Series(col.t_div, dtype=pl.Float64),
            "prio": pl.Series(col.t_prio, dtype=pl.Int32),
            "mpos": pl.Series(
                [_METRIC_POS.get(m, -1) if m else -1 for m in col.t_metric], dtype=pl.Int16
            ),
        }
    ).select(pl.all().gather(code))
    value = (raw * conv["mul"] / conv["div"]).alias("value")
    names = pl.DataFrame(
        {
            "field": pl.Series(col.t_field, dtype=pl.String),
            "metric": pl.Series(col.t_metric, dtype=pl.String),
            "unit": pl.Series(col.t_unit, dtype=pl.String),
        }
    ).select(pl.all().gather(code))
    keys = obs.select(pl.col(list(_KEY_COLS)).gather(obs_idx))
    long = pl.concat([keys, names, pl.DataFrame([value, raw])], how="horizontal").select(
        LONG_SCHEMA.names()
    )
    parts = [obs_idx, code, conv["mpos"], conv["prio"], value, raw]
    if exact is not None:
        parts.append(exact)
    metrics = pl.DataFrame(parts).filter(pl.col("mpos") >= 0)
    return long, metrics


def _row_owners(counts: list[int], n: int) -> pl.Series:
    """The observation of each of the ``n`` long rows, from the rows of each observation
    (``counts``, in order): a 1 where an observation's first row is, summed along (cheaper than
    repeating each index by its count, ``repeat_by`` then ``explode``)."""
    c = pl.Series(counts, dtype=pl.UInt32)
    some = c > 0
    firsts = (c.cum_sum() - c).filter(some)
    starts = pl.zeros(n, dtype=pl.UInt32, eager=True).scatter(firsts, 1)
    owners = pl.Series(range(len(counts)), dtype=pl.UInt32).filter(some)
    return owners.gather(starts.cum_sum() - 1).alias("obs")


def _exact_ints(raws: list[int | float], raw: pl.Series) -> pl.Series | None:
    """The integers beyond 2**53 as sent (a Float64 rounds them), in an Int64 column null
    elsewhere; None when there is none (the common case: one vector comparison)."""
    big = raw.abs() >= _EXACT_LIMIT
    if not big.any():
        return None
    idx = big.arg_true().to_list()
    vals = [v if type(v) is int and -_MAX_INT <= v <= _MAX_INT else None
            for v in (raws[i] for i in idx)]  # fmt: skip
    out = pl.Series("exact", [None], dtype=pl.Int64).extend_constant(None, len(raws) - 1)
    return out.scatter(idx, pl.Series(vals, dtype=pl.Int64))


def _checked_numbers(col: _Collector) -> tuple[pl.Series, list[int] | None]:
    """The raw values as Float64, and the rows to drop (None: none): an infinite float or
    a nan, an int beyond Int64. Checked by polars on the whole column; only the few
    suspect values are looked at in Python."""
    raws = col.raws
    try:
        raw = pl.Series("raw_value", raws, dtype=pl.Float64)
    except (OverflowError, TypeError, ValueError):  # an int too large even for a float
        suspects: Iterable[int] = [i for i, v in enumerate(raws) if type(v) is int or v - v != 0]
        raw = None
    else:
        assert raw is not None  # built above
        suspect = ~raw.is_finite() | (raw.abs() >= _INT64_EDGE)
        if not suspect.any():
            return raw, None
        suspects = suspect.arg_true().to_list()
    dropped = []
    for i in suspects:
        v = raws[i]
        if type(v) is float:
            if v - v == 0:
                continue
            message = "not a finite number"
        elif -_MAX_INT <= v <= _MAX_INT:
            continue
        else:
            message = "a number too large to be a count"
        c = col.codes[i]
        col.bad(col.t_platform[c], col.t_field[c], message)
        dropped.append(i)
    if raw is None:
        gone = set(dropped)
        raw = pl.Series(
            "raw_value",
            [None if i in gone else v for i, v in enumerate(raws)],
            dtype=pl.Float64,
        )
    return raw, dropped or None


def _metric_columns(col: _Collector, n: int, metrics: pl.DataFrame | None) -> dict[str, pl.Series]:
    """One column per reported canonical metric (``n`` rows, one per observation), from the
    ``metrics`` rows of the long frame (observation, field code, metric position, precedence rank,
    value). Where several fields feed one metric the preferred one (rank 0) wins; a value that is
    not finite, or a count beyond Int64, is dropped with a warning. The only place wide columns
    are made, for one answer as for a million."""
    if metrics is None or metrics.height == 0:
        return {}
    n_counts = len(COUNT_METRICS)
    ok = pl.col("value").is_finite() & (
        (pl.col("mpos") >= n_counts) | (pl.col("value").abs() <= _MAX_COUNT)
    )
    bad = metrics.filter(~ok)
    if bad.height:
        for c in bad["code"].unique().sort().to_list():
            col.bad(col.t_platform[c], col.t_field[c], "a number out of range")
        metrics = metrics.filter(ok)
    metrics = _checked_values(col, metrics)
    # one cell per observation and metric in a flat column (row-major), the fallback
    # fields written first and the preferred field last; then one column per metric
    n_metrics = len(CANONICAL_METRICS)
    cell = metrics["obs"].cast(pl.Int64) * n_metrics + metrics["mpos"]
    prio, value = metrics["prio"], metrics["value"]
    flat = pl.Series("v", [None], dtype=pl.Float64).extend_constant(None, n * n_metrics - 1)
    top = int(cast(int, prio.max()) or 0)
    if top == 0:
        flat = flat.scatter(cell, value)
    else:
        for p in range(top, -1, -1):
            chosen = prio == p
            flat = flat.scatter(cell.filter(chosen), value.filter(chosen))
    exprs = []
    # the metrics of the fields met (a column left all null when all its values were dropped:
    # the same as a metric not reported), cheaper than the unique positions of every row
    for mpos in sorted({_METRIC_POS[m] for m in col.t_metric if m in _METRIC_POS}):
        m = CANONICAL_METRICS[mpos]
        expr = pl.col("v").gather_every(n_metrics, mpos)
        if WIDE_SCHEMA[m] == pl.Int64:
            expr = expr.round(0).cast(pl.Int64)
        exprs.append(expr.alias(m))
    columns = {c.name: c for c in pl.DataFrame([flat]).select(exprs).get_columns()}
    if "exact" in metrics.columns:
        _restore_exact(columns, metrics)
    return columns


# the value checks of schema's metrics, by metric position: low, high, whole numbers only
_LOW = pl.Series([c.low if c.low is not None else -float("inf")
                  for c in (VALUE_CHECKS[m] for m in CANONICAL_METRICS)], dtype=pl.Float64)  # fmt: skip
_HIGH = pl.Series([c.high if c.high is not None else float("inf")
                   for c in (VALUE_CHECKS[m] for m in CANONICAL_METRICS)], dtype=pl.Float64)  # fmt: skip
_WHOLE = pl.Series([VALUE_CHECKS[m].integer for m in CANONICAL_METRICS], dtype=pl.Boolean)


def _checked_values(col: _Collector, metrics: pl.DataFrame) -> pl.DataFrame:
    """``metrics`` without the impossible values (see ``platforms.VALUE_CHECKS``): each kind of
    impossible value of a field warns once, naming a post, the network, the field and the raw
    value; the value stays in ``long``."""
    mpos = metrics["mpos"].cast(pl.UInt32)
    value = metrics["value"]
    whole = _WHOLE.gather(mpos)
    ok = (
        (value >= _LOW.gather(mpos))
        & (value <= _HIGH.gather(mpos))
        & (~whole | (value == value.floor()))
    )
    if ok.all():
        return metrics
    bad = metrics.filter(~ok)
    firsts = bad.group_by("code", maintain_order=True).agg(
        pl.col("obs").first(), pl.col("raw_value").first(), pl.col("value").first(), pl.len()
    )
    for code, obs, raw, v, n in firsts.iter_rows():
        metric = col.t_metric[code]
        check = VALUE_CHECKS[metric]
        pid = col.obs[obs][0]
        what = f"post {pid!r}: {raw:g} is impossible for {metric} ({check.rule})"
        if col.t_unit[code] == "fraction" and col.t_div[code] == 1.0 and 1.0 < v <= 100.0:
            what += "; it looks like percent sent where a fraction 0-1 is declared"
        if n > 1:
            what += f" (and {n - 1} more values of this field)"
        col.bad(col.t_platform[code], col.t_field[code], what, "null in wide, kept in long")
    return metrics.filter(ok)


def _restore_exact(columns: dict[str, pl.Series], metrics: pl.DataFrame) -> None:
    """Counts beyond 2**53 as sent, where the field sending them is the one shown."""
    rows = metrics.filter(pl.col("exact").is_not_null())
    for obs, mpos, v, exact in rows.select("obs", "mpos", "value", "exact").iter_rows():
        m = CANONICAL_METRICS[mpos]
        column = columns.get(m)
        if column is None or WIDE_SCHEMA[m] != pl.Int64:
            continue
        if column[obs] is not None and float(column[obs]) == v:
            columns[m] = column.scatter(obs, exact)


def _wide_frame(col: _Collector, obs: pl.DataFrame, metrics: pl.DataFrame | None) -> pl.DataFrame:
    n = obs.height
    if n == 0:
        return empty(WIDE_SCHEMA)
    columns = _metric_columns(col, n, metrics)
    exprs: list[pl.Expr | pl.Series] = []
    for m in CANONICAL_METRICS:
        if m == "engagements":
            continue
        if m in columns:
            exprs.append(columns[m].alias(m))
        else:
            exprs.append(pl.lit(None, WIDE_SCHEMA[m]).alias(m))
    wide = obs.with_columns(exprs)
    # sorted: the same networks give the same expressions (and caveat table, cached)
    names = obs["platform"].drop_nulls().unique().sort().to_list()
    wide = wide.with_columns(_engagements_expr(names))
    return wide.with_columns(caveats_expr(names)).select(WIDE_SCHEMA.names())


def caveats_expr(names: Iterable[str | None]) -> pl.Expr:
    """The ``caveats`` column: the codes of the networks' :class:`~ayr_analysis.platforms.Caveat`
    whose conditions the row meets (an empty list when none), in the order of ``names`` and of
    each network's caveats.

    Each caveat's condition is one bit of a per-row mask; the list of codes is then looked up
    per mask in a small table made once per set of networks. Only one network's caveats can
    hold on a row, so the table has one entry per subset of one network's caveats (not one per
    subset of them all). Building the lists row by row (``concat_list`` of one
    ``when/then`` per caveat, then ``drop_nulls``) cost ten times as much.
    """
    masks, table = _caveat_table(tuple(n for n in names if n))
    if not masks:
        return pl.repeat([], pl.len(), dtype=pl.List(pl.String)).alias("caveats")
    mask = pl.sum_horizontal([cond.cast(pl.Int64) * (1 << bit) for bit, cond in enumerate(masks)])
    row = mask.replace_strict(list(table), range(len(table)), return_dtype=pl.UInt32)
    lists = pl.Series("caveats", list(table.values()), dtype=pl.List(pl.String))
    return pl.lit(lists).gather(row).alias("caveats")


@lru_cache(maxsize=64)
def _caveat_table(names: tuple[str, ...]) -> tuple[list[pl.Expr], dict[int, list[str]]]:
    """For the networks ``names``: the condition of each of their caveats (caveat ``i`` is bit
    ``i`` of the mask), and the codes for every mask a row can have (its network's caveats)."""
    conds: list[pl.Expr] = []
    table: dict[int, list[str]] = {0: []}
    for name in dict.fromkeys(names):
        spec = platforms.REGISTRY.get(name)
        if spec is None or not spec.caveats:
            continue
        mine = []
        for c in spec.caveats:
            mine.append((len(conds), c.code))
            conds.append(_caveat_condition(name, c))
        for size in range(1, len(mine) + 1):
            for chosen in combinations(mine, size):
                table[sum(1 << bit for bit, _ in chosen)] = [code for _, code in chosen]
    if len(conds) > 62:
        raise ValueError(f"{len(conds)} caveats: the mask holds at most 62 (one Int64)")
    return conds, table


def _caveat_condition(name: str, c: platforms.Caveat) -> pl.Expr:
    """True on the rows of network ``name`` that meet every condition of caveat ``c``."""
    cond = pl.col("platform") == name
    if c.media_types:
        cond = cond & pl.col("media_type").is_in(list(c.media_types)).fill_null(False)
    if c.any_zero:
        cond = cond & pl.any_horizontal([(pl.col(m) == 0).fill_null(False) for m in c.any_zero])
    if c.any_null:
        cond = cond & pl.any_horizontal([pl.col(m).is_null() for m in c.any_null])
    if c.all_null:
        cond = cond & pl.all_horizontal([pl.col(m).is_null() for m in c.all_null])
    if c.any_reported:
        cond = cond & pl.any_horizontal([pl.col(m).is_not_null() for m in c.any_reported])
    if c.max_age_h is not None:
        age = pl.col("observed_at") - pl.col("published_at")
        young = age < pl.duration(seconds=int(c.max_age_h * 3600))
        cond = cond & young.fill_null(True)
    return cond.fill_null(False)


def _engagements_expr(names: Iterable[str | None]) -> pl.Expr:
    """engagements = sum of the network's engagement metrics that were reported, else null."""
    expr: Any = pl.lit(None, pl.Int64)
    chain: Any = None  # a when/then chain, one branch per network
    for name in names:
        spec = platforms.REGISTRY.get(name) if name else None
        if spec is None or not spec.engagement:
            continue
        terms = [
            pl.col(e) if isinstance(e, str) else pl.coalesce([pl.col(m) for m in e])
            for e in spec.engagement
        ]
        reported = pl.any_horizontal([t.is_not_null() for t in terms])
        value = pl.when(reported).then(pl.sum_horizontal(terms)).otherwise(None)
        cond = pl.col("platform") == name
        chain = pl.when(cond).then(value) if chain is None else chain.when(cond).then(value)
    if chain is not None:
        expr = chain.otherwise(None)
    return expr.cast(pl.Int64).alias("engagements")


# ---------------------------------------------------------------------------------------------
# the frames


@dataclass
class AnalyticsFrames:
    """The frames built from analytics answers; every frame has its schema, also when empty.

    ``long``: every numeric field returned (LONG_SCHEMA); ``wide``: one row per post, network,
    tweet and observation with the canonical metrics (WIDE_SCHEMA); ``reactions``,
    ``breakdowns``, ``errors`` and ``posts`` the side frames; ``source`` is ``"demo"``,
    ``"live"`` or ``None`` (unknown).

    >>> from ayr_analysis.normalize import normalize
    >>> frames = normalize({"id": "p1", "bluesky": {"analytics": {"likeCount": 3}}})
    >>> frames.wide.select("platform", "likes", "comments").row(0)
    ('bluesky', 3, None)
    """

    long: pl.DataFrame
    wide: pl.DataFrame
    reactions: pl.DataFrame
    breakdowns: pl.DataFrame
    errors: pl.DataFrame
    posts: pl.DataFrame = field(default_factory=lambda: empty(POSTS_SCHEMA))
    source: str | None = None

    _NAMES = ("long", "wide", "reactions", "breakdowns", "errors", "posts")

    @classmethod
    def empty(cls, source: str | None = None) -> AnalyticsFrames:
        """Frames with their full schemas and no rows.

        >>> AnalyticsFrames.empty().wide.height
        0
        """
        return cls(
            long=empty(LONG_SCHEMA),
            wide=empty(WIDE_SCHEMA),
            reactions=empty(REACTIONS_SCHEMA),
            breakdowns=empty(BREAKDOWNS_SCHEMA),
            errors=empty(ERRORS_SCHEMA),
            source=source,
        )

    @classmethod
    def concat(cls, frames_list: Iterable[AnalyticsFrames]) -> AnalyticsFrames:
        """Stack several results frame by frame. ``source`` is ``"demo"`` if any part is demo.

        >>> from ayr_analysis.normalize import normalize
        >>> a = normalize({"id": "a", "youtube": {"analytics": {"views": 1}}})
        >>> b = normalize({"id": "b", "youtube": {"analytics": {"views": 2}}})
        >>> AnalyticsFrames.concat([a, b]).wide["views"].to_list()
        [1, 2]
        """
        items = list(frames_list)
        if not items:
            return cls.empty()
        parts = {n: pl.concat([getattr(f, n) for f in items], how="vertical") for n in cls._NAMES}
        sources = {f.source for f in items} - {None}
        source = "demo" if "demo" in sources else (sources.pop() if sources else None)
        return cls(**parts, source=source)

    def with_posts(self, posts: pl.DataFrame) -> AnalyticsFrames:
        """These frames with ``posts`` (the history frame) attached and the post metadata the
        analytics answer lacked (published time, text, url) filled in from it; see
        :func:`with_post_metadata`.

        >>> import datetime as dt
        >>> from ayr_analysis.normalize import normalize
        >>> frames = normalize({"id": "p1", "facebook": {"id": "f1", "analytics": {"likeCount": 2}}})
        >>> posts = pl.DataFrame({"post_id": ["p1"], "platform": ["facebook"],
        ...     "created_at": [dt.datetime(2026, 9, 1, tzinfo=dt.UTC)], "text": ["Hello"]})
        >>> frames.with_posts(posts).wide.select("published_at", "text").row(0)
        (datetime.datetime(2026, 9, 1, 0, 0, tzinfo=zoneinfo.ZoneInfo(key='UTC')), 'Hello')
        """
        posts = _conform_posts(posts)
        wide = with_post_metadata(self.wide, posts)
        stacked = pl.concat([self.posts, posts], how="vertical").unique(
            subset=list(POST_KEY), keep="last", maintain_order=True
        )
        return AnalyticsFrames(
            long=self.long, wide=wide, reactions=self.reactions, breakdowns=self.breakdowns,
            errors=self.errors, posts=stacked, source=self.source,
        )  # fmt: skip

    def thread_totals(self) -> pl.DataFrame:
        """Counts summed per post, network and fetch: a whole X thread as one row.

        A sum stays null when no tweet reported the metric. Networks without threads give their
        single row unchanged.

        >>> from ayr_analysis.normalize import normalize
        >>> thread = [{"analytics": {"publicMetrics": {"likeCount": n}}} for n in (5, 2, 1)]
        >>> frames = normalize({"id": "t", "twitter": thread})
        >>> frames.thread_totals().select("tweets", "likes", "comments").row(0)
        (3, 8, None)
        """
        aggs: list[pl.Expr] = [
            pl.col("social_id").sort_by("thread_position").first(),
            pl.col("observed_at").max(),
            pl.len().cast(pl.Int32).alias("tweets"),
        ]
        aggs += [
            pl.when(pl.col(m).is_not_null().any()).then(pl.col(m).sum()).otherwise(None).alias(m)
            for m in COUNT_METRICS
        ]
        out = self.wide.group_by(list(FETCH_KEY), maintain_order=True).agg(aggs)
        return out.select(THREAD_TOTALS_SCHEMA.names()).cast(THREAD_TOTALS_SCHEMA)

    def to_pandas(self) -> dict[str, Any]:
        """The six frames as pandas DataFrames, in a dict keyed by name: ``long``, ``wide``,
        ``reactions``, ``breakdowns``, ``errors``, ``posts`` (``source`` is not a frame: read
        it here). Columns keep their names and get pandas' nullable types (``Int64``,
        ``Float64``, ``boolean``, ``string``; times stay UTC), so a metric the network did not
        report stays ``<NA>``: never 0, and counts stay integers. One frame alone:
        ``frames.wide.to_pandas()`` (polars' own, with NumPy types: nulls become NaN there).

        Needs pandas: ``pip install 'ayr-analysis[pandas]'``.

        >>> from ayr_analysis.normalize import normalize
        >>> frames = normalize({"id": "p1", "bluesky": {"analytics": {"likeCount": 3}}})
        >>> dfs = frames.to_pandas()
        >>> list(dfs)
        ['long', 'wide', 'reactions', 'breakdowns', 'errors', 'posts']
        >>> wide = dfs["wide"]
        >>> wide.loc[0, "platform"], int(wide.loc[0, "likes"]), bool(wide["comments"].isna()[0])
        ('bluesky', 3, True)
        >>> str(wide["likes"].dtype), len(dfs["errors"])
        ('Int64', 0)
        """
        mapper = _pandas_types()
        return {n: getattr(self, n).to_pandas(types_mapper=mapper) for n in self._NAMES}

    def __repr__(self) -> str:
        shapes = ", ".join(f"{n}={getattr(self, n).height} rows" for n in self._NAMES)
        return f"AnalyticsFrames({shapes}, source={self.source!r})"


#: What to install when pandas (or pyarrow, which polars converts through) is missing.
PANDAS_HINT = "pip install 'ayr-analysis[pandas]'"


def _pandas_types() -> Any:
    """The Arrow type -> pandas nullable dtype mapping for ``to_pandas`` (a ``types_mapper``);
    a clear ImportError naming the extra when pandas or pyarrow is missing."""
    try:
        import pandas as pd
        import pyarrow as pa
    except ImportError as exc:
        raise ImportError(
            f"to_pandas needs pandas and pyarrow, and {exc.name or 'one'} is not installed: "
            f"{PANDAS_HINT}"
        ) from exc

    def mapper(arrow_type: Any) -> Any:
        t = pa.types
        if t.is_boolean(arrow_type):
            return pd.BooleanDtype()
        if t.is_integer(arrow_type):
            sign = "UInt" if t.is_unsigned_integer(arrow_type) else "Int"
            return pd.api.types.pandas_dtype(f"{sign}{arrow_type.bit_width}")
        if t.is_floating(arrow_type) and arrow_type.bit_width in (32, 64):
            return pd.api.types.pandas_dtype(f"Float{arrow_type.bit_width}")
        if t.is_string(arrow_type) or t.is_large_string(arrow_type) or t.is_string_view(arrow_type):
            return pd.StringDtype()
        return None  # times, lists, ...: pyarrow's own conversion

    return mapper


def _conform_posts(posts: pl.DataFrame) -> pl.DataFrame:
    """``posts`` with every column of POSTS_SCHEMA (missing ones null), in its order."""
    missing = [pl.lit(None, POSTS_SCHEMA[c]).alias(c) for c in POSTS_SCHEMA if c not in posts]
    return posts.with_columns(missing).select(POSTS_SCHEMA.names()).cast(POSTS_SCHEMA)


def with_post_metadata(wide: pl.DataFrame, posts: pl.DataFrame) -> pl.DataFrame:
    """Fill the wide frame's ``published_at``, ``text`` and ``url`` where the analytics answer
    left them null, from the history frame (``posts``: POSTS_SCHEMA).

    Many networks' analytics carry no publication time or text (Facebook, LinkedIn,
    Pinterest...), yet comparing posts at equal age needs the time. The network's own row of
    ``posts`` is used first, then any row of the same post. A scheduled post counts as published
    at its schedule time. Values the answer did give are never replaced; metrics are untouched.
    The ``caveats`` column is computed again from the filled rows (:func:`caveats_expr`): a
    caveat that holds while a post's age is unknown (YouTube's zeros in the first 48 h) is
    dropped once the history says the post is older.

    >>> import datetime as dt
    >>> from ayr_analysis.normalize import normalize
    >>> wide = normalize({"id": "p1", "linkedin": {"analytics": {"likeCount": 1}}}).wide
    >>> posts = pl.DataFrame({"post_id": ["p1"], "platform": ["linkedin"],
    ...     "created_at": [dt.datetime(2026, 9, 1, tzinfo=dt.UTC)], "text": ["Hi"],
    ...     "url": ["https://linkedin.example/p1"]})
    >>> with_post_metadata(wide, posts).select("text", "url").row(0)
    ('Hi', 'https://linkedin.example/p1')
    """
    posts = _conform_posts(posts)
    published = pl.coalesce(
        pl.when(pl.col("type") == "schedule").then(pl.col("scheduled_at")), pl.col("created_at")
    )
    per_network = posts.select(
        *POST_KEY,
        published.alias("__published"),
        pl.col("text").alias("__text"),
        pl.col("url").alias("__url"),
    ).unique(subset=list(POST_KEY), keep="last", maintain_order=True)
    per_post = per_network.group_by("post_id", maintain_order=True).agg(
        pl.col("__published").drop_nulls().first().alias("__published_any"),
        pl.col("__text").drop_nulls().first().alias("__text_any"),
    )
    out = wide.join(per_network, on=list(POST_KEY), how="left").join(
        per_post, on="post_id", how="left"
    )
    out = out.with_columns(
        pl.coalesce("published_at", "__published", "__published_any").alias("published_at"),
        pl.coalesce("text", "__text", "__text_any").alias("text"),
        pl.coalesce("url", "__url").alias("url"),
    )
    if set(WIDE_SCHEMA.names()) <= set(out.columns):  # caveats may depend on the age, now known
        out = out.with_columns(caveats_expr(out["platform"].unique().to_list()))
    return out.select(wide.columns)
