"""YouTube. Numbers can take 24-48 h to appear for videos with few views or subscribers.
``estimatedMinutesWatched`` is in minutes, ``averageViewDuration`` in seconds and
``averageViewPercentage`` in percent."""

from ._base import Caveat, PlatformSpec, count, minutes, percent, seconds

SPEC = PlatformSpec(
    name="youtube",
    fields=(
        count("views", "views"),
        count("likes", "likes"),
        count("dislikes", "dislikes"),
        count("comments", "comments"),
        count("shares", "shares", "reported"),
        count("subscribersGained", "followers_gained"),
        count("subscribersLost", "followers_lost"),
        count("videosAddedToPlaylists", "playlist_adds"),
        minutes("estimatedMinutesWatched", "watch_time_s"),
        seconds("averageViewDuration", "avg_watch_time_s"),
        percent("averageViewPercentage", "avg_view_fraction"),
        count("engagedViews", None, "reported"),
    ),
    engagement=("likes", "comments", "shares"),
    engagement_reason=(
        "likes, comments and shares; dislikes (a negative, mostly hidden signal) and playlist "
        "adds are left out"
    ),
    default_media_type="video",
    text_paths=("title", "description", "post"),
    caveats=(
        Caveat(
            "youtube_processing",
            "YouTube takes 24-48 h to report numbers for videos with few views or a small "
            "channel: zeros before 48 h may not be real.",
            any_zero=("views",),
            max_age_h=48,
        ),
    ),
    follower_fields=("subscriberCount",),
)
