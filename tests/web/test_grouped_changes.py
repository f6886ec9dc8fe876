"""The draft page says a change made to many posts once: grouped by language, naming the
channels whose posts it is, both since the last decision and since the reviewer opened the page."""

from __future__ import annotations

import httpx
import pytest

from tests.web.conftest import SQLITE_ONLY, Drafts, elements, form_fields, one, parse, text, texts

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]

BEFORE = {"en": "The park opens on Monday.", "ko": "공원은 월요일에 문을 엽니다."}
AFTER = {"en": "The park opens on Tuesday.", "ko": "공원은 월요일에 문을 엽니다."}


async def test_one_change_to_a_languages_posts_is_shown_once_with_its_channels(
    as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add(BEFORE)
    page = await as_joon.get(f"/drafts/{draft_id}")
    await as_joon.post(
        f"/drafts/{draft_id}/approve", data=form_fields(page.text, f"/drafts/{draft_id}/approve")
    )
    drafts.edit(draft_id, AFTER)

    section = one((await as_joon.get(f"/drafts/{draft_id}")).text, "section.changes")
    change = one(section, ".post-change")  # LinkedIn's and X's English posts: one change
    assert texts(change, ".post-lang") == ["English"]  # named, in the viewer's language
    assert one(change, ".diff")["lang"] == "en"  # the text keeps its tag
    assert texts(change, ".post-channels .post-channel") == ["linkedin", "x-en"]
    assert text(one(change, ".post-change-head")).endswith("text changed")
    assert texts(change, ".diff del") == ["Monday"]
    assert texts(change, ".diff ins") == ["Tuesday"]


async def test_the_changes_since_the_page_was_opened_are_grouped_too(
    as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add(BEFORE)
    opened = await as_joon.get(f"/drafts/{draft_id}")
    drafts.edit(
        draft_id, {"en": "The park opens on Tuesday.", "ko": "공원은 화요일에 문을 엽니다."}
    )

    refused = await as_joon.post(
        f"/drafts/{draft_id}/approve", data=form_fields(opened.text, f"/drafts/{draft_id}/approve")
    )
    assert refused.status_code == 409
    section = parse(refused.text).select_one("section.since-opened")
    assert section is not None
    heads = [
        (text(one(change, ".post-lang")), texts(change, ".post-channel"))
        for change in elements(section, ".post-change")
    ]
    assert heads == [("English", ["linkedin", "x-en"]), ("Korean", ["linkedin", "x-ko"])]
