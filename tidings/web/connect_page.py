"""Connecting and disconnecting a channel from the Channels page (admins only; others get the
403 page, every change a POST through the CSRF check).

OAuth platforms: ``POST /channels/{id}/connect`` begins a flow (``scheduler.connect.flow``)
bound to this login and sends the admin to the platform's consent page; the platform sends them
back to ``GET /channels/{id}/callback``, whose ``state`` is taken once, and whose code is
exchanged for the credential (``connector.exchange``) stored in the vault
(``scheduler.connections.save_connection``). Bluesky and Telegram: ``GET /channels/{id}/connect``
shows a form for the app password or bot token, checked with the platform before it is stored;
it is never written back into a page. ``GET /channels/{id}/disconnect`` asks first,
``POST`` deletes the credential.

Every refusal is one line on the page (``connect_words``), and stores nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from drafts.channels import ChannelBase, MastodonChannel
from drafts.config import Config
from drafts.errors import NotFoundError, TidingsError
from drafts.media_limits import PLATFORM_NAMES
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Capability, require
from scheduler.connect import connector_for
from scheduler.connect.base import Connector, OAuthClient, OAuthConnector, SecretConnector
from scheduler.connect.flow import Begun, Consumed, StateProblem, begin, consume
from scheduler.connections import Grant, delete_connection, save_connection
from scheduler.credentials import remember, scrub, vault_key_trouble
from scheduler.vault import Sealer
from tidings.web.auth import KEY, Viewer
from tidings.web.connect_clients import configured_client, kept_client, registered_client
from tidings.web.connect_words import (
    APP_GONE,
    CONNECTED,
    DENIED,
    DISCONNECTED,
    EMPTY_SECRET,
    NO_CODE,
    NO_PUBLIC_URL,
    NO_VAULT_KEY,
    NOT_CONNECTED,
    PLATFORM_REFUSED,
    STATE_PROBLEMS,
    Refusal,
)
from tidings.web.context import WebContext, off_loop
from tidings.web.pages import flash

HTTP_TIMEOUT = 15.0  # seconds per request to the platform while the admin waits
SECRET_FIELD = "secret"
MAX_SECRET_LENGTH = (
    4096  # no app password or bot token comes near; a longer one is a paste gone wrong
)
MAX_ERROR_CODE_LENGTH = 80  # an OAuth error code (RFC 6749 §4.1.2.1) is a short ASCII word
PLACEHOLDER_CHALLENGE = "A" * 43  # an S256 challenge's length (RFC 7636 §4.2), for consent_origin

# Shows the Channels page with a refusal above it (``channels_page`` passes it in).
ShowChannels = Callable[[Request, Refusal], Awaitable[Response]]


def routes(web: WebContext, show_channels: ShowChannels) -> list[Route]:
    async def refused(request: Request, refusal: Refusal) -> Response:
        return await show_channels(request, refusal)

    async def connect_form(request: Request) -> Response:
        admin(request)
        channel, connector = connectable(web.config, request)
        trouble = vault_refusal()
        return web.pages.render(
            request,
            "connect.html",
            status=200 if trouble is None else 400,
            channel=channel,
            platform_name=platform_name(channel),
            secret_label=connector.secret_label if isinstance(connector, SecretConnector) else None,
            error=trouble.said(web.pages.gettext(request)) if trouble is not None else None,
        )

    async def connect(request: Request) -> Response:
        viewer = admin(request)
        channel, connector = connectable(web.config, request)
        if (trouble := vault_refusal()) is not None:
            return await refused(request, trouble)
        if isinstance(connector, SecretConnector):
            return await connect_with_secret(request, viewer, channel, connector)
        assert isinstance(connector, OAuthConnector)
        return await start_oauth(request, viewer, channel, connector)

    async def connect_with_secret(
        request: Request, viewer: Viewer, channel: ChannelBase, connector: SecretConnector[Any]
    ) -> Response:
        form = await request.form()
        secret = str(form.get(SECRET_FIELD, ""))[:MAX_SECRET_LENGTH]
        remember(secret)  # whatever the platform or a library quotes back, scrubbed
        if not secret.strip():
            label = web.pages.gettext(request)(connector.secret_label)
            return secret_form(request, channel, connector, Refusal(EMPTY_SECRET, {"label": label}))
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
                grant = await connector.verify(http, channel, secret, now=utcnow())
        except TidingsError as error:
            return secret_form(request, channel, connector, Refusal.raised(error))
        return await connected(request, viewer, channel, grant)

    def secret_form(
        request: Request, channel: ChannelBase, connector: SecretConnector[Any], refusal: Refusal
    ) -> Response:
        return web.pages.render(
            request,
            "connect.html",
            status=400,
            channel=channel,
            platform_name=platform_name(channel),
            secret_label=connector.secret_label,
            error=refusal.said(web.pages.gettext(request)),
        )

    async def start_oauth(
        request: Request, viewer: Viewer, channel: ChannelBase, connector: OAuthConnector[Any]
    ) -> Response:
        redirect_uri = callback_url(web.config, channel)
        if redirect_uri is None:
            return await refused(request, Refusal(NO_PUBLIC_URL, words(channel)))
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
                client = await starting_client(http, connector, channel, redirect_uri)
        except TidingsError as error:
            return await refused(request, Refusal.raised(error))
        if isinstance(client, Refusal):
            return await refused(request, client)
        begun = await off_loop(
            _begin, web.database, viewer, channel, request.session[KEY], redirect_uri, connector
        )
        url = connector.authorization_url(
            channel,
            client,
            redirect_uri=redirect_uri,
            state=begun.state,
            code_challenge=begun.code_challenge,
        )
        return RedirectResponse(url, status_code=303)

    async def callback(request: Request) -> Response:
        viewer = admin(request)
        channel, connector = connectable(web.config, request)
        if not isinstance(connector, OAuthConnector):
            raise NotFoundError(f"channel {channel.id} is not connected through OAuth")
        if (trouble := vault_refusal()) is not None:
            return await refused(request, trouble)
        query = request.query_params
        taken = await off_loop(
            _consume, web.database, channel, str(query.get("state", "")), request.session[KEY]
        )
        if isinstance(taken, StateProblem):
            return await refused(request, Refusal(STATE_PROBLEMS[taken], words(channel)))
        if (answer := query.get("error")) is not None:
            return await refused(request, platform_refusal(channel, answer))
        code = query.get("code")
        if not code:
            return await refused(request, Refusal(NO_CODE, words(channel)))
        client = await returning_client(connector, channel, taken.redirect_uri)
        if isinstance(client, Refusal):
            return await refused(request, client)
        remember(code)
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
                grant = await connector.exchange(
                    http,
                    channel,
                    client,
                    code=code,
                    redirect_uri=taken.redirect_uri,
                    verifier=taken.verifier,
                    now=utcnow(),
                )
        except TidingsError as error:
            return await refused(request, Refusal.raised(error))
        return await connected(request, viewer, channel, grant)

    async def starting_client(
        http: httpx.AsyncClient,
        connector: OAuthConnector[Any],
        channel: ChannelBase,
        redirect_uri: str,
    ) -> OAuthClient | Refusal:
        """The app to connect as: configured, or registered on a Mastodon instance now."""
        if connector.registers_app and isinstance(channel, MastodonChannel):
            return await registered_client(
                http, web.database, _sealer(), connector, channel, redirect_uri=redirect_uri
            )
        return configured_client(web.config, channel)

    async def returning_client(
        connector: OAuthConnector[Any], channel: ChannelBase, redirect_uri: str
    ) -> OAuthClient | Refusal:
        """The app the flow began as, to exchange its code."""
        if connector.registers_app and isinstance(channel, MastodonChannel):
            kept = await off_loop(
                kept_client, web.database, _sealer(), channel, redirect_uri=redirect_uri
            )
            instance = channel.base_url
            return kept or Refusal(APP_GONE, {"instance": instance, "channel": channel.id})
        return configured_client(web.config, channel)

    async def connected(
        request: Request, viewer: Viewer, channel: ChannelBase, grant: Grant
    ) -> Response:
        await off_loop(_save, web.database, viewer, channel, grant)
        _ = web.pages.gettext(request)
        account = scrub(grant.account_name or grant.account_id)
        flash(request, _(CONNECTED) % {"channel": channel.id, "account": account})
        return RedirectResponse("/channels", status_code=303)

    async def disconnect_form(request: Request) -> Response:
        admin(request)
        channel, _connector = connectable(web.config, request)
        return web.pages.render(
            request,
            "disconnect.html",
            channel=channel,
            platform_name=platform_name(channel),
            variable=channel.secret_variable,
        )

    async def disconnect(request: Request) -> Response:
        viewer = admin(request)
        channel, _connector = connectable(web.config, request)
        deleted = await off_loop(_delete, web.database, viewer, channel)
        _ = web.pages.gettext(request)
        flash(request, _(DISCONNECTED if deleted else NOT_CONNECTED) % {"channel": channel.id})
        return RedirectResponse("/channels", status_code=303)

    return [
        Route("/channels/{channel}/connect", connect_form, methods=["GET"]),
        Route("/channels/{channel}/connect", connect, methods=["POST"]),
        Route("/channels/{channel}/callback", callback, methods=["GET"]),
        Route("/channels/{channel}/disconnect", disconnect_form, methods=["GET"]),
        Route("/channels/{channel}/disconnect", disconnect, methods=["POST"]),
    ]


def admin(request: Request) -> Viewer:
    """The viewer, if their role may connect channels; else ``ReviewError`` (the 403 page)."""
    viewer: Viewer = request.state.viewer
    require(viewer.user, Capability.CONNECT_CHANNELS)
    return viewer


def connectable(config: Config, request: Request) -> tuple[ChannelBase, Connector[Any]]:
    """The channel the path names and its connector; ``NotFoundError`` (404) for an unknown
    channel and for a webhook, which has nothing to connect."""
    channel = config.channel(request.path_params["channel"])
    try:
        return channel, connector_for(channel)
    except LookupError as error:
        raise NotFoundError(str(error)) from None


def platform_name(channel: ChannelBase) -> str:
    return PLATFORM_NAMES.get(channel.platform, channel.platform)


def words(channel: ChannelBase) -> dict[str, str]:
    """What refusals about ``channel`` name."""
    return {"channel": channel.id, "platform": platform_name(channel)}


def callback_url(config: Config, channel: ChannelBase) -> str | None:
    """Where the platform sends the admin back: ``[web] public_url`` + /channels/<id>/callback."""
    public = config.web.public_url
    return f"{public}/channels/{channel.id}/callback" if public is not None else None


def consent_origin(channel: ChannelBase) -> str | None:
    """The origin of ``channel``'s consent page, where pressing Connect sends the admin; ``None``
    for a channel connected without one. Only the URL's origin is kept, so it is built with
    placeholders (it needs no request to the platform)."""
    try:
        connector = connector_for(channel)
    except LookupError:
        return None
    if not isinstance(connector, OAuthConnector):
        return None
    url = connector.authorization_url(
        channel,
        OAuthClient("origin-only"),
        redirect_uri="",
        state="",
        code_challenge=PLACEHOLDER_CHALLENGE if connector.pkce else None,
    )
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def vault_refusal() -> Refusal | None:
    """Why the vault cannot store a credential here (TIDINGS_SECRET_KEY unset or too short)."""
    trouble = vault_key_trouble()
    return Refusal(NO_VAULT_KEY, {"trouble": trouble}) if trouble is not None else None


def platform_refusal(channel: ChannelBase, answer: str) -> Refusal:
    """What the platform's ``error`` (RFC 6749 §4.1.2.1) means for the admin."""
    if answer == "access_denied":
        return Refusal(DENIED, words(channel))
    code = "".join(c for c in answer[:MAX_ERROR_CODE_LENGTH] if c.isascii() and c.isprintable())
    return Refusal(PLATFORM_REFUSED, {**words(channel), "error": code})


def _sealer() -> Sealer:
    return Sealer.from_environment()


def _begin(
    database: Database,
    viewer: Viewer,
    channel: ChannelBase,
    session_key: str,
    redirect_uri: str,
    connector: OAuthConnector[Any],
) -> Begun:
    with database.writing() as session:
        require(viewer.acting(session), Capability.CONNECT_CHANNELS)  # the role as stored now
        return begin(
            session,
            _sealer(),
            channel=channel.id,
            session_key=session_key,
            user_id=viewer.id,
            redirect_uri=redirect_uri,
            pkce=connector.pkce,
            now=utcnow(),
        )


def _consume(
    database: Database, channel: ChannelBase, state: str, session_key: str
) -> Consumed | StateProblem:
    with database.writing() as session:
        return consume(
            session,
            _sealer(),
            state=state,
            channel=channel.id,
            session_key=session_key,
            now=utcnow(),
        )


def _save(database: Database, viewer: Viewer, channel: ChannelBase, grant: Grant) -> None:
    with database.writing() as session:
        actor = viewer.acting(session)
        require(actor, Capability.CONNECT_CHANNELS)
        save_connection(
            session, _sealer(), channel=channel, grant=grant, connected_by=actor.name, now=utcnow()
        )


def _delete(database: Database, viewer: Viewer, channel: ChannelBase) -> bool:
    with database.writing() as session:
        require(viewer.acting(session), Capability.CONNECT_CHANNELS)
        return delete_connection(session, channel.id)
