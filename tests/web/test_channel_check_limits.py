"""Checking the channels calls every platform with its credentials: admins only, at most once a
minute; a token with a line break shows as a problem naming its variable, never the token."""

from __future__ import annotations

import secrets

import pytest

from drafts.storage import Database
from drafts.users import Role
from scheduler.sandbox.server import RunningSandbox
from tests.conftest import TEST_CONFIG, make_config
from tests.web.conftest import (
    SQLITE_ONLY,
    Person,
    add_people,
    client,
    elements,
    log_in,
    one,
    text,
)
from tidings.web import channels_page
from tidings.web.app import create_app

pytestmark = pytest.mark.anyio

TOKEN_VARIABLE = "TIDINGS_WEB_T_MASTODON"


@pytest.fixture
def admin(database: Database) -> Person:
    return add_people(database, {"hana": Role.ADMIN})["hana"]


def sandbox_app(database: Database, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for name in ("LINKEDIN_TOKEN", "X_TOKEN", "X_KO_TOKEN", "BLUESKY_PASSWORD"):
        monkeypatch.delenv(f"TIDINGS_TEST_{name}", raising=False)  # only the sandbox is asked
    text = TEST_CONFIG.replace(
        'base_url = "http://127.0.0.1:9"', f'base_url = "{sandbox.base_url}"'
    )
    text = text.replace("TIDINGS_TEST_MASTODON_TOKEN", TOKEN_VARIABLE)
    return create_app(make_config(text), database)


def row(html: str, channel: str) -> str:
    """What ``channel``'s row of the channels page says."""
    return text(one(html, f"tr#channel-{channel}"))


@SQLITE_ONLY
@pytest.mark.usefixtures("web_secret")
async def test_only_admins_may_check_and_other_roles_are_not_offered_it(
    database: Database,
    people: dict[str, Person],
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TOKEN_VARIABLE, secrets.token_urlsafe(24))
    app = sandbox_app(database, sandbox, monkeypatch)
    for person in (people["mina"], people["joon"]):
        async with client(app) as browser:
            assert (await log_in(browser, person)).status_code == 303
            plain = await browser.get("/channels")
            refused = await browser.get("/channels?check=1")
        assert plain.status_code == 200
        assert "/channels?check=1" not in plain.text
        assert refused.status_code == 403
    assert sandbox.state.requests("mastodon") == []


@SQLITE_ONLY
@pytest.mark.usefixtures("web_secret")
async def test_a_second_check_within_a_minute_shows_the_first_without_calling_anyone(
    database: Database,
    admin: Person,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TOKEN_VARIABLE, secrets.token_urlsafe(24))
    async with client(sandbox_app(database, sandbox, monkeypatch)) as browser:
        assert (await log_in(browser, admin)).status_code == 303
        first = await browser.get("/channels?check=1")
        calls = len(sandbox.state.requests())
        again = [await browser.get("/channels?check=1") for _ in range(3)]

    assert first.status_code == 200
    assert calls > 0
    assert "@demo" in row(first.text, "mastodon")
    assert "The next check can run at" not in first.text
    assert len(sandbox.state.requests()) == calls  # no platform was asked again
    for page in again:
        assert page.status_code == 200
        assert "@demo" in row(page.text, "mastodon")  # the first check's results
        assert "The next check can run at" in page.text
        assert elements(page.text, 'a[href="/channels?check=1"]') == []


async def test_the_throttle_lets_a_check_run_again_once_the_interval_passed() -> None:
    clock = iter(channels_page.utcnow() + channels_page.CHECK_INTERVAL * n for n in (0, 0.5, 1))
    throttle = channels_page.CheckThrottle(clock=lambda: next(clock))
    runs = 0

    async def run() -> channels_page.Health:
        nonlocal runs
        runs += 1
        return {}

    first, soon, later = [await throttle.check(run) for _ in range(3)]
    assert runs == 2
    assert (first.next_at, soon.at, later.next_at) == (None, first.at, None)
    assert soon.next_at == first.at + channels_page.CHECK_INTERVAL


@SQLITE_ONLY
@pytest.mark.usefixtures("web_secret")
async def test_a_token_with_a_line_break_is_named_not_shown(
    database: Database,
    admin: Person,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = secrets.token_urlsafe(24)
    monkeypatch.setenv(TOKEN_VARIABLE, f"{token}\r\n")
    async with client(sandbox_app(database, sandbox, monkeypatch)) as browser:
        assert (await log_in(browser, admin)).status_code == 303
        page = await browser.get("/channels?check=1")
    assert page.status_code == 200
    mastodon = row(page.text, "mastodon")
    assert f"{TOKEN_VARIABLE}: holds a line break or another control character" in mastodon
    assert token not in page.text
    assert sandbox.state.requests("mastodon") == []


@SQLITE_ONLY
@pytest.mark.usefixtures("web_secret")
async def test_an_admin_is_offered_the_check(
    database: Database, admin: Person, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with client(sandbox_app(database, sandbox, monkeypatch)) as browser:
        assert (await log_in(browser, admin)).status_code == 303
        page = await browser.get("/channels")
    assert text(one(page.text, 'a[href="/channels?check=1"]')) == "Check the channels now"
