"""Telegram posts with images: ``sendPhoto`` for one, ``sendMediaGroup`` for an album of 2–10.

The photo request is the post itself, a multipart form: Telegram has no separate upload, so
an answer lost on the way is as unknown as a lost ``sendMessage`` (``uploads.send_form``
says ``Unknown``), never a reason to send the photos again.

A caption holds 1,024 characters, a text message 4,096: a text the caption cannot hold goes
as its own ``sendMessage`` right after the photos (``TelegramAdapter.follow_ups``). Telegram
shows no alt text, so none is sent.

Sources (core.telegram.org/bots/api, read through mirrors of the same page:
effect-ak.github.io/tg-bot-api/send-photo, gramio.dev/telegram/methods/sendMediaGroup,
botphp.ru/docs/api/types/InputMediaPhoto):
- ``sendPhoto``: ``photo`` is an upload "using multipart/form-data"; ``caption`` "0-1024
  characters after entities parsing"; the answer is the sent Message.
- ``sendMediaGroup``: ``media`` is "a JSON-serialized array describing messages to be sent,
  must include 2-10 items"; the answer is "an array of Messages that were sent".
- ``InputMediaPhoto``: ``type`` "photo", ``media`` "attach://<file_attach_name> to upload a
  new one using multipart/form-data under <file_attach_name> name", ``caption`` 0-1024.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scheduler.platforms.base import HttpRequest, JobImage, PostJob
from scheduler.platforms.uploads import placeholder

CAPTION_LIMIT = 1_024


def caption_length(text: str) -> int:
    """Length in UTF-16 code units: ❓ the unit of "1-1024 characters" is unsaid; Telegram's
    entity offsets are UTF-16 units, the larger reading (as ``drafts.text_rules`` counts the
    4,096 of a text message). Tidings sends no parse_mode, so nothing is parsed away."""
    return len(text.encode("utf-16-le")) // 2


def fits_caption(text: str) -> bool:
    """Whether the post's text can go as the photos' caption."""
    return caption_length(text) <= CAPTION_LIMIT


@dataclass(frozen=True)
class PhotoForm:
    """The multipart form that posts a job's images: Telegram's method, its text fields (JSON
    values, as the preview shows them) and the images it attaches, by part name."""

    method: str
    fields: Mapping[str, Any]
    files: tuple[tuple[str, JobImage], ...]

    def preview_body(self) -> dict[str, Any]:
        """The form as one JSON object: each image part shows as ``<image N>``."""
        parts = {name: placeholder(n) for n, (name, _) in enumerate(self.files, start=1)}
        return {**self.fields, **parts}

    def text_fields(self) -> dict[str, str]:
        """The fields as multipart strings: a list (``media``) as JSON."""
        return {
            name: value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            for name, value in self.fields.items()
        }


def photo_form(
    job: PostJob, chat_id: int | str, reply: Mapping[str, Any] | None = None
) -> PhotoForm:
    """``sendPhoto`` for one image, ``sendMediaGroup`` for more (``drafts.media.MAX_IMAGES``
    keeps a post under the album's 10); the text as caption when it fits, else none; ``reply``
    the ``reply_parameters`` field of a reply."""
    caption = {"caption": job.text} if job.text and fits_caption(job.text) else {}
    if len(job.images) == 1:
        fields = {"chat_id": chat_id, **caption, **(reply or {})}
        return PhotoForm("sendPhoto", fields, (("photo", job.images[0]),))
    names = [f"photo{n}" for n in range(1, len(job.images) + 1)]
    media = [{"type": "photo", "media": f"attach://{name}"} for name in names]
    media[0].update(caption)  # an album shows the first item's caption as its own
    return PhotoForm(
        "sendMediaGroup",
        {"chat_id": chat_id, "media": media, **(reply or {})},
        tuple(zip(names, job.images, strict=True)),
    )


def preview_request(form: PhotoForm, url: str) -> HttpRequest:
    """What the review preview shows of the form: its fields, the images as placeholders."""
    return HttpRequest.with_json("POST", url, form.preview_body())


def displayed_caption(body: Mapping[str, Any]) -> str:
    """The caption a ``preview_request`` body shows under its photos ("" for none)."""
    media = body.get("media")
    first = media[0] if isinstance(media, list) and media else body
    return str(first.get("caption", "")) if isinstance(first, dict) else ""
