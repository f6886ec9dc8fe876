"""The review inbox (``drafts.inbox``) on SQLite and on PostgreSQL: who waits longest, and pages
(each after the last one's last draft: ``drafts.keyset``)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from drafts.authoring import edit_draft
from drafts.config import Config
from drafts.inbox import review_inbox
from drafts.keyset import CursorError, token
from drafts.models import Post, User
from drafts.rendering import TemplateLibrary
from drafts.review import submit
from drafts.storage import Database
from tests.integration.drafting import add_content, free_text

ENGLISH = {"en": "The park opens on Tuesday."}


def add(
    database: Database, config: Config, library: TemplateLibrary, author: User, title: str
) -> int:
    return add_content(database, config, library, author, free_text(config, title, ENGLISH))[0]


def send_to_review(database: Database, config: Config, author: User, draft_id: int) -> None:
    with database.writing() as session:
        submit(session, draft_id=draft_id, actor=author, config=config)


def listed(database: Database) -> list[int]:
    with database.reading() as session:
        return [entry.id for entry in review_inbox(session, after=None, size=50).entries]


def test_the_longest_waiting_come_first_and_an_edit_restarts_the_wait(
    database: Database, config: Config, library: TemplateLibrary, mina: User
) -> None:
    first, second, third = (add(database, config, library, mina, f"Update {n}") for n in (1, 2, 3))
    add(database, config, library, mina, "Still a draft")
    for draft_id in (third, first, second):
        send_to_review(database, config, mina, draft_id)
    assert listed(database) == [third, first, second]

    with database.writing() as session:  # edited in review: it waits from the edit
        edit_draft(
            session,
            draft_id=third,
            content=free_text(config, "Update 3", {"en": "The park opens on Wednesday."}),
            editor=mina,
            config=config,
            library=library,
        )
    assert listed(database) == [first, second, third]


def test_an_entry_names_its_author_and_counts_its_posts_over_their_limit(
    database: Database, config: Config, library: TemplateLibrary, mina: User
) -> None:
    draft_id = add(database, config, library, mina, "Riverside park reopens")
    send_to_review(database, config, mina, draft_id)
    with database.writing() as session:  # a limit learned lower after the draft was sent
        post = session.exec(
            select(Post).where(Post.draft_id == draft_id, Post.channel == "x-en")
        ).one()
        post.length_limit = 10
    with database.reading() as session:
        page = review_inbox(session, after=None, size=50)
    [entry] = page.entries
    assert (entry.title, entry.kind, entry.author) == ("Riverside park reopens", "update", "mina")
    assert entry.languages == ("en",)
    assert entry.channels == ("linkedin", "x-en")
    assert (entry.posts, entry.over_limit) == (2, 1)
    assert entry.waiting_since.tzinfo is not None
    assert (page.waiting, page.after) == (1, None)


def test_the_inbox_comes_a_page_at_a_time(
    database: Database, config: Config, library: TemplateLibrary, mina: User
) -> None:
    ids = [add(database, config, library, mina, f"Update {n}") for n in range(5)]
    for draft_id in ids:
        send_to_review(database, config, mina, draft_id)
    pages, after = [], None
    with database.reading() as session:
        while True:
            page = review_inbox(session, after=after, size=2)
            assert page.waiting == 5  # every page counts them all
            pages.append([entry.id for entry in page.entries])
            if page.after is None:
                break
            after = page.after
        assert pages == [ids[:2], ids[2:4], ids[4:]]
        with pytest.raises(CursorError, match="after"):
            review_inbox(session, after="not-a-place", size=2)
        with pytest.raises(CursorError, match="after"):  # a place of another list's shape
            review_inbox(session, after=token("mina"), size=2)


def test_the_next_page_starts_at_its_place_though_the_last_pages_draft_moved(
    database: Database, config: Config, library: TemplateLibrary, mina: User
) -> None:
    ids = [add(database, config, library, mina, f"Update {n}") for n in range(4)]
    for draft_id in ids:
        send_to_review(database, config, mina, draft_id)
    with database.reading() as session:
        first = review_inbox(session, after=None, size=2)
    assert first.after is not None
    with database.writing() as session:  # the page's last draft is edited: it waits anew
        edit_draft(
            session,
            draft_id=ids[1],
            content=free_text(config, "Update 1", {"en": "The park opens on Friday."}),
            editor=mina,
            config=config,
            library=library,
        )
    with database.reading() as session:
        second = review_inbox(session, after=first.after, size=2)
        assert [entry.id for entry in second.entries] == [ids[2], ids[3]]
        third = review_inbox(session, after=second.after, size=2)
    assert ([entry.id for entry in third.entries], third.after) == ([ids[1]], None)


def test_an_empty_inbox_has_one_empty_page(database: Database) -> None:
    with database.reading() as session:
        page = review_inbox(session, after=None, size=50)
    assert (page.entries, page.waiting, page.after) == ((), 0, None)
