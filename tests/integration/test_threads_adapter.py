"""The Threads adapter against the sandbox over loopback HTTP: the container saved before it is
published, and an unknown publish settled by the container's status."""

from __future__ import annotations

from collections.abc import Mapping

from drafts.channels import ThreadsChannel
from scheduler.outcomes import Published, Unknown
from scheduler.platforms import threads
from scheduler.platforms.base import Credentials
from scheduler.platforms.threads import ThreadsAdapter
from scheduler.sandbox import RunningSandbox
from tests.fakes import MemoryVault, OverLoopback, Saved, just_tried

# A request this much slower than the client's patience is an unknown outcome.
PATIENCE, SLOW = 0.3, 3.0


def on_threads(sandbox: RunningSandbox) -> OverLoopback[ThreadsChannel]:
    channel = ThreadsChannel(
        id="th",
        platform="threads",
        languages=("en", "ko"),
        user_id=sandbox.state.settings.threads_user_id,
        token_env="T",
        base_url=sandbox.base_url,
    )
    return OverLoopback(ThreadsAdapter(), channel, Credentials("th-token", MemoryVault()))


def test_threads_saves_the_container_before_publishing(sandbox: RunningSandbox) -> None:
    def nothing_published_yet(state: Mapping[str, str]) -> None:
        assert state[threads.CONTAINER]
        assert sandbox.state.requests("threads", path="threads_publish") == []
        assert sandbox.state.posts("threads") == []

    saved = Saved(nothing_published_yet)
    attempted = on_threads(sandbox).publish(just_tried("스레드 🧵 #기후"), saved)

    [post] = sandbox.state.posts("threads")
    assert attempted.outcome == Published(post.remote_id, post.remote_url, 200)
    assert post.details["container_id"] == saved.state[threads.CONTAINER]
    assert post.text == "스레드 🧵 #기후"
    assert all(r.query.get("access_token") is None for r in sandbox.state.requests("threads"))


def test_threads_unknown_publish_reconciles_to_one_post(sandbox: RunningSandbox) -> None:
    on = on_threads(sandbox)
    sandbox.state.faults.add("slow_after_accept", "threads", path="threads_publish", seconds=SLOW)
    saved = Saved()
    first = on.publish(just_tried("Harbour walk"), saved, timeout=PATIENCE)
    assert isinstance(first.outcome, Unknown)

    after = just_tried("Harbour walk", state=saved.state)
    known = on.reconcile(after)

    [post] = sandbox.state.posts("threads")
    assert known == Published(post.remote_id, post.remote_url, 200)
    # A retry instead of a reconcile finds the same post and makes no second container.
    again = on.publish(after)
    assert again.outcome == known
    posted = sandbox.state.requests("threads", method="POST")
    assert [r.path.rsplit("/", 1)[1] for r in posted] == ["threads", "threads_publish"]
    assert len(sandbox.state.posts("threads")) == 1


def test_threads_identify_names_the_profile(sandbox: RunningSandbox) -> None:
    profile = on_threads(sandbox).identify()
    assert profile.name == f"@{sandbox.state.settings.threads_username}"
