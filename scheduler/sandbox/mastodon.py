"""Mastodon: ``POST /api/v1/statuses`` with idempotency keys, the instance and account endpoints,
the media a status attaches (``mastodon_media``), and apps and tokens (``mastodon_oauth``).

Follows PLATFORMS.md §3: bearer auth, JSON or form bodies, 200 with a Status, 422 validation
errors, ``Idempotency-Key`` honoured per token for an hour, ``X-RateLimit-*`` headers with
an ISO 8601 reset on every answer, and length counted in graphemes with URLs as 23.

A reply names its status in ``in_reply_to_id``: one the sandbox does not know is refused with
Mastodon's 404 (``Api::V1::StatusesController#set_thread``, checked before the idempotency
key), and a reply is recorded with ``reply_to``, its Status carrying ``in_reply_to_id`` and
``in_reply_to_account_id``; ``GET /api/v1/statuses/{id}`` serves any status made here.

A token the sandbox issued (``POST /oauth/token``) works until revoked, and only within its
scopes ("write" covers "write:statuses", as on Mastodon: ``api/oauth-scopes.md``); any other
bearer token is taken as a configured one and accepted.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import regex
from starlette.responses import Response
from starlette.routing import BaseRoute

from scheduler.sandbox import mastodon_oauth
from scheduler.sandbox.exchange import AuthFailure, Call, Dialect, json_response, reason, route
from scheduler.sandbox.faults import Fault
from scheduler.sandbox.mastodon_media import (
    MAX_MEDIA_ATTACHMENTS,
    MastodonMedia,
    attached,
    media_limits,
    media_status,
    upload_media,
)
from scheduler.sandbox.oauth import MASTODON_ACCOUNT_ID, issued_token
from scheduler.sandbox.state import JSON, WindowStatus

PLATFORM = "mastodon"
VISIBILITIES = ("public", "unlisted", "private", "direct")
IDEMPOTENCY_TTL = timedelta(hours=1)
CHARACTERS_RESERVED_PER_URL = 23
# Per-token API budget from the Mastodon docs: 300 requests per 5 minutes.
RATE_LIMIT, RATE_WINDOW_SECONDS = 300, 300

# URLs with a protocol, as Mastodon's validator counts them (trailing punctuation excluded).
_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,:;!?'\)\]]")
_REMOTE_MENTION = re.compile(r"(?<![\w@])(@\w+)@[\w.-]+\w")
_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
# Languages Mastodon accepts with a region or script; anything else falls back silently.
_REGIONAL_LANGUAGES = frozenset({"zh-CN", "zh-HK", "zh-TW", "pt-BR", "pt-PT", "es-AR", "es-MX"})


def countable_length(text: str, spoiler_text: str = "") -> int:
    """The length Mastodon checks: graphemes of CW plus text, each URL 23, remote mentions local."""
    countable = _URL.sub("x" * CHARACTERS_RESERVED_PER_URL, text)
    countable = _REMOTE_MENTION.sub(r"\1", countable)
    return len(regex.findall(r"\X", spoiler_text + countable))


def effective_language(sent: str | None) -> str:
    """The language Mastodon stores: the one sent when it knows it, else the default ``en``."""
    if sent and (re.fullmatch(r"[a-z]{2,3}", sent) or sent in _REGIONAL_LANGUAGES):
        return sent
    return "en"


def status_html(text: str, base_url: str) -> str:
    """The ``content`` Mastodon renders: escaped paragraphs, line breaks, links, hashtags."""
    paragraphs = []
    for paragraph in re.split(r"\n{2,}", text.strip()):
        escaped = html.escape(paragraph, quote=False)
        linked = _URL.sub(
            lambda m: (
                f'<a href="{m.group(0)}" rel="nofollow noopener" target="_blank">{m.group(0)}</a>'
            ),
            escaped,
        )
        tagged = _HASHTAG.sub(
            lambda m: (
                f'<a href="{base_url}/tags/{m.group(1).lower()}" class="mention hashtag" '
                f'rel="tag">#<span>{m.group(1)}</span></a>'
            ),
            linked,
        )
        paragraphs.append("<p>" + tagged.replace("\n", "<br />") + "</p>")
    return "".join(paragraphs)


# Mastodon's I18n statuses.errors.in_reply_not_found.
IN_REPLY_NOT_FOUND = "The post you are trying to reply to does not appear to exist."


@dataclass
class MastodonStore:
    """Idempotency keys (per token digest) and the statuses they produced; every status by id."""

    by_key: dict[tuple[str, str], tuple[datetime, JSON]] = field(default_factory=dict)
    statuses: dict[str, JSON] = field(default_factory=dict)


class MastodonDialect(Dialect):
    """Mastodon answers errors as ``{"error": "..."}`` and rate limits with an ISO reset."""

    platform = PLATFORM

    def error(self, status: int, message: str | None = None) -> Response:
        return json_response({"error": message or reason(status)}, status)

    def auth_failed(self, failure: AuthFailure, path: str = "") -> Response:
        # Mastodon tokens never expire; a dead token of any kind reads the same.
        return json_response({"error": "The access token is invalid"}, 401)

    def rate_limited(self, call: Call, window: WindowStatus, fault: Fault | None) -> Response:
        response = json_response({"error": "Too many requests"}, 429)
        response.headers.update(self.limit_headers(call, window))
        return response

    def window(self, call: Call) -> WindowStatus | None:
        token = call.bearer() or "anonymous"
        return call.state.hit_window(
            PLATFORM,
            call.state.token_digest(token),
            limit=RATE_LIMIT,
            seconds=RATE_WINDOW_SECONDS,
        )

    def limit_headers(self, call: Call, window: WindowStatus) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(max(window.remaining, 0)),
            # Ruby's iso8601(6): microseconds and a Z.
            "X-RateLimit-Reset": window.reset_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }


DIALECT = MastodonDialect()


def refused(call: Call, scope: str) -> Response | None:
    """Mastodon's refusal of this request's token: none sent, or one the sandbox issued that
    was revoked or lacks ``scope`` (nor its family's, "write" for "write:statuses")."""
    token = call.bearer()
    if token is None:
        return DIALECT.auth_failed("missing")
    issued = issued_token(call.state, token)
    if issued is None:
        return None
    failure = issued.failure(call.state.now())
    if failure is not None or issued.platform != PLATFORM:
        return DIALECT.auth_failed(failure or "revoked")
    if scope not in issued.scopes and scope.split(":")[0] not in issued.scopes:
        return json_response({"error": "This action is outside the authorized scopes"}, 403)
    return None


def _account(call: Call) -> JSON:
    username = call.state.settings.mastodon_username
    return {
        "id": MASTODON_ACCOUNT_ID,
        "username": username,
        "acct": username,
        "display_name": "Tidings sandbox",
        "locked": False,
        "bot": False,
        "url": f"{call.base_url}/@{username}",
        "avatar": "",
        "note": "",
        "followers_count": 0,
        "following_count": 0,
        "statuses_count": len(call.state.posts(PLATFORM)),
    }


def _invalid(message: str) -> Response:
    return json_response({"error": f"Validation failed: {message}"}, 422)


async def create_status(call: Call) -> Response:
    """``POST /api/v1/statuses``: validate, dedupe by Idempotency-Key, store, answer a Status."""
    refusal = refused(call, "write:statuses")
    if refusal is not None:
        return refusal
    token = str(call.bearer())
    payload = call.payload()
    if payload is None:
        return json_response({"error": "Invalid JSON or form body"}, 400)
    store = call.state.store(MastodonStore)
    key = call.request.headers.get("idempotency-key")
    now = call.state.now()
    store_key = (call.state.token_digest(token), key or "")
    with call.state.lock:
        replied = _replied_to(store, payload.get("in_reply_to_id"))
        if isinstance(replied, Response):
            return replied
        if key:
            found = store.by_key.get(store_key)
            if found is not None and now - found[0] < IDEMPOTENCY_TTL:
                return json_response(found[1])
        media = attached(call, payload["media_ids"]) if "media_ids" in payload else []
        if isinstance(media, Response):
            return media
        problem = _validate(payload, call.state.settings.mastodon_max_characters, bool(media))
        if problem is not None:
            return _invalid(problem)
        status = _create(call, payload, key, media, replied)
        store.statuses[status["id"]] = status
        if key:
            store.by_key[store_key] = (now, status)
    return json_response(status)


def _replied_to(store: MastodonStore, sent: object) -> JSON | Response | None:
    """The status ``in_reply_to_id`` names (None when it names none), or Mastodon's 404."""
    if sent is None or sent == "":
        return None
    found = store.statuses.get(str(sent))
    if found is None:
        return json_response({"error": IN_REPLY_NOT_FOUND}, 404)
    return found


def _validate(payload: JSON, max_characters: int, with_media: bool) -> str | None:
    text = payload.get("status", "" if with_media else None)
    spoiler = payload.get("spoiler_text") or ""
    if not isinstance(text, str) or not (text.strip() or with_media):
        return "Text can't be blank"
    if not isinstance(spoiler, str):
        return "Spoiler text is invalid"
    if countable_length(text, spoiler) > max_characters:
        return f"Text character limit of {max_characters} exceeded"
    visibility = payload.get("visibility", "public")
    if visibility not in VISIBILITIES:
        return "Visibility is not included in the list"
    return None


def _create(
    call: Call, payload: JSON, key: str | None, media: list[MastodonMedia], replied: JSON | None
) -> JSON:
    text: str = payload.get("status", "")
    username = call.state.settings.mastodon_username
    status_id = str(call.state.next_id())
    permalink = f"/@{username}/{status_id}"
    created_at = call.state.now()
    language_sent = payload.get("language")
    language = effective_language(language_sent if isinstance(language_sent, str) else None)
    visibility = payload.get("visibility", "public")
    spoiler = payload.get("spoiler_text") or ""
    status: dict[str, Any] = {
        "id": status_id,
        "created_at": created_at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created_at:%f}"[:3] + "Z",
        "in_reply_to_id": replied["id"] if replied else None,
        "in_reply_to_account_id": replied["account"]["id"] if replied else None,
        "sensitive": bool(payload.get("sensitive")) or bool(spoiler),
        "spoiler_text": spoiler,
        "visibility": visibility,
        "language": language,
        "uri": f"{call.base_url}/users/{username}/statuses/{status_id}",
        "url": call.base_url + permalink,
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "content": status_html(text, call.base_url),
        "reblog": None,
        "application": {"name": "Tidings", "website": None},
        "account": _account(call),
        "media_attachments": [each.entity(call) for each in media],
        "mentions": [],
        "tags": [{"name": t.lower()} for t in _HASHTAG.findall(text)],
        "emojis": [],
        "card": None,
        "poll": None,
    }
    call.record_post(
        channel=f"@{username}",
        remote_id=status_id,
        url=call.base_url + permalink,
        text=text,
        body=payload,
        details={
            "language": language,
            "language_sent": language_sent,
            "visibility": visibility,
            "spoiler_text": spoiler,
            "idempotency_key": key,
            "length": countable_length(text, spoiler),
            "images": [each.described() for each in media],
        },
        reply_to=replied["id"] if replied else None,
    )
    for each in media:
        each.status_id = status_id
    return status


async def show_status(call: Call) -> Response:
    """``GET /api/v1/statuses/{id}``: a status made here, as its create answered it (a public
    status needs no token)."""
    with call.state.lock:
        status = call.state.store(MastodonStore).statuses.get(call.request.path_params["id"])
    if status is None:
        return json_response({"error": "Record not found"}, 404)
    return json_response(status)


async def instance(call: Call) -> Response:
    """``GET /api/v2/instance``: the limits a client should count against."""
    host = call.request.url.netloc
    limit = call.state.settings.mastodon_max_characters
    return json_response(
        {
            "domain": host,
            "title": "Tidings sandbox",
            "version": "4.3.0",
            "source_url": "https://github.com/mastodon/mastodon",
            "description": "A local stand-in for a Mastodon instance.",
            "languages": ["en", "ko"],
            "configuration": {
                "urls": {"streaming": f"ws://{host}"},
                "accounts": {"max_featured_tags": 10},
                "statuses": {
                    "max_characters": limit,
                    "max_media_attachments": MAX_MEDIA_ATTACHMENTS,
                    "characters_reserved_per_url": CHARACTERS_RESERVED_PER_URL,
                },
                "media_attachments": media_limits(),
            },
            "registrations": {"enabled": False, "approval_required": False, "message": None},
        }
    )


async def verify_credentials(call: Call) -> Response:
    """``GET /api/v1/accounts/verify_credentials``: the account behind the token
    (``read:accounts``; docs.joinmastodon.org ``methods/accounts``)."""
    refusal = refused(call, "read:accounts")
    if refusal is not None:
        return refusal
    account = _account(call)
    account["source"] = {"privacy": "public", "sensitive": False, "language": "en", "note": ""}
    return json_response(account)


def routes() -> list[BaseRoute]:
    """Mastodon's routes, mounted at the root like an instance."""
    return [
        route(DIALECT, "/api/v1/apps", mastodon_oauth.create_app, ["POST"]),
        route(DIALECT, "/oauth/token", mastodon_oauth.token, ["POST"]),
        route(DIALECT, "/oauth/revoke", mastodon_oauth.revoke, ["POST"]),
        route(DIALECT, "/api/v1/statuses", create_status, ["POST"]),
        route(DIALECT, "/api/v1/statuses/{id}", show_status, ["GET"]),
        route(DIALECT, "/api/v2/instance", instance, ["GET"]),
        route(DIALECT, "/api/v1/accounts/verify_credentials", verify_credentials, ["GET"]),
        route(DIALECT, "/api/v2/media", upload_media, ["POST"]),
        route(DIALECT, "/api/v1/media/{id}", media_status, ["GET"]),
    ]
