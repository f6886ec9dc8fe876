"""Logging in and out, the session cookie, and keeping anonymous visitors out."""

from __future__ import annotations

import secrets
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette

from drafts.config import Config
from drafts.errors import ConfigError
from drafts.models import User, WebSession
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from drafts.web_sessions import LIFETIME
from tests.web.conftest import (
    SQLITE_ONLY,
    Person,
    client,
    csrf_token,
    form_fields,
    log_in,
    one,
)
from tidings.web.app import SESSION_COOKIE, create_app
from tidings.web.session_key import VAULT_SECRET_VARIABLE, WEB_SECRET_VARIABLE, session_key

pytestmark = pytest.mark.anyio


async def test_the_right_password_opens_the_inbox_with_a_safe_cookie(
    app: Starlette, people: dict[str, Person]
) -> None:
    async with client(app) as browser:
        response = await log_in(browser, people["joon"])
        assert response.status_code == 303
        assert response.headers["location"] == "/"
        cookie = response.headers["set-cookie"].lower()
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        assert people["joon"].password not in response.headers["set-cookie"]
        inbox = await browser.get("/")
        assert inbox.status_code == 200
        assert "joon · reviewer" in inbox.text


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("name", "password"),
    [
        ("joon", "not-his-password"),
        ("joon", ""),
        ("nobody", "whatever-password"),
        ("Joon", None),  # names are exact
    ],
)
async def test_a_wrong_name_or_password_is_refused(
    app: Starlette, people: dict[str, Person], name: str, password: str | None
) -> None:
    async with client(app) as browser:
        person = Person(name, password if password is not None else people["joon"].password)
        response = await log_in(browser, person)
        assert response.status_code == 400
        assert "do not match an account" in response.text
        assert form_fields(response.text, "/login")["name"] == name  # the name stays filled in
        assert (await browser.get("/")).status_code == 303


@SQLITE_ONLY
async def test_a_user_without_a_password_cannot_log_in(
    app: Starlette, database: Database, people: dict[str, Person]
) -> None:
    with database.writing() as session:
        find_user(session, "ara").password_hash = None
    async with client(app) as browser:
        assert (await log_in(browser, people["ara"])).status_code == 400


@SQLITE_ONLY
@pytest.mark.parametrize("path", ["/", "/drafts/1", "/preferences", "/nowhere"])
async def test_anonymous_visitors_are_sent_to_the_login_page(app: Starlette, path: str) -> None:
    async with client(app) as browser:
        response = await browser.get(path)
        assert response.status_code == 303
        location = response.headers["location"]
        assert location.startswith("/login")
        login = await browser.get(location)
        assert login.status_code == 200
        assert one(login.text, 'input[name="password"]')["type"] == "password"


@SQLITE_ONLY
async def test_logging_in_returns_to_the_page_asked_for(
    app: Starlette, people: dict[str, Person]
) -> None:
    async with client(app) as browser:
        sent = await browser.get("/drafts/7")
        assert sent.headers["location"] == "/login?next=%2Fdrafts%2F7"
        page = await browser.get(sent.headers["location"])
        person = people["joon"]
        form = {"name": person.name, "password": person.password, "next": "/drafts/7"}
        response = await browser.post("/login", data={**form, "csrf_token": csrf_token(page.text)})
        assert response.headers["location"] == "/drafts/7"


@SQLITE_ONLY
@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
async def test_logging_in_never_sends_anyone_to_another_site(
    app: Starlette, people: dict[str, Person], target: str
) -> None:
    async with client(app) as browser:
        page = await browser.get("/login")
        person = people["joon"]
        form = {"name": person.name, "password": person.password, "next": target}
        response = await browser.post("/login", data={**form, "csrf_token": csrf_token(page.text)})
        assert response.headers["location"] == "/"


@SQLITE_ONLY
async def test_logging_out_ends_the_session(app: Starlette, people: dict[str, Person]) -> None:
    async with client(app) as browser:
        await log_in(browser, people["joon"])
        inbox = await browser.get("/")
        response = await browser.post("/logout", data={"csrf_token": csrf_token(inbox.text)})
        assert response.status_code == 303
        assert response.headers["location"] == "/login"
        assert "You have logged out." in (await browser.get("/login")).text
        assert (await browser.get("/")).status_code == 303


async def session_cookie(app: Starlette, person: Person) -> str:
    """The session cookie a browser gets by logging in as ``person``."""
    async with client(app) as browser:
        await log_in(browser, person)
        return browser.cookies[SESSION_COOKIE]


async def test_a_forged_cookie_is_not_a_session(app: Starlette, people: dict[str, Person]) -> None:
    cookie = await session_cookie(app, people["joon"])
    async with client(app) as forger:
        # Its last four characters changed, each to another (never the same by chance).
        forged = cookie[:-4] + "".join("B" if c == "A" else "A" for c in cookie[-4:])
        forger.cookies.set(SESSION_COOKIE, forged)
        assert (await forger.get("/")).status_code == 303


async def replayed(app: Starlette, cookie: str) -> httpx.Response:
    """The inbox, asked for by another browser holding a copy of ``cookie``."""
    async with client(app) as copy:
        copy.cookies.set(SESSION_COOKIE, cookie)
        return await copy.get("/")


async def test_logging_out_ends_every_copy_of_the_cookie(
    app: Starlette, database: Database, people: dict[str, Person]
) -> None:
    async with client(app) as browser:
        await log_in(browser, people["joon"])
        cookie = browser.cookies[SESSION_COOKIE]
        assert (await replayed(app, cookie)).status_code == 200
        inbox = await browser.get("/")
        await browser.post("/logout", data={"csrf_token": csrf_token(inbox.text)})
    refused = await replayed(app, cookie)
    assert refused.status_code == 303
    assert refused.headers["location"] == "/login"
    assert sessions(database) == []


@SQLITE_ONLY
async def test_the_session_key_is_stored_hashed_and_a_new_login_replaces_it(
    app: Starlette, database: Database, people: dict[str, Person]
) -> None:
    async with client(app) as browser:
        await log_in(browser, people["joon"])
        first = browser.cookies[SESSION_COOKIE]
        [(key_hash, user_id)] = sessions(database)
        assert user_id == user_ids(database)["joon"]
        assert key_hash not in first  # the cookie carries the key, the database its hash
        ara = {"name": "ara", "password": people["ara"].password}
        token = csrf_token((await browser.get("/")).text)  # the login page sends joon on
        await browser.post("/login", data={**ara, "csrf_token": token})
        assert "ara · reviewer" in (await browser.get("/")).text
    assert (await replayed(app, first)).status_code == 303
    assert [user for _, user in sessions(database)] == [user_ids(database)["ara"]]


@SQLITE_ONLY
async def test_a_session_ends_seven_days_after_logging_in(
    app: Starlette, database: Database, people: dict[str, Person]
) -> None:
    cookie = await session_cookie(app, people["joon"])
    with database.reading() as session:
        opened = session.exec(select(WebSession)).one()
    assert opened.expires_at - opened.created_at == LIFETIME == timedelta(days=7)
    with database.writing() as session:
        session.exec(select(WebSession)).one().expires_at = utcnow() - timedelta(seconds=1)
    assert (await replayed(app, cookie)).status_code == 303
    async with client(app) as browser:  # a login clears out sessions that have ended
        await log_in(browser, people["ara"])
    assert [user for _, user in sessions(database)] == [user_ids(database)["ara"]]


async def test_removing_a_user_ends_their_sessions(
    app: Starlette, database: Database, people: dict[str, Person]
) -> None:
    cookie = await session_cookie(app, people["joon"])
    with database.writing() as session:
        session.delete(find_user(session, "joon"))
    assert (await replayed(app, cookie)).status_code == 303
    assert sessions(database) == []  # the rows went with the user


def sessions(database: Database) -> list[tuple[str, int]]:
    """Every stored session: its key's hash and its user."""
    with database.reading() as session:
        return [(s.key_hash, s.user_id) for s in session.exec(select(WebSession))]


def user_ids(database: Database) -> dict[str, int | None]:
    with database.reading() as session:
        return {user.name: user.id for user in session.exec(select(User))}


@SQLITE_ONLY
def test_the_app_refuses_to_start_without_a_signing_key(
    config: Config, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(WEB_SECRET_VARIABLE, raising=False)
    monkeypatch.delenv(VAULT_SECRET_VARIABLE, raising=False)
    with pytest.raises(ConfigError, match=f"^{WEB_SECRET_VARIABLE} is not set") as raised:
        create_app(config, database)
    assert "\n" not in str(raised.value)
    monkeypatch.setenv(WEB_SECRET_VARIABLE, "short")
    with pytest.raises(ConfigError, match="shorter than 32 characters"):
        create_app(config, database)


def test_the_signing_key_can_come_from_the_vault_key() -> None:
    vault_key = secrets.token_urlsafe(32)
    derived = session_key({VAULT_SECRET_VARIABLE: vault_key})
    assert derived != vault_key
    assert derived == session_key({VAULT_SECRET_VARIABLE: vault_key})
    own = secrets.token_urlsafe(32)
    assert session_key({WEB_SECRET_VARIABLE: own, VAULT_SECRET_VARIABLE: vault_key}) == own
