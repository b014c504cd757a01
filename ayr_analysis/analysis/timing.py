"""Best time to post: a metric by weekday and hour of publication, in a time zone you choose.

Networks differ by orders of magnitude, so pooling raw counts would crown whatever hour happened
to hold the TikTok posts. By default each post's value is divided by the median post of its own
network (``relative_to="platform"``: 1.0 = typical for that network) before cells are compared;
pass ``platforms=["tiktok"]`` and ``relative_to=None`` for raw values of one network. Cells with
fewer than ``min_n`` posts are shown but not ranked.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import polars as pl

from ._base import age_text, eager, need
from .comparison import relative_values
from .selection import Fill, Unit, exclusions, values, with_caveats

__all__ = ["WEEKDAYS", "best_time_to_post", "local_timezone", "time_exclusions"]

WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def local_timezone() -> str:
    """The machine's time zone as an IANA name (``TZ``, else ``/etc/localtime``), else ``"UTC"``.

    >>> isinstance(local_timezone(), str)
    True
    """
    import zoneinfo

    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:  # pragma: no cover - no /etc/localtime
        pass
    for name in candidates:
        if not name:
            continue
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        return name
    return "UTC"


def best_time_to_post(
    frame: pl.DataFrame | pl.LazyFrame,
    metric: str = "engagement_rate",
    at_age: str | timedelta | None = "24h",
    *,
    tz: str | None = None,
    relative_to: str | None = "platform",
    platforms: Sequence[str] | None = None,
    min_n: int = 3,
    rate_by: str = "impressions",
    numerator: str = "engagements",
    unit: Unit = "post",
    fill: Fill = "last_reported",
) -> pl.DataFrame:
    """Median ``metric`` (at an equal post age) by weekday and hour of publication.

    ``tz``: the time zone of weekday and hour (an IANA name; default: the machine's, see
    :func:`local_timezone`). ``relative_to``: divide each post's value by its network's median
    post first (default), or ``None`` for raw values (then pick one network with
    ``platforms``). Columns: ``weekday`` (1 = Monday), ``weekday_name``, ``hour``, ``n`` (posts
    with a value), ``median``, ``rank`` (1 = best; null when ``n < min_n``), ``tz``,
    ``measure`` (what ``median`` is), ``metric``, ``age``, ``unit``, ``caveats`` and
    ``caveat_posts`` (the caveat codes of the cell's posts at that age, and how many posts carry
    each: :func:`~.selection.caveat_counts`). Only cells with at least one
    post appear; :func:`time_exclusions` counts the posts left out, with the reasons. ``fill``:
    as in :func:`~.selection.values`.

    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2026, 8, 3, 9, tzinfo=dt.timezone.utc)  # a Monday
    >>> f = pl.DataFrame({"post_id": ["a", "b"], "platform": ["x", "x"],
    ...     "published_at": [t, t + dt.timedelta(days=1)], "likes": [10, 30]})
    >>> cells = best_time_to_post(f, "likes", at_age=None, tz="UTC", relative_to=None, min_n=1)
    >>> cells.select("weekday_name", "hour", "median", "rank").rows()
    [('Mon', 9, 10.0, 2), ('Tue', 9, 30.0, 1)]
    """
    if min_n < 1:
        raise ValueError(f"min_n must be at least 1, got {min_n}")
    frame = eager(frame)
    need(frame, ["published_at"], "best_time_to_post")
    tz = tz or local_timezone()
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {tz!r}: use an IANA name such as 'Europe/Paris'"
        ) from None
    if platforms:
        frame = frame.filter(pl.col("platform").is_in(list(platforms)))
    vals = values(frame, metric, at_age, rate_by=rate_by, numerator=numerator, unit=unit, fill=fill)
    if relative_to is not None:
        vals = relative_values(vals, relative_to)
        measure = f"{metric} relative to the median post of its {relative_to} (1 = typical)"
    else:
        measure = metric
    vals = vals.with_columns(
        pl.when(pl.col("published_at").is_null() & (pl.col("status") == "reported"))
        .then(pl.lit("no_publication_time"))
        .otherwise(pl.col("status"))
        .alias("status")
    )
    local = pl.col("published_at").dt.convert_time_zone(tz)
    ok = vals.filter(pl.col("status") == "reported")
    placed = ok.with_columns(
        local.dt.weekday().cast(pl.Int8).alias("weekday"),
        local.dt.hour().cast(pl.Int8).alias("hour"),
    )
    cells = placed.group_by("weekday", "hour").agg(
        pl.len().cast(pl.Int64).alias("n"), pl.col("value").median().alias("median")
    )
    ranked = (
        cells.filter(pl.col("n") >= min_n)
        .sort(["median", "weekday", "hour"], descending=[True, False, False])
        .with_row_index("rank", offset=1)
    )
    age = age_text(at_age)
    return (
        cells.join(
            ranked.select("weekday", "hour", pl.col("rank").cast(pl.Int64)),
            on=["weekday", "hour"],
            how="left",
        )
        .with_columns(
            pl.col("weekday")
            .replace_strict(dict(enumerate(WEEKDAYS, start=1)), return_dtype=pl.String)
            .alias("weekday_name"),
            pl.lit(tz).alias("tz"),
            pl.lit(measure).alias("measure"),
            pl.lit(metric).alias("metric"),
            pl.lit(age).alias("age"),
            pl.lit(unit).alias("unit"),
        )
        .sort("weekday", "hour")
        .select(
            "weekday",
            "weekday_name",
            "hour",
            "n",
            "median",
            "rank",
            "tz",
            "measure",
            "metric",
            "age",
            "unit",
        )  # fmt: skip
        .pipe(with_caveats, placed, ["weekday", "hour"])
    )


def time_exclusions(
    frame: pl.DataFrame | pl.LazyFrame,
    metric: str = "engagement_rate",
    at_age: str | timedelta | None = "24h",
    **kwargs: object,
) -> pl.DataFrame:
    """What :func:`best_time_to_post` leaves out, per network, with the reasons."""
    vals = values(eager(frame), metric, at_age, **kwargs)  # type: ignore[arg-type]
    return exclusions(vals, ["platform"])
