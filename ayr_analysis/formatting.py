"""How numbers are shown in report tables and the dashboard: one set of rules, for every table.

* counts (integer columns) as integers with thousands separators: ``26,798``;
* rates, shares and probabilities as percentages to 3 significant figures: ``4.27%``;
* other numbers to 3 significant figures: ``1,710``, ``0.0123``;
* no value as an en dash (the table's ``why_excluded`` column says why);
* times as ``YYYY-MM-DD HH:MM`` with their zone.

Formatting never changes a number's meaning: it is applied to the analysis layer's results as
they are, at the last step.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import polars as pl

__all__ = [
    "PERCENT_COLUMNS",
    "RATE_METRICS",
    "caveat_notes",
    "caveat_notes_html",
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


def format_table(
    frame: pl.DataFrame, *, percent: bool | Iterable[str] | None = None
) -> pl.DataFrame:
    """``frame`` with every cell as text, by the module's rules. ``percent``: the columns shown
    as percentages (default: rates, shares, probabilities, and the statistics of a rate metric;
    ``True``: every float column).

    >>> f = pl.DataFrame({"platform": ["x"], "n": [3], "median": [26798.0], "rate": [0.0427]})
    >>> format_table(f).row(0)
    ('x', '3', '26,800', '4.27%')
    """
    pct = _percent_columns(frame, percent)
    out = {}
    for name in frame.columns:
        series = frame[name]
        out[name] = [format_value(v, percent=name in pct) for v in series.to_list()]
    return pl.DataFrame(out, schema={c: pl.String for c in frame.columns})


def table_html(
    frame: pl.DataFrame, *, percent: bool | Iterable[str] | None = None, caption: str | None = None
) -> str:
    """``frame`` as an HTML table by the module's rules (numbers right-aligned).

    >>> table_html(pl.DataFrame({"n": [1200]}))[len(_STYLE):]
    '<table class="ayr-table"><thead><tr><th>n</th></tr></thead><tbody><tr><td class="num">1,200</td></tr></tbody></table>'
    """
    shown = format_table(frame, percent=percent)
    numeric = {c for c, t in frame.schema.items() if t.is_numeric()}
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body = []
    for row in shown.iter_rows():
        cells = "".join(
            f'<td class="num">{html.escape(v)}</td>'
            if c in numeric
            else f"<td>{html.escape(v)}</td>"
            for c, v in zip(frame.columns, row, strict=True)
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
    "</style>"
)


def caveat_notes(frame: Any) -> list[str]:
    """Footnotes for the ``caveats`` codes found in ``frame`` (a wide frame, or any frame with a
    ``caveats`` list column): one line per code, in the order of first appearance, as
    ``"[code] what the numbers may not say"``. Empty when the frame has no such column or no
    caveat applies. Report tables and the dashboard show these under their tables.

    >>> import polars as pl
    >>> caveat_notes(pl.DataFrame({"caveats": [["pinterest_delayed"], [], None]}))[0][:35]
    '[pinterest_delayed] Pinterest repor'
    """
    from .platforms import CAVEATS

    if not isinstance(frame, pl.DataFrame) or "caveats" not in frame.columns:
        return []
    column = frame["caveats"]
    if not isinstance(column.dtype, pl.List):
        return []
    codes = column.explode().drop_nulls().unique(maintain_order=True).to_list()
    return [f"[{c}] {CAVEATS.get(c, 'see docs/METRICS.md')}" for c in codes]


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
    return f'<ul class="ayr-notes" style="font-size:smaller">{items}</ul>'
