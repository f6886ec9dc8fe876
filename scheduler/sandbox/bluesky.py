"""Bluesky / AT Protocol: sessions, ``createRecord`` for posts, ``getRecord`` to check.

Follows PLATFORMS.md §4: createSession gives JWT-shaped tokens whose expiry the sandbox
tracks (an expired access token answers 400 ExpiredToken), refreshSession takes the refresh
token as bearer and rotates both, deleteSession ends a session, createRecord validates an
``app.bsky.feed.post`` and honours a client-chosen TID rkey (a taken one answers 500),
getRecord answers the record or 400 RecordNotFound. A reply must name posts the sandbox holds
by their current cids (``bluesky_replies``). ``RateLimit-*`` headers report epoch
seconds. uploadBlob and the images a post embeds are in ``bluesky_blobs``.

Any handle logs in with any password, as an app password, unless ``add_account`` gave it
passwords: then only those work, the account's own password gives a full-access session
(or asks for an emailed sign-in code), and a taken-down account is refused, as the PDS does
(bluesky-social/atproto ``packages/pds/src/api/com/atproto/server/createSession.ts``; the
access token's ``scope`` claim says which password made it, ``auth-scope.ts``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from starlette.responses import Response
from starlette.routing import BaseRoute

from scheduler.sandbox.bluesky_blobs import embedded_images, upload_blob
from scheduler.sandbox.bluesky_records import display_facets, validate_post
from scheduler.sandbox.bluesky_replies import parent_uri, reply_problem
from scheduler.sandbox.exchange import (
    AuthFailure,
    Call,
    Dialect,
    epoch,
    json_response,
    route,
)
from scheduler.sandbox.faults import Fault
from scheduler.sandbox.state import JSON, SandboxState, WindowStatus

PLATFORM = "bluesky"
PUBLIC_APP = "https://bsky.app"
POST_COLLECTION = "app.bsky.feed.post"
TID_PATTERN = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")
_B32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"
# Names by status, from @atproto/xrpc.
ERROR_NAMES = {
    400: "InvalidRequest",
    401: "AuthenticationRequired",
    403: "Forbidden",
    404: "XRPCNotSupported",
    413: "PayloadTooLarge",
    429: "RateLimitExceeded",
    500: "InternalServerError",
    501: "MethodNotImplemented",
    502: "UpstreamFailure",
    503: "NotEnoughResources",
    504: "UpstreamTimeout",
}
# PDS write budget: 5,000 points per hour, a create costs 3.
WRITE_LIMIT, WRITE_WINDOW_SECONDS, CREATE_COST = 5000, 3600, 3
SESSION_LIMIT, SESSION_WINDOW_SECONDS = 30, 300
# The access token's scope: made with the account's own password, or with an app password.
FULL_ACCESS = "com.atproto.access"
APP_PASSWORD_ACCESS = "com.atproto.appPass"
ACCESS_SCOPES = frozenset({FULL_ACCESS, APP_PASSWORD_ACCESS, "com.atproto.appPassPrivileged"})
REFRESH = "com.atproto.refresh"


def xrpc_error(status: int, name: str | None = None, message: str | None = None) -> Response:
    """An XRPC error body ``{"error": Name, "message": text}``."""
    error = name or ERROR_NAMES.get(status, "InternalServerError")
    return json_response({"error": error, "message": message or error}, status)


class BlueskyDialect(Dialect):
    """XRPC errors, and IETF-draft ``RateLimit-*`` headers without an ``X-`` prefix."""

    platform = PLATFORM

    def error(self, status: int, message: str | None = None) -> Response:
        return xrpc_error(status, message=message)

    def auth_failed(self, failure: AuthFailure, path: str = "") -> Response:
        if path.endswith("createSession"):
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        if failure == "expired":
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        if failure == "missing":
            return xrpc_error(401, "AuthenticationRequired", "Authentication Required")
        return xrpc_error(401, "InvalidToken", "Token could not be verified")

    def rate_limited(self, call: Call, window: WindowStatus, fault: Fault | None) -> Response:
        response = xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded")
        response.headers.update(self.limit_headers(call, window))
        return response

    def client_key(self, call: Call) -> str:
        if call.request.url.path.endswith("createSession"):
            return str((call.payload() or {}).get("identifier", ""))
        return super().client_key(call)

    def window(self, call: Call) -> WindowStatus | None:
        if call.request.url.path.endswith("createSession"):
            return call.state.hit_window(
                PLATFORM, "sessions", limit=SESSION_LIMIT, seconds=SESSION_WINDOW_SECONDS
            )
        cost = CREATE_COST if call.request.url.path.endswith("createRecord") else 0
        return call.state.hit_window(
            PLATFORM, "writes", limit=WRITE_LIMIT, seconds=WRITE_WINDOW_SECONDS, cost=cost
        )

    def limit_headers(self, call: Call, window: WindowStatus) -> dict[str, str]:
        seconds = SESSION_WINDOW_SECONDS if window.limit == SESSION_LIMIT else WRITE_WINDOW_SECONDS
        return {
            "RateLimit-Limit": str(window.limit),
            "RateLimit-Remaining": str(max(window.remaining, 0)),
            "RateLimit-Reset": epoch(window.reset_at),
            "RateLimit-Policy": f"{window.limit};w={seconds}",
        }


DIALECT = BlueskyDialect()


@dataclass
class Session:
    """What a token issued by the sandbox stands for; ``access`` is the scope of the access
    tokens its pair (and the pairs refreshed from it) carry."""

    did: str
    handle: str
    scope: str
    expires_at: datetime
    access: str = APP_PASSWORD_ACCESS


@dataclass(frozen=True)
class Account:
    """A handle whose passwords the sandbox checks (by salted digest)."""

    password: str
    app_passwords: frozenset[str]
    email_auth_factor: bool  # the account's own password needs an emailed sign-in code
    takendown: bool


@dataclass
class BlueskyStore:
    """Issued tokens (by digest), records by (did, collection, rkey), the TID clock."""

    tokens: dict[str, Session] = field(default_factory=dict)
    records: dict[tuple[str, str, str], JSON] = field(default_factory=dict)
    handles: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    last_tid_us: int = 0


def add_account(
    state: SandboxState,
    handle: str,
    *,
    password: str,
    app_passwords: tuple[str, ...] = (),
    email_auth_factor: bool = False,
    takendown: bool = False,
) -> str:
    """Make ``handle`` an account that logs in only with ``password`` (a full-access session)
    or one of ``app_passwords``; returns its DID. Forgotten on reset."""
    account = Account(
        password=state.token_digest(password),
        app_passwords=frozenset(state.token_digest(each) for each in app_passwords),
        email_auth_factor=email_auth_factor,
        takendown=takendown,
    )
    with state.lock:
        state.store(BlueskyStore).accounts[handle] = account
    return did_for(handle)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(claims: JSON) -> str:
    header = _b64url(json.dumps({"typ": "at+jwt", "alg": "HS256"}).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    return f"{header}.{payload}.{_b64url(secrets.token_bytes(32))}"


def did_for(handle: str) -> str:
    """A stable ``did:plc`` for a handle, so a restarted sandbox gives the same one."""
    digest = base64.b32encode(hashlib.sha256(handle.encode()).digest()).decode().lower()
    return "did:plc:" + digest[:24]


def next_tid(store: BlueskyStore, now: datetime) -> str:
    """A TID: base32-sortable microseconds since the epoch plus a 10-bit clock id."""
    micros = max(int(now.timestamp() * 1_000_000), store.last_tid_us + 1)
    store.last_tid_us = micros
    value = (micros << 10) | 0x1F
    chars = []
    for _ in range(13):
        chars.append(_B32_SORTABLE[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def cid_for(record: JSON) -> str:
    """A CIDv1 (dag-cbor, sha-256) string over the record's canonical JSON."""
    digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).digest()
    raw = bytes([0x01, 0x71, 0x12, 0x20]) + digest
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


def _issue(call: Call, did: str, handle: str, access: str) -> JSON:
    store = call.state.store(BlueskyStore)
    settings, now = call.state.settings, call.state.now()
    pair: JSON = {"did": did, "handle": handle, "active": True}
    for name, scope, ttl in (
        ("accessJwt", access, settings.bluesky_access_ttl),
        ("refreshJwt", REFRESH, settings.bluesky_refresh_ttl),
    ):
        expires = now + ttl
        token = _jwt(
            {"scope": scope, "sub": did, "aud": "did:web:sandbox.local",
             "iat": int(now.timestamp()), "exp": int(expires.timestamp()),
             "jti": secrets.token_hex(8)}
        )  # fmt: skip
        store.tokens[call.state.token_digest(token)] = Session(did, handle, scope, expires, access)
        pair[name] = token
    store.handles[handle] = did
    return pair


def _session(call: Call, scopes: frozenset[str]) -> Session | Response:
    """The session behind the bearer token, or the PDS's answer to a bad one."""
    token = call.bearer()
    if token is None:
        return DIALECT.auth_failed("missing")
    session = call.state.store(BlueskyStore).tokens.get(call.state.token_digest(token))
    if session is None:
        return DIALECT.auth_failed("revoked")
    if session.scope not in scopes:
        return xrpc_error(400, "InvalidToken", "Bad token scope")
    if session.expires_at <= call.state.now():
        return DIALECT.auth_failed("expired")
    return session


async def create_session(call: Call) -> Response:
    """``com.atproto.server.createSession``: any identifier and non-empty password, or the
    passwords ``add_account`` gave the handle."""
    body = call.payload() or {}
    identifier, password = body.get("identifier"), body.get("password")
    if not isinstance(identifier, str) or not identifier:
        return xrpc_error(400, message='Input must have the property "identifier"')
    if not isinstance(password, str) or not password:
        return xrpc_error(400, message='Input must have the property "password"')
    handle = identifier.split("@")[0] + ".bsky.social" if "@" in identifier else identifier
    with call.state.lock:
        account = call.state.store(BlueskyStore).accounts.get(handle)
        access = _login(call, account, password, body.get("authFactorToken"))
        if isinstance(access, Response):
            return access
        session = _issue(call, did_for(handle), handle, access)
    return json_response(session)


def _login(
    call: Call, account: Account | None, password: str, auth_factor: object
) -> str | Response:
    """The access scope ``password`` logs in with, or the PDS's refusal (all 401)."""
    if account is None:
        return APP_PASSWORD_ACCESS
    digest = call.state.token_digest(password)
    if digest in account.app_passwords:
        access = APP_PASSWORD_ACCESS
    elif digest == account.password:
        if account.email_auth_factor and not auth_factor:
            return xrpc_error(
                401,
                "AuthFactorTokenRequired",
                "A sign in code has been sent to your email address",
            )
        access = FULL_ACCESS
    else:
        return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
    if account.takendown:
        return xrpc_error(401, "AccountTakedown", "Account has been taken down")
    return access


async def refresh_session(call: Call) -> Response:
    """``com.atproto.server.refreshSession``: the refresh token as bearer; rotates both."""
    with call.state.lock:
        found = _session(call, frozenset({REFRESH}))
        if isinstance(found, Response):
            return found
        store = call.state.store(BlueskyStore)
        del store.tokens[call.state.token_digest(call.bearer() or "")]
        return json_response(_issue(call, found.did, found.handle, found.access))


async def delete_session(call: Call) -> Response:
    """``com.atproto.server.deleteSession``: the refresh token as bearer; it stops working."""
    with call.state.lock:
        found = _session(call, frozenset({REFRESH}))
        if isinstance(found, Response):
            return found
        del call.state.store(BlueskyStore).tokens[call.state.token_digest(call.bearer() or "")]
    return Response(status_code=200)


async def create_record(call: Call) -> Response:
    """``com.atproto.repo.createRecord`` for ``app.bsky.feed.post``."""
    found = _session(call, ACCESS_SCOPES)
    if isinstance(found, Response):
        return found
    body = call.payload()
    if body is None:
        return xrpc_error(400, message="Request body must be a JSON object")
    if body.get("repo") not in (found.did, found.handle):
        return xrpc_error(401, "AuthenticationRequired", "Authentication Required")
    if body.get("collection") != POST_COLLECTION:
        return xrpc_error(400, message=f"The sandbox only stores {POST_COLLECTION} records")
    record = body.get("record")
    if not isinstance(record, dict):
        return xrpc_error(400, message='Input must have the property "record"')
    rkey = body.get("rkey")
    if rkey is not None and (not isinstance(rkey, str) or not TID_PATTERN.fullmatch(rkey)):
        return xrpc_error(400, message=f"Invalid {POST_COLLECTION} record key: must be a TID")
    if body.get("validate", True) is not False:
        problem = validate_post(record, POST_COLLECTION)
        if problem is not None:
            return xrpc_error(400, message=problem)
        images = embedded_images(call, found.did, record)
        if isinstance(images, Response):
            return images
    else:
        images = []
    store = call.state.store(BlueskyStore)
    with call.state.lock:
        problem = reply_problem(store.records, store.handles, record.get("reply"))
        if problem is not None:
            return xrpc_error(400, message=f"Invalid {POST_COLLECTION} record: {problem}")
        rkey = rkey or next_tid(store, call.state.now())
        key = (found.did, POST_COLLECTION, rkey)
        if key in store.records:
            # The repo's tree refuses a second value at a key; the PDS surfaces it as a 500.
            return xrpc_error(500, "InternalServerError", "Internal Server Error")
        uri = f"at://{found.did}/{POST_COLLECTION}/{rkey}"
        cid = cid_for(record)
        store.records[key] = {"uri": uri, "cid": cid, "value": record}
        text = record.get("text")
        call.record_post(
            channel=found.handle,
            remote_id=uri,
            url=f"{PUBLIC_APP}/profile/{found.handle}/post/{rkey}",
            text=text if isinstance(text, str) else "",
            body=body,
            details={
                "rkey": rkey,
                "cid": cid,
                "language": (record.get("langs") or [None])[0],
                "langs": record.get("langs"),
                "facets": display_facets(record),
                "embed": record.get("embed"),
                "images": images,
                "reply": record.get("reply"),
            },
            reply_to=parent_uri(record.get("reply")),
        )
    return json_response(
        {"uri": uri, "cid": cid, "commit": {"cid": cid_for({"commit": uri}), "rev": rkey},
         "validationStatus": "valid"}
    )  # fmt: skip


async def upload_blob_route(call: Call) -> Response:
    """``com.atproto.repo.uploadBlob`` under the session's account."""
    found = _session(call, ACCESS_SCOPES)
    if isinstance(found, Response):
        return found
    return upload_blob(call, found.did)


async def get_record(call: Call) -> Response:
    """``com.atproto.repo.getRecord``: 200 with the record, or 400 RecordNotFound."""
    params = call.request.query_params
    repo, collection, rkey = params.get("repo"), params.get("collection"), params.get("rkey")
    if not repo or not collection or not rkey:
        return xrpc_error(400, message="repo, collection and rkey are required")
    store = call.state.store(BlueskyStore)
    with call.state.lock:
        did = store.handles.get(repo, repo)
        found = store.records.get((did, collection, rkey))
    if found is None:
        return xrpc_error(
            400, "RecordNotFound", f"Could not locate record: at://{did}/{collection}/{rkey}"
        )
    return json_response(found)


def routes() -> list[BaseRoute]:
    """Bluesky's XRPC routes, as on a PDS."""
    return [
        route(DIALECT, "/xrpc/com.atproto.server.createSession", create_session, ["POST"]),
        route(DIALECT, "/xrpc/com.atproto.server.refreshSession", refresh_session, ["POST"]),
        route(DIALECT, "/xrpc/com.atproto.server.deleteSession", delete_session, ["POST"]),
        route(DIALECT, "/xrpc/com.atproto.repo.createRecord", create_record, ["POST"]),
        route(DIALECT, "/xrpc/com.atproto.repo.getRecord", get_record, ["GET"]),
        route(DIALECT, "/xrpc/com.atproto.repo.uploadBlob", upload_blob_route, ["POST"]),
    ]
