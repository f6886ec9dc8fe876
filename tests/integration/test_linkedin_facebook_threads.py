"""The LinkedIn, Facebook and Threads adapters against the sandbox over loopback HTTP:
what arrives, what the platform shows, and what an unknown outcome comes to."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest

from drafts.channels import FacebookChannel, LinkedInChannel, ThreadsChannel
from drafts.text_rules.linkedin import escape_little
from scheduler.outcomes import Failed, Published, RetryAt, Unknown
from scheduler.platforms import threads
from scheduler.platforms.base import Attempted, Credentials, PostJob, StoredSecret
from scheduler.platforms.facebook import FacebookAdapter
from scheduler.platforms.linkedin import LinkedInAdapter
from scheduler.platforms.threads import ThreadsAdapter
from scheduler.sandbox import RunningSandbox, Settings, running_sandbox

T = TypeVar("T")
TOKEN = "sandbox-adapter-token-0123456789"
ORG = "urn:li:organization:2414183"
RESERVED_TEXT = r"Q3 (draft) [v2] a_b #tag #my_tag @me *x* ~y \ {z} <w> | 서울 #기후 🌏 C#"
# A request this much slower than the client's patience is an unknown outcome.
PATIENCE = 0.3
SLOW = 3.0


class MemoryVault:
    """The Vault protocol in a dict."""

    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], StoredSecret] = {}

    async def load(self, channel: str, kind: str) -> StoredSecret | None:
        return self.secrets.get((channel, kind))

    async def save(self, channel: str, kind: str, value: str, expires_at: datetime | None) -> None:
        self.secrets[(channel, kind)] = StoredSecret(value, expires_at)


CREDENTIALS = Credentials(TOKEN, MemoryVault())
Adapter = LinkedInAdapter | FacebookAdapter | ThreadsAdapter
Channel = LinkedInChannel | FacebookChannel | ThreadsChannel


@pytest.fixture(scope="module")
def served() -> Iterator[RunningSandbox]:
    with running_sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(served: RunningSandbox) -> RunningSandbox:
    served.state.settings = Settings()
    served.state.reset()
    return served


def linkedin_channel(sandbox: RunningSandbox, version: str | None = None) -> LinkedInChannel:
    current = f"{sandbox.state.now():%Y%m}"
    return LinkedInChannel(
        id="li",
        platform="linkedin",
        languages=("en", "ko"),
        author=ORG,
        token_env="T",
        version=version or current,
        base_url=sandbox.base_url,
    )


def facebook_channel(sandbox: RunningSandbox) -> FacebookChannel:
    return FacebookChannel(
        id="fb",
        platform="facebook",
        languages=("en", "ko"),
        page_id=sandbox.state.settings.facebook_page_id,
        token_env="T",
        base_url=sandbox.base_url,
    )


def threads_channel(sandbox: RunningSandbox) -> ThreadsChannel:
    return ThreadsChannel(
        id="th",
        platform="threads",
        languages=("en", "ko"),
        user_id=sandbox.state.settings.threads_user_id,
        token_env="T",
        base_url=sandbox.base_url,
    )


def job(
    text: str, state: Mapping[str, str] | None = None, sent_at: datetime | None = None
) -> PostJob:
    return PostJob(
        post_id=1,
        text=text,
        language="en",
        idempotency_key="k",
        state=dict(state or {}),
        first_attempt_at=datetime.now(UTC) - timedelta(seconds=1),
        last_sent_at=sent_at,
    )


def run(work: Callable[[httpx.AsyncClient], Coroutine[Any, Any, T]], patience: float = 5.0) -> T:
    async def go() -> T:
        async with httpx.AsyncClient(timeout=patience) as client:
            return await work(client)

    return asyncio.run(go())


class Saved:
    """The save callback: merges state as the daemon does, and can look at the sandbox."""

    def __init__(self, on_save: Callable[[Mapping[str, str]], None] | None = None) -> None:
        self.state: dict[str, str] = {}
        self.on_save = on_save

    async def __call__(self, state: Mapping[str, str]) -> None:
        if self.on_save is not None:
            self.on_save(state)
        self.state.update(state)


def publish(
    adapter: Adapter, channel: Channel, post: PostJob, saved: Saved, patience: float = 5.0
) -> Attempted:
    now = datetime.now(UTC)
    return run(
        lambda client: adapter.publish(client, post, channel, CREDENTIALS, now, saved), patience
    )


# -- LinkedIn ------------------------------------------------------------------------------------


def test_linkedin_reserved_characters_arrive_escaped_and_show_as_previewed(
    sandbox: RunningSandbox,
) -> None:
    adapter, channel = LinkedInAdapter(), linkedin_channel(sandbox)
    previewed = adapter.displayed_text(adapter.build(job(RESERVED_TEXT), channel, "<secret>"))
    saved = Saved()

    attempted = publish(adapter, channel, job(RESERVED_TEXT), saved)

    [post] = sandbox.state.posts("linkedin")
    assert attempted.outcome == Published(
        post.remote_id, f"https://www.linkedin.com/feed/update/{post.remote_id}/", 201
    )
    assert attempted.outcome.remote_url == post.remote_url  # the sandbox serves that page
    assert post.body["commentary"] == escape_little(RESERVED_TEXT)
    assert post.text == RESERVED_TEXT == previewed
    assert post.details["truncated_at"] is None
    assert post.headers["x-restli-protocol-version"] == "2.0.0"
    assert {**saved.state, **attempted.state} == {}


def test_linkedin_retired_version_fails_and_says_what_to_change(sandbox: RunningSandbox) -> None:
    channel = linkedin_channel(sandbox, version="202001")
    attempted = publish(LinkedInAdapter(), channel, job("Old version"), Saved())
    assert isinstance(attempted.outcome, Failed)
    assert attempted.outcome.http_status == 426
    assert "`version`" in attempted.outcome.reason
    assert sandbox.state.posts("linkedin") == []


def test_linkedin_unknown_outcome_reconciles_to_the_same_post(sandbox: RunningSandbox) -> None:
    adapter, channel = LinkedInAdapter(), linkedin_channel(sandbox)
    sandbox.state.faults.add("slow_after_accept", "linkedin", seconds=SLOW)
    sent_at = datetime.now(UTC)  # what the engine stores before the request

    first = publish(adapter, channel, job("Harbour walk (day 2) #walk"), Saved(), PATIENCE)
    assert isinstance(first.outcome, Unknown)

    after = job("Harbour walk (day 2) #walk", first.state, sent_at)
    now = datetime.now(UTC)
    known = run(lambda client: adapter.reconcile(client, after, channel, CREDENTIALS, now))

    [post] = sandbox.state.posts("linkedin")
    assert known == Published(
        post.remote_id, f"https://www.linkedin.com/feed/update/{post.remote_id}/", 422
    )
    assert len(sandbox.state.requests("linkedin", path="/rest/posts", method="POST")) == 2


def test_linkedin_identify_organization_and_member(sandbox: RunningSandbox) -> None:
    adapter, channel = LinkedInAdapter(), linkedin_channel(sandbox)
    now = datetime.now(UTC)
    page = run(lambda client: adapter.identify(client, channel, CREDENTIALS, now))
    assert ORG in page.name
    member = channel.model_copy(
        update={"author": f"urn:li:person:{sandbox.state.settings.linkedin_member_id}"}
    )
    person = run(lambda client: adapter.identify(client, member, CREDENTIALS, now))
    assert person.name == f"Sandbox Member ({member.author})"


# -- Facebook ------------------------------------------------------------------------------------


def test_facebook_post_and_its_page(sandbox: RunningSandbox) -> None:
    text = "서울 기후 포럼 (2일차) https://example.org/forum #기후 🌏"
    attempted = publish(FacebookAdapter(), facebook_channel(sandbox), job(text), Saved())
    [post] = sandbox.state.posts("facebook")
    assert attempted.outcome == Published(post.remote_id, post.remote_url, 200)
    assert post.text == text
    assert "access_token" not in post.body
    [request] = sandbox.state.requests("facebook", method="POST")
    assert request.query == {}  # the token never travels in the URL


def test_facebook_rate_limit_waits_as_the_usage_header_says(sandbox: RunningSandbox) -> None:
    sandbox.state.faults.add("rate_limit", "facebook", reset_in=300)
    before = datetime.now(UTC)
    attempted = publish(FacebookAdapter(), facebook_channel(sandbox), job("Throttled"), Saved())
    assert isinstance(attempted.outcome, RetryAt)
    assert "code 32" in attempted.outcome.reason
    assert before + timedelta(minutes=4) <= attempted.outcome.at <= before + timedelta(minutes=6)
    assert sandbox.state.posts("facebook") == []


def test_facebook_dead_token_fails_asking_to_reconnect(sandbox: RunningSandbox) -> None:
    sandbox.state.faults.add("revoked", "facebook")
    attempted = publish(FacebookAdapter(), facebook_channel(sandbox), job("Revoked"), Saved())
    assert isinstance(attempted.outcome, Failed)
    assert "code 190/460" in attempted.outcome.reason
    assert "reconnect the page" in attempted.outcome.reason


def test_facebook_unknown_outcome_is_found_among_published_posts(
    sandbox: RunningSandbox,
) -> None:
    adapter, channel = FacebookAdapter(), facebook_channel(sandbox)
    sandbox.state.faults.add("slow_after_accept", "facebook", seconds=SLOW)
    sent_at = datetime.now(UTC)  # what the engine stores before the request
    first = publish(adapter, channel, job("Page news"), Saved(), PATIENCE)
    assert isinstance(first.outcome, Unknown)

    after = job("Page news", first.state, sent_at)
    now = datetime.now(UTC)
    known = run(lambda client: adapter.reconcile(client, after, channel, CREDENTIALS, now))

    [post] = sandbox.state.posts("facebook")
    assert known == Published(post.remote_id, post.remote_url, 200)
    assert all(r.query.get("access_token") is None for r in sandbox.state.requests("facebook"))


def test_facebook_identify_names_the_page(sandbox: RunningSandbox) -> None:
    channel = facebook_channel(sandbox)
    now = datetime.now(UTC)
    page = run(lambda client: FacebookAdapter().identify(client, channel, CREDENTIALS, now))
    assert channel.page_id in page.name


# -- Threads -------------------------------------------------------------------------------------


def test_threads_saves_the_container_before_publishing(sandbox: RunningSandbox) -> None:
    def nothing_published_yet(state: Mapping[str, str]) -> None:
        assert state[threads.CONTAINER]
        assert sandbox.state.requests("threads", path="threads_publish") == []
        assert sandbox.state.posts("threads") == []

    saved = Saved(nothing_published_yet)
    attempted = publish(ThreadsAdapter(), threads_channel(sandbox), job("스레드 🧵 #기후"), saved)

    [post] = sandbox.state.posts("threads")
    assert attempted.outcome == Published(post.remote_id, post.remote_url, 200)
    assert post.details["container_id"] == saved.state[threads.CONTAINER]
    assert post.text == "스레드 🧵 #기후"
    assert all(r.query.get("access_token") is None for r in sandbox.state.requests("threads"))


def test_threads_unknown_publish_reconciles_to_one_post(sandbox: RunningSandbox) -> None:
    adapter, channel = ThreadsAdapter(), threads_channel(sandbox)
    sandbox.state.faults.add("slow_after_accept", "threads", path="threads_publish", seconds=SLOW)
    saved = Saved()
    first = publish(adapter, channel, job("Harbour walk"), saved, PATIENCE)
    assert isinstance(first.outcome, Unknown)

    after = job("Harbour walk", saved.state)
    now = datetime.now(UTC)
    known = run(lambda client: adapter.reconcile(client, after, channel, CREDENTIALS, now))

    [post] = sandbox.state.posts("threads")
    assert known == Published(post.remote_id, post.remote_url, 200)
    # A retry instead of a reconcile finds the same post and makes no second container.
    again = publish(adapter, channel, after, Saved())
    assert again.outcome == known
    posted = sandbox.state.requests("threads", method="POST")
    assert [r.path.rsplit("/", 1)[1] for r in posted] == ["threads", "threads_publish"]
    assert len(sandbox.state.posts("threads")) == 1


def test_threads_identify_names_the_profile(sandbox: RunningSandbox) -> None:
    channel = threads_channel(sandbox)
    now = datetime.now(UTC)
    profile = run(lambda client: ThreadsAdapter().identify(client, channel, CREDENTIALS, now))
    assert profile.name == f"@{sandbox.state.settings.threads_username}"
