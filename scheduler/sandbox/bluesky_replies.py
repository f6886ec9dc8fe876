"""Checking the ``reply`` of an ``app.bsky.feed.post`` record: ``{root, parent}``, each a
``com.atproto.repo.strongRef`` ``{uri, cid}`` (lexicons app/bsky/feed/post.json#replyRef,
com/atproto/repo/strongRef.json; PLATFORMS.md §10.2).

The shape is the lexicon's (messages as @atproto/lexicon words them). The rest is the sandbox's
own strictness, so a test sees a wrong ref at once rather than a thread the app shows broken: a
PDS stores a reply to a post it does not hold, or under a stale cid, and clients then show the
parent as missing. Here each ref must name a post record the sandbox holds, by its current
cid, and the root must be the root of the parent's thread (the parent itself when it is no
reply).
"""

from __future__ import annotations

import re
from typing import Any

from scheduler.sandbox.state import JSON

POST_COLLECTION = "app.bsky.feed.post"
_AT_URI = re.compile(r"at://(?P<repo>[^/]+)/(?P<collection>[^/]+)/(?P<rkey>[^/?#]+)")

Records = dict[tuple[str, str, str], JSON]


def reply_problem(records: Records, handles: dict[str, str], reply: Any) -> str | None:
    """What is wrong with a record's ``reply`` (None when it has none or it is right), given
    the stored ``records`` by (did, collection, rkey) and the DIDs of known ``handles``."""
    if reply is None:
        return None
    if not isinstance(reply, dict):
        return "Record/reply must be an object"
    found: dict[str, JSON] = {}
    for name in ("root", "parent"):
        ref = reply.get(name)
        if ref is None:
            return f'Record/reply must have the property "{name}"'
        problem = _ref_problem(ref, f"Record/reply/{name}")
        if problem is not None:
            return problem
        stored = _stored(records, handles, ref["uri"])
        if stored is None:
            return f"Record/reply/{name}/uri names no post the sandbox holds: {ref['uri']}"
        if stored["cid"] != ref["cid"]:
            return (
                f"Record/reply/{name}/cid {ref['cid']} is not the cid of {ref['uri']} "
                f"({stored['cid']})"
            )
        found[name] = stored
    parent_reply = found["parent"]["value"].get("reply")
    thread_root = (
        parent_reply["root"]["uri"] if isinstance(parent_reply, dict) else found["parent"]["uri"]
    )
    if found["root"]["uri"] != thread_root:
        return f"Record/reply/root must be the root of the parent's thread ({thread_root})"
    return None


def parent_uri(reply: Any) -> str | None:
    """The uri of the post a (checked) ``reply`` answers, for the received post's ``reply_to``."""
    parent = reply.get("parent") if isinstance(reply, dict) else None
    uri = parent.get("uri") if isinstance(parent, dict) else None
    return uri if isinstance(uri, str) else None


def _ref_problem(ref: Any, path: str) -> str | None:
    if not isinstance(ref, dict):
        return f"{path} must be an object"
    for name in ("uri", "cid"):
        if not isinstance(ref.get(name), str):
            return f'{path} must have the property "{name}"'
    if not _AT_URI.fullmatch(ref["uri"]):
        return f"{path}/uri must be a valid at-uri"
    return None


def _stored(records: Records, handles: dict[str, str], uri: str) -> JSON | None:
    match = _AT_URI.fullmatch(uri)
    if match is None or match["collection"] != POST_COLLECTION:
        return None
    did = handles.get(match["repo"], match["repo"])
    return records.get((did, POST_COLLECTION, match["rkey"]))
