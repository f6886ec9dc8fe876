"""The sandbox's OAuth 2.0 authorization server, shared by every platform it stands in for.

Three records, kept on the sandbox state (``state.store(OAuthStore)``, emptied by reset):

- **apps**: ``client_id`` → the platform, the client secret ("" for a public client) and the
  registered redirect URIs. Tests call ``register_oauth_app`` (or ``POST /_sandbox/oauth/apps``);
  Mastodon's ``POST /api/v1/apps`` registers through it too.
- **codes**: what the consent page (``consent``) granted, redeemed once by a token endpoint
  with ``redeem_code`` (RFC 6749 §4.1.3, PKCE RFC 7636 §4.6).
- **tokens**: what token endpoints issued with ``issue_token``, so API endpoints can tell a
  sandbox-issued token that expired or was revoked (``token_failure``) from one they never saw
  (a channel's configured token, accepted as it comes).

Codes and tokens are kept by salted digest (``state.token_digest``), never in clear. Each
token endpoint answers a ``Refusal`` in its own platform's shape.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from scheduler.sandbox.exchange import AuthFailure
from scheduler.sandbox.state import JSON, SandboxState, Settings

#: How long an authorization code can be redeemed (RFC 6749 §4.1.2 recommends at most 10 min).
CODE_TTL = timedelta(minutes=10)
#: Platforms whose consent page refuses a request without a PKCE challenge (PLATFORMS.md §10.3).
PKCE_REQUIRED = frozenset({"x"})
#: The consent page's platforms (PLATFORMS.md §10.3).
OAUTH_PLATFORMS = ("x", "linkedin", "facebook", "threads", "mastodon")
#: The X account the sandbox user posts as (``GET /2/users/me``).
X_USER_ID = "1700000000000000001"
#: The Mastodon account the sandbox user posts as (``verify_credentials``).
MASTODON_ACCOUNT_ID = "109000000000000001"
#: The Facebook user who consents (a Page's token comes from this user's ``/me/accounts``).
FACEBOOK_USER_ID = "10000000000000001"

TokenKind = Literal["access", "refresh"]


@dataclass(frozen=True)
class OAuthApp:
    """An OAuth client registered with the sandbox."""

    platform: str
    client_id: str
    client_secret: str = field(repr=False)  # "": a public client
    redirect_uris: tuple[str, ...]
    name: str = "Tidings"
    #: LinkedIn grants refresh tokens only to apps it approved for "programmatic refresh
    #: tokens" (PLATFORMS.md §1.7); the sandbox's LinkedIn token endpoint reads this.
    programmatic_refresh: bool = False

    def to_json(self) -> JSON:
        """The app as the control API shows it: never its secret."""
        return {
            "platform": self.platform,
            "client_id": self.client_id,
            "confidential": bool(self.client_secret),
            "redirect_uris": list(self.redirect_uris),
            "name": self.name,
            "programmatic_refresh": self.programmatic_refresh,
        }


@dataclass(frozen=True)
class Account:
    """Who the sandbox user is on a platform: what the consent page names, and what the
    platform's "who am I" endpoint reports."""

    id: str
    name: str


#: The sandbox user per platform, from the settings that already name them.
ACCOUNTS: dict[str, Callable[[Settings], Account]] = {
    "x": lambda s: Account(X_USER_ID, f"@{s.x_username}"),
    "linkedin": lambda s: Account(s.linkedin_member_id, "Sandbox Member"),
    "facebook": lambda s: Account(FACEBOOK_USER_ID, "Sandbox User"),
    "threads": lambda s: Account(s.threads_user_id, s.threads_username),
    "mastodon": lambda s: Account(MASTODON_ACCOUNT_ID, s.mastodon_username),
}


def account_for(state: SandboxState, platform: str) -> Account:
    """The account the sandbox user has on ``platform``."""
    return ACCOUNTS[platform](state.settings)


@dataclass(frozen=True)
class Consent:
    """What the user allowed: redeemed from a code, the basis of the tokens issued."""

    platform: str
    client_id: str
    scopes: tuple[str, ...]
    account: Account


@dataclass(frozen=True)
class Refusal:
    """An OAuth error (RFC 6749 §5.2) for the token endpoint to answer in its own shape."""

    error: str  # invalid_request, invalid_client, invalid_grant, ...
    description: str
    status: int = 400


@dataclass(frozen=True)
class IssuedToken:
    """A token a sandbox token endpoint issued (kept under its digest)."""

    platform: str
    kind: TokenKind
    client_id: str
    account_id: str
    scopes: tuple[str, ...]
    expires_at: datetime | None  # None: does not expire
    revoked: bool = False

    def failure(self, now: datetime) -> AuthFailure | None:
        """Why the token no longer works, or ``None`` while it does."""
        if self.revoked:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return None


@dataclass(frozen=True)
class _Code:
    consent: Consent
    redirect_uri: str
    challenge: str | None
    expires_at: datetime


@dataclass
class OAuthStore:
    """Registered apps by client id; codes and issued tokens by digest."""

    apps: dict[str, OAuthApp] = field(default_factory=dict)
    codes: dict[str, _Code] = field(default_factory=dict)
    tokens: dict[str, IssuedToken] = field(default_factory=dict)


# -- apps ---------------------------------------------------------------------------------------


def register_oauth_app(
    state: SandboxState,
    *,
    platform: str,
    client_id: str,
    client_secret: str = "",
    redirect_uris: Iterable[str],
    name: str = "Tidings",
    programmatic_refresh: bool = False,
) -> OAuthApp:
    """Register (or replace) an OAuth client for ``platform``; ValueError for a platform
    without a consent page or an app without a redirect URI."""
    if platform not in OAUTH_PLATFORMS:
        raise ValueError(f"platform must be one of {', '.join(OAUTH_PLATFORMS)}")
    uris = tuple(redirect_uris)
    if not client_id or not uris:
        raise ValueError("an OAuth app needs a client_id and at least one redirect URI")
    app = OAuthApp(platform, client_id, client_secret, uris, name, programmatic_refresh)
    with state.lock:
        state.store(OAuthStore).apps[client_id] = app
    return app


def oauth_app(state: SandboxState, client_id: str) -> OAuthApp | None:
    with state.lock:
        return state.store(OAuthStore).apps.get(client_id)


def authenticate_client(
    state: SandboxState, *, platform: str, client_id: str | None, client_secret: str | None
) -> OAuthApp | Refusal:
    """The app a token request comes from: a known client of ``platform`` whose secret (if it
    has one) matches; else ``invalid_client`` (RFC 6749 §5.2, answered with 401)."""
    app = oauth_app(state, client_id or "")
    if app is None or app.platform != platform:
        return Refusal("invalid_client", "Client authentication failed: unknown client.", 401)
    if app.client_secret and not hmac.compare_digest(
        app.client_secret.encode(), (client_secret or "").encode()
    ):
        return Refusal("invalid_client", "Client authentication failed.", 401)
    return app


def authenticate_fields(state: SandboxState, *, platform: str, fields: JSON) -> OAuthApp | Refusal:
    """``authenticate_client`` for a client that sends ``client_id`` and ``client_secret`` among
    the request's fields (RFC 6749 §2.3.1; Meta's token endpoints read them from the query too)."""
    return authenticate_client(
        state,
        platform=platform,
        client_id=fields.get("client_id"),
        client_secret=fields.get("client_secret"),
    )


# -- codes --------------------------------------------------------------------------------------


def issue_code(
    state: SandboxState, consent: Consent, *, redirect_uri: str, challenge: str | None
) -> str:
    """A fresh authorization code for ``consent``, bound to the redirect URI and the PKCE
    challenge it was asked with."""
    code = secrets.token_urlsafe(32)
    with state.lock:
        state.store(OAuthStore).codes[state.token_digest(code)] = _Code(
            consent, redirect_uri, challenge, state.now() + CODE_TTL
        )
    return code


def redeem_code(
    state: SandboxState,
    *,
    client_id: str,
    code: str,
    redirect_uri: str | None,
    code_verifier: str | None = None,
) -> Consent | Refusal:
    """What ``code`` granted, once: a code is spent by any attempt to redeem it, and only
    works for the client it was issued to, with the identical redirect URI, before it expires,
    and with the verifier of its PKCE challenge (RFC 6749 §4.1.3, RFC 7636 §4.6)."""
    with state.lock:
        found = state.store(OAuthStore).codes.pop(state.token_digest(code), None)
    if found is None or found.expires_at <= state.now():
        return Refusal("invalid_grant", "The authorization code is invalid or expired.")
    if found.consent.client_id != client_id:
        return Refusal("invalid_grant", "The authorization code was issued to another client.")
    if found.redirect_uri != redirect_uri:
        return Refusal("invalid_grant", "The redirect_uri does not match the authorization.")
    if found.challenge is not None:
        if not code_verifier:
            return Refusal("invalid_request", "Missing required parameter [code_verifier].")
        if not hmac.compare_digest(s256(code_verifier), found.challenge):
            return Refusal("invalid_grant", "The code_verifier does not match the challenge.")
    return found.consent


def redeem_fields(state: SandboxState, app: OAuthApp, fields: JSON) -> Consent | Refusal:
    """``redeem_code`` for ``app`` with the ``code`` and ``redirect_uri`` among a token request's
    fields, for a platform that takes no PKCE verifier (LinkedIn, Facebook, Threads)."""
    return redeem_code(
        state,
        client_id=app.client_id,
        code=str(fields.get("code") or ""),
        redirect_uri=fields.get("redirect_uri"),
    )


def s256(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii", errors="replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


# -- tokens -------------------------------------------------------------------------------------


def issue_token(
    state: SandboxState,
    consent: Consent,
    *,
    kind: TokenKind = "access",
    ttl: timedelta | None,
) -> str:
    """A fresh token for ``consent``, remembered (by digest) until ``ttl`` from now
    (``None``: it does not expire)."""
    token = secrets.token_urlsafe(40)
    expires_at = None if ttl is None else state.now() + ttl
    issued = IssuedToken(
        platform=consent.platform,
        kind=kind,
        client_id=consent.client_id,
        account_id=consent.account.id,
        scopes=consent.scopes,
        expires_at=expires_at,
    )
    with state.lock:
        state.store(OAuthStore).tokens[state.token_digest(token)] = issued
    return token


def issued_token(state: SandboxState, token: str) -> IssuedToken | None:
    """The record of a sandbox-issued token, or ``None`` for a token the sandbox never issued."""
    with state.lock:
        return state.store(OAuthStore).tokens.get(state.token_digest(token))


def consent_of(state: SandboxState, issued: IssuedToken) -> Consent:
    """The consent an issued token stands for, to issue its successor from."""
    account = account_for(state, issued.platform)
    if account.id != issued.account_id:
        account = Account(issued.account_id, account.name)
    return Consent(issued.platform, issued.client_id, issued.scopes, account)


def token_failure(state: SandboxState, token: str, platform: str) -> AuthFailure | None:
    """Why an API call with ``token`` must be refused: a sandbox-issued token that expired,
    was revoked, or belongs to another platform. ``None`` for a live one and for tokens the
    sandbox never issued (a channel's configured token is accepted as it comes)."""
    issued = issued_token(state, token)
    if issued is None:
        return None
    if issued.platform != platform:
        return "revoked"
    return issued.failure(state.now())


def revoke_token(state: SandboxState, token: str) -> IssuedToken | None:
    """Revoke a sandbox-issued token; returns it as it was while still live (``None`` when
    unknown, already revoked or expired), so a single-use refresh token is spent only once."""
    digest = state.token_digest(token)
    with state.lock:
        tokens = state.store(OAuthStore).tokens
        issued = tokens.get(digest)
        if issued is None or issued.failure(state.now()) is not None:
            return None
        tokens[digest] = replace(issued, revoked=True)
        return issued
