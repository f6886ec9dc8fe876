"""Each preview looks like its platform where it matters to a reviewer, every character still
shown: X's links in their 23-character t.co form (the link itself in a tooltip and listed under
the text) and its hashtags and mentions styled; LinkedIn's and Facebook's hashtags styled, and
LinkedIn's "…see more" fold at the grapheme where its feed cuts a post off (Facebook's further
on); Bluesky's and Mastodon's card for the first link, named by its host; Korean previews
wrapped by words."""

from __future__ import annotations

import json

import httpx
import pytest
import regex
from bs4 import Tag

from drafts.authoring import add_draft
from drafts.config import Config
from drafts.draft_file import read_draft_file
from drafts.rendering import TemplateLibrary
from drafts.review import submit
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from tests.conftest import TEST_CONFIG, make_config
from tests.web.conftest import SQLITE_ONLY, Person, elements, one, text
from tidings.web.feed_looks import FOLDS

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]

LINK = "https://example.org/summer/programme?day=1"
# Over LinkedIn's fold and under Facebook's; a family emoji is one grapheme of five code points,
# so a fold counted in code points would land five characters early.
ENGLISH = (
    f"👨‍👩‍👧 Summer at the riverside park, with #Parks and @tidings_app: {LINK}\n"
    + "Concerts every Friday evening on the new stage by the water. " * 2
    + "Bring a blanket."
)
KOREAN = "강변 공원의 여름 음악회가 금요일마다 물가의 새 무대에서 열립니다. 돗자리를 가져오세요."


@pytest.fixture
def config() -> Config:
    """The test channels and a Facebook Page taking English."""
    return make_config(
        TEST_CONFIG + '\n[[channels]]\nid = "facebook"\nplatform = "facebook"\nlanguages = ["en"]\n'
        'page_id = "1234567890"\n'
    )


def add(database: Database, config: Config, library: TemplateLibrary, **text: str) -> int:
    """A draft by mina on every channel that takes its languages, sent to review."""
    channels = [c.id for c in config.channels if any(c.takes(lang) for lang in text)]
    source = "\n".join(
        [
            'kind = "update"',
            'title = "Summer concerts"',
            f"channels = {json.dumps(channels)}",
            "[text]",
            *(f"{lang} = {json.dumps(body, ensure_ascii=False)}" for lang, body in text.items()),
        ]
    )
    content = read_draft_file(source, "previews.toml", config, utcnow())
    with database.writing() as session:
        author = find_user(session, "mina")
        draft = add_draft(session, content=content, author=author, config=config, library=library)
        assert draft.id is not None
        submit(session, draft_id=draft.id, actor=author, config=config)
        return draft.id


@pytest.fixture
async def cards(
    as_joon: httpx.AsyncClient,
    database: Database,
    config: Config,
    library: TemplateLibrary,
    people: dict[str, Person],
) -> dict[str, Tag]:
    """The English post's card on each channel, from the draft page."""
    draft_id = add(database, config, library, en=ENGLISH)
    page = (await as_joon.get(f"/drafts/{draft_id}")).text
    assert "/static/previews.css" in [link["href"] for link in elements(page, "link")]
    return {text(one(card, ".post-channel")): card for card in elements(page, "article.post")}


async def test_x_shows_each_link_as_its_t_co_form_with_the_link_itself_kept_in_sight(
    cards: dict[str, Tag],
) -> None:
    shown = one(cards["x-en"], ".post-text")
    link = one(shown, ".run-link")
    assert link.get_text() == "https://t.co/xxxxxxxxxx"
    assert len(link.get_text()) == 23  # as X counts every link
    assert link["title"] == LINK  # the tooltip names the link sent
    assert LINK not in shown.get_text()
    assert [text(url) for url in elements(cards["x-en"], ".shortened-links .sent-url")] == [LINK]
    assert [tag.get_text() for tag in elements(shown, ".run-tag")] == ["#Parks"]
    assert [name.get_text() for name in elements(shown, ".run-mention")] == ["@tidings_app"]
    # Outside the links, every character as sent.
    assert shown.get_text().replace(link.get_text(), LINK) == ENGLISH


async def test_linkedin_shows_its_see_more_fold_at_the_right_grapheme_and_the_rest_after_it(
    cards: dict[str, Tag],
) -> None:
    shown = one(cards["linkedin"], ".post-text")
    marker = one(shown, ".see-more")
    assert marker["data-label"] == "…see more"
    assert marker.get_text() == ""  # drawn by the stylesheet: the text stays the text
    before = "".join(
        node.get_text() if isinstance(node, Tag) else str(node)
        for node in reversed(list(marker.previous_siblings))
    )
    assert len(regex.findall(r"\X", before)) == FOLDS["linkedin"].graphemes == 210
    assert one(shown, ".below-fold").get_text() == ENGLISH[len(before) :]
    assert shown.get_text() == ENGLISH  # nothing hidden, nothing added
    assert "210" in text(one(cards["linkedin"], ".fold-note"))
    # The hashtag LinkedIn links (its commentary leaves the '#' unescaped), not the mention.
    assert [tag.get_text() for tag in elements(shown, ".run-tag")] == ["#Parks"]
    assert not elements(shown, ".run-mention")
    assert not elements(cards["facebook"], ".see-more")  # Facebook folds later: all of it shows
    assert one(cards["facebook"], ".post-text").get_text() == ENGLISH
    assert [tag.get_text() for tag in elements(cards["facebook"], ".post-text .run-tag")] == [
        "#Parks"
    ]


async def test_bluesky_and_mastodon_show_the_first_links_card_named_by_its_host(
    cards: dict[str, Tag],
) -> None:
    for channel in ("bluesky", "mastodon"):
        card = one(cards[channel], ".link-card")
        assert text(one(card, ".link-card-host")) == "example.org"
        assert text(one(card, ".link-card-url")) == LINK
    # Bluesky's card carries the title Tidings sends (the host); Mastodon's comes from the page.
    assert text(one(cards["bluesky"], ".link-card-title")) == "example.org"
    assert not elements(cards["mastodon"], ".link-card-title")
    for channel in ("linkedin", "x-en", "facebook"):
        assert not elements(cards[channel], ".link-card")


async def test_korean_previews_wrap_by_words(
    as_joon: httpx.AsyncClient,
    database: Database,
    config: Config,
    library: TemplateLibrary,
    people: dict[str, Person],
) -> None:
    draft_id = add(database, config, library, ko=KOREAN)
    page = (await as_joon.get(f"/drafts/{draft_id}")).text
    assert {card["lang"] for card in elements(page, ".post-text")} == {"ko"}
    assert "/static/previews.css" in [link["href"] for link in elements(page, "link")]
    style = (await as_joon.get("/static/previews.css")).text
    rule = regex.search(r"([^{}]*)\{\s*word-break:\s*keep-all;\s*\}", style)
    assert rule is not None and ".post-text:lang(ko)" in rule[1]
