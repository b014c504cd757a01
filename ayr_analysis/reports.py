"""Curated reports: check a notebook's parameters, get its data, run it headless into HTML.

A report is a notebook in ``notebooks/`` with a cell tagged ``parameters``. :func:`run_report`
executes it with papermill (parameters injected) and writes ``<output_dir>/<name>.ipynb`` and a
self-contained ``<output_dir>/<name>.html`` (code hidden, charts as inline SVG, no scripts loaded
from the network). The notebooks call the helpers here so that they hold narrative, not logic.

>>> p = check_parameters(metric="likes", networks="tiktok,youtube", post_age="24h")
>>> p.networks, p.post_age
(('tiktok', 'youtube'), '24h')
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from .client import AyrshareClient
    from .store import SnapshotStore

__all__ = [
    "CURATED_REPORTS",
    "DEFAULT_PARAMETERS",
    "SNAPSHOT_AGES",
    "ReportParameterError",
    "ReportParameters",
    "available_reports",
    "check_parameters",
    "collect_snapshots",
    "load_posts",
    "notebooks_dir",
    "parse_parameter",
    "report_client",
    "resolve_campaigns_file",
    "run_report",
    "report_table_html",
    "use_report_display",
    "use_static_charts",
    "snapshot_frames",
    "distribution",
    "medians_at_ages",
    "followers_by_network",
    "rate_definitions",
    "network_mix",
    "network_mix_chart",
    "campaign_summary",
]

#: The reports ``make report`` runs, in order.
CURATED_REPORTS: tuple[str, ...] = ("quickstart", "engagement_analysis", "campaign_comparison")

#: Every report parameter and its default (what the notebooks' ``parameters`` cells hold).
DEFAULT_PARAMETERS: dict[str, Any] = {
    "source": "demo",
    "profile_key": None,
    "campaigns_file": None,
    "start_date": None,
    "end_date": None,
    "networks": None,
    "metric": "likes",
    "rate_by": "impressions",
    "rate_form": "ratio",
    "post_age": "24h",
    "output_dir": "reports",
}

SOURCES = ("demo", "live")
RATE_BYS = ("impressions", "reach", "views", "followers")
RATE_FORMS = ("mean", "ratio")
#: Post ages at which the demo sandbox is asked (by moving its virtual clock).
SNAPSHOT_AGES: tuple[str, ...] = ("1h", "6h", "24h", "72h", "7d")


class ReportParameterError(ValueError):
    """A report parameter is wrong; the message says what is allowed."""


@dataclass(frozen=True)
class ReportParameters:
    """Checked, normalised report parameters (see :func:`check_parameters`)."""

    source: str
    profile_key: tuple[str, ...] | None  # None: the primary profile
    campaigns_file: Path | None
    start_date: date | None
    end_date: date | None
    networks: tuple[str, ...] | None
    metric: str
    rate_by: str
    rate_form: str
    post_age: str
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


def _env_file() -> Path:
    """The ``.env`` reports read: the working folder's, else the one at the repository root
    (notebooks run from ``notebooks/``)."""
    here = Path(".env")
    return here if here.is_file() else _repo_root() / ".env"


def _live_settings(**overrides: Any) -> Any:
    from .config import load_settings

    return load_settings(env_file=_env_file(), source="live", **overrides)


def _profile_keys(value: Any, source: str) -> tuple[str, ...] | None:
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


def _networks(value: Any) -> tuple[str, ...] | None:
    from .schema import PLATFORMS

    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        value = parse_parameter("networks", value)
        if value is None:
            return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable):
        raise ReportParameterError(f"networks {value!r} must be a list of network names")
    out = []
    for n in value:
        name = str(n).strip().lower()
        if name == "x":
            name = "twitter"
        if name not in PLATFORMS:
            raise ReportParameterError(
                f"networks: {n!r} is not a network; choose from {', '.join(PLATFORMS)}"
            )
        if name not in out:
            out.append(name)
    return tuple(out) or None


def check_parameters(**params: Any) -> ReportParameters:
    """Check report parameters (missing ones take :data:`DEFAULT_PARAMETERS`) and normalise them.

    Raises :class:`ReportParameterError` naming the bad value and what is allowed, before any
    request is made. String values (as the CLI passes them) are parsed: ``networks`` as a JSON
    list or a comma list, dates as ``YYYY-MM-DD``, ``"none"`` as None.

    >>> check_parameters(metric="lieks")
    Traceback (most recent call last):
    ...
    ayr_analysis.reports.ReportParameterError: metric 'lieks' is not a canonical metric; choose one of likes, dislikes, comments, ...
    >>> check_parameters(start_date="2026-09-01").start_date
    datetime.date(2026, 9, 1)
    """
    unknown = sorted(set(params) - set(DEFAULT_PARAMETERS))
    if unknown:
        raise ReportParameterError(
            f"unknown parameter(s) {', '.join(unknown)}; the parameters are "
            f"{', '.join(DEFAULT_PARAMETERS)}"
        )
    p = {**DEFAULT_PARAMETERS, **params}
    p = {k: (parse_parameter(k, v) if isinstance(v, str) and k != "networks" else v)
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
    if p["rate_by"] not in RATE_BYS:
        raise ReportParameterError(
            f"rate_by {p['rate_by']!r} is not an engagement-rate base; choose one of "
            f"{', '.join(RATE_BYS)}"
        )
    if p["rate_form"] not in RATE_FORMS:
        raise ReportParameterError(
            f"rate_form {p['rate_form']!r} is not allowed; choose 'ratio' (sum of engagements / "
            "sum of the base) or 'mean' (mean of each post's rate)"
        )
    from .metrics import _age_label, parse_duration

    try:
        age = parse_duration(p["post_age"])
    except (ValueError, TypeError) as exc:
        raise ReportParameterError(
            f"post_age {p['post_age']!r} is not a post age; write it like '24h', '7d' or '90m'"
        ) from exc
    if age <= timedelta(0) or age > timedelta(days=30):
        raise ReportParameterError(
            f"post_age {p['post_age']!r} must be above 0 and at most 30 days"
        )
    start, end = _date("start_date", p["start_date"]), _date("end_date", p["end_date"])
    if start and end and start > end:
        raise ReportParameterError(f"start_date {start} is after end_date {end}")
    profile_key = _profile_keys(p["profile_key"], source)
    if source == "live" and _live_settings().api_key is None:
        raise ReportParameterError(
            "source 'live' needs an Ayrshare API key: set AYRSHARE_API_KEY in the environment "
            f"or in {_env_file()} (or use source 'demo')"
        )
    cf = p["campaigns_file"]
    if cf is not None:
        cf = Path(cf).expanduser()
        if not cf.is_file():
            raise ReportParameterError(
                f"campaigns_file {str(cf)!r} does not exist; give a TOML campaigns file "
                "(see data/campaigns.toml) or None for the default"
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
        networks=_networks(p["networks"]),
        metric=metric,
        rate_by=p["rate_by"],
        rate_form=p["rate_form"],
        post_age=_age_label(p["post_age"]),
        output_dir=Path(out).expanduser(),
    )


def parse_parameter(name: str, value: str) -> Any:
    """Parse a parameter given as text (the CLI's ``-p name value``).

    ``none``/``null``/empty -> None; a JSON or Python literal (list, number, quoted string) is
    decoded; for ``networks`` a comma list also works; anything else stays a string.

    >>> parse_parameter("networks", "tiktok, youtube")
    ['tiktok', 'youtube']
    >>> parse_parameter("networks", '["tiktok"]'), parse_parameter("start_date", "none")
    (['tiktok'], None)
    """
    text = value.strip()
    if text.lower() in ("", "none", "null"):
        return None
    if text[:1] in "[(\"'{" or (name != "networks" and text[:1].isdigit() and "-" not in text):
        for decode in (json.loads, ast.literal_eval):
            try:
                return decode(text)
            except (ValueError, SyntaxError):
                continue
    if name == "networks":
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


# --------------------------------------------------------------------------- paths


def _repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def notebooks_dir() -> Path:
    """The folder of the curated notebooks (``notebooks/`` next to the package).

    >>> notebooks_dir().name
    'notebooks'
    """
    return _repo_root() / "notebooks"


def available_reports() -> list[str]:
    """Names of the notebooks that can be run as reports.

    >>> "quickstart" in available_reports()
    True
    """
    return sorted(p.stem for p in notebooks_dir().glob("*.ipynb"))


def resolve_campaigns_file(params: ReportParameters) -> Path:
    """The campaigns file to use: the parameter, else ``data/campaigns.toml`` of the repo, else
    (demo only) the demo world's campaigns written into the output folder.

    >>> resolve_campaigns_file(check_parameters()).name
    'campaigns.toml'
    """
    if params.campaigns_file is not None:
        return params.campaigns_file
    bundled = _repo_root() / "data" / "campaigns.toml"
    if bundled.is_file():
        return bundled
    if not params.is_demo:
        raise ReportParameterError("campaigns_file is needed for live data (a TOML file)")
    from .sandbox.world import build_world, campaigns_toml

    params.output_dir.mkdir(parents=True, exist_ok=True)
    path = params.output_dir / "campaigns.toml"
    path.write_text(campaigns_toml(build_world(7)) + "\n")
    return path


# --------------------------------------------------------------------------- data


def report_client(params: ReportParameters, profile_key: str | None = None) -> AyrshareClient:
    """The client a report uses (for ``profile_key``, default: the first of the parameters).

    ``live``: the settings from the environment / ``.env`` (the working folder's, else the
    repository's), as ``AyrshareClient(source="live")``; no request is made here.
    ``demo``: a private sandbox (seed 7) whose virtual clock starts frozen at the world's "now",
    so that reruns give the same numbers; its clock is ``client._transport.clock``.

    >>> c = report_client(check_parameters())
    >>> c.is_demo, c._transport.clock.now().isoformat()
    (True, '2026-11-20T12:00:00+00:00')
    """
    if profile_key is None and params.profile_key:
        profile_key = params.profile_key[0]
    if not params.is_demo:
        return _sibling(params, None, profile_key)
    from .sandbox import SandboxTransport, VirtualClock, build_world

    world = build_world(7)
    transport = SandboxTransport(
        world, clock=VirtualClock(start=world.now), rate_limit=10**9, rate_window=1.0
    )
    return _sibling(params, transport, profile_key)


def _sibling(params: ReportParameters, transport: Any, profile_key: str | None) -> AyrshareClient:
    from .client import AyrshareClient

    if not params.is_demo:
        given = {"profile_key": profile_key} if profile_key else {}
        return AyrshareClient(settings=_live_settings(**given))
    return AyrshareClient(
        source="demo", transport=transport, profile_key=profile_key,
        rate_limit=10**9, rate_window=1.0,
    )  # fmt: skip


def _clients(params: ReportParameters, client: AyrshareClient) -> dict[str | None, Any]:
    """Profile-Key -> client (``client`` for the first; the others share its transport)."""
    keys = list(params.profile_key or [None])
    out: dict[str | None, Any] = {keys[0]: client}
    for k in keys[1:]:
        out[k] = _sibling(params, client._transport, k)  # type: ignore[attr-defined]
    return out


def load_posts(params: ReportParameters, client: AyrshareClient) -> pl.DataFrame:
    """The posts (history) of the profile(s) inside the date window and on the chosen networks,
    with the ``profile_key`` each belongs to (null: the primary profile).

    >>> p = check_parameters(networks="tiktok", start_date="2026-11-01")
    >>> posts = load_posts(p, report_client(p))
    >>> set(posts["platform"]), posts["created_at"].min() >= datetime(2026, 11, 1, tzinfo=UTC)
    ({'tiktok'}, True)
    """
    import polars as pl

    from .api import history

    parts = []
    for key, c in _clients(params, client).items():
        part = history(client=c, last_days=0, limit=1000)
        parts.append(part.with_columns(pl.lit(key, pl.String).alias("profile_key")))
    posts = pl.concat(parts)
    if params.networks:
        posts = posts.filter(pl.col("platform").is_in(list(params.networks)))
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

    ``demo``: the sandbox's virtual clock is moved to each post's publication + each of ``ages``
    and the post is asked then (deterministic: the same store every run). ``live``: one fetch
    now is added to the store (keep ``ayr-analysis track --store`` running on the same folder
    for a real time series).

    >>> import tempfile
    >>> p = check_parameters(networks="twitter", start_date="2026-11-15",
    ...                      output_dir=tempfile.mkdtemp())
    >>> c = report_client(p)
    >>> s = collect_snapshots(p, c, load_posts(p, c), ages=["1h", "24h"])
    >>> wide = s.read("wide")
    >>> wide.group_by("post_id").len()["len"].min() >= 2
    True
    """
    import polars as pl

    from .api import fetch_post_analytics
    from .normalize import AnalyticsFrames
    from .store import SnapshotStore

    if store is None:
        store = params.output_dir / f"snapshots-{params.source}"
    if not isinstance(store, SnapshotStore):
        store = SnapshotStore(store)
    ids = _post_ids(posts)
    nets = list(params.networks) if params.networks else None
    if not ids:
        return store
    clients = _clients(params, client)
    by_profile: dict[str | None, list[str]] = {}
    first = next(iter(clients))
    keyed = posts if "profile_key" in posts.columns else posts.with_columns(profile_key=None)
    for pid, key in keyed.select("post_id", "profile_key").unique(maintain_order=True).rows():
        by_profile.setdefault(key if key in clients else first, []).append(pid)
    if not params.is_demo:
        for key, group in by_profile.items():
            store.append(fetch_post_analytics(group, nets, client=clients[key], progress=False))
        return store
    from .client import BulkResult, PostFailure
    from .errors import AyrshareError
    from .metrics import parse_duration
    from .normalize import normalize

    clock = client._transport.clock  # type: ignore[attr-defined]
    end = clock.now()
    # publication: the scheduled time for scheduled posts, else the creation time
    published = posts.group_by("post_id").agg(
        pl.coalesce("scheduled_at", "created_at").min().alias("t")
    )
    when = dict(zip(published["post_id"], published["t"], strict=True))
    owner = {pid: key for key, group in by_profile.items() for pid in group}
    plan = sorted(
        (when[pid] + parse_duration(age), pid)
        for age in ages
        for pid in ids
        if when.get(pid) is not None and when[pid] + parse_duration(age) <= end
    )
    bulk = BulkResult(responses=[], failures=[])
    try:
        for t, pid in plan:  # one post at a time: each is asked at its own simulated time
            clock.set(t)
            try:
                bulk.responses.append(clients[owner[pid]].analytics_post(pid, nets))
            except AyrshareError as exc:
                bulk.failures.append(PostFailure(pid, exc))
    finally:
        clock.set(end)
    latest = [fetch_post_analytics(group, nets, client=clients[key], progress=False)
              for key, group in by_profile.items()]  # fmt: skip
    frames = AnalyticsFrames.concat([normalize(bulk), *latest])
    frames.source = "demo"
    store.append(frames)
    return store


# --------------------------------------------------------------------------- analysis helpers


def snapshot_frames(
    store: SnapshotStore,
    posts: pl.DataFrame | None = None,
    networks: Sequence[str] | None = None,
) -> Any:
    """The stored snapshots of ``posts`` (all when None) on ``networks`` (all when None) as an
    :class:`~ayr_analysis.normalize.AnalyticsFrames`. A store shared by several reports may hold
    other posts: only those asked for come back.

    >>> import tempfile
    >>> from ayr_analysis.store import SnapshotStore
    >>> snapshot_frames(SnapshotStore(tempfile.mkdtemp())).wide.height
    0
    """
    from .normalize import AnalyticsFrames

    ids = _post_ids(posts) if posts is not None else None
    nets = list(networks) if networks else None

    def read(table: str) -> pl.DataFrame:
        if ids is not None and not ids:
            return store.read(table).clear()
        return store.read(table, post_ids=ids, platforms=nets)

    frames = AnalyticsFrames(
        long=read("long"),
        wide=read("wide"),
        reactions=read("reactions"),
        breakdowns=read("breakdowns"),
        errors=read("errors"),
    )
    frames.source = store.source
    return frames


def distribution(
    frame: pl.DataFrame, metric: str, by: str | Sequence[str] = ("platform", "media_type")
) -> pl.DataFrame:
    """Per group: posts reporting ``metric`` (``n``), those that did not (``not_reported``),
    median, quartiles, mean and max of each post's latest value. Null groups read
    ``"(not reported)"``; nulls are never counted as 0.

    >>> import polars as pl
    >>> f = pl.DataFrame({"post_id": list("abcd"), "platform": ["x", "x", "x", "y"],
    ...                   "media_type": ["image"] * 4, "likes": [1, 2, 100, None]})
    >>> distribution(f, "likes").select("platform", "n", "not_reported", "median", "mean").rows()
    [('x', 3, 0, 2.0, 34.333333333333336), ('y', 0, 1, None, None)]
    """
    import polars as pl

    from .metrics import _latest

    groups = [by] if isinstance(by, str) else list(by)
    latest = _latest(frame) if "observed_at" in frame.columns else frame
    v = pl.col(metric).cast(pl.Float64)
    return (
        latest.with_columns(pl.col(g).cast(pl.String).fill_null("(not reported)") for g in groups)
        .group_by(groups)
        .agg(
            v.is_not_null().sum().cast(pl.Int64).alias("n"),
            v.is_null().sum().cast(pl.Int64).alias("not_reported"),
            v.median().alias("median"),
            v.quantile(0.25, "linear").alias("q25"),
            v.quantile(0.75, "linear").alias("q75"),
            v.mean().alias("mean"),
            v.max().alias("max"),
        )
        .sort(groups)
    )


def medians_at_ages(
    snapshots: pl.DataFrame,
    metric: str,
    ages: Sequence[str] = ("1h", "6h", "24h", "72h", "7d"),
    by: str = "platform",
) -> pl.DataFrame:
    """Median ``metric`` per ``by`` group at equal post ages (interpolated between snapshots),
    one column per age, with the number of posts observed at the last age.

    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
    >>> h = dt.timedelta(hours=1)
    >>> f = pl.DataFrame({"post_id": ["a", "a"], "platform": ["x", "x"], "published_at": [t, t],
    ...                   "observed_at": [t + h, t + 3 * h], "likes": [10, 30]})
    >>> medians_at_ages(f, "likes", ["1h", "2h"]).rows()
    [('x', 10.0, 20.0, 1)]
    """
    import polars as pl

    from .metrics import at_age

    aligned = at_age(snapshots, list(ages), metric)
    wide = (
        aligned.group_by(by, "age")
        .agg(pl.col(metric).median().alias("median"))
        .pivot(on="age", index=by, values="median")
    )
    counts = (
        aligned.filter(pl.col("age") == ages[-1])
        .group_by(by)
        .agg(pl.col(metric).is_not_null().sum().cast(pl.Int64).alias(f"n_at_{ages[-1]}"))
    )
    for a in ages:
        if a not in wide.columns:
            wide = wide.with_columns(pl.lit(None, pl.Float64).alias(a))
    return wide.join(counts, on=by, how="left").select(by, *ages, f"n_at_{ages[-1]}").sort(by)


def followers_by_network(client: AyrshareClient, networks: Sequence[str]) -> pl.DataFrame:
    """``(platform, followers)``: each network's latest follower count, for per-follower rates.

    >>> p = check_parameters()
    >>> followers_by_network(report_client(p), ["tiktok"])["platform"].to_list()
    ['tiktok']
    """
    import polars as pl

    from .api import account_analytics

    acc = account_analytics(list(networks), client=client)
    return (
        acc.filter((pl.col("metric") == "followers") & pl.col("date").is_null())
        .group_by("platform")
        .agg(pl.col("value").last().alias("followers"))
        .sort("platform")
    )


def rate_definitions(
    frame: pl.DataFrame, followers: pl.DataFrame | None = None, group_by: str = "platform"
) -> pl.DataFrame:
    """Engagement rate per group under every definition side by side: each base (impressions,
    reach, views, followers when given) in both forms (ratio of sums, mean of post rates).
    Columns: the group, ``definition``, ``n_posts``, ``rate``, ``low``, ``high``.

    >>> import polars as pl
    >>> f = pl.DataFrame({"post_id": ["a", "b"], "platform": ["x", "x"], "engagements": [1, 3],
    ...     "impressions": [10, 10], "reach": [5, 5], "views": [None, None]})
    >>> r = rate_definitions(f)
    >>> r.filter(pl.col("definition").str.contains("reach, ratio"))["rate"].item()
    0.4
    """
    import polars as pl

    from .metrics import engagement_rate

    out = []
    for base in RATE_BYS:
        if base == "followers" and followers is None:
            continue
        if base != "followers" and base not in frame.columns:
            continue
        for form in ("ratio", "mean"):
            r = engagement_rate(
                frame, by=base, form=form, group_by=group_by,  # type: ignore[arg-type]
                followers=followers if base == "followers" else None, n_resamples=500,
            )  # fmt: skip
            out.append(r.select(group_by, "definition", "n_posts", "rate", "low", "high"))
    return pl.concat(out).sort(group_by, "definition")


def network_mix(frame: pl.DataFrame, by: str = "campaign") -> pl.DataFrame:
    """Posts per ``by`` group and network (latest observation per post and network), with each
    network's share of the group's posts.

    >>> import polars as pl
    >>> f = pl.DataFrame({"post_id": ["a", "a", "b"], "platform": ["x", "y", "x"],
    ...                   "campaign": ["c", "c", "c"]})
    >>> network_mix(f).rows()
    [('c', 'x', 2, 0.6666666666666666), ('c', 'y', 1, 0.3333333333333333)]
    """
    import polars as pl

    from .metrics import _latest

    latest = _latest(frame) if "observed_at" in frame.columns else frame
    return (
        latest.filter(pl.col(by).is_not_null())
        .group_by(by, "platform")
        .agg(pl.col("post_id").n_unique().cast(pl.Int64).alias("posts"))
        .with_columns((pl.col("posts") / pl.col("posts").sum().over(by)).alias("share"))
        .sort(by, "platform")
    )


def network_mix_chart(mix: pl.DataFrame, by: str = "campaign", *, demo: bool = False) -> Any:
    """Stacked bars of :func:`network_mix`: each group's posts split by network.

    >>> import polars as pl
    >>> mix = pl.DataFrame({"campaign": ["c"], "platform": ["x"], "posts": [2], "share": [1.0]})
    >>> network_mix_chart(mix).to_dict()["mark"]["type"]
    'bar'
    """
    import altair as alt

    from .charts import platform_scale

    title = "Network mix per " + by + (" (DEMO data)" if demo else "")
    return (
        alt.Chart(alt.Data(values=mix.to_dicts()), title=title)
        .mark_bar()
        .encode(
            y=alt.Y(f"{by}:N", title=by.capitalize()),
            x=alt.X("posts:Q", title="Posts (per network)"),
            color=alt.Color("platform:N", scale=platform_scale(), title="Network"),
            tooltip=[f"{by}:N", "platform:N", "posts:Q", alt.Tooltip("share:Q", format=".0%")],
        )
    )


def campaign_summary(comparison: Any, mix: pl.DataFrame) -> pl.DataFrame:
    """One row per campaign, best first: rank, posts, estimate and interval, the probability it
    beats the next-ranked campaign, and its main network.

    >>> import polars as pl
    >>> from ayr_analysis.metrics import compare
    >>> f = pl.DataFrame({"post_id": list("abcdef"), "platform": ["x"] * 6,
    ...     "campaign": list("AAABBB"), "likes": [9, 10, 11, 1, 2, 3]})
    >>> s = campaign_summary(compare(f, metric="likes", at_age=None), network_mix(f))
    >>> s.select("campaign", "rank", "p_beats_next", "main_network").rows()
    [('A', 1, 1.0, 'x'), ('B', 2, None, 'x')]
    """
    import polars as pl

    table = comparison.table
    order = table["group"].to_list()
    beats = {(a, b): p for a, b, p in comparison.beats.iter_rows()}
    nxt = [beats.get((g, order[i + 1])) if i + 1 < len(order) else None
           for i, g in enumerate(order)]  # fmt: skip
    main = (
        mix.sort("posts", descending=True)
        .group_by("campaign", maintain_order=True)
        .first()
        .select("campaign", pl.col("platform").alias("main_network"))
    )
    return (
        table.rename({"group": "campaign"})
        .with_columns(pl.Series("p_beats_next", nxt, dtype=pl.Float64))
        .join(main, on="campaign", how="left", maintain_order="left")
        .select("campaign", "rank", "n", "estimate", "low", "high", "p_beats_next", "main_network")
    )


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


#: a table cell holding text as polars writes it: in quotes (the closing one is missing when
#: polars cut the text short)
_QUOTED_CELL = re.compile(r"<td>&quot;(.*?)(?:&quot;)?</td>", re.DOTALL)


def report_table_html(frame: Any) -> str:
    """A polars frame as an HTML table for a report: polars' own table, but text cells show
    their text, not the text in quotes.

    >>> import polars as pl
    >>> html = report_table_html(pl.DataFrame({"network": ["tiktok"], "says": ['"hi"']}))
    >>> html[html.index("<tbody>"):]
    '<tbody><tr><td>tiktok</td><td>&quot;hi&quot;</td></tr></tbody></table></div>'
    """
    return _QUOTED_CELL.sub(r"<td>\1</td>", frame._repr_html_())


#: The kernel the reports run on: ipykernel's ``python3`` spec, whose ``python`` jupyter_client
#: resolves to the running interpreter (the venv's python under ``make report``).
KERNEL_NAME = "python3"


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


def run_report(
    name: str,
    parameters: Mapping[str, Any] | None = None,
    output_dir: str | Path = "reports",
    *,
    timeout: int = 600,
) -> tuple[Path, Path]:
    """Execute notebook ``name`` with ``parameters`` and write ``<output_dir>/<name>.ipynb``
    and ``<output_dir>/<name>.html`` (code hidden, self-contained). Returns both paths.

    Parameters are checked first (a bad one raises :class:`ReportParameterError` before the
    notebook starts); ``output_dir`` is passed to the notebook as its ``output_dir``.

    >>> run_report("nope")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown report 'nope'; available: campaign_comparison, engagement_analysis, ...
    """
    available = available_reports()
    if name not in available:
        raise ValueError(f"unknown report {name!r}; available: {', '.join(available)}")
    params = dict(parameters or {})
    params["output_dir"] = str(Path(output_dir).resolve())
    # a notebook may have parameters of its own: those are passed through unchecked
    checked = check_parameters(**{k: v for k, v in params.items() if k in DEFAULT_PARAMETERS})
    out = checked.output_dir
    out.mkdir(parents=True, exist_ok=True)
    import nbformat
    import papermill as pm

    nb_path = out / f"{name}.ipynb"
    pm.execute_notebook(
        str(notebooks_dir() / f"{name}.ipynb"),
        str(nb_path),
        parameters=params,
        kernel_name=KERNEL_NAME,
        cwd=str(notebooks_dir()),
        progress_bar=False,
        execution_timeout=timeout,
    )
    html_path = out / f"{name}.html"
    html_path.write_text(_html(nbformat.read(nb_path, as_version=4), name), encoding="utf-8")
    return nb_path, html_path
