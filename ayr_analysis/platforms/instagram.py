"""Instagram (business and creator accounts). ``viewsCount`` replaced ``impressionsCount`` in
2025-04: both are kept, ``viewsCount`` feeds ``views`` and ``impressionsCount`` feeds
``impressions``, so the series break is visible rather than hidden."""

from ._base import Caveat, PlatformSpec, count, ms

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
    caveats=(
        Caveat(
            "meta_comment_count",
            "Facebook and Instagram comment counts can differ from the apps: private comments "
            "are counted.",
            any_reported=("comments",),
        ),
        Caveat(
            "ig_story_floor",
            "Instagram story metrics below 5 are reported as 0: a story's 0 means 0 to 4.",
            media_types=("story",),
            any_zero=(
                "likes",
                "comments",
                "shares",
                "saves",
                "reach",
                "views",
                "impressions",
                "profile_visits",
                "follows",
            ),
        ),
        Caveat(
            "ig_story_replies_region",
            "Instagram story replies are 0 for stories made in Europe and Japan: a 0 there "
            "may be replies that are not counted.",
            media_types=("story",),
            any_zero=("comments",),
        ),
    ),
    precedence_notes=(
        "comments: commentsCount, else repliesCount (stories have replies, not comments)",
    ),
)
