"""Connecting a Telegram channel: a bot token, checked against the chat it is to post in.

Three Bot API calls (core.telegram.org/bots/api; PLATFORMS.md §7): ``getMe`` (the bot behind
the token), ``getChat`` (the channel's ``chat_id`` as the bot sees it) and ``getChatMember``
for the bot itself, which must be able to post there: in a channel an administrator with
``can_post_messages`` ("True, if the administrator can post messages in the channel; for
channels only", ``ChatMemberAdministrator``) or its creator, in a group a member who may send
messages. The token is the credential stored; bot tokens do not expire (PLATFORMS.md §7 ❓).

The token is part of every request path: no message here quotes it (``hide_token``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import httpx

from drafts.channels import TelegramChannel
from scheduler.connect.base import ConnectError, SecretConnector
from scheduler.connections import Grant, Tokens
from scheduler.credentials import remember
from scheduler.platforms.base import HttpRequest, HttpResponse, send
from scheduler.platforms.telegram import TOKEN_SHAPE, chat_id_value, hide_token, method_url

# What a member of a group may be and still send messages (``ChatMember`` statuses).
_IN_GROUP = frozenset({"creator", "administrator", "member"})


class TelegramConnector(SecretConnector[TelegramChannel]):
    platform: ClassVar[str] = "telegram"
    channel_type = TelegramChannel
    secret_label: ClassVar[str] = "Bot token"

    async def verify(
        self, http: httpx.AsyncClient, channel: TelegramChannel, secret: str, *, now: datetime
    ) -> Grant:
        token = secret.strip()
        if not TOKEN_SHAPE.fullmatch(token):
            raise ConnectError(
                "Bot token: not a Telegram bot token (digits, a colon, then letters, digits, "
                "- and _, as @BotFather gives it)"
            )
        remember(token)
        calling = _Bot(http, channel, token)
        bot = await calling("getMe", {})
        name = bot.get("username")
        if not isinstance(bot.get("id"), int) or not isinstance(name, str) or not name:
            raise ConnectError("Telegram answered getMe without the bot's id and username")
        chat_id = chat_id_value(channel.chat_id)
        chat = await calling("getChat", {"chat_id": chat_id}, bot=name)
        member = await calling("getChatMember", {"chat_id": chat_id, "user_id": bot["id"]}, name)
        title = str(chat.get("title") or channel.chat_id)
        problem = _cannot_post(chat, member, f"the bot @{name}", title)
        if problem is not None:
            raise ConnectError(f"chat_id {channel.chat_id}: {problem}")
        return Grant(
            Tokens(token=token, expires_at=None),
            account_id=str(bot["id"]),
            account_name=f"@{name} in {title}",
        )


class _Bot:
    """Bot API calls with one token: the ``result`` of each, or a ``ConnectError`` saying
    what to do, never quoting the token."""

    def __init__(self, http: httpx.AsyncClient, channel: TelegramChannel, token: str) -> None:
        self._http, self._channel, self._token = http, channel, token

    async def __call__(
        self, method: str, params: dict[str, Any], bot: str | None = None
    ) -> dict[str, Any]:
        request = HttpRequest.with_json(
            "POST", method_url(self._channel, self._token, method), params
        )
        response = await send(self._http, request)
        if not isinstance(response, HttpResponse):
            raise ConnectError(
                self._hidden(f"could not reach Telegram ({method}): {response.reason}; try again"),
                retry=True,
            )
        body = response.json()
        body = body if isinstance(body, dict) else {}
        result = body.get("result")
        if response.status == 200 and body.get("ok") is True and isinstance(result, dict):
            return result
        raise self._refusal(method, response, body, bot)

    def _refusal(
        self, method: str, response: HttpResponse, body: dict[str, Any], bot: str | None
    ) -> ConnectError:
        status = response.status
        said = body.get("description")
        said = self._hidden(said if isinstance(said, str) and said else response.text(200))
        if status in (401, 404):
            return ConnectError(
                f"Bot token: Telegram does not know this token ({status} {said}): copy it "
                "again from @BotFather"
            )
        if status == 429 or status >= 500:
            return ConnectError(f"Telegram could not answer {method} ({status} {said}): try "
                                "again in a minute", retry=True)  # fmt: skip
        if bot is not None and status in (400, 403):
            return ConnectError(
                f"chat_id {self._channel.chat_id}: the bot @{bot} cannot reach this chat "
                f"({said}): check chat_id (channel {self._channel.id} in config.toml) and add "
                "the bot to the channel as an administrator allowed to post"
            )
        return ConnectError(f"Telegram refused {method} ({status} {said})")

    def _hidden(self, text: str) -> str:
        return hide_token(text, self._token)


def _cannot_post(chat: dict[str, Any], member: dict[str, Any], bot: str, title: str) -> str | None:
    """What keeps ``bot`` (its ``member`` record) from posting in ``chat``, or None."""
    status = member.get("status")
    if chat.get("type") != "channel":
        if status in _IN_GROUP or (
            status == "restricted" and member.get("can_send_messages") is True
        ):
            return None
        return f"{bot} may not send messages in {title} (its status: {status}): add it to the group"
    if status == "creator":
        return None
    if status != "administrator":
        return (
            f"{bot} is not an administrator of {title} (its status: {status}): add it to the "
            "channel's administrators, allowed to post messages"
        )
    if member.get("can_post_messages") is not True:
        return (
            f"{bot} is an administrator of {title} but may not post messages: turn on "
            "Post Messages in its administrator rights"
        )
    return None


CONNECTOR = TelegramConnector()
