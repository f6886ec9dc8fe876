"""The sandbox's consent page: one handler at every platform's authorization path.

PLATFORMS.md §10.3: X ``/i/oauth2/authorize``, LinkedIn ``/oauth/v2/authorization``, Facebook
``/{graph_version}/dialog/oauth``, Threads and Mastodon both ``/oauth/authorize`` (told apart
by the platform the client id was registered for). ``GET`` shows "Tidings sandbox: <app> wants
to post as <account>" with the requested scopes as checkboxes (untick one to grant less) and
Allow and Deny buttons, which ``POST`` the same fields back to the same path.

It validates as the platforms do: an unknown client id, or a redirect URI not registered for
it, is an error page (400, never a redirect: the redirect is what cannot be trusted); any other
problem, and a denial, go back to the redirect URI with ``error`` and ``state`` (RFC 6749
§4.1.2.1). Allow redirects with ``code`` and ``state`` (§4.1.2).
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from scheduler.sandbox.exchange import Call, Dialect, endpoint, reason, sandbox_state
from scheduler.sandbox.oauth import (
    PKCE_REQUIRED,
    Consent,
    OAuthApp,
    account_for,
    issue_code,
    oauth_app,
)

# RFC 7636 §4.2: BASE64URL(SHA256(verifier)) without padding is always 43 characters.
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
_GRAPH_VERSION = re.compile(r"v\d+\.\d+")
# Fields the form adds; every other field is the authorization request, sent back hidden.
_FORM_FIELDS = ("decision", "grant")
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;"
    "color:#1d2330}button{font-size:1rem;padding:.4rem 1.2rem;margin-right:.6rem}"
    "li{list-style:none;margin:.2rem 0}"
)


class ConsentDialect(Dialect):
    """A consent page's errors are pages too."""

    def __init__(self, platform: str) -> None:
        self.platform = platform

    def error(self, status: int, message: str | None = None) -> Response:
        return error_page(message or reason(status), status)


#: The platforms that share ``/oauth/authorize``.
_SHARED = {name: ConsentDialect(name) for name in ("threads", "mastodon")}


def error_page(message: str, status: int = 400) -> Response:
    """The page a platform shows when it cannot send the user back to the app."""
    body = f"<h1>Authorization error</h1><p>{escape(message)}</p>"
    return _document("Authorization error", body, status)


def _document(title: str, body: str, status: int = 200) -> Response:
    return HTMLResponse(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{_STYLE}</style></head><body>{body}</body></html>",
        status,
    )


def _fields(call: Call) -> list[tuple[str, str]]:
    """The authorization request's fields: the query of a GET, the form of a POST."""
    if call.request.method == "GET":
        return list(call.request.query_params.multi_items())
    return parse_qsl(call.body.decode(errors="replace"), keep_blank_values=True)


def requested_scopes(value: str) -> tuple[str, ...]:
    """Scopes as asked: space-separated (X, LinkedIn, Mastodon) or comma-separated (Meta)."""
    return tuple(dict.fromkeys(s for s in re.split(r"[\s,]+", value) if s))


def _back(redirect_uri: str, **params: str | None) -> Response:
    """A 302 to ``redirect_uri`` with ``params`` added to any query it already has."""
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return RedirectResponse(urlunsplit(parts._replace(query=urlencode(query))), 302)


def _request_problem(params: dict[str, str], platform: str) -> tuple[str, str] | None:
    """What is wrong with a request from a known client to a registered redirect URI."""
    response_type = params.get("response_type")
    if not response_type:
        return "invalid_request", "Missing required parameter [response_type]."
    if response_type != "code":
        return "unsupported_response_type", "Only response_type=code is supported."
    challenge = params.get("code_challenge")
    if challenge is None:
        if platform in PKCE_REQUIRED:
            return "invalid_request", "Missing required parameter [code_challenge]."
        return None
    if params.get("code_challenge_method") != "S256":
        return "invalid_request", "code_challenge_method must be S256."
    if not _S256_CHALLENGE.fullmatch(challenge):
        return "invalid_request", "code_challenge is not an S256 challenge."
    return None


async def _consent(call: Call) -> Response:
    platform = call.dialect.platform
    fields = _fields(call)
    params = dict(fields)
    if platform == "facebook" and not _GRAPH_VERSION.fullmatch(
        call.request.path_params["graph_version"]
    ):
        return error_page("Unknown path components", 404)
    app = oauth_app(call.state, params.get("client_id", ""))
    if app is None or app.platform != platform:
        return error_page("Invalid client_id: no app is registered with this id.")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in app.redirect_uris:
        return error_page("The redirect_uri does not match the ones registered for this app.")
    state = params.get("state")
    problem = _request_problem(params, platform)
    if problem is not None:
        return _back(redirect_uri, error=problem[0], error_description=problem[1], state=state)
    requested = requested_scopes(params.get("scope", ""))
    if call.request.method == "GET":
        return _page(call, app, fields, requested)
    decision = params.get("decision")
    if decision == "deny":
        description = "The user denied the request."
        return _back(
            redirect_uri, error="access_denied", error_description=description, state=state
        )
    if decision != "allow":
        return error_page("Choose Allow or Deny.")
    granted = {value for name, value in fields if name == "grant"}
    consent = Consent(
        platform=platform,
        client_id=app.client_id,
        scopes=tuple(s for s in requested if s in granted),
        account=account_for(call.state, platform),
    )
    code = issue_code(
        call.state, consent, redirect_uri=redirect_uri, challenge=params.get("code_challenge")
    )
    return _back(redirect_uri, code=code, state=state)


def _page(
    call: Call, app: OAuthApp, fields: list[tuple[str, str]], requested: tuple[str, ...]
) -> Response:
    account = account_for(call.state, app.platform)
    hidden = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in fields
        if name not in _FORM_FIELDS
    )
    scopes = "".join(
        f'<li><label><input type="checkbox" name="grant" value="{escape(scope)}" checked> '
        f"{escape(scope)}</label></li>"
        for scope in requested
    )
    title = f"Tidings sandbox: {app.name} wants to post as {account.name}"
    body = (
        f"<h1>{escape(title)}</h1><p>{escape(app.platform)} · {escape(account.id)}</p>"
        f'<form method="post" action="{escape(call.request.url.path)}">{hidden}'
        f"<p>It asks for:</p><ul>{scopes or '<li>no scopes</li>'}</ul>"
        '<button type="submit" name="decision" value="allow">Allow</button>'
        '<button type="submit" name="decision" value="deny">Deny</button></form>'
    )
    return _document(title, body)


async def _shared(request: Request) -> Response:
    """``/oauth/authorize``: Threads' or Mastodon's page, by the client's platform."""
    if request.method == "GET":
        client_id = request.query_params.get("client_id", "")
    else:
        client_id = dict(parse_qsl((await request.body()).decode(errors="replace"))).get(
            "client_id", ""
        )
    app = oauth_app(sandbox_state(request), client_id)
    if app is None or app.platform not in _SHARED:
        return error_page("Invalid client_id: no app is registered with this id.")
    return await endpoint(_SHARED[app.platform], _consent)(request)


def routes() -> list[BaseRoute]:
    """The consent page at each platform's authorization path."""
    paths = {
        "x": "/i/oauth2/authorize",
        "linkedin": "/oauth/v2/authorization",
        "facebook": "/{graph_version}/dialog/oauth",
    }
    found: list[BaseRoute] = [
        Route(path, endpoint(ConsentDialect(platform), _consent), methods=["GET", "POST"])
        for platform, path in paths.items()
    ]
    return [*found, Route("/oauth/authorize", _shared, methods=["GET", "POST"])]
