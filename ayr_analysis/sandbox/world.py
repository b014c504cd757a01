"""The demo world: profiles, accounts, posts and campaigns, built deterministically from a seed.

Every post is fixed at build time (text, networks, social ids, a heavy-tailed "quality" and the
final totals its counts tend to). What a metric shows at a given post age is computed
analytically from a per-network growth curve (:func:`growth`), so any simulated time gives a
value instantly and cumulative counts never shrink as the post ages.

>>> world = build_world(seed=7)
>>> len(world.profiles), len(world.ayrshare_posts()) >= 300
(3, True)
>>> world.expected_ranking[0], world.expected_ranking[-1]
('reel-rush', 'press-corner')
"""

from __future__ import annotations

import functools
import math
import random
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .clock import WORLD_NOW, iso_s

NETWORKS: tuple[str, ...] = (
    "bluesky",
    "facebook",
    "instagram",
    "linkedin",
    "pinterest",
    "reddit",
    "threads",
    "tiktok",
    "twitter",
    "youtube",
)
MEDIA_TYPES: tuple[str, ...] = ("image", "video", "reel", "story", "carousel", "thread")

#: Which networks can carry which media type.
MEDIA_NETWORKS: dict[str, tuple[str, ...]] = {
    "image": ("bluesky", "facebook", "instagram", "linkedin", "pinterest", "reddit", "threads",
              "twitter"),
    "video": ("facebook", "instagram", "linkedin", "pinterest", "reddit", "tiktok", "twitter",
              "youtube"),
    "reel": ("facebook", "instagram", "tiktok", "youtube"),
    "story": ("facebook", "instagram"),
    "carousel": ("facebook", "instagram", "linkedin", "threads", "bluesky"),
    "thread": ("twitter", "threads", "bluesky"),
}  # fmt: skip

#: Hours over which the slow tail of a post's counts arrives (log-logistic, half at this age):
#: late shares, search, recommendations, links found weeks later.
TAIL_TAU_H = 96.0


@dataclass(frozen=True)
class Curve:
    """A network's typical growth curve: the share of a post's final totals reached by age ``t``.

    The fast part is ``1 - exp(-(t/tau)^k)`` (``kind="weibull"``, saturating) or
    ``t^k / (t^k + tau^k)`` (``kind="loglogistic"``, a long tail over weeks); a share ``tail`` of
    the totals arrives through a slow log-logistic tail (:data:`TAIL_TAU_H`). ``push`` is the
    chance that a post gets a delayed algorithmic push (TikTok). The values are illustrative,
    chosen from published orders of magnitude of post "half-lives" (docs/DEMO_WORLD.md), not
    fitted to any account.

    >>> round(CURVES["twitter"].half_life_h, 2), round(CURVES["youtube"].half_life_h)
    (0.89, 192)
    """

    kind: str
    tau_h: float
    k: float
    tail: float = 0.0
    push: float = 0.0

    def fast(self, age_h: float, tau_h: float | None = None, k: float | None = None) -> float:
        """The fast part alone (0-1) at ``age_h`` with time scale ``tau_h`` and shape ``k``
        (the network's when None)."""
        if age_h <= 0:
            return 0.0
        x = age_h / (tau_h or self.tau_h)
        k = k or self.k
        if self.kind == "weibull":
            return 1.0 - math.exp(-(x**k))
        return x**k / (1.0 + x**k)

    @property
    def half_life_h(self) -> float:
        """Age at which the fast part reaches half of its totals."""
        if self.kind == "weibull":
            return self.tau_h * math.log(2.0) ** (1.0 / self.k)
        return self.tau_h


#: Growth curve per network. X and Bluesky saturate within hours, Threads and Reddit within
#: half a day, Facebook, Instagram and LinkedIn within a day or two, TikTok within days (with a
#: possible delayed push), YouTube and Pinterest keep growing for weeks.
CURVES: dict[str, Curve] = {
    "twitter": Curve("weibull", 1.5, 0.7, tail=0.06),
    "bluesky": Curve("weibull", 2.0, 0.7, tail=0.06),
    "threads": Curve("weibull", 4.0, 0.7, tail=0.08),
    "reddit": Curve("weibull", 6.0, 0.8, tail=0.06),
    "facebook": Curve("weibull", 12.0, 0.8, tail=0.08),
    "instagram": Curve("weibull", 16.0, 0.8, tail=0.08),
    "linkedin": Curve("weibull", 20.0, 0.9, tail=0.08),
    "tiktok": Curve("weibull", 30.0, 1.0, tail=0.05, push=0.25),
    "youtube": Curve("loglogistic", 192.0, 1.1),
    "pinterest": Curve("loglogistic", 240.0, 1.0),
}

#: The declared shape of each network's median post, as the share of its 7-day value that it
#: has at 24 h (low, high): what tests/test_sandbox_world.py checks on the built world.
SHARE_24H_OF_7D: dict[str, tuple[float, float]] = {
    "twitter": (0.9, 1.0), "bluesky": (0.9, 1.0), "threads": (0.85, 1.0), "reddit": (0.85, 1.0),
    "facebook": (0.65, 0.9), "instagram": (0.6, 0.85), "linkedin": (0.55, 0.8),
    "tiktok": (0.35, 0.65), "youtube": (0.1, 0.35), "pinterest": (0.1, 0.35),
}  # fmt: skip

#: Per-post timing jitter: the post's time scale is the network's tau times log-normal(0, this).
TIMING_SIGMA = 0.35
#: Per-post spread of the curve's steepness: the network's k times log-normal(0, this).
SHAPE_SIGMA = 0.12
#: Per-post spread of the tail share: the network's tail times log-normal(0, this), at most 0.5.
TAIL_SIGMA = 0.6
#: Share of network posts that take off late / stall (each network post draws its own).
OUTLIER_RATES: dict[str, float] = {"late_takeoff": 0.03, "stall": 0.04}
SHAPE_KINDS: tuple[str, ...] = ("typical", "late_takeoff", "stall")


def _surge(age_h: float, start_h: float, tau_h: float) -> float:
    """A wave starting at ``start_h`` (Weibull, k = 1.5): 0 before, 1 long after."""
    if age_h <= start_h:
        return 0.0
    return 1.0 - math.exp(-(((age_h - start_h) / tau_h) ** 1.5))


@dataclass(frozen=True)
class Shape:
    """How one network post grows: its network's :class:`Curve` with the post's own variation.

    ``kind`` is ``"typical"``, ``"late_takeoff"`` (a share ``surge`` of the totals arrives in a
    second wave from ``surge_at_h``, days after posting) or ``"stall"`` (counts stop growing at
    ``stall_at_h``, short of the totals). ``tau_h`` is the post's time scale (the network's
    times a timing jitter), ``k`` its steepness, ``tail`` its tail share, ``push`` / ``push_at_h`` a TikTok delayed
    push. :meth:`share` never decreases with age. Built by :func:`post_shape`, read with
    :meth:`World.post_shape`; never part of an API answer.

    >>> s = Shape("twitter", "stall", tau_h=1.5, tail=0.06, stall_at_h=0.5)
    >>> s.share(0.5) == s.share(500) < growth("twitter", 500)
    True
    """

    platform: str
    kind: str
    tau_h: float
    tail: float
    k: float = 0.0  # 0: the network's
    push: float = 0.0
    push_at_h: float = math.inf
    surge: float = 0.0
    surge_at_h: float = math.inf
    surge_tau_h: float = 48.0
    stall_at_h: float = math.inf

    def share(self, age_h: float) -> float:
        """Share (0-1) of the post's final totals reached at ``age_h`` hours."""
        t = min(age_h, self.stall_at_h)
        if t <= 0:
            return 0.0
        curve = CURVES[self.platform]
        f = (1.0 - self.tail) * curve.fast(t, self.tau_h, self.k) + self.tail * t / (t + TAIL_TAU_H)
        if self.push:
            f = (1.0 - self.push) * f + self.push * _surge(t, self.push_at_h, 24.0)
        if self.surge:
            f = (1.0 - self.surge) * f + self.surge * _surge(t, self.surge_at_h, self.surge_tau_h)
        return f


def typical_shape(platform: str) -> Shape:
    """The shape of a network's median post: no jitter, no push, no outlier."""
    curve = CURVES[platform]
    return Shape(platform, "typical", tau_h=curve.tau_h, tail=curve.tail)


def post_shape(seed: int, platform: str, social_id: str) -> Shape:
    """The growth shape of one network post: a deterministic function of the world's seed, the
    network and the post's social id (its own random stream, so the rest of the world does not
    depend on it).

    >>> post_shape(7, "tiktok", "123") == post_shape(7, "tiktok", "123")
    True
    """
    rng = random.Random(f"ayr-shape-{seed}-{platform}-{social_id}")
    curve = CURVES[platform]
    tau = curve.tau_h * rng.lognormvariate(0.0, TIMING_SIGMA)
    tail = min(0.5, curve.tail * rng.lognormvariate(0.0, TAIL_SIGMA))
    k = curve.k * rng.lognormvariate(0.0, SHAPE_SIGMA)
    extra: dict[str, Any] = {}
    if rng.random() < curve.push:  # TikTok: the algorithm picks the video up a day or more later
        extra |= {"push": rng.uniform(0.3, 0.6), "push_at_h": rng.uniform(24.0, 72.0)}
    u = rng.random()
    kind = "typical"
    if u < OUTLIER_RATES["late_takeoff"]:
        kind = "late_takeoff"
        extra |= {
            "surge": rng.uniform(0.6, 0.8),  # grows 2.5-5 times over after the surge
            "surge_at_h": rng.uniform(72.0, 240.0),  # 3-10 days after posting
            "surge_tau_h": rng.uniform(24.0, 72.0),
        }
    elif u < OUTLIER_RATES["late_takeoff"] + OUTLIER_RATES["stall"]:
        kind = "stall"
        half = tau * math.log(2.0) ** (1.0 / k) if curve.kind == "weibull" else tau
        extra["stall_at_h"] = half * rng.uniform(0.3, 0.8)  # before its half-life
    return Shape(platform, kind, tau_h=tau, tail=tail, k=k, **extra)


#: Share of followers a typical post reaches, per network (before quality and campaign factors).
REACH_RATE: dict[str, float] = {
    "bluesky": 0.30, "facebook": 0.10, "instagram": 0.28, "linkedin": 0.18, "pinterest": 0.9,
    "reddit": 0.6, "threads": 0.25, "tiktok": 1.2, "twitter": 0.35, "youtube": 0.5,
}  # fmt: skip

#: Media factor per media type (multiplies views); short video travels furthest.
MEDIA_FACTOR: dict[str, float] = {
    "image": 0.8, "video": 1.3, "reel": 2.4, "story": 0.35, "carousel": 1.1, "thread": 1.0,
}  # fmt: skip

#: Likes per view on each network (other engagements follow as fixed fractions of likes).
LIKE_RATE: dict[str, float] = {
    "bluesky": 0.05, "facebook": 0.03, "instagram": 0.06, "linkedin": 0.025, "pinterest": 0.01,
    "reddit": 0.08, "threads": 0.05, "tiktok": 0.07, "twitter": 0.02, "youtube": 0.04,
}  # fmt: skip

TIKTOK_SOURCES = ("For You", "Follow", "Personal Profile", "Search", "Sound", "Hashtag")
COUNTRIES = ("US", "GB", "CA", "DE", "AU", "FR", "BR", "IN")


def timing_factor(hour: int) -> float:
    """How much the posting hour (UTC) helps: evening peak 1.3, small hours 0.5.

    >>> timing_factor(19), timing_factor(3), timing_factor(11)
    (1.3, 0.5, 1.0)
    """
    if 17 <= hour <= 21:
        return 1.3
    if 0 <= hour <= 5:
        return 0.5
    return 1.0


def growth(platform: str, age_h: float) -> float:
    """Share (0-1) of its final totals that a network's median post reaches at ``age_h`` hours
    (:func:`typical_shape`); non-decreasing in age. Each post grows by its own :class:`Shape`.

    >>> growth("twitter", 24) > 0.9, round(growth("youtube", 192), 2), growth("twitter", 0)
    (True, 0.5, 0.0)
    """
    return typical_shape(platform).share(age_h)


@dataclass(frozen=True)
class Campaign:
    """A campaign: posts carrying ``hashtag`` in their text, within ``start``..``end``."""

    name: str
    hashtag: str
    description: str
    start: datetime
    end: datetime
    profile: int  # index of the profile that runs it
    media: tuple[str, ...]
    networks: tuple[str, ...]
    hours: tuple[int, ...]  # posting hours (UTC)
    boost: float  # extra factor on views, explained in the description
    n_posts: int


@dataclass
class Account:
    """One linked social account of a profile."""

    platform: str
    username: str
    display_name: str
    followers0: int  # followers at the world's start
    growth_per_day: float  # followers gained per day
    personal: bool = False  # LinkedIn personal page (vs company page)

    def followers_at(self, when: datetime, start: datetime) -> int:
        days = max(0.0, (when - start).total_seconds() / 86400.0)
        return int(self.followers0 + self.growth_per_day * days)


@dataclass
class Profile:
    """An Ayrshare user profile with its Profile-Key and linked accounts."""

    index: int
    title: str
    profile_key: str
    primary: bool
    accounts: dict[str, Account]
    #: Where the profile's user is (ISO country code): Instagram stories made in Europe and Japan
    #: report no replies. Every demo profile is in the US; ``Quirks.profile_regions`` moves one.
    region: str = "US"


@dataclass
class NetworkPost:
    """A post as it exists on one network (for X threads: one tweet)."""

    platform: str
    social_id: str
    url: str
    published: datetime
    quality: float
    finals: dict[str, float]  # raw field path -> final cumulative total
    thread: list[NetworkPost] = field(default_factory=list)  # X thread: the later tweets
    position: int = 0
    personal: bool = False
    username: str = ""  # the account's handle
    display_name: str = ""  # the account's display name
    delay_h: float = 0.0  # YouTube / Pinterest: hours before numbers appear
    rates: dict[str, Any] = field(default_factory=dict)  # non-cumulative per-post constants
    shape: Shape | None = None  # how its counts grow (:func:`post_shape`); None: the typical one

    def share(self, age_h: float) -> float:
        """Share (0-1) of :attr:`finals` reached at post age ``age_h`` hours."""
        return (self.shape or typical_shape(self.platform)).share(age_h)


@dataclass
class Post:
    """A post: one Ayrshare id (or none for posts made outside Ayrshare), several networks."""

    id: str | None
    profile: int
    created: datetime
    publish_at: datetime  # == created for "now" posts; scheduleDate for scheduled ones
    type: str  # "now" | "schedule"
    text: str
    media_type: str
    campaign: str | None
    networks: dict[str, NetworkPost]
    media_urls: list[str]
    notes: str = ""

    @property
    def via_ayrshare(self) -> bool:
        return self.id is not None


@dataclass
class World:
    """The demo world. Build it with :func:`build_world`."""

    seed: int
    now: datetime
    start: datetime
    profiles: list[Profile]
    posts: list[Post]
    campaigns: list[Campaign]
    expected_ranking: list[str]  # campaign names, best first (by construction)
    posts_by_id: dict[str, Post] = field(default_factory=dict)
    by_social_id: dict[tuple[str, str], tuple[Post, NetworkPost]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for post in self.posts:
            if post.id is not None:
                self.posts_by_id[post.id] = post
            for np_ in post.networks.values():
                self.by_social_id[(np_.platform, np_.social_id)] = (post, np_)
                for tweet in np_.thread:
                    self.by_social_id[(tweet.platform, tweet.social_id)] = (post, tweet)

    @property
    def primary(self) -> Profile:
        return self.profiles[0]

    def profile_by_key(self, key: str) -> Profile | None:
        for p in self.profiles:
            if p.profile_key == key:
                return p
        return None

    def ayrshare_posts(self) -> list[Post]:
        """Posts sent through Ayrshare (they have an Ayrshare id), oldest first."""
        return [p for p in self.posts if p.id is not None]

    def post_shape(self, post_id: str, platform: str) -> Shape:
        """How the post ``post_id`` (Ayrshare id, or a social id) grows on ``platform``:
        its :class:`Shape`, whose ``kind`` tells a typical post from a late take-off or a stall.
        A deterministic function of the seed; the API never shows it.

        >>> w = build_world(7)
        >>> p = w.ayrshare_posts()[0]
        >>> net = sorted(p.networks)[0]
        >>> w.post_shape(p.id, net) == w.post_shape(p.networks[net].social_id, net)
        True
        """
        post = self.posts_by_id.get(post_id)
        if post is not None and platform in post.networks:
            np_ = post.networks[platform]
        elif (platform, post_id) in self.by_social_id:
            np_ = self.by_social_id[(platform, post_id)][1]
        else:
            raise KeyError(f"no post {post_id!r} on {platform!r} in the demo world")
        return np_.shape or typical_shape(platform)

    def campaign(self, name: str) -> Campaign:
        for c in self.campaigns:
            if c.name == name:
                return c
        raise KeyError(name)


# --------------------------------------------------------------------------------------------
# building


def _alnum(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(n - 1))


PROFILE_SPECS = (
    ("Northwind Coffee", "northwindcoffee", 1.0, False),
    ("Northwind Labs", "northwindlabs", 0.35, True),  # LinkedIn: the founder's personal page
    ("Alder & Pine Studio", "alderpine", 0.5, False),
)
BASE_FOLLOWERS = {
    "bluesky": 2_400, "facebook": 18_000, "instagram": 26_000, "linkedin": 7_500,
    "pinterest": 5_200, "reddit": 3_100, "threads": 6_800, "tiktok": 31_000, "twitter": 12_000,
    "youtube": 9_400,
}  # fmt: skip


def _campaigns(now: datetime) -> list[Campaign]:
    d = now.replace(hour=0, minute=0)

    def day(n: int) -> datetime:
        return d - timedelta(days=n)

    return [
        Campaign(
            "reel-rush", "#ReelRush",
            "Best by construction: short vertical video (reels, x2.4 views) on the networks that "
            "push it hardest (TikTok, Instagram, YouTube Shorts), posted in the evening peak "
            "(17-21 UTC, x1.3), plus a x1.5 creative boost.",
            day(80), day(50), 0, ("reel",), ("tiktok", "instagram", "youtube", "facebook"),
            (18, 19, 20), 1.5, 28,
        ),
        Campaign(
            "autumn-launch", "#AutumnLaunch",
            "Solid: carousels and images (x1.1 / x0.8) across Instagram, Facebook, Pinterest and "
            "the LinkedIn company page at midday; no boost.",
            day(60), day(30), 0, ("carousel", "image"),
            ("instagram", "facebook", "pinterest", "linkedin"), (11, 12, 13), 1.0, 30,
        ),
        Campaign(
            "dev-tips", "#DevTips",
            "Middling: X threads and text-first networks (X, Bluesky, Threads, LinkedIn) whose "
            "reach is modest and whose counts stop growing within hours.",
            day(75), day(20), 2, ("thread", "image"), ("twitter", "bluesky", "threads", "linkedin"),
            (8, 9, 15), 1.0, 26,
        ),
        Campaign(
            "behind-the-scenes", "#BehindTheScenes",
            "Weak: a third are Instagram and Facebook stories (x0.35 views, no likes, insights "
            "gone after 24 h, Facebook story analytics refused), the rest plain images (x0.8) on "
            "Instagram, Facebook and Threads.",
            day(45), day(5), 0, ("story", "image", "image"), ("instagram", "facebook", "threads"),
            (10, 14, 16), 1.0, 24,
        ),
        Campaign(
            "press-corner", "#PressCorner",
            "Worst by construction: plain image announcements (x0.8) from the small Northwind Labs "
            "profile (about a third of the followers, a LinkedIn personal page), posted in the "
            "small hours (0-5 UTC, x0.5), with a x0.6 penalty for dry copy.",
            day(85), day(10), 1, ("image",), ("linkedin", "twitter", "facebook"), (2, 3, 4),
            0.6, 22,
        ),
    ]  # fmt: skip


TOPICS = (
    "Fresh roast notes from this week",
    "How we pick our beans",
    "Three ways to brew at home",
    "A quiet morning at the roastery",
    "Meet the team behind the counter",
    "What's new on the menu",
    "Our favourite latte art fails",
    "A short guide to grind size",
    "Weekend opening hours",
    "Customer photo of the week",
    "The story of our first shop",
    "Small changes, better coffee",
)
FILLER_TAGS = ("#coffee", "#MondayMotivation", "#smallbusiness", "#brewing", "#design", "")


def _finals(platform: str, media: str, views: float, rng: random.Random) -> dict[str, float]:
    """Final cumulative totals of every count field of one network post."""
    likes = views * LIKE_RATE[platform] * rng.lognormvariate(0.0, 0.25)
    com = likes * 0.12 * rng.lognormvariate(0.0, 0.3)
    shr = likes * 0.08 * rng.lognormvariate(0.0, 0.3)
    is_video = media in ("video", "reel")
    f: dict[str, float] = {}
    if platform == "twitter":
        imp = views
        f |= {
            "publicMetrics.likeCount": likes,
            "publicMetrics.replyCount": com,
            "publicMetrics.retweetCount": shr,
            "publicMetrics.quoteCount": shr * 0.3,
            "publicMetrics.bookmarkCount": likes * 0.1,
            "publicMetrics.impressionCount": imp,
            "nonPublicMetrics.impressionCount": imp,
            "nonPublicMetrics.userProfileClicks": imp * 0.004,
            "nonPublicMetrics.urlLinkClicks": imp * 0.006,
            "nonPublicMetrics.engagements": likes + com + shr + imp * 0.01,
        }
        if is_video:
            p0 = imp * 0.3
            f |= {
                "nonPublicMetrics.video.playback0Count": p0,
                "nonPublicMetrics.video.playback25Count": p0 * 0.6,
                "nonPublicMetrics.video.playback50Count": p0 * 0.42,
                "nonPublicMetrics.video.playback75Count": p0 * 0.3,
                "nonPublicMetrics.video.playback100Count": p0 * 0.2,
            }
        f |= {
            "organicMetrics.impressionCount": imp,
            "organicMetrics.likeCount": likes,
            "organicMetrics.replyCount": com,
            "organicMetrics.retweetCount": shr,
            "organicMetrics.userProfileClicks": imp * 0.004,
        }
        if is_video:
            f["organicMetrics.video.viewCount"] = imp * 0.3
    elif platform == "facebook":
        reac = {"like": 0.72, "love": 0.15, "wow": 0.04, "haha": 0.05, "sorry": 0.02, "anger": 0.02}
        for k, share in reac.items():
            f[f"reactions.{k}"] = likes * share
        f |= {"commentsCount": com, "sharesCount": shr, "impressions": views}
        if is_video:
            f |= {
                "videoViews": views * 0.6,
                "videoViewsUnique": views * 0.45,
                "videoViewTime": views * 0.6 * 9000,
                "totalVideoCompleteViews": views * 0.12,
            }
            if media == "reel":
                f["blueReelsPlayCount"] = views * 0.8
    elif platform == "instagram":
        if media == "story":
            f |= {
                "reachCount": views * 0.8,
                "viewsCount": views,
                "repliesCount": com * 0.3,
                "sharesCount": shr * 0.5,
                "followsCount": views * 0.002,
                "profileVisitsCount": views * 0.01,
                "navigationCount": views * 0.9,
                "tapForwardCount": views * 0.6,
                "tapBackCount": views * 0.05,
                "tapExitCount": views * 0.15,
            }
        else:
            f |= {
                "likeCount": likes,
                "commentsCount": com,
                "savedCount": likes * 0.15,
                "sharesCount": shr,
                "reachCount": views * 0.75,
                "viewsCount": views,
                "engagementCount": likes + com + shr + likes * 0.15,
                "profileVisitsCount": views * 0.01,
                "followsCount": views * 0.001,
            }
            if media == "reel":
                f |= {"playsCount": views * 1.1, "igReelsVideoViewTotalTimeCount": views * 8000}
    elif platform == "linkedin":
        reac = {"like": 0.7, "praise": 0.12, "empathy": 0.06, "interest": 0.06,
                "appreciation": 0.04, "entertainment": 0.02}  # fmt: skip
        for k, share in reac.items():
            f[f"reactions.{k}"] = likes * share
        f |= {
            "commentCount": com,
            "shareCount": shr,
            "impressionCount": views,
            "uniqueImpressionsCount": views * 0.7,
            "clickCount": views * 0.01,
        }
        if is_video:
            f |= {"videoViews": views * 0.4, "videoViewers": views * 0.3,
                  "videoWatchTimeMs": views * 0.4 * 12000}  # fmt: skip
    elif platform == "pinterest":
        f |= {
            "totalComments": com * 0.3,
            "totalReactions": likes,
            "impression": views,
            "save": likes * 1.5,
            "pinClick": views * 0.02,
            "outboundClick": views * 0.008,
            "profileVisit": views * 0.003,
            "userFollow": views * 0.0005,
        }
        if is_video:
            f |= {"videoMrcView": views * 0.3, "quartile95PercentView": views * 0.05,
                  "videoV50WatchTime": views * 0.1 * 5000}  # fmt: skip
    elif platform == "reddit":
        f |= {
            "ups": likes,
            "downs": likes * 0.08,
            "numComments": com * 2.0,
            "viewCount": views,
            "numCrossposts": shr * 0.2,
        }
    elif platform == "threads":
        f |= {"likes": likes, "replies": com, "reposts": shr, "quotes": shr * 0.3, "views": views,
              "shares": shr * 0.5}  # fmt: skip
    elif platform == "tiktok":
        f |= {
            "likeCount": likes,
            "commentsCount": com,
            "shareCount": shr,
            "favorites": likes * 0.1,
            "videoViews": views,
            "reach": views * 0.8,
            "totalTimeWatched": views * 11.0,
        }
    elif platform == "youtube":
        f |= {
            "views": views,
            "likes": likes,
            "dislikes": likes * 0.02,
            "comments": com,
            "shares": shr,
            "estimatedMinutesWatched": views * (0.5 if media == "reel" else 3.2),
            "subscribersGained": views * 0.004,
            "subscribersLost": views * 0.0004,
            "videosAddedToPlaylists": views * 0.002,
            "engagedViews": views * 0.7,
        }
    elif platform == "bluesky":
        f |= {"likeCount": likes, "replyCount": com, "quoteCount": shr * 0.3, "repostCount": shr}
    return f


class _Builder:
    def __init__(self, seed: int, now: datetime) -> None:
        self.seed = seed
        self.now = now
        self.start = now - timedelta(days=120)
        self.rng = random.Random(f"ayr-sandbox-{seed}")
        self.used_ids: set[str] = set()

    def uid(self, make: Any) -> str:
        while True:
            value = make()
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def profiles(self) -> list[Profile]:
        rng = self.rng
        out = []
        for i, (title, handle, scale, personal_li) in enumerate(PROFILE_SPECS):
            key = "-".join(
                self.uid(lambda: "".join(rng.choice("ABCDEF0123456789") for _ in range(8)))
                for _ in range(4)
            )
            accounts = {}
            for net in NETWORKS:
                f0 = BASE_FOLLOWERS[net] * scale * rng.lognormvariate(0.0, 0.3)
                if net == "linkedin" and personal_li:
                    f0 = 900 + rng.randint(0, 400)
                accounts[net] = Account(
                    platform=net,
                    username=handle if net != "linkedin" or not personal_li else "dana-whitfield",
                    display_name=title
                    if not (net == "linkedin" and personal_li)
                    else "Dana Whitfield",
                    followers0=int(f0),
                    growth_per_day=round(f0 * rng.uniform(0.0005, 0.003), 2),
                    personal=net == "linkedin" and personal_li,
                )
            out.append(Profile(i, title, key, i == 0, accounts))
        return out

    def social_ids(self, net: str, acc: Account, media: str) -> tuple[str, str]:
        rng = self.rng
        u = acc.username
        if net == "twitter":
            sid = self.uid(lambda: _digits(rng, 19))
            return sid, f"https://x.com/{u}/status/{sid}"
        if net == "facebook":
            page = str(abs(hash_str(u)) % 10**15).rjust(15, "1")
            sid = self.uid(lambda: f"{page}_{_digits(rng, 15)}")
            return sid, f"https://www.facebook.com/{sid}"
        if net == "instagram":
            sid = self.uid(lambda: _digits(rng, 17))
            code = _alnum(rng, 11)
            kind = "reel" if media == "reel" else ("stories/" + u if media == "story" else "p")
            return sid, f"https://www.instagram.com/{kind}/{code}/"
        if net == "linkedin":
            sid = self.uid(lambda: f"urn:li:share:{_digits(rng, 19)}")
            return sid, f"https://www.linkedin.com/feed/update/{sid}"
        if net == "pinterest":
            sid = self.uid(lambda: _digits(rng, 18))
            return sid, f"https://www.pinterest.com/pin/{sid}/"
        if net == "reddit":
            sid = self.uid(lambda: "t3_" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                                               for _ in range(7)))  # fmt: skip
            return sid, f"https://www.reddit.com/r/{u}/comments/{sid[3:]}/"
        if net == "threads":
            sid = self.uid(lambda: _digits(rng, 17))
            return sid, f"https://www.threads.net/@{u}/post/{_alnum(rng, 11)}"
        if net == "tiktok":
            sid = self.uid(lambda: _digits(rng, 19))
            return sid, f"https://www.tiktok.com/@{u}/video/{sid}"
        if net == "youtube":
            sid = self.uid(lambda: _alnum(rng, 11))
            return sid, f"https://youtu.be/{sid}"
        if net == "bluesky":
            rkey = self.uid(lambda: "3l" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz234567")
                                                   for _ in range(11)))  # fmt: skip
            did = "did:plc:" + str(abs(hash_str(u)) % 10**24).rjust(24, "7")
            return (f"at://{did}/app.bsky.feed.post/{rkey}",
                    f"https://bsky.app/profile/{u}.bsky.social/post/{rkey}")  # fmt: skip
        raise ValueError(net)

    def network_post(
        self, post_quality: float, net: str, acc: Account, media: str, published: datetime,
        boost: float,
    ) -> NetworkPost:  # fmt: skip
        rng = self.rng
        quality = post_quality * rng.lognormvariate(0.0, 0.35)
        views = (
            acc.followers0 * REACH_RATE[net] * MEDIA_FACTOR[media] * timing_factor(published.hour)
            * boost * quality
        )  # fmt: skip
        if acc.personal:
            views *= 0.5
        sid, url = self.social_ids(net, acc, media)
        np_ = NetworkPost(
            platform=net,
            social_id=sid,
            url=url,
            published=published + timedelta(seconds=rng.randint(1, 40)),
            quality=round(quality, 6),
            finals=_finals(net, media, views, rng),
            personal=acc.personal,
            username=acc.username,
            display_name=acc.display_name,
            shape=post_shape(self.seed, net, sid),
        )
        if net == "youtube":
            np_.delay_h = rng.uniform(24.0, 48.0)
            np_.rates = {"averageViewPercentage": round(rng.uniform(28.0, 72.0), 1)}
        elif net == "pinterest":
            np_.delay_h = rng.uniform(24.0, 72.0)
        elif net == "tiktok":
            rng.uniform(0.7, 1.3)  # a draw kept in sequence: the world's ids stay stable
            weights = [rng.random() ** 2 for _ in TIKTOK_SOURCES]
            weights[0] += 2.0
            cw = [rng.random() ** 3 for _ in COUNTRIES]
            cw[0] += 1.5
            np_.rates = {
                "fullVideoWatchedRate": round(rng.uniform(0.08, 0.4), 4),
                "impressionSources": _percentages(TIKTOK_SOURCES, weights, "impressionSource"),
                "audienceCountries": _percentages(COUNTRIES, cw, "country"),
            }
        if net == "twitter" and media == "thread":
            n = rng.randint(2, 5)
            for pos in range(1, n):
                tsid, turl = self.social_ids(net, acc, media)
                np_.thread.append(
                    NetworkPost(
                        platform=net,
                        social_id=tsid,
                        url=turl,
                        published=np_.published + timedelta(seconds=pos * 3),
                        quality=round(quality * 0.55**pos, 6),
                        finals=_finals(net, media, views * 0.55**pos, rng),
                        position=pos,
                        username=acc.username,
                        display_name=acc.display_name,
                        rates={"thread_len": n},
                        shape=np_.shape,  # a thread is read together: its tweets grow alike
                    )
                )
            np_.rates = {"thread_len": n}
        return np_

    def post(
        self, profile: Profile, created: datetime, media: str, nets: list[str], text: str,
        campaign: Campaign | None, *, publish_at: datetime | None = None, via_ayrshare: bool = True,
    ) -> Post:  # fmt: skip
        rng = self.rng
        pq = min(rng.paretovariate(2.2), 25.0) * rng.lognormvariate(0.0, 0.3) * 0.6
        boost = campaign.boost if campaign else 1.0
        publish = publish_at or created
        networks = {
            net: self.network_post(pq, net, profile.accounts[net], media, publish, boost)
            for net in sorted(nets)
        }
        pid = self.uid(lambda: _alnum(rng, 20)) if via_ayrshare else None
        ext = "mp4" if media in ("video", "reel", "story") and rng.random() < 0.8 else "jpg"
        n_media = 0 if media == "thread" else (rng.randint(3, 6) if media == "carousel" else 1)
        urls = [f"https://img.ayrshare.com/demo/{_alnum(rng, 16)}.{ext}" for _ in range(n_media)]
        return Post(
            id=pid,
            profile=profile.index,
            created=created,
            publish_at=publish,
            type="schedule" if publish_at is not None else "now",
            text=text,
            media_type=media,
            campaign=campaign.name if campaign else None,
            networks=networks,
            media_urls=urls,
        )

    def pick_networks(self, media: str, allowed: tuple[str, ...] | None = None) -> list[str]:
        rng = self.rng
        pool = [n for n in MEDIA_NETWORKS[media] if allowed is None or n in allowed]
        if media == "thread":
            rest = [n for n in pool if n != "twitter"]
            return ["twitter", *rng.sample(rest, rng.randint(0, len(rest)))]
        k = rng.randint(1, min(4, len(pool)))
        return rng.sample(pool, k)

    def build(self) -> World:
        rng = self.rng
        profiles = self.profiles()
        campaigns = _campaigns(self.now)
        posts: list[Post] = []
        # campaign posts
        for c in campaigns:
            span = (c.end - c.start).total_seconds()
            for _ in range(c.n_posts):
                day = c.start + timedelta(seconds=span * rng.random())
                created = day.replace(hour=rng.choice(c.hours), minute=rng.randint(0, 59),
                                      second=rng.randint(0, 59), microsecond=0)  # fmt: skip
                media = rng.choice(c.media)
                nets = self.pick_networks(media, c.networks)
                if c.name == "reel-rush":
                    nets = sorted(set(nets) | {"tiktok"})
                if c.name == "press-corner":
                    nets = sorted(set(nets) | {"linkedin"})
                text = f"{rng.choice(TOPICS)} {c.hashtag}"
                posts.append(self.post(profiles[c.profile], created, media, nets, text, c))
        # everyday posts
        weights = (0.22, 0.14, 0.1, 0.06, 0.14, 0.12)
        counts = (120, 60, 60)
        for prof, n in zip(profiles, counts, strict=True):
            for _ in range(n):
                created = self.now - timedelta(seconds=rng.randint(3600, 118 * 86400))
                created = created.replace(microsecond=0)
                media = rng.choices(MEDIA_TYPES, weights=weights)[0]
                nets = self.pick_networks(media)
                text = f"{rng.choice(TOPICS)} {rng.choice(FILLER_TAGS)}".strip()
                publish_at = None
                if rng.random() < 0.1:  # scheduled ahead, already published
                    publish_at = created + timedelta(hours=rng.randint(2, 48))
                    if publish_at > self.now:
                        publish_at = None
                posts.append(self.post(prof, created, media, nets, text, None,
                                       publish_at=publish_at))  # fmt: skip
        # a very fresh post on every network (to show fresh-post behaviour) and future ones
        prof = profiles[0]
        fresh = self.now - timedelta(hours=3)
        for media, nets in (("video", ["youtube", "pinterest", "tiktok", "facebook", "twitter"]),
                            ("story", ["instagram", "facebook"])):  # fmt: skip
            posts.append(self.post(prof, fresh, media, nets, f"{rng.choice(TOPICS)} #coffee", None))
        for days in (2, 5, 9):
            created = self.now - timedelta(days=1, hours=days)
            when = (self.now + timedelta(days=days)).replace(hour=17, minute=0, second=0)
            nets = self.pick_networks("image")
            text = f"Coming soon: {rng.choice(TOPICS).lower()} #HolidaySeason"
            posts.append(self.post(prof, created, "image", nets, text, None, publish_at=when))
        # posts made directly on the networks (only in /history/{platform} and by social id)
        for prof in profiles:
            for _ in range(8):
                created = self.now - timedelta(seconds=rng.randint(7200, 60 * 86400))
                media = rng.choice(("image", "video", "reel"))
                nets = [rng.choice(MEDIA_NETWORKS[media])]
                text = f"{rng.choice(TOPICS)} (posted in the app)"
                posts.append(self.post(prof, created.replace(microsecond=0), media, nets, text,
                                       None, via_ayrshare=False))  # fmt: skip
        posts.sort(key=lambda p: (p.created, p.id or ""))
        ranking = _expected_ranking(campaigns, profiles)
        return World(self.seed, self.now, self.start, profiles, posts, campaigns, ranking)


def hash_str(s: str) -> int:
    """A stable (not salted) string hash."""
    h = 1469598103934665603
    for ch in s.encode():
        h = ((h ^ ch) * 1099511628211) % 2**64
    return h


def _percentages(labels: tuple[str, ...], weights: list[float], key: str) -> list[dict]:
    """The shares of ``weights`` in percent with two decimals, largest first, summing to
    exactly 100.00 as real shares do: each is rounded down to the hundredth, then the
    hundredths still missing go to the largest remainders (largest-remainder rounding; rounding
    each share alone could sum to 99.98 or 100.02).

    >>> rows = _percentages(("a", "b", "c"), [1.0, 1.0, 1.0], "label")
    >>> [(r["label"], r["percentage"]) for r in rows]
    [('a', 33.34), ('b', 33.33), ('c', 33.33)]
    """
    total = sum(weights)
    exact = [10_000 * w / total for w in weights]  # in hundredths of a percent
    parts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(parts)), key=lambda i: parts[i] - exact[i])  # stable
    for i in by_remainder[: 10_000 - sum(parts)]:
        parts[i] += 1
    rows = [{key: lab, "percentage": n / 100} for lab, n in zip(labels, parts, strict=True)]
    return sorted(rows, key=lambda r: -r["percentage"])


def _expected_ranking(campaigns: list[Campaign], profiles: list[Profile]) -> list[str]:
    """Rank campaigns by their designed mean engagements (likes) per post, without noise."""
    score = {}
    for c in campaigns:
        acc = profiles[c.profile].accounts
        per_media = []
        for m in c.media:
            if m == "story":  # stories carry no likes (and Facebook refuses story analytics)
                per_media.append(0.0)
                continue
            nets = [n for n in MEDIA_NETWORKS[m] if n in c.networks]
            s = sum(
                acc[n].followers0 * REACH_RATE[n] * LIKE_RATE[n] * (0.5 if acc[n].personal else 1)
                for n in nets
            ) / max(1, len(nets))
            per_media.append(s * MEDIA_FACTOR[m])
        mean_timing = sum(timing_factor(h) for h in c.hours) / len(c.hours)
        score[c.name] = sum(per_media) / len(per_media) * mean_timing * c.boost
    return sorted(score, key=lambda n: -score[n])


@functools.lru_cache(maxsize=8)
def build_world(seed: int = 7, now: datetime = WORLD_NOW) -> World:
    """Build (once per seed and ``now``, then cached) the deterministic demo world.

    >>> w = build_world(7)
    >>> w is build_world(7), w.now.isoformat(), w.primary.title
    (True, '2026-11-20T12:00:00+00:00', 'Northwind Coffee')
    """
    return _Builder(seed, now).build()


# --------------------------------------------------------------------------------------------
# demo data files


def campaigns_toml(world: World) -> str:
    """The campaigns of ``world`` in the ``data/campaigns.toml`` format."""
    lines = [
        "# Campaigns of the ayr-analysis demo world (generated by `ayr-analysis demo-data`).",
        "# A post belongs to the first campaign (in file order) that it matches: ids, hashtags",
        "# (case-insensitive, in the post text) or pattern (regex), within start..end (inclusive)",
        "# and on the listed platforms. See data/README.md for the format.",
    ]
    for c in world.campaigns:
        lines += [
            "",
            "[[campaign]]",
            f'name = "{c.name}"',
            f"description = {_toml_str(c.description)}",
            f'hashtags = ["{c.hashtag}"]',
            f"start = {c.start.date().isoformat()}",
            f"end = {c.end.date().isoformat()}",
        ]
    lines.append(f"# expected ranking (best first): {', '.join(world.expected_ranking)}")
    return "\n".join(lines) + "\n"


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def profiles_json(world: World) -> str:
    import json

    out = []
    for p in world.profiles:
        out.append(
            {
                "title": p.title,
                "profileKey": p.profile_key,
                "primary": p.primary,
                "accounts": [
                    {
                        "platform": a.platform,
                        "username": a.username,
                        "displayName": a.display_name,
                        "followers": a.followers_at(world.now, world.start),
                        "type": ("personal" if a.personal else "page")
                        if a.platform == "linkedin"
                        else None,
                    }
                    for a in p.accounts.values()
                ],
            }
        )
    from . import DEMO_API_KEY

    doc = {
        "seed": world.seed,
        "now": iso_s(world.now),
        "apiKey": DEMO_API_KEY,
        "profiles": out,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def posts_csv(world: World) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "profile", "created", "publish_at", "type", "platforms", "media_type",
                "campaign", "text"])  # fmt: skip
    for p in world.ayrshare_posts():
        w.writerow([
            p.id, world.profiles[p.profile].title, iso_s(p.created), iso_s(p.publish_at), p.type,
            " ".join(p.networks), p.media_type, p.campaign or "", p.text,
        ])  # fmt: skip
    return buf.getvalue()


DATA_README = """# Demo data

Generated from the ayr-analysis demo world (seed {seed}, reference time {now}) by

```bash
ayr-analysis demo-data --out data --seed {seed}
# or: python -m ayr_analysis.sandbox.world --out data --seed {seed}
```

Regenerating with the same seed gives byte-identical files. The same world answers the API in the
demo sandbox (`ayr-analysis sandbox`), so these files describe what the sandbox serves.

| file | content |
|---|---|
| `profiles.json` | the demo API key, the three user profiles with their Profile-Keys (public demo values, not secrets) and their linked accounts with follower counts at the reference time |
| `posts.csv` | every post sent through Ayrshare: `id` (Ayrshare id), `profile`, `created`, `publish_at`, `type` (now/schedule), `platforms` (space-separated), `media_type` (image, video, reel, story, carousel, thread), `campaign` (empty if none), `text` |
| `campaigns.toml` | the demo campaigns, in the format below |

## The campaigns file

Write your own `campaigns.toml` the same way. Each `[[campaign]]` table:

```toml
# A post belongs to the first campaign (in file order) that it matches.
[[campaign]]
name = "spring-launch"                 # required, unique
description = "Why it should do well"  # optional
ids = ["AYR_ID"]                       # optional: Ayrshare post ids
hashtags = ["#SpringLaunch"]           # optional: matched case-insensitively in the post text
pattern = "regex"                      # optional: regex searched in the text (docs/CAMPAIGNS.md)
start = 2026-08-01                     # optional date window on the post's created time (inclusive)
end = 2026-08-31
platforms = ["instagram", "tiktok"]    # optional: restrict to these networks
```

A post matches when (`ids` or `hashtags` or `pattern` match; if none of the three is given, any
post) and it falls in the window and on the listed networks.

## The demo campaigns

{campaigns}
"""


def data_readme(world: World) -> str:
    rows = "\n".join(f"- `{c.name}` ({c.hashtag}): {c.description}" for c in world.campaigns)
    rows += "\n\nExpected ranking, best first: " + ", ".join(world.expected_ranking) + "."
    return DATA_README.format(seed=world.seed, now=iso_s(world.now), campaigns=rows)


def write_demo_data(path: str | Path = "data", *, seed: int = 7) -> list[Path]:
    """Write profiles.json, posts.csv, campaigns.toml and README.md of the demo world to ``path``.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [p.name for p in write_demo_data(d)]
    ['profiles.json', 'posts.csv', 'campaigns.toml', 'README.md']
    """
    world = build_world(seed)
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "profiles.json": profiles_json(world),
        "posts.csv": posts_csv(world),
        "campaigns.toml": campaigns_toml(world),
        "README.md": data_readme(world),
    }
    written = []
    for name, text in files.items():
        target = out / name
        target.write_bytes(text.encode("utf-8"))
        written.append(target)
    return written


def _main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m ayr_analysis.sandbox.world")
    p.add_argument("--out", default="data")
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    for f in write_demo_data(args.out, seed=args.seed):
        print(f)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())


__all__ = [
    "NETWORKS",
    "MEDIA_TYPES",
    "Campaign",
    "Account",
    "Profile",
    "NetworkPost",
    "Post",
    "World",
    "build_world",
    "growth",
    "post_shape",
    "typical_shape",
    "Curve",
    "Shape",
    "CURVES",
    "timing_factor",
    "write_demo_data",
    "UTC",
]
