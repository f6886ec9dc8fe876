"""Compose (issue 11): an author asks for a thread when a text is too long, writes a first
comment in each language, and writes a text as explicit parts; the form makes the draft file's
``thread``, ``first_comment`` and list of parts, and reads them back for editing."""

from __future__ import annotations

import tomllib

import httpx
import pytest

from drafts.authoring import draft_posts, get_draft, list_drafts
from drafts.storage import Database
from tests.web.conftest import SQLITE_ONLY, elements, form_fields, one, post_form, text, texts

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]

LONG = " ".join(
    f"Sentence {number} tells one more thing about the riverside park and its new paths."
    for number in range(1, 9)
)
COMMENT = {
    "en": "Opening hours: https://example.org/park",
    "ko": "운영 시간: https://example.org/park",
}
FREE_TEXT = {"kind": "post", "title": "Riverside park", "template_shown": ""}


def stored(database: Database) -> tuple[int, dict[str, object], list[tuple[str, str, int, int]]]:
    """The one draft stored: its id, its draft file, and its posts' (channel, language, part,
    parts)."""
    with database.reading() as session:
        [draft] = list_drafts(session)
        assert draft.id is not None
        posts = draft_posts(session, draft.id)
        source = tomllib.loads(get_draft(session, draft.id).source)
    return (
        draft.id,
        source,
        [(post.channel, post.language, post.part, post.parts) for post in posts],
    )


async def test_thread_auto_and_a_first_comment_make_the_draft_a_thread_with_its_comment(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    fields = {
        **FREE_TEXT,
        "channel": ["linkedin", "x-en"],
        "text:en": LONG,
        "thread": "auto",
        "first_comment:en": COMMENT["en"],
    }
    blank = await as_mina.get("/compose")
    assert one(blank.text, 'input[name="thread"]')["value"] == "auto"

    preview = await post_form(as_mina, "/compose", "preview", fields)
    assert preview.status_code == 200, preview.text
    x_chain = next(
        chain
        for chain in elements(preview.text, "section.chain")
        if "x-en" in texts(chain, ".post-channel")
    )
    labels = texts(x_chain, ".part-label")
    assert labels[-1] == "first comment" and labels[0] == f"1/{len(labels) - 1}"
    assert elements(preview.text, ".counts li.over") == []

    submitted = await post_form(as_mina, "/compose", "submit", fields)
    assert submitted.status_code == 303, submitted.text
    draft_id, source, posts = stored(database)
    assert source["thread"] == "auto"
    assert source["first_comment"] == {"en": COMMENT["en"]}
    x_parts = [(part, parts) for channel, _, part, parts in posts if channel == "x-en"]
    parts = x_parts[0][1]
    assert parts > 1
    assert x_parts == [(number, parts) for number in range(1, parts + 2)]  # then the comment
    assert [(p, n) for c, _, p, n in posts if c == "linkedin"] == [(1, 1), (2, 1)]

    edit = await as_mina.get(f"/drafts/{draft_id}/edit")
    shown = form_fields(edit.text, f"/drafts/{draft_id}/edit")
    assert shown["thread"] == "auto"
    assert shown["first_comment:en"] == COMMENT["en"]


async def test_explicit_parts_are_the_draft_files_list_and_come_back_for_editing(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    fields = {
        **FREE_TEXT,
        "channel": ["x-en", "x-ko"],
        "text:en": "The park is open again.",
        "part:en:2": "New paths run along the water.",
        "part:en:3": "",  # left empty: no part
        "part:en:4": "Come and see.",
        "text:ko": "공원이 다시 문을 열었습니다.",
        "first_comment:ko": COMMENT["ko"],
    }

    submitted = await post_form(as_mina, "/compose", "save", fields)
    assert submitted.status_code == 303, submitted.text
    draft_id, source, posts = stored(database)
    assert source["text"] == {
        "en": ["The park is open again.", "New paths run along the water.", "Come and see."],
        "ko": "공원이 다시 문을 열었습니다.",
    }
    assert "thread" not in source
    assert source["first_comment"] == {"ko": COMMENT["ko"]}
    assert posts == [
        ("x-en", "en", 1, 3),
        ("x-en", "en", 2, 3),
        ("x-en", "en", 3, 3),
        ("x-ko", "ko", 1, 1),
        ("x-ko", "ko", 2, 1),  # the comment
    ]

    edit = await as_mina.get(f"/drafts/{draft_id}/edit")
    shown = form_fields(edit.text, f"/drafts/{draft_id}/edit")
    assert shown["text:en"] == "The park is open again."
    assert [shown.get(f"part:en:{number}") for number in (2, 3, 4)] == [
        "New paths run along the water.",
        "Come and see.",
        "",  # room for one more
    ]
    assert shown["part:ko:2"] == ""
    assert "thread" not in shown  # the box is not ticked
    assert text(one(edit.text, 'textarea[name="first_comment:ko"]')) == COMMENT["ko"]


async def test_a_word_too_long_for_a_part_is_one_line_naming_the_channel(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    fields = {
        **FREE_TEXT,
        "channel": ["x-en"],
        "text:en": "Read " + "a" * 300,
        "thread": "auto",
    }

    refused = await post_form(as_mina, "/compose", "submit", fields)

    assert refused.status_code != 303
    lines = texts(refused.text, ".problem, .error")
    assert any(
        line.startswith("text: ") and "cannot split the x-en post" in line for line in lines
    ), lines
    with database.reading() as session:
        assert list_drafts(session) == []
