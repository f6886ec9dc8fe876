"""Fixtures for the web app: the app over each test database, people who can log in, drafts,
and an httpx client that talks to the app in-process (``httpx.ASGITransport``).

Passwords are made when the test runs and hashed with cheap argon2 parameters, so logging in
stays fast; the app verifies whatever parameters a hash carries.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from bs4 import BeautifulSoup, Tag
from starlette.applications import Starlette

from drafts.authoring import add_draft, edit_draft, get_draft
from drafts.config import Config
from drafts.draft_file import DraftContent, read_draft_file
from drafts.rendering import TemplateLibrary
from drafts.review import submit
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role, add_user, find_user
from tidings.web import auth
from tidings.web.app import create_app
from tidings.web.in_thread import serving
from tidings.web.session_key import VAULT_SECRET_VARIABLE, WEB_SECRET_VARIABLE

BASE_URL = "http://testserver"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
# For tests of the web layer alone: the storage is covered on both backends by the others.
SQLITE_ONLY = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def web_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    secret = secrets.token_urlsafe(32)
    monkeypatch.setenv(WEB_SECRET_VARIABLE, secret)
    monkeypatch.delenv(VAULT_SECRET_VARIABLE, raising=False)
    return secret


@pytest.fixture
def app(
    config: Config, database: Database, web_secret: str, monkeypatch: pytest.MonkeyPatch
) -> Starlette:
    # Unknown names are checked against a decoy hash as costly as a real one; cheap here.
    decoy = FAST_HASHER.hash(secrets.token_urlsafe(18))
    monkeypatch.setattr(auth, "_decoy_hash", lambda: decoy)
    return create_app(config, database)


@dataclass(frozen=True)
class Person:
    """Someone who can log in: a user's name and the password made for them."""

    name: str
    password: str


def add_people(database: Database, roles: dict[str, Role]) -> dict[str, Person]:
    """Users with these names and roles, each with a password made now (cheaply hashed)."""
    made = {}
    with database.writing() as session:
        for name, role in roles.items():
            password = secrets.token_urlsafe(18)
            add_user(
                session,
                name=name,
                role=role,
                password_hash=FAST_HASHER.hash(password),
                actor=None,
            )
            made[name] = Person(name, password)
    return made


@pytest.fixture
def people(database: Database) -> dict[str, Person]:
    """An author (mina) and two reviewers (joon, ara), each with a fresh password."""
    return add_people(database, {"mina": Role.AUTHOR, "joon": Role.REVIEWER, "ara": Role.REVIEWER})


def set_language(database: Database, name: str, language: str | None) -> None:
    """The interface language ``name`` chose (None: none, the browser's then)."""
    with database.writing() as session:
        user = find_user(session, name)
        user.language = language
        session.add(user)


@dataclass(frozen=True)
class Drafts:
    """Adds free-text drafts as mina, on the channels that take their languages."""

    database: Database
    config: Config
    library: TemplateLibrary

    def add(
        self,
        text: dict[str, str] | None = None,
        *,
        title: str = "Riverside park reopens",
        review: bool = True,
        publish_at: str | None = None,
    ) -> int:
        """A new draft, sent to review unless ``review`` is False; returns its id."""
        content = self.content(text or BILINGUAL, title, publish_at)
        with self.database.writing() as session:
            author = find_user(session, "mina")
            draft = add_draft(
                session, content=content, author=author, config=self.config, library=self.library
            )
            assert draft.id is not None
            if review:
                submit(session, draft_id=draft.id, actor=author, config=self.config)
            return draft.id

    def edit(
        self, draft_id: int, text: dict[str, str], *, title: str = "Riverside park reopens"
    ) -> None:
        """mina replaces the draft's text, as ``tidings draft edit`` would."""
        content = self.content(text, title, None)
        with self.database.writing() as session:
            edit_draft(
                session,
                draft_id=draft_id,
                content=content,
                editor=find_user(session, "mina"),
                config=self.config,
                library=self.library,
            )

    def content(self, text: dict[str, str], title: str, publish_at: str | None) -> DraftContent:
        channels = [
            channel.id
            for channel in self.config.channels
            if channel.id in CHANNELS and any(channel.takes(language) for language in text)
        ]
        lines = [
            'kind = "update"',
            f"title = {_toml(title)}",
            f"channels = {json.dumps(channels)}",
            *([f"publish_at = {_toml(publish_at)}"] if publish_at else []),
            "[text]",
            *(f"{language} = {_toml(body)}" for language, body in text.items()),
        ]
        return read_draft_file("\n".join(lines), "web.toml", self.config, utcnow())

    def submit(self, draft_id: int) -> None:
        with self.database.writing() as session:
            author = find_user(session, "mina")
            submit(session, draft_id=draft_id, actor=author, config=self.config)

    def status(self, draft_id: int) -> str:
        with self.database.reading() as session:
            return get_draft(session, draft_id).status


def _toml(text: str) -> str:
    # A JSON string is a TOML basic string: the same quotes and escapes.
    return json.dumps(text, ensure_ascii=False)


CHANNELS = ("linkedin", "x-en", "x-ko")
BILINGUAL = {
    "en": "🌳 The riverside park is open again: new paths, more shade and a playground.",
    "ko": "🌳 강변 공원이 다시 문을 열었습니다. 새 산책로와 그늘, 놀이터가 생겼습니다.",
}


@pytest.fixture
def drafts(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, Person]
) -> Drafts:
    return Drafts(database, config, library)


@pytest.fixture
def server_url(app: Starlette) -> Iterator[str]:
    """The test's app behind uvicorn on a loopback port: its origin."""
    with serving(app) as origin:
        yield origin


def client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)


def parse(html: str) -> BeautifulSoup:
    """The page as a browser reads it: tests find things by structure, not by markup."""
    return BeautifulSoup(html, "html.parser")


Page = str | Tag


def _root(page: Page) -> Tag:
    return parse(page) if isinstance(page, str) else page


def text(node: Tag) -> str:
    """What a reader sees in ``node``: its text, each run of white space read as one space (as
    HTML does: spaces, tabs and line breaks, never a thin or no-break space)."""
    return _HTML_SPACE.sub(" ", node.get_text()).strip(" ")


def elements(page: Page, selector: str) -> list[Tag]:
    """The elements the CSS ``selector`` matches in ``page`` (a page's HTML or a part of it)."""
    return list(_root(page).select(selector))


def one(page: Page, selector: str) -> Tag:
    """The one element the CSS ``selector`` matches in ``page``."""
    found = elements(page, selector)
    assert len(found) == 1, f"{len(found)} elements match {selector!r}"
    return found[0]


def texts(page: Page, selector: str) -> list[str]:
    """The text of each element the CSS ``selector`` matches in ``page``, in page order."""
    return [text(node) for node in elements(page, selector)]


def heading(page: Page) -> str:
    """What the page's one ``h1`` says."""
    return text(one(page, "h1"))


def cells(row: Tag) -> list[str]:
    """The text of each cell of a table row."""
    return [text(cell) for cell in row.find_all("td")]


def has_form(page: Page, action: str) -> bool:
    """Whether ``page`` has a form that posts to ``action``."""
    return _root(page).find("form", attrs={"action": action}) is not None


def form_fields(html: str, action: str) -> dict[str, str]:
    """What the browser would send from the page's form that posts to ``action``: its named
    inputs (boxes only when checked) and text areas, with the values the page filled in."""
    form = parse(html).find("form", attrs={"action": action})
    assert isinstance(form, Tag), f"no form posting to {action} on the page"
    fields = {}
    for field in form.find_all(["input", "textarea"]):
        name = field.get("name")
        unchecked = field.get("type") in {"checkbox", "radio"} and not field.has_attr("checked")
        if isinstance(name, str) and not unchecked:
            value = field.get_text() if field.name == "textarea" else field.get("value", "")
            fields[name] = str(value)
    return fields


def csrf_token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "no CSRF token on the page"
    return found[1]


async def post_form(
    browser: httpx.AsyncClient, path: str, action: str, fields: dict[str, Any]
) -> httpx.Response:
    """Send the compose form at ``path`` with ``fields``, pressing the button ``action``."""
    token = csrf_token((await browser.get(path)).text)
    return await browser.post(path, data={**fields, "action": action, "csrf_token": token})


async def log_in(browser: httpx.AsyncClient, person: Person) -> httpx.Response:
    page = await browser.get("/login")
    return await browser.post(
        "/login",
        data={
            "name": person.name,
            "password": person.password,
            "csrf_token": csrf_token(page.text),
        },
    )


@pytest.fixture
async def as_mina(app: Starlette, people: dict[str, Person]) -> AsyncIterator[httpx.AsyncClient]:
    async with client(app) as browser:
        assert (await log_in(browser, people["mina"])).status_code == 303
        yield browser


@pytest.fixture
async def as_joon(app: Starlette, people: dict[str, Person]) -> AsyncIterator[httpx.AsyncClient]:
    async with client(app) as browser:
        assert (await log_in(browser, people["joon"])).status_code == 303
        yield browser
