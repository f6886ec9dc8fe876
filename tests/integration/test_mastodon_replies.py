"""A Mastodon thread and its first comment as the daemon publishes them on the sandbox (issue 11
point 2): each part a reply (``in_reply_to_id``) to the part before, in the post's language,
under its own Idempotency-Key; a second part whose answer was lost or refused arrives once, and
the part after it replies to it. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from drafts.config import Config
from drafts.lifecycle import PostStatus
from drafts.models import Attempt, Post
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from scheduler.sandbox import RunningSandbox
from scheduler.sandbox.state import ReceivedPost
from tests.integration.publishing import drain, queue_drafts, sandbox_config
from tests.integration.test_thread_publishing import chain_rows as rows

SENTENCES = (
    "우리 동네 도서관이 열한 달의 수리를 마치고 토요일에 다시 문을 열었습니다.",
    "자원봉사자 마흔 명이 책 사천 권을 하루 만에 서가로 옮겼고, 아이들은 새 회원증을 받았습니다!",
    "이번 겨울에는 어르신을 위한 글쓰기 모임과 청소년 코딩 교실이 새로 시작됩니다.",
    "모든 프로그램은 무료이며 누리집에서 신청하실 수 있습니다.",
)
# About 1,050 characters: three parts at Mastodon's 500.
KOREAN = " ".join(SENTENCES * 6)
COMMENT = "신청: https://example.org/library"
NUMBER = re.compile(r" \d+/\d+$")


@pytest.fixture
def config(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Config:
    return sandbox_config(sandbox.base_url, monkeypatch)


def queue_thread(database: Database, config: Config, library: TemplateLibrary) -> list[Post]:
    """An approved, due draft split for Mastodon (``thread = "auto"``) with a first comment;
    its posts, part by part."""
    draft_id = queue_drafts(
        database,
        config,
        library,
        channels=["mastodon"],
        texts={"ko": KOREAN},
        extra=f'thread = "auto"\nfirst_comment = "{COMMENT}"',
    )
    return rows(database, draft_id)


def arrived_chain(sandbox: RunningSandbox, posts: list[Post]) -> list[ReceivedPost]:
    """The statuses the sandbox holds from the first part on, each replying to the one before;
    checked to be the posts' own, in order, each once."""
    assert posts[0].remote_id is not None
    chain = sandbox.state.chain("mastodon", posts[0].remote_id)
    assert [status.remote_id for status in chain] == [post.remote_id for post in posts]
    assert len(sandbox.state.posts("mastodon")) == len(posts)  # nothing else, nothing twice
    return chain


def test_a_split_thread_and_its_comment_arrive_as_one_reply_chain(
    database: Database, library: TemplateLibrary, sandbox: RunningSandbox, config: Config
) -> None:
    posts = queue_thread(database, config, library)
    assert [(post.part, post.parts) for post in posts] == [(1, 3), (2, 3), (3, 3), (4, 3)]
    drain(database, config)
    posts = rows(database, posts[0].draft_id)
    assert {post.status for post in posts} == {PostStatus.PUBLISHED}

    chain = arrived_chain(sandbox, posts)
    assert [status.body.get("in_reply_to_id") for status in chain] == [
        None,
        *(post.remote_id for post in posts[:-1]),
    ]
    assert [status.details["language"] for status in chain] == ["ko"] * 4
    keys = [status.headers["idempotency-key"] for status in chain]
    assert keys == [post.idempotency_key for post in posts]
    assert len(set(keys)) == 4
    *thread, comment = [status.text for status in chain]
    assert [NUMBER.search(text).group(0) for text in thread] == [" 1/3", " 2/3", " 3/3"]  # type: ignore[union-attr]
    assert " ".join(NUMBER.sub("", text) for text in thread) == KOREAN
    assert comment == COMMENT


@pytest.mark.parametrize(
    ("fault", "first_try"),
    [
        ({"kind": "status", "status": 503}, "retry"),  # refused before anything was made
        ({"kind": "drop_after_accept"}, "unknown"),  # made, and the answer lost on the way
    ],
)
def test_a_second_part_tried_again_arrives_once_and_the_chain_holds(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
    fault: dict[str, Any],
    first_try: str,
) -> None:
    posts = queue_thread(database, config, library)
    sandbox.state.faults.add(path="/api/v1/statuses", platform="mastodon", after=1, **fault)
    drain(database, config, retry_base_delay=timedelta(milliseconds=50))
    posts = rows(database, posts[0].draft_id)
    assert {post.status for post in posts} == {PostStatus.PUBLISHED}
    chain = arrived_chain(sandbox, posts)
    assert len(sandbox.state.requests("mastodon", path="/api/v1/statuses", method="POST")) == 5
    assert chain[1].headers["idempotency-key"] == posts[1].idempotency_key
    assert chain[2].body["in_reply_to_id"] == posts[1].remote_id
    with database.reading() as session:
        query = select(Attempt).where(Attempt.post_id == posts[1].id)
        outcomes = [
            attempt.outcome for attempt in session.exec(query.order_by(col(Attempt.number)))
        ]
    assert outcomes == [first_try, "published"]
