"""A time and "each channel's next free slot" both asked for (issue 17, point 6): refused with
one line next to the field, nothing saved and what was typed kept, as the command line refuses
``--at`` with ``--next-slot``; in the viewer's language. Either one alone is taken."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from drafts.authoring import list_drafts
from drafts.storage import Database
from tests.web.conftest import (
    SQLITE_ONLY,
    csrf_token,
    elements,
    form_fields,
    one,
    post_form,
    set_language,
    text,
)

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]

SEOUL = ZoneInfo("Asia/Seoul")
AT = (datetime.now(SEOUL) + timedelta(days=3)).replace(hour=9, minute=30, second=0, microsecond=0)
TYPED = {
    "kind": "update",
    "title": "Riverside park reopens",
    "channel": ["linkedin"],
    "text:en": "The riverside park is open again.",
    "publish_at": AT.strftime("%Y-%m-%dT%H:%M"),
    "next_slot": "1",
}
BOTH = "Publish at: give a time, or tick “each channel's next free slot”, not both."


def drafts_stored(database: Database) -> int:
    with database.reading() as session:
        return len(list_drafts(session))


async def test_a_time_and_the_next_free_slot_are_refused_next_to_the_field(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    for action in ("save", "submit", "preview"):
        answer = await post_form(as_mina, "/compose", action, TYPED)
        assert answer.status_code == 400
        timing = one(answer.text, "fieldset.timing")
        assert text(one(timing, "p.error#publish_at-error")) == BOTH
        assert one(timing, 'input[name="publish_at"]')["aria-describedby"] == "publish_at-error"
        assert elements(answer.text, "p.error") == elements(timing, "p.error")  # one line
        kept = form_fields(answer.text, "/compose")
        assert (kept["publish_at"], kept["next_slot"]) == (TYPED["publish_at"], "1")
    assert drafts_stored(database) == 0

    token = csrf_token((await as_mina.get("/compose")).text)
    live = await as_mina.post("/compose/preview", data={**TYPED, "csrf_token": token})
    assert text(one(live.text, "#preview-error")) == BOTH

    timed = await post_form(as_mina, "/compose", "save", {**TYPED, "next_slot": ""})
    slotted = await post_form(as_mina, "/compose", "save", {**TYPED, "publish_at": ""})
    assert (timed.status_code, slotted.status_code) == (303, 303)
    with database.reading() as session:
        saved = {draft.id: draft for draft in list_drafts(session)}
    timed_id, slotted_id = (int(a.headers["location"].split("/")[2]) for a in (timed, slotted))
    assert saved[timed_id].publish_at == AT
    assert not saved[timed_id].publish_next_slot
    assert saved[slotted_id].publish_next_slot
    assert saved[slotted_id].publish_at is None


async def test_the_refusal_is_in_the_viewers_language(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    set_language(database, "mina", "ko")
    answer = await post_form(as_mina, "/compose", "save", TYPED)
    assert text(one(answer.text, "#publish_at-error")) == (
        "게시 시각: 시각을 적거나 ‘각 채널의 다음 빈 시간대’를 고르세요. 둘 다 고를 수는 없습니다."
    )
    assert drafts_stored(database) == 0
