"""The API tokens page: a user makes a token (shown once, working against /api/v1), sees it
listed, revokes it after being asked; refusals stand beside their field in the viewer's
language; an admin manages anyone's tokens, an author only their own."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from drafts.storage import Database
from drafts.users import Role
from tests.web.conftest import (
    SQLITE_ONLY,
    Person,
    add_people,
    cells,
    client,
    csrf_token,
    elements,
    form_fields,
    log_in,
    one,
    set_language,
    text,
    texts,
)

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]


async def make(
    browser: httpx.AsyncClient, path: str = "/tokens", **fields: object
) -> httpx.Response:
    """Send the page's Make a token form (after its user choice, for an admin) with ``fields``."""
    page = await browser.get(path)
    owner = one(page.text, "form.token-new input[name=user]")["value"]
    sent = {"csrf_token": csrf_token(page.text), "user": owner, "expires": "", **fields}
    return await browser.post("/tokens", data=sent)


async def test_a_token_is_made_shown_once_listed_used_and_revoked(
    as_mina: httpx.AsyncClient, app: Starlette
) -> None:
    preferences = await as_mina.get("/preferences")
    assert elements(preferences.text, 'a[href="/tokens"]')
    empty = await as_mina.get("/tokens")
    assert "mina has no API token." in empty.text

    made = await make(as_mina, name="job-board", scopes=["read", "drafts:write"])
    assert made.status_code == 200
    token = str(one(made.text, "input.token-value")["value"])
    assert token.startswith("tdg_")
    assert "cannot show it again" in text(one(made.text, ".token-made"))
    row = one(made.text, "table.tokens tbody tr")
    assert cells(row)[:2] == ["job-board", "read, drafts:write"]
    assert cells(row)[3:5] == ["does not expire", "never used"]

    listed = await as_mina.get("/tokens")
    assert token not in listed.text  # shown that once only
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tidings")
    async with api:
        headers = {"Authorization": f"Bearer {token}"}
        assert (await api.get("/api/v1/drafts", headers=headers)).status_code == 200
        again = await as_mina.get("/tokens")
        assert cells(one(again.text, "table.tokens tbody tr"))[4] != "never used"

        ask = await as_mina.get("/tokens/revoke", params={"user": "mina", "name": "job-board"})
        assert text(one(ask.text, "h1")) == "Revoke the token job-board of mina?"
        gone = await as_mina.post("/tokens/revoke", data=form_fields(ask.text, "/tokens/revoke"))
        assert gone.status_code == 303
        after = await as_mina.get(gone.headers["location"])
        assert "Token job-board of mina revoked." in after.text
        assert elements(after.text, "table.tokens") == []
        assert (await api.get("/api/v1/drafts", headers=headers)).status_code == 401


async def test_refusals_stand_beside_their_fields(as_mina: httpx.AsyncClient) -> None:
    await make(as_mina, name="job-board", scopes=["read"])
    refused = await make(as_mina, name="job-board", scopes=[], expires="2001-01-01")
    assert refused.status_code == 400
    assert texts(refused.text, "#problem-scopes") == ["give at least one"]
    assert elements(refused.text, "#problem-expires") == []  # one problem at a time: the first
    later = await make(as_mina, name="job-board", scopes=["read"], expires="2001-01-01")
    assert texts(later.text, "#problem-expires") == ["2001-01-01 is in the past"]
    taken = await make(as_mina, name="job-board", scopes=["read"], expires="")
    assert texts(taken.text, "#problem-name") == ["mina already has a token named job-board"]
    kept = one(taken.text, "form.token-new input[name=name]")["value"]
    assert kept == "job-board"  # kept for correcting
    odd = await make(as_mina, name="<script>", scopes=["read"])
    assert "starting with a letter or digit" in texts(odd.text, "#problem-name")[0]
    assert len(elements((await as_mina.get("/tokens")).text, "table.tokens tbody tr")) == 1


async def test_refusals_in_korean(
    app: Starlette, database: Database, people: dict[str, Person]
) -> None:
    set_language(database, "mina", "ko")
    async with client(app) as browser:
        assert (await log_in(browser, people["mina"])).status_code == 303
        page = await browser.get("/tokens")
        assert text(one(page.text, "h1")) == "API 토큰"
        refused = await make(browser, name="job-board", scopes=[])
        assert texts(refused.text, "#problem-scopes") == ["하나 이상 고르세요"]
        past = await make(browser, name="job-board", scopes=["read"], expires="2001-01-01")
        assert texts(past.text, "#problem-expires") == ["지난 날짜입니다: 2001-01-01"]


async def test_an_admin_manages_anyones_tokens_and_an_author_only_their_own(
    app: Starlette, database: Database, as_mina: httpx.AsyncClient
) -> None:
    hana = add_people(database, {"hana": Role.ADMIN})["hana"]
    async with client(app) as admin:
        assert (await log_in(admin, hana)).status_code == 303
        made = await make(admin, "/tokens?user=mina", name="ops", scopes=["admin"])
        assert made.status_code == 200 and elements(made.text, "input.token-value")
        assert "option" in made.text and "mina" in texts(made.text, "select[name=user] option")
    mine = await as_mina.get("/tokens")
    assert cells(one(mine.text, "table.tokens tbody tr"))[:2] == ["ops", "admin"]
    assert elements(mine.text, "select[name=user]") == []  # an author chooses nobody else
    theirs = await as_mina.get("/tokens", params={"user": "hana"})
    assert theirs.status_code == 403
    token = csrf_token(mine.text)
    sneaky = await as_mina.post(
        "/tokens", data={"csrf_token": token, "user": "hana", "name": "x", "scopes": "read"}
    )
    assert sneaky.status_code == 403
    without_csrf = await as_mina.post("/tokens", data={"name": "x", "scopes": "read"})
    assert without_csrf.status_code == 403
    assert len(elements((await as_mina.get("/tokens")).text, "table.tokens tbody tr")) == 1
