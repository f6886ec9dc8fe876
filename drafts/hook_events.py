"""The event types event hooks (``[[hooks]]``) are told, as PRODUCT.md "HTTP API and event
hooks" names them, and which recorded notification event (``drafts.notification_events``) each
one is. Plain names only, so that reading ``config.toml`` loads nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Each hook type, and the notification event it is (a failed post is one of two, by its status).
HOOK_EVENTS: dict[str, str] = {
    "draft.submitted": "review_requested",
    "draft.approved": "approved",
    "draft.changes_requested": "changes_requested",
    "post.published": "post_published",
    "post.failed": "post_failed",
    "post.needs_attention": "post_failed",
    "credential.expiring": "credential_expiring",
    "credential.refresh_failed": "credential_refresh_failed",
}


def hook_type(event: str, facts: Mapping[str, Any]) -> str | None:
    """The hook type of a recorded ``event`` (an ``Event`` value) with its ``facts``; None for
    an event hooks are not told."""
    if event == "post_failed":
        return "post.needs_attention" if facts.get("status") == "needs_attention" else "post.failed"
    return next((name for name, recorded in HOOK_EVENTS.items() if recorded == event), None)
