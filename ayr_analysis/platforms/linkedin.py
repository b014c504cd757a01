"""LinkedIn. Personal pages give only likes, comments and reactions; company pages give more.
``reactions`` (``{like, praise, empathy, interest, appreciation, entertainment, ...}``) feeds the
reactions frame only: ``likeCount`` already counts every reaction."""

from ._base import Caveat, PlatformSpec, count, ms, rate

SPEC = PlatformSpec(
    name="linkedin",
    fields=(
        count("likeCount", "likes"),
        count("commentCount", "comments"),
        count("shareCount", "shares"),
        count("impressionCount", "impressions"),
        count("uniqueImpressionsCount", "reach", "reported"),
        count("clickCount", "clicks"),
        count("videoViews", "views", "reported"),
        count("videoViewers", "unique_views", "reported"),
        ms("videoWatchTimeMs", "watch_time_s", "reported"),
        rate("engagement", "engagement_rate_reported", "LinkedIn's own rate, clicks included"),
    ),
    engagement=("likes", "comments", "shares"),
    engagement_reason=(
        "likes (every reaction), comments, shares; LinkedIn's own rate also counts clicks and "
        "follows, which we leave out as on every network"
    ),
    reaction_paths=("reactions",),
    text_paths=("post", "text", "commentary"),
    caveats=(
        Caveat(
            "linkedin_personal_page",
            "LinkedIn personal pages give only likes, comments and reactions; impressions, "
            "shares and clicks need a company page.",
            any_reported=("likes", "comments", "reactions"),
            all_null=("impressions", "shares", "clicks", "reach"),
        ),
    ),
    follower_fields=("followerCount",),
)
