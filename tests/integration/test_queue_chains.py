"""The queue reads a page of chains (``drafts.queueing.upcoming_posts``): a thread and its first
comment are one row, the part the chain goes on with, and ``chains_of`` reads the rest of each
chain of the page in one statement. Paging by cursor goes on after the last chain. On SQLite
and PostgreSQL."""

from __future__ import annotations

from sqlmodel import Session, select

from drafts.config import Config
from drafts.keyset import Page
from drafts.lifecycle import PostStatus
from drafts.models import Post
from drafts.queueing import chain_key, chains_of, upcoming_posts
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from tests.integration.publishing import queue_drafts

PARTS = {
    "en": ["The harbour walk opens on Saturday.", "Bring the family along."],
    "ko": ["항구 산책길이 토요일에 열립니다.", "가족과 함께 오세요."],
}
COMMENT = 'first_comment = "https://example.org/harbour-walk"'


def rows(page: Page[Post]) -> list[tuple[str, str, int]]:
    return [(post.channel, post.language, post.part) for post in page.rows]


def set_status(session: Session, channel: str, language: str, part: int, status: str) -> None:
    post = session.exec(
        select(Post).where(Post.channel == channel, Post.language == language, Post.part == part)
    ).one()
    post.status = status


def test_a_page_of_the_queue_is_a_page_of_chains(
    database: Database, config: Config, library: TemplateLibrary
) -> None:
    # Four chains, ten posts: a thread of two and a comment on Mastodon, a post and a comment
    # on LinkedIn (no threads there), each in English and Korean.
    queue_drafts(
        database, config, library, channels=["mastodon", "linkedin"], texts=PARTS, extra=COMMENT
    )
    with database.reading() as session:
        assert len(session.exec(select(Post)).all()) == 10
        first = upcoming_posts(session, size=3)
        assert [part for *_, part in rows(first)] == [1, 1, 1]
        assert first.after is not None
        rest = upcoming_posts(session, size=3, after=first.after)
        assert [part for *_, part in rows(rest)] == [1] and rest.after is None
        chains = chains_of(session, [*first.rows, *rest.rows])
    assert {key[1:3]: [post.part for post in chain] for key, chain in chains.items()} == {
        ("mastodon", "en"): [1, 2, 3],
        ("mastodon", "ko"): [1, 2, 3],
        ("linkedin", "en"): [1, 2],
        ("linkedin", "ko"): [1, 2],
    }
    (comment,) = [post for post in chains[chain_key(rest.rows[0])] if post.is_comment]
    assert comment.text == "https://example.org/harbour-walk"

    with database.writing() as session:  # part-way out, and stopped where a part failed
        set_status(session, "mastodon", "en", 1, PostStatus.PUBLISHED)
        set_status(session, "mastodon", "ko", 1, PostStatus.PUBLISHED)
        set_status(session, "mastodon", "ko", 2, PostStatus.FAILED)
        set_status(session, "linkedin", "en", 1, PostStatus.PUBLISHED)
    with database.reading() as session:
        page = upcoming_posts(session, size=10)
        by_channel = sorted(rows(page))
        assert by_channel == [
            ("linkedin", "en", 2),  # the post is out: its comment comes next
            ("linkedin", "ko", 1),
            ("mastodon", "en", 2),
            ("mastodon", "ko", 3),  # waits for a person to settle part 2
        ]
        only = upcoming_posts(session, channel="mastodon", size=1)
        assert len(only.rows) == 1 and only.after is not None
        after = upcoming_posts(session, channel="mastodon", size=1, after=only.after)
        assert sorted([*rows(only), *rows(after)]) == by_channel[2:]
        assert after.after is None
