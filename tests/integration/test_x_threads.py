"""X threads over loopback HTTP against the sandbox (issue 11): each part after the first, and
the first comment, is posted as a reply to the part before it; the sandbox refuses a reply to
a post it does not hold; a part whose answer was lost is found by its text and what it replies
to, and is not sent again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import httpx

from drafts.channels import XChannel
from scheduler.outcomes import Published, RetryLater, Unknown
from scheduler.platforms.base import Attempted, Credentials, PostJob, PublishedPart, ReplyTo
from scheduler.platforms.x import XAdapter
from scheduler.sandbox import RunningSandbox
from scheduler.sandbox.x import USER_ID
from tests.fakes import MemoryVault, Saved, run_with_client
from tests.integration.thread_chains import numbered, rejoined, replying

X_TOKEN = "x-thread-access-token-0123456789"
ORIGINAL = (
    "We moved the climate forum to the city hall annex this year, because the old venue is "
    "being rebuilt and will not open again before the spring. Doors open at nine, and the "
    "first talk starts at half past nine sharp, so please come early to pick up your badge. "
    "Lunch is served in the garden when the weather allows it, and in the main hall when it "
    "does not. The afternoon has three workshops on heat, water and transport; each takes "
    "thirty people, and you can choose one at the door. Bring a reusable cup: there will be "
    "no paper cups this time. The recordings go online a week after the forum ends."
)
COMMENT = "Register at https://example.org/forum before Friday."


def thread_parts() -> tuple[str, ...]:
    """``ORIGINAL`` as X gets it: three parts, each fitting 280 characters with its number."""
    return numbered(ORIGINAL, lambda text: len(text) <= 280 - len(" 9/9"), 3)


def x_channel(sandbox: RunningSandbox) -> XChannel:
    return XChannel(
        id="x-en", platform="x", languages=("en",), token_env="X_TOKEN", base_url=sandbox.base_url
    )


def credentials() -> Credentials:
    return Credentials(X_TOKEN, MemoryVault())


def part_job(
    text: str,
    part: int,
    reply_to: ReplyTo | None = None,
    *,
    state: dict[str, str] | None = None,
) -> PostJob:
    """Part ``part`` of a thread, its first attempt a moment ago, as the claim hands it over."""
    return PostJob(
        post_id=part,
        text=text,
        language="en",
        idempotency_key=f"k{part}",
        state=state or {},
        first_attempt_at=datetime.now(UTC) - timedelta(seconds=1),
        reply_to=reply_to,
    )


def publish(
    sandbox: RunningSandbox, job: PostJob, *, timeout: float = 5.0
) -> tuple[Attempted, dict[str, str]]:
    """Publish ``job``; the attempt, and the publish state the daemon keeps after it."""
    saved = Saved()
    attempted = run_with_client(
        lambda c: XAdapter().publish(
            c, job, x_channel(sandbox), credentials(), datetime.now(UTC), saved
        ),
        timeout=timeout,
    )
    return attempted, {**saved.state, **attempted.state}


def publish_chain(sandbox: RunningSandbox, texts: tuple[str, ...]) -> list[PublishedPart]:
    """Each text published in turn, each after the first replying to the one before."""
    published: list[PublishedPart] = []
    for part, text in enumerate(texts, start=1):
        job = part_job(text, part, replying(published, comment=part > 3))
        attempted, state = publish(sandbox, job)
        assert isinstance(attempted.outcome, Published), attempted.outcome
        published.append(PublishedPart(attempted.outcome.remote_id, state))
    return published


def test_a_thread_and_its_comment_arrive_as_an_ordered_reply_chain(
    sandbox: RunningSandbox,
) -> None:
    parts = thread_parts()

    published = publish_chain(sandbox, (*parts, COMMENT))

    chain = sandbox.state.chain("x", published[0].remote_id)
    assert [post.remote_id for post in chain] == [each.remote_id for each in published]
    assert [post.text for post in chain] == [*parts, COMMENT]
    assert chain[0].reply_to is None and "reply" not in chain[0].body
    for before, post in pairwise(chain):
        assert post.reply_to == before.remote_id
        assert post.body["reply"] == {"in_reply_to_tweet_id": before.remote_id}
        assert post.details["conversation_id"] == chain[0].remote_id
    assert rejoined(post.text for post in chain[:3]) == ORIGINAL
    # The inspection API shows the chain too.
    listed = httpx.get(sandbox.url("/_sandbox/posts"), params={"platform": "x"}).json()["posts"]
    assert [post["reply_to"] for post in listed] == [None, *(p.remote_id for p in published[:3])]


def test_the_timeline_lists_what_each_post_replies_to(sandbox: RunningSandbox) -> None:
    first, second = publish_chain(sandbox, thread_parts()[:2])

    listed = httpx.get(
        sandbox.url(f"/2/users/{USER_ID}/tweets"),
        params={"tweet.fields": "created_at,referenced_tweets,conversation_id,in_reply_to_user_id"},
        headers={"Authorization": f"Bearer {X_TOKEN}"},
    ).json()["data"]

    newest, oldest = listed
    assert newest["id"] == second.remote_id
    assert newest["referenced_tweets"] == [{"type": "replied_to", "id": first.remote_id}]
    assert newest["conversation_id"] == first.remote_id
    assert newest["in_reply_to_user_id"] == USER_ID
    assert oldest["id"] == first.remote_id and oldest["conversation_id"] == first.remote_id
    assert "referenced_tweets" not in oldest and "in_reply_to_user_id" not in oldest


def test_a_lost_answer_to_part_two_is_found_as_that_reply_and_not_sent_again(
    sandbox: RunningSandbox,
) -> None:
    parts = thread_parts()
    [first] = publish_chain(sandbox, parts[:1])
    # Someone posts part 2's text by hand as a post of its own: the same text, no reply.
    by_hand = httpx.post(
        sandbox.url("/2/tweets"), json={"text": parts[1]}, headers={"Authorization": "Bearer hand"}
    )
    assert by_hand.status_code == 201
    sandbox.state.faults.add("slow_after_accept", "x", path="/2/tweets", seconds=3)
    second = part_job(parts[1], 2, replying([first]))
    lost, state = publish(sandbox, second, timeout=0.3)
    assert isinstance(lost.outcome, Unknown), lost.outcome

    found = run_with_client(
        lambda c: XAdapter().reconcile(
            c,
            part_job(parts[1], 2, replying([first]), state=state),
            x_channel(sandbox),
            credentials(),
            datetime.now(UTC),
        )
    )

    [reply] = [post for post in sandbox.state.posts("x") if post.reply_to == first.remote_id]
    assert found == Published(reply.remote_id, reply.remote_url, 200)
    assert reply.text == parts[1]
    assert len(sandbox.state.requests("x", path="/2/tweets", method="POST")) == 3  # none resent


def test_a_reply_to_a_post_x_does_not_hold_is_refused_and_tried_again_later(
    sandbox: RunningSandbox,
) -> None:
    gone = PublishedPart("1700000000000000999")
    attempted, _ = publish(sandbox, part_job(thread_parts()[1], 2, ReplyTo(gone, gone)))

    assert isinstance(attempted.outcome, RetryLater), attempted.outcome
    assert attempted.outcome.http_status == 403
    assert "deleted or not visible" in attempted.outcome.reason
    assert sandbox.state.posts("x") == []
    malformed = httpx.post(
        sandbox.url("/2/tweets"),
        json={"text": "hi", "reply": {"in_reply_to_tweet_id": "one"}},
        headers={"Authorization": f"Bearer {X_TOKEN}"},
    )
    assert malformed.status_code == 400
    assert "reply.in_reply_to_tweet_id" in malformed.json()["errors"][0]["parameters"]


def test_a_part_marked_published_by_its_link_is_replied_to_by_its_id(
    sandbox: RunningSandbox,
) -> None:
    parts = thread_parts()
    [first] = publish_chain(sandbox, parts[:1])
    by_hand = PublishedPart(f"https://x.com/tidings_demo/status/{first.remote_id}")

    attempted, _ = publish(sandbox, part_job(parts[1], 2, ReplyTo(by_hand, by_hand)))

    assert isinstance(attempted.outcome, Published), attempted.outcome
    assert [post.text for post in sandbox.state.chain("x", first.remote_id)] == list(parts[:2])
