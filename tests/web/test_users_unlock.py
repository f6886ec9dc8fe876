"""A name locked by failed logins has ways out before its fifteen minutes: an admin presses
Unlock on the users page (a form with its CSRF token, admins only), runs `tidings user unlock`
while the web app runs (the counts are in the database every process shares), or sets a new
password (on the page, or with `tidings user passwd`). The lock shows on the users page, in the
admin's language, and the login page tells the locked person that an admin can unlock it."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, select
from starlette.applications import Starlette

from drafts.models import AuditEntry
from drafts.storage import Database
from drafts.users import Role
from tests.integration.command_line import run, use_folder
from tests.web.conftest import (
    SQLITE_ONLY,
    Person,
    add_people,
    client,
    csrf_token,
    elements,
    form_fields,
    log_in,
    set_language,
    texts,
)
from tidings.web.login_throttle import NAME_LIMIT

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]

NEW_PASSWORD = "a new password, long enough"


@pytest.fixture
def sora(database: Database, people: dict[str, Person]) -> Person:
    """An admin."""
    return add_people(database, {"sora": Role.ADMIN})["sora"]


@pytest.fixture
async def as_sora(app: Starlette, sora: Person) -> AsyncIterator[httpx.AsyncClient]:
    async with client(app) as browser:
        assert (await log_in(browser, sora)).status_code == 303
        yield browser


async def lock_out(app: Starlette, name: str) -> None:
    """Enough wrong passwords for ``name`` to lock it."""
    async with client(app) as guesser:
        for _ in range(NAME_LIMIT):
            wrong = await log_in(guesser, Person(name, "not-the-password"))
            assert wrong.status_code == 400
        refused = await log_in(guesser, Person(name, "not-the-password"))
        assert refused.status_code == 429
        assert "or ask an admin to unlock it." in refused.text


async def logs_in(app: Starlette, person: Person) -> int:
    async with client(app) as browser:
        return (await log_in(browser, person)).status_code


def lock_lines(html: str, name: str) -> list[str]:
    return texts(html, f"tr#user-{name} .locked")


def audit(database: Database, action: str) -> list[str]:
    with database.reading() as session:
        entries = session.exec(select(AuditEntry).where(col(AuditEntry.action) == action))
        return [f"{entry.actor}: {entry.detail}" for entry in entries]


async def test_an_admin_unlocks_a_locked_user_on_the_users_page(
    app: Starlette,
    database: Database,
    people: dict[str, Person],
    as_sora: httpx.AsyncClient,
) -> None:
    await lock_out(app, "joon")
    assert await logs_in(app, people["joon"]) == 429  # the right password, locked out

    page = (await as_sora.get("/users")).text
    [line] = lock_lines(page, "joon")
    assert line.startswith("locked after failed logins until ")
    assert lock_lines(page, "mina") == [] and lock_lines(page, "ara") == []
    assert len(elements(page, 'form[action="/users/unlock"]')) == 1
    unlocked = await as_sora.post("/users/unlock", data=form_fields(page, "/users/unlock"))

    assert unlocked.status_code == 303
    page = (await as_sora.get("/users")).text
    assert "Unlocked joon: they can log in again." in page
    assert lock_lines(page, "joon") == []
    assert await logs_in(app, people["joon"]) == 303
    assert audit(database, "user.unlock") == ["sora: joon"]


async def test_unlocking_asks_for_an_admin_and_a_form_from_the_page(
    app: Starlette,
    people: dict[str, Person],
    sora: Person,
    as_sora: httpx.AsyncClient,
) -> None:
    await lock_out(app, "joon")
    async with client(app) as mina:
        assert (await log_in(mina, people["mina"])).status_code == 303
        token = csrf_token((await mina.get("/")).text)
        refused = await mina.post("/users/unlock", data={"name": "joon", "csrf_token": token})
        assert refused.status_code == 403
    forged = await as_sora.post("/users/unlock", data={"name": "joon"})  # no CSRF token
    assert forged.status_code == 403
    assert await logs_in(app, people["joon"]) == 429  # still locked

    token = csrf_token((await as_sora.get("/users")).text)
    unknown = await as_sora.post("/users/unlock", data={"name": "jun", "csrf_token": token})
    assert unknown.status_code == 404
    [error] = texts(unknown.text, 'p.error[role="alert"]')
    assert error.startswith("unknown user 'jun'")
    not_locked = await as_sora.post("/users/unlock", data={"name": "ara", "csrf_token": token})
    assert not_locked.status_code == 303
    assert "ara was not locked." in (await as_sora.get("/users")).text


async def test_a_new_password_lifts_the_lock(
    app: Starlette, database: Database, people: dict[str, Person], as_sora: httpx.AsyncClient
) -> None:
    await lock_out(app, "joon")
    page = (await as_sora.get("/users")).text
    form = form_fields(page, "/users/password") | {
        "name": "joon",
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
    }
    assert (await as_sora.post("/users/password", data=form)).status_code == 303

    assert await logs_in(app, Person("joon", NEW_PASSWORD)) == 303
    assert lock_lines((await as_sora.get("/users")).text, "joon") == []


async def test_the_lock_and_the_button_in_korean(
    app: Starlette, database: Database, sora: Person, as_sora: httpx.AsyncClient
) -> None:
    set_language(database, "sora", "ko")
    await lock_out(app, "joon")
    page = (await as_sora.get("/users")).text
    [line] = lock_lines(page, "joon")
    assert line.startswith("로그인 실패로 ") and line.endswith("까지 잠김")
    assert texts(page, 'form[action="/users/unlock"] button') == ["잠금 해제"]
    await as_sora.post("/users/unlock", data=form_fields(page, "/users/unlock"))
    assert (
        "joon 사용자의 잠금을 해제했습니다. 이제 다시 로그인할 수 있습니다."
        in (await as_sora.get("/users")).text
    )


async def test_the_locked_person_reads_the_way_out_in_korean(
    app: Starlette, people: dict[str, Person]
) -> None:
    await lock_out(app, "mina")
    async with client(app) as browser:
        browser.headers["Accept-Language"] = "ko"
        refused = await log_in(browser, people["mina"])
    assert refused.status_code == 429
    assert "관리자에게 잠금 해제를 요청하세요" in refused.text


async def test_the_command_line_unlocks_and_resets_while_the_web_app_runs(
    app: Starlette,
    database: Database,
    people: dict[str, Person],
    sora: Person,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_folder(tmp_path, monkeypatch, f'[tidings]\ndatabase = "{database.url}"\n')
    await lock_out(app, "joon")
    capsys.readouterr()
    run(["user", "unlock", "joon", "--as", "sora"])
    assert capsys.readouterr().out == "Unlocked joon: they can log in again.\n"
    assert await logs_in(app, people["joon"]) == 303

    await lock_out(app, "ara")
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    run(["user", "passwd", "ara", "--as", "sora"])
    assert await logs_in(app, Person("ara", NEW_PASSWORD)) == 303
    assert audit(database, "user.password") == ["sora: ara"]
    run(["user", "unlock", "ara", "--as", "sora"])
    assert capsys.readouterr().out.endswith("ara was not locked.\n")
