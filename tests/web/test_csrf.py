"""Every state-changing request must carry the session's CSRF token."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from drafts.lifecycle import DraftStatus
from tests.web.conftest import SQLITE_ONLY, Drafts, Person, client, csrf_token, form_fields

pytestmark = pytest.mark.anyio


async def test_a_decision_without_the_token_is_refused_and_changes_nothing(
    as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add()
    refused = [
        await as_joon.post(f"/drafts/{draft_id}/approve", data={"comment": "fine"}),
        await as_joon.post(f"/drafts/{draft_id}/approve", data={"csrf_token": "forged"}),
        await as_joon.post(f"/drafts/{draft_id}/approve", data={"csrf_token": ""}),
        await as_joon.post(f"/drafts/{draft_id}/approve", json={"csrf_token": "forged"}),
        await as_joon.post(
            f"/drafts/{draft_id}/request-changes", data={"comment": "Name the park"}
        ),
    ]
    assert [response.status_code for response in refused] == [403] * len(refused)
    assert "reload the page and try again" in refused[0].text
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW


@SQLITE_ONLY
async def test_the_token_of_another_session_does_not_count(
    app: Starlette, as_joon: httpx.AsyncClient, people: dict[str, Person], drafts: Drafts
) -> None:
    draft_id = drafts.add()
    async with client(app) as other:
        foreign_token = csrf_token((await other.get("/login")).text)
    response = await as_joon.post(f"/drafts/{draft_id}/approve", data={"csrf_token": foreign_token})
    assert response.status_code == 403
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW


async def approve_with(browser: httpx.AsyncClient, draft_id: int, token: str) -> int:
    """Approve the draft as its page shows it, the token in the ``X-CSRF-Token`` header; the
    answer's status."""
    page = (await browser.get(f"/drafts/{draft_id}")).text
    seen = form_fields(page, f"/drafts/{draft_id}/approve")["seen"]
    response = await browser.post(
        f"/drafts/{draft_id}/approve", headers={"X-CSRF-Token": token}, data={"seen": seen}
    )
    return response.status_code


@SQLITE_ONLY
async def test_the_token_may_come_in_a_header(as_joon: httpx.AsyncClient, drafts: Drafts) -> None:
    draft_id = drafts.add()
    token = csrf_token((await as_joon.get("/")).text)
    assert await approve_with(as_joon, draft_id, token) == 303
    assert drafts.status(draft_id) == DraftStatus.APPROVED


@SQLITE_ONLY
async def test_each_page_carries_the_token_masked_anew_and_each_counts(
    as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    """No two pages hold the same characters for the token (a compressed page that also shows
    what a visitor typed would leak it: BREACH), yet the token of any page counts; one
    character changed does not."""
    first_draft, second_draft = drafts.add(), drafts.add()
    tokens = [csrf_token((await as_joon.get("/")).text) for _ in range(3)]
    assert len(set(tokens)) == 3
    altered = tokens[0][:10] + ("A" if tokens[0][10] != "A" else "B") + tokens[0][11:]
    assert await approve_with(as_joon, first_draft, altered) == 403
    assert drafts.status(first_draft) == DraftStatus.IN_REVIEW
    for draft_id, token in ((first_draft, tokens[1]), (second_draft, tokens[2])):
        assert await approve_with(as_joon, draft_id, token) == 303
        assert drafts.status(draft_id) == DraftStatus.APPROVED


@SQLITE_ONLY
async def test_logging_in_and_out_need_the_token_too(
    app: Starlette, as_joon: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    async with client(app) as browser:
        person = people["joon"]
        response = await browser.post(
            "/login", data={"name": person.name, "password": person.password}
        )
        assert response.status_code == 403
        assert (await browser.get("/")).status_code == 303
    assert (await as_joon.post("/logout")).status_code == 403
    assert (await as_joon.get("/")).status_code == 200


@SQLITE_ONLY
async def test_every_form_route_is_behind_the_check(
    app: Starlette, as_joon: httpx.AsyncClient
) -> None:
    posting = [
        route.path.replace("{draft_id:int}", "1")
        for route in app.routes
        if isinstance(route, Route) and route.methods and "POST" in route.methods
    ]
    assert len(posting) >= 5
    for path in posting:
        assert (await as_joon.post(path, data={"x": "y"})).status_code == 403, path
