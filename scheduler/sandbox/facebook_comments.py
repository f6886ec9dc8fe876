"""Facebook's comments in the sandbox: ``/{version}/{post-id}/comments`` (PLATFORMS.md §10.2;
Graph API reference "/{object-id}/comments").

Publishing takes ``message`` (a comment needs it, or an attachment the sandbox does not take)
and answers ``{"id": "{post}_{comment}"}``; the comment is the Page's when a Page token sends it.
Reading answers ``{data, paging}`` with each comment's ``id``, ``message``, ``created_time`` and
``from`` (the Page), oldest first unless ``order=reverse_chronological``, at most ``limit``,
paged by cursor as Graph pages an edge (Graph API "Paginated Results": ``paging.cursors``,
``after``, and ``next`` on every page but the last). An
object the sandbox does not have is refused as Graph refuses it: HTTP 400, code 100 subcode 33
("does not exist, cannot be loaded due to missing permissions, or does not support this
operation"). Each comment is also recorded as a received post (``comment=True``, ``reply_to``
its post's id), so tests and the sandbox's pages find it under its post.

The handlers (with Graph's token checks and errors) are in ``facebook``; this module keeps the
comments and says what a request comes to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from starlette.responses import Response

from scheduler.sandbox.graph import graph_error, graph_page
from scheduler.sandbox.state import JSON, SandboxState

# The longest comment Facebook takes is not documented; the sandbox takes what a post takes.
MAX_COMMENT = 63206
_ORDERS = ("chronological", "reverse_chronological")


@dataclass
class FacebookComments:
    """Each post's comments by the post's id, oldest first."""

    by_post: dict[str, list[JSON]] = field(default_factory=dict)


def unknown_object(object_id: str, method: str) -> Response:
    """Graph's refusal of a request on an object it does not have."""
    verb = "post" if method == "POST" else "get"
    return graph_error(
        400,
        100,
        f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read "
        "the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        subcode=33,
        kind="GraphMethodException",
    )


def refused_message(message: object) -> Response | None:
    """Graph's refusal of a comment's ``message``; None when it is one."""
    if message is None or message == "":
        return graph_error(400, 100, "(#100) Missing message or attachment")
    if not isinstance(message, str):
        return graph_error(400, 100, "(#100) Param message must be a string")
    if len(message) > MAX_COMMENT:
        return graph_error(400, 100, f"(#100) Param message must be at most {MAX_COMMENT} chars")
    return None


def add_comment(
    state: SandboxState, post: str, message: str, page: str, page_name: str, now: datetime
) -> JSON:
    """Keep a new comment by ``page`` on ``post``; the comment as Graph lists it. The caller
    holds the state's lock."""
    comment: JSON = {
        "id": f"{post.rpartition('_')[2]}_{state.next_id()}",
        "message": message,
        "created_time": now.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "from": {"id": page, "name": page_name},
    }
    state.store(FacebookComments).by_post.setdefault(post, []).append(comment)
    return comment


def comments_on(
    state: SandboxState,
    post: str,
    order: str | None,
    limit: str | None,
    after: str | None = None,
    page_url: str = "",
) -> Response:
    """``GET /{post-id}/comments``'s answer: the post's comments in ``order``, ``limit`` of
    them (25 unless said) from the cursor ``after``, with Graph's cursor paging: ``cursors``
    and, unless this is the last page, ``next`` (``page_url`` with ``after``)."""
    if order is not None and order not in _ORDERS:
        return graph_error(400, 100, "(#100) order must be one of " + ", ".join(_ORDERS))
    if limit is not None and not limit.isdigit():
        return graph_error(400, 100, "(#100) limit must be a whole number")
    with state.lock:
        every = list(state.store(FacebookComments).by_post.get(post, []))
    if order == "reverse_chronological":
        every.reverse()
    return graph_page(every, int(limit or 25), after, page_url)
