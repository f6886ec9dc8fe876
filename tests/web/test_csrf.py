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


@SQLITE_ONLY
async def test_the_token_may_come_in_a_header(as_joon: httpx.AsyncClient, drafts: Drafts) -> None:
    draft_id = drafts.add()
    token = csrf_token((await as_joon.get("/")).text)
    page = (await as_joon.get(f"/drafts/{draft_id}")).text
    seen = form_fields(page, f"/drafts/{draft_id}/approve")["seen"]
    response = await as_joon.post(
        f"/drafts/{draft_id}/approve", headers={"X-CSRF-Token": token}, data={"seen": seen}
    )
    assert response.status_code == 303
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
