"""The users page: only admins see it or act on it; adding a user, changing a role and resetting
a password, each refused with one line naming the field when the form is wrong; the last admin
stays an admin; a new password ends the user's sessions. And the one password hasher: the CLI
and the web hash with it, and a login replaces a hash made with other parameters."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from bs4 import Tag
from sqlmodel import col, select
from starlette.applications import Starlette

from drafts.errors import ReviewError
from drafts.models import AuditEntry, User
from drafts.storage import Database
from drafts.users import PASSWORDS, Role, change_role, find_user, set_password
from drafts.web_sessions import open_session, session_user
from tests.integration.command_line import run, use_folder
from tests.web.conftest import (
    FAST_HASHER,
    SQLITE_ONLY,
    Person,
    add_people,
    client,
    csrf_token,
    elements,
    form_fields,
    log_in,
    one,
    set_language,
    text,
)
from tidings.cli import main
from tidings.web import auth
from tidings.web.app import SESSION_COOKIE

pytestmark = pytest.mark.anyio

NEW_PASSWORD = "a new password, long enough"
PRODUCTION_PARAMETERS = "$argon2id$v=19$m=19456,t=2,p=1$"


@pytest.fixture
def sora(database: Database, people: dict[str, Person]) -> Person:
    """An admin, added after the author and the reviewers."""
    return add_people(database, {"sora": Role.ADMIN})["sora"]


@pytest.fixture
async def as_sora(app: Starlette, sora: Person) -> AsyncIterator[httpx.AsyncClient]:
    async with client(app) as browser:
        assert (await log_in(browser, sora)).status_code == 303
        yield browser


async def send(browser: httpx.AsyncClient, path: str, form: dict[str, str]) -> httpx.Response:
    """Post ``form`` to ``path`` with the CSRF token of the page the browser is on."""
    page = await browser.get("/")
    return await browser.post(path, data={**form, "csrf_token": csrf_token(page.text)})


def the_error(page: httpx.Response) -> str:
    """The page's error line, as written (line breaks and all)."""
    return one(page.text, 'p.error[role="alert"]').get_text().strip()


def user_rows(html: str) -> dict[str, Tag]:
    """The users page's table rows, by user name, in the page's order."""
    return {str(row["id"]).removeprefix("user-"): row for row in elements(html, "tr[id^=user-]")}


def users(database: Database) -> dict[str, tuple[str, str | None]]:
    """Each user's role and password hash, by name."""
    with database.reading() as session:
        return {u.name: (u.role, u.password_hash) for u in session.exec(select(User))}


def actions(database: Database) -> list[tuple[str, str, str]]:
    with database.reading() as session:
        query = select(AuditEntry).where(col(AuditEntry.action).startswith("user."))
        return [
            (e.actor, e.action, e.detail) for e in session.exec(query.order_by(col(AuditEntry.id)))
        ]


# --- who may ---------------------------------------------------------------------------------


async def test_an_admin_sees_every_user_and_the_link_to_the_page(
    as_sora: httpx.AsyncClient, database: Database
) -> None:
    with database.writing() as session:
        find_user(session, "ara").password_hash = None
        find_user(session, "joon").language = "ko"
    page = await as_sora.get("/users")
    assert page.status_code == 200
    assert one(page.text, 'nav a[aria-current="page"]')["href"] == "/users"
    rows = user_rows(page.text)
    assert list(rows) == ["ara", "joon", "mina", "sora"]
    roles = {
        name: one(row, "select[name=role] option[selected]")["value"] for name, row in rows.items()
    }
    assert (roles["mina"], roles["sora"]) == ("author", "admin")
    shown = {name: text(row) for name, row in rows.items()}
    assert "한국어" in shown["joon"]
    assert "not set" in shown["ara"]
    assert "not set" not in shown["mina"]
    assert "KST" in shown["mina"]  # when added, in the viewer's timezone
    assert "argon2" not in page.text


@SQLITE_ONLY
@pytest.mark.parametrize("who", ["mina", "joon"])
async def test_other_roles_are_refused_every_part_of_the_page(
    app: Starlette, database: Database, people: dict[str, Person], sora: Person, who: str
) -> None:
    async with client(app) as browser:
        await log_in(browser, people[who])
        before, logged = users(database), actions(database)
        inbox = await browser.get("/")
        assert elements(inbox.text, 'a[href="/users"]') == []
        page = await browser.get("/users")
        assert page.status_code == 403
        assert "may not manage users" in page.text
        for path, form in [
            ("/users", {"name": "yuna", "role": "admin", "password": NEW_PASSWORD}),
            ("/users/role", {"name": who, "role": "admin"}),
            ("/users/password", {"name": "sora", "password": NEW_PASSWORD}),
        ]:
            form["password_again"] = form.get("password", "")
            refused = await send(browser, path, form)
            assert refused.status_code == 403, path
            assert "may not manage users" in refused.text
    assert users(database) == before
    assert actions(database) == logged


@pytest.mark.parametrize("change", ["password", "role"])
def test_the_service_ends_the_users_sessions_on_a_new_password_or_role(
    database: Database, people: dict[str, Person], sora: Person, change: str
) -> None:
    """For every caller of the service, the CLI included, not only the users page."""
    with database.writing() as session:
        mina, admin = find_user(session, "mina"), find_user(session, "sora")
        assert mina.id is not None and admin.id is not None
        keys = [open_session(session, user_id=mina.id) for _ in range(2)]
        kept = open_session(session, user_id=admin.id)
    with database.writing() as session:
        admin = find_user(session, "sora")
        if change == "password":
            new_hash = FAST_HASHER.hash(NEW_PASSWORD)
            set_password(session, name="mina", password_hash=new_hash, actor=admin)
        else:
            change_role(session, name="mina", role=Role.REVIEWER, actor=admin)
    with database.reading() as session:
        assert [session_user(session, key=key) for key in keys] == [None, None]
        assert session_user(session, key=kept) is not None


@SQLITE_ONLY
def test_the_service_checks_the_role_itself(database: Database, people: dict[str, Person]) -> None:
    with database.writing() as session:
        mina = find_user(session, "mina")
        with pytest.raises(ReviewError, match="mina is an author and may not manage users"):
            change_role(session, name="mina", role=Role.ADMIN, actor=mina)
        with pytest.raises(ReviewError, match="may not manage users"):
            set_password(session, name="joon", password_hash="x", actor=mina)
    assert users(database)["mina"][0] == "author"


# --- adding -------------------------------------------------------------------------------------


async def test_an_admin_adds_a_user_who_can_then_log_in(
    app: Starlette, as_sora: httpx.AsyncClient, database: Database
) -> None:
    form = {"name": "yuna", "role": "reviewer", "password": NEW_PASSWORD}
    response = await send(as_sora, "/users", {**form, "password_again": NEW_PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == "/users"
    page = await as_sora.get("/users")
    assert "Added yuna (reviewer)." in page.text
    assert "yuna" in user_rows(page.text)
    role, password_hash = users(database)["yuna"]
    assert role == "reviewer"
    assert password_hash is not None
    assert password_hash.startswith(PRODUCTION_PARAMETERS)
    assert ("sora", "user.add", "yuna (reviewer)") in actions(database)
    async with client(app) as browser:
        assert (await log_in(browser, Person("yuna", NEW_PASSWORD))).status_code == 303
        assert "yuna · reviewer" in (await browser.get("/")).text


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("name", "role", "password", "again", "error"),
    [
        ("", "author", NEW_PASSWORD, NEW_PASSWORD, "name: '' must be 1-64 letters"),
        ("yu na", "author", NEW_PASSWORD, NEW_PASSWORD, "name: 'yu na' must be 1-64 letters"),
        ("mina", "author", NEW_PASSWORD, NEW_PASSWORD, "name: a user called 'mina' already"),
        ("yuna", "owner", NEW_PASSWORD, NEW_PASSWORD, "role: 'owner' is not one of author"),
        ("yuna", "author", NEW_PASSWORD, NEW_PASSWORD + "!", "password: the two passwords"),
        ("yuna", "author", "short", "short", "password: use at least 10 characters"),
    ],
)
async def test_a_wrong_add_form_names_its_field_and_changes_nothing(
    as_sora: httpx.AsyncClient,
    database: Database,
    name: str,
    role: str,
    password: str,
    again: str,
    error: str,
) -> None:
    before, logged = users(database), actions(database)
    form = {"name": name, "role": role, "password": password, "password_again": again}
    page = await send(as_sora, "/users", form)
    assert page.status_code == 400
    assert the_error(page).startswith(error)
    assert "\n" not in the_error(page)
    assert form_fields(page.text, "/users")["name"] == name  # the name stays filled in
    assert password not in page.text
    assert users(database) == before
    assert actions(database) == logged


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"name": "mina", "role": "author"}, "이름: 'mina' 사용자가 이미 있습니다"),
        ({"name": "yu na", "role": "author"}, "이름: 1~64자의 영문자, 숫자"),
        ({"name": "yuna", "role": "owner"}, "역할: author, reviewer, admin 중 하나여야 합니다"),
    ],
)
async def test_a_refusal_is_told_in_the_admins_language(
    as_sora: httpx.AsyncClient, database: Database, form: dict[str, str], error: str
) -> None:
    set_language(database, "sora", "ko")
    typed = {**form, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    page = await send(as_sora, "/users", typed)
    assert page.status_code == 400
    assert the_error(page).startswith(error)
    refused = await send(as_sora, "/users/role", {"name": "sora", "role": "author"})
    assert the_error(refused) == "역할: sora 님이 유일한 관리자입니다. 관리자를 한 명 이상 두세요"


# --- roles ---------------------------------------------------------------------------------


async def test_a_new_role_ends_the_users_sessions(
    app: Starlette,
    as_sora: httpx.AsyncClient,
    as_mina: httpx.AsyncClient,
    database: Database,
    people: dict[str, Person],
) -> None:
    assert (await as_mina.get("/compose")).status_code == 200
    response = await send(as_sora, "/users/role", {"name": "mina", "role": "reviewer"})
    assert response.status_code == 303
    assert "mina now has the role reviewer." in (await as_sora.get("/users")).text
    assert users(database)["mina"][0] == "reviewer"
    assert ("sora", "user.role", "mina (author → reviewer)") in actions(database)
    ended = await as_mina.get("/compose")
    assert (ended.status_code, ended.headers["location"]) == (303, "/login?next=%2Fcompose")
    async with client(app) as browser:  # logged in again, under the new role
        assert (await log_in(browser, people["mina"])).status_code == 303
        assert (await browser.get("/compose")).status_code == 403


@SQLITE_ONLY
async def test_the_last_admin_cannot_step_down(
    as_sora: httpx.AsyncClient, database: Database
) -> None:
    refused = await send(as_sora, "/users/role", {"name": "sora", "role": "author"})
    assert refused.status_code == 400
    assert the_error(refused) == "role: sora is the only admin; keep at least one admin"
    assert users(database)["sora"][0] == "admin"
    assert (
        await send(as_sora, "/users/role", {"name": "joon", "role": "admin"})
    ).status_code == 303
    stepped = await send(as_sora, "/users/role", {"name": "sora", "role": "author"})
    assert stepped.status_code == 303
    assert users(database)["sora"][0] == "author"
    assert (await as_sora.get("/users")).status_code == 403  # no longer an admin


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"name": "nobody", "role": "author"}, 404, "unknown user 'nobody'"),
        ({"name": "mina", "role": "boss"}, 400, "role: 'boss' is not one of"),
    ],
)
async def test_a_wrong_role_form_is_refused(
    as_sora: httpx.AsyncClient,
    database: Database,
    form: dict[str, str],
    status: int,
    error: str,
) -> None:
    before = users(database)
    page = await send(as_sora, "/users/role", form)
    assert page.status_code == status
    assert the_error(page).startswith(error)
    assert users(database) == before


# --- passwords ----------------------------------------------------------------------------------


async def test_a_password_reset_ends_the_users_sessions(
    app: Starlette,
    as_sora: httpx.AsyncClient,
    as_mina: httpx.AsyncClient,
    database: Database,
    people: dict[str, Person],
) -> None:
    assert (await as_mina.get("/")).status_code == 200
    form = {"name": "mina", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    response = await send(as_sora, "/users/password", form)
    assert response.status_code == 303
    assert "Saved a new password for mina" in (await as_sora.get("/users")).text
    assert ("sora", "user.password", "mina") in actions(database)
    assert (await as_mina.get("/")).status_code == 303  # the old session is no longer one
    async with client(app) as browser:
        assert (await log_in(browser, people["mina"])).status_code == 400
        assert (await log_in(browser, Person("mina", NEW_PASSWORD))).status_code == 303


@SQLITE_ONLY
async def test_an_admin_resetting_their_own_password_stays_logged_in_here_only(
    app: Starlette, as_sora: httpx.AsyncClient, sora: Person
) -> None:
    async with client(app) as elsewhere:
        assert (await log_in(elsewhere, sora)).status_code == 303
        form = {"name": "sora", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
        assert (await send(as_sora, "/users/password", form)).status_code == 303
        assert (await as_sora.get("/users")).status_code == 200
        assert (await elsewhere.get("/")).status_code == 303


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"name": "mina", "password_again": NEW_PASSWORD}, 400, "password: the two passwords"),
        (
            {"name": "mina", "password": "too short", "password_again": "too short"},
            400,
            "password:",
        ),
        (
            {"name": "nobody", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
            404,
            "unknown",
        ),
    ],
)
async def test_a_wrong_password_form_is_refused(
    as_sora: httpx.AsyncClient,
    as_mina: httpx.AsyncClient,
    database: Database,
    form: dict[str, str],
    status: int,
    error: str,
) -> None:
    before = users(database)
    page = await send(as_sora, "/users/password", {"password": "", **form})
    assert page.status_code == status
    assert the_error(page).startswith(error)
    assert users(database) == before
    assert (await as_mina.get("/")).status_code == 200


@SQLITE_ONLY
async def test_a_login_replaces_a_hash_made_with_other_parameters(
    app: Starlette, database: Database, people: dict[str, Person]
) -> None:
    old_hash = users(database)["joon"][1]
    assert old_hash is not None
    assert PASSWORDS.check_needs_rehash(old_hash)  # the fixtures' cheap parameters
    async with client(app) as browser:
        assert (await log_in(browser, people["joon"])).status_code == 303
        new_hash = users(database)["joon"][1]
        assert new_hash is not None
        assert new_hash.startswith(PRODUCTION_PARAMETERS)
        assert not PASSWORDS.check_needs_rehash(new_hash)
        assert (await browser.get("/")).status_code == 200
        cookie = browser.cookies[SESSION_COOKIE]
    async with client(app) as again:
        assert (await log_in(again, people["joon"])).status_code == 303
    assert users(database)["joon"][1] == new_hash  # not rehashed twice
    async with client(app) as first:
        first.cookies.set(SESSION_COOKIE, cookie)
        assert (await first.get("/")).status_code == 200


@SQLITE_ONLY
def test_a_hash_changed_during_a_login_is_not_overwritten(
    database: Database, people: dict[str, Person]
) -> None:
    mina = people["mina"]
    user_id, old_hash = users_ids(database)["mina"]
    rehashed_meanwhile = FAST_HASHER.hash(mina.password)  # by a login alongside this one
    store_hash(database, "mina", rehashed_meanwhile)
    assert auth._rehash(database, user_id, old_hash, mina.password) == rehashed_meanwhile
    assert users(database)["mina"][1] == rehashed_meanwhile
    reset_meanwhile = FAST_HASHER.hash(NEW_PASSWORD)  # by an admin
    store_hash(database, "mina", reset_meanwhile)
    assert auth._rehash(database, user_id, old_hash, mina.password) is None
    assert users(database)["mina"][1] == reset_meanwhile


def users_ids(database: Database) -> dict[str, tuple[int, str]]:
    with database.reading() as session:
        return {
            u.name: (u.id, u.password_hash)
            for u in session.exec(select(User))
            if u.id and u.password_hash
        }


def store_hash(database: Database, name: str, password_hash: str) -> None:
    with database.writing() as session:
        find_user(session, name).password_hash = password_hash


def test_the_cli_hashes_with_the_same_hasher(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    monkeypatch.setattr("sys.stdin", io.StringIO("too short\n"))
    with pytest.raises(SystemExit) as refused:
        main(["user", "add", "sora", "--role", "admin", "--password-stdin"])
    assert refused.value.code == 1
    assert "password: use at least 10 characters" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    run(["user", "add", "sora", "--role", "admin", "--password-stdin"])
    database = Database("sqlite:///tidings.db")
    try:
        with database.reading() as session:
            stored = find_user(session, "sora").password_hash
    finally:
        database.dispose()
    assert stored is not None
    assert stored.startswith(PRODUCTION_PARAMETERS)
    assert PASSWORDS.verify(stored, NEW_PASSWORD)
