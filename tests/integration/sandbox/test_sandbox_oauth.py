"""The sandbox's OAuth authorization server: its consent page and its codes.

Authorization requests are built by hand from PLATFORMS.md §10.3 and RFC 6749 / RFC 7636,
then the page is answered like a browser would (``scheduler.sandbox.consent_client``).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlencode

import httpx
import pytest

from scheduler.sandbox import RunningSandbox
from scheduler.sandbox.consent_client import answer_consent, read_form, redirected_query
from scheduler.sandbox.oauth import (
    CODE_TTL,
    Consent,
    Refusal,
    account_for,
    issue_token,
    redeem_code,
    register_oauth_app,
    revoke_token,
    s256,
    token_failure,
)

CALLBACK = "https://tidings.example.org/channels/news-x/callback"
X_SCOPES = "tweet.read tweet.write users.read offline.access"


def _x_app(sandbox: RunningSandbox) -> str:
    client_id = "x-" + secrets.token_hex(6)
    register_oauth_app(sandbox.state, platform="x", client_id=client_id, redirect_uris=[CALLBACK])
    return client_id


def _x_url(client_id: str, challenge: str | None, /, **extra: str) -> str:
    """X's consent URL (PLATFORMS.md §10.3) on the sandbox's paths."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": X_SCOPES,
        "state": "st-123",
    }
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return "/i/oauth2/authorize?" + urlencode(params | extra)


def test_the_consent_page_names_the_app_account_and_scopes(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    response = client.post(
        "/_sandbox/oauth/apps",
        json={"platform": "x", "client_id": "cid-1", "client_secret": "s3cr3t-value",
              "redirect_uris": [CALLBACK], "name": "Newsroom"},
    )  # fmt: skip
    assert response.status_code == 201
    assert "s3cr3t-value" not in response.text

    page = client.get(_x_url("cid-1", s256(secrets.token_urlsafe(48))))

    assert page.status_code == 200
    assert "Tidings sandbox: Newsroom wants to post as @tidings_demo" in page.text
    form = read_form(page.text)
    assert form.scopes == X_SCOPES.split()
    assert form.action == "/i/oauth2/authorize"


def test_allow_redirects_with_a_single_use_code_bound_to_pkce(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    client_id = _x_app(sandbox)
    verifier = secrets.token_urlsafe(48)

    back = redirected_query(answer_consent(client, _x_url(client_id, s256(verifier))))

    assert back["state"] == "st-123" and "error" not in back
    consent = redeem_code(
        sandbox.state, client_id=client_id, code=back["code"], redirect_uri=CALLBACK,
        code_verifier=verifier,
    )  # fmt: skip
    assert isinstance(consent, Consent)
    assert consent.scopes == tuple(X_SCOPES.split())
    assert (consent.account.id, consent.account.name) == ("1700000000000000001", "@tidings_demo")
    again = redeem_code(
        sandbox.state, client_id=client_id, code=back["code"], redirect_uri=CALLBACK,
        code_verifier=verifier,
    )  # fmt: skip
    assert again == Refusal("invalid_grant", "The authorization code is invalid or expired.")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code_verifier": "wrong-" + "v" * 50}, "invalid_grant"),
        ({"code_verifier": None}, "invalid_request"),
        ({"redirect_uri": CALLBACK + "/"}, "invalid_grant"),
        ({"client_id": "someone-else"}, "invalid_grant"),
        ({"code": "made-up-code"}, "invalid_grant"),
    ],
)
def test_a_code_is_refused_unless_everything_matches(
    sandbox: RunningSandbox, client: httpx.Client, change: dict[str, str | None], error: str
) -> None:
    client_id = _x_app(sandbox)
    verifier = secrets.token_urlsafe(48)
    back = redirected_query(answer_consent(client, _x_url(client_id, s256(verifier))))
    asked = {"client_id": client_id, "code": back["code"], "redirect_uri": CALLBACK,
             "code_verifier": verifier} | change  # fmt: skip

    refused = redeem_code(sandbox.state, **asked)  # type: ignore[arg-type]

    assert isinstance(refused, Refusal) and refused.error == error
    if "code" in change:
        return
    # Any attempt spends the code: the right one fails afterwards too.
    right = redeem_code(
        sandbox.state, client_id=client_id, code=back["code"], redirect_uri=CALLBACK,
        code_verifier=verifier,
    )  # fmt: skip
    assert isinstance(right, Refusal)


def test_a_code_expires_after_ten_minutes(
    sandbox: RunningSandbox, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_id = _x_app(sandbox)
    verifier = secrets.token_urlsafe(48)
    back = redirected_query(answer_consent(client, _x_url(client_id, s256(verifier))))
    later = sandbox.state.now() + CODE_TTL + timedelta(seconds=1)
    monkeypatch.setattr(sandbox.state, "clock", lambda: later)

    refused = redeem_code(
        sandbox.state, client_id=client_id, code=back["code"], redirect_uri=CALLBACK,
        code_verifier=verifier,
    )  # fmt: skip

    assert isinstance(refused, Refusal) and refused.error == "invalid_grant"


def test_deny_redirects_with_access_denied_and_the_state(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    client_id = _x_app(sandbox)

    back = redirected_query(
        answer_consent(client, _x_url(client_id, s256("v" * 43)), decision="deny")
    )

    assert back["error"] == "access_denied" and back["state"] == "st-123"
    assert back["error_description"] and "code" not in back


def test_unticking_a_scope_grants_less(sandbox: RunningSandbox, client: httpx.Client) -> None:
    client_id = _x_app(sandbox)
    verifier = secrets.token_urlsafe(48)

    back = redirected_query(
        answer_consent(
            client, _x_url(client_id, s256(verifier)), grant=["tweet.read", "users.read"]
        )
    )

    consent = redeem_code(
        sandbox.state, client_id=client_id, code=back["code"], redirect_uri=CALLBACK,
        code_verifier=verifier,
    )  # fmt: skip
    assert isinstance(consent, Consent) and consent.scopes == ("tweet.read", "users.read")


@pytest.mark.parametrize(
    "extra", [{"client_id": "nobody"}, {"redirect_uri": "https://evil.example/callback"}]
)
def test_an_unknown_client_or_redirect_gets_an_error_page_not_a_redirect(
    sandbox: RunningSandbox, client: httpx.Client, extra: dict[str, str]
) -> None:
    client_id = _x_app(sandbox)
    url = _x_url(client_id, s256("v" * 43), **extra)

    for answer in (client.get(url), answer_consent(client, url)):
        assert answer.status_code == 400
        assert "location" not in answer.headers
        assert "Authorization error" in answer.text


@pytest.mark.parametrize(
    ("extra", "challenge", "error"),
    [
        ({"response_type": ""}, "c" * 43, "invalid_request"),
        ({"response_type": "token"}, "c" * 43, "unsupported_response_type"),
        ({}, None, "invalid_request"),  # X requires PKCE
        ({"code_challenge_method": "plain"}, "c" * 43, "invalid_request"),
    ],
)
def test_a_bad_request_from_a_known_client_goes_back_with_an_error(
    sandbox: RunningSandbox,
    client: httpx.Client,
    extra: dict[str, str],
    challenge: str | None,
    error: str,
) -> None:
    client_id = _x_app(sandbox)

    back = redirected_query(client.get(_x_url(client_id, challenge, **extra)))

    assert back["error"] == error and back["state"] == "st-123"


def test_each_platform_has_its_consent_path(sandbox: RunningSandbox, client: httpx.Client) -> None:
    state = sandbox.state
    state.settings.threads_username = "threads_demo"
    apps = {
        "linkedin": "/oauth/v2/authorization",
        "facebook": "/v21.0/dialog/oauth",
        "threads": "/oauth/authorize",
        "mastodon": "/oauth/authorize",
    }
    names = {"linkedin": "Sandbox Member", "facebook": "Sandbox User",
             "threads": "threads_demo", "mastodon": "demo"}  # fmt: skip
    for platform, path in apps.items():
        register_oauth_app(
            state, platform=platform, client_id=f"{platform}-app", redirect_uris=[CALLBACK]
        )
        query = {"response_type": "code", "client_id": f"{platform}-app",
                 "redirect_uri": CALLBACK, "scope": "a,b", "state": platform}  # fmt: skip

        page = client.get(f"{path}?{urlencode(query)}")
        assert f"wants to post as {names[platform]}" in page.text, platform
        back = redirected_query(answer_consent(client, f"{path}?{urlencode(query)}"))
        consent = redeem_code(
            state, client_id=f"{platform}-app", code=back["code"], redirect_uri=CALLBACK
        )
        assert isinstance(consent, Consent) and consent.platform == platform
        assert consent.scopes == ("a", "b")
    # A client of one platform is unknown at another's path.
    query = {"response_type": "code", "client_id": "linkedin-app", "redirect_uri": CALLBACK}
    assert client.get(f"/i/oauth2/authorize?{urlencode(query)}").status_code == 400
    assert client.get(f"/oauth/authorize?{urlencode(query)}").status_code == 400


def test_issued_tokens_expire_and_can_be_revoked_once(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = sandbox.state
    client_id = _x_app(sandbox)
    consent = Consent("x", client_id, ("tweet.read",), account_for(state, "x"))
    access = issue_token(state, consent, ttl=timedelta(hours=2))
    refresh = issue_token(state, consent, kind="refresh", ttl=None)

    assert token_failure(state, access, "x") is None
    assert token_failure(state, access, "linkedin") == "revoked"
    assert token_failure(state, "a-token-from-the-config", "x") is None
    assert revoke_token(state, refresh) is not None
    assert revoke_token(state, refresh) is None  # spent once
    assert token_failure(state, refresh, "x") == "revoked"
    later = state.now() + timedelta(hours=2, seconds=1)
    monkeypatch.setattr(state, "clock", lambda: later)
    assert token_failure(state, access, "x") == "expired"
