"""Campaigns: group posts by a small TOML file, then compare the groups.

The file holds ``[[campaign]]`` tables (see ``docs/CAMPAIGNS.md``)::

    [[campaign]]
    name = "spring-launch"
    hashtags = ["#SpringLaunch"]
    start = 2026-08-01
    end = 2026-08-31

A post belongs to the **first** campaign (in file order) it matches. It matches when (its id is in
``ids``, or it carries one of ``hashtags``, or ``pattern`` is found in its text; a campaign with
none of the three matches any post) and it was created inside ``start``..``end`` (inclusive) and
it is on one of ``platforms`` (when given).

Patterns are matched by polars' regex engine (the Rust ``regex`` crate), whose matching time grows
linearly with the text whatever the pattern: a pattern such as ``(a+)+$`` cannot hang a report.
That engine has no look-around and no backreferences; such patterns are refused when the file is
read.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

__all__ = [
    "MAX_CAMPAIGNS_FILE_BYTES",
    "Campaign",
    "CampaignWarning",
    "CampaignsFileError",
    "assign_campaigns",
    "campaign_posts",
    "load_campaigns",
    "parse_campaigns",
]

#: A campaigns file larger than this is refused (a real one is a few kilobytes).
MAX_CAMPAIGNS_FILE_BYTES = 1_000_000

_KEYS = ("name", "description", "ids", "hashtags", "pattern", "start", "end", "platforms")
_HASHTAG = re.compile(r"#?(\w+)")


class CampaignsFileError(ValueError):
    """The campaigns file is missing, is not TOML, or describes a campaign badly."""


class CampaignWarning(UserWarning):
    """A campaign selects no post (yet): it has 0 posts wherever it is used."""


@dataclass(frozen=True)
class Campaign:
    """One campaign: a name and the rules that pick its posts.

    >>> c = Campaign("launch", hashtags=("#Launch",))
    >>> c.matches_text("Our #launch is here"), c.matches_text("#Launched")
    (True, False)
    """

    name: str
    description: str | None = None
    ids: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    pattern: str | None = None
    start: datetime | None = None  # inclusive, UTC
    end: datetime | None = None  # inclusive, UTC
    platforms: tuple[str, ...] = ()

    @cached_property
    def _hashtag_re(self) -> re.Pattern[str] | None:
        if not self.hashtags:
            return None
        tags = "|".join(re.escape(t.lstrip("#")) for t in self.hashtags)
        return re.compile(rf"(?<![\w#])#(?:{tags})(?!\w)", re.IGNORECASE)

    @property
    def has_content_rule(self) -> bool:
        return bool(self.ids or self.hashtags or self.pattern)

    def matches_text(self, text: str | None) -> bool:
        """True when ``text`` carries one of the hashtags or matches the pattern."""
        return text is not None and bool(self.matching_texts([text]))

    def matching_texts(self, texts: list[str]) -> list[str]:
        """The ``texts`` that carry one of the hashtags or match the pattern, in order.

        >>> Campaign("c", pattern="(?i)with @").matching_texts(["Live WITH @ana", "hi"])
        ['Live WITH @ana']
        """
        if not texts:
            return []
        found = [False] * len(texts)
        tag_re = self._hashtag_re
        if tag_re is not None:
            found = [tag_re.search(t) is not None for t in texts]
        if self.pattern is not None:
            hits = pl.Series(texts, dtype=pl.String).str.contains(self.pattern).to_list()
            found = [a or bool(b) for a, b in zip(found, hits, strict=True)]
        return [t for t, hit in zip(texts, found, strict=True) if hit]


def load_campaigns(path: str | Path) -> list[Campaign]:
    """Read and check a campaigns file.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "campaigns.toml"
    >>> _ = p.write_text('[[campaign]]\\nname = "launch"\\nhashtags = ["#Launch"]\\n')
    >>> [c.name for c in load_campaigns(p)]
    ['launch']
    """
    p = Path(path)
    data = _read_small_file(p)
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark (some Windows editors) is fine
    except UnicodeDecodeError as exc:
        raise CampaignsFileError(f"campaigns file {str(p)!r} is not UTF-8 text: {exc}") from None
    return parse_campaigns(text, source=str(p))


def _read_small_file(p: Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_CAMPAIGNS_FILE_BYTES`.

    A device (``/dev/zero``), a pipe or a socket is refused before it is read (opening a pipe
    would wait for a writer), and at most one byte more than the limit is ever read.
    """
    where = f"campaigns file {str(p)!r}"
    try:
        st = os.stat(p)
        if stat.S_ISDIR(st.st_mode):
            raise CampaignsFileError(f"{where} is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise CampaignsFileError(
                f"{where} is not a regular file (a device, pipe or socket): give a TOML file"
            )
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):  # replaced since the check
                raise CampaignsFileError(f"{where} is not a regular file: give a TOML file")
            data = fh.read(MAX_CAMPAIGNS_FILE_BYTES + 1)
    except FileNotFoundError:
        raise CampaignsFileError(
            f"{where} not found (`ayr-analysis demo-data --out DIR` writes an example, "
            "DIR/campaigns.toml)"
        ) from None
    except IsADirectoryError:
        raise CampaignsFileError(f"{where} is a folder, not a file") from None
    except OSError as exc:
        raise CampaignsFileError(f"cannot read {where}: {exc}") from None
    if len(data) > MAX_CAMPAIGNS_FILE_BYTES:
        raise CampaignsFileError(
            f"{where} is larger than {MAX_CAMPAIGNS_FILE_BYTES:,} bytes: a campaigns file holds "
            "a few [[campaign]] tables (list many post ids in several campaigns or use hashtags)"
        )
    return data


def parse_campaigns(text: str, *, source: str = "<campaigns>") -> list[Campaign]:
    """Parse campaigns-file text; every problem raises :class:`CampaignsFileError`.

    >>> parse_campaigns('[[campaign]]\\nname = "a"\\nplatforms = ["tiktok"]')[0].platforms
    ('tiktok',)
    >>> parse_campaigns('[[campaign]]\\nnme = "a"')
    Traceback (most recent call last):
    ...
    ayr_analysis.campaigns.CampaignsFileError: <campaigns>: campaign #1 (line 1): unknown key 'nme' (allowed: name, description, ids, hashtags, pattern, start, end, platforms)
    """
    text = text.removeprefix("\ufeff")  # a byte-order mark is not part of the TOML
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CampaignsFileError(f"{source}: not valid TOML: {exc}") from None
    except (ValueError, RecursionError, OverflowError) as exc:
        raise CampaignsFileError(f"{source}: not valid TOML: {exc}") from None
    extra = sorted(k for k in data if k != "campaign")
    if extra:
        raise CampaignsFileError(
            f"{source}: unknown top-level key(s) {extra}: the file holds only [[campaign]] tables"
        )
    raw = data.get("campaign", [])
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise CampaignsFileError(
            f"{source}: 'campaign' must be written as [[campaign]] tables (an array of tables)"
        )
    lines = _header_lines(text)
    out: list[Campaign] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(raw):
        where = f"{source}: campaign #{i + 1}"
        if i < len(lines):
            where += f" (line {lines[i]})"
        campaign = _campaign(entry, where)
        key = campaign.name.casefold()
        if key in seen:
            raise CampaignsFileError(
                f"{where}: duplicate name {campaign.name!r} (also campaign #{seen[key] + 1})"
            )
        seen[key] = i
        out.append(campaign)
    return out


def _header_lines(text: str) -> list[int]:
    header = re.compile(r"^\s*\[\[\s*campaign\s*\]\]")
    return [n for n, line in enumerate(text.splitlines(), start=1) if header.match(line)]


def _campaign(entry: dict[str, Any], where: str) -> Campaign:
    unknown = [k for k in entry if k not in _KEYS]
    if unknown:
        raise CampaignsFileError(
            f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(_KEYS)})"
        )
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CampaignsFileError(f"{where}: 'name' is required and must be a non-empty string")
    where = f"{where} {name!r}"
    description = entry.get("description")
    if description is not None and not isinstance(description, str):
        raise CampaignsFileError(f"{where}: 'description' must be a string")
    ids = _strings(entry, "ids", where)
    hashtags = _strings(entry, "hashtags", where)
    for tag in hashtags:
        if not _HASHTAG.fullmatch(tag):
            raise CampaignsFileError(
                f"{where}: hashtag {tag!r} is not a single tag (letters, digits, _; e.g. '#Launch')"
            )
    pattern = entry.get("pattern")
    if pattern is not None:
        if not isinstance(pattern, str) or not pattern:
            raise CampaignsFileError(f"{where}: 'pattern' must be a non-empty string (a regex)")
        problem = _pattern_problem(pattern)
        if problem is not None:
            raise CampaignsFileError(f"{where}: 'pattern' is not a valid regex: {problem}")
    start = _when(entry, "start", where, end=False)
    end = _when(entry, "end", where, end=True)
    if start is not None and end is not None and end < start:
        raise CampaignsFileError(f"{where}: end {entry['end']} is before start {entry['start']}")
    from .platforms import UnknownPlatformError, resolve

    try:
        platforms = tuple(resolve(p) for p in _strings(entry, "platforms", where))
    except UnknownPlatformError as exc:
        raise CampaignsFileError(f"{where}: {exc}") from None
    return Campaign(
        name=name,
        description=description,
        ids=ids,
        hashtags=hashtags,
        pattern=pattern,
        start=start,
        end=end,
        platforms=platforms,
    )


def _pattern_problem(pattern: str) -> str | None:
    """Why polars' linear-time regex engine refuses ``pattern`` (None when it accepts it)."""
    try:
        pl.Series([""], dtype=pl.String).str.contains(pattern)
    except pl.exceptions.PolarsError as exc:
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        detail = next((ln[len("error: ") :] for ln in lines if ln.startswith("error: ")), None)
        if detail is None:
            first = lines[0] if lines else type(exc).__name__
            detail = first.removeprefix("regex error: ").removeprefix("regex parse error:")
        return (
            f"{detail.strip() or 'rejected'} (patterns use the linear-time syntax of polars' "
            "str.contains: no look-around, no backreferences)"
        )
    return None


def _strings(entry: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    if key not in entry:
        return ()
    value = entry[key]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CampaignsFileError(f"{where}: {key!r} must be a list of non-empty strings")
    if not value:
        raise CampaignsFileError(f"{where}: {key!r} is empty: remove it or list at least one")
    return tuple(value)


def _when(entry: dict[str, Any], key: str, where: str, *, end: bool) -> datetime | None:
    if key not in entry:
        return None
    value = entry[key]
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            raise CampaignsFileError(
                f"{where}: {key!r} = {entry[key]!r} is not a date (write e.g. {key} = 2026-08-01)"
            ) from None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        t = datetime.combine(value, time(0), tzinfo=UTC)
        return t + timedelta(days=1) - timedelta(microseconds=1) if end else t
    raise CampaignsFileError(
        f"{where}: {key!r} must be a date (e.g. {key} = 2026-08-01), got {value!r}"
    )


def assign_campaigns(
    frame: pl.DataFrame,
    campaigns: list[Campaign] | str | Path,
    *,
    posts: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Add a ``campaign`` column: the first campaign each row's post matches, else null.

    Text comes from ``frame["text"]`` and the post's time from ``published_at`` (or
    ``created_at``). With ``posts`` (the history frame), the post's own text and ``created_at``
    are used first: a campaign belongs to the Ayrshare post, whatever title a network shows
    (a YouTube title often lacks the hashtags); the frame's own values fill in the rest. A post with no known time never matches a
    campaign that has a date window.

    >>> import polars as pl
    >>> f = pl.DataFrame({"post_id": ["a", "b"], "platform": ["tiktok", "instagram"],
    ...                   "text": ["New #Launch", "hello"]})
    >>> assign_campaigns(f, [Campaign("launch", hashtags=("#launch",))])["campaign"].to_list()
    ['launch', None]
    """
    if isinstance(campaigns, (str, Path)):
        campaigns = load_campaigns(campaigns)
    if "campaign" in frame.columns:
        frame = frame.drop("campaign")
    n = frame.height
    work = frame.select(
        pl.col("post_id")
        if "post_id" in frame.columns
        else pl.lit(None, pl.String).alias("post_id"),
        pl.col("platform")
        if "platform" in frame.columns
        else pl.lit(None, pl.String).alias("platform"),
        (pl.col("text") if "text" in frame.columns else pl.lit(None, pl.String)).alias("__text"),
        _time_expr(frame).alias("__when"),
    ).with_row_index("__row")
    if posts is not None and posts.height:
        info = posts.group_by("post_id").agg(
            pl.col("text").drop_nulls().first().alias("__ptext"),
            pl.col("created_at").min().alias("__pwhen"),
        )
        work = (
            work.join(info, on="post_id", how="left")
            .with_columns(
                # the post's own text (history) carries its hashtags; a network's title may not
                pl.coalesce("__ptext", "__text").alias("__text"),
                pl.coalesce("__pwhen", "__when").alias("__when"),
            )
            .sort("__row")
        )
    texts = work["__text"].unique().drop_nulls().to_list()
    assigned = pl.lit(None, pl.String)
    for c in reversed(campaigns):
        cond = pl.lit(True)
        if c.has_content_rule:
            content = pl.lit(False)
            if c.ids:
                content = content | _in("post_id", list(c.ids))
            if c.hashtags or c.pattern:
                content = content | _in("__text", c.matching_texts(texts))
            cond = cond & content
        if c.start is not None:
            cond = cond & (pl.col("__when") >= c.start).fill_null(False)
        if c.end is not None:
            cond = cond & (pl.col("__when") <= c.end).fill_null(False)
        if c.platforms:
            cond = cond & _in("platform", list(c.platforms)).fill_null(False)
        assigned = pl.when(cond.fill_null(False)).then(pl.lit(c.name)).otherwise(assigned)
    # with_columns, not select: a condition that is a literal (a campaign with no rule, or one
    # whose rules match no text) must broadcast to every row, also to none
    labels = work.with_columns(assigned.cast(pl.String).alias("campaign"))["campaign"]
    if labels.len() != n:  # pragma: no cover - a literal that did not broadcast
        labels = pl.repeat(labels[0] if labels.len() else None, n, dtype=pl.String, eager=True)
    return frame.with_columns(labels.alias("campaign"))


def campaign_posts(
    frame: pl.DataFrame,
    campaigns: list[Campaign] | str | Path,
    name: str,
    *,
    posts: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The rows of ``frame`` that belong to campaign ``name`` (as :func:`assign_campaigns` says).

    A campaign that selects nothing yet (its posts are not published, or its rules match none)
    gives an empty frame and a :class:`CampaignWarning` saying so.

    >>> import polars as pl, warnings
    >>> f = pl.DataFrame({"post_id": ["a"], "platform": ["tiktok"], "text": ["#Launch"]})
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     campaign_posts(f, [Campaign("soon", hashtags=("#Soon",))], "soon").height
    0
    >>> str(seen[0].message)
    "campaign 'soon' matches none of 1 post(s) yet: 0 posts (not published yet, or its rules match no post)"
    """
    if isinstance(campaigns, (str, Path)):
        campaigns = load_campaigns(campaigns)
    names = [c.name for c in campaigns]
    if name not in names:
        raise ValueError(f"no campaign named {name!r}; the campaigns are {names}")
    tagged = assign_campaigns(frame, campaigns, posts=posts)
    chosen = tagged.filter(pl.col("campaign") == name).drop("campaign")
    if chosen.height == 0:
        n = frame["post_id"].n_unique() if "post_id" in frame.columns else frame.height
        warnings.warn(
            f"campaign {name!r} matches none of {n} post(s) yet: 0 posts (not published yet, "
            "or its rules match no post)",
            CampaignWarning,
            stacklevel=2,
        )
    return chosen


def _in(column: str, values: list[str]) -> pl.Expr:
    if not values:
        return pl.lit(False)
    return pl.col(column).is_in(values)


def _time_expr(frame: pl.DataFrame) -> pl.Expr:
    for col in ("published_at", "created_at"):
        if col in frame.columns:
            return pl.col(col).cast(pl.Datetime("us", "UTC"))
    return pl.lit(None, pl.Datetime("us", "UTC"))
