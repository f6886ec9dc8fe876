"""The app behind uvicorn on a loopback port, as a browser meets it: real cookies over HTTP."""

from __future__ import annotations

import httpx

from drafts.lifecycle import DraftStatus
from tests.web.conftest import SQLITE_ONLY, TOKEN, Drafts, Person, form_fields


@SQLITE_ONLY
def test_a_reviewer_logs_in_and_approves_over_http(
    server_url: str, people: dict[str, Person], drafts: Drafts
) -> None:
    draft_id = drafts.add()
    with httpx.Client(base_url=server_url) as browser:
        assert browser.get("/").headers["location"] == "/login"
        token = TOKEN.search(browser.get("/login").text)
        assert token is not None
        joon = people["joon"]
        logged_in = browser.post(
            "/login", data={"name": joon.name, "password": joon.password, "csrf_token": token[1]}
        )
        assert logged_in.status_code == 303
        page = browser.get(f"/drafts/{draft_id}")
        assert "강변 공원" in page.text
        form = form_fields(page.text, f"/drafts/{draft_id}/approve")
        approved = browser.post(f"/drafts/{draft_id}/approve", data=form)
        assert approved.status_code == 303
    assert drafts.status(draft_id) == DraftStatus.APPROVED
