"""X user tokens: the refresh request and its answers, and renewing through a post in memory
(rotation, one renewal for posts due together, a renewal another process made first).

Bodies are the ones PLATFORMS.md §2.4 shows."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta
from functools import partial
from urllib.parse import parse_qsl

import httpx
import pytest

from drafts.channels import XChannel
from scheduler.outcomes import Failed, Published, RetryAt, RetryLater
from scheduler.platforms.base import Attempted, HttpResponse, StoredSecret
from scheduler.platforms.x import XAdapter
from scheduler.platforms.x_oauth import (
    ACCESS,
    REFRESH,
    AccessToken,
    AppClient,
    Renewed,
    read_token_answer,
    refresh_request,
)
from tests import fakes
from tests.fakes import (
    X_CREATED,
    FakeX,
    MemoryVault,
    Saved,
    answer,
    run_against,
    x_credentials,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
KOREAN = "🌏 서울 기후 포럼 2.0 공개: https://example.org/포럼?lang=ko #기후 #서울"
X = XChannel(id="x-en", platform="x", languages=("en",), token_env="X_TOKEN")
X_RENEWABLE = XChannel(
    id="x-ko",
    platform="x",
    languages=("ko",),
    token_env="X_TOKEN",
    refresh_token_env="X_REFRESH",
    client_id_env="X_CLIENT_ID",
    client_secret_env="X_CLIENT_SECRET",
)
TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank"}
WINDOW_RESET = NOW + timedelta(minutes=15)
job = partial(fakes.job, KOREAN, first_attempt_at=NOW)


# -- the token endpoint -------------------------------------------------------------------


def test_refresh_request_is_the_documented_form_with_basic_client_auth() -> None:
    app = AppClient("client-id", "client-secret")
    request = refresh_request(X_RENEWABLE, app, "the-refresh-token")
    assert (request.method, request.url) == ("POST", "https://api.x.com/2/oauth2/token")
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(
        b"client-id:client-secret"
    ).decode("ascii")
    assert dict(parse_qsl((request.content or b"").decode())) == {
        "grant_type": "refresh_token",
        "refresh_token": "the-refresh-token",
        "client_id": "client-id",
    }


def test_a_public_client_sends_no_basic_auth() -> None:
    assert "Authorization" not in refresh_request(X_RENEWABLE, AppClient("client-id"), "r").headers


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (
            answer(
                200,
                {
                    "token_type": "bearer",
                    "expires_in": 7200,
                    "access_token": "new-a",
                    "scope": "tweet.read tweet.write users.read offline.access",
                    "refresh_token": "new-r",
                },
            ),
            Renewed(AccessToken("new-a", NOW + timedelta(hours=2)), "new-r"),
        ),
        (
            answer(200, {"access_token": "new-a"}),
            Renewed(AccessToken("new-a", NOW + timedelta(hours=2)), None),
        ),
        (
            answer(
                400,
                {
                    "error": "invalid_request",
                    "error_description": "Value passed for the token was invalid.",
                },
            ),
            Failed(
                "X refused to renew the access token (400): Value passed for the token was "
                "invalid.; reconnect the account and put the new tokens in X_TOKEN and X_REFRESH",
                400,
            ),
        ),
        (
            answer(429, TOO_MANY, {"x-rate-limit-reset": str(int(WINDOW_RESET.timestamp()))}),
            RetryAt(
                WINDOW_RESET, "X rate-limited renewing the access token: Too Many Requests", 429
            ),
        ),
        (
            answer(503, {"title": "Service Unavailable"}),
            RetryLater("X could not renew the access token (503): Service Unavailable", 503),
        ),
    ],
)
def test_reading_token_answers(response: HttpResponse, expected: object) -> None:
    assert read_token_answer(response, X_RENEWABLE, NOW) == expected


# -- renewing through a post ------------------------------------------------------------------


def test_an_expired_stored_token_is_renewed_and_both_new_tokens_are_stored() -> None:
    vault = MemoryVault()
    vault.secrets[("x-ko", ACCESS)] = StoredSecret("old-access", NOW - timedelta(minutes=1))
    x = FakeX(valid=set())
    attempted = run_against(
        x,
        lambda c: XAdapter().publish(c, job(), X_RENEWABLE, x_credentials(vault), NOW, Saved()),
    )
    assert attempted.outcome == Published(
        "1445880548472328192", "https://x.com/i/web/status/1445880548472328192", 201
    )
    assert x.calls == ["/2/oauth2/token", "/2/tweets"]
    assert vault.secrets[("x-ko", ACCESS)] == StoredSecret("access-1", NOW + timedelta(hours=2))
    assert vault.secrets[("x-ko", REFRESH)] == StoredSecret("refresh-1", None)
    assert vault.saves == [("x-ko", REFRESH), ("x-ko", ACCESS)]  # the rotated one first


def test_a_401_renews_once_and_sends_the_create_again() -> None:
    vault = MemoryVault()
    x = FakeX(valid=set())
    attempted = run_against(
        x, lambda c: XAdapter().publish(c, job(), X_RENEWABLE, x_credentials(vault), NOW, Saved())
    )
    assert isinstance(attempted.outcome, Published)
    assert x.calls == ["/2/tweets", "/2/oauth2/token", "/2/tweets"]


def test_the_stored_refresh_token_is_used_and_a_reconnect_in_the_env_is_picked_up() -> None:
    vault = MemoryVault()
    vault.secrets[("x-ko", REFRESH)] = StoredSecret("spent-refresh", None)
    x = FakeX(valid=set(), refresh="env-refresh")  # the person reconnected: env holds the new one
    attempted = run_against(
        x, lambda c: XAdapter().publish(c, job(), X_RENEWABLE, x_credentials(vault), NOW, Saved())
    )
    assert isinstance(attempted.outcome, Published)
    assert x.calls == ["/2/tweets", "/2/oauth2/token", "/2/oauth2/token", "/2/tweets"]
    assert vault.secrets[("x-ko", REFRESH)].value == "refresh-1"


def test_posts_due_together_renew_the_token_once() -> None:
    vault = MemoryVault()
    vault.secrets[("x-ko", ACCESS)] = StoredSecret("old-access", NOW - timedelta(minutes=1))
    x = FakeX(valid=set())
    adapter = XAdapter()

    async def both(client: httpx.AsyncClient) -> list[Attempted]:
        return list(
            await asyncio.gather(
                *(
                    adapter.publish(client, job(), X_RENEWABLE, x_credentials(vault), NOW, Saved())
                    for _ in range(3)
                )
            )
        )

    results = run_against(x, both)
    assert all(isinstance(r.outcome, Published) for r in results)
    assert x.calls.count("/2/oauth2/token") == 1


def test_a_renewal_another_process_made_first_is_picked_up_from_the_vault() -> None:
    vault = MemoryVault()
    vault.secrets[("x-ko", ACCESS)] = StoredSecret("old-access", NOW - timedelta(minutes=1))
    vault.secrets[("x-ko", REFRESH)] = StoredSecret("env-refresh", None)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/2/oauth2/token":
            # The other process spent the refresh token and stored what it got just now.
            vault.secrets[("x-ko", ACCESS)] = StoredSecret("theirs", NOW + timedelta(hours=2))
            return httpx.Response(400, json={"error": "invalid_request"})
        assert request.headers["authorization"] == "Bearer theirs"
        return httpx.Response(201, json=X_CREATED)

    attempted = run_against(
        handler,
        lambda c: XAdapter().publish(c, job(), X_RENEWABLE, x_credentials(vault), NOW, Saved()),
    )
    assert isinstance(attempted.outcome, Published)


def test_a_401_without_refresh_config_asks_to_reconnect() -> None:
    x = FakeX(valid=set())
    attempted = run_against(
        x, lambda c: XAdapter().publish(c, job(), X, x_credentials(), NOW, Saved())
    )
    outcome = attempted.outcome
    assert isinstance(outcome, Failed)
    assert "reconnect the account" in outcome.reason and "X_TOKEN" in outcome.reason
    assert x.calls == ["/2/tweets"]


def test_a_refused_renewal_fails_without_posting() -> None:
    x = FakeX(valid=set(), refresh="someone-elses")
    attempted = run_against(
        x, lambda c: XAdapter().publish(c, job(), X_RENEWABLE, x_credentials(), NOW, Saved())
    )
    outcome = attempted.outcome
    assert isinstance(outcome, Failed) and outcome.http_status == 400
    assert "reconnect the account" in outcome.reason
    assert "env-refresh" not in outcome.reason
    assert x.calls == ["/2/tweets", "/2/oauth2/token"]
