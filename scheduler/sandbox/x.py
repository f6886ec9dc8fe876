"""X API v2: ``POST /2/tweets``, the OAuth 2.0 token endpoint (authorization code with PKCE,
refresh with rotation), ``GET /2/users/me``, and the media a post attaches (``x_media``).

Follows PLATFORMS.md §2: 201 ``{"data":{"id","text"}}``, problem+json errors, identical text
within a day answers 403 duplicate content, 280 weighted characters (twitter-text v3),
``x-rate-limit-*`` and ``x-user-limit-24hour-*`` headers in epoch seconds. Tokens from the
channel's config are accepted as they come; tokens the sandbox issued (``oauth``) expire after
``settings.x_access_ttl`` and then answer 401. Refresh tokens are single-use.

A post with ``reply: {in_reply_to_tweet_id}`` replies to a post the sandbox holds, or is refused
with X's 403 "You attempted to reply to a Tweet that is deleted or not visible to you." (a
malformed id is a 400). The stored post keeps ``in_reply_to_tweet_id``, ``conversation_id``
(its thread's first post) and ``in_reply_to_user_id``; ``GET /2/users/{id}/tweets`` lists them
(``referenced_tweets``, ``conversation_id``, ``in_reply_to_user_id``) when ``tweet.fields``
asks, and ``GET /_sandbox/posts`` shows what each post replies to.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import emoji
import regex
from starlette.responses import Response
from starlette.routing import BaseRoute

from scheduler.sandbox.exchange import (
    AuthFailure,
    Call,
    Dialect,
    epoch,
    json_response,
    reason,
    route,
)
from scheduler.sandbox.faults import Fault
from scheduler.sandbox.oauth import (
    X_USER_ID,
    Consent,
    Refusal,
    account_for,
    authenticate_client,
    consent_of,
    issue_token,
    issued_token,
    redeem_code,
    revoke_token,
    token_failure,
)
from scheduler.sandbox.state import JSON, WindowStatus
from scheduler.sandbox.x_media import attached, media_metadata, upload_media

PLATFORM = "x"
#: x.com links a post by id alone, whoever wrote it.
WEB = "https://x.com"
MAX_WEIGHTED = 280
URL_WEIGHT = 23
USER_ID = X_USER_ID
#: The scopes a configured refresh token (one the sandbox did not issue) is taken to hold.
CONFIGURED_SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access", "media.write")
# The 15-minute user window and the 24-hour posting caps, as the headers report them.
WINDOW_LIMIT, WINDOW_SECONDS = 100, 900
DAY_LIMIT, DAY_SECONDS = 100, 86400
APP_DAY_LIMIT = 10_000
_TWEET_ID = re.compile(r"[0-9]{1,19}")
UNSEEN_PARENT = "You attempted to reply to a Tweet that is deleted or not visible to you."
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
# twitter-text finds URLs with a scheme and bare domains on known TLDs.
_URL = re.compile(
    r"https?://[^\s]+[^\s.,:;!?'\")\]]"
    r"|(?<![\w@.])(?:[a-z0-9-]+\.)+(?:com|org|net|edu|gov|io|co|ai|app|dev|me|info|biz|kr|jp"
    r"|cn|uk|de|fr|eu|us|ca|au|ly|gl|tv|xyz|news|social|int)\b(?:/[^\s]*[^\s.,:;!?'\")\]])?",
    re.IGNORECASE,
)


def weighted_length(text: str) -> int:
    """The twitter-text v3 weighted length: URLs 23, emoji 2, light scripts 1, others 2."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    position = 0
    for match in _URL.finditer(text):
        total += _weigh(text[position : match.start()]) + URL_WEIGHT * 100
        position = match.end()
    total += _weigh(text[position:])
    return total // 100


def _weigh(text: str) -> int:
    total = 0
    for grapheme in regex.findall(r"\X", text):
        if _is_emoji(grapheme):
            total += 200
            continue
        for char in grapheme:
            code = ord(char)
            light = any(start <= code <= end for start, end in _LIGHT_RANGES)
            total += 100 if light else 200
    return total


def _is_emoji(grapheme: str) -> bool:
    # Text-default symbols such as © count by their code point unless sent as emoji.
    presentation = any(ord(c) >= 0x1F000 or c in "\ufe0f\u20e3\u200d" for c in grapheme)
    return presentation and bool(emoji.is_emoji(grapheme))


def problem(status: int, detail: str, title: str | None = None) -> Response:
    """A problem+json error body as the v2 API sends it."""
    return json_response(
        {"title": title or reason(status), "detail": detail, "type": "about:blank",
         "status": status},
        status,
    )  # fmt: skip


class XDialect(Dialect):
    """Problem+json errors and the ``x-rate-limit-*`` / ``x-user-limit-24hour-*`` headers."""

    platform = PLATFORM

    def error(self, status: int, message: str | None = None) -> Response:
        return problem(status, message or reason(status))

    def auth_failed(self, failure: AuthFailure, path: str = "") -> Response:
        return problem(401, "Unauthorized", "Unauthorized")

    def rate_limited(self, call: Call, window: WindowStatus, fault: Fault | None) -> Response:
        response = problem(429, "Too Many Requests", "Too Many Requests")
        now = call.state.now()
        if fault is not None and fault.scope == "day":
            # The daily cap: the 15-minute window looks fine and resets first.
            short = WindowStatus(WINDOW_LIMIT, WINDOW_LIMIT - 1, min(window.reset_at, now))
            response.headers.update(self._headers(short, window))
        else:
            day = call.extra.get("day") or WindowStatus(DAY_LIMIT, DAY_LIMIT - 1, now)
            response.headers.update(self._headers(window, day))
        return response

    def window(self, call: Call) -> WindowStatus | None:
        key = call.state.token_digest(call.bearer() or "anonymous")
        if call.request.method == "POST" and call.request.url.path == "/2/tweets":
            call.extra["day"] = call.state.hit_window(
                "x-day", key, limit=DAY_LIMIT, seconds=DAY_SECONDS
            )
        return call.state.hit_window(PLATFORM, key, limit=WINDOW_LIMIT, seconds=WINDOW_SECONDS)

    def limit_headers(self, call: Call, window: WindowStatus) -> dict[str, str]:
        day = call.extra.get("day")
        return self._headers(window, day) if day else self._headers(window, None)

    @staticmethod
    def _headers(window: WindowStatus, day: WindowStatus | None) -> dict[str, str]:
        headers = {
            "x-rate-limit-limit": str(window.limit),
            "x-rate-limit-remaining": str(max(window.remaining, 0)),
            "x-rate-limit-reset": epoch(window.reset_at),
        }
        if day is not None:
            headers |= {
                "x-user-limit-24hour-limit": str(day.limit),
                "x-user-limit-24hour-remaining": str(max(day.remaining, 0)),
                "x-user-limit-24hour-reset": epoch(day.reset_at),
                "x-app-limit-24hour-limit": str(APP_DAY_LIMIT),
                "x-app-limit-24hour-remaining": str(APP_DAY_LIMIT - day.limit + day.remaining),
                "x-app-limit-24hour-reset": epoch(day.reset_at),
            }
        return headers


DIALECT = XDialect()


@dataclass
class XStore:
    """Spent configured refresh tokens (digests), recent texts per token, the posts."""

    spent_refresh: set[str] = field(default_factory=set)
    recent: dict[tuple[str, str], datetime] = field(default_factory=dict)
    tweets: list[JSON] = field(default_factory=list)


def _token(call: Call) -> str | Response:
    token = call.bearer()
    if token is None:
        return DIALECT.auth_failed("missing")
    failure = token_failure(call.state, token, PLATFORM)
    return token if failure is None else DIALECT.auth_failed(failure)


async def create_tweet(call: Call) -> Response:
    """``POST /2/tweets``: 201 with the id, or 400/401/403 as X answers."""
    token = _token(call)
    if isinstance(token, Response):
        return token
    body = call.payload()
    text = body.get("text") if body is not None else None
    if not isinstance(text, str) or not text:
        return _invalid("text", "The `text` field is required unless media is attached.")
    if weighted_length(text) > MAX_WEIGHTED:
        return _invalid("text", "Your Tweet text is too long.")
    assert body is not None
    images = attached(call, body["media"]) if "media" in body else []
    if isinstance(images, Response):
        return images
    replying_to = _replying_to(body)
    if isinstance(replying_to, Response):
        return replying_to
    store = call.state.store(XStore)
    now = call.state.now()
    key = (call.state.token_digest(token), text)
    with call.state.lock:
        parent = _stored(store, replying_to) if replying_to is not None else None
        if replying_to is not None and parent is None:
            return problem(403, UNSEEN_PARENT, "Forbidden")
        sent = store.recent.get(key)
        if sent is not None and now - sent < call.state.settings.x_duplicate_window:
            return problem(
                403, "You are not allowed to create a Tweet with duplicate content.", "Forbidden"
            )
        tweet_id = str(call.state.next_id())
        store.recent[key] = now
        tweet: JSON = {"id": tweet_id, "text": text, "created_at": _iso(now)}
        tweet["conversation_id"] = parent["conversation_id"] if parent else tweet_id
        if parent is not None:
            tweet |= {"in_reply_to_tweet_id": parent["id"], "in_reply_to_user_id": USER_ID}
        store.tweets.append(tweet)
        username = call.state.settings.x_username
        call.record_post(
            channel=f"@{username}",
            remote_id=tweet_id,
            url=f"{WEB}/i/web/status/{tweet_id}",
            text=text,
            body=body,
            details={
                "weighted_length": weighted_length(text),
                "reply": body.get("reply"),
                "conversation_id": tweet["conversation_id"],
                "images": [image.described() for image in images],
            },
            reply_to=replying_to,
        )
    return json_response(
        {"data": {"edit_history_tweet_ids": [tweet_id], "id": tweet_id, "text": text}}, 201
    )


def _replying_to(body: JSON) -> str | Response | None:
    """The id ``reply.in_reply_to_tweet_id`` names, None without ``reply``, or X's 400."""
    if "reply" not in body:
        return None
    reply = body["reply"]
    replied = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
    if not isinstance(replied, str) or not _TWEET_ID.fullmatch(replied):
        return _invalid(
            "reply.in_reply_to_tweet_id",
            f"The `reply.in_reply_to_tweet_id` field value [{replied}] does not match "
            "^[0-9]{1,19}$",
        )
    return replied


def _stored(store: XStore, tweet_id: str) -> JSON | None:
    """The post ``tweet_id`` names, if the sandbox holds it (every post is the one account's)."""
    return next((tweet for tweet in store.tweets if tweet["id"] == tweet_id), None)


def _listed(tweet: JSON, fields: set[str]) -> JSON:
    """``tweet`` as ``GET /2/users/{id}/tweets`` lists it: the default fields, and those
    ``tweet.fields`` asks for (``referenced_tweets`` and ``in_reply_to_user_id`` only on a
    reply)."""
    listed: JSON = {
        "id": tweet["id"],
        "text": tweet["text"],
        "edit_history_tweet_ids": [tweet["id"]],
    }
    if "created_at" in fields:
        listed["created_at"] = tweet["created_at"]
    if "conversation_id" in fields:
        listed["conversation_id"] = tweet.get("conversation_id", tweet["id"])
    replied = tweet.get("in_reply_to_tweet_id")
    if replied is not None and "referenced_tweets" in fields:
        listed["referenced_tweets"] = [{"type": "replied_to", "id": replied}]
    if replied is not None and "in_reply_to_user_id" in fields:
        listed["in_reply_to_user_id"] = tweet["in_reply_to_user_id"]
    return listed


def _as_user(
    handler: Callable[[Call], Awaitable[Response]],
) -> Callable[[Call], Awaitable[Response]]:
    """``handler`` for a request that needs a live user token."""

    async def checked(call: Call) -> Response:
        token = _token(call)
        return token if isinstance(token, Response) else await handler(call)

    return checked


def _invalid(parameter: str, message: str) -> Response:
    return json_response(
        {"errors": [{"parameters": {parameter: []}, "message": message}],
         "title": "Invalid Request",
         "detail": "One or more parameters to your request was invalid.",
         "type": "https://api.twitter.com/2/problems/invalid-request"},
        400,
    )  # fmt: skip


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment:%f}"[:3] + "Z"


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    return json_response({"error": error, "error_description": description}, status)


async def token(call: Call) -> Response:
    """``POST /2/oauth2/token``: an authorization code, or a refresh token, for new tokens
    (docs.x.com "OAuth 2.0 Authorization Code Flow with PKCE"; PLATFORMS.md §2.4, §10.3)."""
    form = call.payload() or {}
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        return _redeem(call, form)
    if grant_type == "refresh_token":
        return _refresh(call, form)
    return _oauth_error("invalid_request", "Value passed for the grant type was invalid.")


def _redeem(call: Call, form: JSON) -> Response:
    """``grant_type=authorization_code``: the code, its ``redirect_uri`` and ``code_verifier``;
    a confidential client authenticates with HTTP Basic, a public one sends ``client_id``."""
    client_id, secret = _basic_client(call) or (form.get("client_id"), None)
    app = authenticate_client(
        call.state, platform=PLATFORM, client_id=client_id, client_secret=secret
    )
    if isinstance(app, Refusal):
        return _oauth_error(app.error, app.description, app.status)
    consent = redeem_code(
        call.state,
        client_id=app.client_id,
        code=str(form.get("code") or ""),
        redirect_uri=form.get("redirect_uri"),
        code_verifier=form.get("code_verifier"),
    )
    if isinstance(consent, Refusal):
        return _oauth_error(consent.error, consent.description, consent.status)
    return _tokens(call, consent)


def _refresh(call: Call, form: JSON) -> Response:
    """``grant_type=refresh_token``: refresh tokens rotate, each works once. One the sandbox
    did not issue (a channel's configured one) is taken as X would have issued it."""
    old = form.get("refresh_token")
    if not isinstance(old, str) or not old:
        return _oauth_error("invalid_request", "Missing required parameter [refresh_token].")
    basic = _basic_client(call)
    client_id = basic[0] if basic else form.get("client_id")
    if not client_id:
        return _oauth_error("invalid_request", "Missing required parameter [client_id].")
    invalid = _oauth_error("invalid_request", "Value passed for the token was invalid.")
    store = call.state.store(XStore)
    with call.state.lock:
        issued = issued_token(call.state, old)
        if issued is not None:
            if issued.kind != "refresh" or issued.client_id != client_id:
                return invalid
            if revoke_token(call.state, old) is None:
                return invalid
            consent = consent_of(call.state, issued)
        else:
            digest = call.state.token_digest(old)
            if digest in store.spent_refresh:
                return invalid
            store.spent_refresh.add(digest)
            consent = Consent(
                PLATFORM, client_id, CONFIGURED_SCOPES, account_for(call.state, PLATFORM)
            )
    return _tokens(call, consent)


def _tokens(call: Call, consent: Consent) -> Response:
    """The token answer: an access token for ``x_access_ttl`` and, with ``offline.access``,
    a refresh token."""
    ttl = call.state.settings.x_access_ttl
    answer: JSON = {
        "token_type": "bearer",
        "expires_in": int(ttl / timedelta(seconds=1)),
        "access_token": issue_token(call.state, consent, ttl=ttl),
        "scope": " ".join(consent.scopes),
    }
    if "offline.access" in consent.scopes:
        answer["refresh_token"] = issue_token(call.state, consent, kind="refresh", ttl=None)
    return json_response(answer)


def _basic_client(call: Call) -> tuple[str, str] | None:
    """The client id and secret of HTTP Basic client authentication, if sent."""
    scheme, _, value = call.request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, colon, secret = base64.b64decode(value).decode().partition(":")
    except ValueError:
        return None
    return (client_id, secret) if colon and client_id else None


async def users_me(call: Call) -> Response:
    """``GET /2/users/me``: the account behind the token."""
    token = _token(call)
    if isinstance(token, Response):
        return token
    username = call.state.settings.x_username
    return json_response({"data": {"id": USER_ID, "name": "Tidings sandbox", "username": username}})


async def user_tweets(call: Call) -> Response:
    """``GET /2/users/{id}/tweets``: the account's latest posts, newest first (§2.6).

    ``max_results`` is 5 to 100 (default 10); each post has ``id``, ``text`` and
    ``edit_history_tweet_ids``, and ``created_at``, ``conversation_id``, ``referenced_tweets``
    and ``in_reply_to_user_id`` only when ``tweet.fields`` asks for them (``_listed``). The
    sandbox has one account, ``USER_ID``: any other id has no posts here."""
    token = _token(call)
    if isinstance(token, Response):
        return token
    query = call.request.query_params
    limit = query.get("max_results", "10")
    if not limit.isdigit() or not 5 <= int(limit) <= 100:
        return _invalid(
            "max_results",
            f"The `max_results` query parameter value [{limit}] is not between 5 and 100",
        )
    fields = set(query.get("tweet.fields", "").split(","))
    with call.state.lock:
        stored = call.state.store(XStore).tweets
        mine = stored if call.request.path_params["user_id"] == USER_ID else []
        tweets = [_listed(t, fields) for t in reversed(mine[-int(limit) :])]
    meta: JSON = {"result_count": len(tweets)}
    if tweets:
        meta |= {"newest_id": tweets[0]["id"], "oldest_id": tweets[-1]["id"]}
    return json_response({"data": tweets, "meta": meta} if tweets else {"meta": meta})


def routes() -> list[BaseRoute]:
    """X's routes on the ``api.x.com`` paths."""
    return [
        route(DIALECT, "/2/tweets", create_tweet, ["POST"]),
        route(DIALECT, "/2/oauth2/token", token, ["POST"]),
        route(DIALECT, "/2/users/me", users_me, ["GET"]),
        route(DIALECT, "/2/users/{user_id}/tweets", user_tweets, ["GET"]),
        route(DIALECT, "/2/media/upload", _as_user(upload_media), ["POST"]),
        route(DIALECT, "/2/media/metadata", _as_user(media_metadata), ["POST"]),
    ]
