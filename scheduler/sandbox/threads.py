"""Threads API: a container, then ``threads_publish``; container status to check.

Follows PLATFORMS.md §6 on the ``graph.threads.net/v1.0`` paths: ``POST /{user}/threads``
makes a container, ``POST /{user}/threads_publish?creation_id=`` publishes a ``FINISHED``
one once (a second publish is an error and creates nothing) and turns it ``PUBLISHED``;
``GET /{container}?fields=status,error_message`` reports that. Text is at most 500
characters, emoji counted in UTF-8 bytes, with at most 5 links.

A ``TEXT`` container is ``FINISHED`` at once. An ``IMAGE`` container (with ``image_url`` and
``alt_text``; ``is_carousel_item=true`` for a carousel's item) and a ``CAROUSEL`` container
(``children``: 2 to 20 item ids) take processing, and an image is fetched from its link as
Meta does (``threads_media``). A published post lists its images in ``details["images"]``.

A reply's container names the post it answers in ``reply_to_id`` (Threads' "Create Replies"):
a post the sandbox has not published is refused, and so is one in a thread whose first post
belongs to someone else (only its owner may reply without the search or mentions permissions;
both wordings are the sandbox's own ❓). The published reply keeps ``replied_to`` and
``root_post`` and is recorded with ``reply_to``; as on Threads, ``GET /{user}/threads`` lists
a profile's posts, not its replies, which ``GET /{user}/replies`` lists (``GET /{post}/replies``:
the replies directly under a post), newest first.

Tokens the sandbox issued (``threads_oauth``: the code, long-lived tokens, refreshing) are
refused once expired; ``/v1.0/me`` answers the account such a token belongs to.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import emoji
import regex
from starlette.responses import Response
from starlette.routing import BaseRoute

from scheduler.sandbox import threads_oauth
from scheduler.sandbox.exchange import Call, json_response, route
from scheduler.sandbox.graph import GraphDialect, access_token, graph_error, refused_token
from scheduler.sandbox.state import JSON
from scheduler.sandbox.threads_media import (
    CONTAINER_LIFETIME,
    fetched_image,
    new_status,
    read_status,
    status_of,
)

PLATFORM = "threads"
WEB = "https://www.threads.net"
MAX_TEXT = 500
MAX_LINKS = 5
CAROUSEL_ITEMS = range(2, 21)
PUBLISH_QUOTA, PUBLISH_WINDOW_SECONDS = 250, 86400
_LINK = re.compile(r"https?://\S+|\b(?:[a-z0-9-]+\.)+[a-z]{2,}/\S*", re.IGNORECASE)


class ThreadsDialect(GraphDialect):
    """Threads answers errors like the Graph API."""

    platform = PLATFORM


DIALECT = ThreadsDialect()


@dataclass
class ThreadsStore:
    """Containers and published media, by id."""

    containers: dict[str, JSON] = field(default_factory=dict)
    media: dict[str, JSON] = field(default_factory=dict)


def text_length(text: str) -> int:
    """Threads' count: characters, except that an emoji counts its UTF-8 bytes."""
    return sum(len(g.encode()) if emoji.is_emoji(g) else len(g) for g in regex.findall(r"\X", text))


def _user(call: Call) -> str:
    return _user_of(call, call.request.path_params["user_id"])


def _user_of(call: Call, user_id: str) -> str:
    """The user a path names; ``me`` is the token's (or ``threads_user_id``)."""
    if user_id != "me":
        return user_id
    token = access_token(call) or ""
    return threads_oauth.token_account(call.state, token) or call.state.settings.threads_user_id


def _graph_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


async def create_container(call: Call) -> Response:
    """``POST /v1.0/{user}/threads``: a TEXT, IMAGE or CAROUSEL container."""
    if (refused := refused_token(call, access_token(call))) is not None:
        return refused
    params = call.params()
    media_type = params.get("media_type", "TEXT")
    text = params.get("text")
    if media_type == "TEXT" and (not isinstance(text, str) or not text.strip()):
        return graph_error(400, 100, "(#100) The parameter text is required for TEXT posts")
    refused = _refused_text(text)
    if refused is not None:
        return refused
    replied = _replied_to(call, params.get("reply_to_id"))
    if isinstance(replied, Response):
        return replied
    container: JSON = {
        "user_id": _user(call),
        "media_type": media_type,
        "text": text or "",
        "status": "FINISHED",
        "created_at": call.state.now(),
        "params": {k: v for k, v in params.items() if k != "access_token"},
        "reply_to": replied,
    }
    if media_type == "IMAGE":
        media = await _image(call, params)
    elif media_type == "CAROUSEL":
        media = _carousel(call, params.get("children"))
    elif media_type == "TEXT":
        media = {}
    else:
        return graph_error(400, 100, f"(#100) The sandbox takes no media_type {media_type}")
    if isinstance(media, Response):
        return media
    container.update(media)
    container["polls_left"] = call.state.settings.threads_container_polls
    container_id = str(call.state.next_id())
    with call.state.lock:
        call.state.store(ThreadsStore).containers[container_id] = {"id": container_id, **container}
    return json_response({"id": container_id})


def _replied_to(call: Call, sent: object) -> JSON | Response | None:
    """The published post ``reply_to_id`` names (None when none is named), or the refusal of a
    post the sandbox does not have or whose thread the user may not reply in."""
    if sent is None or sent == "":
        return None
    media = call.state.store(ThreadsStore).media
    with call.state.lock:
        found = media.get(str(sent))
        root = media.get(found["root_post"]["id"]) if found and found.get("root_post") else found
    if found is None or root is None:
        return graph_error(400, 100, f"(#100) reply_to_id {sent} is not a Threads post")
    if root["owner"]["id"] != _user(call):
        return graph_error(
            400, 10, "(#10) Only the owner of the root post may reply to this thread"
        )
    return found


def _refused_text(text: object) -> Response | None:
    """Why Threads would refuse a container's text, if it would."""
    if text is None:
        return None
    if not isinstance(text, str):
        return graph_error(400, 100, "(#100) Param text must be a string")
    if text_length(text) > MAX_TEXT:
        return graph_error(
            400, 100, f"(#100) Param text must be at most {MAX_TEXT} characters long."
        )
    if len(_LINK.findall(text)) > MAX_LINKS:
        return graph_error(
            400, 100, "THREADS_API__LINK_LIMIT_EXCEEDED: a post may contain at most 5 links"
        )
    return None


async def _image(call: Call, params: JSON) -> JSON | Response:
    """An IMAGE container's fields: its image, fetched from ``image_url`` as Meta does, with
    its alt text, and the status that fetch leaves it in."""
    url = params.get("image_url")
    if not isinstance(url, str):
        return graph_error(400, 100, "(#100) The parameter image_url is required for IMAGE")
    image = await fetched_image(call.state, url)
    if image is not None:
        image["alt"] = str(params.get("alt_text") or "")
    status, error_message = new_status(call.state, fetched=image is not None)
    return {
        "image": image,
        "status": status,
        "error_message": error_message,
        "is_carousel_item": str(params.get("is_carousel_item")).lower() == "true",
    }


def _carousel(call: Call, children: object) -> JSON | Response:
    """A CAROUSEL container's fields: its items (comma-separated ids, or a JSON list: 2 to 20
    of this user's carousel item containers) and its status."""
    ids = children.split(",") if isinstance(children, str) else children
    if not isinstance(ids, list) or len(ids) not in CAROUSEL_ITEMS:
        return graph_error(400, 100, "(#100) children must list 2 to 20 carousel items")
    items = [str(each).strip() for each in ids]
    containers = call.state.store(ThreadsStore).containers
    with call.state.lock:
        for each in items:
            item = containers.get(each)
            if item is None or item["user_id"] != _user(call) or not item.get("is_carousel_item"):
                return graph_error(400, 100, f"(#100) {each} is not a carousel item container")
    status, error_message = new_status(call.state)
    return {"children": items, "status": status, "error_message": error_message}


async def publish(call: Call) -> Response:
    """``POST /v1.0/{user}/threads_publish``: publish a FINISHED container exactly once."""
    if (refused := refused_token(call, access_token(call))) is not None:
        return refused
    creation_id = call.params().get("creation_id")
    if not creation_id:
        return graph_error(400, 100, "(#100) The parameter creation_id is required")
    store = call.state.store(ThreadsStore)
    now = call.state.now()
    with call.state.lock:
        container = store.containers.get(str(creation_id))
        if container is None:
            return graph_error(400, 100, f"(#100) Media container {creation_id} does not exist")
        if container["status"] == "FINISHED" and now - container["created_at"] > CONTAINER_LIFETIME:
            container["status"] = "EXPIRED"
        status, _ = status_of(store.containers, container)
        if status == "PUBLISHED":
            return graph_error(400, 100, "(#100) The media container has already been published")
        if status != "FINISHED" or container.get("is_carousel_item"):
            return graph_error(400, 100, f"(#100) The media container is {status}")
        media_id = str(call.state.next_id())
        shortcode = base64.urlsafe_b64encode(int(media_id).to_bytes(8, "big")).decode()[:11]
        username = call.state.settings.threads_username
        permalink = f"{WEB}/@{username}/post/{shortcode}"
        container["status"] = "PUBLISHED"
        container["media_id"] = media_id
        images = _images(store.containers, container)
        replied: JSON | None = container.get("reply_to")
        store.media[media_id] = {
            "id": media_id,
            "media_product_type": "THREADS",
            "media_type": _MEDIA_TYPES[container["media_type"]],
            "text": container["text"],
            "permalink": permalink,
            "shortcode": shortcode,
            "timestamp": _graph_time(now),
            "username": username,
            "owner": {"id": container["user_id"]},
            "is_reply": replied is not None,
        }
        if replied is not None:
            root = replied.get("root_post") or {"id": replied["id"]}
            store.media[media_id] |= {"replied_to": {"id": replied["id"]}, "root_post": root}
        call.record_post(
            channel=container["user_id"],
            remote_id=media_id,
            url=permalink,
            text=container["text"],
            body=container["params"],
            details={"container_id": container["id"], "shortcode": shortcode, "images": images},
            reply_to=replied["id"] if replied is not None else None,
        )
    return json_response({"id": media_id})


# What a published post's ``media_type`` says, by its container's.
_MEDIA_TYPES = {"TEXT": "TEXT_POST", "IMAGE": "IMAGE", "CAROUSEL": "CAROUSEL_ALBUM"}


def _images(containers: dict[str, JSON], container: JSON) -> list[JSON]:
    """The images a container publishes, in order (none for text)."""
    if "children" in container:
        return [containers[child]["image"] for child in container["children"]]
    return [container["image"]] if container.get("image") else []


def _fields(call: Call, default: str) -> list[str]:
    return [f for f in call.request.query_params.get("fields", default).split(",") if f]


async def node(call: Call) -> Response:
    """``GET /v1.0/{id}``: a container's status, a post's fields, or ``me``."""
    if (refused := refused_token(call, access_token(call))) is not None:
        return refused
    node_id = call.request.path_params["node_id"]
    store = call.state.store(ThreadsStore)
    if node_id == "me":
        username = call.state.settings.threads_username
        return json_response({"id": _user_of(call, "me"), "username": username})
    with call.state.lock:
        container = store.containers.get(node_id)
        if container is not None:
            read_status(store.containers, container, call.state.now())
            status, error_message = status_of(store.containers, container)
            found: JSON = {"id": node_id, "status": status}
            if error_message:
                found["error_message"] = error_message
        elif node_id in store.media:
            found = dict(store.media[node_id])
        else:
            return graph_error(400, 100, f"(#100) Object with ID '{node_id}' does not exist")
    wanted = set(_fields(call, "id")) | {"id"}
    return json_response({k: v for k, v in found.items() if k in wanted})


async def user_threads(call: Call) -> Response:
    """``GET /v1.0/{user}/threads``: the user's published posts (not replies), newest first."""
    if (refused := refused_token(call, access_token(call))) is not None:
        return refused
    user_id = _user(call)
    return _listed(call, lambda m: m["owner"]["id"] == user_id and not m["is_reply"])


async def replies(call: Call) -> Response:
    """``GET /v1.0/{post}/replies``: the replies directly under a post; ``GET
    /v1.0/{user}/replies``: the user's replies; newest first either way."""
    if (refused := refused_token(call, access_token(call))) is not None:
        return refused
    node_id = call.request.path_params["user_id"]
    with call.state.lock:
        is_post = node_id in call.state.store(ThreadsStore).media
    if is_post:
        return _listed(call, lambda m: m.get("replied_to") == {"id": node_id})
    user_id = _user(call)
    return _listed(call, lambda m: m["owner"]["id"] == user_id and m["is_reply"])


def _listed(call: Call, chosen: Callable[[JSON], bool]) -> Response:
    """The published media ``chosen`` takes, newest first, with the fields asked for."""
    wanted = set(_fields(call, "id")) | {"id"}
    limit = int(call.request.query_params.get("limit", "25"))
    with call.state.lock:
        media = [m for m in call.state.store(ThreadsStore).media.values() if chosen(m)]
    data = [{k: v for k, v in m.items() if k in wanted} for m in reversed(media)][:limit]
    return json_response({"data": data, "paging": {}})


async def publishing_limit(call: Call) -> Response:
    """``GET /v1.0/{user}/threads_publishing_limit``: posts published in the last 24 hours."""
    if (refused := refused_token(call, access_token(call))) is not None:
        return refused
    since = call.state.now() - timedelta(seconds=PUBLISH_WINDOW_SECONDS)
    used = sum(1 for p in call.state.posts(PLATFORM) if p.received_at > since)
    config = {"quota_total": PUBLISH_QUOTA, "quota_duration": PUBLISH_WINDOW_SECONDS}
    return json_response({"data": [{"quota_usage": used, "config": config}]})


def routes() -> list[BaseRoute]:
    """Threads' routes on the ``graph.threads.net`` paths (version ``v1.0``), token steps
    (``threads_oauth``) first: ``/v1.0/{node_id}`` would take ``/v1.0/debug_token``."""
    return [
        route(DIALECT, "/oauth/access_token", threads_oauth.oauth_access_token, ["POST"]),
        route(DIALECT, "/access_token", threads_oauth.long_lived_token, ["GET"]),
        route(DIALECT, "/refresh_access_token", threads_oauth.refresh_token, ["GET"]),
        route(DIALECT, "/v1.0/debug_token", threads_oauth.debug_token, ["GET"]),
        route(DIALECT, "/v1.0/{user_id}/threads", create_container, ["POST"]),
        route(DIALECT, "/v1.0/{user_id}/threads", user_threads, ["GET"]),
        route(DIALECT, "/v1.0/{user_id}/replies", replies, ["GET"]),
        route(DIALECT, "/v1.0/{user_id}/threads_publish", publish, ["POST"]),
        route(DIALECT, "/v1.0/{user_id}/threads_publishing_limit", publishing_limit, ["GET"]),
        route(DIALECT, "/v1.0/{node_id}", node, ["GET"]),
    ]
