"""A draft's page offers scheduling in each channel's next free slot only when every channel
still to post has slots in config.toml, and otherwise says which channel has none; a request
for it sent anyway is still refused by ``drafts.queueing``."""

from __future__ import annotations

import httpx
import pytest

from drafts.config import Config
from drafts.lifecycle import DraftStatus
from drafts.review import approve
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from tests.web.conftest import (
    SQLITE_ONLY,
    Drafts,
    elements,
    form_fields,
    one,
    set_language,
    text,
)

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]


def approved(drafts: Drafts, database: Database, config: Config, text: dict[str, str]) -> int:
    """A draft mina wrote and joon approved, with no time to publish it: its id."""
    draft_id = drafts.add(text)
    with database.writing() as session:
        joon = find_user(session, "joon")
        approve(session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=utcnow())
    return draft_id


def next_slot_buttons(html: str, draft_id: int) -> list[str]:
    form = one(html, f'form[action="/drafts/{draft_id}/schedule"]')
    return [text(b) for b in elements(form, 'button[value="next-slot"]')]


async def test_the_next_free_slot_is_offered_when_every_channel_has_slots(
    as_joon: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    draft_id = approved(drafts, database, config, {"en": "The library opens late on Sundays."})
    page = (await as_joon.get(f"/drafts/{draft_id}")).text  # linkedin and x-en: both have slots
    assert next_slot_buttons(page, draft_id) == ["In each channel's next free slot"]
    assert elements(page, "#no-free-slot") == []


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (
            "en",
            "No next free slot is offered: channel x-ko has no posting slots. Choose a time.",
        ),
        (
            "ko",
            "각 채널의 다음 빈 시간대에 예약할 수 없습니다. x-ko 채널에는 정해진 게시 시간대가 "
            "없습니다. 시각을 정하세요.",
        ),
    ],
)
async def test_a_channel_without_slots_is_named_instead_of_offering_a_slot_it_would_refuse(
    as_joon: httpx.AsyncClient,
    drafts: Drafts,
    database: Database,
    config: Config,
    language: str,
    said: str,
) -> None:
    set_language(database, "joon", language)
    draft_id = approved(drafts, database, config, {"ko": "도서관은 일요일에 늦게 엽니다."})
    page = (await as_joon.get(f"/drafts/{draft_id}")).text  # linkedin has slots, x-ko none
    assert next_slot_buttons(page, draft_id) == []
    assert text(one(page, "#no-free-slot")) == said
    assert elements(page, 'form button[value="at"]')  # a time can still be given

    forged = form_fields(page, f"/drafts/{draft_id}/schedule") | {"when": "next-slot"}
    refused = await as_joon.post(f"/drafts/{draft_id}/schedule", data=forged)
    assert refused.status_code == 400
    assert "x-ko" in text(one(refused.text, "#schedule-error"))
    assert drafts.status(draft_id) == DraftStatus.APPROVED
