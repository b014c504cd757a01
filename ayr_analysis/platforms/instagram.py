"""Instagram (business and creator accounts). ``viewsCount`` replaced ``impressionsCount`` in
2025-04: both are kept, ``viewsCount`` feeds ``views`` and ``impressionsCount`` feeds
``impressions``, so the series break is visible rather than hidden."""

from ._base import PlatformSpec, count, ms

SPEC = PlatformSpec(
    name="instagram",
    fields=(
        count("likeCount", "likes"),
        count("commentsCount", "comments", "private comments are counted too"),
        count("repliesCount", "comments", "stories only; 0 for EU/JP stories"),
        count("sharesCount", "shares", "reported"),
        count("savedCount", "saves"),
        count("reachCount", "reach"),
        count("viewsCount", "views", "replaced impressionsCount in 2025-04"),
        count("impressionsCount", "impressions", "legacy: until 2025-04"),
        count("playsCount", "plays", "reported"),
        count("profileVisitsCount", "profile_visits", "reported"),
        count("followsCount", "follows", "reported"),
        count("engagementCount", "engagements_reported", "Instagram's total interactions"),
        ms("igReelsAvgWatchTimeCount", "avg_watch_time_s", "reels; reported"),
        ms("igReelsVideoViewTotalTimeCount", "watch_time_s", "reels; reported"),
        count("navigationCount", None, "stories"),
        count("tapForwardCount", None, "stories"),
        count("tapBackCount", None, "stories"),
        count("tapExitCount", None, "stories"),
    ),
    engagement=("likes", "comments", "shares", "saves"),
    engagement_reason="Instagram's own 'total interactions': likes, comments, shares, saves",
    media_type_paths=("mediaProductType", "mediaType"),
    text_paths=("caption", "post", "text"),
    follower_fields=("followersCount",),
    precedence_notes=(
        "comments: commentsCount, else repliesCount (stories have replies, not comments)",
    ),
)
