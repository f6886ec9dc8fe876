"""Threads and first comments in the web app (issue 11): the draft page shows each post's chain
(every part as its platform will show it, numbered and counted, the first comment labelled, how
each follows the one before), says which part changed since the last decision, and the
attention page says which part needs a person."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlmodel import select

from drafts.authoring import add_draft, draft_posts, edit_draft
from drafts.config import Config
from drafts.draft_file import read_draft_file
from drafts.lifecycle import PostStatus
from drafts.models import Post
from drafts.rendering import TemplateLibrary
from drafts.review import submit
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from tests.web.conftest import (
    SQLITE_ONLY,
    Drafts,
    csrf_token,
    elements,
    form_fields,
    one,
    parse,
    set_language,
    text,
    texts,
)

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]

PARTS = ["The riverside park is open again.", "New paths run along the water.", "Come and see."]
COMMENT = "Opening hours: https://example.org/park"


def add_thread(
    database: Database,
    config: Config,
    library: TemplateLibrary,
    *lines: str,
    channels: tuple[str, ...] = ("linkedin", "x-en"),
) -> int:
    """A draft by mina from these draft-file lines (after its kind, title and channels)."""
    source = "\n".join(
        [
            'kind = "update"',
            'title = "Riverside park reopens"',
            f"channels = {json.dumps(list(channels))}",
            *lines,
        ]
    )
    content = read_draft_file(source, "web.toml", config, utcnow())
    with database.writing() as session:
        draft = add_draft(
            session,
            content=content,
            author=find_user(session, "mina"),
            config=config,
            library=library,
        )
        assert draft.id is not None
        return draft.id


def explicit(parts: list[str], comment: str | None = COMMENT) -> tuple[str, ...]:
    lines = [f"first_comment = {json.dumps(comment)}"] if comment else []
    return (*lines, "[text]", f"en = {json.dumps(parts)}")


async def test_the_draft_page_shows_each_part_numbered_and_counted_then_the_comment(
    as_joon: httpx.AsyncClient,
    database: Database,
    config: Config,
    library: TemplateLibrary,
    drafts: Drafts,
) -> None:
    draft_id = add_thread(database, config, library, *explicit(PARTS))

    page = (await as_joon.get(f"/drafts/{draft_id}")).text

    x_chain = next(
        chain
        for chain in elements(page, "section.chain")
        if "x-en" in texts(chain, ".post-channel")
    )
    cards = elements(x_chain, "article.post")
    # X shows the comment's link as the t.co link it counts.
    shown = [*PARTS, "Opening hours: https://t.co/xxxxxxxxxx"]
    assert [text(one(card, ".post-text")) for card in cards] == shown
    assert [texts(card, ".part-label") for card in cards] == [
        ["1/3"],
        ["2/3"],
        ["3/3"],
        ["first comment"],
    ]
    # Each part counted on its own, against X's limit.
    lengths = [texts(card, ".counts li")[0] for card in cards]
    assert lengths == [f"{len(each)} / 280 weighted characters" for each in shown]
    assert texts(x_chain, ".chain-link") == [
        "↳ replies to part 1",
        "↳ replies to part 2",
        "↳ First comment: a reply to part 3",
    ]
    assert text(one(x_chain, ".chain-head")) == "A thread of 3 parts · then a first comment"

    # LinkedIn has no threads: the parts are one post, the comment a comment under it.
    linkedin = next(
        chain
        for chain in elements(page, "section.chain")
        if "linkedin" in texts(chain, ".post-channel")
    )
    cards = elements(linkedin, "article.post")
    assert text(one(cards[0], ".post-text")) == " ".join(PARTS)  # a blank line, read as a space
    assert texts(linkedin, ".chain-link") == ["↳ First comment: a comment under the post"]
    assert texts(cards[1], ".part-label") == ["first comment"]
    # A comment is counted as written against a comment's limit, not escaped like the post.
    assert texts(cards[1], ".counts li")[0] == f"{len(COMMENT)} / 1,250 characters"
    assert text(one(linkedin, ".chain-head")) == "One post · then a first comment"

    # A plain post is its card alone, as before threads.
    plain = drafts.add({"en": "The park is open again."})
    page = (await as_joon.get(f"/drafts/{plain}")).text
    assert elements(page, "section.chain") == [] and elements(page, ".part-label") == []
    assert len(elements(page, "section.posts > article.post")) == 2  # linkedin, x-en


async def test_a_thread_made_by_thread_auto_is_shown_part_by_part_in_korean(
    as_joon: httpx.AsyncClient,
    database: Database,
    config: Config,
    library: TemplateLibrary,
) -> None:
    set_language(database, "joon", "ko")
    korean = "강변 공원이 다시 문을 열었습니다. " * 20
    draft_id = add_thread(
        database,
        config,
        library,
        'thread = "auto"',
        'first_comment = { ko = "12월 15일까지 신청하세요" }',
        "[text]",
        f"ko = {json.dumps(korean.strip(), ensure_ascii=False)}",
        channels=("x-ko",),
    )

    page = (await as_joon.get(f"/drafts/{draft_id}")).text

    chain = one(page, "section.chain")
    labels = [texts(card, ".part-label") for card in elements(chain, "article.post")]
    assert labels == [["1/3"], ["2/3"], ["3/3"], ["첫 댓글"]]
    assert texts(chain, ".chain-link")[0] == "↳ 1번째 부분에 답글"
    for card in elements(chain, "article.post"):
        assert elements(card, ".counts li.over") == []  # every part fits X


async def test_changed_since_the_approval_names_the_part(
    as_joon: httpx.AsyncClient, database: Database, config: Config, library: TemplateLibrary
) -> None:
    draft_id = add_thread(database, config, library, *explicit(PARTS), channels=("x-en",))
    with database.writing() as session:
        submit(session, draft_id=draft_id, actor=find_user(session, "mina"), config=config)
    page = await as_joon.get(f"/drafts/{draft_id}")
    await as_joon.post(
        f"/drafts/{draft_id}/approve", data=form_fields(page.text, f"/drafts/{draft_id}/approve")
    )
    changed = [PARTS[0], "New paths run along the river.", PARTS[2]]
    content = read_draft_file(
        "\n".join(
            [
                'kind = "update"',
                'title = "Riverside park reopens"',
                'channels = ["x-en"]',
                *explicit(changed, "Opening hours: https://example.org/hours"),
            ]
        ),
        "web.toml",
        config,
        utcnow(),
    )
    with database.writing() as session:
        edit_draft(
            session,
            draft_id=draft_id,
            content=content,
            editor=find_user(session, "mina"),
            config=config,
            library=library,
        )

    section = one((await as_joon.get(f"/drafts/{draft_id}")).text, "section.changes")
    assert texts(section, ".post-change .post-part") == ["part 2 of 3", "first comment"]


async def test_the_attention_page_and_the_calendar_say_which_part_needs_a_person(
    as_joon: httpx.AsyncClient, database: Database, config: Config, library: TemplateLibrary
) -> None:
    draft_id = add_thread(database, config, library, *explicit(PARTS), channels=("x-en",))
    with database.writing() as session:
        posts = draft_posts(session, draft_id)
        for post in posts:
            post.status = PostStatus.PUBLISHED if post.part == 1 else PostStatus.SCHEDULED
            if post.part == 1:
                post.remote_url = "https://x.com/tidings/status/1"
            if post.part == 2:
                post.status = PostStatus.NEEDS_ATTENTION
                post.reason = "no clear answer"
            post.due_at = utcnow()  # this week
            session.add(post)

    page = (await as_joon.get("/attention")).text

    rows = elements(page, "table.attention tbody tr")
    assert len(rows) == 1
    assert texts(rows[0], ".post-part") == ["part 2 of 3"]
    with database.reading() as session:
        second = session.exec(select(Post).where(Post.draft_id == draft_id, Post.part == 2)).one()
    assert parse(page).find("a", href=f"/posts/{second.id}") is not None

    # The calendar: one entry for the chain (its first part's), and the part that stopped it.
    calendar = (await as_joon.get("/calendar")).text
    entries = elements(calendar, "#channel-x-en .entry")
    assert [texts(entry, ".post-part") for entry in entries] == [[], ["part 2 of 3"]]
    assert [texts(entry, ".status") for entry in entries] == [["published"], ["needs attention"]]

    # The part's own page: its thread, part by part, where each is live.
    outcome = (await as_joon.get(f"/posts/{second.id}")).text
    assert texts(outcome, ".chain-list li") == [
        "part 1 of 3 · published · https://x.com/tidings/status/1",
        "part 2 of 3 · needs attention (this one)",
        "part 3 of 3 · scheduled",
        "first comment · scheduled",
    ]


async def test_a_part_marked_published_takes_the_platforms_id_for_the_next_part(
    as_joon: httpx.AsyncClient, database: Database, config: Config, library: TemplateLibrary
) -> None:
    """A part that a person marks published can be given the platform's id, which the next
    part replies to (Threads and Facebook cannot read it from the link); the last part, which
    nothing replies to, is not asked for one."""
    draft_id = add_thread(database, config, library, *explicit(PARTS, None), channels=("x-en",))
    with database.writing() as session:
        first, second, third = sorted(draft_posts(session, draft_id), key=lambda p: p.part)
        first.status, second.status = PostStatus.PUBLISHED, PostStatus.NEEDS_ATTENTION
        third.status = PostStatus.NEEDS_ATTENTION
        first.remote_id = "1001"
        session.add_all([first, second, third])
    page = (await as_joon.get(f"/posts/{second.id}")).text
    action = f"/posts/{second.id}/mark-published"
    assert set(form_fields(page, action)) >= {"url", "remote_id"}
    url = "https://x.com/tidings/status/1002"

    bad = await as_joon.post(
        action, data={"csrf_token": csrf_token(page), "url": url, "remote_id": "10 02"}
    )
    assert bad.status_code == 400
    assert "remote_id: an id has no spaces or control characters" in texts(bad.text, ".error")
    assert form_fields(bad.text, action)["remote_id"] == "10 02"  # kept for correcting
    long = await as_joon.post(
        action, data={"csrf_token": csrf_token(page), "url": url, "remote_id": "9" * 256}
    )
    assert long.status_code == 400
    assert "remote_id: an id of at most 255 characters" in texts(long.text, ".error")
    with database.reading() as session:
        assert session.get(Post, second.id).status == PostStatus.NEEDS_ATTENTION  # type: ignore[union-attr]

    done = await as_joon.post(
        action, data={"csrf_token": csrf_token(page), "url": url, "remote_id": " 1002 "}
    )
    assert done.status_code == 303
    with database.reading() as session:
        marked = session.get(Post, second.id)
        assert marked is not None
        assert (marked.status, marked.remote_id, marked.remote_url) == (
            PostStatus.PUBLISHED,
            "1002",
            url,
        )
    last = (await as_joon.get(f"/posts/{third.id}")).text
    assert "remote_id" not in form_fields(last, f"/posts/{third.id}/mark-published")
