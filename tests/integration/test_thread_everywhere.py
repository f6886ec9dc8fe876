"""Issue 11's "done when", on the sandbox over real HTTP: a 600-syllable Korean text with
``thread = "auto"`` reaches X, Bluesky and Mastodon as ordered chains whose parts fit their
limits and rejoin into the original, and its first comment lands on LinkedIn verbatim (its
``( ) _ * #tag`` unescaped, unlike the post's commentary) and on the created Facebook post."""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import col, select

from drafts.config import Config, parse_config
from drafts.lifecycle import PostStatus
from drafts.models import Post
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from scheduler.sandbox import RunningSandbox
from tests.integration.publishing import drain, queue_drafts

SENTENCES = (
    "시립 도서관이 열한 달의 보수 공사를 마치고 이번 토요일에 다시 문을 열었습니다.",
    "자원봉사자 마흔 명이 책 사천 권을 하루 만에 서가로 옮겼고, 아이들은 새 회원증을 받았습니다!",
    "겨울 방학에는 어르신 글쓰기 모임과 청소년 코딩 교실이 새로 시작됩니다.",
    "모든 프로그램은 무료이며 누리집에서 신청하실 수 있습니다.",
)
KOREAN = " ".join(SENTENCES * 4)  # about 600 syllables
COMMENT = "신청 (선착순) _마감_ *12월 15일* #도서관 https://example.org/library"
THREADED = ("x-en", "bluesky", "mastodon")
NUMBER = re.compile(r" \d+/\d+$")


@pytest.fixture
def korean_everywhere(everywhere_text: str) -> Config:
    """The demo's channels, every one taking Korean."""
    return parse_config(
        everywhere_text.replace('languages = ["en"]', 'languages = ["en", "ko"]'), "config.toml"
    )


def test_a_long_korean_thread_and_its_comment_reach_every_platform_in_order(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    korean_everywhere: Config,
) -> None:
    draft_id = queue_drafts(
        database,
        korean_everywhere,
        library,
        channels=[*THREADED, "linkedin", "facebook"],
        texts={"ko": KOREAN},
        extra=f'thread = "auto"\nfirst_comment = {json.dumps(COMMENT, ensure_ascii=False)}',
    )
    drain(database, korean_everywhere)
    with database.reading() as session:
        rows = list(
            session.exec(
                select(Post)
                .where(Post.draft_id == draft_id)
                .order_by(col(Post.channel), col(Post.part))
            )
        )
    assert {row.status for row in rows} == {PostStatus.PUBLISHED}
    for channel in THREADED:
        chain = [row for row in rows if row.channel == channel]
        parts, comment = chain[:-1], chain[-1]
        assert len(parts) > 1 and comment.is_comment, channel
        assert all(row.length <= (row.length_limit or 0) for row in chain), channel
        assert " ".join(NUMBER.sub("", row.text) for row in parts) == KOREAN
        platform = chain[0].platform
        received = sandbox.state.chain(platform, chain[0].remote_id or "")
        assert [post.text for post in received] == [row.text for row in chain], channel
        assert [post.remote_id for post in received] == [row.remote_id for row in chain]
    for channel in ("linkedin", "facebook"):
        post, comment = (row for row in rows if row.channel == channel)
        (received,) = [
            p for p in sandbox.state.posts(post.platform) if p.reply_to == post.remote_id
        ]
        assert received.comment and received.text == COMMENT, channel
        assert received.remote_id == comment.remote_id
    (linkedin_post,) = [
        p for p in sandbox.state.posts("linkedin") if not p.comment and p.text == KOREAN
    ]
    assert linkedin_post.body["commentary"] == KOREAN  # nothing to escape in the post itself
    (linkedin_comment,) = [p for p in sandbox.state.posts("linkedin") if p.comment]
    assert linkedin_comment.body["message"] == {"text": COMMENT}  # not little-text escaped
