"""A template field whose value differs by language, on the edit page: its value in each
language is shown (the per-language inputs, open, and a note by the empty input for every
language), and a value typed for every language while each language has its own is refused
beside the field, never dropped silently (issue 17, W1 gap 1)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from drafts.authoring import draft_posts
from drafts.storage import Database
from tests.web.conftest import (
    SQLITE_ONLY,
    csrf_token,
    elements,
    one,
    post_form,
    set_language,
    text,
)
from tests.web.test_compose import HIRING

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]

DIFFERS = (
    "Differs by language: each language's value is below; this one fills any language left empty."
)
UNUSED = "each language below has its own value, so this one would not be used: clear it, or clear theirs"


def post_texts(database: Database, draft_id: int) -> dict[tuple[str, str], str]:
    with database.reading() as session:
        return {(post.channel, post.language): post.text for post in draft_posts(session, draft_id)}


async def saved_hiring(browser: httpx.AsyncClient) -> str:
    """A hiring draft whose location differs by language, saved: its edit page's path."""
    saved = await post_form(browser, "/compose", "save", HIRING)
    assert saved.status_code == 303, saved.text
    return str(saved.headers["location"])


async def test_the_edit_page_shows_each_languages_value(as_mina: httpx.AsyncClient) -> None:
    page = (await as_mina.get(await saved_hiring(as_mina))).text
    row = one(page, "#field-location")
    shared = one(row, 'input[name="field:location"]')
    assert shared["value"] == ""
    assert text(one(row, "#differs-location")) == DIFFERS
    assert "differs-location" in str(shared["aria-describedby"]).split()
    assert one(row, "details.per-language").has_attr("open")
    assert one(row, 'input[name="field:location:ko"]')["value"] == "대한민국 서울"
    assert one(row, 'input[name="field:location:en"]')["value"] == "Seoul, Republic of Korea"
    assert elements(page, "#differs-deadline") == []  # one value for all: no note


async def test_a_value_for_every_language_that_no_language_would_use_is_refused(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    edit = await saved_hiring(as_mina)
    draft_id = int(edit.split("/")[2])
    before = post_texts(database, draft_id)
    typed: dict[str, Any] = {**HIRING, "field:location": "Busan"}
    for action in ("save", "preview"):
        refused = await post_form(as_mina, edit, action, typed)
        assert refused.status_code == 400
        assert text(one(refused.text, "#field-location #problem-field-location")) == UNUSED
        shared = one(refused.text, 'input[name="field:location"]')
        assert shared["value"] == "Busan"  # kept as typed
        assert "problem-field-location" in str(shared["aria-describedby"]).split()
    assert post_texts(database, draft_id) == before

    token = csrf_token((await as_mina.get(edit)).text)
    live = await as_mina.post("/compose/preview", data={**typed, "csrf_token": token})
    assert text(one(live.text, "#preview-error")) == f"Location: {UNUSED}"

    # One language's own value cleared: the value for every language fills it, and is used.
    some = {**typed, "field:location:en": ""}
    assert (await post_form(as_mina, edit, "save", some)).status_code == 303
    after = post_texts(database, draft_id)
    assert "Busan" in after["linkedin", "en"]
    assert "대한민국 서울" in after["linkedin", "ko"]


async def test_the_refusal_is_in_the_viewers_language(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    edit = await saved_hiring(as_mina)
    set_language(database, "mina", "ko")
    refused = await post_form(as_mina, edit, "save", {**HIRING, "field:location": "Busan"})
    said = text(one(refused.text, "#problem-field-location"))
    assert said and said != UNUSED
    assert text(one(refused.text, "#differs-location")) != DIFFERS
