"""X (Twitter). Fields are nested: ``publicMetrics``, ``nonPublicMetrics`` and ``organicMetrics``
(``...video.playbackNNCount``). Non-public and organic metrics exist only for the authorised
user's own posts, for about 30 days. A thread comes back as a list, one object per tweet."""

from ._base import PlatformSpec, count

SPEC = PlatformSpec(
    name="twitter",
    fields=(
        count("publicMetrics.likeCount", "likes"),
        count("publicMetrics.replyCount", "comments"),
        count("publicMetrics.retweetCount", "shares"),
        count("publicMetrics.quoteCount", "quotes"),
        count("publicMetrics.bookmarkCount", "saves", "reported"),
        count("nonPublicMetrics.impressionCount", "impressions", "own posts, ~30 days"),
        count("publicMetrics.impressionCount", "impressions", "reported; fallback"),
        count("nonPublicMetrics.userProfileClicks", "profile_visits"),
        count("nonPublicMetrics.urlLinkClicks", "clicks", "reported"),
        count("nonPublicMetrics.engagements", "engagements_reported", "reported"),
        count("nonPublicMetrics.video.playback100Count", "completions"),
        count("organicMetrics.video.viewCount", "views"),
        count("nonPublicMetrics.video.playback0Count", None, "video starts"),
        count("nonPublicMetrics.video.playback25Count", None, "quartile"),
        count("nonPublicMetrics.video.playback50Count", None, "quartile"),
        count("nonPublicMetrics.video.playback75Count", None, "quartile"),
        count("organicMetrics.impressionCount", None),
        count("organicMetrics.likeCount", None),
        count("organicMetrics.replyCount", None),
        count("organicMetrics.retweetCount", None),
        count("organicMetrics.userProfileClicks", None),
    ),
    engagement=("likes", "comments", "shares", "quotes", "saves"),
    engagement_reason="likes, replies, reposts, quotes and bookmarks (public interactions)",
    text_paths=("post", "text"),
    follower_fields=("followersCount",),
    precedence_notes=(
        "impressions: nonPublicMetrics.impressionCount (the owner's authoritative count), else "
        "publicMetrics.impressionCount (still there after the ~30-day non-public window)",
    ),
)
