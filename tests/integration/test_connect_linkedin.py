"""Connecting LinkedIn pages and members through the sandbox: consent, code exchange, the
account read back, and renewal with and without a programmatic refresh token.

The sandbox's clock is set by each test (the token lifetimes are 60 and 365 days), and the
connector is given the same instant.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from drafts.channels import LinkedInChannel
from scheduler.connect import connector_for
from scheduler.connect.base import ConnectError, OAuthClient
from scheduler.connect.linkedin import CONNECTOR
from scheduler.connections import Grant, Tokens
from scheduler.sandbox import RunningSandbox
from scheduler.sandbox.consent_client import answer_consent, redirected_query
from tests.fakes import Clock
from tests.integration.connecting import exchanged, registered_client, renewed
from tests.integration.sandbox_fixtures import linkedin_body

CALLBACK = "https://tidings.example.org/channels/news-li/callback"
PAGE = "urn:li:organization:2414183"
MEMBER = "urn:li:person:sandboxMember1"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The sandbox's time, moved by the test."""
    clock = Clock(NOW)
    monkeypatch.setattr(sandbox.state, "clock", clock)
    return clock


def _channel(sandbox: RunningSandbox, author: str = PAGE) -> LinkedInChannel:
    return LinkedInChannel(
        id="news-li", platform="linkedin", languages=("en",), author=author,
        base_url=sandbox.base_url, version="202601",
    )  # fmt: skip


def _client(sandbox: RunningSandbox, *, refresh: bool = False) -> OAuthClient:
    return registered_client(
        sandbox, "linkedin", redirect_uri=CALLBACK, programmatic_refresh=refresh
    )


def _consent(
    channel: LinkedInChannel,
    client: OAuthClient,
    *,
    decision: str = "allow",
    grant: list[str] | None = None,
    redirect_uri: str = CALLBACK,
) -> httpx.Response:
    url = CONNECTOR.authorization_url(
        channel, client, redirect_uri=redirect_uri, state="st-9", code_challenge=None
    )
    assert url.startswith(f"{channel.base_url}/oauth/v2/authorization?")
    with httpx.Client() as browser:
        return answer_consent(browser, url, decision=decision, grant=grant)


def _exchange(channel: LinkedInChannel, client: OAuthClient, code: str) -> Grant:
    return exchanged(CONNECTOR, channel, client, code, redirect_uri=CALLBACK, now=NOW)


def _connect(
    channel: LinkedInChannel, client: OAuthClient, grant: list[str] | None = None
) -> Grant:
    back = redirected_query(_consent(channel, client, grant=grant))
    return _exchange(channel, client, back["code"])


def _renew(channel: LinkedInChannel, client: OAuthClient, grant: Grant, at: datetime) -> Tokens:
    tokens = grant.tokens
    return renewed(CONNECTOR, channel, client, token=tokens.token, refresh=tokens.refresh, now=at)


def _post(sandbox: RunningSandbox, token: str, text: str) -> int:
    headers = {"Authorization": f"Bearer {token}", "LinkedIn-Version": "202601",
               "X-Restli-Protocol-Version": "2.0.0"}  # fmt: skip
    response = httpx.post(
        f"{sandbox.base_url}/rest/posts", json=linkedin_body(text), headers=headers
    )
    return response.status_code


def test_a_page_connects_as_the_page_for_sixty_days(sandbox: RunningSandbox, clock: Clock) -> None:
    channel, client = _channel(sandbox), _client(sandbox)
    assert connector_for(channel) is CONNECTOR

    grant = _connect(channel, client)

    assert (grant.account_id, grant.account_name) == (PAGE, "Sandbox Page 2414183")
    assert grant.scopes == ("w_organization_social", "rw_organization_admin")
    assert grant.tokens.expires_at == NOW + timedelta(days=60)
    assert grant.tokens.refresh is None and not CONNECTOR.renewable(refresh=None)
    assert _post(sandbox, grant.tokens.token, "connected") == 201
    clock.now = NOW + timedelta(days=60)
    assert _post(sandbox, grant.tokens.token, "too late") == 401


def test_a_member_connects_as_the_channels_author(sandbox: RunningSandbox, clock: Clock) -> None:
    grant = _connect(_channel(sandbox, MEMBER), _client(sandbox))

    assert (grant.account_id, grant.account_name) == (MEMBER, "Sandbox Member")
    assert set(grant.scopes) == {"openid", "profile", "w_member_social"}


def test_another_member_than_the_author_is_refused(sandbox: RunningSandbox, clock: Clock) -> None:
    sandbox.state.settings.linkedin_member_id = "someoneElse"

    with pytest.raises(ConnectError, match=r"urn:li:person:someoneElse.*posts as urn:li:person"):
        _connect(_channel(sandbox, MEMBER), _client(sandbox))


def test_a_page_cannot_be_connected_without_reading_it(
    sandbox: RunningSandbox, clock: Clock
) -> None:
    with pytest.raises(ConnectError, match=r"reading page 2414183.*403") as refused:
        _connect(_channel(sandbox), _client(sandbox), grant=["w_organization_social"])

    assert not refused.value.retry


def test_without_a_refresh_token_renewing_means_reconnecting(
    sandbox: RunningSandbox, clock: Clock
) -> None:
    channel, client = _channel(sandbox), _client(sandbox)
    grant = _connect(channel, client)

    with pytest.raises(ConnectError, match="reconnect"):
        _renew(channel, client, grant, NOW + timedelta(days=50))


def test_a_refresh_keeps_the_refresh_tokens_first_expiry(
    sandbox: RunningSandbox, clock: Clock
) -> None:
    channel, client = _channel(sandbox), _client(sandbox, refresh=True)
    grant = _connect(channel, client)
    assert grant.tokens.refresh is not None and CONNECTOR.renewable(refresh=grant.tokens.refresh)
    assert grant.tokens.refresh_expires_at == NOW + timedelta(days=365)

    day_59 = clock.now = NOW + timedelta(days=59)
    renewed = _renew(channel, client, grant, day_59)

    assert renewed.token != grant.tokens.token
    assert renewed.expires_at == day_59 + timedelta(days=60)
    assert renewed.refresh == grant.tokens.refresh
    assert renewed.refresh_expires_at == NOW + timedelta(days=365)  # 306 days left
    clock.now = NOW + timedelta(days=365)
    with pytest.raises(ConnectError, match="renewing the access token: 400") as expired:
        _renew(channel, client, grant, clock.now)
    assert not expired.value.retry


def test_a_denied_consent_and_an_unregistered_redirect(
    sandbox: RunningSandbox, clock: Clock
) -> None:
    channel, client = _channel(sandbox), _client(sandbox)

    denied = redirected_query(_consent(channel, client, decision="deny"))
    wrong = _consent(channel, client, redirect_uri="https://elsewhere.example/callback")

    assert denied["error"] == "access_denied" and denied["state"] == "st-9"
    assert wrong.status_code == 400 and "location" not in wrong.headers


def test_a_replayed_code_or_a_wrong_secret_is_refused(
    sandbox: RunningSandbox, clock: Clock
) -> None:
    channel, client = _channel(sandbox), _client(sandbox)
    code = redirected_query(_consent(channel, client))["code"]
    _exchange(channel, client, code)

    with pytest.raises(ConnectError, match="exchanging the authorization code: 400") as replayed:
        _exchange(channel, client, code)
    other = redirected_query(_consent(channel, client))["code"]
    impostor = OAuthClient(client.id, secrets.token_urlsafe(24))
    with pytest.raises(ConnectError, match=r"401 \(invalid_client") as unknown:
        _exchange(channel, impostor, other)

    for refused in (replayed.value, unknown.value):
        assert not refused.retry
        for secret in (code, other, client.secret, impostor.secret):
            assert secret not in str(refused)
