"""How numbers are shown in report tables and the dashboard: one set of rules, for every table.

* counts (integer columns) as integers with thousands separators: ``26,798``;
* rates, shares and probabilities as percentages to 3 significant figures: ``4.27%``;
* other numbers to 3 significant figures: ``1,710``, ``0.0123``;
* no value as an en dash (the table's ``why_excluded`` column says why);
* times as ``YYYY-MM-DD HH:MM`` with their zone;
* lists as their items separated by commas (never a Python repr);
* the ``caveats`` column (caveat codes, see docs/METRICS.md) as footnote markers ``[1] [2]``,
  numbered in the order the codes first appear in the table, with the posts carrying each when
  the table has ``caveat_posts`` (``[1] 3 posts``; that column is then not shown on its own);
  :func:`caveat_notes` gives the footnotes to show under the table.

Formatting never changes a number's meaning: it is applied to the analysis layer's results as
they are, at the last step.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import polars as pl

__all__ = [
    "PERCENT_COLUMNS",
    "RATE_METRICS",
    "caveat_markers",
    "caveat_notes",
    "caveat_notes_html",
    "flat_lists",
    "format_table",
    "format_value",
    "table_html",
]

#: Metrics that are fractions 0-1 (shown as percentages).
RATE_METRICS: frozenset[str] = frozenset(
    {"engagement_rate", "engagement_rate_reported", "completion_rate", "avg_view_fraction"}
)

#: Columns that always hold a fraction 0-1.
PERCENT_COLUMNS: frozenset[str] = frozenset(
    {"rate", "rate_low", "rate_high", "share", "p_beats_next", "p_a_beats_b"}
)

#: Columns holding a statistic of the table's ``metric`` (percent when the metric is a rate).
_STAT_COLUMNS = frozenset(
    {"estimate", "low", "high", "median", "q25", "q75", "q10", "q90", "mean", "max", "value",
     "total", "numerator_rate"}
)  # fmt: skip

DASH = "\u2013"


def _significant(value: float, digits: int = 3) -> str:
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, digits - 1 - magnitude)
    rounded = round(value, digits - 1 - magnitude)
    if decimals == 0:
        return f"{int(rounded):,}"
    text = f"{rounded:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_value(value: Any, *, percent: bool = False) -> str:
    """One value as text, by the module's rules.

    >>> [format_value(v) for v in (26798, 26798.0, 1709.93617, 0.0123456, None, 12.5)]
    ['26,798', '26,800', '1,710', '0.0123', '–', '12.5']
    >>> format_value(0.042712, percent=True), format_value(1.0, percent=True)
    ('4.27%', '100%')
    """
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value * 100:,}%" if percent else f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return DASH
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        return _significant(value * 100) + "%" if percent else _significant(value)
    if isinstance(value, datetime):
        zone = value.tzname() or ""
        return f"{value:%Y-%m-%d %H:%M} {zone}".strip()
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v, percent=percent) for v in value) if value else ""
    return str(value)


def _percent_columns(frame: pl.DataFrame, percent: bool | Iterable[str] | None) -> set[str]:
    floats = {c for c, t in frame.schema.items() if t.is_float()}
    if percent is True:
        return floats
    if percent not in (None, False):
        return set(percent)  # type: ignore[arg-type]
    cols = {c for c in frame.columns if c in PERCENT_COLUMNS or c in RATE_METRICS}
    if "rate" in frame.columns:  # an engagement-rate table: its interval is a rate too
        cols |= {"low", "high"} & set(frame.columns)
    if "metric" in frame.columns and frame.height:
        metrics = set(frame["metric"].drop_nulls().unique().to_list())
        if metrics and metrics <= RATE_METRICS:
            cols |= _STAT_COLUMNS & set(frame.columns)
    return cols & floats


def _codes(frame: Any) -> list[list[str]]:
    """The caveat codes of each row of ``frame`` (empty lists when it has no ``caveats``)."""
    if not isinstance(frame, pl.DataFrame) or "caveats" not in frame.columns:
        return []
    column = frame["caveats"]
    if not isinstance(column.dtype, pl.List):
        return []
    return [[c for c in (row or []) if c is not None] for row in column.to_list()]


def _numbers(frame: Any) -> dict[str, int]:
    """Each caveat code of ``frame`` -> its footnote number, in order of first appearance."""
    numbers: dict[str, int] = {}
    for row in _codes(frame):
        for code in row:
            numbers.setdefault(code, len(numbers) + 1)
    return numbers


def caveat_markers(frame: Any) -> list[str]:
    """The ``caveats`` cell of each row of ``frame`` as footnote markers (the numbers of
    :func:`caveat_notes`): ``"[1] [2]"`` for a post, ``"[1] 3 posts, [2] 1 post"`` for a row that
    stands for several posts (a ``caveat_posts`` column counts them); ``""`` when none applies.

    >>> f = pl.DataFrame({"caveats": [["pinterest_delayed"], [], ["x", "pinterest_delayed"]]})
    >>> caveat_markers(f)
    ['[1]', '', '[1] [2]']
    >>> caveat_markers(f.with_columns(pl.Series("caveat_posts", [[3], [], [1, 2]])))
    ['[1] 3 posts', '', '[1] 2 posts, [2] 1 post']
    """
    numbers = _numbers(frame)
    rows = _codes(frame)
    counts: list[Any] = (
        frame["caveat_posts"].to_list() if rows and "caveat_posts" in frame.columns else []
    )
    out = []
    for i, codes in enumerate(rows):
        posts = dict(zip(codes, counts[i] or [], strict=False)) if counts else {}
        ordered = sorted(dict.fromkeys(codes), key=numbers.__getitem__)
        if posts:
            cells = [
                f"[{numbers[c]}] {posts[c]:,} post{'s' if posts[c] != 1 else ''}"
                if posts.get(c) is not None
                else f"[{numbers[c]}]"
                for c in ordered
            ]
            out.append(", ".join(cells))
        else:
            out.append(" ".join(f"[{numbers[c]}]" for c in ordered))
    return out


def format_table(
    frame: pl.DataFrame, *, percent: bool | Iterable[str] | None = None
) -> pl.DataFrame:
    """``frame`` with every cell as text, by the module's rules. ``percent``: the columns shown
    as percentages (default: rates, shares, probabilities, and the statistics of a rate metric;
    ``True``: every float column). A ``caveats`` column becomes footnote markers (see
    :func:`caveat_markers`); ``caveat_posts`` is folded into it.

    >>> f = pl.DataFrame({"platform": ["x"], "n": [3], "median": [26798.0], "rate": [0.0427]})
    >>> format_table(f).row(0)
    ('x', '3', '26,800', '4.27%')
    >>> format_table(pl.DataFrame({"carried": [["reach", "views"]]})).item()
    'reach, views'
    """
    pct = _percent_columns(frame, percent)
    markers = _codes(frame) != []
    columns = [c for c in frame.columns if not (markers and c == "caveat_posts")]
    out: dict[str, list[str]] = {}
    for name in columns:
        if markers and name == "caveats":
            out[name] = caveat_markers(frame)
            continue
        out[name] = [format_value(v, percent=name in pct) for v in frame[name].to_list()]
    return pl.DataFrame(out, schema={c: pl.String for c in columns})


def flat_lists(frame: pl.DataFrame, separator: str = " ") -> pl.DataFrame:
    """``frame`` with every list column as text (items joined by ``separator``), for files that
    hold no lists, such as CSV; the other columns are unchanged.

    >>> flat_lists(pl.DataFrame({"caveats": [["a", "b"], []], "caveat_posts": [[2, 1], []]})).rows()
    [('a b', '2 1'), ('', '')]
    """
    return frame.with_columns(
        pl.col(c).list.eval(pl.element().cast(pl.String)).list.join(separator)
        for c, t in frame.schema.items()
        if isinstance(t, pl.List)
    )


def table_html(
    frame: pl.DataFrame,
    *,
    percent: bool | Iterable[str] | None = None,
    caption: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> str:
    """``frame`` as an HTML table by the module's rules (numbers right-aligned). ``headers``
    renames columns on display (the rules read the names in ``frame``). The footnotes of a
    ``caveats`` column are :func:`caveat_notes_html`, shown under the table by the caller.

    >>> table_html(pl.DataFrame({"n": [1200]}))[len(_STYLE):]
    '<table class="ayr-table"><thead><tr><th>n</th></tr></thead><tbody><tr><td class="num">1,200</td></tr></tbody></table>'
    """
    shown = format_table(frame, percent=percent)
    numeric = {c for c, t in frame.schema.items() if t.is_numeric()}
    names = dict(headers or {})
    head = "".join(f"<th>{html.escape(names.get(c, c))}</th>" for c in shown.columns)
    body = []
    for row in shown.iter_rows():
        cells = "".join(
            f'<td class="num">{html.escape(v)}</td>'
            if c in numeric
            else f'<td class="notes">{html.escape(v)}</td>'
            if c == "caveats"
            else f"<td>{html.escape(v)}</td>"
            for c, v in zip(shown.columns, row, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f'{_STYLE}<table class="ayr-table">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


#: text left, numbers right (whatever the surrounding page's table style says)
_STYLE = (
    "<style>table.ayr-table td,table.ayr-table th{text-align:left !important}"
    "table.ayr-table td.num{text-align:right !important;font-variant-numeric:tabular-nums}"
    "table.ayr-table td.notes{font-size:smaller;color:#555;white-space:nowrap}"
    "</style>"
)


def caveat_notes(frame: Any) -> list[str]:
    """Footnotes for the ``caveats`` codes found in ``frame`` (a wide frame, or any frame with a
    ``caveats`` list column, such as the analysis results): one line per code, numbered in the
    order of first appearance as the table's markers are (:func:`caveat_markers`), as
    ``"[1] code: what the numbers may not say"``. Empty when the frame has no such column or no
    caveat applies. Report tables and the dashboard show these under their tables.

    >>> import polars as pl
    >>> caveat_notes(pl.DataFrame({"caveats": [["pinterest_delayed"], [], None]}))[0][:39]
    '[1] pinterest_delayed: Pinterest report'
    """
    from .platforms import CAVEATS

    return [
        f"[{n}] {c}: {CAVEATS.get(c, 'see docs/METRICS.md')}" for c, n in _numbers(frame).items()
    ]


def caveat_notes_html(frame: Any) -> str:
    """:func:`caveat_notes` of ``frame`` as a small HTML list of footnotes ("" when none).

    >>> import polars as pl
    >>> caveat_notes_html(pl.DataFrame({"likes": [1]}))
    ''
    """
    notes = caveat_notes(frame)
    if not notes:
        return ""
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    style = "font-size:smaller;list-style:none;padding-left:0.5em;margin-top:4px"
    return f'<ul class="ayr-notes" style="{style}">{items}</ul>'
