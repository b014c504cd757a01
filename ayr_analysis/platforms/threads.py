"""Threads (Meta). ``shares`` are private sends, kept apart from ``reposts``."""

from ._base import PlatformSpec, count

SPEC = PlatformSpec(
    name="threads",
    fields=(
        count("likes", "likes"),
        count("replies", "comments"),
        count("reposts", "shares"),
        count("quotes", "quotes"),
        count("shares", "sends", "reported: shares by message"),
        count("views", "views"),
    ),
    engagement=("likes", "comments", "shares", "quotes", "sends"),
    engagement_reason="likes, replies, reposts, quotes and sends: every interaction Threads counts",
    text_paths=("post", "text"),
    follower_fields=("followersCount",),
)
