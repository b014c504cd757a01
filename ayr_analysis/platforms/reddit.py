"""Reddit. No source documents the fields: this map is inferred from Reddit's own API
(``ups``, ``numComments``, ``viewCount``, ``numCrossposts``) and must not be relied on."""

from ._base import PlatformSpec, count, fraction

SPEC = PlatformSpec(
    name="reddit",
    fields=(
        count("ups", "likes", "inferred"),
        count("numComments", "comments", "inferred"),
        count("numCrossposts", "shares", "inferred"),
        count("viewCount", "views", "inferred"),
        count("downs", None, "inferred"),
        count("score", None, "inferred: ups - downs"),
        fraction("upvoteRatio", None, "inferred"),
    ),
    engagement=("likes", "comments", "shares"),
    engagement_reason="upvotes, comments and crossposts (inferred fields)",
    text_paths=("title", "post", "selftext", "text"),
    follower_fields=("subscribers",),
)
