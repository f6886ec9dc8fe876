"""Facebook Pages: ``POST /{graph_version}/{page_id}/feed`` and ``/photos``, the page/me lookups.

Follows PLATFORMS.md §5: a Page token as ``access_token`` or bearer, ``{"id":
"{page}_{post}"}`` on success, Graph errors by ``code`` (506 when the same message is posted
twice in a row, 190 for dead tokens, 32 for page throttling), scheduled posts with
``published=false`` and ``scheduled_publish_time`` 10 minutes to 30 days ahead.

Photos (PLATFORMS.md §10.1; Graph "Photo" reference): ``POST /{page}/photos`` takes a
multipart ``source`` under 10 MB with ``caption`` and ``alt_text_custom``; published (the
default) it is a page post listed with its caption as message, answered ``{id, post_id}``;
with ``published=false`` it is an upload answered ``{id}``, which one feed post may attach
by ``attached_media=[{"media_fbid": id}]``. Each image received is kept
(``SandboxState.receive_image``) and a post lists its images in ``details["images"]``.

Facebook Login's token steps (a code to a user token, ``/me/accounts``, ``debug_token``) are
in ``facebook_oauth``, routed here ahead of the Page paths that would take theirs. Comments on a
post (``/{version}/{post-id}/comments``) are kept in ``facebook_comments``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.responses import Response
from starlette.routing import BaseRoute

from scheduler.sandbox import facebook_oauth
from scheduler.sandbox.exchange import Call, json_response, route
from scheduler.sandbox.facebook_comments import (
    add_comment,
    comments_on,
    refused_message,
    unknown_object,
)
from scheduler.sandbox.forms import FormFile
from scheduler.sandbox.graph import (
    GraphDialect,
    access_token,
    graph_error,
    graph_form,
    graph_page,
    refused_token,
)
from scheduler.sandbox.state import JSON, fingerprint

PLATFORM = "facebook"
WEB = "https://www.facebook.com"
MAX_MESSAGE = 63206
# "A photo must be less than 10MB in size" (Graph "Photo" reference).
MAX_PHOTO_BYTES = 10 * 1024 * 1024


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
    """Each page's posts, oldest first (the last one decides the 506 duplicate check), and
    every photo by id: its page, its image and whether a post shows it yet."""

    posts: dict[str, list[JSON]] = field(default_factory=dict)
    photos: dict[str, JSON] = field(default_factory=dict)


def _refused(call: Call, token: str | None) -> Response | None:
    """The refusal of the request's token: none, expired or revoked, or the token of a Page
    the sandbox user no longer manages (the Page token dies with the user's role)."""
    if token is not None and facebook_oauth.page_lost(call.state, token):
        return DIALECT.auth_failed("revoked")
    return refused_token(call, token)


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
    if (refused := _refused(call, access_token(call))) is not None:
        return refused
    page_id = call.request.path_params["page_id"]
    params = call.params()
    message = params.get("message")
    link = params.get("link")
    attached = _attached_ids(params.get("attached_media"))
    if attached is None:
        return graph_error(400, 100, "(#100) param attached_media must be a list of media_fbid")
    if not message and not link and not attached:
        return graph_error(400, 100, "(#100) Missing message or attachment")
    if message is not None and not isinstance(message, str):
        return graph_error(400, 100, "(#100) Param message must be a string")
    if message and len(message) > MAX_MESSAGE:
        return graph_error(400, 100, "(#100) Param message must be at most 63206 characters")
    now = call.state.now()
    published = _published(params)
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
        photos: list[JSON] = []
        for each in attached:
            photo = store.photos.get(each)
            if photo is None or photo["page"] != page_id or photo["shown"]:
                return graph_error(
                    400, 100, f"(#100) media_fbid {each} is not an unpublished photo of this page"
                )
            photos.append(photo)
        details: JSON = {
            "graph_version": call.request.path_params["graph_version"],
            "link": link,
            "published": published,
            "scheduled_publish_time": scheduled.isoformat() if scheduled else None,
        }
        if photos:
            details["images"] = [photo["image"] for photo in photos]
        post_id = _page_post(call, page_id, message or "", dict(params), details)
        for photo in photos:
            photo["shown"] = True
    return json_response({"id": post_id})


async def photos(call: Call) -> Response:
    """``POST /{version}/{page_id}/photos``: a photo post, or with ``published=false`` an
    unpublished photo a feed post can attach."""
    params, files = await graph_form(call)
    token = access_token(call, params)
    if token is None:
        return DIALECT.auth_failed("missing")
    if (refused := _refused(call, token)) is not None:
        return refused
    source = files.get("source")
    if source is None:
        return graph_error(400, 324, "(#324) Requires upload file")
    if len(source.data) >= MAX_PHOTO_BYTES:
        return graph_error(400, 100, "(#100) A photo must be less than 10MB in size")
    image = _photo_image(call, source, params)
    if image is None:
        return graph_error(400, 324, "(#324) Missing or invalid image file")
    page_id = call.request.path_params["page_id"]
    photo_id = str(call.state.next_id())
    published = _published(params)
    store = call.state.store(FacebookStore)
    with call.state.lock:
        store.photos[photo_id] = {"page": page_id, "image": image, "shown": published}
        if not published:
            return json_response({"id": photo_id})
        caption = str(params.get("caption") or "")
        body = {k: v for k, v in params.items() if k != "access_token"}
        details: JSON = {
            "graph_version": call.request.path_params["graph_version"],
            "photo_id": photo_id,
            "images": [image],
        }
        auth = fingerprint("access_token", token) if params.get("access_token") else None
        post_id = _page_post(call, page_id, caption, body, details, auth=auth)
    return json_response({"id": photo_id, "post_id": post_id})


def _photo_image(call: Call, source: FormFile, params: JSON) -> JSON | None:
    """Keep the bytes as the sandbox's received image and describe it for the post's
    details, alt text included; None when they are not an image."""
    received = call.state.receive_image(
        platform=PLATFORM, data=source.data, content_type=source.content_type
    )
    if received.format is None:
        return None
    return {
        "sha256": received.sha256,
        "alt": str(params.get("alt_text_custom") or ""),
        "width": received.width,
        "height": received.height,
        "content_type": received.content_type,
    }


def _page_post(
    call: Call, page_id: str, message: str, body: JSON, details: JSON, auth: str | None = None
) -> str:
    """Add a post to the page (listed, and the last for the duplicate check) and record it;
    its id. The caller holds the state's lock."""
    post_id = f"{page_id}_{call.state.next_id()}"
    call.state.store(FacebookStore).posts.setdefault(page_id, []).append(
        {"id": post_id, "message": message, "created_time": _graph_time(call.state.now())}
    )
    call.record_post(
        channel=page_id,
        remote_id=post_id,
        url=f"{WEB}/{page_id}/posts/{post_id.split('_')[1]}",
        text=message,
        body=body,
        details=details,
        auth=auth,
    )
    return post_id


def _attached_ids(value: Any) -> list[str] | None:
    """The ``media_fbid`` of each ``attached_media`` entry (a JSON list, or the JSON text of
    one in a form), in order; None when it is not that shape."""
    if value is None:
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, list):
        return None
    ids = [entry.get("media_fbid") for entry in value if isinstance(entry, dict)]
    if len(ids) != len(value) or not all(isinstance(each, str | int) for each in ids):
        return None
    return [str(each) for each in ids]


def _published(params: JSON) -> bool:
    return str(params.get("published", "true")).lower() not in ("false", "0")


def _graph_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


async def comment(call: Call) -> Response:
    """``POST /{version}/{post_id}/comments``: the token's Page comments on one of its posts."""
    token = access_token(call)
    if (refused := _refused(call, token)) is not None:
        return refused
    post_id = call.request.path_params["post_id"]
    posted = call.state.post_by_id(PLATFORM, post_id)
    if posted is None or posted.comment:
        return unknown_object(post_id, "POST")
    message = call.params().get("message")
    if (refused := refused_message(message)) is not None:
        return refused
    assert isinstance(message, str)  # refused_message refuses anything else
    page = facebook_oauth.page_of(call.state, token or "") or call.state.settings.facebook_page_id
    name = facebook_oauth.managed_pages(call.state).get(page, f"Sandbox page {page}")
    with call.state.lock:
        made = add_comment(call.state, post_id, message, page, name, call.state.now())
        call.record_post(
            channel=page,
            remote_id=made["id"],
            url=f"{posted.remote_url}?comment_id={made['id'].rpartition('_')[2]}",
            text=message,
            body={k: v for k, v in call.params().items() if k != "access_token"},
            details={"graph_version": call.request.path_params["graph_version"]},
            reply_to=post_id,
            comment=True,
        )
    return json_response({"id": made["id"]})


async def comments(call: Call) -> Response:
    """``GET /{version}/{post_id}/comments``: the post's comments (``order``, ``limit``,
    ``after``)."""
    if (refused := _refused(call, access_token(call))) is not None:
        return refused
    post_id = call.request.path_params["post_id"]
    posted = call.state.post_by_id(PLATFORM, post_id)
    if posted is None or posted.comment:
        return unknown_object(post_id, "GET")
    params = call.request.query_params
    page_url = str(call.request.url.remove_query_params("after"))
    return comments_on(
        call.state,
        post_id,
        params.get("order"),
        params.get("limit"),
        after=params.get("after"),
        page_url=page_url,
    )


async def node(call: Call) -> Response:
    """``GET /{version}/me`` (the Page of a sandbox-issued Page token, else
    ``facebook_page_id``) or ``/{version}/{page_id}``: the page."""
    token = access_token(call)
    if (refused := _refused(call, token)) is not None:
        return refused
    page_id = call.request.path_params["node"]
    if page_id == "me":
        page_id = (
            facebook_oauth.page_of(call.state, token or "") or call.state.settings.facebook_page_id
        )
    elif not re.fullmatch(r"\d+", page_id):
        return DIALECT.error(404)
    name = facebook_oauth.managed_pages(call.state).get(page_id, f"Sandbox page {page_id}")
    return json_response({"id": page_id, "name": name})


async def published_posts(call: Call) -> Response:
    """``GET /{version}/{page_id}/published_posts`` (or ``/feed``): newest first, paged by
    cursor."""
    if (refused := _refused(call, access_token(call))) is not None:
        return refused
    page_id = call.request.path_params["page_id"]
    params = call.request.query_params
    limit = int(params.get("limit", "25"))
    with call.state.lock:
        posts = list(reversed(call.state.store(FacebookStore).posts.get(page_id, [])))
    page_url = str(call.request.url.remove_query_params("after"))
    return graph_page(posts, limit, params.get("after"), page_url)


def routes() -> list[BaseRoute]:
    """Facebook's routes on the ``graph.facebook.com`` paths, token steps included."""
    version = "/{graph_version:graph_version}"
    return [
        # Facebook Login's token steps (facebook_oauth), before ``/{page_id}`` takes their paths.
        route(DIALECT, version + "/oauth/access_token", facebook_oauth.oauth_access_token, ["GET"]),
        route(DIALECT, version + "/me/accounts", facebook_oauth.accounts, ["GET"]),
        route(DIALECT, version + "/debug_token", facebook_oauth.debug_token, ["GET"]),
        route(DIALECT, "/debug_token", facebook_oauth.debug_token, ["GET"]),
        route(DIALECT, version + "/{page_id}/feed", publish, ["POST"]),
        route(DIALECT, version + "/{page_id}/photos", photos, ["POST"]),
        route(DIALECT, version + "/{page_id}/feed", published_posts, ["GET"]),
        route(DIALECT, version + "/{page_id}/published_posts", published_posts, ["GET"]),
        route(DIALECT, version + "/{post_id}/comments", comment, ["POST"]),
        route(DIALECT, version + "/{post_id}/comments", comments, ["GET"]),
        route(DIALECT, version + "/{node}", node, ["GET"]),
    ]
