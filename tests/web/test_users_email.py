"""The users page's e-mail addresses: an admin sees each user's address and sets it there,
checked as the preferences page and the command line check it; a refused address stays as typed
with its problem beside it, in the admin's language, and nothing changes. A saved one answers
with a redirect, so a reload sends nothing again. Each interface language is marked with its tag."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import col, select
from starlette.applications import Starlette

from drafts.models import AuditEntry
from drafts.storage import Database
from drafts.users import find_user
from tests.web.conftest import (
    SQLITE_ONLY,
    Person,
    client,
    csrf_token,
    elements,
    log_in,
    one,
    parse,
    set_language,
    text,
)
from tests.web.test_users_unlock import as_sora, sora

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]

__all__ = ["as_sora", "sora"]  # the fixtures: an admin, logged in


def contact(database: Database, name: str) -> tuple[str | None, str | None]:
    """``name``'s stored e-mail address and timezone."""
    with database.reading() as session:
        user = find_user(session, name)
        return user.email, user.timezone


def set_contact(database: Database, name: str, email: str | None, zone: str | None) -> None:
    with database.writing() as session:
        user = find_user(session, name)
        user.email, user.timezone = email, zone
        session.add(user)


async def send_address(browser: httpx.AsyncClient, name: str, email: str) -> httpx.Response:
    page = await browser.get("/users")
    data = {"name": name, "email": email, "csrf_token": csrf_token(page.text)}
    return await browser.post("/users/email", data=data)


def address_field(html: str, name: str) -> dict[str, str]:
    """The attributes of ``name``'s address field on the users page."""
    field = one(html, f'#user-{name} form[action="/users/email"] input[name=email]')
    return {key: str(value) for key, value in field.attrs.items()}


async def test_an_admin_sees_and_sets_each_users_address(
    as_sora: httpx.AsyncClient, database: Database
) -> None:
    set_contact(database, "joon", "joon@example.org", "Europe/Berlin")
    page = await as_sora.get("/users")
    assert address_field(page.text, "joon")["value"] == "joon@example.org"
    assert address_field(page.text, "mina")["value"] == ""

    saved = await send_address(as_sora, "mina", "  mina@example.org ")
    assert saved.status_code == 303
    assert saved.headers["location"] == "/users"  # a reload reads the page, sends nothing
    assert contact(database, "mina") == ("mina@example.org", None)
    after = await as_sora.get("/users")
    assert text(one(after.text, "p.flash")) == "Notifications for mina now go to mina@example.org."
    assert address_field(after.text, "mina")["value"] == "mina@example.org"

    cleared = await send_address(as_sora, "joon", "")
    assert cleared.status_code == 303
    assert contact(database, "joon") == (None, "Europe/Berlin")  # the zone stays
    with database.reading() as session:
        query = select(AuditEntry).where(AuditEntry.action == "user.email")
        logged = [(e.actor, e.detail) for e in session.exec(query.order_by(col(AuditEntry.id)))]
    assert logged == [("sora", "mina"), ("sora", "joon")]


@pytest.mark.parametrize(
    ("language", "beside", "above"),
    [
        (
            "en",
            "'mina at example' is not an e-mail address",
            "Each problem is shown next to its field below.",
        ),
        ("ko", "'mina at example': 이메일 주소 형식이 아닙니다", "각 문제는 해당 입력란 옆에"),
    ],
)
async def test_a_bad_address_is_refused_beside_its_field_in_the_admins_language(
    as_sora: httpx.AsyncClient, database: Database, language: str, beside: str, above: str
) -> None:
    set_contact(database, "mina", "mina@example.org", None)
    set_language(database, "sora", language)
    refused = await send_address(as_sora, "mina", "mina at example")
    assert refused.status_code == 400
    field = address_field(refused.text, "mina")
    assert field["value"] == "mina at example"  # kept as typed
    assert field["aria-describedby"] == "problem-email"
    problem = one(refused.text, "#user-mina #problem-email")  # in mina's row, beside the field
    assert text(problem).startswith(beside)
    assert text(one(refused.text, 'p.error[role="alert"]')).startswith(above)
    assert "aria-invalid" not in address_field(refused.text, "joon")
    assert contact(database, "mina") == ("mina@example.org", None)


async def test_other_roles_may_not_set_an_address(
    app: Starlette, database: Database, people: dict[str, Person], sora: Person
) -> None:
    async with client(app) as browser:
        await log_in(browser, people["mina"])
        token = csrf_token((await browser.get("/")).text)
        data = {"name": "sora", "email": "mina@example.org", "csrf_token": token}
        refused = await browser.post("/users/email", data=data)
    assert refused.status_code == 403
    assert contact(database, "sora") == (None, None)


async def test_each_interface_language_is_marked_with_its_tag(
    as_sora: httpx.AsyncClient, database: Database
) -> None:
    set_language(database, "joon", "ko")
    set_language(database, "mina", "en")
    page = parse((await as_sora.get("/users")).text)
    languages = {
        name: (text(cell), cell.get("lang"))
        for name in ("joon", "mina", "ara")
        for cell in elements(page, f'#user-{name} td[data-label="Interface language"]')
    }
    assert languages == {
        "joon": ("한국어", "ko"),
        "mina": ("English", "en"),
        "ara": ("the browser's", None),  # the page's own words: no tag of another language
    }
