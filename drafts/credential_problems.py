"""What a channel's credential must hold for a post to go out: the scopes posting needs.

Kept here, beside the review (which shows a post whose channel lacks them as a problem before
its time), and read by the connectors in ``scheduler.connect`` when they ask for consent.
"""

from __future__ import annotations

from drafts.channels import ChannelBase, LinkedInChannel

# Each platform's scopes for publishing text and images, as PLATFORMS.md cites them.
REQUIRED_SCOPES: dict[str, tuple[str, ...]] = {
    # PLATFORMS.md §2 and §10.3: POST /2/tweets needs tweet.read tweet.write users.read;
    # media.write for uploads; offline.access for a refresh token.
    "x": ("tweet.read", "tweet.write", "users.read", "media.write", "offline.access"),
    # PLATFORMS.md §3 and §10.3 (Mastodon's broader "write" covers both).
    "mastodon": ("write:statuses", "write:media"),
    # PLATFORMS.md §5 (Facebook Pages): publishing to a Page.
    "facebook": ("pages_manage_posts", "pages_read_engagement"),
    # PLATFORMS.md §6 (Threads): threads_basic and threads_content_publish.
    "threads": ("threads_basic", "threads_content_publish"),
}


def required_scopes(channel: ChannelBase) -> tuple[str, ...]:
    """The scopes ``channel``'s credential needs for posting; a LinkedIn page's differ from a
    member's (PLATFORMS.md §1: w_organization_social, or w_member_social)."""
    if isinstance(channel, LinkedInChannel):
        page = channel.author.startswith("urn:li:organization:")
        return ("w_organization_social",) if page else ("w_member_social",)
    return REQUIRED_SCOPES.get(channel.platform, ())
