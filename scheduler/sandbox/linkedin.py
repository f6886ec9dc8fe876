"""LinkedIn Posts API: ``POST /rest/posts`` with versioned headers, little-text commentary.

Follows PLATFORMS.md §1: ``LinkedIn-Version`` (YYYYMM) and ``X-Restli-Protocol-Version:
2.0.0`` required, retired versions answer 426, success is 201 with the URN in
``x-restli-id`` and an empty body, an identical post within 10 minutes answers 422
DUPLICATE_POST naming the first one. Commentary is parsed as little text: escapes are
undone for display, and an unescaped reserved character silently truncates the post there,
as LinkedIn does. Images (the Images API, and the ones a post names) are kept in
``linkedin_images``; ``altText`` is plain text, recorded as sent. The token endpoint is in
``linkedin_oauth``; who a token stands for is ``/v2/userinfo`` (a member) and
``/rest/organizations/{id}`` (a page). Comments on a post (``/rest/socialActions/{urn}/comments``)
are kept in ``linkedin_comments``: plain text, never read as little text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from starlette.responses import Response
from starlette.routing import BaseRoute

from scheduler.sandbox.exchange import AuthFailure, Call, Dialect, json_response, reason, route
from scheduler.sandbox.faults import Fault
from scheduler.sandbox.linkedin_comments import (
    add_comment,
    comment_url,
    comments_on,
    invalid_comment,
    page_number,
)
from scheduler.sandbox.linkedin_images import UPLOAD_PATH, attached, receive, register, status_of
from scheduler.sandbox.linkedin_oauth import access_token
from scheduler.sandbox.oauth import issued_token, token_failure
from scheduler.sandbox.state import JSON, Settings, WindowStatus

PLATFORM = "linkedin"
WEB = "https://www.linkedin.com"
RESERVED = frozenset("|{}@[]()<>#*_~\\")
MAX_COMMENTARY = 3000
VISIBILITIES = ("PUBLIC", "CONNECTIONS", "LOGGED_IN", "CONTAINER")
_AUTHOR = re.compile(r"urn:li:(?:organization|person):[A-Za-z0-9_-]+")
_HASHTAG = re.compile(r"#([^\W_]+)")
_MENTION = re.compile(r"@\[([^\]]*)\]\((urn:li:(?:person|organization):[A-Za-z0-9_-]+)\)")
_HASHTAG_TEMPLATE = re.compile(r"\{hashtag\|\\#\|([^}|]+)\}")


@dataclass(frozen=True)
class LittleText:
    """Commentary as LinkedIn shows it: unescaped, maybe cut at an unescaped reserved char."""

    display: str
    truncated_at: int | None
    mentions: list[str]


def parse_little(commentary: str) -> LittleText:
    """Read little text: ``\\x`` is a literal x; mentions and hashtags are elements."""
    out: list[str] = []
    mentions: list[str] = []
    i = 0
    while i < len(commentary):
        char = commentary[i]
        if char == "\\" and i + 1 < len(commentary):
            out.append(commentary[i + 1])
            i += 2
            continue
        element = None
        if char == "#":
            element = _HASHTAG.match(commentary, i)
        elif char == "@":
            element = _MENTION.match(commentary, i)
        elif char == "{":
            element = _HASHTAG_TEMPLATE.match(commentary, i)
        if element is not None:
            if char == "@":
                out.append(element.group(1))
                mentions.append(element.group(2))
            else:
                out.append("#" + element.group(1))
            i = element.end()
            continue
        if char in RESERVED:
            return LittleText("".join(out), i, mentions)
        out.append(char)
        i += 1
    return LittleText("".join(out), None, mentions)


def retired(version: str, settings: Settings, now: datetime) -> bool:
    """Whether a ``LinkedIn-Version`` is not active: retired, or a month still to come."""
    year, month = int(version[:4]), int(version[4:6])
    asked = year * 12 + month - 1
    current = now.year * 12 + now.month - 1
    if asked > current or not 1 <= month <= 12:
        return True
    if settings.linkedin_retired_versions is not None:
        return version in settings.linkedin_retired_versions
    return asked < current - 12


class LinkedInDialect(Dialect):
    """LinkedIn errors: ``{"status", "code", "message"}`` (plus ``serviceErrorCode`` on auth)."""

    platform = PLATFORM

    def error(self, status: int, message: str | None = None) -> Response:
        code = reason(status).upper().replace(" ", "_")
        return json_response({"status": status, "code": code, "message": message or code}, status)

    def auth_failed(self, failure: AuthFailure, path: str = "") -> Response:
        message = {
            "missing": "Empty oauth2_access_token",
            "revoked": "Invalid access token",
            "expired": "The token used in the request has expired",
        }[failure]
        return json_response(
            {"status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN",
             "message": message},
            401,
        )  # fmt: skip

    def rate_limited(self, call: Call, window: WindowStatus, fault: Fault | None) -> Response:
        # LinkedIn documents no reset header: limits reset at midnight UTC.
        return json_response(
            {"status": 429, "code": "TOO_MANY_REQUESTS",
             "message": "Resource level throttle APPLICATION DAY limit for calls to this "
             "resource is reached."},
            429,
        )  # fmt: skip


DIALECT = LinkedInDialect()


@dataclass
class LinkedInStore:
    """Recent posts by (author, commentary) for the duplicate check, and all posts by URN."""

    recent: dict[tuple[str, str], tuple[datetime, str]] = field(default_factory=dict)
    by_urn: dict[str, JSON] = field(default_factory=dict)


def _check_token(call: Call) -> Response | None:
    """A refusal unless the request carries a token that still works (a token the sandbox
    issued expires and can be revoked; a configured one is taken as it comes)."""
    token = call.bearer()
    if token is None:
        return DIALECT.auth_failed("missing")
    failure = token_failure(call.state, token, PLATFORM)
    return None if failure is None else DIALECT.auth_failed(failure)


def _lacks_scope(call: Call, scope: str, resource: str) -> Response | None:
    """LinkedIn's 403 when a token the sandbox issued was not granted ``scope``."""
    issued = issued_token(call.state, call.bearer() or "")
    if issued is None or scope in issued.scopes:
        return None
    return json_response(
        {"status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED",
         "message": f"Not enough permissions to access: {resource}"},
        403,
    )  # fmt: skip


def _check_headers(call: Call) -> Response | None:
    refused = _check_token(call)
    if refused is not None:
        return refused
    version = call.request.headers.get("linkedin-version")
    if not version:
        return DIALECT.error(
            400,
            "A version must be present. Please specify a version by adding the "
            "LinkedIn-Version header.",
        )
    if not re.fullmatch(r"\d{6}(\d{2})?", version):
        return DIALECT.error(400, f"Invalid version format: {version}")
    if retired(version, call.state.settings, call.state.now()):
        return json_response(
            {"status": 426, "code": "NONEXISTENT_VERSION",
             "message": f"Requested version {version} is not active"},
            426,
        )  # fmt: skip
    if call.request.headers.get("x-restli-protocol-version") != "2.0.0":
        return DIALECT.error(400, "X-Restli-Protocol-Version header must be 2.0.0")
    return None


def _input_error(status: int, description: str, field_path: str, code: str) -> Response:
    return json_response(
        {
            "errorDetailType": "com.linkedin.common.error.BadRequest",
            "message": f"{description} at {field_path}",
            "errorDetails": {
                "inputErrors": [
                    {"description": description,
                     "input": {"inputPath": {"fieldPath": field_path}}, "code": code}
                ]
            },
            "status": status,
        },
        status,
    )  # fmt: skip


def _validate(body: JSON) -> Response | None:
    for name in ("author", "commentary", "visibility", "distribution", "lifecycleState"):
        if name not in body:
            return _input_error(422, "Field is required", f"/{name}", "MISSING_FIELD")
    if not isinstance(body["author"], str) or not _AUTHOR.fullmatch(body["author"]):
        return _input_error(422, "Invalid URN", "/author", "INVALID_URN_ID")
    if not isinstance(body["commentary"], str):
        return _input_error(422, "Expected a string", "/commentary", "INVALID_VALUE_FOR_FIELD")
    if body["visibility"] not in VISIBILITIES:
        return _input_error(422, "Invalid enum value", "/visibility", "INVALID_ENUM_VALUE")
    distribution = body["distribution"]
    if not isinstance(distribution, dict) or distribution.get("feedDistribution") not in (
        "MAIN_FEED",
        "NONE",
    ):
        return _input_error(
            422, "Field is required", "/distribution/feedDistribution", "MISSING_FIELD"
        )
    if body["lifecycleState"] != "PUBLISHED":
        return _input_error(
            422, "Only PUBLISHED is accepted on create", "/lifecycleState", "INVALID_ENUM_VALUE"
        )
    if len(parse_little(body["commentary"]).display) > MAX_COMMENTARY:
        return _input_error(
            422, f"Length exceeds {MAX_COMMENTARY}", "/commentary", "FIELD_LENGTH_TOO_LONG"
        )
    return None


async def create_post(call: Call) -> Response:
    """``POST /rest/posts``: 201 with ``x-restli-id``, or the documented 4xx answers."""
    refused = _check_headers(call)
    if refused is not None:
        return refused
    body = call.payload()
    if body is None:
        return DIALECT.error(400, "Invalid JSON body")
    invalid = _validate(body)
    if invalid is not None:
        return invalid
    images = attached(call.state, body)
    if isinstance(images, tuple):
        problem, field_path = images
        return _input_error(422, problem, field_path, "INVALID_VALUE_FOR_FIELD")
    store = call.state.store(LinkedInStore)
    now = call.state.now()
    key = (body["author"], body["commentary"])
    with call.state.lock:
        earlier = store.recent.get(key)
        if earlier is not None and now - earlier[0] < call.state.settings.linkedin_duplicate_window:
            return _duplicate(earlier[1])
        urn = f"urn:li:share:{call.state.next_id()}"
        store.recent[key] = (now, urn)
        little = parse_little(body["commentary"])
        made = int(now.timestamp() * 1000)
        store.by_urn[urn] = {**body, "id": urn, "createdAt": made, "lastModifiedAt": made}
        call.record_post(
            channel=body["author"],
            remote_id=urn,
            url=f"{WEB}/feed/update/{urn}/",
            text=little.display,
            body=body,
            details={
                "version": call.request.headers.get("linkedin-version"),
                "visibility": body["visibility"],
                "truncated_at": little.truncated_at,
                "mentions": little.mentions,
                "article": (body.get("content") or {}).get("article"),
                "content": next(iter(body.get("content") or {}), None),
                "images": images,
            },
        )
    return Response(status_code=201, headers={"x-restli-id": urn})


def _duplicate(urn: str) -> Response:
    return json_response(
        {
            "errorDetailType": "com.linkedin.common.error.BadRequest",
            "message": "com.linkedin.content.common.exception.BadRequestResponseException: "
            f"Content is a duplicate of {urn}",
            "errorDetails": {
                "inputErrors": [
                    {"description": "Duplicate post is detected", "input": {},
                     "code": "DUPLICATE_POST"}
                ]
            },
            "status": 422,
        },
        422,
    )  # fmt: skip


async def find_posts(call: Call) -> Response:
    """``GET /rest/posts?q=author&author=URN``: the author's posts, newest first (the latest
    changed first with ``sortBy=LAST_MODIFIED``), paged by ``start`` and ``count``."""
    refused = _check_headers(call)
    if refused is not None:
        return refused
    params = call.request.query_params
    if params.get("q") != "author" or not params.get("author"):
        return DIALECT.error(400, "Finder q=author with an author parameter is required")
    start, count = page_number(params.get("start"), 0), page_number(params.get("count"), 10)
    if start is None or count is None:
        return DIALECT.error(400, "start and count must be whole numbers")
    order = "lastModifiedAt" if params.get("sortBy") == "LAST_MODIFIED" else "createdAt"
    store = call.state.store(LinkedInStore)
    with call.state.lock:
        found = [p for p in store.by_urn.values() if p["author"] == params["author"]]
    found.sort(key=lambda p: p[order], reverse=True)
    paging = {"start": start, "count": count, "total": len(found)}
    return json_response({"elements": found[start : start + count], "paging": paging})


async def get_post(call: Call) -> Response:
    """``GET /rest/posts/{urn}`` (URL-encoded URN): one post, or 404."""
    refused = _check_headers(call)
    if refused is not None:
        return refused
    urn = unquote(call.request.path_params["urn"])
    with call.state.lock:
        post: Any = call.state.store(LinkedInStore).by_urn.get(urn)
    if post is None:
        return DIALECT.error(404, f"Post {urn} not found")
    return json_response(post)


async def create_comment(call: Call) -> Response:
    """``POST /rest/socialActions/{urn}/comments``: 201 with the comment, 404 for a post the
    sandbox does not have, 422 naming a field that is missing or wrong."""
    refused = _check_headers(call)
    if refused is not None:
        return refused
    post = unquote(call.request.path_params["urn"])
    body = call.payload()
    if body is None:
        return DIALECT.error(400, "Invalid JSON body")
    if call.state.post_by_id(PLATFORM, post) is None:
        return DIALECT.error(404, f"Post {post} not found")
    invalid = invalid_comment(body, post)
    if invalid is not None:
        return _input_error(422, *invalid)
    if not isinstance(body["actor"], str) or not _AUTHOR.fullmatch(body["actor"]):
        return _input_error(422, "Invalid URN", "/actor", "INVALID_URN_ID")
    with call.state.lock:
        comment = add_comment(call.state, post, body, call.state.now())
        text = comment["message"]["text"]
        call.record_post(
            channel=body["actor"],
            remote_id=comment["commentUrn"],
            url=comment_url(WEB, post, comment["commentUrn"]),
            text=text,
            body=body,
            details={"version": call.request.headers.get("linkedin-version"), "object": post},
            reply_to=post,
            comment=True,
        )
    return json_response(comment, 201, headers={"x-restli-id": comment["id"]})


async def list_comments(call: Call) -> Response:
    """``GET /rest/socialActions/{urn}/comments``: the post's comments, oldest first, paged by
    ``start`` and ``count``; 404 for a post the sandbox does not have."""
    refused = _check_headers(call)
    if refused is not None:
        return refused
    post = unquote(call.request.path_params["urn"])
    if call.state.post_by_id(PLATFORM, post) is None:
        return DIALECT.error(404, f"Post {post} not found")
    params = call.request.query_params
    start, count = page_number(params.get("start"), 0), page_number(params.get("count"), 10)
    if start is None or count is None:
        return DIALECT.error(400, "start and count must be whole numbers")
    return json_response(comments_on(call.state, post, start, count))


async def initialize_image(call: Call) -> Response:
    """``POST /rest/images?action=initializeUpload``: the upload URL and the image's URN."""
    refused = _check_headers(call)
    if refused is not None:
        return refused
    if call.request.query_params.get("action") != "initializeUpload":
        return DIALECT.error(400, "The only action on /rest/images is initializeUpload")
    request = (call.payload() or {}).get("initializeUploadRequest")
    owner = request.get("owner") if isinstance(request, dict) else None
    if not isinstance(owner, str) or not _AUTHOR.fullmatch(owner):
        return _input_error(422, "Invalid URN", "/initializeUploadRequest/owner", "INVALID_URN_ID")
    value = register(call.state, owner, call.base_url, call.state.now())
    return json_response({"value": value})


async def upload_image(call: Call) -> Response:
    """``PUT`` to an upload URL: the image's bytes, with the bearer token (as LinkedIn's
    sample sends it)."""
    refused = _check_token(call)
    if refused is not None:
        return refused
    content_type = call.request.headers.get("content-type", "")
    if not receive(call.state, call.request.path_params["token"], call.body, content_type):
        return DIALECT.error(404, "No upload is waiting at this URL")
    return Response(status_code=201)


async def get_image(call: Call) -> Response:
    """``GET /rest/images/{urn}`` (URL-encoded URN): the image and its ``status``."""
    refused = _check_headers(call)
    if refused is not None:
        return refused
    urn = unquote(call.request.path_params["urn"])
    image = status_of(call.state, urn)
    if image is None:
        return DIALECT.error(404, f"Image {urn} not found")
    return json_response(image)


async def userinfo(call: Call) -> Response:
    """``GET /v2/userinfo`` (Sign In with LinkedIn using OpenID Connect): the member behind the
    token, for the ``openid`` and ``profile`` scopes; ``sub`` makes a person URN."""
    refused = _check_token(call) or _lacks_scope(call, "openid", "userinfo.GET.NO_VERSION")
    if refused is not None:
        return refused
    member = call.state.settings.linkedin_member_id
    return json_response(
        {"sub": member, "name": "Sandbox Member", "given_name": "Sandbox",
         "family_name": "Member", "locale": {"country": "KR", "language": "en"},
         "email_verified": True},
    )  # fmt: skip


async def organization(call: Call) -> Response:
    """``GET /rest/organizations/{id}`` (Organization Lookup API): a page's names, for a token
    of one of its administrators (``rw_organization_admin``)."""
    refused = _check_headers(call) or _lacks_scope(
        call,
        "rw_organization_admin",
        "organizations.GET." + call.request.headers["linkedin-version"],
    )
    if refused is not None:
        return refused
    org_id = call.request.path_params["org_id"]
    if not org_id.isdigit():
        return DIALECT.error(400, f"Invalid organization id {org_id}")
    name = f"Sandbox Page {org_id}"
    return json_response(
        {"id": int(org_id), "localizedName": name, "vanityName": f"sandbox-page-{org_id}",
         "name": {"localized": {"en_US": name},
                  "preferredLocale": {"country": "US", "language": "en"}},
         "primaryOrganizationType": "NONE"},
    )  # fmt: skip


def routes() -> list[BaseRoute]:
    """LinkedIn's routes on the ``api.linkedin.com`` paths."""
    return [
        route(DIALECT, "/rest/posts", create_post, ["POST"]),
        route(DIALECT, "/rest/posts", find_posts, ["GET"]),
        route(DIALECT, "/rest/posts/{urn}", get_post, ["GET"]),
        route(DIALECT, "/rest/socialActions/{urn}/comments", create_comment, ["POST"]),
        route(DIALECT, "/rest/socialActions/{urn}/comments", list_comments, ["GET"]),
        route(DIALECT, "/rest/images", initialize_image, ["POST"]),
        route(DIALECT, "/rest/images/{urn}", get_image, ["GET"]),
        route(DIALECT, UPLOAD_PATH + "/{token}", upload_image, ["PUT"]),
        route(DIALECT, "/v2/userinfo", userinfo, ["GET"]),
        route(DIALECT, "/rest/organizations/{org_id}", organization, ["GET"]),
        route(DIALECT, "/oauth/v2/accessToken", access_token, ["POST"]),
    ]
