"""TikTok. ``likes``, ``comments`` and ``shares`` were renamed ``likeCount``, ``commentsCount`` and
``shareCount`` in 2025-03: both names are understood, the new one wins when both are present.
``reach``, ``fullVideoWatchedRate``, ``totalTimeWatched``, ``averageTimeWatched``,
``impressionSources`` and ``audienceCountries`` may vanish after 7 days of inactivity."""

from ._base import BreakdownSpec, Caveat, FieldSpec, PlatformSpec, count, fraction, seconds

SPEC = PlatformSpec(
    name="tiktok",
    fields=(
        count("likeCount", "likes"),
        count("likes", "likes", "name before 2025-03"),
        count("commentsCount", "comments"),
        count("comments", "comments", "name before 2025-03"),
        count("shareCount", "shares"),
        count("shares", "shares", "name before 2025-03"),
        count("favorites", "saves", "reported"),
        count("videoViews", "views"),
        count("reach", "reach", "may vanish after 7 days of inactivity"),
        seconds("totalTimeWatched", "watch_time_s", "may vanish after 7 days"),
        seconds("averageTimeWatched", "avg_watch_time_s", "may vanish after 7 days"),
        fraction("fullVideoWatchedRate", "completion_rate", "0-1; may vanish after 7 days"),
        FieldSpec("thumbnailWidth", None, "px"),
        FieldSpec("thumbnailHeight", None, "px"),
    ),
    engagement=("likes", "comments", "shares", "saves"),
    engagement_reason="likes, comments, shares and favorites (saves)",
    breakdowns=(
        BreakdownSpec(
            "impressionSources",
            "impression_source",
            keys=("impressionSource", "impression_source", "source", "name", "key"),
        ),
        BreakdownSpec(
            "audienceCountries",
            "audience_country",
            keys=("country", "countryCode", "name", "key"),
        ),
    ),
    url_paths=("postUrl", "url", "shareUrl"),
    text_paths=("post", "title", "videoDescription", "description", "caption", "text"),
    follower_fields=("followerCount",),
    caveats=(
        Caveat(
            "tiktok_inactive_fields",
            "TikTok stops reporting reach, watch time, completion rate and the traffic and "
            "country shares once a video has been inactive for 7 days; analysis uses the last "
            'reported value (fill="last_reported").',
            any_reported=("views",),
            any_null=("reach", "watch_time_s", "avg_watch_time_s", "completion_rate"),
        ),
    ),
    precedence_notes=(
        "likes: likeCount, else likes; comments: commentsCount, else comments; "
        "shares: shareCount, else shares (names before 2025-03)",
    ),
)
