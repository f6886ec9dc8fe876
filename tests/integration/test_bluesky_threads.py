"""Bluesky threads over loopback HTTP against the sandbox (issue 11): each part after the first,
and the first comment, names the thread's first post (root) and the part before it (parent)
by uri and cid; each part keeps its cid for the parts after it, and a part whose cid was not
kept (found by getRecord after a lost answer, or marked published by its link) is looked up.
The sandbox refuses refs to posts it lacks or under another cid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from drafts.text_rules.graphemes import count_graphemes
from scheduler.outcomes import Failed, Outcome, Published, Unknown
from scheduler.platforms.base import Attempted, Credentials, PostJob, PublishedPart, ReplyTo
from scheduler.platforms.bluesky import BlueskyAdapter
from scheduler.sandbox import RunningSandbox
from scheduler.sandbox.bluesky import BlueskyStore
from tests.fakes import MemoryVault, Saved, run_with_client
from tests.integration.thread_chains import bluesky_channel, numbered, rejoined, replying

PASSWORD = "app-pass-word-1234"
ORIGINAL = (
    "서울 기후 포럼이 올해는 시청 별관에서 열립니다. 예전 장소는 다시 짓는 중이라 봄까지 문을 "
    "열지 않아요. 아홉 시에 문을 열고 첫 발표는 아홉 시 반에 정확히 시작하니 일찍 오셔서 명찰을 "
    "받아 가세요. 점심은 날씨가 좋으면 정원에서, 아니면 본관에서 드립니다. 오후에는 더위, 물, "
    "교통을 다루는 워크숍 세 개가 열리고 각각 서른 명까지 들어갈 수 있어요. 입구에서 하나를 "
    "고르시면 됩니다. 이번에는 종이컵이 없으니 다회용 컵을 가져오세요. 녹화 영상은 포럼이 끝나고 "
    "일주일 뒤에 올라갑니다. 자세한 안내는 https://example.org/forum 에 있어요 #서울기후포럼 "
    "여러분 모두를 기다립니다. 질문이 있으면 언제든 연락 주세요. 발표자 명단과 워크숍 신청 방법은 "
    "다음 주에 따로 알려 드릴게요. 주차 공간이 좁으니 되도록 대중교통을 이용해 주시면 고맙겠습니다."
)
COMMENT = "신청은 금요일까지 https://example.org/forum/register 에서 받아요."


def thread_parts() -> tuple[str, ...]:
    """``ORIGINAL`` in three parts of at most 200 graphemes with their numbers (Bluesky takes
    300)."""
    return numbered(ORIGINAL, lambda text: count_graphemes(text) <= 200, 3)


class Thread:
    """One Bluesky channel on the sandbox and one adapter (one session) for every part."""

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox
        self.adapter = BlueskyAdapter()
        self.vault = MemoryVault()
        self.channel = bluesky_channel(sandbox, ("ko",))

    def credentials(self) -> Credentials:
        return Credentials(PASSWORD, self.vault)

    def job(
        self, text: str, part: int, reply_to: ReplyTo | None, state: dict[str, str] | None = None
    ) -> PostJob:
        return PostJob(
            post_id=part,
            text=text,
            language="ko",
            idempotency_key=f"k{part}",
            state=state or {},
            first_attempt_at=datetime.now(UTC) - timedelta(seconds=1),
            reply_to=reply_to,
        )

    def publish(self, job: PostJob, *, timeout: float = 5.0) -> tuple[Attempted, dict[str, str]]:
        """Publish ``job``; the attempt, and the publish state the daemon keeps after it."""
        saved = Saved()
        attempted = run_with_client(
            lambda c: self.adapter.publish(
                c, job, self.channel, self.credentials(), datetime.now(UTC), saved
            ),
            timeout=timeout,
        )
        return attempted, {**job.state, **saved.state, **attempted.state}

    def reconcile(self, job: PostJob) -> Outcome | None:
        return run_with_client(
            lambda c: self.adapter.reconcile(
                c, job, self.channel, self.credentials(), datetime.now(UTC)
            )
        )

    def chain(self, texts: tuple[str, ...], parts: int = 3) -> list[PublishedPart]:
        """Each text published in turn, each after the first replying to the one before."""
        published: list[PublishedPart] = []
        for part, text in enumerate(texts, start=1):
            attempted, state = self.publish(
                self.job(text, part, replying(published, comment=part > parts))
            )
            assert isinstance(attempted.outcome, Published), attempted.outcome
            published.append(PublishedPart(attempted.outcome.remote_id, state))
        return published

    def creates(self) -> int:
        return len(self.sandbox.state.requests("bluesky", path="createRecord", method="POST"))


def ref(part: PublishedPart, sandbox: RunningSandbox) -> dict[str, str]:
    """The strong ref the sandbox holds for a published part: its uri and stored cid."""
    [post] = [p for p in sandbox.state.posts("bluesky") if p.remote_id == part.remote_id]
    return {"uri": post.remote_id, "cid": post.details["cid"]}


@pytest.fixture
def thread(sandbox: RunningSandbox) -> Thread:
    return Thread(sandbox)


def test_a_thread_and_its_comment_arrive_as_an_ordered_chain_of_strong_refs(
    thread: Thread,
) -> None:
    parts = thread_parts()

    published = thread.chain((*parts, COMMENT))

    sandbox = thread.sandbox
    chain = sandbox.state.chain("bluesky", published[0].remote_id)
    assert [post.remote_id for post in chain] == [each.remote_id for each in published]
    assert [post.text for post in chain] == [*parts, COMMENT]
    # Each part kept the cid its record was made with, and its own record key.
    assert [each.state["cid"] for each in published] == [p.details["cid"] for p in chain]
    assert len({each.state["rkey"] for each in published}) == 4
    root = ref(published[0], sandbox)
    assert "reply" not in chain[0].body["record"] and chain[0].reply_to is None
    for before, post in pairwise(chain):
        assert post.reply_to == before.remote_id
        assert post.body["record"]["reply"] == {
            "root": root,
            "parent": {"uri": before.remote_id, "cid": before.details["cid"]},
        }
    assert rejoined(post.text for post in chain[:3]) == ORIGINAL
    # Each part's facets point into its own text: the link in part 2 and the comment's link.
    linked = [[f["target"] for f in post.details["facets"]] for post in chain]
    assert "https://example.org/forum/register" in linked[3]
    assert any("https://example.org/forum" in targets for targets in linked[:3])


def test_a_lost_answer_to_part_two_is_found_and_part_three_reads_its_cid(thread: Thread) -> None:
    parts = thread_parts()
    [first] = thread.chain(parts[:1])
    thread.sandbox.state.faults.add("slow_after_accept", "bluesky", path="createRecord", seconds=3)
    second = thread.job(parts[1], 2, replying([first]))
    lost, state = thread.publish(second, timeout=0.3)
    assert isinstance(lost.outcome, Unknown), lost.outcome
    assert "cid" not in state  # the answer with the cid never arrived

    found = thread.reconcile(thread.job(parts[1], 2, replying([first]), state))

    [reply] = [p for p in thread.sandbox.state.posts("bluesky") if p.reply_to == first.remote_id]
    assert found == Published(reply.remote_id, reply.remote_url, 200)
    assert thread.creates() == 2  # part 2 was not sent again
    # Part 3 follows the reconciled part 2, whose cid was never kept: it is looked up.
    reconciled = PublishedPart(reply.remote_id, state)
    third, _ = thread.publish(thread.job(parts[2], 3, replying([first, reconciled])))
    assert isinstance(third.outcome, Published), third.outcome
    last = thread.sandbox.state.chain("bluesky", first.remote_id)[-1]
    assert last.text == parts[2]
    assert last.body["record"]["reply"]["parent"] == ref(reconciled, thread.sandbox)
    assert thread.sandbox.state.requests("bluesky", path="getRecord")


def test_a_part_marked_published_by_its_link_is_replied_to_by_its_record(thread: Thread) -> None:
    parts = thread_parts()
    [first] = thread.chain(parts[:1])
    rkey = first.state["rkey"]
    by_hand = PublishedPart(f"https://bsky.app/profile/tidings.test/post/{rkey}")

    attempted, state = thread.publish(thread.job(parts[1], 2, ReplyTo(by_hand, by_hand)))

    assert isinstance(attempted.outcome, Published), attempted.outcome
    second = thread.sandbox.state.chain("bluesky", first.remote_id)[1]
    assert second.body["record"]["reply"] == {
        "root": ref(first, thread.sandbox),
        "parent": ref(first, thread.sandbox),
    }
    assert state["cid"] == second.details["cid"]


def test_a_part_replying_to_a_post_that_is_gone_fails_without_sending(thread: Thread) -> None:
    parts = thread_parts()
    [first] = thread.chain(parts[:1])
    with thread.sandbox.state.lock:
        thread.sandbox.state.store(BlueskyStore).records.clear()  # deleted in the app
    gone = PublishedPart(first.remote_id)  # its cid not kept: it must be looked up

    attempted, _ = thread.publish(thread.job(parts[1], 2, ReplyTo(gone, gone)))

    assert isinstance(attempted.outcome, Failed), attempted.outcome
    assert "no longer exists" in attempted.outcome.reason
    assert thread.creates() == 1


@pytest.mark.parametrize("wrong", ["cid", "uri", "root"])
def test_the_sandbox_refuses_refs_that_name_no_post_or_another_cid(
    thread: Thread, wrong: str
) -> None:
    parts = thread_parts()
    first, second = thread.chain(parts[:2])
    other = thread.chain(("다른 글",))[0]
    parent, root = second, first
    if wrong == "cid":
        parent = PublishedPart(second.remote_id, {**second.state, "cid": first.state["cid"]})
    elif wrong == "uri":
        missing = second.remote_id.rsplit("/", 1)[0] + "/2222222222222"
        parent = PublishedPart(missing, second.state)
    else:
        root = other  # not the root of part 2's thread

    attempted, _ = thread.publish(thread.job(parts[2], 3, ReplyTo(parent, root)))

    assert isinstance(attempted.outcome, Failed), attempted.outcome
    assert attempted.outcome.http_status == 400
    assert "Record/reply/" in attempted.outcome.reason
    assert [p.text for p in thread.sandbox.state.posts("bluesky")] == [*parts[:2], "다른 글"]
