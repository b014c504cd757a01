"""Facebook Pages. ``reactions`` is an object ``{like, love, wow, haha, sorry, anger, total}``:
``total`` feeds ``reactions``, the other keys the reactions frame. Meta removed
``impressionsUnique`` and several page metrics in 2025-11; they stay mapped for older answers."""

from ._base import Caveat, PlatformSpec, count, ms

SPEC = PlatformSpec(
    name="facebook",
    fields=(
        count("likeCount", "likes"),
        count("commentsCount", "comments", "private comments are counted too"),
        count("sharesCount", "shares"),
        count("reactions.total", "reactions", "all reaction types, likes included"),
        count("impressions", "impressions", "reported"),
        count("impressionsUnique", "reach", "legacy: dropped after Meta's 2025-11 change"),
        count("clicksUnique", "clicks", "legacy"),
        count("videoViews", "views"),
        count("videoViewsUnique", "unique_views"),
        count("blueReelsPlayCount", "plays", "reported"),
        count("totalVideoCompleteViews", "completions", "reported"),
        ms("videoViewTime", "watch_time_s", "unit believed ms (Meta post_video_view_time)"),
        ms("totalVideoAvgTimeWatched", "avg_watch_time_s", "reported"),
        count("engagedUsers", None, "legacy"),
        count("negativeFeedback", None, "legacy"),
        count("impressionsPaidUnique", None, "reported"),
        count("impressionsOrganicUnique", None, "reported"),
    ),
    engagement=(("reactions", "likes"), "comments", "shares"),
    engagement_reason=(
        "reactions already include likes, so likes count only when no reactions total is given; "
        "clicks are left out as on every network"
    ),
    reaction_paths=("reactions", "reactionsByType"),
    text_paths=("post", "message", "caption", "text", "title", "description"),
    media_type_paths=("mediaType", "type"),
    caveats=(
        Caveat(
            "meta_comment_count",
            "Facebook and Instagram comment counts can differ from the apps: private comments "
            "are counted.",
            any_reported=("comments",),
        ),
    ),
    follower_fields=("followersCount",),
)
