"""Connecting Bluesky with an app password and Telegram with a bot token from the Channels page,
against the sandbox over loopback: checked with the platform before anything is stored, a
refusal shown on the form in one line, and the secret never written back into a page."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette

from drafts.config import Config
from drafts.models import Connection, StoredCredential
from drafts.storage import Database
from drafts.users import Role
from scheduler.connections import TOKEN
from scheduler.sandbox import RunningSandbox
from scheduler.sandbox.bluesky import add_account, did_for
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

HANDLE = "tidings.test"
BOT_ID = 7000000123
VAULT_KEY = "TIDINGS_SECRET_KEY"


def secrets_config(sandbox: RunningSandbox) -> Config:
    return make_config(
        f"""
[tidings]
timezone = "Asia/Seoul"
database = "sqlite:///unused.db"

[[channels]]
id = "bsky"
platform = "bluesky"
languages = ["en"]
handle = "{HANDLE}"
base_url = "{sandbox.base_url}"

[[channels]]
id = "tg"
platform = "telegram"
languages = ["en"]
chat_id = "@tidings_news"
base_url = "{sandbox.base_url}"
token_env = "TIDINGS_T_TELEGRAM_TOKEN"

[[channels]]
id = "hook"
platform = "webhook"
languages = ["en"]
url = "{sandbox.base_url}/webhook"
"""
    )


@pytest.fixture
def vault_key(web_secret: str, monkeypatch: pytest.MonkeyPatch) -> str:
    key = secrets.token_urlsafe(32)
    monkeypatch.setenv(VAULT_KEY, key)
    return key


@pytest.fixture
def app_password(sandbox: RunningSandbox) -> str:
    """An app password of ``HANDLE`` on the sandbox (the account's own is another)."""
    password = "-".join(secrets.token_hex(2) for _ in range(4))
    add_account(
        sandbox.state, HANDLE, password=secrets.token_urlsafe(16), app_passwords=(password,)
    )
    return password


@pytest.fixture
def app(database: Database, sandbox: RunningSandbox, vault_key: str) -> Starlette:
    return create_app(secrets_config(sandbox), database)


@pytest.fixture
def people(database: Database) -> dict[str, Person]:
    return add_people(database, {"mina": Role.AUTHOR, "hana": Role.ADMIN})


@asynccontextmanager
async def logged_in(app: Starlette, person: Person) -> AsyncIterator[httpx.AsyncClient]:
    async with client(app) as browser:
        assert (await log_in(browser, person)).status_code == 303
        yield browser


@pytest.fixture
async def hana(app: Starlette, people: dict[str, Person]) -> AsyncIterator[httpx.AsyncClient]:
    async with logged_in(app, people["hana"]) as browser:
        yield browser


async def send_secret(browser: httpx.AsyncClient, channel: str, secret: str) -> httpx.Response:
    """Open the channel's connect form from the Channels page and send ``secret`` with it."""
    channels = await browser.get("/channels")
    form_page = await browser.get(str(one(channels.text, f"a#connect-{channel}")["href"]))
    assert form_page.status_code == 200
    assert one(form_page.text, "input#secret")["type"] == "password"
    return await browser.post(
        f"/channels/{channel}/connect",
        data={"csrf_token": csrf_token(form_page.text), "secret": secret},
    )


def stored_rows(database: Database) -> tuple[list[Connection], list[StoredCredential]]:
    with database.reading() as session:
        return (
            list(session.exec(select(Connection)).all()),
            list(session.exec(select(StoredCredential)).all()),
        )


async def test_bluesky_is_connected_with_an_app_password_shown_nowhere(
    hana: httpx.AsyncClient,
    database: Database,
    sandbox: RunningSandbox,
    vault_key: str,
    app_password: str,
) -> None:
    form = await hana.get("/channels/bsky/connect")
    assert one(form.text, "input#handle")["value"] == HANDLE
    assert one(form.text, "input#handle").has_attr("readonly")
    assert text(one(form.text, "label:has(#secret)")) == "App password"

    sent = await send_secret(hana, "bsky", f" {app_password}\n")
    assert sent.status_code == 303 and sent.headers["location"] == "/channels"
    page = await hana.get("/channels")
    assert text(one(page.text, "p.flash")) == "bsky is connected as @tidings.test."
    card = one(page.text, "#connection-bsky")
    assert card["data-state"] == "connected"
    assert text(one(card, ".connection-account")) == f"@tidings.test {did_for(HANDLE)}"
    assert text(one(card, ".connection-expiry")).startswith("does not expire")
    assert text(one(card, "a#connect-bsky")) == "Reconnect"
    with database.reading() as session:
        stored = load_secret(session, Sealer(vault_key), "bsky", TOKEN)
    assert stored is not None and stored.value == app_password
    assert app_password not in everything_stored(database)
    for response in (form, sent, page):
        assert app_password not in response.text


async def test_a_wrong_app_password_shows_the_form_again_and_stores_nothing(
    hana: httpx.AsyncClient, database: Database, app_password: str
) -> None:
    wrong = "-".join(secrets.token_hex(2) for _ in range(4))
    page = await send_secret(hana, "bsky", wrong)
    assert page.status_code == 400
    assert text(one(page.text, "#connect-error")) == (
        "App password: Bluesky refused the handle tidings.test with this app password: check "
        "both (the handle is channel bsky's in config.toml)"
    )
    assert one(page.text, "input#secret").get("value") is None  # not typed back in
    assert wrong not in page.text
    assert stored_rows(database) == ([], [])
    empty = await send_secret(hana, "bsky", "  ")
    assert text(one(empty.text, "#connect-error")) == "App password: type it in."
    assert stored_rows(database) == ([], [])


async def test_telegram_is_connected_with_a_bot_token_over_its_environment_variable(
    hana: httpx.AsyncClient, database: Database, vault_key: str
) -> None:
    before = await hana.get("/channels")
    assert one(before.text, "#connection-tg")["data-state"] == "environment"
    assert text(one(before.text, "#connection-tg .connection-state")) == (
        "Uses TIDINGS_T_TELEGRAM_TOKEN"
    )
    token = f"{BOT_ID}:{secrets.token_urlsafe(26)}"
    form = await hana.get("/channels/tg/connect")
    assert one(form.text, "input#chat")["value"] == "@tidings_news"
    assert text(one(form.text, "label:has(#secret)")) == "Bot token"
    assert (await send_secret(hana, "tg", token)).status_code == 303
    page = await hana.get("/channels")
    assert text(one(page.text, "p.flash")) == (
        "tg is connected as @tidings_sandbox_bot in tidings_news."
    )
    assert text(one(page.text, "#connection-tg .connection-state")) == (
        "Connected (used instead of TIDINGS_T_TELEGRAM_TOKEN)"
    )
    secret = token.partition(":")[2]
    assert secret not in page.text and secret not in everything_stored(database)


async def test_disconnecting_bluesky_deletes_its_vault_rows(
    hana: httpx.AsyncClient, database: Database, app_password: str
) -> None:
    assert (await send_secret(hana, "bsky", app_password)).status_code == 303
    connections, credentials = stored_rows(database)
    assert [row.channel for row in connections] == ["bsky"]
    assert {row.channel for row in credentials} == {"bsky"}
    channels = await hana.get("/channels")
    confirm = await hana.get(str(one(channels.text, "a#disconnect-bsky")["href"]))
    assert "Posts due on bsky fail until it is connected again." in text(one(confirm.text, "main"))
    done = await hana.post(
        "/channels/bsky/disconnect", data={"csrf_token": csrf_token(confirm.text)}
    )
    assert done.status_code == 303
    assert stored_rows(database) == ([], [])
    page = await hana.get("/channels")
    assert one(page.text, "#connection-bsky")["data-state"] == "none"
    assert elements(page.text, "a#disconnect-bsky") == []


@SQLITE_ONLY
async def test_a_webhook_has_nothing_to_connect(hana: httpx.AsyncClient) -> None:
    page = await hana.get("/channels")
    assert text(one(page.text, "#connection-hook .connection-state")) == "Nothing to connect"
    assert elements(page.text, "#connection-hook .connection-actions") == []
    assert (await hana.get("/channels/hook/connect")).status_code == 404
    assert (await hana.get("/channels/nowhere/connect")).status_code == 404


@SQLITE_ONLY
async def test_without_the_vault_key_the_form_says_so_and_nothing_is_asked(
    hana: httpx.AsyncClient,
    database: Database,
    sandbox: RunningSandbox,
    app_password: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(VAULT_KEY)
    form = await hana.get("/channels/bsky/connect")
    assert form.status_code == 400
    assert text(one(form.text, "#connect-error")).startswith(
        "Connecting needs TIDINGS_SECRET_KEY where tidings web runs, to encrypt the credential "
        "(not set)"
    )
    sent = await hana.post(
        "/channels/bsky/connect",
        data={"csrf_token": csrf_token(form.text), "secret": app_password},
    )
    assert sent.status_code == 400
    assert "TIDINGS_SECRET_KEY" in text(one(sent.text, "#connect-error"))
    assert sandbox.state.requests("bluesky") == []
    assert stored_rows(database) == ([], [])
