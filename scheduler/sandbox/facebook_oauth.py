"""Facebook Login's token steps: a code to a user token, a long-lived one, the Pages' tokens.

PLATFORMS.md §10.3 and §5.4 (Meta: "Manually Build a Login Flow", "Long-Lived Access Tokens",
"Page Access Tokens", the ``debug_token`` reference), after the shared consent page
(``consent``, ``oauth``) has given the app a code:

- ``GET /{version}/oauth/access_token`` with ``client_id``, ``client_secret``,
  ``redirect_uri`` and ``code``: a user token for an hour, ``{access_token, token_type,
  expires_in}``; with ``grant_type=fb_exchange_token`` and ``fb_exchange_token``: a
  long-lived user token, 60 days.
- ``GET /{version}/me/accounts`` with a user token granted ``pages_show_list``: the Pages the
  sandbox user manages (``Settings.facebook_pages``), each with ``tasks`` and a Page token,
  which never expires when read with a long-lived user token and lasts as long as the user
  token otherwise. ``limit`` and ``after`` page the list, ``paging.next`` links the rest.
- ``GET [/{version}]/debug_token?input_token=``, asked with the app's token
  (``{app-id}|{app-secret}``) or a user token of the same app: type, scopes, ``expires_at``
  (0: never), ``is_valid``, which a Page token loses when its Page is no longer managed.

Which tokens are user or Page tokens, and when each was issued, is kept by ``meta_oauth`` beside
the shared ``oauth`` records. Error codes (100 for a code or parameter, 101 for the
app, 190 for a token) follow Graph's error reference; their subcodes are left out (❓).
"""

from __future__ import annotations

import base64
import hmac
from urllib.parse import urlencode

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
    FACEBOOK_USER_ID,
    Account,
    Consent,
    IssuedToken,
    Refusal,
    authenticate_fields,
    consent_of,
    issued_token,
    oauth_app,
    redeem_fields,
)
from scheduler.sandbox.state import JSON, SandboxState

PLATFORM = "facebook"
LIST_PAGES_SCOPE = "pages_show_list"
PAGE_TASKS = ("ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE")
DEFAULT_PAGE_LIMIT = 25


def managed_pages(state: SandboxState) -> dict[str, str]:
    """Page id → name of the Pages the sandbox user manages."""
    settings = state.settings
    if settings.facebook_pages is not None:
        return dict(settings.facebook_pages)
    return {settings.facebook_page_id: f"Sandbox page {settings.facebook_page_id}"}


def _user_token(call: Call, token: str | None) -> tuple[IssuedToken, MetaToken] | Response:
    """The live Facebook user token ``token`` is, or the Graph error for it."""
    found = live_token(call, token, PLATFORM)
    if not isinstance(found, Response) and found[1].kind != "USER":
        return graph_error(
            400, 100, "(#100) Tried accessing nonexisting field (accounts) on node type (Page)"
        )
    return found


async def oauth_access_token(call: Call) -> Response:
    """``GET /{version}/oauth/access_token``: a code, or a user token to extend."""
    params = call.params()
    app = authenticate_fields(call.state, platform=PLATFORM, fields=params)
    if isinstance(app, Refusal):
        return oauth_refusal(app)
    now = call.state.now()
    if params.get("grant_type") == "fb_exchange_token":
        found = _user_token(call, params.get("fb_exchange_token"))
        if isinstance(found, Response):
            return found
        issued, _ = found
        if issued.client_id != params.get("client_id"):
            return graph_error(400, 100, "(#100) The token was issued to another app")
        meta = MetaToken("USER", now, long_lived=True)
        token = issue_meta_token(call.state, consent_of(call.state, issued), meta, LONG_LIVED)
        return token_answer(token, LONG_LIVED)
    if not params.get("code"):
        return graph_error(400, 100, "(#100) Missing required parameter: code")
    consent = redeem_fields(call.state, app, params)
    if isinstance(consent, Refusal):
        return oauth_refusal(consent)
    token = issue_meta_token(call.state, consent, MetaToken("USER", now), SHORT_LIVED)
    return token_answer(token, SHORT_LIVED)


async def accounts(call: Call) -> Response:
    """``GET /{version}/me/accounts``: the Pages the user manages, with their tokens."""
    found = _user_token(call, access_token(call))
    if isinstance(found, Response):
        return found
    issued, user = found
    if LIST_PAGES_SCOPE not in issued.scopes:
        return graph_error(400, 200, "(#200) Requires pages_show_list permission")
    pages = list(managed_pages(call.state).items())
    query = call.request.query_params
    limit = max(1, min(int(query.get("limit", DEFAULT_PAGE_LIMIT)), 100))
    start = _cursor_index(query.get("after"))
    chosen = pages[start : start + limit]
    # A Page token read with a long-lived user token never expires; otherwise it lasts as
    # long as the user token.
    ttl = (
        None
        if user.long_lived or issued.expires_at is None
        else issued.expires_at - call.state.now()
    )
    wanted = set(query.get("fields", "access_token,category,name,id,tasks").split(","))
    data = []
    for page_id, name in chosen:
        consent = Consent(PLATFORM, issued.client_id, issued.scopes, Account(page_id, name))
        token = issue_meta_token(call.state, consent, MetaToken("PAGE", call.state.now()), ttl)
        entry: JSON = {
            "access_token": token,
            "category": "Community",
            "name": name,
            "id": page_id,
            "tasks": list(PAGE_TASKS),
        }
        data.append({k: v for k, v in entry.items() if k in wanted or k == "id"})
    paging: JSON = {}
    if chosen:
        paging["cursors"] = {"before": _cursor(start), "after": _cursor(start + len(chosen) - 1)}
    if start + limit < len(pages):
        rest = {**dict(query), "after": _cursor(start + limit - 1)}
        paging["next"] = f"{call.base_url}{call.request.url.path}?{urlencode(rest)}"
    return json_response({"data": data, "paging": paging})


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(str(index).encode()).decode()


def _cursor_index(cursor: str | None) -> int:
    """The index after the one ``cursor`` names (0 without one)."""
    if not cursor:
        return 0
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode()) + 1
    except ValueError:
        return 0


async def debug_token(call: Call) -> Response:
    """``GET /debug_token``: what a token is, for its own app."""
    caller = access_token(call)
    if caller is None:
        return call.dialect.auth_failed("missing")
    app_id = _calling_app(call.state, caller)
    if app_id is None:
        return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
    input_token = call.params().get("input_token")
    if not isinstance(input_token, str) or not input_token:
        return graph_error(400, 100, "(#100) The parameter input_token is required")
    issued, meta = issued_token(call.state, input_token), meta_token(call.state, input_token)
    if issued is None or meta is None or issued.client_id != app_id:
        error = {"code": 190, "message": "Invalid OAuth access token."}
        return json_response({"data": {"is_valid": False, "error": error, "scopes": []}})
    data: JSON = {
        "app_id": app_id,
        **described(call.state, issued, meta, user_id=FACEBOOK_USER_ID),
    }
    if meta.kind == "PAGE":
        data["profile_id"] = issued.account_id
        # A Page token stops working once its user no longer manages the Page.
        data["is_valid"] = data["is_valid"] and issued.account_id in managed_pages(call.state)
    return json_response({"data": data})


def _calling_app(state: SandboxState, token: str) -> str | None:
    """The app asking: by its app token ``{app-id}|{app-secret}``, or by a live token it was
    issued."""
    app_id, bar, secret = token.partition("|")
    if bar:
        app = oauth_app(state, app_id)
        if app is None or app.platform != PLATFORM:
            return None
        return app_id if hmac.compare_digest(app.client_secret.encode(), secret.encode()) else None
    issued = issued_token(state, token)
    if issued is None or issued.platform != PLATFORM or issued.failure(state.now()) is not None:
        return None
    return issued.client_id


def page_of(state: SandboxState, token: str) -> str | None:
    """The Page a sandbox-issued Page token belongs to (None: not one)."""
    issued, meta = issued_token(state, token), meta_token(state, token)
    if issued is None or meta is None or meta.kind != "PAGE":
        return None
    return issued.account_id


def page_lost(state: SandboxState, token: str) -> bool:
    """Whether ``token`` is a sandbox-issued Page token whose Page the user no longer manages."""
    page_id = page_of(state, token)
    return page_id is not None and page_id not in managed_pages(state)
