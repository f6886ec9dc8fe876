"""Connecting an X account through the sandbox: consent page, code exchange with PKCE, renewal.

The consent page is answered like a browser would (``scheduler.sandbox.consent_client``); the
connector talks to the sandbox over loopback as it would to x.com and api.x.com.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from drafts.channels import XChannel
from drafts.credential_problems import REQUIRED_SCOPES
from scheduler.connect import connector_for
from scheduler.connect.base import ConnectError, OAuthClient
from scheduler.connect.x import CONNECTOR
from scheduler.connections import Grant, Tokens
from scheduler.sandbox import RunningSandbox
from tests.integration.connecting import consented, exchanged, pkce, registered_client, renewed

CALLBACK = "https://tidings.example.org/channels/news-x/callback"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _channel(sandbox: RunningSandbox) -> XChannel:
    return XChannel(id="news-x", platform="x", languages=("en",), base_url=sandbox.base_url)


def _client(sandbox: RunningSandbox, *, confidential: bool = False) -> OAuthClient:
    return registered_client(sandbox, "x", redirect_uri=CALLBACK, confidential=confidential)


def _consent(
    sandbox: RunningSandbox,
    client: OAuthClient,
    challenge: str,
    *,
    decision: str = "allow",
    grant: list[str] | None = None,
) -> dict[str, str]:
    url = CONNECTOR.authorization_url(
        _channel(sandbox), client, redirect_uri=CALLBACK, state="st-1", code_challenge=challenge
    )
    assert url.startswith(f"{sandbox.base_url}/i/oauth2/authorize?")
    return consented(url, decision=decision, grant=grant)


def _exchange(
    sandbox: RunningSandbox,
    client: OAuthClient,
    code: str,
    verifier: str,
    redirect_uri: str = CALLBACK,
) -> Grant:
    return exchanged(
        CONNECTOR, _channel(sandbox), client, code, redirect_uri=redirect_uri, verifier=verifier,
        now=NOW,
    )  # fmt: skip


def _connect(sandbox: RunningSandbox, client: OAuthClient) -> Grant:
    verifier, challenge = pkce()
    return _exchange(sandbox, client, _consent(sandbox, client, challenge)["code"], verifier)


@pytest.mark.parametrize("confidential", [False, True])
def test_connecting_grants_tokens_that_post_as_the_account(
    sandbox: RunningSandbox, confidential: bool
) -> None:
    client = _client(sandbox, confidential=confidential)
    assert connector_for(_channel(sandbox)) is CONNECTOR

    grant = _connect(sandbox, client)

    assert (grant.account_id, grant.account_name) == ("1700000000000000001", "@tidings_demo")
    assert set(grant.scopes) == set(REQUIRED_SCOPES["x"])
    assert grant.tokens.expires_at == NOW + timedelta(hours=2)
    assert grant.tokens.refresh is not None and CONNECTOR.renewable(refresh=grant.tokens.refresh)
    posted = httpx.post(
        f"{sandbox.base_url}/2/tweets",
        json={"text": "connected"},
        headers={"Authorization": f"Bearer {grant.tokens.token}"},
    )
    assert posted.status_code == 201


def test_the_consent_asks_for_pkce_and_every_scope_posting_needs(
    sandbox: RunningSandbox,
) -> None:
    client = _client(sandbox)
    _, challenge = pkce()

    _consent(sandbox, client, challenge)

    [asked] = sandbox.state.requests("x", path="/i/oauth2/authorize", method="GET")
    assert asked.query["code_challenge"] == challenge
    assert asked.query["code_challenge_method"] == "S256"
    assert set(asked.query["scope"].split()) >= set(REQUIRED_SCOPES["x"])


def test_a_denied_consent_comes_back_without_a_code(sandbox: RunningSandbox) -> None:
    back = _consent(sandbox, _client(sandbox), pkce()[1], decision="deny")

    assert back["error"] == "access_denied" and back["state"] == "st-1" and "code" not in back


def test_an_unregistered_redirect_gets_an_error_page(sandbox: RunningSandbox) -> None:
    client = _client(sandbox)
    url = CONNECTOR.authorization_url(
        _channel(sandbox), client, redirect_uri="https://elsewhere.example/callback",
        state="st-1", code_challenge=pkce()[1],
    )  # fmt: skip

    with httpx.Client() as browser:
        page = browser.get(url)

    assert page.status_code == 400 and "location" not in page.headers


def test_a_replayed_code_is_refused(sandbox: RunningSandbox) -> None:
    client = _client(sandbox)
    verifier, challenge = pkce()
    code = _consent(sandbox, client, challenge)["code"]
    _exchange(sandbox, client, code, verifier)

    with pytest.raises(ConnectError) as refused:
        _exchange(sandbox, client, code, verifier)

    assert not refused.value.retry
    assert "X refused exchanging the authorization code: 400 (invalid_grant" in str(refused.value)
    assert code not in str(refused.value)


@pytest.mark.parametrize("wrong", ["verifier", "redirect_uri", "secret"])
def test_a_wrong_verifier_redirect_or_secret_is_refused(
    sandbox: RunningSandbox, wrong: str
) -> None:
    client = _client(sandbox, confidential=True)
    verifier, challenge = pkce()
    code = _consent(sandbox, client, challenge)["code"]
    if wrong == "verifier":
        verifier = pkce()[0]
    if wrong == "secret":
        client = OAuthClient(client.id, secrets.token_urlsafe(24))

    with pytest.raises(ConnectError) as refused:
        _exchange(
            sandbox, client, code, verifier,
            CALLBACK + "?again=1" if wrong == "redirect_uri" else CALLBACK,
        )  # fmt: skip

    assert not refused.value.retry
    for secret in (code, verifier, client.secret):
        assert secret not in str(refused.value)


def test_renewing_rotates_the_refresh_token(sandbox: RunningSandbox) -> None:
    client = _client(sandbox)
    grant = _connect(sandbox, client)
    first = grant.tokens.refresh
    later = NOW + timedelta(hours=3)

    def renew(refresh: str | None) -> Tokens:
        return renewed(
            CONNECTOR, _channel(sandbox), client, token=grant.tokens.token, refresh=refresh,
            now=later,
        )  # fmt: skip

    fresh = renew(first)

    assert fresh.refresh not in (None, first)
    assert fresh.expires_at == later + timedelta(hours=2)
    with pytest.raises(ConnectError) as spent:
        renew(first)
    assert not spent.value.retry
    assert renew(fresh.refresh).refresh != fresh.refresh


def test_without_offline_access_there_is_nothing_to_renew_with(
    sandbox: RunningSandbox,
) -> None:
    client = _client(sandbox)
    verifier, challenge = pkce()
    without = [s for s in REQUIRED_SCOPES["x"] if s != "offline.access"]
    code = _consent(sandbox, client, challenge, grant=without)["code"]

    grant = _exchange(sandbox, client, code, verifier)

    assert grant.tokens.refresh is None and "offline.access" not in grant.scopes
    assert not CONNECTOR.renewable(refresh=None)
    with pytest.raises(ConnectError, match="reconnect"):
        renewed(
            CONNECTOR, _channel(sandbox), client, token=grant.tokens.token, refresh=None, now=NOW
        )
