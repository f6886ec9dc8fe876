"""Telegram Bot API: ``POST /bot{token}/sendMessage`` and ``GET /bot{token}/getMe``.

Follows PLATFORMS.md §7: the token is in the path (and hidden from the request log), every
answer is ``{"ok": ...}``, text is 1-4096 UTF-16 units after entity parsing, message ids run
in sequence per chat, and a 429 carries ``parameters.retry_after`` in seconds.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field

from starlette.responses import Response
from starlette.routing import BaseRoute

from scheduler.sandbox.exchange import AuthFailure, Call, Dialect, epoch, json_response, route
from scheduler.sandbox.faults import Fault
from scheduler.sandbox.state import JSON, WindowStatus

PLATFORM = "telegram"
MAX_UTF16 = 4096
WEB = "https://t.me"
_TOKEN_IN_PATH = re.compile(r"^/bot[^/]*")
_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^>]*)?>")
_MARKDOWN_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")


def _answer_error(code: int, description: str, parameters: JSON | None = None) -> Response:
    body: JSON = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return json_response(body, code)


class TelegramDialect(Dialect):
    """Bot API errors: ``{"ok": false, "error_code", "description"}``."""

    platform = PLATFORM

    def error(self, status: int, message: str | None = None) -> Response:
        description = message or {
            400: "Bad Request",
            401: "Unauthorized",
            403: "Forbidden: bot is not a member of the channel chat",
            404: "Not Found",
            500: "Internal Server Error",
            502: "Bad Gateway",
        }.get(status, "Error")
        return _answer_error(status, description)

    def auth_failed(self, failure: AuthFailure, path: str = "") -> Response:
        return _answer_error(401, "Unauthorized")

    def rate_limited(self, call: Call, window: WindowStatus, fault: Fault | None) -> Response:
        wait = max(int(epoch(window.reset_at)) - int(call.state.now().timestamp()), 1)
        return _answer_error(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})

    def redact_path(self, path: str) -> str:
        return _TOKEN_IN_PATH.sub("/bot<token>", path)

    def client_key(self, call: Call) -> str:
        return call.state.token_digest(str(call.request.path_params.get("token", "")))


DIALECT = TelegramDialect()


@dataclass
class TelegramStore:
    """The last message id per chat."""

    last_message_id: dict[str, int] = field(default_factory=dict)


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def visible_text(text: str, parse_mode: str | None) -> str | Response:
    """The text after entity parsing, or Telegram's "can't parse entities" error."""
    if parse_mode is None or parse_mode == "":
        return text
    if parse_mode == "HTML":
        return html.unescape(_HTML_TAG.sub("", text))
    if parse_mode == "MarkdownV2":
        out, i = [], 0
        while i < len(text):
            char = text[i]
            if char == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 2
                continue
            if char in "*_~|`":
                i += 1  # formatting markers vanish
                continue
            if char in _MARKDOWN_V2_RESERVED and char not in "[]()":
                return DIALECT.error(
                    400,
                    f"Bad Request: can't parse entities: Character '{char}' is reserved and "
                    "must be escaped with the preceding '\\'",
                )
            out.append(char)
            i += 1
        return "".join(out)
    return DIALECT.error(400, f"Bad Request: unsupported parse_mode {parse_mode}")


def _chat(chat_id: str) -> JSON:
    if chat_id.startswith("@"):
        digits = int(hashlib.sha256(chat_id.encode()).hexdigest(), 16) % 10**10
        return {"id": -(10**12) - digits, "title": chat_id[1:], "username": chat_id[1:],
                "type": "channel"}  # fmt: skip
    return {"id": int(chat_id), "title": f"Chat {chat_id}", "type": "channel"}


def _message_url(call: Call, chat: JSON, message_id: int) -> str:
    """A channel message's t.me link: by username, else a private channel's ``/c/`` link; a
    chat with neither has no public link, so its page is the sandbox's own."""
    if chat.get("username"):
        return f"{WEB}/{chat['username']}/{message_id}"
    internal = str(chat["id"])
    if internal.startswith("-100"):
        return f"{WEB}/c/{internal[4:]}/{message_id}"
    return f"{call.base_url}/t.me/{internal}/{message_id}"


async def send_message(call: Call) -> Response:
    """``sendMessage``: the sent Message, or a 400 explaining what is wrong."""
    if not call.request.path_params["token"]:
        return DIALECT.error(404, "Not Found")
    payload = call.payload()
    if payload is None:
        return DIALECT.error(400, "Bad Request: invalid JSON")
    raw_chat = payload.get("chat_id")
    if raw_chat is None or str(raw_chat).strip() == "":
        return DIALECT.error(400, "Bad Request: chat_id is empty")
    chat_id = str(raw_chat)
    if not chat_id.startswith("@") and not re.fullmatch(r"-?\d+", chat_id):
        return DIALECT.error(400, "Bad Request: chat not found")
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        return DIALECT.error(400, "Bad Request: message text is empty")
    shown = visible_text(text, payload.get("parse_mode"))
    if isinstance(shown, Response):
        return shown
    if not shown.strip():
        return DIALECT.error(400, "Bad Request: message text is empty")
    if utf16_length(shown) > MAX_UTF16:
        return DIALECT.error(400, "Bad Request: message is too long")
    chat = _chat(chat_id)
    store = call.state.store(TelegramStore)
    with call.state.lock:
        message_id = store.last_message_id.get(chat_id, 0) + 1
        store.last_message_id[chat_id] = message_id
        now = call.state.now()
        call.record_post(
            channel=chat_id,
            remote_id=str(message_id),
            url=_message_url(call, chat, message_id),
            text=shown,
            body=payload,
            details={"parse_mode": payload.get("parse_mode"), "chat": chat},
            auth="bot token in path",
        )
    message: JSON = {
        "message_id": message_id,
        "sender_chat": chat,
        "chat": chat,
        "date": int(now.timestamp()),
        "text": shown,
    }
    return json_response({"ok": True, "result": message})


async def get_me(call: Call) -> Response:
    """``getMe``: the bot behind the token."""
    token = call.request.path_params["token"]
    if not token:
        return DIALECT.error(404, "Not Found")
    prefix = token.split(":")[0]
    bot_id = int(prefix) if prefix.isdigit() else 7000000001
    username = call.state.settings.telegram_bot_username
    return json_response(
        {"ok": True, "result": {"id": bot_id, "is_bot": True, "first_name": "Tidings Sandbox",
                                "username": username, "can_join_groups": True,
                                "can_read_all_group_messages": False,
                                "supports_inline_queries": False}}
    )  # fmt: skip


def routes() -> list[BaseRoute]:
    """Telegram's routes on the ``api.telegram.org`` paths."""
    return [
        route(DIALECT, "/bot{token}/sendMessage", send_message, ["POST"]),
        route(DIALECT, "/bot{token}/getMe", get_me, ["GET", "POST"]),
    ]
