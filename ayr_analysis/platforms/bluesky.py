"""Bluesky: counts from the post view (``likeCount``, ``replyCount``, ``quoteCount``,
``repostCount``). No impressions or views are reported."""

from ._base import PlatformSpec, count

SPEC = PlatformSpec(
    name="bluesky",
    fields=(
        count("likeCount", "likes"),
        count("replyCount", "comments"),
        count("repostCount", "shares", "reported; present on /history/bluesky items"),
        count("quoteCount", "quotes"),
    ),
    engagement=("likes", "comments", "shares", "quotes"),
    engagement_reason="every public interaction Bluesky counts: likes, replies, reposts, quotes",
    follower_fields=("followersCount",),
)
