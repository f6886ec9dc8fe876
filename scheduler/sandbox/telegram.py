"""Telegram Bot API: ``sendMessage``, ``sendPhoto``, ``sendMediaGroup``, and the bot's view of
itself and its chats: ``getMe``, ``getChat``, ``getChatMember``.

Follows PLATFORMS.md §7 and §10.1: the token is in the path (and hidden from the request log),
every answer is ``{"ok": ...}``, text is 1-4096 UTF-16 units after entity parsing, a caption
0-1024, message ids run in sequence per chat (an album takes one per photo), and a 429 carries
``parameters.retry_after`` in seconds.

Photos arrive as multipart uploads only (``photo``, or ``attach://<name>`` parts for an
album's ``InputMediaPhoto`` items); each is kept with ``state.receive_image`` and listed on the
post as ``details["images"]`` (alt ``""``: Telegram has none). Sources: core.telegram.org/bots/api
``sendPhoto``, ``sendMediaGroup``, ``InputMediaPhoto`` (via the mirrors named in
``scheduler.platforms.telegram_photos``). The module stays whole, past 400 lines, as the sandbox
keeps one module per platform (``app.PLATFORM_MODULES``).

A message may reply to one in the same chat: ``reply_parameters`` (``ReplyParameters``, an
object, or its JSON in a form) names its ``message_id``; a message the chat does not have is
refused with Telegram's "message to be replied not found" unless ``allow_sending_without_reply``
is set (then it goes out as no reply). A reply is recorded with ``reply_to`` (the replied
message's id) and its Message carries ``reply_to_message``, itself without one, as Telegram's.

The bot's status in every chat is the setting ``telegram_bot_status`` (an administrator by
default, allowed to post unless ``telegram_bot_can_post`` is off): out of a chat it cannot see
one with a numeric id ("chat not found"), and it posts in a channel only as an administrator
allowed to (core.telegram.org/bots/api ``getChat``, ``getChatMember``, ``ChatMember``; the
refusals' wordings as Telegram sends them, seen in bug trackers ❓).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute

from scheduler.sandbox.exchange import AuthFailure, Call, Dialect, epoch, json_response, route
from scheduler.sandbox.faults import Fault
from scheduler.sandbox.state import JSON, ReceivedImage, WindowStatus, inspect_image

PLATFORM = "telegram"
MAX_UTF16 = 4096
MAX_CAPTION_UTF16 = 1024
# sendPhoto: "at most 10 MB", "width and height must not exceed 10000 in total", "ratio must be
# at most 20"; sendMediaGroup: "must include 2-10 items".
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDES = 10_000
MAX_PHOTO_RATIO = 20
ALBUM_SIZES = range(2, 11)
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
    """The last message id per chat, the last album id, and every message sent, by chat and id."""

    last_message_id: dict[str, int] = field(default_factory=dict)
    last_media_group: int = 0
    messages: dict[tuple[str, int], JSON] = field(default_factory=dict)

    def next_ids(self, chat_id: str, count: int) -> list[int]:
        """``count`` new message ids in ``chat_id``, in sequence (hold the state's lock)."""
        first = self.last_message_id.get(chat_id, 0) + 1
        self.last_message_id[chat_id] = first + count - 1
        return list(range(first, first + count))


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


def _chat_id(raw: object) -> str | Response:
    """The ``chat_id`` field as a string, or Telegram's refusal of it."""
    if raw is None or str(raw).strip() == "":
        return DIALECT.error(400, "Bad Request: chat_id is empty")
    chat_id = str(raw)
    if not chat_id.startswith("@") and not re.fullmatch(r"-?\d+", chat_id):
        return DIALECT.error(400, "Bad Request: chat not found")
    return chat_id


def _chat(chat_id: str) -> JSON:
    if chat_id.startswith("@"):
        digits = int(hashlib.sha256(chat_id.encode()).hexdigest(), 16) % 10**10
        return {"id": -(10**12) - digits, "title": chat_id[1:], "username": chat_id[1:],
                "type": "channel"}  # fmt: skip
    return {"id": int(chat_id), "title": f"Chat {chat_id}", "type": "channel"}


def _replied(call: Call, chat_id: str, fields: JSON) -> JSON | Response | None:
    """The message ``reply_parameters`` names in ``chat_id`` (None when it names none, or one
    the chat does not have with ``allow_sending_without_reply``), or Telegram's refusal."""
    raw = fields.get("reply_parameters")
    if raw is None or raw == "":
        return None
    try:
        parameters = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        parameters = None
    message_id = parameters.get("message_id") if isinstance(parameters, dict) else None
    if isinstance(message_id, bool) or not isinstance(message_id, int):
        return DIALECT.error(400, "Bad Request: can't parse reply parameters JSON object")
    with call.state.lock:
        found = call.state.store(TelegramStore).messages.get((chat_id, message_id))
    if found is None and not parameters.get("allow_sending_without_reply"):
        return DIALECT.error(400, "Bad Request: message to be replied not found")
    return found


def _sent(store: TelegramStore, chat_id: str, message: JSON, replied: JSON | None) -> JSON:
    """Keep a sent message (hold the state's lock); the Message as answered, with the one it
    replies to (as Telegram sends it: without that one's own ``reply_to_message``)."""
    store.messages[(chat_id, message["message_id"])] = message
    if replied is None:
        return message
    return {**message, "reply_to_message": replied}


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
    chat_id = _chat_id(payload.get("chat_id"))
    if isinstance(chat_id, Response):
        return chat_id
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
    refusal = _cannot_post(call, chat_id)
    if refusal is not None:
        return refusal
    replied = _replied(call, chat_id, payload)
    if isinstance(replied, Response):
        return replied
    store = call.state.store(TelegramStore)
    with call.state.lock:
        [message_id] = store.next_ids(chat_id, 1)
        now = call.state.now()
        call.record_post(
            channel=chat_id,
            remote_id=str(message_id),
            url=_message_url(call, chat, message_id),
            text=shown,
            body=payload,
            details={"parse_mode": payload.get("parse_mode"), "chat": chat},
            auth="bot token in path",
            reply_to=str(replied["message_id"]) if replied else None,
        )
        message = _sent(
            store,
            chat_id,
            {
                "message_id": message_id,
                "sender_chat": chat,
                "chat": chat,
                "date": int(now.timestamp()),
                "text": shown,
            },
            replied,
        )
    return json_response({"ok": True, "result": message})


@dataclass(frozen=True)
class PhotoRequest:
    """A ``sendPhoto`` or ``sendMediaGroup`` form, checked: where, each photo's caption as
    shown ("" for none), and each photo's bytes with the content type its part declared."""

    chat_id: str
    captions: list[str]
    fields: JSON
    photos: list[tuple[bytes, str]]

    @property
    def caption(self) -> str:
        """The caption shown: an album with one caption shows it as the album's."""
        return next(filter(None, self.captions), "")


async def send_photo(call: Call) -> Response:
    """``sendPhoto``: one uploaded ``photo`` and its caption; the sent Message."""
    fields, files = await _form(call)
    photo = files.get("photo")
    if photo is None:  # as Telegram words it (php-telegram-bot/core#267)
        return DIALECT.error(400, "Bad Request: there is no photo in the request")
    checked = _photo_request(fields, [photo], [fields.get("caption")])
    if isinstance(checked, Response):
        return checked
    return _publish_photos(call, checked)


async def send_media_group(call: Call) -> Response:
    """``sendMediaGroup``: 2-10 ``InputMediaPhoto`` items, each ``attach://<name>`` of an
    uploaded part; the album's Messages, each with its caption if it has one."""
    fields, files = await _form(call)
    media = _media(fields.get("media"))
    if isinstance(media, Response):
        return media
    photos = []
    for item in media:
        name = str(item.get("media", "")).removeprefix("attach://")
        if item.get("type") != "photo" or name not in files:
            return DIALECT.error(400, "Bad Request: can't parse InputMedia: media not found")
        photos.append(files[name])
    checked = _photo_request(fields, photos, [item.get("caption") for item in media])
    if isinstance(checked, Response):
        return checked
    return _publish_photos(call, checked)


async def _form(call: Call) -> tuple[JSON, dict[str, tuple[bytes, str]]]:
    """A multipart body's text fields and uploaded parts (bytes, content type); a JSON or
    urlencoded body's fields and no parts."""
    if "multipart/form-data" not in call.request.headers.get("content-type", ""):
        return call.payload() or {}, {}
    fields: JSON = {}
    files: dict[str, tuple[bytes, str]] = {}
    try:
        # Starlette parses the body the wrapper read; leaving the block closes the parts.
        async with call.request.form() as form:
            for name, value in form.multi_items():
                if isinstance(value, UploadFile):
                    content_type = value.content_type or "application/octet-stream"
                    files[name] = (await value.read(), content_type)
                else:
                    fields[name] = value
    except HTTPException:  # not a multipart body after all
        return {}, {}
    return fields, files


def _media(raw: object) -> list[dict[str, Any]] | Response:
    """``media`` as a list of 2-10 objects, or Telegram's refusal."""
    if raw is None:  # as Telegram words it (edisonchee/slimbot#53)
        return DIALECT.error(400, 'Bad Request: parameter "media" is required')
    try:
        media = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        media = None
    if not isinstance(media, list) or not all(isinstance(item, dict) for item in media):
        return DIALECT.error(400, "Bad Request: can't parse media JSON object")
    if len(media) not in ALBUM_SIZES:  # ❓ the sandbox's wording of "must include 2-10 items"
        return DIALECT.error(400, "Bad Request: media group must include 2-10 items")
    return media


def _photo_request(
    fields: JSON, photos: list[tuple[bytes, str]], captions: list[object]
) -> PhotoRequest | Response:
    """The form checked as Telegram checks it: the chat, each caption after entity parsing (at
    most 1,024 units: tactilenews/100eyes#1594 quotes the refusal), each photo."""
    chat_id = _chat_id(fields.get("chat_id"))
    if isinstance(chat_id, Response):
        return chat_id
    shown = []
    for raw in captions:
        caption = visible_text(str(raw or ""), fields.get("parse_mode"))
        if isinstance(caption, Response):
            return caption
        if utf16_length(caption) > MAX_CAPTION_UTF16:
            return DIALECT.error(400, "Bad Request: message caption is too long")
        shown.append(caption)
    for data, content_type in photos:
        refusal = _photo_refusal(inspect_image(PLATFORM, data, content_type))
        if refusal is not None:
            return DIALECT.error(400, refusal)
    return PhotoRequest(chat_id, shown, fields, photos)


def _photo_refusal(image: ReceivedImage) -> str | None:
    """Why Telegram would refuse this photo, if it would. ❓ Undocumented wordings, as seen in
    bug trackers (pengrad/java-telegram-bot-api#337 for IMAGE_PROCESS_FAILED)."""
    if image.format is None or not image.width or not image.height:
        return "Bad Request: IMAGE_PROCESS_FAILED"
    if image.bytes > MAX_PHOTO_BYTES:
        return "Bad Request: PHOTO_SAVE_FILE_INVALID"
    longer, shorter = max(image.width, image.height), min(image.width, image.height)
    if image.width + image.height > MAX_PHOTO_SIDES or longer > shorter * MAX_PHOTO_RATIO:
        return "Bad Request: PHOTO_INVALID_DIMENSIONS"
    return None


def _publish_photos(call: Call, request: PhotoRequest) -> Response:
    """Keep the photos, record the post (one per request, at its first message) and answer
    with the sent Message, or an album's Messages."""
    refusal = _cannot_post(call, request.chat_id)
    if refusal is not None:
        return refusal
    replied = _replied(call, request.chat_id, request.fields)
    if isinstance(replied, Response):
        return replied
    images = [
        call.state.receive_image(platform=PLATFORM, data=data, content_type=content_type)
        for data, content_type in request.photos
    ]
    chat = _chat(request.chat_id)
    store = call.state.store(TelegramStore)
    album = len(images) > 1
    with call.state.lock:
        ids = store.next_ids(request.chat_id, len(images))
        if album:
            store.last_media_group += 1
        group = str(13_000_000_000_000_000 + store.last_media_group) if album else None
        now = call.state.now()
        call.record_post(
            channel=request.chat_id,
            remote_id=str(ids[0]),
            url=_message_url(call, chat, ids[0]),
            text=request.caption,
            body=request.fields,
            details={
                "parse_mode": request.fields.get("parse_mode"),
                "chat": chat,
                "images": [received_entry(image) for image in images],
                "message_ids": ids,
                "media_group_id": group,
            },
            auth="bot token in path",
            reply_to=str(replied["message_id"]) if replied else None,
        )
        messages = [
            _sent(
                store,
                request.chat_id,
                _photo_message(chat, message_id, image, caption, int(now.timestamp()), group),
                replied,
            )
            for message_id, image, caption in zip(ids, images, request.captions, strict=True)
        ]
    return json_response({"ok": True, "result": messages if album else messages[0]})


def received_entry(image: ReceivedImage) -> JSON:
    """A post's ``details["images"]`` entry for a received photo (Telegram has no alt text)."""
    return {
        "sha256": image.sha256,
        "alt": "",
        "width": image.width,
        "height": image.height,
        "content_type": image.content_type,
    }


def _photo_message(
    chat: JSON, message_id: int, image: ReceivedImage, caption: str, date: int, group: str | None
) -> JSON:
    """The Message of one photo: its ``photo`` sizes (here just the one received)."""
    size = {
        "file_id": f"AgAC{image.sha256[:40]}",
        "file_unique_id": f"AQAD{image.sha256[:12]}",
        "width": image.width,
        "height": image.height,
        "file_size": image.bytes,
    }
    message: JSON = {
        "message_id": message_id,
        "sender_chat": chat,
        "chat": chat,
        "date": date,
        "photo": [size],
    }
    if caption:
        message["caption"] = caption
    if group is not None:
        message["media_group_id"] = group
    return message


def _bot(call: Call) -> JSON:
    """The bot behind the token in the path: its id is the token's number."""
    prefix = str(call.request.path_params["token"]).split(":")[0]
    bot_id = int(prefix) if prefix.isdigit() else 7000000001
    username = call.state.settings.telegram_bot_username
    return {"id": bot_id, "is_bot": True, "first_name": "Tidings Sandbox", "username": username}


def _out_of_chat(call: Call) -> bool:
    return call.state.settings.telegram_bot_status in ("left", "kicked")


def _visible(call: Call, chat_id: str) -> bool:
    """Whether the bot can see the chat: a public one (by @username) always, another only
    from inside."""
    return chat_id.startswith("@") or not _out_of_chat(call)


def _cannot_post(call: Call, chat_id: str) -> Response | None:
    """Telegram's refusal of a message to a channel the bot may not post in, if it may not."""
    settings = call.state.settings
    if not _visible(call, chat_id):
        return DIALECT.error(400, "Bad Request: chat not found")
    if settings.telegram_bot_status == "kicked":
        return DIALECT.error(403, "Forbidden: bot was kicked from the channel chat")
    if settings.telegram_bot_status == "left":
        return DIALECT.error(403, "Forbidden: bot is not a member of the channel chat")
    if settings.telegram_bot_status != "administrator" or not settings.telegram_bot_can_post:
        return DIALECT.error(400, "Bad Request: need administrator rights in the channel chat")
    return None


async def get_me(call: Call) -> Response:
    """``getMe``: the bot behind the token."""
    if not call.request.path_params["token"]:
        return DIALECT.error(404, "Not Found")
    bot = _bot(call) | {"can_join_groups": True, "can_read_all_group_messages": False,
                        "supports_inline_queries": False}  # fmt: skip
    return json_response({"ok": True, "result": bot})


def _chat_asked(call: Call) -> str | Response:
    """The ``chat_id`` of a getChat or getChatMember call, of a chat the bot can see."""
    if not call.request.path_params["token"]:
        return DIALECT.error(404, "Not Found")
    chat_id = _chat_id(call.params().get("chat_id"))
    if isinstance(chat_id, Response):
        return chat_id
    if not _visible(call, chat_id):
        return DIALECT.error(400, "Bad Request: chat not found")
    return chat_id


async def get_chat(call: Call) -> Response:
    """``getChat``: the chat as the bot sees it."""
    chat_id = _chat_asked(call)
    if isinstance(chat_id, Response):
        return chat_id
    return json_response({"ok": True, "result": _chat(chat_id)})


async def get_chat_member(call: Call) -> Response:
    """``getChatMember``: the bot's own membership (``telegram_bot_status``); the sandbox
    knows no other member."""
    chat_id = _chat_asked(call)
    if isinstance(chat_id, Response):
        return chat_id
    bot = _bot(call)
    if str(call.params().get("user_id")) != str(bot["id"]):
        return DIALECT.error(400, "Bad Request: user not found")  # ❓ Telegram's wording
    settings = call.state.settings
    member: JSON = {"user": bot, "status": settings.telegram_bot_status}
    if settings.telegram_bot_status == "administrator":  # ChatMemberAdministrator
        member |= {"can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
                   "can_delete_messages": True, "can_manage_video_chats": False,
                   "can_restrict_members": False, "can_promote_members": False,
                   "can_change_info": False, "can_invite_users": False,
                   "can_post_stories": False, "can_edit_stories": False,
                   "can_delete_stories": False, "can_post_messages": settings.telegram_bot_can_post,
                   "can_edit_messages": settings.telegram_bot_can_post}  # fmt: skip
    return json_response({"ok": True, "result": member})


def routes() -> list[BaseRoute]:
    """Telegram's routes on the ``api.telegram.org`` paths."""
    return [
        route(DIALECT, "/bot{token}/sendMessage", send_message, ["POST"]),
        route(DIALECT, "/bot{token}/sendPhoto", send_photo, ["POST"]),
        route(DIALECT, "/bot{token}/sendMediaGroup", send_media_group, ["POST"]),
        route(DIALECT, "/bot{token}/getMe", get_me, ["GET", "POST"]),
        route(DIALECT, "/bot{token}/getChat", get_chat, ["GET", "POST"]),
        route(DIALECT, "/bot{token}/getChatMember", get_chat_member, ["GET", "POST"]),
    ]
