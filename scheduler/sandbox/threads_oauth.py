"""Threads' token steps: a code to a one-hour token, a long-lived one, refreshing it.

PLATFORMS.md §10.3 and §6 (Meta's Threads "Get Access Tokens", "Long-Lived Access Tokens",
"Debug Access Token"), after the shared consent page (``consent``, ``oauth``) has given the app
a code, on the ``graph.threads.net`` paths:

- ``POST /oauth/access_token`` (a form: ``client_id``, ``client_secret``,
  ``grant_type=authorization_code``, ``redirect_uri``, ``code``): ``{access_token, user_id}``,
  a token for one hour.
- ``GET /access_token?grant_type=th_exchange_token&client_secret=…&access_token=…``: a
  long-lived token for that one-hour token, ``{access_token, token_type, expires_in}``, 60 days.
- ``GET /refresh_access_token?grant_type=th_refresh_token&access_token=…``: a fresh long-lived
  token for 60 days from now, for a long-lived token at least 24 hours old that has not
  expired (by the sandbox's clock, ``state.now()``). The token refreshed keeps working until
  its own expiry (❓ Meta does not say).
- ``GET /v1.0/debug_token?input_token=…`` with a live token of the same app: type, scopes,
  ``issued_at``, ``expires_at``, ``is_valid``, ``user_id``.

Whether a token is short- or long-lived, and when it was issued, is kept by ``meta_oauth`` beside
the shared ``oauth`` records. The error a too-young or short-lived token meets on
refresh is Meta's to word (❓); the sandbox answers code 100 and says why.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from starlette.responses import Response

from scheduler.sandbox.exchange import Call, json_response
from scheduler.sandbox.graph import access_token, graph_error, oauth_refusal
from scheduler.sandbox.meta_oauth import (
    LONG_LIVED,
    SHORT_LIVED,
    MetaToken,
    described,
    issue_meta_token,
    live_token,
    meta_token,
    token_answer,
)
from scheduler.sandbox.oauth import (
    Consent,
    IssuedToken,
    Refusal,
    authenticate_fields,
    consent_of,
    issued_token,
    oauth_app,
    redeem_fields,
)
from scheduler.sandbox.state import SandboxState

PLATFORM = "threads"
# "Long-lived tokens ... can be refreshed as long as they are at least 24 hours old".
REFRESHABLE_AFTER = timedelta(hours=24)


def _issue(state: SandboxState, consent: Consent, *, long_lived: bool) -> str:
    meta = MetaToken("USER", state.now(), long_lived=long_lived)
    return issue_meta_token(state, consent, meta, LONG_LIVED if long_lived else SHORT_LIVED)


def _granting(call: Call, grant_type: str) -> tuple[IssuedToken, MetaToken] | Response:
    """The live token a ``grant_type`` request (its ``access_token``) asks a new one for."""
    params = call.params()
    if params.get("grant_type") != grant_type:
        return graph_error(400, 100, f"(#100) grant_type must be {grant_type}")
    return live_token(call, params.get("access_token"), PLATFORM)


def _long_lived_answer(state: SandboxState, issued: IssuedToken) -> Response:
    """A fresh long-lived token in place of ``issued``."""
    token = _issue(state, consent_of(state, issued), long_lived=True)
    return token_answer(token, LONG_LIVED)


async def oauth_access_token(call: Call) -> Response:
    """``POST /oauth/access_token``: the code for a one-hour token and the user's id."""
    params = call.params()
    if params.get("grant_type") != "authorization_code":
        return graph_error(400, 100, "(#100) grant_type must be authorization_code")
    app = authenticate_fields(call.state, platform=PLATFORM, fields=params)
    if isinstance(app, Refusal):
        return oauth_refusal(app)
    consent = redeem_fields(call.state, app, params)
    if isinstance(consent, Refusal):
        return oauth_refusal(consent)
    token = _issue(call.state, consent, long_lived=False)
    user_id = consent.account.id
    return json_response(
        {"access_token": token, "user_id": int(user_id) if user_id.isdigit() else user_id}
    )


async def long_lived_token(call: Call) -> Response:
    """``GET /access_token?grant_type=th_exchange_token``: a one-hour token for 60 days."""
    found = _granting(call, "th_exchange_token")
    if isinstance(found, Response):
        return found
    issued, meta = found
    app = oauth_app(call.state, issued.client_id)
    secret = str(call.params().get("client_secret") or "")
    if app is None or not hmac.compare_digest(app.client_secret.encode(), secret.encode()):
        return graph_error(400, 101, "Error validating application. Invalid client_secret.")
    if meta.long_lived:
        return graph_error(400, 100, "(#100) The access token is already long-lived")
    return _long_lived_answer(call.state, issued)


async def refresh_token(call: Call) -> Response:
    """``GET /refresh_access_token?grant_type=th_refresh_token``: 60 more days for a
    long-lived token at least 24 hours old."""
    found = _granting(call, "th_refresh_token")
    if isinstance(found, Response):
        return found
    issued, meta = found
    if not meta.long_lived:
        return graph_error(400, 100, "(#100) Only a long-lived access token can be refreshed")
    if call.state.now() - meta.issued_at < REFRESHABLE_AFTER:
        return graph_error(
            400, 100, "(#100) A long-lived access token can be refreshed once it is 24 hours old"
        )
    return _long_lived_answer(call.state, issued)


async def debug_token(call: Call) -> Response:
    """``GET /v1.0/debug_token``: what ``input_token`` is, asked with a token of its app."""
    found = live_token(call, access_token(call), PLATFORM)
    if isinstance(found, Response):
        return found
    caller, _ = found
    input_token = call.params().get("input_token")
    if not isinstance(input_token, str) or not input_token:
        return graph_error(400, 100, "(#100) The parameter input_token is required")
    issued, meta = issued_token(call.state, input_token), meta_token(call.state, input_token)
    if issued is None or meta is None or issued.client_id != caller.client_id:
        return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
    data = described(call.state, issued, meta, user_id=issued.account_id)
    return json_response({"data": data})


def token_account(state: SandboxState, token: str) -> str | None:
    """The user id a sandbox-issued Threads token belongs to (None: not one)."""
    issued = issued_token(state, token)
    return issued.account_id if issued is not None and issued.platform == PLATFORM else None
