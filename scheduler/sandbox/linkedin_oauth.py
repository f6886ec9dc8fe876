"""LinkedIn's token endpoint: ``POST /oauth/v2/accessToken`` (www.linkedin.com).

Microsoft Learn "Authorization Code Flow (3-legged OAuth)" and "Programmatic Refresh Tokens"
(PLATFORMS.md §1.7, §10.3): a form with ``grant_type``, the client id and secret, and either
the ``code`` and its ``redirect_uri`` (no PKCE) or a ``refresh_token``. Access tokens last 60
days. Only an app approved for programmatic refresh (``OAuthApp.programmatic_refresh``) gets a
refresh token (365 days); refreshing gives a new access token and keeps the refresh token and
its original expiry ("day 59 … the refresh token will have a TTL of 306 days"). Scopes come back
comma-separated, as LinkedIn writes them.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.responses import Response

from scheduler.sandbox.exchange import Call, json_response
from scheduler.sandbox.oauth import (
    Consent,
    Refusal,
    authenticate_fields,
    consent_of,
    issue_token,
    issued_token,
    redeem_fields,
)
from scheduler.sandbox.state import JSON

PLATFORM = "linkedin"
ACCESS_TTL = timedelta(days=60)
REFRESH_TTL = timedelta(days=365)
# What LinkedIn says of any code it will not redeem, whatever the reason.
_BAD_CODE = (
    "Unable to retrieve access token: appid/redirect uri/code verifier does not match "
    "authorization code. Or authorization code expired. Or external member binding exists"
)


def _error(error: str, description: str, status: int = 400) -> Response:
    return json_response({"error": error, "error_description": description}, status)


async def access_token(call: Call) -> Response:
    """``POST /oauth/v2/accessToken``: a code, or a refresh token, for a 60-day access token."""
    form = call.payload() or {}
    app = authenticate_fields(call.state, platform=PLATFORM, fields=form)
    if isinstance(app, Refusal):
        return _error(app.error, app.description, app.status)
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        consent = redeem_fields(call.state, app, form)
        if isinstance(consent, Refusal):
            return _error("invalid_request", _BAD_CODE)
        refresh = None
        if app.programmatic_refresh:
            refresh = issue_token(call.state, consent, kind="refresh", ttl=REFRESH_TTL)
        return _tokens(call, consent, refresh, REFRESH_TTL)
    if grant_type == "refresh_token":
        return _refresh(call, app.client_id, str(form.get("refresh_token") or ""))
    return _error("unsupported_grant_type", "The grant_type is not supported.")


def _refresh(call: Call, client_id: str, refresh: str) -> Response:
    """A new access token; the refresh token stays, with what is left of its year."""
    issued = issued_token(call.state, refresh)
    now = call.state.now()
    if (
        issued is None
        or issued.kind != "refresh"
        or issued.platform != PLATFORM
        or issued.client_id != client_id
        or issued.failure(now) is not None
    ):
        return _error("invalid_request", "The provided refresh token is invalid or expired.")
    left = issued.expires_at - now if issued.expires_at is not None else REFRESH_TTL
    return _tokens(call, consent_of(call.state, issued), refresh, left)


def _tokens(call: Call, consent: Consent, refresh: str | None, refresh_left: timedelta) -> Response:
    answer: JSON = {
        "access_token": issue_token(call.state, consent, ttl=ACCESS_TTL),
        "expires_in": int(ACCESS_TTL.total_seconds()),
        "scope": ",".join(consent.scopes),
    }
    if refresh is not None:
        answer["refresh_token"] = refresh
        answer["refresh_token_expires_in"] = int(refresh_left.total_seconds())
    return json_response(answer)
