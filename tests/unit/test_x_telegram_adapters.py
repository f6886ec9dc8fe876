"""The X and Telegram adapters: the exact requests, every answer class, token handling in memory.

Bodies are the ones PLATFORMS.md §2 and §7 show. Flows that need several requests run
against ``httpx.MockTransport`` handlers that refuse any request they do not expect.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from urllib.parse import parse_qsl

import httpx
import pytest

from drafts.channels import TelegramChannel, XChannel
from scheduler.outcomes import Failed, Outcome, Published, RetryAt, RetryLater, Unknown
from scheduler.platforms.base import (
    Attempted,
    ChannelCheckError,
    Credentials,
    HttpResponse,
    PostJob,
    StoredSecret,
)
from scheduler.platforms.telegram import (
    HideBotTokens,
    TelegramAdapter,
    hide_token,
    read_sent,
    without_token,
)
from scheduler.platforms.x import (
    DUPLICATE_OF_UNKNOWN,
    SENT_AT,
    TOO_LATE_TO_RESEND,
    UNKNOWN_SINCE,
    XAdapter,
    read_create,
)
from scheduler.platforms.x_oauth import (
    ACCESS,
    REFRESH,
    AccessToken,
    Renewed,
    read_token_answer,
    refresh_request,
)
from scheduler.platforms.x_timeline import TIMELINE_SIZE, NotFound, read_timeline

T = TypeVar("T")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ENGLISH = "Release 2.0 is out 🎉 https://example.com/r2 #release #opensource"
KOREAN = "🌏 서울 기후 포럼 2.0 공개: https://example.org/포럼?lang=ko #기후 #서울"
BOT_TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"

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
TELEGRAM = TelegramChannel(
    id="tg", platform="telegram", languages=("en",), chat_id="@mychannel", token_env="TG_TOKEN"
)
TELEGRAM_PRIVATE = TelegramChannel(
    id="tg-private",
    platform="telegram",
    languages=("ko",),
    chat_id="-1001234567890",
    token_env="TG_TOKEN",
)


def job(text: str = ENGLISH, state: Mapping[str, str] | None = None) -> PostJob:
    return PostJob(
        post_id=7,
        text=text,
        language="en",
        idempotency_key="k-1",
        state=dict(state or {}),
        first_attempt_at=NOW,
    )


class MemoryVault:
    """The Vault protocol over a dict."""

    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], StoredSecret] = {}
        self.saves: list[tuple[str, str]] = []

    async def load(self, channel: str, kind: str) -> StoredSecret | None:
        return self.secrets.get((channel, kind))

    async def save(self, channel: str, kind: str, value: str, expires_at: datetime | None) -> None:
        self.secrets[(channel, kind)] = StoredSecret(value, expires_at)
        self.saves.append((channel, kind))


def credentials(vault: MemoryVault | None = None, secret: str = "env-access") -> Credentials:
    environment = {
        "X_REFRESH": "env-refresh",
        "X_CLIENT_ID": "client-id",
        "X_CLIENT_SECRET": "client-secret",
    }
    return Credentials(secret, vault or MemoryVault(), environment)


def answer(status: int, body: object, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(status, headers or {}, json.dumps(body).encode())


def epoch(moment: datetime) -> str:
    return str(int(moment.timestamp()))


# -- the requests -------------------------------------------------------------------------


@pytest.mark.parametrize("text", [ENGLISH, KOREAN])
def test_x_request_is_the_documented_create(text: str) -> None:
    request = XAdapter().build(job(text), X, "user-token")
    assert (request.method, request.url) == ("POST", "https://api.x.com/2/tweets")
    assert dict(request.headers) == {
        "Authorization": "Bearer user-token",
        "Content-Type": "application/json; charset=utf-8",
    }
    assert request.json() == {"text": text}
    # UTF-8 on the wire, not \u escapes: Hangul and emoji go out as they are.
    assert request.content == f'{{"text":{json.dumps(text, ensure_ascii=False)}}}'.encode()
    assert XAdapter().displayed_text(request) == text


def test_x_request_follows_the_channel_base_url() -> None:
    channel = X.model_copy(update={"base_url": "http://127.0.0.1:9/"})
    assert XAdapter().build(job(), channel, "t").url == "http://127.0.0.1:9/2/tweets"


@pytest.mark.parametrize(
    ("channel", "text", "chat_id"),
    [(TELEGRAM, ENGLISH, "@mychannel"), (TELEGRAM_PRIVATE, KOREAN, -1001234567890)],
)
def test_telegram_request_is_plain_text_send_message(
    channel: TelegramChannel, text: str, chat_id: int | str
) -> None:
    request = TelegramAdapter().build(job(text), channel, BOT_TOKEN)
    assert request.method == "POST"
    assert request.url == f"https://api.telegram.org/bot{BOT_TOKEN}/sendMessage"
    assert dict(request.headers) == {"Content-Type": "application/json; charset=utf-8"}
    # Exactly these two fields: no parse_mode, link previews as Telegram defaults them.
    assert request.json() == {"chat_id": chat_id, "text": text}
    assert text.encode("utf-8") in (request.content or b"")
    assert TelegramAdapter().displayed_text(request) == text


def test_a_malformed_bot_token_is_refused_before_anything_is_sent() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing may be sent")

    odd = "12:ab/../getUpdates?x="
    attempted = run_x(
        refuse,
        lambda c: TelegramAdapter().publish(
            c, job(), TELEGRAM, credentials(secret=odd), NOW, no_save
        ),
    )
    assert isinstance(attempted.outcome, Failed)
    assert "TG_TOKEN does not hold a Telegram bot token" in attempted.outcome.reason
    assert odd not in attempted.outcome.reason
    with pytest.raises(ChannelCheckError, match="TG_TOKEN"):
        run_x(
            refuse, lambda c: TelegramAdapter().identify(c, TELEGRAM, credentials(secret=odd), NOW)
        )


def test_the_preview_placeholder_stays_replaceable() -> None:
    request = TelegramAdapter().build(job(), TELEGRAM, "<secret>")
    assert request.url == "https://api.telegram.org/bot<secret>/sendMessage"


# -- reading X answers --------------------------------------------------------------------

CREATED = {"data": {"id": "1445880548472328192", "text": "Hello from the API!"}}
TOO_LONG = {
    "errors": [{"parameters": {"text": ["..."]}, "message": "Your Tweet text is too long."}],
    "title": "Invalid Request",
    "detail": "One or more parameters to your request was invalid.",
    "type": "https://api.twitter.com/2/problems/invalid-request",
}
DUPLICATE = {
    "detail": "You are not allowed to create a Tweet with duplicate content.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}
FORBIDDEN = {
    "detail": "You are not permitted to perform this action.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}
UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}
RATE_LIMITED = {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}
TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank"}
WINDOW_RESET = NOW + timedelta(minutes=15)
DAY_RESET = NOW + timedelta(hours=20)
DAY_CAP_HEADERS = {
    "x-rate-limit-limit": "100",
    "x-rate-limit-remaining": "99",
    "x-rate-limit-reset": epoch(WINDOW_RESET),
    "x-user-limit-24hour-limit": "100",
    "x-user-limit-24hour-remaining": "0",
    "x-user-limit-24hour-reset": epoch(DAY_RESET),
    "x-app-limit-24hour-limit": "10000",
    "x-app-limit-24hour-remaining": "9000",
    "x-app-limit-24hour-reset": epoch(DAY_RESET),
}


@pytest.mark.parametrize(
    ("response", "sent_before", "expected"),
    [
        (
            answer(201, CREATED),
            False,
            Published("1445880548472328192", "https://x.com/i/web/status/1445880548472328192", 201),
        ),
        (
            answer(400, TOO_LONG),
            False,
            Failed("X refused the post (400): Your Tweet text is too long.", 400),
        ),
        (
            answer(403, DUPLICATE),
            False,
            Failed(
                "X already has a post with exactly this text (403 duplicate content); "
                "change the text to post it again",
                403,
            ),
        ),
        (answer(403, DUPLICATE), True, Unknown(DUPLICATE_OF_UNKNOWN, 403)),
        (
            answer(403, FORBIDDEN),
            True,
            Failed(
                "X refused the post (403): You are not permitted to perform this action.; "
                "check that the app may post (tweet.write) and is not suspended",
                403,
            ),
        ),
        (
            answer(401, UNAUTHORIZED),
            False,
            Failed("X rejected the access token (401): Unauthorized", 401),
        ),
        (
            answer(429, TOO_MANY, DAY_CAP_HEADERS),
            False,
            RetryAt(
                DAY_RESET, "rate limited by X (the 24-hour posting cap): Too Many Requests", 429
            ),
        ),
        (
            answer(
                429,
                RATE_LIMITED,
                {"x-rate-limit-remaining": "0", "x-rate-limit-reset": epoch(WINDOW_RESET)},
            ),
            False,
            RetryAt(
                WINDOW_RESET, "rate limited by X (the 15-minute window): Rate limit exceeded", 429
            ),
        ),
        (
            answer(429, TOO_MANY),
            False,
            RetryAt(
                NOW + timedelta(minutes=15),
                "rate limited by X (the 15-minute window): Too Many Requests",
                429,
            ),
        ),
        (
            answer(503, {"title": "Service Unavailable", "detail": "Service Unavailable"}),
            True,
            RetryLater("X is unavailable (503): Service Unavailable", 503),
        ),
        (
            answer(500, {"title": "Internal Server Error", "detail": "Internal Server Error"}),
            False,
            Unknown("X answered 500 (Internal Server Error): the post may have been created", 500),
        ),
        (
            HttpResponse(502, {}, b"<html>Bad Gateway</html>"),
            False,
            Unknown(
                "X answered 502 (<html>Bad Gateway</html>): the post may have been created", 502
            ),
        ),
        (answer(200, {"data": {}}), False, Unknown("X answered 200 without a post id", 200)),
        (
            answer(404, {"title": "Not Found Error", "detail": "Could not find the route."}),
            False,
            Failed("X refused the post (404): Could not find the route.", 404),
        ),
    ],
)
def test_reading_x_answers(response: HttpResponse, sent_before: bool, expected: Outcome) -> None:
    assert read_create(response, NOW, sent_before=sent_before) == expected


def test_the_24_hour_reset_wins_even_when_the_window_resets_first() -> None:
    outcome = read_create(answer(429, TOO_MANY, DAY_CAP_HEADERS), NOW, sent_before=False)
    assert isinstance(outcome, RetryAt)
    assert outcome.at == DAY_RESET > WINDOW_RESET


# -- the token endpoint -------------------------------------------------------------------


def test_refresh_request_is_the_documented_form_with_basic_client_auth() -> None:
    request = refresh_request(X_RENEWABLE, credentials(), "the-refresh-token")
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
    public = X_RENEWABLE.model_copy(update={"client_secret_env": None})
    assert "Authorization" not in refresh_request(public, credentials(), "r").headers


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
            answer(429, TOO_MANY, {"x-rate-limit-reset": epoch(WINDOW_RESET)}),
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


# -- reading Telegram answers -------------------------------------------------------------

SENT = {
    "ok": True,
    "result": {
        "message_id": 1234,
        "sender_chat": {
            "id": -1001234567890,
            "title": "My Channel",
            "username": "mychannel",
            "type": "channel",
        },
        "chat": {
            "id": -1001234567890,
            "title": "My Channel",
            "username": "mychannel",
            "type": "channel",
        },
        "date": 1767225600,
        "text": "Release 2.0 is out: https://example.com/r2",
    },
}
SENT_PRIVATE = {
    "ok": True,
    "result": {
        "message_id": 5,
        "chat": {"id": -1001234567890, "title": "Team", "type": "channel"},
        "date": 1767225600,
        "text": "안녕",
    },
}
TG_429 = {
    "ok": False,
    "error_code": 429,
    "description": "Too Many Requests: retry after 15",
    "parameters": {"retry_after": 15},
}


def tg_error(code: int, description: str, **parameters: object) -> HttpResponse:
    body: dict[str, object] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return answer(code, body)


@pytest.mark.parametrize(
    ("channel", "response", "expected"),
    [
        (
            TELEGRAM,
            answer(200, SENT),
            Published("-1001234567890/1234", "https://t.me/mychannel/1234", 200),
        ),
        (
            TELEGRAM_PRIVATE,
            answer(200, SENT_PRIVATE),
            Published("-1001234567890/5", "https://t.me/c/1234567890/5", 200),
        ),
        (
            TELEGRAM,
            answer(429, TG_429),
            RetryAt(
                NOW + timedelta(seconds=15),
                "rate limited by Telegram: Too Many Requests: retry after 15",
                429,
            ),
        ),
        (
            TELEGRAM,
            tg_error(400, "Bad Request: message is too long"),
            Failed("Telegram refused the message (400): Bad Request: message is too long", 400),
        ),
        (
            TELEGRAM,
            tg_error(403, "Forbidden: bot is not a member of the channel chat"),
            Failed(
                "Telegram refused the message (403): Forbidden: bot is not a member of the channel chat",
                403,
            ),
        ),
        (
            TELEGRAM,
            tg_error(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=-1009876543210,
            ),
            Failed(
                "Telegram refused the message (400): Bad Request: group chat was upgraded to a "
                'supergroup chat; set chat_id = "-1009876543210"',
                400,
            ),
        ),
        (
            TELEGRAM,
            tg_error(401, "Unauthorized"),
            Failed("Telegram rejected the bot token (401 Unauthorized): check TG_TOKEN", 401),
        ),
        (
            TELEGRAM,
            tg_error(404, "Not Found"),
            Failed(
                "Telegram answered 404 (Not Found): the bot token in TG_TOKEN is malformed", 404
            ),
        ),
        (
            TELEGRAM,
            tg_error(500, "Internal Server Error"),
            Unknown(
                "Telegram answered 500 (Internal Server Error): the message may have been sent", 500
            ),
        ),
        (
            TELEGRAM,
            HttpResponse(502, {}, b"Bad Gateway"),
            Unknown("Telegram answered 502 (Bad Gateway): the message may have been sent", 502),
        ),
        (
            TELEGRAM,
            answer(200, {"ok": True, "result": True}),
            Unknown("Telegram answered 200 without a message id", 200),
        ),
    ],
)
def test_reading_telegram_answers(
    channel: TelegramChannel, response: HttpResponse, expected: Outcome
) -> None:
    assert read_sent(response, channel, NOW) == expected


def test_a_base_url_moves_the_telegram_api_and_never_the_message_link() -> None:
    channel = TELEGRAM.model_copy(update={"base_url": "http://127.0.0.1:9"})
    request = TelegramAdapter().build(job(), channel, BOT_TOKEN)
    assert request.url == f"http://127.0.0.1:9/bot{BOT_TOKEN}/sendMessage"
    outcome = read_sent(answer(200, SENT), channel, NOW)
    assert outcome == Published("-1001234567890/1234", "https://t.me/mychannel/1234", 200)


def test_the_bot_token_is_hidden_from_reasons_and_logs() -> None:
    leaked = Failed(f"POST https://api.telegram.org/bot{BOT_TOKEN}/sendMessage: {BOT_TOKEN}")
    hidden = without_token(leaked, BOT_TOKEN)
    assert isinstance(hidden, Failed)
    assert BOT_TOKEN not in hidden.reason
    assert hidden.reason == "POST https://api.telegram.org/bot<token>/sendMessage: <token>"
    assert "bot<token>/getMe" in hide_token("/botSOMETHING-ELSE/getMe", BOT_TOKEN)
    record = logging.LogRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        'HTTP Request: %s %s "%s %d %s"',
        ("POST", f"https://api.telegram.org/bot{BOT_TOKEN}/sendMessage", "HTTP/1.1", 200, "OK"),
        None,
    )
    assert HideBotTokens().filter(record)
    assert BOT_TOKEN not in record.getMessage()
    assert "/bot<token>/sendMessage" in record.getMessage()


# -- X flows in memory --------------------------------------------------------------------

Handler = Callable[[httpx.Request], httpx.Response]


def run_x(handler: Handler, action: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    """Run ``action`` with a client whose every request goes to ``handler``."""

    async def go() -> T:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await action(client)

    return asyncio.run(go())


class FakeX:
    """Answers like X: a token endpoint that rotates, a create that knows valid tokens."""

    def __init__(self, valid: set[str], refresh: str = "env-refresh") -> None:
        self.valid = valid
        self.refresh = refresh
        self.calls: list[str] = []
        self.issued = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.calls.append(path)
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if path == "/2/oauth2/token":
            form = dict(parse_qsl(request.content.decode()))
            if form.get("refresh_token") != self.refresh:
                return httpx.Response(
                    400,
                    json={
                        "error": "invalid_request",
                        "error_description": "Value passed for the token was invalid.",
                    },
                )
            self.issued += 1
            access, self.refresh = f"access-{self.issued}", f"refresh-{self.issued}"
            self.valid.add(access)
            return httpx.Response(
                200,
                json={
                    "token_type": "bearer",
                    "expires_in": 7200,
                    "access_token": access,
                    "refresh_token": self.refresh,
                },
            )
        if bearer not in self.valid:
            return httpx.Response(401, json=UNAUTHORIZED)
        if path == "/2/tweets":
            return httpx.Response(201, json=CREATED)
        if path == "/2/users/me":
            return httpx.Response(
                200, json={"data": {"id": "1", "name": "N", "username": "tidings"}}
            )
        raise AssertionError(f"unexpected request {request.method} {request.url}")


async def no_save(state: Mapping[str, str]) -> None:
    return None


def test_an_expired_stored_token_is_renewed_and_both_new_tokens_are_stored() -> None:
    vault = MemoryVault()
    vault.secrets[("x-ko", ACCESS)] = StoredSecret("old-access", NOW - timedelta(minutes=1))
    x = FakeX(valid=set())
    attempted = run_x(
        x,
        lambda c: XAdapter().publish(c, job(KOREAN), X_RENEWABLE, credentials(vault), NOW, no_save),
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
    attempted = run_x(
        x, lambda c: XAdapter().publish(c, job(), X_RENEWABLE, credentials(vault), NOW, no_save)
    )
    assert isinstance(attempted.outcome, Published)
    assert x.calls == ["/2/tweets", "/2/oauth2/token", "/2/tweets"]


def test_the_stored_refresh_token_is_used_and_a_reconnect_in_the_env_is_picked_up() -> None:
    vault = MemoryVault()
    vault.secrets[("x-ko", REFRESH)] = StoredSecret("spent-refresh", None)
    x = FakeX(valid=set(), refresh="env-refresh")  # the person reconnected: env holds the new one
    attempted = run_x(
        x, lambda c: XAdapter().publish(c, job(), X_RENEWABLE, credentials(vault), NOW, no_save)
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
                    adapter.publish(client, job(), X_RENEWABLE, credentials(vault), NOW, no_save)
                    for _ in range(3)
                )
            )
        )

    results = run_x(x, both)
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
        return httpx.Response(201, json=CREATED)

    attempted = run_x(
        handler,
        lambda c: XAdapter().publish(c, job(), X_RENEWABLE, credentials(vault), NOW, no_save),
    )
    assert isinstance(attempted.outcome, Published)


def test_a_401_without_refresh_config_asks_to_reconnect() -> None:
    x = FakeX(valid=set())
    attempted = run_x(x, lambda c: XAdapter().publish(c, job(), X, credentials(), NOW, no_save))
    outcome = attempted.outcome
    assert isinstance(outcome, Failed)
    assert "reconnect the account" in outcome.reason and "X_TOKEN" in outcome.reason
    assert x.calls == ["/2/tweets"]


def test_a_refused_renewal_fails_without_posting() -> None:
    x = FakeX(valid=set(), refresh="someone-elses")
    attempted = run_x(
        x, lambda c: XAdapter().publish(c, job(), X_RENEWABLE, credentials(), NOW, no_save)
    )
    outcome = attempted.outcome
    assert isinstance(outcome, Failed) and outcome.http_status == 400
    assert "reconnect the account" in outcome.reason
    assert "env-refresh" not in outcome.reason
    assert x.calls == ["/2/tweets", "/2/oauth2/token"]


def test_publish_marks_the_send_before_the_request_goes_out() -> None:
    order: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        order.append("request")
        return httpx.Response(403, json=DUPLICATE)

    async def save(state: Mapping[str, str]) -> None:
        order.append(f"save {sorted(state)}")

    first = run_x(handler, lambda c: XAdapter().publish(c, job(), X, credentials(), NOW, save))
    assert order == [f"save {[SENT_AT]}", "request"]
    assert isinstance(first.outcome, Failed)
    assert first.state == {SENT_AT: ""}  # X answered: nothing was created


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({}, Failed),  # the very first attempt: a genuine duplicate
        ({SENT_AT: ""}, Failed),  # every earlier attempt was answered without a post
        ({SENT_AT: NOW.isoformat()}, Unknown),  # a worker stopped while a create was in flight
        ({SENT_AT: "", UNKNOWN_SINCE: NOW.isoformat()}, Unknown),  # an earlier outcome unknown
    ],
)
def test_a_duplicate_is_ours_only_if_an_earlier_create_may_have_posted(
    state: dict[str, str], expected: type
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json=DUPLICATE)

    later = NOW + timedelta(minutes=5)
    attempted = run_x(
        handler, lambda c: XAdapter().publish(c, job(state=state), X, credentials(), later, no_save)
    )
    assert isinstance(attempted.outcome, expected)
    if expected is Unknown:
        assert attempted.outcome == Unknown(DUPLICATE_OF_UNKNOWN, 403)
        # The first unknown outcome is the one the resend window counts from.
        first_unknown = {} if UNKNOWN_SINCE in state else {UNKNOWN_SINCE: later.isoformat()}
        assert attempted.state == first_unknown


class XAccount:
    """X with an account (id 1) whose recent posts are ``posts``, newest first; a create
    answers ``create`` in turn, and is refused as unexpected when there is none left."""

    def __init__(self, *posts: dict[str, str], create: list[httpx.Response] | None = None) -> None:
        self.posts = list(posts)
        self.create = create or []
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        if request.url.path == "/2/users/me":
            return httpx.Response(200, json={"data": {"id": "1", "username": "tidings"}})
        if request.url.path == "/2/users/1/tweets":
            assert request.url.params["tweet.fields"] == "created_at"
            return httpx.Response(200, json={"data": self.posts, "meta": {}} if self.posts else {})
        if request.url.path == "/2/tweets" and self.create:
            return self.create.pop(0)
        raise AssertionError(f"nothing may be posted: {request.method} {request.url}")


def tweet(tweet_id: str, text: str = ENGLISH, made: datetime = NOW) -> dict[str, str]:
    return {"id": tweet_id, "text": text, "created_at": made.isoformat().replace("+00:00", "Z")}


def test_a_late_resend_after_an_unknown_outcome_sends_nothing() -> None:
    since = {UNKNOWN_SINCE: (NOW - timedelta(hours=2)).isoformat()}
    x = XAccount()
    attempted = run_x(
        x, lambda c: XAdapter().publish(c, job(state=since), X, credentials(), NOW, no_save)
    )
    assert attempted.outcome == Unknown(TOO_LATE_TO_RESEND)
    late = PostJob(7, ENGLISH, "en", "k", {}, first_attempt_at=NOW - timedelta(hours=2))
    outcome = run_x(x, lambda c: XAdapter().reconcile(c, late, X, credentials(), NOW))
    assert outcome == Unknown(TOO_LATE_TO_RESEND)
    assert "POST /2/tweets" not in x.requests


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (201, CREATED, Published),
        (403, DUPLICATE, Unknown),
        (403, FORBIDDEN, Unknown),  # a failure while checking leaves the earlier post open
        (503, {"title": "Service Unavailable"}, RetryLater),
    ],
)
def test_reconcile_resends_when_the_recent_posts_do_not_have_it(
    status: int, body: object, expected: type
) -> None:
    x = XAccount(tweet("9", "another text"), create=[httpx.Response(status, json=body)])
    recent = job(state={SENT_AT: NOW.isoformat()})
    outcome = run_x(x, lambda c: XAdapter().reconcile(c, recent, X, credentials(), NOW))
    assert isinstance(outcome, expected)
    assert x.requests[:3] == ["GET /2/users/me", "GET /2/users/1/tweets", "POST /2/tweets"]


def test_reconcile_finds_the_post_among_the_recent_ones_and_sends_nothing() -> None:
    x = XAccount(
        tweet("12"), tweet("11", "another text"), tweet("10", made=NOW - timedelta(hours=1))
    )
    recent = job(state={SENT_AT: NOW.isoformat()})
    later = NOW + timedelta(minutes=1)
    outcome = run_x(x, lambda c: XAdapter().reconcile(c, recent, X, credentials(), later))
    assert outcome == Published("12", "https://x.com/i/web/status/12", 200)
    assert x.requests == ["GET /2/users/me", "GET /2/users/1/tweets"]


def test_a_duplicate_answer_to_a_resend_is_settled_by_the_recent_posts() -> None:
    x = XAccount(create=[httpx.Response(403, json=DUPLICATE)])
    listed_late = tweet("12")  # the timeline lags behind the post at first

    def handler(request: httpx.Request) -> httpx.Response:
        answered = x(request)
        if request.url.path == "/2/tweets":
            x.posts.append(listed_late)
        return answered

    recent = job(state={SENT_AT: NOW.isoformat()})
    outcome = run_x(handler, lambda c: XAdapter().reconcile(c, recent, X, credentials(), NOW))
    assert outcome == Published("12", "https://x.com/i/web/status/12", 200)


LINKED = "Release 2.0 is out https://example.com/r2 #release"


def mine(tweet_id: str, made: datetime = NOW) -> dict[str, str]:
    return tweet(tweet_id, LINKED, made)


@pytest.mark.parametrize(
    ("posts", "expected"),
    [
        ([mine("5")], Published("5", "https://x.com/i/web/status/5", 200)),
        ([tweet("5", "Release 2.0 is out https://t.co/AbC123xYz #release")], Published),  # t.co
        ([mine("5", NOW - timedelta(minutes=1))], Published),  # the clocks differ a little
        ([mine("6"), mine("5")], Unknown),  # two identical posts: which is this one?
        ([], NotFound),
        ([tweet("5", "Release 2.0 is out #release")], NotFound),  # another text
        ([mine("5", NOW - timedelta(minutes=10))], NotFound),  # made before the first attempt
        ([{"id": "5", "text": LINKED}], NotFound),  # no time: not known to be since then
        # A full page made since the first attempt: another match may lie beyond it.
        ([tweet(str(n), f"other {n}") for n in range(TIMELINE_SIZE - 1)] + [mine("5")], NotFound),
    ],
)
def test_reading_the_accounts_recent_posts(posts: list[dict[str, str]], expected: object) -> None:
    found = read_timeline(answer(200, {"data": posts, "meta": {}}), LINKED, since=NOW)
    if isinstance(expected, type):
        assert isinstance(found, expected), found
    else:
        assert found == expected
    if isinstance(found, Unknown):
        assert "6, 5" in found.reason


def test_recent_posts_that_cannot_be_read_settle_nothing() -> None:
    refused = read_timeline(answer(403, FORBIDDEN), LINKED, since=NOW)
    assert refused == NotFound("X would not list the account's posts (403)")


def test_x_identify_names_the_account_and_the_token_expiry() -> None:
    vault = MemoryVault()
    vault.secrets[("x-en", ACCESS)] = StoredSecret("stored", NOW + timedelta(hours=1))
    x = FakeX(valid={"stored"})
    identity = run_x(x, lambda c: XAdapter().identify(c, X, credentials(vault), NOW))
    assert identity.name == "@tidings"
    assert identity.token_expires_at == NOW + timedelta(hours=1)
    with pytest.raises(ChannelCheckError, match=r"X refused \(401\): Unauthorized; reconnect"):
        run_x(FakeX(valid=set()), lambda c: XAdapter().identify(c, X, credentials(), NOW))


def test_telegram_identify_names_the_bot_and_the_chat() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == f"/bot{BOT_TOKEN}/getMe"
        return httpx.Response(
            200,
            json={"ok": True, "result": {"id": 123456, "is_bot": True, "username": "tidings_bot"}},
        )

    identity = run_x(
        handler,
        lambda c: TelegramAdapter().identify(c, TELEGRAM, credentials(secret=BOT_TOKEN), NOW),
    )
    assert identity.name == "@tidings_bot → @mychannel"


def test_telegram_reconcile_asks_a_person() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing may be sent")

    outcome = run_x(
        refuse, lambda c: TelegramAdapter().reconcile(c, job(), TELEGRAM, credentials(), NOW)
    )
    assert isinstance(outcome, Unknown)
    assert "cannot tell whether the message went out" in outcome.reason
