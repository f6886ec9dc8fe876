"""Post cards, the changes since the last decision and the Channels page's account cards, as a
reader reads them: a post's language by its name in the viewer's language (its text keeps the
tag in ``lang``), and every time inside ``<time>``, which the style sheet keeps on one line on a
phone (a time broken at its date's hyphen misreads)."""

from __future__ import annotations

import httpx
import pytest
from bs4 import Tag

from drafts.config import Config
from drafts.storage import Database
from drafts.times import show, zone
from tests.web.conftest import (
    SQLITE_ONLY,
    Drafts,
    elements,
    form_fields,
    one,
    set_language,
    text,
    texts,
)
from tests.web.scheduling import add_attempts, next_sunday_evening, scheduled
from tests.web.test_connect_status import connected, published

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]

__all__ = ["connected"]  # the fixture, used here by name

BEFORE = {"en": "The park opens on Monday.", "ko": "공원은 월요일에 문을 엽니다."}
AFTER = {"en": "The park opens on Tuesday.", "ko": "공원은 화요일에 문을 엽니다."}


def facts(card: Tag) -> dict[str, Tag]:
    """A post card's facts, each term's value by the term."""
    terms = elements(card, ".post-facts dt")
    return {text(term): term.find_next_sibling("dd") for term in terms}  # type: ignore[misc]


@pytest.mark.parametrize(
    ("language", "names"), [("en", ["English", "Korean"]), ("ko", ["영어", "한국어"])]
)
async def test_a_cards_language_is_named_in_the_viewers_language(
    as_joon: httpx.AsyncClient, drafts: Drafts, database: Database, language: str, names: list[str]
) -> None:
    set_language(database, "joon", language)
    draft_id = drafts.add(BEFORE)
    page = await as_joon.get(f"/drafts/{draft_id}")
    linkedin = [c for c in elements(page.text, "article.post") if "linkedin" in text(c)]
    assert [text(one(card, ".post-lang")) for card in linkedin] == names
    assert [one(card, ".post-text")["lang"] for card in linkedin] == ["en", "ko"]

    await as_joon.post(
        f"/drafts/{draft_id}/approve", data=form_fields(page.text, f"/drafts/{draft_id}/approve")
    )
    drafts.edit(draft_id, AFTER)
    changes = one((await as_joon.get(f"/drafts/{draft_id}")).text, "section.changes")
    assert texts(changes, ".post-change-head .post-lang") == names
    assert [diff["lang"] for diff in elements(changes, ".post-change > .diff")] == ["en", "ko"]


async def test_every_time_on_a_card_is_kept_whole(
    as_joon: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    due = next_sunday_evening()
    waiting = drafts.add({"en": "The library opens late on Sundays"}, publish_at=due.isoformat())
    draft_id, _ = scheduled(drafts, database, config, due)
    for shown in (waiting, draft_id):  # due once approved; due as scheduled
        page = await as_joon.get(f"/drafts/{shown}")
        card = one(page.text, "article.post.platform-x")
        told = facts(card)
        stamps = [one(told[term], "time") for term in ("Due", "Channel time")]
        assert [text(stamp) for stamp in stamps] == [
            show(due, zone("Asia/Seoul")),
            show(due, zone("Europe/London")),  # x-en posts in London's time
        ]
        assert all(stamp["datetime"] for stamp in stamps)


async def test_every_time_on_an_account_card_is_kept_whole(
    as_joon: httpx.AsyncClient,
    drafts: Drafts,
    database: Database,
    config: Config,
    connected: tuple[str, str],
) -> None:
    _, posts = scheduled(drafts, database, config, next_sunday_evening())
    for post in posts:
        assert post.id is not None
        add_attempts(
            database,
            post.id,
            {"outcome": "failed", "error": "refused"},
            {"outcome": "published", "remote_url": "https://x.com/riverside/status/1"},
        )
        published(database, post.id)
    page = await as_joon.get("/channels")
    x_card = one(page.text, "#connection-x-en")
    for part in (".connection-by", ".connection-renewal", ".last-published", ".last-error"):
        (stamp,) = elements(one(x_card, part), "time")
        assert stamp["datetime"], part
