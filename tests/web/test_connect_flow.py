"""Connecting an X channel from the Channels page, through the sandbox's consent page over
loopback HTTP: the whole flow, and each way it must stop with one line and nothing stored (a
forged, replayed, expired, misdirected or other login's ``state``, a denied consent, a redirect
the app did not register, a web without its public address, client id or vault key), and only
admins may do any of it."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, update
from sqlmodel import col, select
from starlette.applications import Starlette

from drafts.config import Config
from drafts.models import Connection, OAuthState, StoredCredential
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role
from scheduler.connect.flow import s256
from scheduler.connections import REFRESH, TOKEN
from scheduler.sandbox import RunningSandbox
from scheduler.sandbox.consent_client import answer_consent
from scheduler.sandbox.oauth import issued_token, register_oauth_app
from scheduler.vault import Sealer, load_secret
from tests.conftest import everything_stored, make_config
from tests.web.conftest import (
    SQLITE_ONLY,
    Person,
    add_people,
    client,
    csrf_token,
    elements,
    log_in,
    one,
    text,
)
from tidings.web.app import create_app

pytestmark = pytest.mark.anyio

PUBLIC_URL = "https://tidings.example.org"
CALLBACK = f"{PUBLIC_URL}/channels/x-en/callback"
CLIENT_ID_ENV, CLIENT_SECRET_ENV = "TIDINGS_T_X_CLIENT_ID", "TIDINGS_T_X_CLIENT_SECRET"
VAULT_KEY = "TIDINGS_SECRET_KEY"


def x_config(sandbox: RunningSandbox, *, public_url: bool = True) -> Config:
    web = f'[web]\npublic_url = "{PUBLIC_URL}"\n' if public_url else ""
    return make_config(
        f"""
[tidings]
timezone = "Asia/Seoul"
database = "sqlite:///unused.db"

{web}
[oauth.x]
client_id_env = "{CLIENT_ID_ENV}"
client_secret_env = "{CLIENT_SECRET_ENV}"

[[channels]]
id = "x-en"
platform = "x"
languages = ["en"]
base_url = "{sandbox.base_url}"

[[channels]]
id = "x-ko"
platform = "x"
languages = ["ko"]
base_url = "{sandbox.base_url}"
"""
    )


@pytest.fixture
def vault_key(web_secret: str, monkeypatch: pytest.MonkeyPatch) -> str:
    key = secrets.token_urlsafe(32)
    monkeypatch.setenv(VAULT_KEY, key)
    return key


@pytest.fixture
def x_app(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> str:
    """The X app registered with the sandbox for the callback, its id and secret in the
    environment; returns its secret."""
    client_id, secret = "x-" + secrets.token_hex(8), secrets.token_urlsafe(24)
    monkeypatch.setenv(CLIENT_ID_ENV, client_id)
    monkeypatch.setenv(CLIENT_SECRET_ENV, secret)
    register_oauth_app(
        sandbox.state,
        platform="x",
        client_id=client_id,
        client_secret=secret,
        redirect_uris=[CALLBACK, f"{PUBLIC_URL}/channels/x-ko/callback"],
    )
    return secret


@pytest.fixture
def admins(database: Database) -> dict[str, Person]:
    return add_people(database, {"mina": Role.AUTHOR, "hana": Role.ADMIN})


@pytest.fixture
def app(database: Database, sandbox: RunningSandbox, vault_key: str, x_app: str) -> Starlette:
    return create_app(x_config(sandbox), database)


@asynccontextmanager
async def logged_in(app: Starlette, person: Person) -> AsyncIterator[httpx.AsyncClient]:
    """A browser of its own (its own web session) with ``person`` logged in."""
    async with client(app) as browser:
        assert (await log_in(browser, person)).status_code == 303
        yield browser


@pytest.fixture
async def hana(app: Starlette, admins: dict[str, Person]) -> AsyncIterator[httpx.AsyncClient]:
    async with logged_in(app, admins["hana"]) as browser:
        yield browser


async def press_connect(browser: httpx.AsyncClient, channel: str = "x-en") -> httpx.Response:
    """Press the channel's Connect button on the Channels page."""
    page = await browser.get("/channels")
    action = f"/channels/{channel}/connect"
    assert elements(page.text, f'form[action="{action}"] button#connect-{channel}')
    return await browser.post(action, data={"csrf_token": csrf_token(page.text)})


async def consent_url(browser: httpx.AsyncClient, channel: str = "x-en") -> str:
    """Where pressing Connect sends the admin: the platform's consent page."""
    started = await press_connect(browser, channel)
    assert started.status_code == 303, started.text
    return started.headers["location"]


def consent(url: str, **answer: object) -> str:
    """Answer the sandbox's consent page as a browser would; where it sends the browser back."""
    with httpx.Client() as browser:
        response = answer_consent(browser, url, **answer)  # type: ignore[arg-type]
    assert response.status_code == 302, response.text
    return response.headers["location"]


async def come_back(browser: httpx.AsyncClient, location: str) -> httpx.Response:
    """Follow the platform's redirect to the callback, which is on this web app."""
    assert location.startswith(PUBLIC_URL + "/channels/")
    parts = urlsplit(location)
    return await browser.get(f"{parts.path}?{parts.query}")


def refusal(page: httpx.Response) -> str:
    assert page.status_code == 400, page.text
    return text(one(page.text, "#connect-error"))


def nothing_stored(database: Database) -> None:
    with database.reading() as session:
        assert session.exec(select(Connection)).all() == []
        assert session.exec(select(StoredCredential)).all() == []


def token_requests(sandbox: RunningSandbox) -> int:
    return len(sandbox.state.requests("x", path="/2/oauth2/token"))


async def test_an_admin_connects_x_through_the_consent_page(
    hana: httpx.AsyncClient,
    database: Database,
    sandbox: RunningSandbox,
    vault_key: str,
    x_app: str,
) -> None:
    before = await hana.get("/channels")
    assert one(before.text, "#connection-x-en")["data-state"] == "none"
    assert text(one(before.text, "#connection-x-en .connection-state")) == "Not connected"
    assert CALLBACK in text(one(before.text, "#connection-x-en .callback"))

    url = await consent_url(hana)
    assert url.startswith(f"{sandbox.base_url}/i/oauth2/authorize?")
    asked = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
    assert asked["redirect_uri"] == CALLBACK
    assert asked["code_challenge_method"] == "S256"
    with database.reading() as session:
        [flow] = session.exec(select(OAuthState)).all()
    # Only the state's digest is kept, and the verifier sealed: neither is in the URL's clear.
    assert asked["state"] not in everything_stored(database)
    verifier = Sealer(vault_key).open(flow.verifier, channel="x-en", kind="pkce")
    assert 43 <= len(verifier) <= 128 and verifier not in everything_stored(database)
    assert s256(verifier) == asked["code_challenge"]
    assert flow.expires_at - flow.created_at == timedelta(minutes=10)

    back = await come_back(hana, consent(url))
    assert back.status_code == 303 and back.headers["location"] == "/channels"
    page = await hana.get("/channels")
    assert text(one(page.text, "p.flash")) == "x-en is connected as @tidings_demo."
    card = one(page.text, "#connection-x-en")
    assert card["data-state"] == "connected"
    assert text(one(card, ".connection-account")).startswith("@tidings_demo")
    assert text(one(card, ".connection-by")).startswith("hana, ")
    scopes = text(one(card, ".connection-scopes"))
    assert scopes == "tweet.read tweet.write users.read media.write offline.access"
    assert text(one(card, ".connection-expiry")) == "expires in 2 hours; renews by itself"
    assert text(one(card, "button#connect-x-en")) == "Reconnect"
    assert one(card, "a#disconnect-x-en")["href"] == "/channels/x-en/disconnect"

    sealer = Sealer(vault_key)
    with database.reading() as session:
        token = load_secret(session, sealer, "x-en", TOKEN)
        refresh = load_secret(session, sealer, "x-en", REFRESH)
        row = session.get(Connection, "x-en")
        [flow] = session.exec(select(OAuthState)).all()
    assert token is not None and refresh is not None and row is not None
    assert issued_token(sandbox.state, token.value) is not None  # what the sandbox granted
    assert (row.connected_by, row.account_name) == ("hana", "@tidings_demo")
    assert flow.used_at is not None
    stored = everything_stored(database)
    for secret in (token.value, refresh.value, x_app, verifier):
        assert secret not in stored
        assert secret not in page.text and secret not in back.text


async def test_a_replayed_state_is_refused_and_changes_nothing(
    hana: httpx.AsyncClient, database: Database, sandbox: RunningSandbox, vault_key: str
) -> None:
    location = consent(await consent_url(hana))
    assert (await come_back(hana, location)).status_code == 303
    with database.reading() as session:
        before = load_secret(session, Sealer(vault_key), "x-en", TOKEN)
    exchanges = token_requests(sandbox)

    again = await come_back(hana, location)
    assert refusal(again) == (
        "This answer from X was already used once; press Connect again to connect anew. "
        "Nothing more was stored."
    )
    assert token_requests(sandbox) == exchanges  # the code was not sent again
    with database.reading() as session:
        assert load_secret(session, Sealer(vault_key), "x-en", TOKEN) == before


async def test_a_forged_state_is_refused_before_the_platform_is_asked(
    hana: httpx.AsyncClient, database: Database, sandbox: RunningSandbox
) -> None:
    forged = secrets.token_urlsafe(32)
    page = await hana.get(f"/channels/x-en/callback?code=abc&state={forged}")
    assert refusal(page) == (
        "This answer from X does not match any Connect button pressed here (forged, or long "
        "expired); nothing was connected."
    )
    missing = await hana.get("/channels/x-en/callback?code=abc")
    assert "carries no state" in refusal(missing)
    assert token_requests(sandbox) == 0
    nothing_stored(database)


async def test_a_state_from_another_login_is_refused_and_stays_for_its_own(
    app: Starlette,
    admins: dict[str, Person],
    hana: httpx.AsyncClient,
    database: Database,
    sandbox: RunningSandbox,
) -> None:
    location = consent(await consent_url(hana))
    # The same admin, logged in in another browser: another web session.
    async with logged_in(app, admins["hana"]) as other:
        page = await come_back(other, location)
    assert refusal(page).startswith("This answer from X belongs to another login")
    assert token_requests(sandbox) == 0
    nothing_stored(database)
    assert (await come_back(hana, location)).status_code == 303  # its own login may still


async def test_a_state_for_another_channel_is_refused(
    hana: httpx.AsyncClient, database: Database, sandbox: RunningSandbox
) -> None:
    location = consent(await consent_url(hana, "x-ko"))
    moved = location.replace("/channels/x-ko/callback", "/channels/x-en/callback")
    assert refusal(await come_back(hana, moved)) == (
        "This answer from X belongs to connecting another channel, not x-en; nothing was connected."
    )
    assert token_requests(sandbox) == 0
    nothing_stored(database)


async def test_an_expired_state_is_refused(
    hana: httpx.AsyncClient, database: Database, sandbox: RunningSandbox
) -> None:
    location = consent(await consent_url(hana))
    with database.writing() as session:  # ten minutes pass
        session.execute(update(OAuthState).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert refusal(await come_back(hana, location)).startswith(
        "Connecting took longer than 10 minutes"
    )
    assert token_requests(sandbox) == 0
    nothing_stored(database)


async def test_a_denied_consent_connects_nothing(
    hana: httpx.AsyncClient, database: Database, sandbox: RunningSandbox
) -> None:
    location = consent(await consent_url(hana), decision="deny")
    assert redirected_query_of(location)["error"] == "access_denied"
    page = await come_back(hana, location)
    assert refusal(page) == "Consent was denied on X; nothing was connected."
    assert one(page.text, "#connection-x-en")["data-state"] == "none"
    assert token_requests(sandbox) == 0
    nothing_stored(database)


def redirected_query_of(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


async def test_a_consent_without_a_scope_posting_needs_shows_it_missing(
    hana: httpx.AsyncClient,
) -> None:
    granted = ["tweet.read", "tweet.write", "users.read", "offline.access"]
    assert (
        await come_back(hana, consent(await consent_url(hana), grant=granted))
    ).status_code == 303
    page = await hana.get("/channels")
    missing = one(page.text, "#connection-x-en .missing-scopes")
    assert "problem" in missing["class"]
    assert text(missing).startswith("Missing: media.write;")


async def test_an_unregistered_redirect_is_stopped_at_the_platform(
    hana: httpx.AsyncClient,
    database: Database,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The X app was registered with another address than this web's callback.
    client_id = "x-" + secrets.token_hex(8)
    monkeypatch.setenv(CLIENT_ID_ENV, client_id)
    register_oauth_app(
        sandbox.state,
        platform="x",
        client_id=client_id,
        client_secret=secrets.token_urlsafe(24),
        redirect_uris=["https://elsewhere.example.org/callback"],
    )
    url = await consent_url(hana)
    with httpx.Client() as browser:
        page = answer_consent(browser, url)
    assert page.status_code == 400
    assert "The redirect_uri does not match the ones registered for this app." in page.text
    nothing_stored(database)
    # The Channels page names the address to register.
    channels = await hana.get("/channels")
    assert text(one(channels.text, "#connection-x-en .callback code")) == CALLBACK


@SQLITE_ONLY
async def test_only_admins_connect_or_disconnect(
    app: Starlette, admins: dict[str, Person], database: Database, sandbox: RunningSandbox
) -> None:
    async with logged_in(app, admins["mina"]) as mina:
        page = await mina.get("/channels")
        assert page.status_code == 200
        assert elements(page.text, ".connection-actions") == []
        token = {"csrf_token": csrf_token(page.text)}
        refused = [
            await mina.post("/channels/x-en/connect", data=token),
            await mina.get("/channels/x-en/connect"),
            await mina.get(f"/channels/x-en/callback?code=abc&state={secrets.token_urlsafe(8)}"),
            await mina.get("/channels/x-en/disconnect"),
            await mina.post("/channels/x-en/disconnect", data=token),
        ]
    assert [response.status_code for response in refused] == [403] * 5
    with database.reading() as session:
        assert session.exec(select(func.count()).select_from(OAuthState)).one() == 0
    nothing_stored(database)
    assert sandbox.state.requests("x") == []


@SQLITE_ONLY
async def test_connecting_needs_the_public_address_the_client_id_and_the_vault_key(
    database: Database,
    admins: dict[str, Person],
    sandbox: RunningSandbox,
    vault_key: str,
    x_app: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with logged_in(
        create_app(x_config(sandbox, public_url=False), database), admins["hana"]
    ) as browser:
        assert refusal(await press_connect(browser)).startswith(
            "Connecting X needs the address the platform sends you back to: set public_url "
            "under [web] in config.toml"
        )
    app = create_app(x_config(sandbox), database)
    async with logged_in(app, admins["hana"]) as browser:
        monkeypatch.delenv(CLIENT_ID_ENV)
        assert refusal(await press_connect(browser)) == (
            f"{CLIENT_ID_ENV} is not set where tidings web runs: it holds the client id of your "
            "X app ([oauth.x] client_id_env)."
        )
        monkeypatch.setenv(CLIENT_ID_ENV, "x-" + secrets.token_hex(8))
        monkeypatch.setenv(VAULT_KEY, "too-short")
        assert refusal(await press_connect(browser)) == (
            "Connecting needs TIDINGS_SECRET_KEY where tidings web runs, to encrypt the "
            "credential (shorter than 16 characters); set the same key for tidings web and "
            "tidings run."
        )
        monkeypatch.delenv(VAULT_KEY)
        assert "(not set)" in refusal(await browser.get("/channels/x-en/callback?code=a&state=b"))
    with database.reading() as session:
        assert session.exec(select(func.count()).select_from(OAuthState)).one() == 0
    nothing_stored(database)
    assert sandbox.state.requests("x") == []


async def test_disconnect_asks_first_then_deletes_the_credential(
    hana: httpx.AsyncClient, database: Database
) -> None:
    assert (await come_back(hana, consent(await consent_url(hana)))).status_code == 303
    confirm = await hana.get("/channels/x-en/disconnect")
    assert confirm.status_code == 200
    assert text(one(confirm.text, "button#disconnect-confirm")) == "Disconnect x-en"
    with database.reading() as session:
        assert session.get(Connection, "x-en") is not None  # asking changed nothing
    done = await hana.post(
        "/channels/x-en/disconnect", data={"csrf_token": csrf_token(confirm.text)}
    )
    assert done.status_code == 303
    page = await hana.get("/channels")
    assert text(one(page.text, "p.flash")) == (
        "x-en is disconnected; its stored credential was deleted."
    )
    assert one(page.text, "#connection-x-en")["data-state"] == "none"
    nothing_stored(database)
    with database.reading() as session:
        assert session.exec(select(OAuthState).where(col(OAuthState.used_at).is_(None))).all() == []


def mastodon_config(sandbox: RunningSandbox) -> Config:
    return make_config(
        f"""
[tidings]
timezone = "Asia/Seoul"
database = "sqlite:///unused.db"

[web]
public_url = "{PUBLIC_URL}"

[[channels]]
id = "toot"
platform = "mastodon"
languages = ["en"]
base_url = "{sandbox.base_url}"
"""
    )


async def test_mastodon_registers_its_app_once_and_connects(
    database: Database,
    sandbox: RunningSandbox,
    vault_key: str,
    admins: dict[str, Person],
) -> None:
    async with logged_in(create_app(mastodon_config(sandbox), database), admins["hana"]) as hana:
        page = await hana.get("/channels")
        assert elements(page.text, "#connection-toot .callback") == []  # nothing to register
        url = await consent_url(hana, "toot")
        assert url.startswith(f"{sandbox.base_url}/oauth/authorize?")
        assert (await come_back(hana, consent(url))).status_code == 303
        page = await hana.get("/channels")
        assert text(one(page.text, "p.flash")) == "toot is connected as @demo."
        assert one(page.text, "#connection-toot")["data-state"] == "connected"
        # Reconnecting uses the app registered the first time.
        assert (await come_back(hana, consent(await consent_url(hana, "toot")))).status_code == 303
    assert len(sandbox.state.requests("mastodon", path="/api/v1/apps")) == 1
    with database.reading() as session:
        kinds = session.exec(select(StoredCredential.kind)).all()
    assert sorted(kinds) == ["mastodon_app", "token"]
