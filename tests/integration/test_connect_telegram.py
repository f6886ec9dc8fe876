"""Connecting a Telegram channel with a bot token, against the sandbox over loopback: getMe,
getChat and getChatMember, and every refusal one line that never quotes the token."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime

import httpx
import pytest

from drafts.channels import TelegramChannel
from scheduler.connect import connector_for
from scheduler.connect.base import ConnectError
from scheduler.connect.telegram import CONNECTOR
from scheduler.connections import Grant
from scheduler.sandbox import RunningSandbox
from tests.integration.connecting import closed_origin

BOT_ID = 7000000123


def bot_token() -> str:
    return f"{BOT_ID}:{secrets.token_urlsafe(26)}"


def channel(base_url: str, chat_id: str = "@tidings_news") -> TelegramChannel:
    return TelegramChannel(
        id="tg", platform="telegram", languages=("en",), chat_id=chat_id, base_url=base_url
    )


def verify(on: TelegramChannel, token: str) -> Grant:
    async def go() -> Grant:
        async with httpx.AsyncClient(timeout=5.0) as http:
            return await CONNECTOR.verify(http, on, token, now=datetime.now(UTC))

    return asyncio.run(go())


def refusal(on: TelegramChannel, token: str) -> ConnectError:
    with pytest.raises(ConnectError) as raised:
        verify(on, token)
    secret = token.partition(":")[2]
    assert not secret or secret not in str(raised.value)
    return raised.value


def test_a_bot_allowed_to_post_is_connected_as_itself_in_the_channel(
    sandbox: RunningSandbox,
) -> None:
    token = bot_token()
    assert connector_for(channel(sandbox.base_url)) is CONNECTOR
    grant = verify(channel(sandbox.base_url), token)
    assert grant.account_id == str(BOT_ID)
    assert grant.account_name == "@tidings_sandbox_bot in tidings_news"
    assert grant.tokens.token == token
    assert grant.tokens.expires_at is None
    asked = [record.path for record in sandbox.state.requests("telegram")]
    assert asked == ["/bot<token>/getMe", "/bot<token>/getChat", "/bot<token>/getChatMember"]


def test_spaces_pasted_around_the_token_are_not_part_of_it(sandbox: RunningSandbox) -> None:
    token = bot_token()
    assert verify(channel(sandbox.base_url), f"  {token}\n").tokens.token == token


@pytest.mark.parametrize(
    ("status", "can_post", "expected"),
    [
        (
            "member",
            True,
            "chat_id @tidings_news: the bot @tidings_sandbox_bot is not an administrator of "
            "tidings_news (its status: member): add it to the channel's administrators, allowed "
            "to post messages",
        ),
        (
            "administrator",
            False,
            "chat_id @tidings_news: the bot @tidings_sandbox_bot is an administrator of "
            "tidings_news but may not post messages: turn on Post Messages in its administrator "
            "rights",
        ),
        (
            "left",
            True,
            "chat_id @tidings_news: the bot @tidings_sandbox_bot is not an administrator of "
            "tidings_news (its status: left): add it to the channel's administrators, allowed "
            "to post messages",
        ),
    ],
)
def test_a_bot_that_may_not_post_in_the_channel_is_refused(
    sandbox: RunningSandbox, status: str, can_post: bool, expected: str
) -> None:
    sandbox.state.settings.telegram_bot_status = status
    sandbox.state.settings.telegram_bot_can_post = can_post
    error = refusal(channel(sandbox.base_url), bot_token())
    assert str(error) == expected
    assert not error.retry


def test_a_chat_the_bot_cannot_see_is_named_with_what_to_check(sandbox: RunningSandbox) -> None:
    sandbox.state.settings.telegram_bot_status = "left"  # a private channel it is not in
    error = refusal(channel(sandbox.base_url, chat_id="-1001234567890"), bot_token())
    assert str(error) == (
        "chat_id -1001234567890: the bot @tidings_sandbox_bot cannot reach this chat (Bad "
        "Request: chat not found): check chat_id (channel tg in config.toml) and add the bot to "
        "the channel as an administrator allowed to post"
    )
    assert [record.path for record in sandbox.state.requests("telegram")] == [
        "/bot<token>/getMe",
        "/bot<token>/getChat",
    ]


@pytest.mark.parametrize(
    "pasted",
    [
        "not-a-token",
        "123456789",  # the bot's id alone
        "123456789:abc/../getUpdates",  # would reshape the request path
        "123456789:",
        "",
    ],
)
def test_what_is_not_a_bot_token_is_refused_before_any_request(
    sandbox: RunningSandbox, pasted: str
) -> None:
    error = refusal(channel(sandbox.base_url), pasted)
    assert str(error).startswith("Bot token: not a Telegram bot token (digits, a colon")
    assert sandbox.state.requests("telegram") == []


def test_a_token_telegram_does_not_know_is_refused(sandbox: RunningSandbox) -> None:
    sandbox.state.faults.add("revoked", "telegram", path="/getMe")
    error = refusal(channel(sandbox.base_url), bot_token())
    assert str(error) == (
        "Bot token: Telegram does not know this token (401 Unauthorized): copy it again from "
        "@BotFather"
    )
    assert not error.retry


def test_telegram_unreachable_or_failing_is_worth_another_try(sandbox: RunningSandbox) -> None:
    sandbox.state.faults.add("status", "telegram", path="/getChat", status=502)
    failing = refusal(channel(sandbox.base_url), bot_token())
    assert (
        str(failing) == "Telegram could not answer getChat (502 Bad Gateway): try again in a minute"
    )
    assert failing.retry
    unreachable = refusal(channel(closed_origin()), bot_token())
    assert str(unreachable).startswith("could not reach Telegram (getMe): could not connect")
    assert unreachable.retry
