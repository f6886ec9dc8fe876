"""Mastodon's apps and tokens: ``POST /api/v1/apps``, ``POST /oauth/token``, ``POST /oauth/revoke``.

PLATFORMS.md §10.3 and docs.joinmastodon.org ``methods/apps`` ("Create an application") and
``methods/oauth`` ("Obtain a token", "Revoke a token"); the consent page between them is the
sandbox's shared one at ``GET /oauth/authorize`` (``consent``), which the app registered here
reaches because ``POST /api/v1/apps`` registers it with ``oauth.register_oauth_app``.

- ``POST /api/v1/apps`` (JSON or a form: ``client_name``, ``redirect_uris`` as a string or an
  array, ``scopes`` defaulting to ``read``, ``website``): a CredentialApplication with
  ``client_id`` and ``client_secret`` (``client_secret_expires_at`` 0), or 422 for a blank name
  or a redirect URI that is not absolute.
- ``POST /oauth/token`` with ``grant_type=authorization_code``, the ``code``, the client (in the
  form or HTTP Basic), the same ``redirect_uri`` and, when the consent was asked with a PKCE
  challenge (Mastodon 4.3+), the ``code_verifier``: ``{access_token, token_type: "Bearer",
  scope, created_at}``. Tokens do not expire (``api/oauth-tokens.md``). Errors in Doorkeeper's
  shape ``{"error", "error_description"}``.
- ``POST /oauth/revoke`` (``client_id``, ``client_secret``, ``token``): ``{}``, also for a token
  already revoked or unknown; 403 ``unauthorized_client`` for another app's token.

The sandbox checks the scopes granted against the app's registered ones when the code is
redeemed; Mastodon refuses them earlier, on its authorization page (❓ the sandbox's consent
page is shared and knows no registered scopes).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.responses import Response

from scheduler.sandbox.exchange import Call, json_response
from scheduler.sandbox.oauth import (
    OAuthApp,
    Refusal,
    authenticate_client,
    issue_token,
    issued_token,
    redeem_code,
    register_oauth_app,
    revoke_token,
)
from scheduler.sandbox.state import JSON

PLATFORM = "mastodon"
OUT_OF_BAND = "urn:ietf:wg:oauth:2.0:oob"


@dataclass
class MastodonApps:
    """What Mastodon keeps of a registered app beyond the shared registry: its id, scopes and
    website, by client id."""

    registered: dict[str, JSON] = field(default_factory=dict)


def doorkeeper_error(refusal: Refusal) -> Response:
    """An OAuth refusal as Mastodon's Doorkeeper answers it."""
    body = {"error": refusal.error, "error_description": refusal.description}
    return json_response(body, refusal.status)


def _invalid(message: str) -> Response:
    return json_response({"error": f"Validation failed: {message}"}, 422)


def _redirect_uris(raw: object) -> list[str] | None:
    """``redirect_uris`` as sent: one string (several separated by line breaks) or an array."""
    if isinstance(raw, str):
        return raw.split()
    if isinstance(raw, list) and all(isinstance(each, str) for each in raw):
        return [each.strip() for each in raw if each.strip()]
    return None


def _absolute(uri: str) -> bool:
    parts = urlsplit(uri)
    return uri == OUT_OF_BAND or bool(parts.scheme and parts.netloc)


async def create_app(call: Call) -> Response:
    """``POST /api/v1/apps``: register an app and answer its credentials."""
    payload = call.payload()
    if payload is None:
        return json_response({"error": "Invalid JSON or form body"}, 400)
    name = payload.get("client_name")
    if not isinstance(name, str) or not name.strip():
        return _invalid("Name can't be blank")
    uris = _redirect_uris(payload.get("redirect_uris"))
    if not uris or not all(_absolute(uri) for uri in uris):
        return _invalid("Redirect URI must be an absolute URI.")
    scopes = payload.get("scopes") or "read"
    website = payload.get("website") or None
    if not isinstance(scopes, str) or (website is not None and not isinstance(website, str)):
        return json_response({"error": "scopes and website must be strings"}, 400)
    client_id, secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    register_oauth_app(
        call.state, platform=PLATFORM, client_id=client_id, client_secret=secret,
        redirect_uris=uris, name=name,
    )  # fmt: skip
    app: JSON = {
        "id": str(call.state.next_id()),
        "name": name,
        "website": website,
        "scopes": scopes.split(),
        "redirect_uri": "\n".join(uris),
        "redirect_uris": uris,
    }
    with call.state.lock:
        call.state.store(MastodonApps).registered[client_id] = app
    return json_response(
        {**app, "client_id": client_id, "client_secret": secret, "client_secret_expires_at": 0}
    )


def _client(call: Call, params: JSON) -> tuple[str | None, str | None]:
    """The client id and secret: from HTTP Basic (``client_secret_basic``), else the form."""
    scheme, _, encoded = call.request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            pair = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        named, _, secret = pair.partition(":")
        return named, secret
    sent = [params.get("client_id"), params.get("client_secret")]
    first, second = (value if isinstance(value, str) else None for value in sent)
    return first, second


def _app(call: Call, params: JSON) -> OAuthApp | Response:
    client_id, secret = _client(call, params)
    app = authenticate_client(
        call.state, platform=PLATFORM, client_id=client_id, client_secret=secret
    )
    return doorkeeper_error(app) if isinstance(app, Refusal) else app


async def token(call: Call) -> Response:
    """``POST /oauth/token``: an authorization code for a token that does not expire."""
    params = call.payload()
    if params is None:
        return doorkeeper_error(Refusal("invalid_request", "The request body is unreadable."))
    if params.get("grant_type") != "authorization_code":
        return doorkeeper_error(
            Refusal("unsupported_grant_type", "The sandbox grants authorization codes only.")
        )
    app = _app(call, params)
    if isinstance(app, Response):
        return app
    code, verifier = params.get("code"), params.get("code_verifier")
    consent = redeem_code(
        call.state,
        client_id=app.client_id,
        code=code if isinstance(code, str) else "",
        redirect_uri=params.get("redirect_uri"),
        code_verifier=verifier if isinstance(verifier, str) else None,
    )
    if isinstance(consent, Refusal):
        return doorkeeper_error(consent)
    with call.state.lock:
        registered = call.state.store(MastodonApps).registered.get(app.client_id, {})
    if not set(consent.scopes) <= set(registered.get("scopes", ())):
        return doorkeeper_error(
            Refusal("invalid_scope", "The requested scope is invalid, unknown, or malformed.")
        )
    access = issue_token(call.state, consent, ttl=None)
    return json_response(
        {
            "access_token": access,
            "token_type": "Bearer",
            "scope": " ".join(consent.scopes),
            "created_at": int(call.state.now().timestamp()),
        }
    )


async def revoke(call: Call) -> Response:
    """``POST /oauth/revoke``: the app's own token stops working; ``{}`` however often."""
    params = call.payload() or {}
    app = _app(call, params)
    if isinstance(app, Response):
        return app
    sent = params.get("token")
    issued = issued_token(call.state, sent) if isinstance(sent, str) and sent else None
    if issued is not None and issued.client_id != app.client_id:
        refusal = Refusal("unauthorized_client", "You are not authorized to revoke this token", 403)
        return doorkeeper_error(refusal)
    if issued is not None:
        revoke_token(call.state, str(sent))
    return json_response({})
