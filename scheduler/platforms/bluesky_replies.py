"""Bluesky replies: a part of a thread after the first (and the first comment) names the post it
replies to and the thread's first post as strong refs, ``reply: {root: {uri, cid}, parent:
{uri, cid}}`` (``app.bsky.feed.post#replyRef``, ``com.atproto.repo.strongRef``; PLATFORMS.md
§10.2).

A ref's ``uri`` is the part's remote id (its record's ``at://`` uri) and its ``cid`` the one
``createRecord`` answered with, kept in that part's publish state under ``CID``. A part whose
cid is not kept (found by ``getRecord`` after a lost answer, or marked published by a person,
whose remote id is then the post's bsky.app link) is looked up with ``getRecord``, which
answers its uri and cid, before the reply goes out.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from scheduler.outcomes import Failed, NotPublished, RetryLater
from scheduler.platforms.base import HttpResponse, PostJob, PublishedPart, ReplyTo
from scheduler.platforms.bluesky_xrpc import describe, xrpc_error

# The publish state key of a part's record cid.
CID = "cid"
POST_COLLECTION = "app.bsky.feed.post"
# What a preview shows for a cid read only when the reply is sent.
PLACEHOLDER_CID = "(cid read when sent)"
_AT_URI = re.compile(r"at://(?P<repo>[^/]+)/(?P<collection>[^/]+)/(?P<rkey>[^/?#]+)")
_APP_LINK = re.compile(r"/profile/(?P<repo>[^/]+)/post/(?P<rkey>[^/?#]+)/?")


@dataclass(frozen=True)
class RecordKey:
    """Where a post's record lives: the repository (a DID or handle) and its record key."""

    repo: str
    rkey: str


def reply_refs(reply_to: ReplyTo) -> dict[str, Any]:
    """The record's ``reply``: the first part as root, the part before as parent."""
    return {"root": strong_ref(reply_to.root), "parent": strong_ref(reply_to.parent)}


def strong_ref(part: PublishedPart) -> dict[str, str]:
    """``{uri, cid}`` of a published part (the cid a placeholder until it is known)."""
    return {"uri": part.remote_id, "cid": part.state.get(CID) or PLACEHOLDER_CID}


def record_key(remote_id: str) -> RecordKey | None:
    """The record a part's remote id names: its ``at://`` uri, or its bsky.app link."""
    uri = _AT_URI.fullmatch(remote_id)
    if uri is not None and uri["collection"] == POST_COLLECTION:
        return RecordKey(uri["repo"], uri["rkey"])
    parts = urlsplit(remote_id)
    link = _APP_LINK.fullmatch(parts.path) if parts.scheme in ("https", "http") else None
    return RecordKey(link["repo"], link["rkey"]) if link is not None else None


def is_complete(part: PublishedPart) -> bool:
    """Whether a ref to ``part`` can be made as it is: an ``at://`` uri and a kept cid."""
    return part.remote_id.startswith("at://") and bool(part.state.get(CID))


LookUp = Callable[[RecordKey], Awaitable[HttpResponse | NotPublished]]
"""``getRecord`` for a post's record."""


async def completed(job: PostJob, look_up: LookUp) -> PostJob | RetryLater | Failed:
    """``job`` with a uri and cid for the parts it replies to, each one not kept asked of
    ``getRecord`` (``look_up``) once; or why the reply cannot be made now (nothing is sent)."""
    reply_to = job.reply_to
    if reply_to is None or (is_complete(reply_to.parent) and is_complete(reply_to.root)):
        return job
    found: dict[str, PublishedPart | RetryLater | Failed] = {}
    for part in (reply_to.parent, reply_to.root):
        if part.remote_id not in found:
            found[part.remote_id] = part if is_complete(part) else await _looked_up(part, look_up)
    parent, root = found[reply_to.parent.remote_id], found[reply_to.root.remote_id]
    for each in (parent, root):
        if not isinstance(each, PublishedPart):
            return each
    assert isinstance(parent, PublishedPart) and isinstance(root, PublishedPart)
    return replace(job, reply_to=replace(reply_to, parent=parent, root=root))


async def _looked_up(part: PublishedPart, look_up: LookUp) -> PublishedPart | RetryLater | Failed:
    key = record_key(part.remote_id)
    if key is None:
        return Failed(
            f"the post this part replies to is {part.remote_id!r}, which is not a Bluesky post's "
            "at:// uri or bsky.app link: mark that part published with its bsky.app link"
        )
    response = await look_up(key)
    if not isinstance(response, HttpResponse):
        return RetryLater(
            f"could not read the post this part replies to ({part.remote_id}): {response.reason}"
        )
    body = response.json()
    if response.status == 200 and isinstance(body, dict):
        uri, cid = body.get("uri"), body.get("cid")
        if isinstance(uri, str) and isinstance(cid, str) and uri and cid:
            return PublishedPart(uri, {**part.state, CID: cid})
    if response.status == 400 and xrpc_error(response)[0] == "RecordNotFound":
        return Failed(
            f"the post this part replies to ({part.remote_id}) no longer exists on Bluesky, so "
            "the thread cannot go on under it"
        )
    return RetryLater(
        f"Bluesky did not give the post this part replies to ({part.remote_id}): "
        f"{describe(response)}",
        response.status,
    )


def kept_cid(response: HttpResponse) -> dict[str, str]:
    """The publish state to keep from a ``createRecord`` or ``getRecord`` answer: its cid."""
    body = response.json()
    cid = body.get("cid") if isinstance(body, dict) else None
    return {CID: cid} if isinstance(cid, str) and cid else {}
