"""Connecting a Mastodon account through the sandbox: Tidings registered as an app on the
instance, the consent page (answered as a browser would,
``scheduler.sandbox.consent_client``), the code exchanged with PKCE, and a token that posts,
never expires, and can be revoked."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from drafts.channels import MastodonChannel
from drafts.credential_problems import REQUIRED_SCOPES
from scheduler.connect import connector_for
from scheduler.connect.base import ConnectError, OAuthClient
from scheduler.connect.mastodon import CONNECTOR, SCOPES, app_record, stored_app
from scheduler.connections import Grant
from scheduler.sandbox import RunningSandbox
from scheduler.sandbox.mastodon_oauth import MastodonApps
from scheduler.sandbox.oauth import MASTODON_ACCOUNT_ID
from tests.fakes import run_with_client
from tests.integration.connecting import consented, exchanged, pkce

CALLBACK = "https://tidings.example.org/channels/news-masto/callback"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def channel(sandbox: RunningSandbox) -> MastodonChannel:
    return MastodonChannel(
        id="news-masto", platform="mastodon", languages=("en",), base_url=sandbox.base_url
    )


def register(sandbox: RunningSandbox, redirect_uri: str = CALLBACK) -> OAuthClient:
    return run_with_client(
        lambda http: CONNECTOR.register(http, channel(sandbox), redirect_uri=redirect_uri)
    )


def consent(
    sandbox: RunningSandbox,
    client: OAuthClient,
    challenge: str | None,
    decision: str = "allow",
    grant: list[str] | None = None,
) -> dict[str, str]:
    url = CONNECTOR.authorization_url(
        channel(sandbox), client, redirect_uri=CALLBACK, state="st-1", code_challenge=challenge
    )
    return consented(url, decision=decision, grant=grant)


def exchange(
    sandbox: RunningSandbox, client: OAuthClient, code: str, verifier: str | None
) -> Grant:
    return exchanged(
        CONNECTOR, channel(sandbox), client, code, redirect_uri=CALLBACK, verifier=verifier, now=NOW
    )


def refused_exchange(
    sandbox: RunningSandbox, client: OAuthClient, code: str, verifier: str | None
) -> ConnectError:
    with pytest.raises(ConnectError) as refused:
        exchange(sandbox, client, code, verifier)
    for secret in (code, verifier or code, client.secret):
        assert secret not in str(refused.value)
    return refused.value


def post(sandbox: RunningSandbox, token: str) -> httpx.Response:
    return httpx.post(
        f"{sandbox.base_url}/api/v1/statuses",
        json={"status": "Connected from the Channels page"},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_registering_then_consenting_connects_a_token_that_posts_as_the_account(
    sandbox: RunningSandbox,
) -> None:
    assert connector_for(channel(sandbox)) is CONNECTOR
    assert CONNECTOR.registers_app and not CONNECTOR.renewable(refresh=None)
    client = register(sandbox)
    verifier, challenge = pkce()

    grant = exchange(sandbox, client, consent(sandbox, client, challenge)["code"], verifier)

    assert (grant.account_id, grant.account_name) == (MASTODON_ACCOUNT_ID, "@demo")
    assert grant.scopes == SCOPES
    assert set(REQUIRED_SCOPES["mastodon"]) <= set(grant.scopes)
    assert grant.tokens.expires_at is None and grant.tokens.refresh is None
    assert post(sandbox, grant.tokens.token).status_code == 200
    [registered] = sandbox.state.requests("mastodon", path="/api/v1/apps")
    [authorized] = sandbox.state.requests("mastodon", path="/oauth/authorize", method="GET")
    assert registered.status == 200
    assert authorized.query["code_challenge_method"] == "S256"
    assert authorized.query["scope"] == "write:statuses write:media read:accounts"


def test_the_app_is_registered_with_the_callback_name_scopes_and_website(
    sandbox: RunningSandbox,
) -> None:
    client = register(sandbox)
    url = urlsplit(
        CONNECTOR.authorization_url(
            channel(sandbox), client, redirect_uri=CALLBACK, state="st-1", code_challenge=None
        )
    )
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{sandbox.base_url}/oauth/authorize"
    assert query["client_id"] == [client.id] and query["redirect_uri"] == [CALLBACK]
    assert "code_challenge" not in query
    with httpx.Client() as browser:
        page = browser.get(url.geturl())
    assert page.status_code == 200
    assert "Tidings sandbox: Tidings wants to post as demo" in page.text
    registered = sandbox.state.store(MastodonApps).registered[client.id]
    assert registered["name"] == "Tidings"
    assert registered["scopes"] == ["write:statuses", "write:media", "read:accounts"]
    assert registered["redirect_uris"] == [CALLBACK]
    assert registered["website"] == "https://tidings.example.org"


def test_the_registered_app_kept_in_the_vault_serves_only_the_same_callback_and_instance(
    sandbox: RunningSandbox,
) -> None:
    client = register(sandbox)
    on = channel(sandbox)
    record = app_record(client, on, redirect_uri=CALLBACK)
    assert stored_app(record, on, redirect_uri=CALLBACK) == client
    assert stored_app(record, on, redirect_uri=CALLBACK + "?moved=1") is None
    elsewhere = on.model_copy(update={"base_url": "https://other.example"})
    assert stored_app(record, elsewhere, redirect_uri=CALLBACK) is None
    older = json.loads(record) | {"scopes": ["write:statuses"]}
    assert stored_app(json.dumps(older), on, redirect_uri=CALLBACK) is None
    assert stored_app("not json", on, redirect_uri=CALLBACK) is None


def test_scopes_left_out_at_consent_are_what_the_grant_holds_and_posting_is_refused(
    sandbox: RunningSandbox,
) -> None:
    client = register(sandbox)
    verifier, challenge = pkce()
    code = consent(sandbox, client, challenge, grant=["read:accounts"])["code"]
    grant = exchange(sandbox, client, code, verifier)
    assert grant.scopes == ("read:accounts",)
    refused = post(sandbox, grant.tokens.token)
    assert refused.status_code == 403
    assert refused.json() == {"error": "This action is outside the authorized scopes"}


def test_a_denied_consent_comes_back_without_a_code(sandbox: RunningSandbox) -> None:
    back = consent(sandbox, register(sandbox), pkce()[1], decision="deny")
    assert back["error"] == "access_denied" and back["state"] == "st-1"
    assert "code" not in back


def test_a_verifier_that_does_not_match_the_challenge_is_refused(
    sandbox: RunningSandbox,
) -> None:
    client = register(sandbox)
    code = consent(sandbox, client, pkce()[1])["code"]
    refused = refused_exchange(sandbox, client, code, pkce()[0])
    assert str(refused) == (
        f"Mastodon ({urlsplit(sandbox.base_url).netloc}) refused exchanging the authorization "
        "code: 400 (invalid_grant: The code_verifier does not match the challenge.)"
    )
    assert not refused.retry


def test_a_code_asked_with_a_challenge_needs_its_verifier(sandbox: RunningSandbox) -> None:
    client = register(sandbox)
    code = consent(sandbox, client, pkce()[1])["code"]
    assert "invalid_request" in str(refused_exchange(sandbox, client, code, None))


def test_a_code_is_spent_once_and_only_by_its_app(sandbox: RunningSandbox) -> None:
    client, other = register(sandbox), register(sandbox)
    verifier, challenge = pkce()
    code = consent(sandbox, client, challenge)["code"]
    assert "401 (invalid_client" in str(
        refused_exchange(sandbox, OAuthClient(client.id, other.secret), code, verifier)
    )
    code = consent(sandbox, client, challenge)["code"]
    exchange(sandbox, client, code, verifier)
    assert "400 (invalid_grant" in str(refused_exchange(sandbox, client, code, verifier))


def test_a_revoked_token_no_longer_posts(sandbox: RunningSandbox) -> None:
    client = register(sandbox)
    verifier, challenge = pkce()
    grant = exchange(sandbox, client, consent(sandbox, client, challenge)["code"], verifier)
    form = {"client_id": client.id, "client_secret": client.secret, "token": grant.tokens.token}
    for _ in range(2):  # revoking is idempotent
        revoked = httpx.post(f"{sandbox.base_url}/oauth/revoke", data=form)
        assert (revoked.status_code, revoked.json()) == (200, {})
    refused = post(sandbox, grant.tokens.token)
    assert (refused.status_code, refused.json()) == (401, {"error": "The access token is invalid"})


def test_an_instance_that_refuses_the_registration_says_so(sandbox: RunningSandbox) -> None:
    with pytest.raises(ConnectError) as refused:
        register(sandbox, redirect_uri="not a uri")
    assert str(refused.value) == (
        f"Mastodon ({urlsplit(sandbox.base_url).netloc}) refused registering Tidings as an "
        "app: 422 (Validation failed: Redirect URI must be an absolute URI.)"
    )
    sandbox.state.faults.add("status", "mastodon", path="/api/v1/apps", status=503)
    with pytest.raises(ConnectError) as unavailable:
        register(sandbox)
    assert unavailable.value.retry
