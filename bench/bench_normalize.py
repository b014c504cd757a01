"""Benchmark: normalise N analytics answers vs. plain JSON decoding of the same bodies.

    .venv/bin/python bench/bench_normalize.py [N]

Prints the time of ``json.loads`` over N bodies (the baseline), of ``normalize`` over the decoded
answers, and their ratio. Answers are synthetic but shaped like real ones (4 networks, one a
3-tweet X thread, with lastUpdated/nextUpdate and metadata).
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import UTC, datetime


def _answer(i: int, rng: random.Random) -> dict:
    r = rng.randint
    ts = f"2026-05-{1 + i % 28:02d}T{i % 24:02d}:00:00Z"
    tweet = lambda k: {  # noqa: E731
        "id": f"17{i}{k}",
        "postUrl": f"https://x.com/a/status/17{i}{k}",
        "analytics": {
            "created": ts,
            "post": "thread part",
            "publicMetrics": {
                "likeCount": r(0, 500),
                "replyCount": r(0, 50),
                "retweetCount": r(0, 80),
                "quoteCount": r(0, 10),
                "bookmarkCount": r(0, 20),
                "impressionCount": r(0, 9000),
            },
            "nonPublicMetrics": {"impressionCount": r(0, 9000), "userProfileClicks": r(0, 30)},
        },
        "lastUpdated": ts,
        "nextUpdate": ts,
    }
    return {
        "status": "success",
        "id": f"AYR{i}",
        "instagram": {
            "id": f"ig{i}",
            "postUrl": f"https://instagram.com/p/{i}",
            "analytics": {
                "likeCount": r(0, 900),
                "commentsCount": r(0, 90),
                "savedCount": r(0, 40),
                "reachCount": r(0, 9000),
                "viewsCount": r(0, 20000),
                "sharesCount": r(0, 30),
                "engagementCount": r(0, 1000),
                "mediaType": "VIDEO",
                "mediaProductType": "REELS",
                "caption": "a caption #tag",
                "created": ts,
                "igReelsAvgWatchTimeCount": r(0, 9000),
            },
            "lastUpdated": ts,
            "nextUpdate": ts,
        },
        "youtube": {
            "id": f"yt{i}",
            "postUrl": f"https://youtu.be/{i}",
            "analytics": {
                "views": r(0, 9000),
                "likes": r(0, 500),
                "dislikes": r(0, 9),
                "comments": r(0, 50),
                "estimatedMinutesWatched": r(0, 9000) / 4,
                "averageViewDuration": r(0, 300) / 2,
                "averageViewPercentage": r(0, 1000) / 10,
                "subscribersGained": r(0, 9),
                "title": "a title",
                "created": ts,
            },
            "lastUpdated": ts,
            "nextUpdate": ts,
        },
        "facebook": {
            "id": f"fb{i}",
            "postUrl": f"https://facebook.com/{i}",
            "analytics": {
                "likeCount": r(0, 300),
                "commentsCount": r(0, 30),
                "sharesCount": r(0, 30),
                "reactions": {"like": r(0, 300), "love": r(0, 30), "total": r(0, 330)},
                "videoViews": r(0, 3000),
            },
            "lastUpdated": ts,
            "nextUpdate": ts,
        },
        "twitter": [tweet(0), tweet(1), tweet(2)],
    }


def main(n: int = 100_000) -> None:
    from ayr_analysis.normalize import normalize

    rng = random.Random(7)
    bodies = [json.dumps(_answer(i, rng)) for i in range(n)]
    t0 = time.perf_counter()
    answers = [json.loads(b) for b in bodies]
    t_json = time.perf_counter() - t0
    t0 = time.perf_counter()
    frames = normalize(answers, fetched_at=datetime(2026, 6, 1, tzinfo=UTC))
    t_norm = time.perf_counter() - t0
    print(f"answers: {n:,}  long rows: {frames.long.height:,}  wide rows: {frames.wide.height:,}")
    print(f"json.loads: {t_json:.2f} s   normalize: {t_norm:.2f} s   ratio: {t_norm / t_json:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
