"""The units a post card counts in are words of the viewer's language: every unit the platforms'
counts can be in (``drafts.text_rules``), Threads' links among them."""

from __future__ import annotations

import httpx
import pytest

from drafts.config import Config
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.text_rules import TextRules
from drafts.text_rules.platforms import COMMENT_MEASURES, MEASURES
from tests.conftest import TEST_CONFIG, make_config
from tests.web.conftest import SQLITE_ONLY, Person, elements, one, set_language, text, texts
from tests.web.test_platform_previews import add
from tidings.web.post_cards import UNIT_WORDS
from tidings.web.translations import translations

SAMPLE = "The park opens on Monday: https://example.org/park 🌳"


def every_unit() -> set[str]:
    """Each unit any platform's counts are in, for a post and for a first comment."""
    counts = [*MEASURES.values(), *COMMENT_MEASURES.values()]
    return {found.unit for count in counts for found in count(SAMPLE, TextRules())}


def test_every_unit_a_count_can_be_in_has_a_word_in_korean() -> None:
    units = every_unit()
    assert "links" in units  # Threads counts its links too
    assert units <= UNIT_WORDS.keys()
    korean = translations("ko").gettext
    assert all(korean(UNIT_WORDS[unit]) != UNIT_WORDS[unit] for unit in units)


@pytest.fixture
def config() -> Config:
    """The test channels and a Threads account taking Korean."""
    return make_config(
        TEST_CONFIG + '\n[[channels]]\nid = "threads"\nplatform = "threads"\nlanguages = ["ko"]\n'
        'user_id = "17841400000"\n'
    )


@pytest.mark.anyio
@SQLITE_ONLY
async def test_a_threads_cards_link_count_is_in_korean(
    as_joon: httpx.AsyncClient,
    database: Database,
    config: Config,
    library: TemplateLibrary,
    people: dict[str, Person],
) -> None:
    set_language(database, "joon", "ko")
    draft_id = add(
        database, config, library, ko="공원이 다시 문을 엽니다: https://example.org/park"
    )
    page = (await as_joon.get(f"/drafts/{draft_id}")).text
    card = one(page, "article.post.platform-threads")
    assert texts(card, ".counts li") == ["39 / 500 자", "1 / 5 개 (링크)"]
    assert all("links" not in text(count) for count in elements(page, ".counts li"))
