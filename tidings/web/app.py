"""The web app: ``create_app(config, database)`` builds the Starlette application.

Requests pass, outermost first: security headers → the signed session cookie → the 500 page
for a bug → the CSRF check on every unsafe request → no NUL in a query or form → the login
check on every page but /login, /static, the signed /media links, the probes (/healthz,
/readyz, /metrics: ``health``) and the calendar feed (its token is its credential:
``calendar_feed``) → the routes. Errors become pages (``error_pages``), never tracebacks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from drafts.config import Config
from drafts.storage import Database
from drafts.times import utcnow
from drafts.web_sessions import LIFETIME
from scheduler.media_links import media_link_key
from tidings.api.app import PREFIX as API_PREFIX
from tidings.api.app import create_api
from tidings.web import (
    auth,
    calendar,
    calendar_feed,
    channels_page,
    compose,
    connect_page,
    desk,
    draft_page,
    health,
    import_page,
    inbox,
    media,
    notifications_page,
    outcomes,
    preferences,
    tokens_page,
    users_page,
)
from tidings.web.auth import LoginRequired
from tidings.web.context import WebContext
from tidings.web.csrf import CsrfMiddleware
from tidings.web.error_pages import InternalErrors, error_app, error_handlers
from tidings.web.form_text import RefuseNul
from tidings.web.pages import Pages
from tidings.web.session_key import session_key
from tidings.web.translations import N_

STATIC = Path(__file__).resolve().parent / "static"
HTMX = STATIC / "vendor" / "htmx.org" / "htmx.min.js"  # fetched by `make assets`
SESSION_COOKIE = "tidings_session"
SESSION_MAX_AGE = int(LIFETIME.total_seconds())  # the cookie goes when its session ends
FORM_REFUSED = N_(
    "This form has expired or did not come from Tidings: reload the page and try again."
)
FORM_TOO_LARGE = N_("This form is too large to be read.")
log = logging.getLogger("tidings.web")
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action %(form_action)s; frame-ancestors 'none'; base-uri 'none'"
)
# Behind TLS, browsers keep to HTTPS for a year. Without includeSubDomains: Tidings may be served
# from an organisation's own domain, and an app must not bind every site under it to HTTPS.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


def content_security_policy(config: Config) -> str:
    """The content policy of every response. Forms post to this app alone, and to the consent
    pages of the channels connected through OAuth: browsers apply form-action to the redirect
    that answers a form (the Connect button's POST is answered with one to the platform)."""
    consent = sorted({o for c in config.channels if (o := connect_page.consent_origin(c))})
    return CONTENT_SECURITY_POLICY % {"form_action": " ".join(["'self'", *consent])}


def create_app(
    config: Config,
    database: Database,
    *,
    secret_key: str | None = None,
    https_only: bool = False,
    now: Callable[[], datetime] = utcnow,
) -> Starlette:
    """The web app over ``database``; the cookie key comes from the environment unless given.

    Raises ``ConfigError`` (one line) when no key is set (the same variables give the key of
    the media links the daemon signs). ``https_only`` marks the session
    cookie Secure and has browsers keep to HTTPS (HSTS), for a deployment behind HTTPS. ``now``
    is the clock ``/readyz`` judges a daemon's heartbeat by.
    """
    key = secret_key or session_key()
    link_key = media_link_key()
    if not HTMX.is_file():
        log.warning(
            "web: %s is missing (run `make assets`): previews update only when Preview is pressed",
            HTMX,
        )
    web = WebContext(config=config, database=database, pages=Pages())
    routes: list[BaseRoute] = [
        *auth.routes(web),
        *desk.routes(web),
        *inbox.routes(web),
        *draft_page.routes(web),
        *compose.routes(web),
        *import_page.routes(web),
        *preferences.routes(web),
        *calendar.routes(web),
        *calendar_feed.routes(web),
        *outcomes.routes(web),
        *channels_page.routes(web),
        *users_page.routes(web),
        *tokens_page.routes(web),
        *notifications_page.routes(web),
        *media.routes(web, link_key),
        *health.routes(web, now),
        Mount(API_PREFIX, app=create_api(config, database, now=now)),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders, policy=content_security_policy(config), https_only=https_only),
        Middleware(
            SessionMiddleware,
            secret_key=key,
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_MAX_AGE,
            same_site="lax",
            https_only=https_only,
        ),
        Middleware(InternalErrors, pages=web.pages),
        Middleware(
            CsrfMiddleware,
            refuse=error_app(web.pages, 403, FORM_REFUSED),
            too_large=error_app(web.pages, 413, FORM_TOO_LARGE),
        ),
        Middleware(RefuseNul, pages=web.pages),
        Middleware(LoginRequired, database=database, default_zone=config.zone),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers=error_handlers(web.pages),
    )
    app.state.pages = web.pages
    return app


class SecurityHeaders:
    """Headers every response carries: a strict content policy, no framing, no sniffing;
    pages (not static files) are never cached, as they show who is logged in, unless the route
    says how to cache what it serves (an image, ``media``). ``https_only`` adds
    Strict-Transport-Security."""

    def __init__(self, app: ASGIApp, *, policy: str, https_only: bool = False) -> None:
        self.app = app
        self.policy = policy
        self.https_only = https_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = self.policy
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "same-origin"
                if self.https_only:
                    headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
