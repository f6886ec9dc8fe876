"""First comments on Threads, Telegram and webhooks, as the daemon publishes them on the sandbox
(issue 11 point 2): each a reply to its own post (Threads ``reply_to_id``, Telegram
``reply_parameters``, a webhook delivery's ``reply_to``), in each language. On SQLite and
PostgreSQL."""

from __future__ import annotations

import itertools

from sqlmodel import col, select

from drafts.config import Config
from drafts.lifecycle import PostStatus
from drafts.models import Post
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from scheduler.sandbox import RunningSandbox
from scheduler.sandbox.state import ReceivedPost
from tests.integration.publishing import drain, queue_drafts

TEXTS = {
    "en": ["The library reopens on Saturday.", "Forty volunteers moved four thousand books."],
    "ko": ["도서관이 토요일에 다시 문을 엽니다.", "자원봉사자 마흔 명이 책 사천 권을 옮겼습니다."],
}
COMMENTS = {"en": "Sign up: https://example.org/library", "ko": "신청: https://example.org/library"}
CHANNELS = ("threads", "telegram", "team-chat")


def arrived(sandbox: RunningSandbox, post: Post) -> ReceivedPost:
    """The message the sandbox received for ``post``."""
    received = sandbox.state.posts(post.platform)
    if post.platform == "webhook":  # Tidings' id for a delivery names the post, not the hook's
        [found] = [p for p in received if p.headers["x-tidings-post"] == str(post.id)]
    else:
        [found] = [p for p in received if p.remote_url == post.remote_url]
    return found


def test_each_first_comment_replies_to_its_own_post(
    database: Database, library: TemplateLibrary, sandbox: RunningSandbox, everywhere: Config
) -> None:
    comments = ", ".join(f'{language} = "{text}"' for language, text in COMMENTS.items())
    draft_id = queue_drafts(
        database,
        everywhere,
        library,
        channels=list(CHANNELS),
        texts=TEXTS,
        extra=f"first_comment = {{ {comments} }}",
    )
    drain(database, everywhere)
    with database.reading() as session:
        query = select(Post).where(Post.draft_id == draft_id)
        rows = list(
            session.exec(query.order_by(col(Post.channel), col(Post.language), col(Post.part)))
        )
    assert {row.status for row in rows} == {PostStatus.PUBLISHED}
    chains = itertools.groupby(rows, key=lambda row: (row.channel, row.language))
    seen = set()
    for (channel, language), chain in chains:
        *parts, comment = list(chain)
        seen.add((channel, language))
        messages = [arrived(sandbox, part) for part in parts]
        reply, post = arrived(sandbox, comment), parts[-1]
        assert reply.text == COMMENTS[language], channel
        match channel:
            case "threads":  # a thread there: the comment answers its last part
                assert [m.text for m in messages] == TEXTS[language]
                assert [m.reply_to for m in messages] == [None, parts[0].remote_id]
                assert reply.body["reply_to_id"] == post.remote_id
                assert reply.reply_to == post.remote_id
            case "telegram":
                assert [m.text for m in messages] == ["\n\n".join(TEXTS[language])]
                message_id = int(str(post.remote_id).rsplit("/", 1)[1])
                assert reply.body["reply_parameters"] == {"message_id": message_id}
                assert reply.reply_to == messages[0].remote_id == str(message_id)
            case "team-chat":
                assert [m.text for m in messages] == ["\n\n".join(TEXTS[language])]
                assert reply.body == {
                    "text": COMMENTS[language],
                    "reply_to": post.remote_id,
                    "comment": True,
                }
                assert post.remote_id == f"webhook-{post.id}"
                assert reply.comment
    assert seen == {(channel, language) for channel in CHANNELS for language in ("en", "ko")}
