"""Connecting a Facebook Page through the sandbox: consent, code → user token → long-lived user
token → the Page's token from ``/me/accounts``, its scopes from ``debug_token``.

The consent page is answered like a browser would (``scheduler.sandbox.consent_client``); the
connector talks to the sandbox over loopback as it would to www.facebook.com and
graph.facebook.com.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import httpx
import pytest

from drafts.channels import FacebookChannel
from scheduler.connect import connector_for
from scheduler.connect.base import ConnectError, OAuthClient
from scheduler.connect.facebook import CONNECTOR, FacebookConnector
from scheduler.connections import Grant
from scheduler.sandbox import RunningSandbox, Settings
from tests.integration.connecting import closed_origin, consented, exchanged, registered_client

CALLBACK = "https://tidings.example.org/channels/news-fb/callback"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
VERSION = "v21.0"
# The Page the sandbox user manages unless a test says otherwise (Settings.facebook_pages).
PAGE, OTHER = Settings().facebook_page_id, "546349135390552"


def _channel(sandbox: RunningSandbox, page_id: str = PAGE, base_url: str = "") -> FacebookChannel:
    return FacebookChannel(
        id="news-fb", platform="facebook", languages=("en",), page_id=page_id,
        graph_version=VERSION, base_url=base_url or sandbox.base_url,
    )  # fmt: skip


def _client(sandbox: RunningSandbox) -> OAuthClient:
    return registered_client(sandbox, "facebook", redirect_uri=CALLBACK)


def _consent(
    sandbox: RunningSandbox,
    client: OAuthClient,
    *,
    decision: str = "allow",
    grant: list[str] | None = None,
) -> dict[str, str]:
    url = CONNECTOR.authorization_url(
        _channel(sandbox), client, redirect_uri=CALLBACK, state="st-1", code_challenge=None
    )
    assert url.startswith(f"{sandbox.base_url}/{VERSION}/dialog/oauth?")
    return consented(url, decision=decision, grant=grant)


def _exchange(
    sandbox: RunningSandbox,
    client: OAuthClient,
    code: str,
    *,
    page_id: str = PAGE,
    connector: FacebookConnector = CONNECTOR,
) -> Grant:
    channel = _channel(sandbox, page_id)
    return exchanged(connector, channel, client, code, redirect_uri=CALLBACK, now=NOW)


def _manage(sandbox: RunningSandbox, **pages: str) -> None:
    """The Pages the sandbox's Facebook user manages, by name (``Alpha="1"``), set as a demo
    would (``PATCH /_sandbox/settings``)."""
    chosen = {page_id: name for name, page_id in pages.items()}
    changed = httpx.patch(f"{sandbox.base_url}/_sandbox/settings", json={"facebook_pages": chosen})
    assert changed.json()["facebook_pages"] == chosen


def _post(sandbox: RunningSandbox, token: str, page_id: str = PAGE) -> httpx.Response:
    return httpx.post(
        f"{sandbox.base_url}/{VERSION}/{page_id}/feed",
        json={"message": "connected " + secrets.token_hex(4), "access_token": token},
    )


def test_connecting_yields_the_pages_token_which_does_not_expire(
    sandbox: RunningSandbox,
) -> None:
    _manage(sandbox, Elsewhere=OTHER, News=PAGE)
    client = _client(sandbox)
    assert connector_for(_channel(sandbox)) is CONNECTOR

    grant = _exchange(sandbox, client, _consent(sandbox, client)["code"])

    assert (grant.account_id, grant.account_name) == (PAGE, "News")
    assert set(grant.scopes) == set(CONNECTOR.scopes)
    assert grant.tokens.expires_at is None and grant.tokens.refresh is None
    assert not CONNECTOR.renewable(refresh=None)
    assert _post(sandbox, grant.tokens.token).status_code == 200
    assert _post(sandbox, grant.tokens.token, OTHER).status_code == 200  # any Page token posts
    steps = [r.path for r in sandbox.state.requests("facebook", method="GET")]
    assert steps[-4:] == [f"/{VERSION}/oauth/access_token", f"/{VERSION}/oauth/access_token",
                          f"/{VERSION}/me/accounts", f"/{VERSION}/debug_token"]  # fmt: skip


def test_the_consent_asks_for_publishing_commenting_and_listing_pages(
    sandbox: RunningSandbox,
) -> None:
    _consent(sandbox, _client(sandbox))

    [asked] = sandbox.state.requests("facebook", path="/dialog/oauth", method="GET")
    assert set(asked.query["scope"].split(",")) == {
        "pages_manage_posts", "pages_read_engagement", "pages_manage_engagement", "pages_show_list",
    }  # fmt: skip
    assert asked.query["response_type"] == "code" and "code_challenge" not in asked.query


def test_no_secret_is_left_in_the_request_log(sandbox: RunningSandbox) -> None:
    client = _client(sandbox)
    code = _consent(sandbox, client)["code"]
    grant = _exchange(sandbox, client, code)

    logged = repr([r.to_json() for r in sandbox.state.requests()])
    for secret in (client.secret, code, grant.tokens.token):
        assert secret not in logged
    assert "fb_exchange_token': '<redacted>'" in logged


def test_a_page_the_account_does_not_manage_names_the_ones_it_does(
    sandbox: RunningSandbox,
) -> None:
    _manage(sandbox, Alpha="111", Beta="222")
    client = _client(sandbox)

    with pytest.raises(ConnectError) as refused:
        _exchange(sandbox, client, _consent(sandbox, client)["code"])

    message = str(refused.value)
    assert f"does not manage page {PAGE}" in message
    assert "(the Pages it manages: Alpha (111), Beta (222))" in message
    assert not refused.value.retry


def test_the_page_is_found_past_the_first_page_of_the_list(sandbox: RunningSandbox) -> None:
    _manage(sandbox, A="1", B="2", C="3", D="4", News=PAGE)
    client = _client(sandbox)

    grant = _exchange(
        sandbox, client, _consent(sandbox, client)["code"],
        connector=FacebookConnector(page_list_size=2),
    )  # fmt: skip

    assert grant.account_id == PAGE
    assert len(sandbox.state.requests("facebook", path="/me/accounts")) == 3


def test_without_pages_show_list_no_page_token_comes(sandbox: RunningSandbox) -> None:
    client = _client(sandbox)
    code = _consent(sandbox, client, grant=["pages_manage_posts", "pages_read_engagement"])

    with pytest.raises(ConnectError) as refused:
        _exchange(sandbox, client, code["code"])

    assert "Facebook refused listing the Pages you manage (code 200" in str(refused.value)


def test_a_denied_consent_comes_back_without_a_code(sandbox: RunningSandbox) -> None:
    back = _consent(sandbox, _client(sandbox), decision="deny")

    assert back["error"] == "access_denied" and back["state"] == "st-1" and "code" not in back


@pytest.mark.parametrize("wrong", ["replayed code", "secret"])
def test_a_replayed_code_or_a_wrong_secret_is_refused(sandbox: RunningSandbox, wrong: str) -> None:
    client = _client(sandbox)
    code = _consent(sandbox, client)["code"]
    if wrong == "replayed code":
        _exchange(sandbox, client, code)
    else:
        client = OAuthClient(client.id, secrets.token_urlsafe(24))

    with pytest.raises(ConnectError) as refused:
        _exchange(sandbox, client, code)

    assert str(refused.value).startswith("Facebook refused exchanging the authorization code")
    assert not refused.value.retry
    assert code not in str(refused.value) and client.secret not in str(refused.value)


def test_the_page_token_dies_with_the_users_role_on_the_page(sandbox: RunningSandbox) -> None:
    _manage(sandbox, News=PAGE)
    client = _client(sandbox)
    grant = _exchange(sandbox, client, _consent(sandbox, client)["code"])

    _manage(sandbox, Elsewhere=OTHER)

    refused = _post(sandbox, grant.tokens.token)
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, 190)
    described = httpx.get(
        f"{sandbox.base_url}/debug_token",
        params={"input_token": grant.tokens.token},
        headers={"Authorization": f"Bearer {client.id}|{client.secret}"},
    ).json()["data"]
    assert (described["type"], described["is_valid"], described["expires_at"]) == (
        "PAGE", False, 0,
    )  # fmt: skip


def test_an_unreachable_graph_is_worth_trying_again(sandbox: RunningSandbox) -> None:
    client = _client(sandbox)
    unreachable = _channel(sandbox, base_url=closed_origin())

    with pytest.raises(ConnectError) as refused:
        exchanged(CONNECTOR, unreachable, client, "x" * 20, redirect_uri=CALLBACK, now=NOW)

    assert refused.value.retry
    assert str(refused.value).startswith("Facebook could not be reached while exchanging")
