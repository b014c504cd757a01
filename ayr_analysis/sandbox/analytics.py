"""What a network reports for a post at a simulated time: raw fields, cache times and quirks.

Ayrshare serves a cached copy per post and network. Here the cache is refreshed on a fixed grid
of post ages (:func:`cache_window`): every hour for the first 6 h, every 2 h until 48 h, every
3 h until 7 days, then every 6 h. ``lastUpdated`` is the latest grid point, ``nextUpdate`` the
next one, and the numbers are computed at ``lastUpdated``, so asking again before
``nextUpdate`` gives the same numbers.

Quirks (each one as REFERENCE.md describes the real API):

* X: ``publicMetrics`` / ``nonPublicMetrics`` / ``organicMetrics`` nesting; non-public and organic
  metrics only while the post is at most 30 days old; threads are answered as a list.
* TikTok: ``reach, fullVideoWatchedRate, totalTimeWatched, averageTimeWatched, impressionSources,
  audienceCountries`` vanish once the video has been inactive for over 7 days; a video is
  *inactive* from the age at which its views grow by less than 1 % of their final total per day
  (:func:`tiktok_inactive_since_h`).
* Instagram stories: counts below 5 reported as 0; after 24 h error 485; ``repliesCount`` 0 for
  profiles in Europe and Japan (:data:`~ayr_analysis.sandbox.faults.EUROPE_JAPAN`).
* Facebook stories: refused (error object, code 484, a sandbox choice).
* LinkedIn personal pages: only ``likeCount``, ``commentCount`` and ``reactions``.
* YouTube: counts are 0 and analytics fields absent for the first 24-48 h (per video), for videos
  with few views or on a small channel (:func:`youtube_delayed`); all demo channels are small.
* Pinterest: ``impression, save, pinClick, outboundClick`` (and the other analytics) absent for
  the first 24-72 h (per pin).

Switched on by :class:`~ayr_analysis.sandbox.faults.Quirks`: failures in a top-level ``errors``
array and a ``"partial"`` status, TikTok videos filtered for violations (absent from the answer),
an error object for a network the post was never sent to, X's daily analytics quota and
Instagram's own rate limit (code 435) in place of a network.
"""

from __future__ import annotations

import functools
import math
from datetime import datetime, timedelta
from typing import Any

from .clock import iso_ms
from .faults import EUROPE_JAPAN, Quirks
from .world import NetworkPost, Post, Shape, World, hash_str, typical_shape

HOUR = 3600
#: (from age, to age, refresh step), all in seconds.
REFRESH_GRID: tuple[tuple[int, float, int], ...] = (
    (0, 6 * HOUR, HOUR),
    (6 * HOUR, 48 * HOUR, 2 * HOUR),
    (48 * HOUR, 168 * HOUR, 3 * HOUR),
    (168 * HOUR, math.inf, 6 * HOUR),
)

STORY_EXPIRED = 485
FACEBOOK_STORY = 484  # the sandbox's stand-in: the real code is not documented
X_KEYS_MISSING = 419
NOT_LINKED = 156
POST_NOT_FOUND = 186
INSTAGRAM_RATE_LIMIT = 435
X_QUOTA_EXCEEDED = 429  # the sandbox's stand-in: the real code is not documented
#: How a network is named in the messages of the ``errors`` array.
LABELS = {
    "bluesky": "Bluesky", "facebook": "Facebook", "instagram": "Instagram",
    "linkedin": "LinkedIn", "pinterest": "Pinterest", "reddit": "Reddit",
    "snapchat": "Snapchat", "threads": "Threads", "tiktok": "TikTok", "twitter": "X/Twitter",
    "youtube": "YouTube",
}  # fmt: skip
_NO_QUIRKS = Quirks()
TIKTOK_EXTENDED = (
    "reach",
    "fullVideoWatchedRate",
    "totalTimeWatched",
    "averageTimeWatched",
    "impressionSources",
    "audienceCountries",
)
#: Numeric fields that are not cumulative counts (averages, rates, shares, sizes): they may go
#: down as a post ages. Every other count never shrinks while it is reported.
NOT_CUMULATIVE = frozenset(
    {
        "averageTimeWatched", "averageViewDuration", "averageViewPercentage", "engagement",
        "fullVideoWatchedRate", "igReelsAvgWatchTimeCount", "percentage", "saveRate", "score",
        "thumbnailHeight", "thumbnailWidth", "totalVideoAvgTimeWatched", "upvoteRatio",
        "videoAvgWatchTime",
    }
)  # fmt: skip
PINTEREST_DELAYED = ("impression", "save", "pinClick", "outboundClick")


def cache_window(age_s: int) -> tuple[int, int]:
    """Post ages (s) of the cached copy served at ``age_s`` and of the next refresh.

    >>> cache_window(5400), cache_window(7 * 3600)
    ((3600, 7200), (21600, 28800))
    """
    for lo, hi, step in REFRESH_GRID:
        if age_s < hi:
            last = lo + ((age_s - lo) // step) * step
            return int(last), int(last + step)
    raise AssertionError("unreachable")


def tiktok_inactive_since_h(np_: NetworkPost) -> float:
    """Age (h, on the hour) from which a TikTok video grows by less than 1 % of its final views
    per day, for good (a delayed push or a late surge keeps it active).

    >>> from ayr_analysis.sandbox.world import build_world
    >>> w = build_world(7)
    >>> np_ = next(p.networks["tiktok"] for p in w.posts if "tiktok" in p.networks)
    >>> 24 < tiktok_inactive_since_h(np_) < 400
    True
    """
    return _inactive_since_h(np_.shape or typical_shape(np_.platform))


#: Ages (h) searched for a TikTok video's last active day.
INACTIVE_HORIZON_H = 120 * 24


@functools.lru_cache(maxsize=4096)
def _inactive_since_h(shape: Shape) -> float:
    def active(h: int) -> bool:
        return shape.share(h + 24) - shape.share(h) >= 0.01

    # the last active age on a 12 h grid, from the end (every wave of a shape lasts a day or
    # more, so no active stretch hides between two grid points), then to the hour
    step = 12
    coarse = next((h for h in range(INACTIVE_HORIZON_H, -1, -step) if active(h)), None)
    if coarse is None:
        return 0.0
    last = max(h for h in range(coarse, coarse + 3 * step) if h == coarse or active(h))
    return float(last + 1)


def x_error() -> dict[str, Any]:
    return {
        "status": "error",
        "code": X_KEYS_MISSING,
        "message": "X/Twitter BYO keys missing: send X-Twitter-OAuth1-Api-Key and "
        "X-Twitter-OAuth1-Api-Secret with every X request.",
        "platform": "twitter",
    }


def x_quota_error(quota: int) -> dict[str, Any]:
    """X's daily analytics quota is used up (the body of a 429, or an error object in place)."""
    return {
        "status": "error",
        "code": X_QUOTA_EXCEEDED,
        "message": f"X/Twitter analytics rate limit reached: {quota} requests per 24 hours for "
        "this User Profile. Try again after the 24-hour period.",
        "platform": "twitter",
    }


def instagram_limit_error(wait_s: int) -> dict[str, Any]:
    """Instagram's own rate limit (code 435); ``details`` holds the seconds to wait."""
    return {
        "status": "error",
        "code": INSTAGRAM_RATE_LIMIT,
        "message": "Instagram rate limit reached for this account. Wait before retrying.",
        "details": wait_s,
        "platform": "instagram",
    }


def profile_region(world: World, index: int, quirks: Quirks | None = None) -> str:
    """Where the user of profile ``index`` is: the quirks' override, else the world's.

    >>> from ayr_analysis.sandbox.world import build_world
    >>> w = build_world(7)
    >>> profile_region(w, 1), profile_region(w, 1, Quirks(profile_regions={1: "jp"}))
    ('US', 'JP')
    """
    profile = world.profiles[index]
    regions = (quirks or _NO_QUIRKS).profile_regions
    return regions.get(index) or regions.get(profile.profile_key) or profile.region


def youtube_delayed(
    world: World, post: Post, np_: NetworkPost, quirks: Quirks | None = None
) -> bool:
    """Whether the video gets YouTube's 24-48 h of zeros: few views (final views below
    ``youtube_few_views``) or a small channel (fewer subscribers than ``youtube_small_channel`` at
    publication), or every video when ``youtube_delay`` is ``"all"``.

    >>> from ayr_analysis.sandbox.world import build_world
    >>> w = build_world(7)
    >>> post = next(p for p in w.posts if p.profile == 0 and "youtube" in p.networks
    ...             and p.networks["youtube"].finals["views"] > 5000)
    >>> youtube_delayed(w, post, post.networks["youtube"])
    True
    >>> youtube_delayed(w, post, post.networks["youtube"], Quirks(youtube_small_channel=10_000))
    False
    """
    q = quirks or _NO_QUIRKS
    if q.youtube_delay == "all":
        return True
    subscribers = (
        world.profiles[post.profile].accounts["youtube"].followers_at(np_.published, world.start)
    )
    return subscribers < q.youtube_small_channel or np_.finals["views"] < q.youtube_few_views


def tiktok_filtered(post: Post, np_: NetworkPost, quirks: Quirks | None = None) -> bool:
    """Whether the TikTok video is filtered out for violations (absent from every answer).

    >>> from ayr_analysis.sandbox.world import build_world
    >>> tiktoks = [(p, p.networks["tiktok"]) for p in build_world(7).posts if "tiktok" in p.networks]
    >>> q = Quirks(tiktok_filtered_rate=0.25)
    >>> 0.15 < sum(tiktok_filtered(p, n, q) for p, n in tiktoks) / len(tiktoks) < 0.35
    True
    """
    q = quirks or _NO_QUIRKS
    if np_.social_id in q.tiktok_filtered_ids or post.id in q.tiktok_filtered_ids:
        return True
    if q.tiktok_filtered_rate <= 0.0:
        return False
    return hash_str(f"filtered-{np_.social_id}") % 10_000 < q.tiktok_filtered_rate * 10_000


def network_entry(
    post: Post,
    np_: NetworkPost,
    now: datetime,
    *,
    world: World | None = None,
    quirks: Quirks | None = None,
) -> dict[str, Any]:
    """The answer for one network (one tweet) of ``post`` at ``now``.

    With ``world``, the YouTube delay follows :func:`youtube_delayed` and Instagram story
    replies follow the profile's region (:func:`profile_region`); without it every YouTube video
    is delayed and every region reports replies."""
    media = post.media_type
    if np_.platform == "facebook" and media == "story":
        return {
            "status": "error",
            "code": FACEBOOK_STORY,
            "message": "Facebook Stories do not provide analytics.",
            "platform": "facebook",
        }
    age_s = int((now - np_.published).total_seconds())
    if np_.platform == "instagram" and media == "story" and age_s > 24 * HOUR:
        return {
            "status": "error",
            "code": STORY_EXPIRED,
            "message": "Instagram Story insights are only available for 24 hours after posting.",
            "platform": "instagram",
        }
    age_s = max(age_s, 0)
    last, nxt = cache_window(age_s)
    no_replies = delayed = False
    if world is not None:
        if np_.platform == "instagram" and media == "story":
            no_replies = profile_region(world, post.profile, quirks) in EUROPE_JAPAN
        if np_.platform == "youtube":
            delayed = youtube_delayed(world, post, np_, quirks)
    else:
        delayed = np_.platform == "youtube"
    return {
        "id": np_.social_id,
        "postUrl": np_.url,
        "analytics": analytics_at(
            post, np_, last / HOUR, no_replies=no_replies, youtube_delay=delayed
        ),
        "lastUpdated": iso_ms(np_.published + timedelta(seconds=last)),
        "nextUpdate": iso_ms(np_.published + timedelta(seconds=nxt)),
    }


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in flat.items():
        node = out
        *parents, leaf = path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return out


def counts_at(np_: NetworkPost, age_h: float) -> dict[str, int]:
    """Cumulative counts (floored) of a network post at ``age_h``; non-decreasing in age."""
    f = np_.share(age_h)
    return {k: int(math.floor(v * f)) for k, v in np_.finals.items()}


def analytics_at(
    post: Post,
    np_: NetworkPost,
    age_h: float,
    *,
    no_replies: bool = False,
    youtube_delay: bool = True,
) -> dict[str, Any]:
    """The ``analytics`` object of one network post as cached at post age ``age_h``.

    ``no_replies``: an Instagram story made in Europe or Japan (``repliesCount`` 0).
    ``youtube_delay``: the video gets YouTube's 24-48 h of zeros."""
    net = np_.platform
    media = post.media_type
    created = iso_ms(np_.published)
    c = counts_at(np_, age_h)
    flat: dict[str, Any] = {}
    if net == "twitter":
        text = post.text
        if post.media_type == "thread":  # number the tweets of a thread
            text = f"{text} ({np_.position + 1}/{np_.rates.get('thread_len', 1)})"
        flat |= {"created": created, "post": text, "name": np_.display_name,
                 "username": np_.username}  # fmt: skip
        flat |= {k: v for k, v in c.items() if k.startswith("publicMetrics.")}
        if age_h <= 30 * 24:
            flat |= {k: v for k, v in c.items() if not k.startswith("publicMetrics.")}
    elif net == "facebook":
        reac = {k.split(".")[1]: v for k, v in c.items() if k.startswith("reactions.")}
        flat["likeCount"] = reac["like"]
        flat |= {"commentsCount": c["commentsCount"], "sharesCount": c["sharesCount"]}
        flat["reactions"] = {**reac, "total": sum(reac.values())}
        flat["reactionsByType"] = dict(reac)
        flat["impressions"] = c["impressions"]
        if "videoViews" in c:
            flat |= {k: c[k] for k in ("videoViews", "videoViewsUnique", "videoViewTime")}
            flat["totalVideoAvgTimeWatched"] = (
                c["videoViewTime"] // c["videoViews"] if c["videoViews"] else 0
            )
            flat["totalVideoCompleteViews"] = c["totalVideoCompleteViews"]
            if "blueReelsPlayCount" in c:
                flat["blueReelsPlayCount"] = c["blueReelsPlayCount"]
    elif net == "instagram":
        mtype = {"video": "VIDEO", "reel": "VIDEO", "carousel": "CAROUSEL_ALBUM"}.get(
            media, "IMAGE"
        )
        ptype = {"reel": "REELS", "story": "STORY"}.get(media, "FEED")
        flat |= {"mediaType": mtype, "mediaProductType": ptype, "caption": post.text,
                 "created": created, "username": np_.username}  # fmt: skip
        if media == "story":
            flat |= {k: (v if v >= 5 else 0) for k, v in c.items()}
            if no_replies:
                flat["repliesCount"] = 0
        else:
            flat |= {k: v for k, v in c.items() if k != "igReelsVideoViewTotalTimeCount"}
            if "playsCount" in c:
                total = c["igReelsVideoViewTotalTimeCount"]
                flat["igReelsAvgWatchTimeCount"] = (
                    total // c["playsCount"] if c["playsCount"] else 0
                )
                flat["igReelsVideoViewTotalTimeCount"] = total
    elif net == "linkedin":
        reac = {k.split(".")[1]: v for k, v in c.items() if k.startswith("reactions.")}
        likes = sum(reac.values())
        flat |= {"likeCount": likes, "commentCount": c["commentCount"]}
        if np_.personal:
            flat["reactions"] = reac
        else:
            flat |= {"shareCount": c["shareCount"], "impressionCount": c["impressionCount"],
                     "uniqueImpressionsCount": c["uniqueImpressionsCount"],
                     "clickCount": c["clickCount"]}  # fmt: skip
            imp = c["impressionCount"]
            eng = likes + c["commentCount"] + c["shareCount"] + c["clickCount"]
            flat["engagement"] = round(eng / imp, 4) if imp else 0.0
            flat["reactions"] = reac
            for k in ("videoViews", "videoViewers", "videoWatchTimeMs"):
                if k in c:
                    flat[k] = c[k]
    elif net == "pinterest":
        flat |= {"description": post.text, "title": post.text.split(" #")[0],
                 "media": {"mediaType": "video" if media in ("video", "reel") else "image"},
                 "totalComments": c["totalComments"], "totalReactions": c["totalReactions"]}  # fmt: skip
        if age_h >= np_.delay_h:
            flat |= {k: c[k] for k in ("impression", "save", "pinClick", "outboundClick")}
            flat["saveRate"] = round(c["save"] / c["impression"], 4) if c["impression"] else 0.0
            flat |= {"profileVisit": c["profileVisit"], "userFollow": c["userFollow"]}
            if "videoMrcView" in c:
                views = c["videoMrcView"]
                flat |= {"videoMrcView": views, "videoV50WatchTime": c["videoV50WatchTime"],
                         "videoAvgWatchTime": c["videoV50WatchTime"] // views if views else 0,
                         "quartile95PercentView": c["quartile95PercentView"]}  # fmt: skip
    elif net == "reddit":
        ups, downs = c["ups"], c["downs"]
        flat |= {"title": post.text.split(" #")[0], "subreddit": np_.username,
                 "created": created, "ups": ups, "downs": downs, "score": ups - downs,
                 "upvoteRatio": round(ups / (ups + downs), 2) if ups + downs else 0.0,
                 "numComments": c["numComments"], "viewCount": c["viewCount"],
                 "numCrossposts": c["numCrossposts"]}  # fmt: skip
    elif net == "threads":
        flat |= c
    elif net == "tiktok":
        flat |= {"created": created, "itemId": np_.social_id, "mediaType": "VIDEO",
                 "tags": _tags(post.text), "url": np_.url,
                 "embedUrl": f"https://www.tiktok.com/embed/v2/{np_.social_id}",
                 "postUrl": np_.url,
                 "thumbnailUrl": f"https://p16-sign.tiktokcdn.com/demo/{np_.social_id}.jpeg",
                 "thumbnailWidth": 720, "thumbnailHeight": 1280}  # fmt: skip
        flat |= {k: c[k] for k in ("likeCount", "commentsCount", "shareCount", "favorites",
                                   "videoViews")}  # fmt: skip
        if age_h <= tiktok_inactive_since_h(np_) + 7 * 24:
            views = c["videoViews"]
            watched = math.floor(np_.finals["totalTimeWatched"] * np_.share(age_h) * 10) / 10
            flat |= {
                "reach": c["reach"],
                "fullVideoWatchedRate": np_.rates["fullVideoWatchedRate"],
                "totalTimeWatched": watched,
                "averageTimeWatched": round(watched / views, 2) if views else 0.0,
                "impressionSources": [dict(r) for r in np_.rates["impressionSources"]],
                "audienceCountries": [dict(r) for r in np_.rates["audienceCountries"]],
            }
    elif net == "youtube":
        flat |= {"title": post.text.split(" #")[0], "description": post.text,
                 "channelTitle": np_.display_name, "tags": _tags(post.text),
                 "thumbnailUrl": f"https://i.ytimg.com/vi/{np_.social_id}/hqdefault.jpg",
                 "created": created, "madeForKids": False, "privacyStatus": "public"}  # fmt: skip
        if youtube_delay and age_h < np_.delay_h:
            flat |= {"views": 0, "likes": 0, "dislikes": 0, "comments": 0}
        else:
            flat |= {k: c[k] for k in ("views", "likes", "dislikes", "comments", "shares")}
            f = np_.share(age_h)
            minutes = math.floor(np_.finals["estimatedMinutesWatched"] * f * 100) / 100
            flat["estimatedMinutesWatched"] = minutes
            flat["averageViewDuration"] = round(minutes * 60 / c["views"], 1) if c["views"] else 0.0
            flat["averageViewPercentage"] = np_.rates["averageViewPercentage"]
            flat |= {k: c[k] for k in ("subscribersGained", "subscribersLost",
                                       "videosAddedToPlaylists", "engagedViews")}  # fmt: skip
    elif net == "bluesky":
        flat |= {"created": created, "post": post.text}
        flat |= c
    return _nest(flat)


def _tags(text: str) -> list[str]:
    return [w.lstrip("#") for w in text.split() if w.startswith("#")]


def post_answer(
    world: World,
    post: Post,
    now: datetime,
    platforms: list[str] | None,
    x_ok: bool,
    *,
    quirks: Quirks | None = None,
    refused: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The body of ``POST /analytics/post`` for a published post.

    ``refused``: networks answered with the given error object in their place (X's quota and
    Instagram's own limit, decided by the app); the other :class:`Quirks` apply here."""
    q = quirks or _NO_QUIRKS
    refused = refused or {}
    body: dict[str, Any] = {"status": "success", "id": post.id}
    for net, np_ in post.networks.items():
        if platforms is not None and net not in platforms:
            continue
        if net == "tiktok" and tiktok_filtered(post, np_, q):
            continue  # filtered for violations: simply not returned
        if net == "twitter" and not x_ok:
            body[net] = x_error()
        elif net in refused:
            body[net] = dict(refused[net])
        elif net == "twitter" and np_.thread:
            body[net] = [
                network_entry(post, t, now, world=world, quirks=q) for t in (np_, *np_.thread)
            ]
        else:
            body[net] = network_entry(post, np_, now, world=world, quirks=q)
    if q.unsent_platforms == "error":
        linked = world.profiles[post.profile].accounts
        for net in platforms or ():
            if net in post.networks or net in body:
                continue
            if net in linked:
                body[net] = {"status": "error", "code": POST_NOT_FOUND, "platform": net,
                             "message": f"Post ID not found: the post was not sent to {LABELS[net]}."}  # fmt: skip
            else:
                body[net] = {"status": "error", "code": NOT_LINKED, "platform": net,
                             "message": f"{LABELS[net]} is not linked to this profile."}  # fmt: skip
    return finish_answer(body, q)


def finish_answer(body: dict[str, Any], quirks: Quirks | None = None) -> dict[str, Any]:
    """Report the failed networks of an analytics answer (``{"status", "id", <network>: ...}``)
    in the form ``quirks.errors_form`` asks for, and set the top-level ``status``.

    >>> body = {"status": "success", "id": "p1", "bluesky": {"analytics": {}},
    ...         "twitter": {"status": "error", "code": 419, "message": "keys missing"}}
    >>> out = finish_answer(body, Quirks(errors_form="array", partial_status="partial"))
    >>> out["status"], "twitter" in out, out["errors"][0]["platform"]
    ('partial', False, 'twitter')
    """
    q = quirks or _NO_QUIRKS
    failed = [n for n, v in body.items() if isinstance(v, dict) and v.get("status") == "error"]
    answered = sum(1 for k in body if k not in ("status", "id")) - len(failed)
    if failed and q.errors_form != "in_place":
        listed = []
        for net in failed:
            entry = {"action": "analytics", **body[net], "platform": net}
            if q.errors_form == "both":  # the same failure, worded as Ayrshare's summary
                entry["message"] = f"{LABELS.get(net, net)} analytics error: {entry['message']}"
            else:
                del body[net]
            listed.append(entry)
        body["errors"] = listed
    if failed:
        body["status"] = q.partial_status if answered else "error"
    return body
