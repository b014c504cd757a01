"""Pinterest. Impressions, saves and clicks appear only after 24-72 h: until then the keys are
absent (null), not zero."""

from ._base import Caveat, PlatformSpec, count, ms, rate

SPEC = PlatformSpec(
    name="pinterest",
    fields=(
        count("totalComments", "comments"),
        count("totalReactions", "reactions"),
        count("save", "saves", "legacy; absent for 24-72 h"),
        count("impression", "impressions", "legacy; absent for 24-72 h"),
        count("pinClick", "clicks", "legacy; absent for 24-72 h"),
        count("outboundClick", "outbound_clicks", "legacy"),
        count("videoMrcView", "views", "legacy"),
        ms("videoAvgWatchTime", "avg_watch_time_s", "legacy"),
        count("quartile95PercentView", "completions", "legacy: views to 95 %"),
        count("profileVisit", "profile_visits", "reported"),
        count("userFollow", "follows", "reported"),
        rate("saveRate", None, "reported; Pinterest's own definition"),
    ),
    engagement=("reactions", "comments", "saves"),
    engagement_reason=(
        "reactions, comments and saves (the pin's public interactions); pin and outbound clicks "
        "are left out as on every network"
    ),
    media_type_paths=("media.mediaType", "media.media_type", "mediaType"),
    text_paths=("description", "title", "post", "text"),
    caveats=(
        Caveat(
            "pinterest_delayed",
            "Pinterest reports impressions, saves and clicks only after 24-72 h: until then "
            "they are absent (null), not zero.",
            any_null=("impressions", "saves", "clicks"),
        ),
    ),
    follower_fields=("followerCount",),
)
