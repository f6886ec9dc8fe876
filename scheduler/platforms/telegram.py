"""Telegram: ``POST /bot{token}/sendMessage`` to a channel, as plain text (PLATFORMS.md §7).

No ``parse_mode``: the text goes out exactly as written, with nothing to escape. Bots cannot
read a channel's history and Telegram has no idempotency key, so an unknown outcome goes to a
person. The bot token is part of the URL path: no outcome reason, check error or httpx log
line this module produces or allows carries it.

A post with images is a photo message (``telegram_photos``), and when its caption cannot hold
the text, a text message right after it. Each goes out once: the photo message's id is saved
in the publish state before the text is sent, so an attempt after a failed text sends only
the text. The post's id and link are the photo message's.

Telegram has no threads (a thread's parts go out joined as one message), so only the first
comment is a reply: ``reply_parameters: {"message_id": ...}`` names the post's message, the one
in its remote id ``{chat}/{message id}`` (PLATFORMS.md §10.2). Telegram refuses a reply to a
message that is gone ("message to be replied not found"); the comment fails, for a person.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, ClassVar

import httpx

from drafts.channels import TelegramChannel
from scheduler.credentials import token_place
from scheduler.outcomes import (
    Failed,
    NotPublished,
    Outcome,
    Published,
    RetryAt,
    RetryLater,
    Unknown,
)
from scheduler.platforms.base import (
    Adapter,
    Attempted,
    ChannelCheckError,
    Credentials,
    HttpRequest,
    HttpResponse,
    Identity,
    PostJob,
    SaveState,
    api_origin,
    identity_answer,
    rate_limited_until,
    send,
)
from scheduler.platforms.telegram_photos import (
    displayed_caption,
    fits_caption,
    photo_form,
    preview_request,
)
from scheduler.platforms.uploads import send_form
from scheduler.retry import UnknownHandling

API = "https://api.telegram.org"
WEB = "https://t.me"
HIDDEN = "<token>"
_TOKEN_IN_PATH = re.compile(r"/bot[^/\s\"'?#]+")
_NUMERIC_CHAT = re.compile(r"-?\d+")
# Bot tokens are "{bot id}:{secret}" in URL-safe characters; anything else could reshape the path.
TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")
# An album can fail part-way, with a 400, after some of its photos went out ("Bad Request: failed
# to send message #1 with the error message ...", rubenlagus/TelegramBots#1520): not a refusal.
_PART_OF_ALBUM = re.compile(r"failed to send message #\d+")
# Publish state: the photo message of a post whose text still has to follow it.
PHOTOS_SENT = "telegram:photos"
PHOTOS_URL = "telegram:photos_url"


class TelegramAdapter(Adapter[TelegramChannel]):
    platform: ClassVar[str] = "telegram"
    unknown_handling: ClassVar[UnknownHandling] = UnknownHandling.ASK_A_PERSON
    channel_type = TelegramChannel

    def build(self, job: PostJob, channel: TelegramChannel, secret: str) -> HttpRequest:
        if not job.images:
            return text_message(job, channel, secret)
        form = photo_form(job, chat_id_value(channel.chat_id), reply_parameters(job))
        return preview_request(form, method_url(channel, secret, form.method))

    def follow_ups(
        self, job: PostJob, channel: TelegramChannel, secret: str
    ) -> tuple[HttpRequest, ...]:
        if job.images and not fits_caption(job.text):
            return (text_message(job, channel, secret),)
        return ()

    def displayed_text(self, request: HttpRequest) -> str:
        body = request.json()
        return str(body["text"]) if "text" in body else displayed_caption(body)

    async def publish(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: TelegramChannel,
        credentials: Credentials,
        now: datetime,
        save: SaveState,
    ) -> Attempted:
        token = credentials.secret
        if not TOKEN_SHAPE.fullmatch(token):
            return Attempted(Failed(_malformed(channel)))
        if job.reply_to is not None and replied_message(job) is None:
            parent = job.reply_to.parent.remote_id
            return Attempted(
                Failed(f"cannot tell which message {parent!r} is, to reply to it: nothing was sent")
            )
        if job.images:
            outcome = await self._publish_photos(client, job, channel, token, now, save)
        else:
            outcome = await self.send_and_read(
                client, job, channel, token, lambda answer: read_sent(answer, channel, now)
            )
        return Attempted(without_token(outcome, token))

    async def _publish_photos(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: TelegramChannel,
        token: str,
        now: datetime,
        save: SaveState,
    ) -> Outcome:
        """The photo message unless an earlier attempt sent it, then the text that follows."""
        photos = photos_sent(job.state)
        if photos is None:
            form = photo_form(job, chat_id_value(channel.chat_id), reply_parameters(job))
            url = method_url(channel, token, form.method)
            answer = await send_form(client, url, form.text_fields(), form.files)
            sent = read_sent(answer, channel, now) if isinstance(answer, HttpResponse) else answer
            if not isinstance(sent, Published):
                return sent
            photos = sent
        for request in self.follow_ups(job, channel, token):
            await save(remember_photos(photos))  # before the text goes: it must not repeat them
            answer = await send(client, request)
            text = read_sent(answer, channel, now) if isinstance(answer, HttpResponse) else answer
            if not isinstance(text, Published):
                return after_photos(text, photos)
            photos = replace(photos, http_status=text.http_status)  # this attempt's answer
        return photos

    async def reconcile(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: TelegramChannel,
        credentials: Credentials,
        now: datetime,
    ) -> Outcome | None:
        return Unknown(
            "Telegram bots cannot read a channel's messages and Telegram has no idempotency "
            "key, so Tidings cannot tell whether the message went out"
        )

    async def identify(
        self,
        client: httpx.AsyncClient,
        channel: TelegramChannel,
        credentials: Credentials,
        now: datetime,
    ) -> Identity:
        token = credentials.secret
        if not TOKEN_SHAPE.fullmatch(token):
            raise ChannelCheckError(_malformed(channel))
        response = await send(client, HttpRequest("GET", method_url(channel, token, "getMe")))
        try:
            body = identity_answer(response, _refused_token)
        except ChannelCheckError as error:
            raise ChannelCheckError(hide_token(f"Telegram {error}", token)) from None
        result = body.get("result")
        username = result.get("username") if isinstance(result, dict) else None
        if body.get("ok") is not True or not username:
            raise ChannelCheckError("Telegram answered getMe without the bot's username")
        return Identity(name=f"@{username} → {channel.chat_id}")


def method_url(channel: TelegramChannel, token: str, method: str) -> str:
    """``{base}/bot{token}/{method}``."""
    return f"{api_origin(channel, API)}/bot{token}/{method}"


def _refused_token(response: HttpResponse) -> str:
    description = _description(_envelope(response), response)
    return f"refused the bot token ({response.status}): {description}"


def _malformed(channel: TelegramChannel) -> str:
    return (
        f"the bot token in {token_place(channel)} is not one (digits, a colon, then "
        "letters, digits, - and _, as @BotFather gives it)"
    )


def chat_id_value(chat_id: str) -> int | str:
    """A numeric chat id as the integer Telegram expects, an ``@channelusername`` as it is."""
    return int(chat_id) if _NUMERIC_CHAT.fullmatch(chat_id) else chat_id


def text_message(job: PostJob, channel: TelegramChannel, token: str) -> HttpRequest:
    """``sendMessage`` with the post's text (a reply to the message it comments on)."""
    return HttpRequest.with_json(
        "POST",
        method_url(channel, token, "sendMessage"),
        {"chat_id": chat_id_value(channel.chat_id), "text": job.text, **reply_parameters(job)},
    )


def replied_message(job: PostJob) -> int | None:
    """The message id a reply answers, from its parent's remote id ``{chat}/{message id}``;
    None for a post that replies to nothing, or to a remote id of another shape."""
    if job.reply_to is None:
        return None
    _, _, message_id = job.reply_to.parent.remote_id.rpartition("/")
    return int(message_id) if message_id.isdigit() else None


def reply_parameters(job: PostJob) -> dict[str, Any]:
    """``reply_parameters`` for a reply (Bot API ``ReplyParameters``), nothing for a post."""
    message_id = replied_message(job)
    return {} if message_id is None else {"reply_parameters": {"message_id": message_id}}


def photos_sent(state: Mapping[str, str]) -> Published | None:
    """The photo message an earlier attempt sent (its text did not follow), if any."""
    remote_id = state.get(PHOTOS_SENT)
    if not remote_id:
        return None
    return Published(remote_id, state.get(PHOTOS_URL) or None)


def remember_photos(photos: Published) -> dict[str, str]:
    """The publish state that says the photo message went out."""
    return {PHOTOS_SENT: photos.remote_id, PHOTOS_URL: photos.remote_url or ""}


def after_photos(text: NotPublished, photos: Published) -> NotPublished:
    """Why the text did not follow the photos, saying that they are live: a person who looks
    finds them, and the next attempt sends only the text."""
    where = photos.remote_url or photos.remote_id
    return replace(text, reason=f"the photos went out ({where}), the text after them not yet: "
                                f"{text.reason}")  # fmt: skip


def read_sent(response: HttpResponse, channel: TelegramChannel, now: datetime) -> Outcome:
    """A ``sendMessage``, ``sendPhoto`` or ``sendMediaGroup`` answer as an outcome."""
    status = response.status
    body = _envelope(response)
    if 200 <= status < 300 and body.get("ok") is True:
        result = body.get("result")
        if isinstance(result, list) and result:  # an album: its messages, the first is the post
            result = result[0]
        if isinstance(result, dict) and isinstance(result.get("message_id"), int):
            return _published(result, channel, status)
        return Unknown(f"Telegram answered {status} without a message id", status)
    description = _description(body, response)
    parameters = body.get("parameters")
    parameters = parameters if isinstance(parameters, dict) else {}
    if status == 429:
        wait = parameters.get("retry_after")
        seconds = float(wait) if isinstance(wait, int | float) else None
        at = rate_limited_until(response.headers, now, retry_after_seconds=seconds)
        return RetryAt(at, f"rate limited by Telegram: {description}", status)
    if status == 401:
        return Failed(
            f"Telegram rejected the bot token (401 {description}): check {token_place(channel)}",
            status,
        )
    if status == 400 and "migrate_to_chat_id" in parameters:
        moved = parameters["migrate_to_chat_id"]
        return Failed(
            f'Telegram refused the message (400): {description}; set chat_id = "{moved}"',
            status,
        )
    if status == 404:
        return Failed(
            f"Telegram answered 404 ({description}): the bot token in {token_place(channel)} "
            "is malformed",
            status,
        )
    if 200 <= status < 300:
        return Unknown(f"Telegram answered {status} but not ok: {description}", status)
    if status >= 500:
        return Unknown(
            f"Telegram answered {status} ({description}): the message may have been sent", status
        )
    if _PART_OF_ALBUM.search(description):
        return Unknown(
            f"Telegram failed part-way through the album ({status}: {description}): some of "
            "its photos may be live",
            status,
        )
    return Failed(f"Telegram refused the message ({status}): {description}", status)


def _published(result: Mapping[str, Any], channel: TelegramChannel, status: int) -> Published:
    message_id = int(result["message_id"])
    chat = result.get("chat")
    chat = chat if isinstance(chat, dict) else {}
    chat_ref = chat.get("id", channel.chat_id)
    username = chat.get("username")
    if not isinstance(username, str) or not username:
        username = channel.chat_id[1:] if channel.chat_id.startswith("@") else None
    return Published(f"{chat_ref}/{message_id}", _link(chat_ref, username, message_id), status)


def _link(chat_ref: object, username: str | None, message_id: int) -> str | None:
    """The message's t.me link: by the channel's username, else a private channel's ``/c/``
    link (it opens for members); other chats have none."""
    if username:
        return f"{WEB}/{username}/{message_id}"
    internal = str(chat_ref)
    if internal.startswith("-100"):  # a private channel: the link opens for its members
        return f"{WEB}/c/{internal[4:]}/{message_id}"
    return None


def _envelope(response: HttpResponse) -> dict[str, Any]:
    body = response.json()
    return body if isinstance(body, dict) else {}


def _description(body: Mapping[str, Any], response: HttpResponse) -> str:
    description = body.get("description")
    if isinstance(description, str) and description:
        return description
    return response.text(200) or "no description"


def hide_token(text: str, token: str) -> str:
    """``text`` with the bot token, and any ``/bot…`` path segment, replaced."""
    if token:
        text = text.replace(token, HIDDEN)
    return _TOKEN_IN_PATH.sub(f"/bot{HIDDEN}", text)


def without_token(outcome: Outcome, token: str) -> Outcome:
    """``outcome`` with the bot token hidden from its reason."""
    match outcome:
        case Published():
            return outcome
        case RetryAt(at=at, reason=reason, http_status=status):
            return RetryAt(at, hide_token(reason, token), status)
        case RetryLater(reason=reason, http_status=status):
            return RetryLater(hide_token(reason, token), status)
        case Failed(reason=reason, http_status=status):
            return Failed(hide_token(reason, token), status)
        case Unknown(reason=reason, http_status=status, details=details):
            return Unknown(hide_token(reason, token), status, details)
    raise AssertionError(f"unhandled outcome {outcome!r}")


class HideBotTokens(logging.Filter):
    """Rewrites httpx's request log line, which shows the full URL, bot token included."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/bot" in message:
            record.msg, record.args = _TOKEN_IN_PATH.sub(f"/bot{HIDDEN}", message), None
        return True


def hide_tokens_from_httpx_log() -> None:
    """Install ``HideBotTokens`` on the ``httpx`` logger, once."""
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, HideBotTokens) for f in httpx_logger.filters):
        httpx_logger.addFilter(HideBotTokens())


# httpx logs every request's URL at INFO; guard it before this module sends anything.
hide_tokens_from_httpx_log()
