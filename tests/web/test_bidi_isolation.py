"""Text a person typed keeps its direction to itself: an override in a title reorders nothing of
the page around it, and a post's hidden characters are a problem its card names."""

from __future__ import annotations

import httpx
import pytest
from bs4 import BeautifulSoup, Tag

from drafts.authoring import draft_posts
from drafts.storage import Database
from tests.web.conftest import SQLITE_ONLY, Drafts, parse

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]

# Shows as "Invoice exe.pdf"; outside an isolate it would also flip the "#18" after it.
TITLE = "Invoice \u202efdp.exe"


def isolating(page: BeautifulSoup | Tag, text: str) -> Tag:
    """The element that holds exactly ``text``, which must isolate it (``<bdi>`` or ``dir``)."""
    found = page.find(string=text)
    assert found is not None and isinstance(found.parent, Tag), f"{text!r} is not on the page"
    element = found.parent
    assert element.name == "bdi" or element.get("dir") == "auto", element
    return element


async def test_a_title_sits_isolated_from_the_page_around_it(
    as_joon: httpx.AsyncClient, drafts: Drafts, database: Database
) -> None:
    draft_id = drafts.add(title=TITLE)
    inbox = parse((await as_joon.get("/inbox")).text)
    row = inbox.find("tr", id=f"draft-{draft_id}")
    assert isinstance(row, Tag)
    assert isolating(row, TITLE).find_parent("a") is not None
    assert f"#{draft_id}" in row.get_text()

    page = parse((await as_joon.get(f"/drafts/{draft_id}")).text)
    heading = page.find("h1")
    assert isinstance(heading, Tag)
    title = isolating(heading, TITLE)
    assert title.parent is heading
    assert heading.get_text(" ", strip=True) == f"{TITLE} #{draft_id}"  # the id stays outside
    assert page.title is not None
    assert page.title.get_text() == f"\u2068{TITLE}\u2069 · Tidings"  # no <bdi> in a <title>
    texts = page.find_all("div", class_="post-text")
    assert texts and all(text.get("dir") == "auto" for text in texts)

    with database.reading() as session:
        post_id = draft_posts(session, draft_id)[0].id
    outcome = parse((await as_joon.get(f"/posts/{post_id}")).text)
    assert isolating(outcome, TITLE).find_parent("p", class_="draft-facts") is not None


async def test_an_override_in_a_post_is_a_problem_on_its_card_in_the_viewers_language(
    as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add({"en": f"Pay {TITLE}"}, review=False)
    page = parse((await as_joon.get(f"/drafts/{draft_id}")).text)
    problems = [p.get_text() for p in page.select("article.post p.problem")]
    said = (
        "contains an invisible right-to-left override (U+202E) at character 13, "
        "which changes the order readers see"
    )
    assert problems == [said, said]  # LinkedIn and X
    korean = await as_joon.get(f"/drafts/{draft_id}", headers={"Accept-Language": "ko"})
    problems = [p.get_text() for p in parse(korean.text).select("article.post p.problem")]
    assert problems[0] == (
        "13번째 글자에 보이지 않는 문자가 있습니다: right-to-left override (U+202E). "
        "독자가 보는 글자 순서를 바꿉니다"
    )
