"""How the demo connects its LinkedIn, Facebook and Threads channels: as an admin does it, from
the web app's Channels page, through the sandbox's consent page (PRODUCT.md "Connecting
accounts").

The sandbox knows Tidings as an OAuth app on each of these platforms (``register_oauth_app``,
the callback under ``[web] public_url`` as the one redirect URI); the app's client id and
secret are made now and reach the web app as an installation's do, through the environment
variables that ``[oauth.<platform>]`` names. The admin logs in over HTTP, presses Connect (a
POST with the page's CSRF token), is sent to the consent page, presses Allow, and comes back to
the callback, where the web app exchanges the code and stores the token in the vault. The
demo writes no token itself: the daemon publishes with what the flow stored.
"""

from __future__ import annotations

import html
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from drafts.config import Config
from drafts.storage import Database
from scheduler.connect.base import ConnectError
from scheduler.connections import connection
from scheduler.sandbox.consent_client import answer_consent
from scheduler.sandbox.oauth import register_oauth_app
from scheduler.sandbox.state import SandboxState
from tidings.web.connect_page import callback_url

#: The demo's channels connected from the Channels page (each named after its platform).
CONNECTED_CHANNELS = ("linkedin", "facebook", "threads")
HTTP_TIMEOUT = 30.0  # seconds: a callback waits for the web app's own requests to the sandbox
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_REFUSAL = re.compile(r'id="connect-error">([^<]*)<')


@dataclass(frozen=True)
class Admin:
    """The demo's admin as they log in to the web app (the password is made at run time)."""

    name: str
    password: str


def client_variables(platform: str) -> tuple[str, str]:
    """The environment variables of the demo's OAuth app on ``platform``: client id, secret."""
    prefix = f"TIDINGS_DEMO_{platform.upper()}_CLIENT"
    return f"{prefix}_ID", f"{prefix}_SECRET"


def oauth_sections() -> str:
    """The ``[oauth.<platform>]`` sections of the demo's config.toml."""
    sections = []
    for platform in CONNECTED_CHANNELS:
        client_id, secret = client_variables(platform)
        sections.append(
            f'[oauth.{platform}]\nclient_id_env = "{client_id}"\nclient_secret_env = "{secret}"\n'
        )
    return "\n".join(sections)


def register_apps(state: SandboxState, config: Config) -> None:
    """Tidings' OAuth app on each platform connected, registered with the sandbox for the
    channel's callback; its id and secret, made now, put where ``[oauth]`` says."""
    for channel_id in CONNECTED_CHANNELS:
        channel = config.channel(channel_id)
        redirect_uri = callback_url(config, channel)
        if redirect_uri is None:
            raise ConnectError(f"channel {channel_id}: the demo's config has no [web] public_url")
        id_variable, secret_variable = client_variables(channel.platform)
        client_id = f"tidings-demo-{channel.platform}-{secrets.token_hex(6)}"
        os.environ[id_variable] = client_id
        os.environ[secret_variable] = secrets.token_urlsafe(24)
        register_oauth_app(
            state,
            platform=channel.platform,
            client_id=client_id,
            client_secret=os.environ[secret_variable],
            redirect_uris=[redirect_uri],
        )


def connect_channels(origin: str, database: Database, admin: Admin) -> Iterator[tuple[str, str]]:
    """Log in to the web app at ``origin`` as ``admin`` and connect each of
    ``CONNECTED_CHANNELS`` in turn: each channel's id and the account it is now connected as,
    as soon as it is. ``ConnectError`` (one line) when a step is refused."""
    # Two clients, as the web session's cookie is the web app's alone (cookies ignore ports).
    with (
        httpx.Client(base_url=origin, timeout=HTTP_TIMEOUT) as web,
        httpx.Client(timeout=HTTP_TIMEOUT) as platform,
    ):
        _log_in(web, admin)
        for channel_id in CONNECTED_CHANNELS:
            _connect(web, platform, channel_id)
            yield channel_id, _connected_account(database, channel_id)


def _log_in(web: httpx.Client, admin: Admin) -> None:
    page = web.get("/login")
    form = {"name": admin.name, "password": admin.password, "csrf_token": _csrf_token(page)}
    if web.post("/login", data=form).status_code != 303:
        raise ConnectError(f"the demo's admin {admin.name} could not log in to the web app")


def _connect(web: httpx.Client, platform: httpx.Client, channel_id: str) -> None:
    """Connect, Allow on the consent page, back to the callback: the flow a browser goes
    through, each answer checked."""
    page = web.get("/channels")
    started = web.post(f"/channels/{channel_id}/connect", data={"csrf_token": _csrf_token(page)})
    consent_url = _redirect(started, channel_id, "pressing Connect")
    allowed = answer_consent(platform, consent_url)
    callback = _redirect(allowed, channel_id, "answering the consent page", status=302)
    _redirect(web.get(callback), channel_id, "coming back from the consent page")


def _redirect(response: httpx.Response, channel_id: str, step: str, *, status: int = 303) -> str:
    """Where ``response`` sends the browser; ``ConnectError`` with the page's own line when it
    is a refusal instead."""
    if response.status_code == status:
        return response.headers["location"]
    found = _REFUSAL.search(response.text)
    reason = html.unescape(found[1]).strip() if found else f"status {response.status_code}"
    raise ConnectError(f"channel {channel_id}: {step} failed: {reason}")


def _csrf_token(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    if found is None:
        raise ConnectError(f"the web app's {page.url.path} page has no form to send")
    return html.unescape(found[1])


def _connected_account(database: Database, channel_id: str) -> str:
    """Who the stored connection posts as, as the Channels page names them."""
    with database.reading() as session:
        row = connection(session, channel_id)
    if row is None:
        raise ConnectError(f"channel {channel_id}: the web app stored no connection")
    return row.account_name or row.account_id
