"""Post/redirect/get on compose and edit (issue 17, point 5): whatever stores a draft answers
with a redirect, so a reload shows the draft and sends nothing again, and the same blank form
sent twice (a double click, Back then Save again) makes one draft.

A browser reloads the page it shows: after a redirect it asks for that page again (GET); after
a page that answered a POST, it sends the POST again. ``reload`` does what the browser does.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from drafts.authoring import draft_posts, list_drafts
from drafts.lifecycle import DraftStatus
from drafts.storage import Database
from drafts.users import Role
from tests.web.conftest import (
    SQLITE_ONLY,
    add_people,
    client,
    csrf_token,
    form_fields,
    has_form,
    log_in,
    one,
    set_language,
    text,
)

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]

TOO_LONG_ON_X = {
    "kind": "update",
    "title": "공원 소식",
    "channel": ["linkedin", "x-ko"],
    "text:ko": "가" * 150,  # Hangul counts 2 on X: 300 weighted characters, over 280
}
FITS = {
    "kind": "update",
    "title": "Riverside park reopens",
    "channel": ["linkedin"],
    "text:en": "The riverside park is open again.",
}


def stored(database: Database) -> list[tuple[int, str]]:
    with database.reading() as session:
        return [(draft.id or 0, draft.status) for draft in list_drafts(session)]


async def reload(
    browser: httpx.AsyncClient, answer: httpx.Response, sent: dict[str, Any]
) -> httpx.Response:
    """What a reload of the page ``answer`` shows does: a redirect's page asked for again, or
    the form that was answered sent again."""
    if answer.is_redirect:
        return await browser.get(answer.headers["location"])
    return await browser.post(str(answer.request.url), data=sent)


async def blank_form(browser: httpx.AsyncClient, path: str = "/compose") -> dict[str, str]:
    """The hidden fields of the form at ``path`` (its CSRF token, and its own token)."""
    return form_fields((await browser.get(path)).text, path)


async def test_a_reload_after_a_refused_submit_makes_no_second_draft(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    sent = {**await blank_form(as_mina), **TOO_LONG_ON_X, "action": "submit"}
    answer = await as_mina.post("/compose", data=sent)
    page = await reload(as_mina, answer, sent)
    await reload(as_mina, page, sent)
    [(draft_id, status)] = stored(database)  # one draft, saved and not sent to review
    assert status == DraftStatus.DRAFT

    assert answer.status_code == 303
    assert answer.headers["location"] == f"/drafts/{draft_id}/edit"
    assert page.status_code == 200
    assert "cannot be submitted: x-ko (ko): 300 weighted characters" in text(
        one(page.text, "#compose-error")
    )
    assert "It was not sent to review." in page.text
    assert has_form(page.text, f"/drafts/{draft_id}/edit")


async def test_a_refused_submit_on_the_edit_page_redirects_too(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    first = await as_mina.post(
        "/compose", data={**await blank_form(as_mina), **TOO_LONG_ON_X, "action": "save"}
    )
    [(draft_id, _)] = stored(database)
    edit = first.headers["location"]
    sent = {**await blank_form(as_mina, edit), **TOO_LONG_ON_X, "action": "submit"}
    answer = await as_mina.post(edit, data=sent)
    assert (answer.status_code, answer.headers["location"]) == (303, edit)
    page = await reload(as_mina, answer, sent)
    assert "cannot be submitted" in text(one(page.text, "#compose-error"))
    assert stored(database) == [(draft_id, DraftStatus.DRAFT)]


async def test_the_same_form_sent_twice_makes_one_draft(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    form = await blank_form(as_mina)
    assert form["form_token"]
    sent = {**form, **FITS, "action": "submit"}
    first = await as_mina.post("/compose", data=sent)
    [(draft_id, status)] = stored(database)
    assert (first.headers["location"], status) == (f"/drafts/{draft_id}", DraftStatus.IN_REVIEW)

    again = await as_mina.post("/compose", data=sent)  # Back, then "Save and submit" again
    assert again.headers["location"] == f"/drafts/{draft_id}"
    assert stored(database) == [(draft_id, DraftStatus.IN_REVIEW)]
    page = await as_mina.get(again.headers["location"])
    assert f"Draft {draft_id}" in text(one(page.text, "[role=status]"))

    # Back once more, the text changed, "Save draft": the same draft is edited.
    changed = {**sent, "text:en": "The riverside park is open again, with shade.", "action": "save"}
    edited = await as_mina.post("/compose", data=changed)
    assert edited.headers["location"] == f"/drafts/{draft_id}/edit"
    assert [draft_id for draft_id, _ in stored(database)] == [draft_id]
    with database.reading() as session:
        [post] = draft_posts(session, draft_id)
    assert post.text == "The riverside park is open again, with shade."

    # A new blank form is a new draft.
    other = await as_mina.post(
        "/compose", data={**await blank_form(as_mina), **FITS, "action": "save"}
    )
    assert other.status_code == 303
    assert len(stored(database)) == 2


async def test_a_double_click_makes_one_draft(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    sent = {**await blank_form(as_mina), **FITS, "action": "submit"}
    answers = await asyncio.gather(*(as_mina.post("/compose", data=sent) for _ in range(3)))
    [(draft_id, status)] = stored(database)
    assert status == DraftStatus.IN_REVIEW
    assert {answer.headers["location"] for answer in answers} == {f"/drafts/{draft_id}"}


async def test_a_form_token_is_its_users_own(
    as_mina: httpx.AsyncClient, app: Starlette, database: Database
) -> None:
    """Another writer sending a page with mina's token adds a draft of their own."""
    hana = add_people(database, {"hana": Role.AUTHOR})["hana"]
    form = await blank_form(as_mina)
    await as_mina.post("/compose", data={**form, **FITS, "action": "save"})
    async with client(app) as browser:
        assert (await log_in(browser, hana)).status_code == 303
        token = csrf_token((await browser.get("/compose")).text)
        theirs = {**form, "csrf_token": token, **FITS, "title": "Hana's", "action": "save"}
        assert (await browser.post("/compose", data=theirs)).status_code == 303
    with database.reading() as session:
        titles = sorted(draft.title for draft in list_drafts(session))
    assert titles == ["Hana's", "Riverside park reopens"]


async def test_why_it_was_not_sent_is_said_in_the_authors_language(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    set_language(database, "mina", "ko")
    sent = {**await blank_form(as_mina), **TOO_LONG_ON_X, "action": "submit"}
    page = await reload(as_mina, await as_mina.post("/compose", data=sent), sent)
    said = text(one(page.text, "#compose-error"))
    assert said.startswith("초안 ") and "cannot be submitted" not in said
    assert "검토 요청은 보내지 못했습니다." in text(one(page.text, "[role=status]"))
