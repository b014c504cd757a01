"""Curated reports: check a notebook's parameters, get its data, run it headless into HTML.

A report is a curated notebook, shipped inside the package (:data:`NOTEBOOKS_PACKAGE`), with a
cell tagged ``parameters``. :func:`run_report` executes it with papermill (parameters injected)
in the working folder and writes ``<output_dir>/<name>.ipynb`` and a
self-contained ``<output_dir>/<name>.html`` (code hidden, charts as inline SVG, no scripts loaded
from the network). The notebooks call the helpers here so that they hold narrative, not logic.

>>> p = check_parameters(metric="likes", platforms="tiktok,x", at_age="24h")
>>> p.platforms, p.at_age
(('tiktok', 'twitter'), '24h')
"""

from __future__ import annotations

import ast
import contextlib
import functools
import json
import math
import re
import textwrap
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from .schema import DEFAULT_AGES, RATE_BASES

if TYPE_CHECKING:  # pragma: no cover
    from importlib.resources.abc import Traversable

    import polars as pl

    from .client import AyrshareClient
    from .store import SnapshotStore

__all__ = [
    "CURATED_REPORTS",
    "DEFAULT_PARAMETERS",
    "DEMO_HISTORY_ENV",
    "DemoHistory",
    "HISTORY_REPORTS",
    "PERFORMANCE_PARAMETERS",
    "REPORT_PARAMETERS",
    "SNAPSHOT_AGES",
    "PerformanceParameters",
    "PROFILE_KEYS_ENV",
    "ReportError",
    "ReportParameterError",
    "ReportParameters",
    "available_reports",
    "canonical_parameters",
    "check_parameters",
    "check_performance_parameters",
    "check_report_parameters",
    "collect_snapshots",
    "copy_notebooks",
    "demo_campaign_ranking",
    "notebook_parameters",
    "load_posts",
    "notebooks_dir",
    "parse_parameter",
    "published_since",
    "record_demo_history",
    "report_client",
    "report_now",
    "resolve_campaigns_file",
    "run_report",
    "same_posts",
    "shared_demo_history",
    "split_parameters",
    "report_table_html",
    "use_report_display",
    "use_static_charts",
    "probability_table",
    "snapshot_frames",
]

#: The reports ``make report`` runs, in order.
CURATED_REPORTS: tuple[str, ...] = (
    "quickstart",
    "engagement_analysis",
    "campaign_comparison",
    "post_performance",
)

#: The curated reports that record the demo world's history (:func:`collect_snapshots`) when
#: they run on demo data; ``ayr-analysis report all`` records it once for them all
#: (:func:`record_demo_history`).
HISTORY_REPORTS: tuple[str, ...] = (
    "engagement_analysis",
    "campaign_comparison",
    "post_performance",
)

#: Every report parameter and its default (what the notebooks' ``parameters`` cells hold).
DEFAULT_PARAMETERS: dict[str, Any] = {
    "source": "demo",
    "profile_key": None,
    "campaigns_file": None,
    "start_date": None,
    "end_date": None,
    "platforms": None,
    "metric": "likes",
    "rate_by": "impressions",
    "rate_form": "ratio",
    "at_age": "24h",
    "tz": None,
    "output_dir": "reports",
}

#: Earlier names of report parameters, still accepted: the old name -> the name used everywhere.
PARAMETER_ALIASES: dict[str, str] = {"networks": "platforms", "post_age": "at_age"}
#: Parameters whose text value is a list (JSON or comma list).
_LISTS = ("platforms", "networks")

SOURCES = ("demo", "live")
RATE_FORMS = ("mean", "ratio")
#: Post ages at which the demo sandbox is asked (by moving its virtual clock).
SNAPSHOT_AGES: tuple[str, ...] = DEFAULT_AGES


class ReportParameterError(ValueError):
    """A report parameter is wrong; the message says what is allowed."""


class ReportError(RuntimeError):
    """A report stopped while its notebook ran: one line naming the cell's error (its exception
    class and message), and where the executed notebook was kept for inspection.

    Attributes: ``report`` (its name), ``notebook`` (the executed notebook, up to the failing
    cell, with the error's traceback in that cell), ``cell`` (the failing cell's execution
    count, its ``In [n]``, as papermill's banner at the top of the notebook names it; None when
    the kernel itself failed), ``error_class`` and ``error_message``.
    """

    def __init__(
        self,
        report: str,
        error_class: str,
        error_message: str,
        notebook: Path | None,
        cell: int | None = None,
    ) -> None:
        self.report = report
        self.error_class = error_class
        self.error_message = " ".join(str(error_message).split())  # one line
        self.notebook = notebook
        self.cell = cell
        where = f"at In [{cell}]" if cell is not None else "while running"
        kept = (
            f"executed notebook kept: {notebook}"
            if notebook is not None
            else "no executed notebook was written"
        )
        super().__init__(
            f"report {report} failed {where}: {error_class}: {self.error_message} ({kept})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            type(self),
            (self.report, self.error_class, self.error_message, self.notebook, self.cell),
        )


@dataclass(frozen=True)
class ReportParameters:
    """Checked, normalised report parameters (see :func:`check_parameters`)."""

    source: str
    profile_key: tuple[str, ...] | None  # None: the primary profile
    campaigns_file: Path | None
    start_date: date | None
    end_date: date | None
    platforms: tuple[str, ...] | None
    metric: str
    rate_by: str
    rate_form: str
    at_age: str
    tz: str | None  # None: the machine's time zone
    output_dir: Path

    @property
    def is_demo(self) -> bool:
        return self.source == "demo"

    def table(self) -> pl.DataFrame:
        """The parameters as a two-column frame (for the top of a report); no secrets shown."""
        import polars as pl

        rows = []
        for k, v in asdict(self).items():
            if k == "profile_key" and v is not None:
                v = f"({len(v)} profile(s) set)"
            elif isinstance(v, tuple):
                v = ", ".join(v)
            rows.append({"parameter": k, "value": "(none)" if v is None else str(v)})
        return pl.DataFrame(rows)


# --------------------------------------------------------------------------- parameters


def _metrics() -> tuple[str, ...]:
    from .schema import CANONICAL_METRICS

    return (*CANONICAL_METRICS, "engagement_rate")


def _date(name: str, value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ReportParameterError(f"{name} {value!r} is not a date; write it as YYYY-MM-DD or None")


def _live_settings(**overrides: Any) -> Any:
    """The settings of live reports, in the documented order (:func:`~ayr_analysis.config.
    load_settings`): arguments, then the environment, then ``.env`` in the working folder."""
    from .config import load_settings

    return load_settings(source="live", **overrides)


#: The environment variable through which :func:`run_report` hands the Profile-Key(s) to the
#: report's kernel (a JSON list), so that no key is ever a notebook parameter: papermill writes
#: parameters into the executed notebook and its logs. Read when ``profile_key`` is None.
PROFILE_KEYS_ENV = "AYR_ANALYSIS_REPORT_PROFILE_KEYS"


def _keys_from_environment() -> list[str] | None:
    import os

    text = os.environ.get(PROFILE_KEYS_ENV)
    if not text:
        return None
    try:
        keys = json.loads(text)
    except ValueError:
        keys = None
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ReportParameterError(
            f"{PROFILE_KEYS_ENV} must be a JSON list of Profile-Keys (it is set by run_report)"
        )
    return keys or None


def _profile_keys(value: Any, source: str) -> tuple[str, ...] | None:
    if value is None:
        value = _keys_from_environment()
    if value is None:
        return None
    if value == "all":
        if source != "demo":
            raise ReportParameterError(
                "profile_key 'all' only works on the demo world; for live data list the "
                "Profile-Keys (a JSON or comma list)"
            )
        from .sandbox.world import build_world

        return tuple(prof.profile_key for prof in build_world(7).profiles)
    if isinstance(value, str):
        value = [k.strip() for k in value.split(",")] if "," in value else [value]
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(k, str) and k.strip() for k in value
    ):
        raise ReportParameterError(
            "profile_key must be None (the primary profile), a Profile-Key, a list of them, "
            "or 'all' (demo)"
        )
    return tuple(k.strip() for k in value) or None


def _platforms(value: Any) -> tuple[str, ...] | None:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        value = parse_parameter("platforms", value)
        if value is None:
            return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable):
        raise ReportParameterError(f"platforms {value!r} must be a list of network names")
    from .platforms import UnknownPlatformError, resolve

    out = []
    for n in value:
        try:
            name = resolve(str(n))
        except UnknownPlatformError as exc:
            raise ReportParameterError(f"platforms: {exc}") from None
        if name not in out:
            out.append(name)
    return tuple(out) or None


def canonical_parameters(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with earlier parameter names (:data:`PARAMETER_ALIASES`) under today's names.

    >>> canonical_parameters({"networks": "tiktok", "post_age": "6h", "metric": "likes"})
    {'platforms': 'tiktok', 'at_age': '6h', 'metric': 'likes'}
    """
    out: dict[str, Any] = {}
    for key, value in params.items():
        name = PARAMETER_ALIASES.get(key, key)
        if name in out and name != key:
            raise ReportParameterError(f"{key} and {name} are the same parameter: give {name} once")
        out[name] = value
    return out


def check_parameters(**params: Any) -> ReportParameters:
    """Check report parameters (missing ones take :data:`DEFAULT_PARAMETERS`) and normalise them.

    Raises :class:`ReportParameterError` naming the bad value and what is allowed, before any
    request is made. String values (as the CLI passes them) are parsed: ``platforms`` as a JSON
    list or a comma list, dates as ``YYYY-MM-DD``, ``"none"`` as None.

    >>> check_parameters(metric="lieks")
    Traceback (most recent call last):
    ...
    ayr_analysis.reports.ReportParameterError: metric 'lieks' is not a canonical metric; choose one of likes, dislikes, comments, ...
    >>> check_parameters(start_date="2026-09-01").start_date
    datetime.date(2026, 9, 1)
    """
    params = canonical_parameters(params)
    unknown = sorted(set(params) - set(DEFAULT_PARAMETERS))
    if unknown:
        raise ReportParameterError(_unknown_names(unknown, list(DEFAULT_PARAMETERS)))
    p = {**DEFAULT_PARAMETERS, **params}
    p = {k: (parse_parameter(k, v) if isinstance(v, str) and k != "platforms" else v)
         for k, v in p.items()}  # fmt: skip

    source = p["source"]
    if source not in SOURCES:
        raise ReportParameterError(f"source {source!r} is not allowed; choose 'demo' or 'live'")
    metric = p["metric"]
    metrics = _metrics()
    if metric not in metrics:
        shown = ", ".join(metrics[:3])
        raise ReportParameterError(
            f"metric {metric!r} is not a canonical metric; choose one of {shown}, ... "
            f"(all: {', '.join(metrics)})"
        )
    if p["rate_by"] not in RATE_BASES:
        raise ReportParameterError(
            f"rate_by {p['rate_by']!r} is not an engagement-rate base; choose one of "
            f"{', '.join(RATE_BASES)}"
        )
    if p["rate_form"] not in RATE_FORMS:
        raise ReportParameterError(
            f"rate_form {p['rate_form']!r} is not allowed; choose 'ratio' (sum of engagements / "
            "sum of the base) or 'mean' (mean of each post's rate)"
        )
    from .analysis._base import age_label, parse_duration

    try:
        age = parse_duration(p["at_age"])
    except (ValueError, TypeError) as exc:
        raise ReportParameterError(
            f"at_age {p['at_age']!r} is not a post age; write it like '24h', '7d' or '90m'"
        ) from exc
    if age <= timedelta(0) or age > timedelta(days=30):
        raise ReportParameterError(f"at_age {p['at_age']!r} must be above 0 and at most 30 days")
    tz = p["tz"]
    if tz is not None:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(str(tz))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ReportParameterError(
                f"tz {tz!r} is not a time zone; write an IANA name such as 'Europe/Paris', "
                "'America/New_York' or 'UTC', or None for the machine's"
            ) from None
        tz = str(tz)
    start, end = _date("start_date", p["start_date"]), _date("end_date", p["end_date"])
    if start and end and start > end:
        raise ReportParameterError(f"start_date {start} is after end_date {end}")
    profile_key = _profile_keys(p["profile_key"], source)
    if source == "live" and _live_settings().api_key is None:
        raise ReportParameterError(
            "source 'live' needs an Ayrshare API key: set AYRSHARE_API_KEY in the environment "
            "or in a .env file in the working folder (or use source 'demo')"
        )
    cf = p["campaigns_file"]
    if cf is not None:
        cf = Path(cf).expanduser()
        if not cf.is_file():
            raise ReportParameterError(
                f"campaigns_file {str(cf)!r} does not exist; give a TOML campaigns file "
                "(`ayr-analysis demo-data` writes an example) or None for the default"
            )
    out = p["output_dir"]
    if out is None or str(out).strip() == "":
        raise ReportParameterError("output_dir must be a folder path")
    blocker = next(
        (q for q in (Path(out).expanduser(), *Path(out).expanduser().parents) if q.is_file()), None
    )
    if blocker is not None:
        raise ReportParameterError(
            f"output_dir {str(out)!r} cannot be a folder: {str(blocker)!r} is a file"
        )
    return ReportParameters(
        source=source,
        profile_key=profile_key,
        campaigns_file=cf,
        start_date=start,
        end_date=end,
        platforms=_platforms(p["platforms"]),
        metric=metric,
        rate_by=p["rate_by"],
        rate_form=p["rate_form"],
        at_age=age_label(p["at_age"]),
        tz=tz,
        output_dir=Path(out).expanduser(),
    )


#: The post-performance report's own parameters and their defaults (besides ``source``,
#: ``profile_key``, ``platforms``, ``metric`` and ``output_dir`` of :data:`DEFAULT_PARAMETERS`).
PERFORMANCE_PARAMETERS: dict[str, Any] = {
    "days": 7,
    "post": None,
    "horizon": "7d",
    "band": "10-90",
    "lookback": "90d",
}

#: Parameters a report has besides :data:`DEFAULT_PARAMETERS`: report -> name -> default.
REPORT_PARAMETERS: dict[str, dict[str, Any]] = {"post_performance": PERFORMANCE_PARAMETERS}

#: The bands a post is judged against (as ``analysis.alerts`` names them).
_BANDS = ("10-90", "25-75")
#: The common parameters the post-performance report uses (shown at its top).
_PERFORMANCE_COMMON = ("source", "profile_key", "platforms", "metric")


@dataclass(frozen=True)
class PerformanceParameters:
    """Checked parameters of the post-performance report (see
    :func:`check_performance_parameters`)."""

    common: ReportParameters
    days: int
    post: str | None  # a post id, or None: the post furthest above its typical value
    post_platform: str | None  # the post's network, when given as "id:network"
    horizon: str
    band: str
    lookback: str | None  # None: every earlier post

    def table(self) -> pl.DataFrame:
        """The parameters the report uses, as a two-column frame; no secrets shown."""
        import polars as pl

        common = self.common.table().filter(pl.col("parameter").is_in(_PERFORMANCE_COMMON))
        post = self.post if self.post_platform is None else f"{self.post}:{self.post_platform}"
        own = {"days": self.days, "post": post, "horizon": self.horizon, "band": self.band,
               "lookback": self.lookback}  # fmt: skip
        rows = [
            {"parameter": k, "value": "(none)" if v is None else str(v)} for k, v in own.items()
        ]
        return pl.concat([common, pl.DataFrame(rows)])


def _duration(name: str, value: Any, example: str, most: timedelta) -> str:
    from .analysis._base import age_label, parse_duration

    try:
        span = parse_duration(value)
    except (ValueError, TypeError):
        raise ReportParameterError(
            f"{name} {value!r} is not a duration; write it like {example}"
        ) from None
    if span <= timedelta(0) or span > most:
        raise ReportParameterError(f"{name} {value!r} must be above 0 and at most {most.days} days")
    return age_label(value)


def check_performance_parameters(common: ReportParameters, **params: Any) -> PerformanceParameters:
    """Check the post-performance report's own parameters (missing ones take
    :data:`PERFORMANCE_PARAMETERS`), together with the common ones already checked.

    ``days``: the posts published in the last ``days`` days are judged (1 to 365). ``post``: the
    post drawn against its band, as ``"ID"`` or ``"ID:network"`` (needed when the post is on
    several networks); None: the post furthest above its typical value. ``horizon``: the age
    forecast (up to 30 days). ``band``: ``"10-90"`` or ``"25-75"`` (percentiles of the past
    posts), what an alert means by outside. ``lookback``: the window of past posts the typical
    curves are built from (None: every earlier post). The metric must be a count that grows
    with age: ``engagement_rate`` is refused.

    >>> q = check_performance_parameters(check_parameters(), days="3", post="abc:x")
    >>> q.days, q.post, q.post_platform, q.horizon
    (3, 'abc', 'twitter', '7d')
    >>> check_performance_parameters(check_parameters(), band="5-95")
    Traceback (most recent call last):
    ...
    ayr_analysis.reports.ReportParameterError: band '5-95' is not allowed; choose '10-90' (10th to 90th percentile of past posts) or '25-75'
    """
    unknown = sorted(set(params) - set(PERFORMANCE_PARAMETERS))
    if unknown:
        raise ReportParameterError(
            f"unknown parameter(s) {', '.join(unknown)}; this report's own parameters are "
            f"{', '.join(PERFORMANCE_PARAMETERS)}"
        )
    p = {**PERFORMANCE_PARAMETERS, **params}
    # a post id stays text (an id of digits is not a number); "none" still means None
    p = {k: (parse_parameter(k, v) if isinstance(v, str) and (k != "post" or v.strip().lower()
             in ("", "none", "null")) else v) for k, v in p.items()}  # fmt: skip
    if common.metric == "engagement_rate":
        raise ReportParameterError(
            "metric 'engagement_rate' is a rate, not a count that grows with post age; "
            "choose a count such as likes, engagements or views"
        )
    if common.profile_key is not None and len(common.profile_key) > 1:
        raise ReportParameterError(
            "profile_key: post_performance judges one account against its own past posts; give "
            "one Profile-Key (or None for the primary profile), not several"
        )
    days = p["days"]
    if isinstance(days, str) and re.fullmatch(r"[+-]?\d+", days.strip()):
        days = int(days)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise ReportParameterError(f"days {days!r} must be a whole number from 1 to 365")
    band = p["band"]
    if band not in _BANDS:
        raise ReportParameterError(
            f"band {band!r} is not allowed; choose '10-90' (10th to 90th percentile of past "
            "posts) or '25-75'"
        )
    horizon = _duration("horizon", p["horizon"], "'7d' or '72h'", timedelta(days=30))
    lookback = p["lookback"]
    if lookback is not None:
        lookback = _duration("lookback", lookback, "'90d', or None for every earlier post",
                             timedelta(days=3650))  # fmt: skip
    post, network = p["post"], None
    if post is not None:
        text = str(post).strip()
        if ":" in text:
            text, name = (part.strip() for part in text.rsplit(":", 1))
            from .platforms import UnknownPlatformError, resolve

            try:
                network = resolve(name)
            except UnknownPlatformError as exc:
                raise ReportParameterError(f"post: {exc}") from None
        if not text or any(c.isspace() for c in text):
            raise ReportParameterError(
                f"post {post!r} is not a post id; give an Ayrshare post id, optionally with its "
                "network ('ID:tiktok'), or None for the post furthest above typical"
            )
        post = text
    return PerformanceParameters(
        common=common, days=days, post=post, post_platform=network, horizon=horizon, band=band,
        lookback=lookback,
    )  # fmt: skip


def _check_own_values(
    name: str, params: Mapping[str, Any], common: ReportParameters
) -> dict[str, Any]:
    """Check the values of report ``name``'s own parameters (:data:`REPORT_PARAMETERS`), given
    its common ones already checked (``common``), and return the ones given in their checked
    form; raises :class:`ReportParameterError` on the first wrong one
    (:func:`check_report_parameters` calls it).

    >>> check_report_parameters("post_performance", {"days": "0"})
    Traceback (most recent call last):
    ...
    ayr_analysis.reports.ReportParameterError: days 0 must be a whole number from 1 to 365
    """
    own = REPORT_PARAMETERS.get(name)
    if own is None or name != "post_performance":
        return {}
    q = check_performance_parameters(common, **{k: v for k, v in params.items() if k in own})
    post = q.post if q.post is None or q.post_platform is None else f"{q.post}:{q.post_platform}"
    checked = {"days": q.days, "post": post, "horizon": q.horizon, "band": q.band,
               "lookback": q.lookback}  # fmt: skip
    return {k: v for k, v in checked.items() if k in params}


def parse_parameter(name: str, value: str) -> Any:
    """Parse a parameter given as text (the CLI's ``-p name value``).

    ``none``/``null``/empty -> None; a JSON or Python literal (list, number, quoted string) is
    decoded; for ``platforms`` a comma list also works; anything else stays a string.

    >>> parse_parameter("platforms", "tiktok, youtube")
    ['tiktok', 'youtube']
    >>> parse_parameter("platforms", '["tiktok"]'), parse_parameter("start_date", "none")
    (['tiktok'], None)
    """
    text = value.strip()
    if text.lower() in ("", "none", "null"):
        return None
    if text[:1] in "[(\"'{" or (name not in _LISTS and text[:1].isdigit() and "-" not in text):
        for decode in (json.loads, ast.literal_eval):
            try:
                return decode(text)
            except (ValueError, SyntaxError):
                continue
    if name in _LISTS:
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


# --------------------------------------------------------------------------- paths

#: The package the curated notebooks ship in (package data; the repository's ``notebooks/``).
NOTEBOOKS_PACKAGE = "ayr_analysis.notebooks"


def _notebook_files() -> dict[str, Traversable]:
    """Report name -> the notebook shipped in :data:`NOTEBOOKS_PACKAGE`."""
    from importlib.resources import files

    found = (r for r in files(NOTEBOOKS_PACKAGE).iterdir() if r.name.endswith(".ipynb"))
    return {r.name.removesuffix(".ipynb"): r for r in sorted(found, key=lambda r: r.name)}


@functools.cache
def notebooks_dir() -> Path:
    """The folder of the curated notebooks shipped with the package, as a real path (where the
    package is not plain files on disk, e.g. imported from a zip, a temporary copy made once).

    >>> sorted(p.name for p in notebooks_dir().glob("*.ipynb"))  # doctest: +ELLIPSIS
    ['campaign_comparison.ipynb', 'engagement_analysis.ipynb', ..., 'quickstart.ipynb']
    """
    from importlib.resources import files

    folder = files(NOTEBOOKS_PACKAGE)
    if isinstance(folder, Path) and folder.is_dir():
        return folder
    import atexit
    import shutil
    import tempfile

    copy = Path(tempfile.mkdtemp(prefix="ayr-analysis-notebooks-"))
    atexit.register(shutil.rmtree, copy, ignore_errors=True)
    for name, notebook in _notebook_files().items():
        (copy / f"{name}.ipynb").write_bytes(notebook.read_bytes())
    return copy


def available_reports() -> list[str]:
    """Names of the notebooks that can be run as reports (the curated notebooks shipped with
    the package).

    >>> "quickstart" in available_reports()
    True
    """
    return list(_notebook_files())


def copy_notebooks(dest: str | Path, *, force: bool = False) -> list[Path]:
    """Copy the curated notebooks into folder ``dest`` (made if missing) to edit or run them in
    JupyterLab; returns the files written.

    An existing file is never overwritten unless ``force``: without it, if any notebook is
    already there, :class:`FileExistsError` names them and nothing is written.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> [p.name for p in copy_notebooks(folder)]  # doctest: +ELLIPSIS
    ['campaign_comparison.ipynb', 'engagement_analysis.ipynb', ..., 'quickstart.ipynb']
    >>> copy_notebooks(folder)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileExistsError: ... notebook(s) already in '...': campaign_comparison.ipynb, ...; nothing written (force=True, or --force, overwrites them)
    """
    dest = Path(dest).expanduser()
    if dest.exists() and not dest.is_dir():
        raise NotADirectoryError(f"{str(dest)!r} is not a folder")
    notebooks = _notebook_files()
    targets = {dest / f"{name}.ipynb": nb for name, nb in notebooks.items()}
    existing = [t.name for t in targets if t.exists()]
    if existing and not force:
        raise FileExistsError(
            f"{len(existing)} notebook(s) already in {str(dest)!r}: {', '.join(existing)}; "
            "nothing written (force=True, or --force, overwrites them)"
        )
    dest.mkdir(parents=True, exist_ok=True)
    for target, notebook in targets.items():
        target.write_bytes(notebook.read_bytes())
    return list(targets)


def resolve_campaigns_file(params: ReportParameters, *, required: bool = True) -> Path | None:
    """The campaigns file to use: the ``campaigns_file`` parameter; else, on demo data, the demo
    world's campaigns, written to ``<output_dir>/campaigns.toml``. Live data has no default:
    without the parameter this raises :class:`ReportParameterError`, or returns None when not
    ``required``.

    >>> import tempfile
    >>> path = resolve_campaigns_file(check_parameters(output_dir=tempfile.mkdtemp()))
    >>> path.name, "reel-rush" in path.read_text()
    ('campaigns.toml', True)
    """
    if params.campaigns_file is not None:
        return params.campaigns_file
    if not params.is_demo:
        if not required:
            return None
        raise ReportParameterError("campaigns_file is needed for live data (a TOML file)")
    from .sandbox.world import build_world, campaigns_toml

    params.output_dir.mkdir(parents=True, exist_ok=True)
    path = params.output_dir / "campaigns.toml"
    path.write_text(campaigns_toml(build_world(7)) + "\n")
    return path


def demo_campaign_ranking(params: ReportParameters, campaigns: Sequence[Any]) -> list[str] | None:
    """The ranking the demo world was built to show (campaign names, best first), when the
    report runs on the demo world with the demo world's own campaigns (``campaigns`` as
    :func:`~ayr_analysis.campaigns.load_campaigns` reads them: the default campaigns file on demo
    data, or a file holding the same campaigns); else None. The planned ranking is a fact about
    the demo world only: it says nothing about other campaigns, nor about live data.

    >>> import tempfile
    >>> from ayr_analysis.campaigns import Campaign, load_campaigns
    >>> p = check_parameters(output_dir=tempfile.mkdtemp())
    >>> demo_campaign_ranking(p, load_campaigns(resolve_campaigns_file(p)))[0]
    'reel-rush'
    >>> demo_campaign_ranking(p, [Campaign("spring", hashtags=("#Spring",))]) is None
    True
    """
    if not params.is_demo:
        return None
    from .campaigns import parse_campaigns
    from .sandbox.world import build_world, campaigns_toml

    world = build_world(7)
    if list(campaigns) != parse_campaigns(campaigns_toml(world)):
        return None
    return list(world.expected_ranking)


def demo_ranking_note(planned: Sequence[str], summary: pl.DataFrame) -> str:
    """The demo world's designed ranking (``planned``, from :func:`demo_campaign_ranking`) next
    to the ranking the report measured (``summary``, from
    :func:`~ayr_analysis.analysis.campaign_summary` of the comparison relative to each network's
    median post), and, when they differ, why: the two rank different things.

    >>> import polars as pl
    >>> s = pl.DataFrame({"campaign": ["b", "a", "c"], "rank": [2, 1, None]})
    >>> print(demo_ranking_note(["a", "b"], s))
    demo world, designed ranking (mean likes per post): a, b
    measured above (relative to each network's median post): a, b, the same order
    """
    import polars as pl

    measured = summary.filter(pl.col("rank").is_not_null()).sort("rank")["campaign"].to_list()
    lines = [
        f"demo world, designed ranking (mean likes per post): {', '.join(planned)}",
        f"measured above (relative to each network's median post): {', '.join(measured)}",
    ]
    if measured == list(planned):
        lines[-1] += ", the same order"
        return "\n".join(lines)
    moved = [c for i, c in enumerate(measured) if i >= len(planned) or planned[i] != c]
    why = (
        f"The two orders differ ({', '.join(moved)} placed otherwise): the design ranks raw "
        "likes per post, where campaigns on networks with big audiences lead; the measure above "
        "sets each post against the median post of its own network, that is against the other "
        "campaigns there, so a campaign on small networks beside weaker campaigns ranks higher "
        "than its raw likes, and one sharing its networks with the strongest campaign lower."
    )
    # printed as text: lines of at most 100 characters, broken between words
    lines.extend(textwrap.wrap(why, 100))
    return "\n".join(lines)


# --------------------------------------------------------------------------- data


def report_client(params: ReportParameters, profile_key: str | None = None) -> AyrshareClient:
    """The client a report uses (for ``profile_key``, default: the first of the parameters).

    ``live``: the settings from the environment, then ``.env`` in the working folder, as
    ``AyrshareClient(source="live")``; no request is made here.
    ``demo``: a private demo (:meth:`Demo.frozen <ayr_analysis.sandbox.Demo.frozen>`, seed 7)
    whose virtual clock starts frozen at the world's "now", so that reruns give the same numbers;
    its clock is ``client.demo.clock``.

    >>> c = report_client(check_parameters())
    >>> c.is_demo, c.demo.clock.now().isoformat()
    (True, '2026-11-20T12:00:00+00:00')
    """
    if profile_key is None and params.profile_key:
        profile_key = params.profile_key[0]
    if not params.is_demo:
        return _sibling(params, None, profile_key)
    from .sandbox import Demo

    return _sibling(params, Demo.frozen(7), profile_key)


def _sibling(params: ReportParameters, demo: Any, profile_key: str | None) -> AyrshareClient:
    from .client import AyrshareClient

    if not params.is_demo:
        given = {"profile_key": profile_key} if profile_key else {}
        return AyrshareClient(settings=_live_settings(**given))
    return AyrshareClient(demo=demo, profile_key=profile_key)


def _clients(params: ReportParameters, client: AyrshareClient) -> dict[str | None, Any]:
    """Profile-Key -> client (``client`` for the first; the others share its demo)."""
    keys = list(params.profile_key or [None])
    out: dict[str | None, Any] = {keys[0]: client}
    for k in keys[1:]:
        out[k] = _sibling(params, client.demo, k)
    return out


def _profile_labels(params: ReportParameters) -> dict[str | None, str | None]:
    """Label -> Profile-Key of the parameters' profiles (``None -> None``: the primary one).

    >>> _profile_labels(check_parameters(profile_key="PK-A,PK-B"))
    {'profile 1': 'PK-A', 'profile 2': 'PK-B'}
    """
    if not params.profile_key:
        return {None: None}
    return {f"profile {i}": key for i, key in enumerate(params.profile_key, 1)}


def load_posts(params: ReportParameters, client: AyrshareClient) -> pl.DataFrame:
    """The posts (history) of the profile(s) inside the date window and on the chosen networks,
    with the profile each belongs to in ``profile_key``: a label, ``"profile 1"`` for the first
    Profile-Key of the parameters and so on (null: the primary profile), never the key itself,
    which is a secret and must not reach a report.

    >>> p = check_parameters(platforms="tiktok", start_date="2026-11-01")
    >>> posts = load_posts(p, report_client(p))
    >>> set(posts["platform"]), posts["created_at"].min() >= datetime(2026, 11, 1, tzinfo=UTC)
    ({'tiktok'}, True)
    """
    import polars as pl

    from .api import history

    parts = []
    labels = {key: label for label, key in _profile_labels(params).items()}
    for key, c in _clients(params, client).items():
        part = history(client=c, last_days=0)
        parts.append(part.with_columns(pl.lit(labels[key], pl.String).alias("profile_key")))
    posts = pl.concat(parts)
    if params.platforms:
        posts = posts.filter(pl.col("platform").is_in(list(params.platforms)))
    if params.start_date:
        start = datetime.combine(params.start_date, datetime.min.time(), UTC)
        posts = posts.filter(pl.col("created_at") >= start)
    if params.end_date:
        end = datetime.combine(params.end_date + timedelta(days=1), datetime.min.time(), UTC)
        posts = posts.filter(pl.col("created_at") < end)
    return posts


def _post_ids(posts: pl.DataFrame) -> list[str]:
    return posts["post_id"].drop_nulls().unique(maintain_order=True).to_list()


def collect_snapshots(
    params: ReportParameters,
    client: AyrshareClient,
    posts: pl.DataFrame,
    *,
    ages: Sequence[str] = SNAPSHOT_AGES,
    store: SnapshotStore | str | Path | None = None,
) -> SnapshotStore:
    """Snapshots of ``posts`` in a :class:`~ayr_analysis.store.SnapshotStore` (default:
    ``<output_dir>/snapshots-<source>``), so metrics can be compared at equal post age.

    ``demo``: the demo world's history of these posts (on the chosen networks, for the
    parameters' profiles) is recorded with :func:`ayr_analysis.sandbox.demo_store`: each post
    asked at its publication + each of ``ages``, and once at the world's "now" (deterministic:
    the same store every run; ``client`` is not used). When :func:`run_report` was given a
    :class:`DemoHistory` recorded into this very store (``ayr-analysis report all`` records it
    once for the reports it runs), the store is read as it is, and nothing is recorded. ``live``: one fetch now is added to the
    store, with the history of ``posts`` (keep ``ayr-analysis track --store`` running on the
    same folder for a real time series). Read the snapshots back with :func:`snapshot_frames`.

    >>> import tempfile
    >>> p = check_parameters(platforms="twitter", start_date="2026-11-15",
    ...                      output_dir=tempfile.mkdtemp())
    >>> c = report_client(p)
    >>> s = collect_snapshots(p, c, load_posts(p, c), ages=["1h", "24h"])
    >>> wide = s.read("wide")
    >>> wide.group_by("post_id").len()["len"].min() >= 2
    True
    """
    import polars as pl

    from .api import fetch_post_analytics
    from .store import SnapshotStore

    if store is None:
        store = params.output_dir / f"snapshots-{params.source}"
    if not isinstance(store, SnapshotStore):
        store = SnapshotStore(store)
    ids = _post_ids(posts)
    nets = list(params.platforms) if params.platforms else None
    if not ids:
        return store
    keys = list(params.profile_key or [None])
    if params.is_demo:
        from .sandbox.history import demo_store

        shared = DemoHistory.from_environment()
        if shared is not None and shared.covers(store, ages=ages, platforms=nets, profiles=keys):
            return store  # recorded once for several reports: read it as it is
        return demo_store(store, seed=7, ages=ages, profiles=keys, post_ids=ids, platforms=nets,
                          progress=False)  # fmt: skip
    clients = {keys[0]: client, **{k: _sibling(params, None, k) for k in keys[1:]}}
    by_profile: dict[str | None, list[str]] = {}
    labels = _profile_labels(params)
    keyed = posts if "profile_key" in posts.columns else posts.with_columns(profile_key=None)
    for pid, label in keyed.select("post_id", "profile_key").unique(maintain_order=True).rows():
        key = labels.get(label, label)  # a label of load_posts, or a key given by the caller
        by_profile.setdefault(key if key in clients else keys[0], []).append(pid)
    for key, group in by_profile.items():
        history = posts.filter(pl.col("post_id").is_in(group))
        store.append(fetch_post_analytics(group, nets, client=clients[key], progress=False,
                                          posts=history))  # fmt: skip
    return store


#: The environment variable through which :func:`run_report` tells the report's kernel that the
#: demo world's history is already recorded (a :class:`DemoHistory` as JSON); read by
#: :func:`collect_snapshots`.
DEMO_HISTORY_ENV = "AYR_ANALYSIS_REPORT_DEMO_HISTORY"


@dataclass(frozen=True)
class DemoHistory:
    """The demo world's history, recorded once into a snapshot store for several reports to read
    (:func:`record_demo_history`); :func:`run_report` hands it to the report's kernel, where
    :func:`collect_snapshots` reads the store instead of recording it again.

    ``store``: the store's path; ``seed`` and ``now``: the demo world and its clock's time (the
    frozen clock of the reports' demo); ``ages``: the post ages each post was asked at;
    ``platforms``: the networks recorded (None: every one); ``profiles``: the Profile-Keys
    recorded (every profile of the demo world).
    """

    store: str
    seed: int
    now: str
    ages: tuple[str, ...]
    platforms: tuple[str, ...] | None
    profiles: tuple[str, ...]

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_environment(cls) -> DemoHistory | None:
        """The history :func:`run_report` handed to this kernel (:data:`DEMO_HISTORY_ENV`), or
        None (not set, or not readable: the report then records the history itself)."""
        import os

        text = os.environ.get(DEMO_HISTORY_ENV)
        return cls.from_json(text) if text else None

    @classmethod
    def from_json(cls, text: str) -> DemoHistory | None:
        """The history written by :meth:`to_json`, or None when ``text`` is not one."""
        try:
            d = json.loads(text)
            return cls(
                store=str(d["store"]), seed=int(d["seed"]), now=str(d["now"]),
                ages=tuple(map(str, d["ages"])),
                platforms=None if d["platforms"] is None else tuple(map(str, d["platforms"])),
                profiles=tuple(map(str, d["profiles"])),
            )  # fmt: skip
        except (ValueError, KeyError, TypeError):
            return None

    def covers(
        self,
        store: SnapshotStore,
        *,
        ages: Sequence[str],
        platforms: Sequence[str] | None,
        profiles: Sequence[str | None],
    ) -> bool:
        """Whether this recording holds what :func:`collect_snapshots` would record into
        ``store``: the same store, demo world (seed 7 at its "now") and ages, and every
        network and profile asked for (None: the primary profile)."""
        from .analysis._base import parse_duration
        from .sandbox.world import build_world

        world = build_world(7)
        if store.is_url or not Path(self.store).is_dir():
            return False
        if Path(self.store).resolve() != Path(store.path).resolve():
            return False
        if self.seed != 7 or self.now != world.now.isoformat():
            return False
        if sorted(map(parse_duration, ages)) != sorted(map(parse_duration, self.ages)):
            return False
        if self.platforms is not None and (
            platforms is None or not set(platforms) <= set(self.platforms)
        ):
            return False
        keys = {world.primary.profile_key if k is None else k for k in profiles}
        return keys <= set(self.profiles)


def record_demo_history(
    output_dir: str | Path, platforms: Sequence[str] | None = None
) -> DemoHistory:
    """Record the demo world's history once into ``<output_dir>/snapshots-demo``, the snapshot
    store the reports use on demo data, for several reports run one after the other to read
    (pass it to :func:`run_report` as ``demo_history``).

    Every post of every demo profile on ``platforms`` (None: every network), asked at its
    publication + each of :data:`SNAPSHOT_AGES` and at the world's "now", as
    :func:`collect_snapshots` would record the part each report needs: the same rows, recorded
    once. ``ayr-analysis report all`` does this when more than one of its reports would record
    the history (:data:`HISTORY_REPORTS`).

    >>> import tempfile
    >>> h = record_demo_history(tempfile.mkdtemp(), platforms=["linkedin"])
    >>> h.platforms, h.ages == SNAPSHOT_AGES, Path(h.store).name
    (('linkedin',), True, 'snapshots-demo')
    """
    from .sandbox.history import demo_store
    from .sandbox.world import build_world

    world = build_world(7)
    nets = None if platforms is None else tuple(dict.fromkeys(platforms))
    store = demo_store(Path(output_dir).expanduser().resolve() / "snapshots-demo", seed=7,
                       ages=SNAPSHOT_AGES, profiles="all", platforms=nets,
                       progress=False)  # fmt: skip
    return DemoHistory(
        store=store.path, seed=7, now=world.now.isoformat(), ages=tuple(SNAPSHOT_AGES),
        platforms=nets, profiles=tuple(p.profile_key for p in world.profiles),
    )  # fmt: skip


def shared_demo_history(
    names: Sequence[str],
    parameters: Mapping[str, Mapping[str, Any]],
    output_dir: str | Path = "reports",
    *,
    on_record: Callable[[], object] | None = None,
) -> DemoHistory | None:
    """For reports ``names`` run one after the other (``parameters``: name -> its parameters,
    as :func:`split_parameters` gives them): the demo world's history recorded once
    (:func:`record_demo_history`) when at least two of them would record it on demo data
    (:data:`HISTORY_REPORTS`), on the union of their networks; else None (each report records
    what it needs, as alone). Parameters are checked first (:func:`check_report_parameters`);
    ``on_record`` is called just before the recording starts (the CLI says so).
    """
    recording = []
    for name in names:
        checked = _prepare(name, parameters.get(name), output_dir).checked
        if name in HISTORY_REPORTS and checked.is_demo:
            recording.append(checked)
    if len(recording) < 2:
        return None
    folders = {c.output_dir.resolve() for c in recording}
    if len(folders) != 1:
        return None
    nets: list[str] | None = []
    for c in recording:
        if c.platforms is None or nets is None:
            nets = None
        else:
            nets += [n for n in c.platforms if n not in nets]
    if on_record is not None:
        on_record()
    return _record_apart(folders.pop(), nets)


def _record_apart(folder: Path, platforms: list[str] | None) -> DemoHistory:
    """:func:`record_demo_history` in a child interpreter (this one, ``sys.executable``): the
    memory the recording takes (the demo world's answers, the stored keys an append reads back
    on a big store) is given back when it ends, not held by the caller while the reports'
    kernels run. Where the child cannot run it (the package not importable there), it is
    recorded here."""
    import subprocess
    import sys

    code = (
        "import json, sys\n"
        "from ayr_analysis.reports import record_demo_history\n"
        "h = record_demo_history(sys.argv[1], json.loads(sys.argv[2]))\n"
        "print(h.to_json())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(folder), json.dumps(platforms)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    lines = proc.stdout.strip().splitlines()
    if proc.returncode == 0 and lines:
        history = DemoHistory.from_json(lines[-1])
        if history is not None:
            return history
    return record_demo_history(folder, platforms)


# --------------------------------------------------------------------------- analysis helpers


def snapshot_frames(
    store: SnapshotStore,
    posts: pl.DataFrame | None = None,
    networks: Sequence[str] | None = None,
    *,
    tables: Sequence[str] | None = None,
    fields: Sequence[str] | None = None,
) -> Any:
    """The stored snapshots of ``posts`` (all when None) on ``networks`` (all when None) as an
    :class:`~ayr_analysis.normalize.AnalyticsFrames` (:meth:`SnapshotStore.frames
    <ayr_analysis.store.SnapshotStore.frames>`: publication time, text and url filled from the
    store's posts table). A store shared by several reports may hold other posts: only those
    asked for come back. ``tables`` and ``fields``: read only those tables (the others come back
    empty) and only those raw fields of ``long``, as a report that uses ``wide`` alone should on
    a big store.

    >>> import tempfile
    >>> from ayr_analysis.store import SnapshotStore
    >>> snapshot_frames(SnapshotStore(tempfile.mkdtemp())).wide.height
    0
    """
    ids = _post_ids(posts) if posts is not None else None
    return store.frames(
        post_ids=ids, platforms=list(networks) if networks else None, tables=tables, fields=fields
    )


def report_now(params: ReportParameters, client: AyrshareClient) -> datetime:
    """The report's "now": the demo world's frozen clock (the same every run), else the time of
    this machine (UTC).

    >>> p = check_parameters()
    >>> report_now(p, report_client(p)).isoformat()
    '2026-11-20T12:00:00+00:00'
    """
    if params.is_demo and client.demo is not None:
        return client.demo.clock.now()
    return datetime.now(UTC)


def published_since(frame: pl.DataFrame, since: datetime) -> pl.DataFrame:
    """The rows of ``frame`` whose post was published at or after ``since`` (rows without a
    publication time are left out).

    >>> import polars as pl
    >>> t = datetime(2026, 11, 1, tzinfo=UTC)
    >>> f = pl.DataFrame({"post_id": ["a", "b", "c"],
    ...     "published_at": [t, t + timedelta(days=5), None]})
    >>> published_since(f, t + timedelta(days=1))["post_id"].to_list()
    ['b']
    """
    import polars as pl

    return frame.filter(pl.col("published_at") >= since)


def same_posts(frame: pl.DataFrame, posts: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``frame`` about the posts of ``posts`` (the same post on the same network,
    and tweet of a thread, when both have those columns), in ``frame``'s order.

    >>> import polars as pl
    >>> f = pl.DataFrame({"post_id": ["a", "a", "b"], "platform": ["x", "tiktok", "x"]})
    >>> same_posts(f, pl.DataFrame({"post_id": ["a"], "platform": ["x"]})).rows()
    [('a', 'x')]
    """
    from .schema import UNIT_KEY

    keys = [k for k in UNIT_KEY if k in frame.columns and k in posts.columns]
    return frame.join(posts.select(keys).unique(), on=keys, how="semi", nulls_equal=True)


# --------------------------------------------------------------------------- rendering


def use_static_charts() -> None:
    """Render Altair charts as inline SVG (vl-convert, no JavaScript, no network), for reports
    that must open offline. In JupyterLab, ``alt.renderers.enable("default")`` brings back
    interactive charts.

    >>> import altair as alt
    >>> use_static_charts(); alt.renderers.active
    'svg'
    >>> _ = alt.renderers.enable("default")
    """
    import altair as alt

    alt.renderers.enable("svg")


def use_report_display() -> None:
    """Settings for notebooks that become reports: charts as inline SVG (see
    :func:`use_static_charts`) and polars tables without their shape line and dtype row.

    >>> import altair as alt
    >>> use_report_display(); alt.renderers.active
    'svg'
    >>> import polars as pl
    >>> _ = alt.renderers.enable("default"); _ = pl.Config.restore_defaults()
    """
    import polars as pl

    use_static_charts()
    pl.Config.set_tbl_hide_dataframe_shape(True)
    pl.Config.set_tbl_hide_column_data_types(True)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - the notebooks extra is not installed
        return
    shell = get_ipython()
    if shell is not None:  # in a notebook: text cells without the quotes polars adds
        shell.display_formatter.formatters["text/html"].for_type(pl.DataFrame, report_table_html)


def probability_table(comparison: Any, stratum: str | None = None) -> pl.DataFrame:
    """P(row beats column) of a :class:`~ayr_analysis.analysis.Comparison`, as text for a
    report: percentages, and a dash on the diagonal (a campaign does not play itself).

    >>> import polars as pl
    >>> from ayr_analysis.analysis import compare
    >>> f = pl.DataFrame({"post_id": list("abcdef"), "platform": ["x"] * 6,
    ...     "campaign": list("AAABBB"), "likes": [9, 10, 11, 1, 2, 3]})
    >>> probability_table(compare(f, metric="likes", at_age=None)).rows()
    [('A', '–', '100%'), ('B', '0%', '–')]
    """
    from .formatting import format_table

    matrix = comparison.matrix(stratum) if stratum else comparison.matrix()
    return format_table(matrix.rename({"group_a": "row beats column"}), percent=True).rename(
        {"row beats column": "group_a"}
    )


def report_table_html(frame: Any) -> str:
    """A polars frame as an HTML table for a report, by :mod:`ayr_analysis.formatting`'s rules:
    counts as integers, rates as percentages, other numbers to 3 significant figures, text as
    it is (not in quotes), no value as a dash.

    >>> import polars as pl
    >>> html = report_table_html(pl.DataFrame({"network": ["tiktok"], "median": [1709.93617]}))
    >>> html[html.index("<tbody>"):]
    '<tbody><tr><td>tiktok</td><td class="num">1,710</td></tr></tbody></table>'
    """
    from .formatting import caveat_notes_html, table_html

    return table_html(frame) + caveat_notes_html(frame)


#: The kernel the reports run on: ipykernel's ``python3`` spec, whose ``python`` jupyter_client
#: resolves to the running interpreter (the venv's python under ``make report``).
KERNEL_NAME = "python3"


@functools.cache
def _quiet_kernel_manager() -> type:
    """jupyter_client's kernel manager with the kernel's stderr sent nowhere.

    The kernel inherits this process's stderr, and when it is stopped on a loaded machine it
    may write there ("KeyboardInterrupt caught in kernel", a libzmq assertion): noise under a
    report's one-line outcome. What matters is elsewhere: a cell's error and its traceback are in
    the executed notebook, and a kernel that dies is papermill's error (a ReportError)."""
    import subprocess

    from jupyter_client.manager import KernelManager

    class QuietKernelManager(KernelManager):
        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            kw["stderr"] = subprocess.DEVNULL
            await super()._async_launch_kernel(kernel_cmd, **kw)

    return QuietKernelManager


def _kernel_options() -> dict[str, Any]:
    """Options of papermill's notebook client: a kernel that logs only critical lines, and an
    encrypted channel to it.

    papermill starts the kernel over TCP on localhost. ipykernel (7.4 on) then writes
    "Kernel is running over TCP without encryption" to stderr unless it was given CurveZMQ
    keys; jupyter_client (8.10 on) provisions those keys itself when asked to
    (``transport_encryption="auto"``: for kernels whose spec declares support, as ipykernel's
    does). With the channel encrypted the warning has nothing to report. Older versions have no
    such setting and their kernels do not warn: then nothing is set.
    """
    import zmq
    from jupyter_client import KernelManager
    from traitlets.config import Config

    quiet = {"kernel_manager_class": _quiet_kernel_manager()}
    if "transport_encryption" not in KernelManager.class_trait_names() or not zmq.has("curve"):
        return quiet
    return {**quiet, "config": Config({"KernelManager": {"transport_encryption": "auto"}})}


_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def _offline(html: str) -> str:
    """Drop every script that would load something (require.js, MathJax, mermaid from a CDN):
    the reports hold static SVG and tables, and must open with no network.

    >>> _offline('<p>a</p><script src="https://cdn.example/x.js"></script><script>1</script>')
    '<p>a</p><script>1</script>'
    """

    def keep(m: re.Match[str]) -> str:
        attrs, body = m.group(1), m.group(2)
        if "src=" in attrs.lower() or "http://" in body or "https://" in body:
            return ""
        return m.group(0)

    return _SCRIPT.sub(keep, html)


def _html(notebook: Any, title: str) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)  # fmt: skip
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    return _offline(body)


# --------------------------------------------------------------------------- running


def _unknown_names(unknown: Iterable[str], valid: Sequence[str], report: str | None = None) -> str:
    """The message for unknown parameter names: each with its closest valid names (difflib),
    then every valid name. Names are shown as Python literals (a newline stays ``\\n``).

    >>> _unknown_names(["metrc"], ["metric", "at_age"], "quickstart")
    "unknown parameter 'metrc' (did you mean 'metric'?); the parameters of quickstart are metric, at_age"
    """
    import difflib

    parts = []
    for name in unknown:
        close = difflib.get_close_matches(str(name), valid, n=3, cutoff=0.6)
        hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
        parts.append(f"unknown parameter {name!r}{hint}")
    whose = f"the parameters of {report} are" if report else "the parameters are"
    return f"{'; '.join(parts)}; {whose} {', '.join(valid)}"


_NO_DEFAULT = object()


def notebook_parameters(name: str) -> dict[str, Any]:
    """The parameters a report's notebook declares in its ``parameters`` cell (read with
    :func:`papermill.inspect_notebook`), each with its default value (the cell's literal;
    an expression that is not a literal counts as having no default).

    >>> notebook_parameters("quickstart")["metric"], "profile_key" in notebook_parameters("quickstart")
    ('likes', True)
    """
    from importlib.resources import as_file

    import papermill as pm

    files = _notebook_files()
    if name not in files:
        raise ValueError(f"unknown report {name!r}; available: {', '.join(files)}")
    with as_file(files[name]) as source:
        declared = pm.inspect_notebook(str(source))
    out: dict[str, Any] = {}
    for key, info in declared.items():
        try:
            out[key] = ast.literal_eval(str(info.get("default")))
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            out[key] = _NO_DEFAULT
    return out


def _as_data(name: str, value: Any, depth: int = 0) -> Any:
    """``value`` as plain data of exact built-in types (papermill writes parameters into the
    notebook as Python source: only data it knows how to quote may reach it)."""
    if value is None or isinstance(value, bool):
        return None if value is None else bool(value)
    if isinstance(value, int):
        return int(int.__repr__(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ReportParameterError(f"{name} {value!r} must be a finite number")
        return float(float.__repr__(value))
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if depth < 4 and isinstance(value, list | tuple):
        return [_as_data(name, v, depth + 1) for v in value]
    if depth < 4 and isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return {str.__str__(k): _as_data(name, v, depth + 1) for k, v in value.items()}
    raise ReportParameterError(
        f"{name}: a value of type {type(value).__name__} cannot be a report parameter; give text, "
        "a number, true/false, None, or a list of them"
    )


def _matches_default(value: Any, default: Any) -> bool:
    """Whether ``value`` has the type of a parameter whose default is ``default``."""
    if default is _NO_DEFAULT or default is None or value is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int | float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, list | tuple):
        return isinstance(value, list | tuple)
    if isinstance(default, dict):
        return isinstance(value, dict)
    return True


#: Parameter names that hold a path: relative ones are made absolute against the caller's
#: working folder before the notebook runs.
_PATH_SUFFIXES = ("_file", "_path", "_dir")


def _absolute(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip() or "://" in value:
        return value
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else Path.cwd() / path)


@dataclass(frozen=True)
class _Prepared:
    parameters: dict[str, Any]  # what papermill writes into the notebook: no secret
    profile_keys: tuple[str, ...] | None  # handed to the kernel by its environment
    checked: ReportParameters


def _prepare(name: str, parameters: Mapping[str, Any] | None, output_dir: str | Path) -> _Prepared:
    available = available_reports()
    if name not in available:
        raise ValueError(f"unknown report {name!r}; available: {', '.join(available)}")
    declared = notebook_parameters(name)
    given = dict(parameters or {})
    bad_names = [k for k in given if not isinstance(k, str)]
    if bad_names:
        raise ReportParameterError(_unknown_names(map(str, bad_names), list(declared), name))
    params: dict[str, Any] = {}
    for key, value in given.items():
        # an earlier name (networks, post_age) stands for today's where the notebook has it
        alias = PARAMETER_ALIASES.get(key)
        known = alias if alias in declared and key not in declared else key
        if known in params:
            raise ReportParameterError(f"{key} and {known} are the same parameter: give it once")
        params[known] = value
    unknown = [k for k in params if k not in declared]
    if unknown:
        raise ReportParameterError(_unknown_names(unknown, list(declared), name))
    params = {k: _as_data(k, v) for k, v in params.items()}
    if "output_dir" in declared:
        params["output_dir"] = str(Path(output_dir).expanduser().resolve())
    for k, v in params.items():
        if k.endswith(_PATH_SUFFIXES):
            params[k] = _absolute(v)
    own = REPORT_PARAMETERS.get(name, {})
    for k, v in params.items():
        default = declared[k]
        if k not in DEFAULT_PARAMETERS and k not in own and not _matches_default(v, default):
            raise ReportParameterError(
                f"{k} {v!r} is a {type(v).__name__}; the notebook's default is {default!r} "
                f"(a {type(default).__name__})"
            )
    checked = check_parameters(
        **{k: v for k, v in params.items() if k in DEFAULT_PARAMETERS},
        **({} if "output_dir" in declared else {"output_dir": str(output_dir)}),
    )
    params.update(_check_own_values(name, params, checked))  # e.g. days "14" -> 14
    keys = None
    if params.get("profile_key") not in (None, "all"):
        keys = checked.profile_key
        params["profile_key"] = None  # the kernel reads them from PROFILE_KEYS_ENV
    return _Prepared(params, keys, checked)


def check_report_parameters(
    name: str, parameters: Mapping[str, Any] | None = None, output_dir: str | Path = "reports"
) -> dict[str, Any]:
    """Check ``parameters`` of report ``name`` as :func:`run_report` does, before anything runs,
    and return them as the notebook will get them.

    Each name must be one of the notebook's own parameters (its ``parameters`` cell: see
    :func:`notebook_parameters`); an unknown one raises :class:`ReportParameterError` with the
    closest names ("did you mean"). Values must be data (text, numbers, true/false, None,
    lists): papermill writes them into the notebook as quoted literals, never as code. Values of
    the shared parameters are checked by :func:`check_parameters`, the others against the type
    of the notebook's default. Relative paths (parameters named ``*_file``, ``*_path``,
    ``*_dir``, and ``output_dir``) are made absolute against the working folder. A Profile-Key is
    not a parameter of the notebook: it reaches the kernel through its environment
    (:data:`PROFILE_KEYS_ENV`), so ``profile_key`` comes back as None.

    >>> check_report_parameters("quickstart", {"metrc": "views"})
    Traceback (most recent call last):
    ...
    ayr_analysis.reports.ReportParameterError: unknown parameter 'metrc' (did you mean 'metric'?); the parameters of quickstart are source, profile_key, ...
    >>> p = check_report_parameters("quickstart", {"profile_key": "PK-1", "metric": "views"}, "out")
    >>> p["profile_key"], p["metric"], Path(p["output_dir"]).is_absolute()
    (None, 'views', True)
    """
    return dict(_prepare(name, parameters, output_dir).parameters)


def split_parameters(
    names: Sequence[str], parameters: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """Report name -> the ``parameters`` its notebook declares, for running several reports
    with one set of parameters (``ayr-analysis report all -p days 14``: only post_performance
    takes ``days``). A name that none of the reports declares is an error, with the closest
    names ("did you mean"); the values are checked by :func:`check_report_parameters`.

    >>> split_parameters(["quickstart", "post_performance"], {"days": 14, "metric": "views"})
    {'quickstart': {'metric': 'views'}, 'post_performance': {'days': 14, 'metric': 'views'}}
    >>> split_parameters(["quickstart", "post_performance"], {"dayz": 14})
    Traceback (most recent call last):
    ...
    ayr_analysis.reports.ReportParameterError: unknown parameter 'dayz' (did you mean 'days'?); the parameters of quickstart, post_performance are ...
    """
    given = dict(parameters or {})
    declared = {name: notebook_parameters(name) for name in names}

    def takes(name: str, key: str) -> bool:
        return key in declared[name] or PARAMETER_ALIASES.get(key) in declared[name]

    stray = [k for k in given if not any(takes(n, k) for n in names)]
    if stray:
        every = list(dict.fromkeys(k for n in names for k in declared[n]))
        raise ReportParameterError(_unknown_names(stray, every, ", ".join(names)))
    return {n: {k: v for k, v in given.items() if takes(n, k)} for n in names}


_ENV_LOCK = threading.Lock()


@contextlib.contextmanager
def _kernel_environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or, for None, remove) environment variables while a report's kernel starts: the
    kernel inherits this process's environment. Restored afterwards."""
    import os

    with _ENV_LOCK:
        saved = {k: os.environ.get(k) for k in values}
        try:
            for k, v in values.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            yield
        finally:
            for k, old in saved.items():
                if old is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = old


def run_report(
    name: str,
    parameters: Mapping[str, Any] | None = None,
    output_dir: str | Path = "reports",
    *,
    timeout: int = 600,
    demo_history: DemoHistory | None = None,
) -> tuple[Path, Path]:
    """Execute notebook ``name`` with ``parameters`` and write ``<output_dir>/<name>.ipynb``
    and ``<output_dir>/<name>.html`` (code hidden, self-contained). Returns both paths.

    Parameters are checked first (:func:`check_report_parameters`: an unknown name or a bad
    value raises :class:`ReportParameterError` before the notebook starts); ``output_dir`` is
    passed to the notebook as its ``output_dir``, relative paths as absolute ones (against the
    working folder, where the notebook also runs, so ``.env`` means the same inside it as here).
    Profile-Keys reach the kernel through its environment, never the executed notebook.
    ``demo_history``: the demo world's history recorded beforehand (:func:`record_demo_history`),
    which the report then reads instead of recording it (also through the kernel's environment:
    :data:`DEMO_HISTORY_ENV`).

    A failure inside the notebook raises :class:`ReportError`: one line with the failing cell's
    exception class and message, and the path of the executed notebook, kept for inspection
    (the files of an earlier run of the same name are removed first: they would not be this
    run's).

    >>> run_report("nope")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown report 'nope'; available: campaign_comparison, engagement_analysis, ...
    """
    prepared = _prepare(name, parameters, output_dir)
    out = prepared.checked.output_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    from importlib.resources import as_file

    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    nb_path = out / f"{name}.ipynb"
    html_path = out / f"{name}.html"
    for stale in (nb_path, html_path):  # a failed run must not leave an earlier run's files
        stale.unlink(missing_ok=True)
    keys = prepared.profile_keys
    env = {
        PROFILE_KEYS_ENV: json.dumps(list(keys)) if keys else None,
        DEMO_HISTORY_ENV: demo_history.to_json() if demo_history is not None else None,
    }
    with _kernel_environment(env), as_file(_notebook_files()[name]) as source:
        try:
            pm.execute_notebook(
                str(source),
                str(nb_path),
                parameters=prepared.parameters,
                kernel_name=KERNEL_NAME,
                progress_bar=False,
                execution_timeout=timeout,
                **_kernel_options(),
            )
        except PapermillExecutionError as exc:
            kept = nb_path if nb_path.is_file() else None
            raise ReportError(name, exc.ename, exc.evalue, kept, exc.exec_count) from None
        except Exception as exc:  # the kernel died or would not start, a cell timed out
            first = next((line for line in str(exc).splitlines() if line.strip()), "")
            kept = nb_path if nb_path.is_file() else None
            raise ReportError(name, type(exc).__name__, first, kept) from None
    html_path.write_text(_html(nbformat.read(nb_path, as_version=4), name), encoding="utf-8")
    return nb_path, html_path
