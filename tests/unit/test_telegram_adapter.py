"""The Telegram adapter: the exact sendMessage request, every answer class, and the bot token
kept out of reasons and logs, against in-memory handlers that refuse what they do not expect.

Bodies are the ones PLATFORMS.md §7 shows."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pytest

from drafts.channels import TelegramChannel
from scheduler.outcomes import Failed, Outcome, Published, RetryAt, Unknown
from scheduler.platforms.base import ChannelCheckError, Credentials, HttpResponse
from scheduler.platforms.telegram import (
    HideBotTokens,
    TelegramAdapter,
    hide_token,
    read_sent,
    without_token,
)
from tests import fakes
from tests.fakes import MemoryVault, Saved, answer, run_against

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ENGLISH = "Release 2.0 is out 🎉 https://example.com/r2 #release #opensource"
KOREAN = "🌏 서울 기후 포럼 2.0 공개: https://example.org/포럼?lang=ko #기후 #서울"
BOT_TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
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
job = partial(fakes.job, first_attempt_at=NOW)


def bot(token: str = BOT_TOKEN) -> Credentials:
    return Credentials(token, MemoryVault())


def refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing may be sent: {request.method} {request.url}")


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
    odd = "12:ab/../getUpdates?x="
    attempted = run_against(
        refuse,
        lambda c: TelegramAdapter().publish(c, job(ENGLISH), TELEGRAM, bot(odd), NOW, Saved()),
    )
    assert isinstance(attempted.outcome, Failed)
    assert "the bot token in TG_TOKEN or channel tg's connection" in attempted.outcome.reason
    assert odd not in attempted.outcome.reason
    with pytest.raises(ChannelCheckError, match="TG_TOKEN"):
        run_against(refuse, lambda c: TelegramAdapter().identify(c, TELEGRAM, bot(odd), NOW))


def test_the_preview_placeholder_stays_replaceable() -> None:
    request = TelegramAdapter().build(job(ENGLISH), TELEGRAM, "<secret>")
    assert request.url == "https://api.telegram.org/bot<secret>/sendMessage"


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
            Failed(
                "Telegram rejected the bot token (401 Unauthorized): check TG_TOKEN or "
                "channel tg's connection on the Channels page",
                401,
            ),
        ),
        (
            TELEGRAM,
            tg_error(404, "Not Found"),
            Failed(
                "Telegram answered 404 (Not Found): the bot token in TG_TOKEN or channel tg's "
                "connection on the Channels page is malformed",
                404,
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
    request = TelegramAdapter().build(job(ENGLISH), channel, BOT_TOKEN)
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


def test_telegram_identify_names_the_bot_and_the_chat() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == f"/bot{BOT_TOKEN}/getMe"
        return httpx.Response(
            200,
            json={"ok": True, "result": {"id": 123456, "is_bot": True, "username": "tidings_bot"}},
        )

    identity = run_against(
        handler,
        lambda c: TelegramAdapter().identify(c, TELEGRAM, bot(), NOW),
    )
    assert identity.name == "@tidings_bot → @mychannel"


def test_telegram_reconcile_asks_a_person() -> None:
    outcome = run_against(
        refuse, lambda c: TelegramAdapter().reconcile(c, job(ENGLISH), TELEGRAM, bot(), NOW)
    )
    assert isinstance(outcome, Unknown)
    assert "cannot tell whether the message went out" in outcome.reason
