"""Realistic frames built by hand, following ayr_analysis.schema exactly (for store/metrics tests)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import polars as pl

from ayr_analysis import schema as S

T0 = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)  # a Monday

# network -> (raw field per canonical metric) for the long frame
FIELDS = {
    "instagram": {"likes": "likeCount", "comments": "commentsCount", "reach": "reachCount"},
    "tiktok": {"likes": "likes", "comments": "comments", "shares": "shares", "views": "videoViews"},
    "twitter": {
        "likes": "publicMetrics.likeCount",
        "comments": "publicMetrics.replyCount",
        "impressions": "publicMetrics.impressionCount",
    },
    "facebook": {
        "likes": "likeCount",
        "comments": "commentCount",
        "impressions": "impressionsUnique",
    },
}


def _cumulative(final: float, age_h: float, tau_h: float = 12.0) -> int:
    return int(round(final * (1 - math.exp(-age_h / tau_h))))


def wide_frame(rows: list[dict]) -> pl.DataFrame:
    """A WIDE_SCHEMA frame from partial row dicts (missing columns are null)."""
    full = [{c: r.get(c) for c in S.WIDE_SCHEMA.names()} for r in rows]
    return pl.DataFrame(full, schema=S.WIDE_SCHEMA)


def frame_of(schema: pl.Schema, rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame([{c: r.get(c) for c in schema.names()} for r in rows], schema=schema)


@dataclass
class Frames:
    """Duck-typed AnalyticsFrames."""

    long: pl.DataFrame
    wide: pl.DataFrame
    reactions: pl.DataFrame = field(default_factory=lambda: S.empty(S.REACTIONS_SCHEMA))
    breakdowns: pl.DataFrame = field(default_factory=lambda: S.empty(S.BREAKDOWNS_SCHEMA))
    errors: pl.DataFrame = field(default_factory=lambda: S.empty(S.ERRORS_SCHEMA))
    posts: pl.DataFrame = field(default_factory=lambda: S.empty(S.POSTS_SCHEMA))
    source: str | None = "demo"


def snapshots(
    n_posts: int = 4,
    ages_h: tuple[float, ...] = (0.5, 3, 12, 30, 80, 200),
    platforms: tuple[str, ...] = ("instagram", "tiktok", "twitter"),
) -> pl.DataFrame:
    """Wide snapshots: each post on each network observed at several ages (cumulative counts)."""
    rows = []
    for i in range(n_posts):
        pub = T0 + timedelta(hours=7 * i)
        for j, platform in enumerate(platforms):
            scale = 100 * (i + 1) * (j + 1)
            for age in ages_h:
                obs = pub + timedelta(hours=age)
                row = {
                    "post_id": f"P{i:03d}",
                    "platform": platform,
                    "social_id": f"{platform}-{i}",
                    "thread_position": 0,
                    "observed_at": obs,
                    "fetched_at": obs + timedelta(seconds=5),
                    "last_updated": obs,
                    "next_update": obs + timedelta(hours=1),
                    "url": f"https://{platform}.example/{i}",
                    "published_at": pub,
                    "media_type": "video" if platform == "tiktok" else "image",
                    "text": f"Post {i} #Launch" if i % 2 == 0 else f"Post {i} #other",
                    "likes": _cumulative(scale, age),
                    "comments": _cumulative(scale / 10, age),
                }
                if platform == "instagram":
                    row["reach"] = _cumulative(scale * 20, age)
                elif platform == "tiktok":
                    row["views"] = _cumulative(scale * 30, age)
                    row["shares"] = _cumulative(scale / 20, age)
                else:
                    row["impressions"] = _cumulative(scale * 25, age)
                row["engagements"] = sum(
                    row.get(m) or 0 for m in ("likes", "comments", "shares") if m in row
                )
                rows.append(row)
    return wide_frame(rows)


def long_from_wide(wide: pl.DataFrame) -> pl.DataFrame:
    rows = []
    for r in wide.iter_rows(named=True):
        for metric, fld in FIELDS[r["platform"]].items():
            if r[metric] is None:
                continue
            rows.append(
                {
                    "post_id": r["post_id"],
                    "platform": r["platform"],
                    "social_id": r["social_id"],
                    "thread_position": r["thread_position"],
                    "field": fld,
                    "metric": metric,
                    "value": float(r[metric]),
                    "unit": "count",
                    "raw_value": float(r[metric]),
                    "observed_at": r["observed_at"],
                    "fetched_at": r["fetched_at"],
                }
            )
    return frame_of(S.LONG_SCHEMA, rows)


def analytics_frames(n_posts: int = 4, ages_h=(0.5, 3, 12, 30, 80, 200)) -> Frames:
    wide = snapshots(n_posts, ages_h)
    first = wide.filter(pl.col("platform") == "instagram").head(1).row(0, named=True)
    reactions = frame_of(
        S.REACTIONS_SCHEMA,
        [
            {
                "post_id": "P000",
                "platform": "facebook",
                "social_id": "fb-0",
                "thread_position": 0,
                "reaction": kind,
                "count": n,
                "observed_at": first["observed_at"],
                "fetched_at": first["fetched_at"],
            }
            for kind, n in (("like", 12), ("love", 3), ("wow", 0))
        ],
    )
    breakdowns = frame_of(
        S.BREAKDOWNS_SCHEMA,
        [
            {
                "post_id": "P000",
                "platform": "tiktok",
                "social_id": "tiktok-0",
                "breakdown": "impression_source",
                "key": key,
                "share": share,
                "observed_at": first["observed_at"],
                "fetched_at": first["fetched_at"],
            }
            for key, share in (("For You", 0.8), ("Follow", 0.15), ("Search", 0.05))
        ],
    )
    errors = frame_of(
        S.ERRORS_SCHEMA,
        [
            {
                "post_id": "P999",
                "platform": None,
                "code": 186,
                "message": "Post not found",
                "http_status": 404,
                "retryable": False,
                "fetched_at": first["fetched_at"],
            },
            {
                "post_id": "P001",
                "platform": "linkedin",
                "code": 321,
                "message": "Analytics not available yet",
                "http_status": 400,
                "retryable": True,
                "fetched_at": first["fetched_at"],
            },
        ],
    )
    posts = frame_of(
        S.POSTS_SCHEMA,
        [
            {
                "post_id": f"P{i:03d}",
                "platform": "instagram",
                "social_id": f"instagram-{i}",
                "text": f"Post {i}",
                "created_at": T0 + timedelta(hours=7 * i),
                "status": "success",
                "platform_status": "success",
                "type": "now",
                "media_urls": [f"https://img.example/{i}.jpg"],
            }
            for i in range(n_posts)
        ]
        + [{"post_id": "P900", "platform": "tiktok", "text": "scheduled", "type": "scheduled"}],
    )
    return Frames(
        long=long_from_wide(wide),
        wide=wide,
        reactions=reactions,
        breakdowns=breakdowns,
        errors=errors,
        posts=posts,
    )
