"""Facebook Pages: ``POST /{graph_version}/{page_id}/feed`` and the page/me lookups.

Follows PLATFORMS.md §5: a Page token as ``access_token`` or bearer, ``{"id":
"{page}_{post}"}`` on success, Graph errors by ``code`` (506 when the same message is posted
twice in a row, 190 for dead tokens, 32 for page throttling), scheduled posts with
``published=false`` and ``scheduled_publish_time`` 10 minutes to 30 days ahead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.responses import Response
from starlette.routing import BaseRoute

from scheduler.sandbox.exchange import Call, json_response, route
from scheduler.sandbox.graph import GraphDialect, access_token, graph_error
from scheduler.sandbox.state import JSON

PLATFORM = "facebook"
WEB = "https://www.facebook.com"
MAX_MESSAGE = 63206


class GraphVersionConvertor(Convertor[str]):
    """Matches ``v21.0``-style path segments, so other paths are not taken for Graph calls."""

    regex = r"v\d+\.\d+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("graph_version", GraphVersionConvertor())


class FacebookDialect(GraphDialect):
    """Graph errors; page throttling is code 32."""

    platform = PLATFORM
    throttle_code = 32
    throttle_message = "(#32) Page request limit reached"


DIALECT = FacebookDialect()


@dataclass
class FacebookStore:
    """Each page's posts, oldest first (the last one decides the 506 duplicate check)."""

    posts: dict[str, list[JSON]] = field(default_factory=dict)


def _scheduled_time(value: Any, now: datetime) -> datetime | None:
    """Read ``scheduled_publish_time``: Unix seconds or ISO 8601."""
    try:
        if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
            return datetime.fromtimestamp(int(value), UTC)
        parsed = datetime.fromisoformat(str(value))
    except (ValueError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def publish(call: Call) -> Response:
    """``POST /{version}/{page_id}/feed``: a page post (or a scheduled one)."""
    if access_token(call) is None:
        return DIALECT.auth_failed("missing")
    page_id = call.request.path_params["page_id"]
    params = call.params()
    message = params.get("message")
    link = params.get("link")
    if not message and not link:
        return graph_error(400, 100, "(#100) Missing message or attachment")
    if message is not None and not isinstance(message, str):
        return graph_error(400, 100, "(#100) Param message must be a string")
    if message and len(message) > MAX_MESSAGE:
        return graph_error(400, 100, "(#100) Param message must be at most 63206 characters")
    now = call.state.now()
    published = str(params.get("published", "true")).lower() not in ("false", "0")
    scheduled: datetime | None = None
    if not published and "scheduled_publish_time" in params:
        scheduled = _scheduled_time(params["scheduled_publish_time"], now)
        if scheduled is None or not (
            now + timedelta(minutes=10) <= scheduled <= now + timedelta(days=30)
        ):
            return graph_error(400, 100, "(#100) The specified scheduled publish time is invalid.")
    store = call.state.store(FacebookStore)
    with call.state.lock:
        page_posts = store.posts.setdefault(page_id, [])
        if message and page_posts and page_posts[-1].get("message") == message:
            return graph_error(400, 506, "(#506) Duplicate status message")
        post_id = f"{page_id}_{call.state.next_id()}"
        page_posts.append({"id": post_id, "message": message, "created_time": _graph_time(now)})
        call.record_post(
            channel=page_id,
            remote_id=post_id,
            url=f"{WEB}/{page_id}/posts/{post_id.split('_')[1]}",
            text=message or "",
            body=dict(params),
            details={
                "graph_version": call.request.path_params["graph_version"],
                "link": link,
                "published": published,
                "scheduled_publish_time": scheduled.isoformat() if scheduled else None,
            },
        )
    return json_response({"id": post_id})


def _graph_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


async def node(call: Call) -> Response:
    """``GET /{version}/me`` or ``/{version}/{page_id}``: the page."""
    if access_token(call) is None:
        return DIALECT.auth_failed("missing")
    page_id = call.request.path_params["node"]
    if page_id == "me":
        page_id = call.state.settings.facebook_page_id
    elif not re.fullmatch(r"\d+", page_id):
        return DIALECT.error(404)
    return json_response({"id": page_id, "name": f"Sandbox page {page_id}"})


async def published_posts(call: Call) -> Response:
    """``GET /{version}/{page_id}/published_posts`` (or ``/feed``): newest first."""
    if access_token(call) is None:
        return DIALECT.auth_failed("missing")
    page_id = call.request.path_params["page_id"]
    limit = int(call.request.query_params.get("limit", "25"))
    with call.state.lock:
        posts = list(reversed(call.state.store(FacebookStore).posts.get(page_id, [])))
    return json_response({"data": posts[:limit], "paging": {}})


def routes() -> list[BaseRoute]:
    """Facebook's routes on the ``graph.facebook.com`` paths."""
    version = "/{graph_version:graph_version}"
    return [
        route(DIALECT, version + "/{page_id}/feed", publish, ["POST"]),
        route(DIALECT, version + "/{page_id}/feed", published_posts, ["GET"]),
        route(DIALECT, version + "/{page_id}/published_posts", published_posts, ["GET"]),
        route(DIALECT, version + "/{node}", node, ["GET"]),
    ]
