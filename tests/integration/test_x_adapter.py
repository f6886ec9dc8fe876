"""The X adapter over loopback HTTP against the sandbox: posting and its link, renewing with
rotated refresh tokens, the 24-hour cap, and an answer lost on the way back settled from the
account's recent posts, by the adapter and through the daemon."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import col, select

from drafts.channels import XChannel
from drafts.config import Config
from drafts.lifecycle import PostStatus
from drafts.models import Attempt, Post
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from scheduler.outcomes import Failed, Outcome, Published, RetryAt, Unknown
from scheduler.platforms.base import Credentials
from scheduler.platforms.x import SENT_AT, UNKNOWN_SINCE, XAdapter
from scheduler.platforms.x_oauth import ACCESS, REFRESH
from scheduler.sandbox import RunningSandbox
from tests.conftest import make_config
from tests.fakes import MemoryVault, Saved, just_tried, run_with_client
from tests.integration.publishing import drain, queue_drafts

X_TOKEN = "x-user-access-token-0123456789"
X_REFRESH = "x-user-refresh-token-0123456789"
KOREAN = "🌏 서울 기후 포럼 2.0 공개 https://example.org/forum #기후 #서울"
ENGLISH = "Release 2.0 is out 🎉 https://example.com/r2 #release"


def x_channel(sandbox: RunningSandbox, *, renewable: bool = True) -> XChannel:
    extra = {"refresh_token_env": "X_REFRESH", "client_id_env": "X_CLIENT_ID"} if renewable else {}
    return XChannel(
        id="x-ko",
        platform="x",
        languages=("ko",),
        token_env="X_TOKEN",
        base_url=sandbox.base_url,
        **extra,
    )


def x_credentials(vault: MemoryVault) -> Credentials:
    return Credentials(X_TOKEN, vault, {"X_REFRESH": X_REFRESH, "X_CLIENT_ID": "sandbox-client"})


def assert_no_token(outcome: Outcome | None, *tokens: str) -> None:
    for token in tokens:
        assert token not in repr(outcome)


def test_x_posts_and_links_to_the_post(sandbox: RunningSandbox) -> None:
    channel = x_channel(sandbox)
    attempted = run_with_client(
        lambda c: XAdapter().publish(
            c, just_tried(KOREAN), channel, x_credentials(MemoryVault()), datetime.now(UTC), Saved()
        )
    )
    outcome = attempted.outcome
    [post] = sandbox.state.posts("x")
    assert post.text == KOREAN
    assert outcome == Published(post.remote_id, f"https://x.com/i/web/status/{post.remote_id}", 201)
    assert httpx.get(sandbox.page_for(outcome.remote_url)).status_code == 200


def test_x_renews_with_rotation_and_keeps_the_new_refresh_token(sandbox: RunningSandbox) -> None:
    channel, vault = x_channel(sandbox), MemoryVault()
    now = datetime.now(UTC)
    sandbox.state.faults.add("expired", "x", path="/2/tweets")  # the env token has expired
    first = run_with_client(
        lambda c: XAdapter().publish(
            c, just_tried(KOREAN), channel, x_credentials(vault), now, Saved()
        )
    )
    assert isinstance(first.outcome, Published)
    rotated = vault.secrets[("x-ko", REFRESH)].value
    access = vault.secrets[("x-ko", ACCESS)]
    assert rotated != X_REFRESH
    assert access.expires_at is not None and access.expires_at > now + timedelta(hours=1)
    spent = httpx.post(
        sandbox.url("/2/oauth2/token"),
        data={"grant_type": "refresh_token", "refresh_token": X_REFRESH, "client_id": "c"},
    )
    assert spent.status_code == 400  # the old refresh token no longer works

    # Three hours on, the stored access token has expired: the stored refresh token renews it.
    later = now + timedelta(hours=3)
    second = run_with_client(
        lambda c: XAdapter().publish(
            c, just_tried(ENGLISH), channel, x_credentials(vault), later, Saved()
        )
    )
    assert isinstance(second.outcome, Published)
    assert vault.secrets[("x-ko", REFRESH)].value not in (rotated, X_REFRESH)
    assert vault.secrets[("x-ko", ACCESS)].value != access.value
    assert [p.text for p in sandbox.state.posts("x")] == [KOREAN, ENGLISH]
    assert_no_token(first.outcome, X_TOKEN, X_REFRESH, rotated)


def test_x_daily_cap_waits_for_the_24_hour_reset(sandbox: RunningSandbox) -> None:
    now = datetime.now(UTC)
    sandbox.state.faults.add("rate_limit", "x", reset_in=20 * 3600, scope="day")
    attempted = run_with_client(
        lambda c: XAdapter().publish(
            c, just_tried(ENGLISH), x_channel(sandbox), x_credentials(MemoryVault()), now, Saved()
        )
    )
    outcome = attempted.outcome
    assert isinstance(outcome, RetryAt), outcome
    assert now + timedelta(hours=20) - timedelta(seconds=2) <= outcome.at
    assert outcome.at <= now + timedelta(hours=20, seconds=2)
    assert "24-hour" in outcome.reason
    assert sandbox.state.posts("x") == []


def lose_an_answer(
    sandbox: RunningSandbox, channel: XChannel, vault: MemoryVault
) -> dict[str, str]:
    """Publish KOREAN while the sandbox answers too late: the post exists, its answer is lost.
    Returns the publish state the daemon would keep."""
    sandbox.state.faults.add("slow_after_accept", "x", seconds=3)
    saved, now = Saved(), datetime.now(UTC)
    attempted = run_with_client(
        lambda c: XAdapter().publish(
            c, just_tried(KOREAN), channel, x_credentials(vault), now, saved
        ),
        timeout=0.3,
    )
    assert isinstance(attempted.outcome, Unknown), attempted.outcome
    return {**saved.state, **attempted.state}


def check(channel: XChannel, vault: MemoryVault, state: dict[str, str]) -> Outcome | None:
    return run_with_client(
        lambda c: XAdapter().reconcile(
            c, just_tried(KOREAN, state=state), channel, x_credentials(vault), datetime.now(UTC)
        )
    )


def test_x_unknown_outcome_is_found_among_the_recent_posts(sandbox: RunningSandbox) -> None:
    channel, vault = x_channel(sandbox), MemoryVault()
    state = lose_an_answer(sandbox, channel, vault)
    assert set(state) == {SENT_AT, UNKNOWN_SINCE}

    checked = check(channel, vault, state)

    [post] = sandbox.state.posts("x")
    assert checked == Published(post.remote_id, post.remote_url, 200)
    assert sandbox.state.requests("x", path="/2/tweets", method="POST")[1:] == []  # not resent


def test_x_two_identical_recent_posts_are_left_to_a_person(sandbox: RunningSandbox) -> None:
    channel, vault = x_channel(sandbox), MemoryVault()
    state = lose_an_answer(sandbox, channel, vault)
    # Meanwhile someone posts the same text by hand, with a token of their own.
    by_hand = httpx.post(
        sandbox.url("/2/tweets"), json={"text": KOREAN}, headers={"Authorization": "Bearer hand"}
    )
    assert by_hand.status_code == 201

    checked = check(channel, vault, state)

    assert isinstance(checked, Unknown)
    assert "2 posts with exactly this text" in checked.reason
    assert len(sandbox.state.posts("x")) == 2  # nothing more was sent


def test_x_first_attempt_duplicate_fails(sandbox: RunningSandbox) -> None:
    channel = x_channel(sandbox, renewable=False)

    async def twice(client: httpx.AsyncClient) -> list[Outcome]:
        results = []
        for _ in range(2):
            attempted = await XAdapter().publish(
                client,
                just_tried(ENGLISH),
                channel,
                x_credentials(MemoryVault()),
                datetime.now(UTC),
                Saved(),
            )
            results.append(attempted.outcome)
        return results

    first, second = run_with_client(twice)
    assert isinstance(first, Published)
    assert isinstance(second, Failed) and "exactly this text" in second.reason
    assert len(sandbox.state.posts("x")) == 1


def test_x_revoked_token_without_refresh_asks_to_reconnect(sandbox: RunningSandbox) -> None:
    sandbox.state.faults.add("revoked", "x")
    attempted = run_with_client(
        lambda c: XAdapter().publish(
            c,
            just_tried(ENGLISH),
            x_channel(sandbox, renewable=False),
            x_credentials(MemoryVault()),
            datetime.now(UTC),
            Saved(),
        )
    )
    assert isinstance(attempted.outcome, Failed)
    assert "reconnect the account" in attempted.outcome.reason
    assert_no_token(attempted.outcome, X_TOKEN)


def test_x_identify(sandbox: RunningSandbox) -> None:
    identity = run_with_client(
        lambda c: XAdapter().identify(
            c, x_channel(sandbox), x_credentials(MemoryVault()), datetime.now(UTC)
        )
    )
    assert identity.name == "@tidings_demo"


# -- through the daemon ---------------------------------------------------------------------


@pytest.fixture
def x_only(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Config:
    """One X channel on the sandbox, with its token and the vault key in the environment."""
    monkeypatch.setenv("TIDINGS_T_X", X_TOKEN)
    monkeypatch.setenv("TIDINGS_SECRET_KEY", secrets.token_urlsafe(32))
    return make_config(
        f"""
[tidings]
timezone = "Asia/Seoul"
[[channels]]
id = "x-en"
platform = "x"
languages = ["en"]
token_env = "TIDINGS_T_X"
base_url = "{sandbox.base_url}"
"""
    )


def outcomes(database: Database, post_id: int) -> list[str]:
    with database.reading() as session:
        query = select(Attempt).where(Attempt.post_id == post_id).order_by(col(Attempt.number))
        return [attempt.outcome for attempt in session.exec(query)]


def only_post(database: Database) -> Post:
    with database.reading() as session:
        (post,) = session.exec(select(Post)).all()
    return post


def test_a_lost_answer_is_published_once_with_its_id_and_no_person(
    database: Database, library: TemplateLibrary, sandbox: RunningSandbox, x_only: Config
) -> None:
    queue_drafts(database, x_only, library, channels=["x-en"], texts={"en": ENGLISH})
    sandbox.state.faults.add("drop_after_accept", "x", path="/2/tweets")
    drain(database, x_only)

    post = only_post(database)
    [arrived] = sandbox.state.posts("x")
    assert (post.status, post.remote_id) == (PostStatus.PUBLISHED, arrived.remote_id)
    assert post.remote_url == f"https://x.com/i/web/status/{arrived.remote_id}"
    assert outcomes(database, post.id or 0) == ["unknown", "published"]
    assert len(sandbox.state.requests("x", path="/2/tweets", method="POST")) == 1  # not resent


def test_a_lost_answer_beside_an_identical_post_goes_to_a_person(
    database: Database, library: TemplateLibrary, sandbox: RunningSandbox, x_only: Config
) -> None:
    queue_drafts(database, x_only, library, channels=["x-en"], texts={"en": ENGLISH})
    # Someone posts the same text by hand, with a token of their own, just as the daemon does.
    by_hand = httpx.post(
        sandbox.url("/2/tweets"), json={"text": ENGLISH}, headers={"Authorization": "Bearer hand"}
    )
    assert by_hand.status_code == 201
    sandbox.state.faults.add("drop_after_accept", "x", path="/2/tweets")
    drain(database, x_only)

    post = only_post(database)
    assert post.status == PostStatus.NEEDS_ATTENTION
    assert "2 posts with exactly this text" in (post.reason or "")
    assert outcomes(database, post.id or 0) == ["unknown", "unknown"]
    assert len(sandbox.state.posts("x")) == 2  # nothing was sent a second time
