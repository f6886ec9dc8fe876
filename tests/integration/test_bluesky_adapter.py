"""The Bluesky adapter over loopback HTTP against the sandbox's XRPC endpoints."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Coroutine, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest

from scheduler.outcomes import Failed, Outcome, Published, RetryAt, Unknown
from scheduler.platforms.base import (
    Attempted,
    ChannelCheckError,
    Credentials,
    Identity,
    PostJob,
)
from scheduler.platforms.bluesky import BlueskyAdapter
from scheduler.platforms.tid import is_tid
from scheduler.sandbox import RunningSandbox
from tests.fakes import MemoryVault, job
from tests.integration.thread_chains import bluesky_channel

T = TypeVar("T")
PASSWORD = "app-pass-word-1234"
ENGLISH = "🌏 Join us: https://example.org/forum. #climate #seoul2026"
KOREAN = (
    "🌏 서울 기후 포럼 👨‍👩‍👧 🇰🇷 https://example.org/ko/forum 에서 만나요! #기후위기, #서울2026"
)


class Publisher:
    """One channel on the sandbox: a vault, a post state kept as the daemon keeps it."""

    def __init__(self, sandbox: RunningSandbox, adapter: BlueskyAdapter | None = None) -> None:
        self.sandbox = sandbox
        self.adapter = adapter or BlueskyAdapter()
        self.vault = MemoryVault()
        self.channel = bluesky_channel(sandbox)
        self.saved: list[dict[str, str]] = []

    def credentials(self, password: str = PASSWORD) -> Credentials:
        return Credentials(password, self.vault)

    def client(self, read_timeout: float = 5.0) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=read_timeout))

    async def publish(
        self, job: PostJob, *, now: datetime | None = None, read_timeout: float = 5.0
    ) -> Attempted:
        async def save(state: Mapping[str, str]) -> None:
            # The key is kept before the post exists on the platform.
            assert state["rkey"] not in {
                p.details["rkey"] for p in self.sandbox.state.posts("bluesky")
            }
            self.saved.append(dict(state))

        async with self.client(read_timeout) as client:
            return await self.adapter.publish(
                client, job, self.channel, self.credentials(), now or datetime.now(UTC), save
            )

    async def reconcile(self, job: PostJob) -> Outcome | None:
        async with self.client() as client:
            return await self.adapter.reconcile(
                client, job, self.channel, self.credentials(), datetime.now(UTC)
            )

    def calls(self, method: str) -> int:
        return len(self.sandbox.state.requests("bluesky", path=f"/xrpc/{method}"))


def run(work: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(work, timeout=10))


def resent(original: PostJob, publisher: Publisher) -> PostJob:
    """The job again, with the state the daemon kept from the attempts so far."""
    state = dict(original.state)
    for saved in publisher.saved:
        state.update(saved)
    return PostJob(original.post_id, original.text, original.language, "k", state)


@pytest.fixture
def publisher(sandbox: RunningSandbox) -> Publisher:
    return Publisher(sandbox)


@pytest.mark.parametrize(
    ("text", "language", "facets"),
    [
        (
            ENGLISH,
            "en",
            [
                ("link", "https://example.org/forum", "https://example.org/forum"),
                ("tag", "#climate", "climate"),
                ("tag", "#seoul2026", "seoul2026"),
            ],
        ),
        (
            KOREAN,
            "ko-KR",
            [
                ("link", "https://example.org/ko/forum", "https://example.org/ko/forum"),
                ("tag", "#기후위기", "기후위기"),
                ("tag", "#서울2026", "서울2026"),
            ],
        ),
    ],
)
def test_a_post_is_published_with_its_facets_language_and_card(
    publisher: Publisher, text: str, language: str, facets: list[tuple[str, str, str]]
) -> None:
    attempted = run(publisher.publish(job(text, language=language)))

    [post] = publisher.sandbox.state.posts("bluesky")
    [saved] = publisher.saved
    assert is_tid(saved["rkey"]) and saved["repo"].startswith("did:plc:")
    assert post.details["rkey"] == saved["rkey"]
    assert attempted.outcome == Published(
        post.remote_id, f"https://bsky.app/profile/tidings.test/post/{saved['rkey']}", 200
    )
    assert post.remote_id == f"at://{saved['repo']}/app.bsky.feed.post/{saved['rkey']}"
    assert attempted.outcome.remote_url == post.remote_url  # the sandbox serves that page
    assert post.text == text
    assert post.details["langs"] == [language]
    assert [(f["kind"], f["text"], f["target"]) for f in post.details["facets"]] == facets
    assert post.details["embed"]["external"]["uri"] == facets[0][2]


def test_one_session_serves_many_posts_and_survives_a_restart(publisher: Publisher) -> None:
    for n in range(3):
        assert isinstance(run(publisher.publish(job(f"post {n}"))).outcome, Published)
    restarted = Publisher(publisher.sandbox)
    restarted.vault = publisher.vault  # the vault is persistent; the adapter is new
    assert isinstance(run(restarted.publish(job("after a restart"))).outcome, Published)

    assert publisher.calls("com.atproto.server.createSession") == 1
    assert len(publisher.sandbox.state.posts("bluesky")) == 4
    [stored] = publisher.vault.secrets.values()
    assert PASSWORD not in stored.value
    assert stored.expires_at is not None
    assert stored.expires_at > datetime.now(UTC) + timedelta(days=80)  # the refresh token's


def test_posts_sent_at_once_share_one_login(publisher: Publisher) -> None:
    async def three() -> list[Attempted]:
        return list(await asyncio.gather(*(publisher.publish(job(f"p{n}")) for n in range(3))))

    assert all(isinstance(a.outcome, Published) for a in run(three()))
    assert publisher.calls("com.atproto.server.createSession") == 1


def test_an_expired_token_is_refreshed_and_the_post_sent_in_the_same_attempt(
    publisher: Publisher,
) -> None:
    run(publisher.publish(job("first")))  # makes the session
    publisher.sandbox.state.faults.add("expired", "bluesky", path="createRecord")

    attempted = run(publisher.publish(job("second")))

    assert isinstance(attempted.outcome, Published)
    assert [p.text for p in publisher.sandbox.state.posts("bluesky")] == ["first", "second"]
    assert publisher.calls("com.atproto.server.refreshSession") == 1
    assert publisher.calls("com.atproto.server.createSession") == 1
    # The refreshed session was stored: the next post needs no refresh.
    assert isinstance(run(publisher.publish(job("third"))).outcome, Published)
    assert publisher.calls("com.atproto.server.refreshSession") == 1


def test_an_access_token_past_its_expiry_is_refreshed_before_sending(publisher: Publisher) -> None:
    run(publisher.publish(job("first")))
    later = datetime.now(UTC) + timedelta(hours=3)  # access tokens last two hours

    assert isinstance(run(publisher.publish(job("second"), now=later)).outcome, Published)

    assert publisher.calls("com.atproto.server.refreshSession") == 1
    assert [r.status for r in publisher.sandbox.state.requests(path="createRecord")] == [200, 200]


def test_a_refused_refresh_logs_in_again(publisher: Publisher) -> None:
    run(publisher.publish(job("first")))
    faults = publisher.sandbox.state.faults
    faults.add("expired", "bluesky", path="createRecord")
    faults.add("revoked", "bluesky", path="refreshSession")

    assert isinstance(run(publisher.publish(job("second"))).outcome, Published)
    assert publisher.calls("com.atproto.server.createSession") == 2


def test_a_revoked_session_logs_in_once_then_fails_naming_the_app_password(
    publisher: Publisher,
) -> None:
    run(publisher.publish(job("first")))
    publisher.sandbox.state.faults.add("revoked", "bluesky", path="createRecord")
    assert isinstance(run(publisher.publish(job("second"))).outcome, Published)
    assert publisher.calls("com.atproto.server.createSession") == 2

    publisher.sandbox.state.faults.add("revoked", "bluesky", path="createRecord", times=2)
    outcome = run(publisher.publish(job("third"))).outcome

    assert isinstance(outcome, Failed)
    assert "check the app password in TIDINGS_T_BSKY" in outcome.reason
    assert publisher.calls("com.atproto.server.createSession") == 3
    assert len(publisher.sandbox.state.posts("bluesky")) == 2


def test_a_rate_limit_says_retry_at_its_reset(publisher: Publisher) -> None:
    fault = publisher.sandbox.state.faults.add(
        "rate_limit", "bluesky", path="createRecord", reset_in=30
    )

    outcome = run(publisher.publish(job(ENGLISH))).outcome

    assert fault.reset_at is not None
    reset = datetime.fromtimestamp(math.ceil(fault.reset_at.timestamp()), UTC)
    assert isinstance(outcome, RetryAt)
    assert (outcome.at, outcome.http_status) == (reset, 429)
    assert publisher.sandbox.state.posts("bluesky") == []


def test_a_timeout_after_the_post_was_stored_is_unknown_and_reconcile_finds_it(
    publisher: Publisher,
) -> None:
    publisher.sandbox.state.faults.add(
        "slow_after_accept", "bluesky", path="createRecord", seconds=3
    )
    first = job(ENGLISH)

    outcome = run(publisher.publish(first, read_timeout=0.3)).outcome

    assert isinstance(outcome, Unknown)
    again = resent(first, publisher)
    found = run(publisher.reconcile(again))
    [post] = publisher.sandbox.state.posts("bluesky")
    assert found == Published(post.remote_id, post.remote_url, 200)


def test_a_resend_with_the_same_key_finds_the_post_instead_of_duplicating_it(
    publisher: Publisher,
) -> None:
    publisher.sandbox.state.faults.add("drop_after_accept", "bluesky", path="createRecord")
    first = job(KOREAN, language="ko")
    assert isinstance(run(publisher.publish(first)).outcome, Unknown)

    # Sent again without reconciling: the repository refuses the key, getRecord finds the post.
    outcome = run(publisher.publish(resent(first, publisher))).outcome

    [post] = publisher.sandbox.state.posts("bluesky")
    assert outcome == Published(post.remote_id, post.remote_url, 200)
    assert [r.status for r in publisher.sandbox.state.requests(path="createRecord")] == [200, 500]


def test_reconcile_of_a_key_never_stored_says_send_again(publisher: Publisher) -> None:
    run(publisher.publish(job("makes the session and the repo")))
    did = publisher.saved[0]["repo"]

    assert (
        run(publisher.reconcile(job(ENGLISH, state={"rkey": "3lbxzxbmhy22c", "repo": did}))) is None
    )
    assert run(publisher.reconcile(job(ENGLISH))) is None  # no key kept: nothing was ever sent


def test_identify_names_the_account_and_when_its_session_expires(publisher: Publisher) -> None:
    async def identify() -> Identity:
        async with publisher.client() as client:
            return await publisher.adapter.identify(
                client, publisher.channel, publisher.credentials(), datetime.now(UTC)
            )

    identity = run(identify())
    run(identify())

    assert identity.name.startswith("@tidings.test (did:plc:")
    assert identity.token_expires_at is not None
    assert identity.token_expires_at > datetime.now(UTC) + timedelta(days=89)
    assert publisher.calls("com.atproto.server.createSession") == 1


def test_identify_reports_a_refused_login_without_the_password(publisher: Publisher) -> None:
    publisher.sandbox.state.faults.add("status", "bluesky", path="createSession", status=401)

    async def identify() -> None:
        async with publisher.client() as client:
            await publisher.adapter.identify(
                client, publisher.channel, publisher.credentials(), datetime.now(UTC)
            )

    with pytest.raises(ChannelCheckError) as raised:
        run(identify())

    assert "401 AuthenticationRequired" in str(raised.value)
    assert "check the app password in TIDINGS_T_BSKY" in str(raised.value)
    assert PASSWORD not in str(raised.value)
    assert publisher.vault.secrets == {}
