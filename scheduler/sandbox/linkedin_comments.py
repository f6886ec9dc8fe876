"""LinkedIn's comments in the sandbox: ``/rest/socialActions/{post URN}/comments`` (PLATFORMS.md
§10.2; Microsoft Learn "Comments API": Create a Comment, Get Comments on Shares).

A comment is ``{actor, object, message: {text}}`` on a post the sandbox has (the path's
URL-encoded URN, which ``object`` repeats); its text is plain text, kept and shown exactly as
sent (no little-text reading: a backslash stays a backslash). The answer is 201 with the created
comment: ``id``, ``commentUrn`` (and ``$URN``) ``urn:li:comment:({object},{id})``, ``created``
and ``lastModified`` (``{actor, time}``, epoch milliseconds) and the fields sent. Listing answers
``{elements, paging}``, oldest first, paged by ``start`` and ``count``. Each comment is also
recorded as a received post (``comment=True``, ``reply_to`` its post's URN), so tests and the
sandbox's pages find it under its post.

The handlers (with LinkedIn's headers and errors) are in ``linkedin``; this module keeps the
comments and says what a request comes to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from scheduler.sandbox.state import JSON, SandboxState

# 🟡 the limit LinkedIn clients quote for a comment's text (no Microsoft page states one).
MAX_COMMENT = 1250


@dataclass
class LinkedInComments:
    """Each post's comments by the post's URN, oldest first."""

    by_post: dict[str, list[JSON]] = field(default_factory=dict)


def invalid_comment(body: JSON, post: str) -> tuple[str, str, str] | None:
    """Why ``body`` is no comment on ``post``: (description, field path, code); None when
    it is one (the actor's URN is the caller's to check)."""
    if "actor" not in body:
        return "Field is required", "/actor", "MISSING_FIELD"
    if body.get("object") != post:
        return f"The object must be the URN in the path ({post})", "/object", "INVALID_URN_ID"
    message = body.get("message")
    text = message.get("text") if isinstance(message, dict) else None
    if not isinstance(text, str) or not text.strip():
        return "Field is required", "/message/text", "MISSING_FIELD"
    if len(text) > MAX_COMMENT:
        return f"Length exceeds {MAX_COMMENT}", "/message/text", "FIELD_LENGTH_TOO_LONG"
    return None


def add_comment(state: SandboxState, post: str, body: JSON, now: datetime) -> JSON:
    """Keep ``body`` as a new comment on ``post``; the comment as LinkedIn answers it. The
    caller holds the state's lock."""
    comment_id = str(state.next_id())
    urn = f"urn:li:comment:({post},{comment_id})"
    stamp = {"actor": body["actor"], "time": int(now.timestamp() * 1000)}
    comment: JSON = {
        "actor": body["actor"],
        "object": post,
        "message": {"text": body["message"]["text"], "attributes": []},
        "id": comment_id,
        "commentUrn": urn,
        "$URN": urn,
        "created": stamp,
        "lastModified": dict(stamp),
    }
    state.store(LinkedInComments).by_post.setdefault(post, []).append(comment)
    return comment


def comments_on(state: SandboxState, post: str, start: int, count: int) -> JSON:
    """One page of the post's comments, as ``GET …/comments`` answers it."""
    with state.lock:
        every = list(state.store(LinkedInComments).by_post.get(post, []))
    return {
        "elements": every[start : start + count],
        "paging": {"start": start, "count": count, "total": len(every)},
    }


def comment_url(web: str, post: str, comment: str) -> str:
    """Where linkedin.com shows a comment: its post's page, pointing at it."""
    return f"{web}/feed/update/{post}/?commentUrn={quote(comment, safe='')}"


def page_number(value: Any, default: int) -> int | None:
    """A ``start`` or ``count`` query value; None when it is not a whole number."""
    if value is None:
        return default
    return int(value) if str(value).isdigit() else None
