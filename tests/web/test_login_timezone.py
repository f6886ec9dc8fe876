"""Logging in shows times in the timezone the user saved (on the preferences page, or with
``tidings user set --timezone``), in a browser that never chose one; a user who saved none sees
the team's."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from drafts.storage import Database
from drafts.users import find_user
from tests.web.conftest import SQLITE_ONLY, Person, client, csrf_token, log_in, one, text

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]


def save_zone(database: Database, name: str, zone: str | None) -> None:
    with database.writing() as session:
        user = find_user(session, name)
        user.timezone = zone
        session.add(user)


async def shown_zone(browser: httpx.AsyncClient) -> str:
    """The timezone the preferences page offers as chosen: the one pages show times in."""
    page = await browser.get("/preferences")
    return str(one(page.text, "select[name=timezone] option[selected]").get_text())


async def test_a_login_shows_times_in_the_users_saved_timezone(
    app: Starlette, database: Database, people: dict[str, Person]
) -> None:
    save_zone(database, "mina", "America/New_York")
    async with client(app) as browser:
        assert (await log_in(browser, people["mina"])).status_code == 303
        assert await shown_zone(browser) == "America/New_York"
        desk = await browser.get("/")
        assert text(one(desk.text, 'a[href="/preferences"]')) == "Preferences · America/New_York"


async def test_without_a_saved_timezone_a_login_shows_the_teams(
    app: Starlette, database: Database, people: dict[str, Person]
) -> None:
    async with client(app) as browser:
        assert (await log_in(browser, people["joon"])).status_code == 303
        assert await shown_zone(browser) == "Asia/Seoul"


async def test_the_zone_chosen_on_the_preferences_page_holds_at_the_next_login(
    app: Starlette, people: dict[str, Person]
) -> None:
    async with client(app) as browser:
        await log_in(browser, people["mina"])
        token = csrf_token((await browser.get("/preferences")).text)
        chosen = {"csrf_token": token, "timezone": "Europe/Berlin"}
        assert (await browser.post("/preferences", data=chosen)).status_code == 303
    async with client(app) as elsewhere:  # another browser: no zone in its cookie
        await log_in(elsewhere, people["mina"])
        assert await shown_zone(elsewhere) == "Europe/Berlin"
