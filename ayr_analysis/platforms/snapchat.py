"""Snapchat. No field of its post analytics is known yet: every number it returns is kept in the
long frame, unmapped (metric null), and the wide frame holds nulls."""

from ._base import PlatformSpec

SPEC = PlatformSpec(
    name="snapchat",
    fields=(),
    engagement=(),
    engagement_reason="nothing mapped yet, so engagements stay null",
    follower_fields=("followersCount", "followerCount", "subscriberCount", "subscribers"),
)
