"""The compose page speaks its viewer's language (issue 17, point 8): a refused form's problems
are told from the problems the draft file check made, each beside its field and every one of
them, in Korean for a Korean author; the live preview lists them too; an upload's refusal, the
post cards' over-limit lines and "Save and submit"'s one sentence are in the author's language.

Each Korean check has its English twin, so a line that is only ever English fails here.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from drafts.authoring import list_drafts
from drafts.storage import Database
from tests.web.conftest import (
    SQLITE_ONLY,
    csrf_token,
    one,
    post_form,
    set_language,
    text,
    texts,
)

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]

UNTITLED: dict[str, Any] = {"kind": "update", "title": "", "text:en": "The park is open."}
# No channel and a time that is none: two problems (the live preview needs no title).
UNCHOSEN: dict[str, Any] = {"kind": "update", "text:en": "Open.", "expires_at": "soon"}
TOO_LONG_ON_X: dict[str, Any] = {
    "kind": "update",
    "title": "공원 소식",
    "channel": ["linkedin", "x-ko"],
    "text:ko": "가" * 150,  # Hangul counts 2 on X: 300 weighted characters
}


def stored(database: Database) -> list[tuple[int, str]]:
    with database.reading() as session:
        return [(draft.id or 0, draft.status) for draft in list_drafts(session)]


async def live_preview(browser: httpx.AsyncClient, typed: dict[str, Any]) -> httpx.Response:
    token = csrf_token((await browser.get("/compose")).text)
    return await browser.post("/compose/preview", data={**typed, "csrf_token": token})


async def test_each_problem_is_said_beside_its_field_in_english(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    refused = await post_form(as_mina, "/compose", "save", UNTITLED)
    assert refused.status_code == 400
    assert text(one(refused.text, "#problem-title")) == "is empty"
    title = one(refused.text, 'input[name="title"]')
    assert (title["aria-invalid"], title["aria-describedby"]) == ("true", "problem-title")
    channels = one(refused.text, "fieldset.channels #problem-channels")
    assert text(channels) == "is empty: give at least one"
    assert text(one(refused.text, "#compose-error")) == (
        "Each problem is shown next to its field below."
    )
    assert stored(database) == []


async def test_each_problem_is_said_beside_its_field_in_korean(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    set_language(database, "mina", "ko")
    refused = await post_form(as_mina, "/compose", "save", UNTITLED)
    assert refused.status_code == 400
    assert text(one(refused.text, "#problem-title")) == "비어 있습니다"
    assert text(one(refused.text, "#problem-channels")) == "비어 있습니다. 하나 이상 고르세요"
    assert text(one(refused.text, "#compose-error")) == "각 문제는 해당 입력란 옆에 표시됩니다."
    assert "is empty" not in refused.text and "form:" not in refused.text


async def test_the_live_preview_lists_every_problem_in_the_viewers_language(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    english = list(one((await live_preview(as_mina, UNCHOSEN)).text, "#preview-error").strings)
    assert english[0] == "channels: is empty: give at least one"
    assert english[1].startswith("expires at: 'soon") and len(english) == 2
    set_language(database, "mina", "ko")
    korean = list(one((await live_preview(as_mina, UNCHOSEN)).text, "#preview-error").strings)
    assert korean[0] == "채널: 비어 있습니다. 하나 이상 고르세요"
    assert korean[1].startswith("만료 시각: 'soon") and len(korean) == 2


async def test_the_over_limit_line_is_in_the_viewers_language(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    english = await post_form(as_mina, "/compose", "preview", TOO_LONG_ON_X)
    assert "300 weighted characters, over X's limit of 280 by 20" in texts(
        english.text, "p.problem"
    )
    set_language(database, "mina", "ko")
    korean = await post_form(as_mina, "/compose", "preview", TOO_LONG_ON_X)
    assert "300 자 (가중치 적용): X 한도 280보다 20 많습니다" in texts(korean.text, "p.problem")
    assert not [line for line in texts(korean.text, "p.problem") if "limit" in line]


async def test_save_and_submit_says_one_sentence(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    typed = {**TOO_LONG_ON_X, "channel": ["linkedin"]}
    saved = await post_form(as_mina, "/compose", "save", typed)
    [(draft_id, _status)] = stored(database)
    edit = saved.headers["location"]
    sent = await post_form(as_mina, edit, "submit", {**typed, "text:ko": "가" * 20})
    page = await as_mina.get(sent.headers["location"])
    assert texts(page.text, "p.flash") == [f"Draft {draft_id} saved and sent to review."]

    set_language(database, "mina", "ko")
    added = await post_form(as_mina, "/compose", "submit", typed)
    page = await as_mina.get(added.headers["location"])
    assert texts(page.text, "p.flash") == [
        f"초안 {draft_id + 1}: 추가하고 검토를 요청했습니다 (\u2068공원 소식\u2069, 게시물 1개)."
    ]


async def test_a_refused_upload_is_said_in_the_viewers_language(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    async def upload_empty() -> list[str]:
        page = await as_mina.get("/compose")
        data = {**UNTITLED, "action": "upload", "csrf_token": csrf_token(page.text)}
        files = [("images", ("empty.jpg", b"", "image/jpeg"))]
        answer = await as_mina.post("/compose", data=data, files=files)
        return texts(answer.text, "#upload-error li")

    assert await upload_empty() == ["empty.jpg: the file is empty"]
    set_language(database, "mina", "ko")
    assert await upload_empty() == ["empty.jpg: 파일이 비어 있습니다"]
