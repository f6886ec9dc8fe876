"""What the sandbox's Facebook and Threads token endpoints share: Meta's tokens.

Both platforms' tokens come from Graph-style token endpoints (PLATFORMS.md §5.4 and §6; Meta's
"Long-Lived Access Tokens" for Facebook Login and for Threads): an answer is ``{access_token,
token_type, expires_in}``, a call with an unknown or dead token meets Graph's code 190, and
``debug_token`` describes a token by its type, when it was issued, its expiry (0: never), its
scopes and the 90-day data access window. Whether a token is a user or a Page token, whether it
is long-lived, and when it was issued is kept here by salted digest, beside the shared ``oauth``
records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from starlette.responses import Response

from scheduler.sandbox.exchange import Call, json_response
from scheduler.sandbox.graph import graph_error
from scheduler.sandbox.oauth import Consent, IssuedToken, issue_token, issued_token, oauth_app
from scheduler.sandbox.state import JSON, SandboxState

# Both products' "Long-Lived Access Tokens": a token from a code lasts an hour, a long-lived one
# 60 days.
SHORT_LIVED = timedelta(hours=1)
LONG_LIVED = timedelta(days=60)
# Meta's "data access" window for a user's data, reported by debug_token ("permissions granted
# to apps by app users with private profiles are now valid for 90 days").
DATA_ACCESS = timedelta(days=90)


@dataclass(frozen=True)
class MetaToken:
    """What a token the sandbox issued for Facebook or Threads is (Threads has user tokens only)."""

    kind: Literal["USER", "PAGE"]
    issued_at: datetime
    long_lived: bool = False


@dataclass
class MetaTokens:
    """The ``MetaToken`` of each issued Facebook and Threads token, by digest."""

    by_digest: dict[str, MetaToken] = field(default_factory=dict)


def issue_meta_token(
    state: SandboxState, consent: Consent, meta: MetaToken, ttl: timedelta | None
) -> str:
    """A fresh token for ``consent`` (``oauth.issue_token``), known from now on as ``meta``."""
    token = issue_token(state, consent, ttl=ttl)
    with state.lock:
        state.store(MetaTokens).by_digest[state.token_digest(token)] = meta
    return token


def meta_token(state: SandboxState, token: str) -> MetaToken | None:
    """What ``token`` is, when the sandbox issued it for Facebook or Threads."""
    with state.lock:
        return state.store(MetaTokens).by_digest.get(state.token_digest(token))


def live_token(
    call: Call, token: object, platform: str
) -> tuple[IssuedToken, MetaToken] | Response:
    """The live ``platform`` token ``token`` is, or the Graph error for it."""
    if not isinstance(token, str) or not token:
        return call.dialect.auth_failed("missing")
    issued, meta = issued_token(call.state, token), meta_token(call.state, token)
    if issued is None or meta is None or issued.platform != platform:
        return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
    failure = issued.failure(call.state.now())
    if failure is not None:
        return call.dialect.auth_failed(failure)
    return issued, meta


def token_answer(token: str, ttl: timedelta) -> Response:
    """A token endpoint's answer for a token issued for ``ttl``."""
    return json_response(
        {"access_token": token, "token_type": "bearer", "expires_in": int(ttl.total_seconds())}
    )


def described(state: SandboxState, issued: IssuedToken, meta: MetaToken, *, user_id: str) -> JSON:
    """The ``data`` of a ``debug_token`` answer both platforms give; Facebook adds its own."""
    app = oauth_app(state, issued.client_id)
    return {
        "type": meta.kind,
        "application": app.name if app else "",
        "data_access_expires_at": int((meta.issued_at + DATA_ACCESS).timestamp()),
        "expires_at": int(issued.expires_at.timestamp()) if issued.expires_at else 0,
        "is_valid": issued.failure(state.now()) is None,
        "issued_at": int(meta.issued_at.timestamp()),
        "scopes": list(issued.scopes),
        "user_id": user_id,
    }
