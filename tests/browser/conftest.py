"""Fixtures for the browser tests: Debian's Chromium driven by the Playwright package, and the
web app behind uvicorn on a loopback port over a fresh SQLite database.

One Chromium serves all the browser tests; every test gets a fresh browser context (its own
cookies), which may only reach the app (and the origins a test names, such as the sandbox's
consent page): any other request is aborted, and counted, so nothing leaves the machine and a
page that asks for a CDN fails its test. An error in the browser's
console (a script failing, the content policy refusing something) fails the test too. Chromium is Debian's
``/usr/bin/chromium`` (``make test`` installs it), never a browser Playwright downloads; when it
cannot start, every test here fails with the reason.

Passwords are made when the test runs and hashed with cheap argon2 parameters; the session
cookie key is made when the test runs too.
"""

from __future__ import annotations

import json
import secrets
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import greenlet  # type: ignore[import-untyped]  # Playwright's sync API runs on it
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    Route,
    expect,
    sync_playwright,
)

from drafts.authoring import add_draft, edit_draft, get_draft
from drafts.config import Config
from drafts.draft_file import DraftContent, read_draft_file
from drafts.rendering import TemplateLibrary
from drafts.review import approve, submit
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role, find_user
from tests.conftest import make_config, sqlite_database
from tests.web.conftest import FAST_HASHER, Person, add_people
from tidings.web import auth
from tidings.web.app import create_app
from tidings.web.in_thread import serving
from tidings.web.session_key import VAULT_SECRET_VARIABLE, WEB_SECRET_VARIABLE

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ACTION_TIMEOUT_MS = 5_000  # each click, fill, navigation and expectation
TEST_TIMEOUT_S = 30  # the whole test, setup and teardown included

CONFIG = """
[tidings]
timezone = "Asia/Seoul"
database = "sqlite:///unused.db"

[review]
required_approvals = 1
allow_self_approval = false

[[channels]]
id = "linkedin"
platform = "linkedin"
languages = ["en", "ko"]
author = "urn:li:organization:2414183"
token_env = "TIDINGS_TEST_LINKEDIN_TOKEN"
slots = ["mon-fri 09:30", "mon-fri 14:00"]

[[channels]]
id = "x-en"
platform = "x"
languages = ["en"]
token_env = "TIDINGS_TEST_X_TOKEN"
slots = ["mon-fri 10:00"]
"""


# --- a time limit for each test -------------------------------------------------------------


@pytest.fixture(autouse=True)
def time_limit(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails a test that runs past ``TEST_TIMEOUT_S``, or its module's own ``TEST_TIMEOUT_S``
    (a whole working day takes longer than a page or two).

    The alarm stops the test's own code at once. Playwright's sync API runs its event loop in
    another greenlet, where an exception would be swallowed by asyncio: when the alarm rings
    there, the test fails as soon as it returns; every browser action has its own limit
    (``ACTION_TIMEOUT_MS``, page requests included), so it returns soon.
    """
    late = False
    limit: int = getattr(request.module, "TEST_TIMEOUT_S", TEST_TIMEOUT_S)
    reason = f"the browser test ran past its {limit} s limit"

    def too_long(signum: int, frame: FrameType | None) -> None:
        nonlocal late
        if greenlet.getcurrent().parent is None:  # the test's own code, not the event loop
            pytest.fail(reason, pytrace=False)
        late = True

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(limit)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    if late:
        pytest.fail(reason, pytrace=False)


# --- Chromium -------------------------------------------------------------------------------


# Scoped to this package, not the session: while Playwright's sync API is open, its event loop
# counts as running on the main thread, and every later test that runs a loop of its own
# (asyncio.run, anyio) would fail with "cannot be called from a running event loop". The
# browser tests run one after another, so Chromium still starts once for all of them.
@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        expect.set_options(timeout=ACTION_TIMEOUT_MS)
        yield driver


@pytest.fixture(scope="package")
def chromium(playwright_driver: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless; a clear failure (never a skip) when it cannot start."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium and "
            "fonts-noto-cjk (`make test` installs them; never `playwright install`)",
            pytrace=False,
        )
    failure: str | None = None
    try:
        browser = playwright_driver.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=20_000
        )
    except Error as error:
        failure = _launch_failure(error)
    if failure is not None:
        pytest.fail(f"{CHROMIUM} could not be started by Playwright: {failure}", pytrace=False)
    yield browser
    browser.close()


def _launch_failure(error: Error) -> str:
    """Playwright's reason and what the browser said, without its long command lines."""
    lines = [line for line in str(error).splitlines() if "<launching>" not in line]
    return "\n".join(line[:300] for line in lines[:15])


# --- the app --------------------------------------------------------------------------------


@pytest.fixture
def config() -> Config:
    """A LinkedIn channel taking English and Korean, an X channel taking English."""
    return make_config(CONFIG)


@pytest.fixture
def database(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated SQLite database (the browser tests need one backend only)."""
    db = sqlite_database(sqlite_template, tmp_path)
    yield db
    db.dispose()


@pytest.fixture
def people(database: Database) -> dict[str, Person]:
    """An author (mina) and a reviewer (joon), each with a password made now."""
    return add_people(database, {"mina": Role.AUTHOR, "joon": Role.REVIEWER})


@contextmanager
def app_served(config: Config, database: Database, patch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app, served by uvicorn on 127.0.0.1 and a free port, for the ``with`` block: its
    origin. Its session key is made now and set, like cheap decoy hashes, through ``patch``."""
    patch.setenv(WEB_SECRET_VARIABLE, secrets.token_urlsafe(32))
    patch.delenv(VAULT_SECRET_VARIABLE, raising=False)
    decoy = FAST_HASHER.hash(secrets.token_urlsafe(18))  # unknown names: cheap here too
    patch.setattr(auth, "_decoy_hash", lambda: decoy)
    with serving(create_app(config, database)) as origin:
        yield origin


@pytest.fixture
def server_url(
    config: Config, database: Database, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The app for the length of one test."""
    with app_served(config, database, monkeypatch) as origin:
        yield origin


# --- a browser context per test -------------------------------------------------------------


@dataclass
class Browsing:
    """Opens browser contexts that may reach only the app (and ``others``, origins a test sends
    the browser to on purpose); counts what they tried elsewhere."""

    chromium: Browser
    origin: str
    blocked: list[str]
    opened: list[BrowserContext]
    console_errors: list[str]
    others: tuple[str, ...] = ()

    def open(self, **options: Any) -> BrowserContext:
        context = self.chromium.new_context(
            base_url=self.origin,
            viewport={"width": 1280, "height": 900},
            locale="en-GB",
            timezone_id="Asia/Seoul",
            **options,
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(ACTION_TIMEOUT_MS)
        context.route("**/*", self._only_the_app)
        context.on("console", self._note_error)
        self.opened.append(context)
        return context

    @property
    def reachable(self) -> tuple[str, ...]:
        return (self.origin, *self.others)

    def _note_error(self, message: ConsoleMessage) -> None:
        """A script error or a refusal by the content policy; not a page answered 4xx on purpose."""
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    def _only_the_app(self, route: Route) -> None:
        url = route.request.url
        if any(url == origin or url.startswith(origin + "/") for origin in self.reachable):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")


@contextmanager
def browsing_only(chromium: Browser, origin: str, *others: str) -> Iterator[Browsing]:
    """Browser contexts that may reach ``origin`` and ``others``; on leaving, each is closed, and
    a request elsewhere or an error in the browser's console fails the test."""
    browsing = Browsing(chromium, origin, blocked=[], opened=[], console_errors=[], others=others)
    yield browsing
    for context in browsing.opened:
        context.close()
    blocked = browsing.blocked
    assert not blocked, f"pages asked for something besides the app (blocked): {blocked}"
    errors = browsing.console_errors
    assert not errors, f"the browser console showed errors: {errors}"


@pytest.fixture
def browsing(chromium: Browser, server_url: str) -> Iterator[Browsing]:
    with browsing_only(chromium, server_url) as browsing:
        yield browsing


@pytest.fixture
def context(browsing: Browsing) -> BrowserContext:
    """A fresh browser context: no cookies, no storage."""
    return browsing.open()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


# --- helpers --------------------------------------------------------------------------------


def log_in(page: Page, person: Person) -> None:
    """Log in from the login page as a person would: type the name and password, press the button."""
    if "/login" not in page.url:
        page.goto("/login")
    page.get_by_label("Name").fill(person.name)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".who")).to_contain_text(person.name)


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


@dataclass(frozen=True)
class Drafts:
    """Adds drafts through the service layer, as mina, for tests about something else."""

    database: Database
    config: Config
    library: TemplateLibrary

    def add(self, title: str, text: dict[str, str]) -> int:
        """A free-text draft on every channel that takes one of its languages, sent to review."""
        content = self._content(title, text)
        with self.database.writing() as session:
            author = find_user(session, "mina")
            draft = add_draft(
                session, content=content, author=author, config=self.config, library=self.library
            )
            assert draft.id is not None
            submit(session, draft_id=draft.id, actor=author, config=self.config)
            return draft.id

    def _content(self, title: str, text: dict[str, str]) -> DraftContent:
        channels = [c.id for c in self.config.channels if any(c.takes(lang) for lang in text)]
        lines = [
            'kind = "update"',
            f"title = {json.dumps(title, ensure_ascii=False)}",
            f"channels = {json.dumps(channels)}",
            "[text]",
            *(f"{lang} = {json.dumps(body, ensure_ascii=False)}" for lang, body in text.items()),
        ]
        return read_draft_file("\n".join(lines), "browser.toml", self.config, utcnow())

    def status(self, draft_id: int) -> str:
        with self.database.reading() as session:
            return get_draft(session, draft_id).status

    def approve(self, draft_id: int, reviewer: str) -> None:
        with self.database.writing() as session:
            approve(
                session,
                draft_id=draft_id,
                reviewer=find_user(session, reviewer),
                comment="",
                config=self.config,
                now=utcnow(),
            )

    def edit(self, draft_id: int, text: dict[str, str]) -> None:
        """mina replaces the draft's text (its title and channels stay)."""
        with self.database.writing() as session:
            draft = get_draft(session, draft_id)
            content = self._content(draft.title, text)
            edit_draft(
                session,
                draft_id=draft_id,
                content=content,
                editor=find_user(session, "mina"),
                config=self.config,
                library=self.library,
            )

    def set_language(self, name: str, language: str) -> None:
        with self.database.writing() as session:
            find_user(session, name).language = language


@pytest.fixture
def drafts(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, Person]
) -> Drafts:
    return Drafts(database, config, library)
