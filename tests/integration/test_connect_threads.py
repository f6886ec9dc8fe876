"""Connecting a Threads account through the sandbox: consent, code → one-hour token →
long-lived token, the account from ``/v1.0/me``, and refreshing the token on the sandbox's clock.

The sandbox here runs on a ``Clock`` the tests move (``SandboxState(clock=...)``), so the
24-hour and 60-day rules of "Long-Lived Access Tokens" are checked without waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from drafts.channels import ThreadsChannel
from drafts.credential_problems import REPLY_SCOPES, REQUIRED_SCOPES
from scheduler.connect import connector_for
from scheduler.connect.base import ConnectError, OAuthClient
from scheduler.connect.threads import CONNECTOR
from scheduler.connections import Grant, Tokens
from scheduler.sandbox import RunningSandbox, SandboxState, Settings, running_sandbox
from tests.fakes import Clock
from tests.integration.connecting import consented, exchanged, registered_client, renewed

CALLBACK = "https://tidings.example.org/channels/news-threads/callback"
ASKED = [*REQUIRED_SCOPES["threads"], *REPLY_SCOPES["threads"]]
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
USER = Settings().threads_user_id
CLOCK = Clock(NOW)


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[RunningSandbox]:
    """This module's sandbox keeps the time ``CLOCK`` says."""
    with running_sandbox(SandboxState(clock=CLOCK)) as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def _clock_at_start() -> None:
    CLOCK.now = NOW


def _channel(sandbox: RunningSandbox, user_id: str = USER) -> ThreadsChannel:
    return ThreadsChannel(
        id="news-threads", platform="threads", languages=("en",), user_id=user_id,
        base_url=sandbox.base_url,
    )  # fmt: skip


def _client(sandbox: RunningSandbox) -> OAuthClient:
    return registered_client(sandbox, "threads", redirect_uri=CALLBACK)


def _consent(
    sandbox: RunningSandbox, client: OAuthClient, decision: str = "allow"
) -> dict[str, str]:
    url = CONNECTOR.authorization_url(
        _channel(sandbox), client, redirect_uri=CALLBACK, state="st-1", code_challenge=None
    )
    assert url.startswith(f"{sandbox.base_url}/oauth/authorize?")
    return consented(url, decision=decision)


def _exchange(
    sandbox: RunningSandbox, client: OAuthClient, code: str, user_id: str = USER
) -> Grant:
    channel = _channel(sandbox, user_id)
    return exchanged(CONNECTOR, channel, client, code, redirect_uri=CALLBACK, now=CLOCK.now)


def _connect(sandbox: RunningSandbox) -> Grant:
    client = _client(sandbox)
    return _exchange(sandbox, client, _consent(sandbox, client)["code"])


def _renew(sandbox: RunningSandbox, token: str) -> Tokens:
    return renewed(CONNECTOR, _channel(sandbox), None, token=token, refresh=None, now=CLOCK.now)


def _me(sandbox: RunningSandbox, token: str) -> httpx.Response:
    return httpx.get(
        f"{sandbox.base_url}/v1.0/me",
        params={"fields": "id,username"},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_connecting_yields_a_long_lived_token_for_the_account(sandbox: RunningSandbox) -> None:
    assert connector_for(_channel(sandbox)) is CONNECTOR

    grant = _connect(sandbox)

    assert (grant.account_id, grant.account_name) == (USER, "@demo")
    assert set(grant.scopes) == set(ASKED)
    assert grant.tokens.expires_at == NOW + timedelta(days=60)
    assert grant.tokens.refresh is None and CONNECTOR.renewable(refresh=None)
    headers = {"Authorization": f"Bearer {grant.tokens.token}"}
    made = httpx.post(
        f"{sandbox.base_url}/v1.0/me/threads",
        data={"media_type": "TEXT", "text": "connected"},
        headers=headers,
    )
    published = httpx.post(
        f"{sandbox.base_url}/v1.0/me/threads_publish",
        data={"creation_id": made.json()["id"]},
        headers=headers,
    )
    assert published.status_code == 200
    assert [post.channel for post in sandbox.state.posts("threads")] == [USER]


def test_the_consent_asks_for_the_publishing_scopes(sandbox: RunningSandbox) -> None:
    _consent(sandbox, _client(sandbox))

    [asked] = sandbox.state.requests("threads", path="/oauth/authorize", method="GET")
    assert asked.query["scope"].split(",") == ASKED
    assert "threads_manage_replies" in ASKED and "threads_read_replies" in ASKED
    assert asked.query["response_type"] == "code"


def test_another_account_than_the_channels_is_refused(sandbox: RunningSandbox) -> None:
    client = _client(sandbox)

    with pytest.raises(ConnectError) as refused:
        _exchange(sandbox, client, _consent(sandbox, client)["code"], user_id="999")

    assert str(refused.value).startswith(
        f"you connected the Threads account @demo ({USER}), but channel news-threads posts "
        "as user 999"
    )
    assert not refused.value.retry


def test_a_denied_consent_comes_back_without_a_code(sandbox: RunningSandbox) -> None:
    back = _consent(sandbox, _client(sandbox), decision="deny")

    assert back["error"] == "access_denied" and back["state"] == "st-1" and "code" not in back


def test_a_replayed_code_is_refused(sandbox: RunningSandbox) -> None:
    client = _client(sandbox)
    code = _consent(sandbox, client)["code"]
    _exchange(sandbox, client, code)

    with pytest.raises(ConnectError) as refused:
        _exchange(sandbox, client, code)

    assert str(refused.value).startswith("Threads refused exchanging the authorization code")
    assert code not in str(refused.value) and not refused.value.retry


def test_scopes_stay_unknown_when_meta_will_not_describe_the_token(
    sandbox: RunningSandbox,
) -> None:
    sandbox.state.faults.add("status", "threads", path="/v1.0/debug_token", status=403)

    grant = _connect(sandbox)

    assert grant.tokens.scopes is None and grant.account_id == USER


def test_a_token_is_refreshed_only_once_a_day_old(sandbox: RunningSandbox) -> None:
    grant = _connect(sandbox)
    CLOCK.advance(hours=23)

    with pytest.raises(ConnectError) as young:
        _renew(sandbox, grant.tokens.token)
    assert "once it is 24 hours old" in str(young.value)

    CLOCK.advance(hours=1)
    renewed = _renew(sandbox, grant.tokens.token)

    assert renewed.token != grant.tokens.token
    assert renewed.expires_at == NOW + timedelta(hours=24, days=60)
    assert _me(sandbox, renewed.token).json()["id"] == USER


def test_an_expired_token_cannot_be_refreshed(sandbox: RunningSandbox) -> None:
    grant = _connect(sandbox)
    CLOCK.advance(days=60)

    with pytest.raises(ConnectError) as expired:
        _renew(sandbox, grant.tokens.token)

    assert "(code 190/463: Error validating access token: Session has expired.)" in str(
        expired.value
    )
    assert not expired.value.retry
    assert _me(sandbox, grant.tokens.token).json()["error"]["code"] == 190
    assert grant.tokens.token not in str(expired.value)
