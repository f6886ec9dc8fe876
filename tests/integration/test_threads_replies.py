"""Threads replies over loopback HTTP against the sandbox (issue 11 point 2): a later part's
container names the part before in ``reply_to_id`` and is published as any other; a reply whose
publish answer was lost is found among the profile's replies, under the part it answers."""

from __future__ import annotations

from dataclasses import replace

from drafts.channels import ThreadsChannel
from scheduler.outcomes import Published, Unknown
from scheduler.platforms.base import PostJob, PublishedPart, ReplyTo
from scheduler.sandbox import RunningSandbox
from tests.fakes import OverLoopback, Saved, just_tried
from tests.integration.test_threads_adapter import PATIENCE, SLOW, on_threads


def published(on: OverLoopback[ThreadsChannel], job: PostJob) -> Published:
    outcome = on.publish(job).outcome
    assert isinstance(outcome, Published), outcome
    return outcome


def reply(text: str, parent: Published, root: Published, *, comment: bool = False) -> PostJob:
    to = ReplyTo(PublishedPart(parent.remote_id), PublishedPart(root.remote_id), comment)
    return replace(just_tried(text), reply_to=to)


def test_a_thread_and_its_comment_reply_each_to_the_part_before(sandbox: RunningSandbox) -> None:
    on = on_threads(sandbox)
    root = published(on, just_tried("하나 1/2"))
    second = published(on, reply("둘 2/2", root, root))
    comment = published(on, reply("신청은 누리집에서", second, root, comment=True))
    chain = sandbox.state.chain("threads", root.remote_id)
    assert [post.remote_id for post in chain] == [
        root.remote_id,
        second.remote_id,
        comment.remote_id,
    ]
    assert [post.body.get("reply_to_id") for post in chain] == [
        None,
        root.remote_id,
        second.remote_id,
    ]
    assert [post.remote_url for post in chain] == [
        root.remote_url,
        second.remote_url,
        comment.remote_url,
    ]


def test_a_reply_whose_publish_answer_was_lost_is_found_under_its_own_parent(
    sandbox: RunningSandbox,
) -> None:
    on = on_threads(sandbox)
    root = published(on, just_tried("하나"))
    other = published(on, reply("같은 말", root, root))  # the same words, answering the root
    second = published(on, reply("둘", root, root))
    sandbox.state.faults.add("slow_after_accept", "threads", path="threads_publish", seconds=SLOW)
    saved = Saved()
    lost = on.publish(reply("같은 말", second, root, comment=True), saved, timeout=PATIENCE)
    assert isinstance(lost.outcome, Unknown)

    known = on.reconcile(replace(reply("같은 말", second, root, comment=True), state=saved.state))
    [comment] = [
        post for post in sandbox.state.posts("threads") if post.reply_to == second.remote_id
    ]
    assert known == Published(comment.remote_id, comment.remote_url, 200)
    assert comment.remote_id != other.remote_id
    assert sandbox.state.requests("threads", path="/replies", method="GET")
