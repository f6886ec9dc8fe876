"""Mastodon's media endpoints in the sandbox: ``POST /api/v2/media``, ``GET /api/v1/media/:id``
and the check of ``media_ids`` on a new status (PLATFORMS.md §10.1).

As docs.joinmastodon.org/methods/media describes them: the upload is multipart (``file``,
``description``) and answers 200 when the image is ready or 202 while it is still processing
(``url`` null); ``GET /api/v1/media/:id`` answers 206 while processing, 200 once ready, and 404
for media that are not the caller's. How many "processing" answers an upload gives is
``settings.mastodon_media_processing``. A status refuses media it cannot attach with a 422, as
Mastodon's ``PostStatusService#validate_media!`` does: not found, already attached, not
processed yet, or more than the instance allows (the messages are Mastodon's English locale
as remembered, not checked word for word). Media belong to the token that uploaded them (a
Mastodon token is one account and never changes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.responses import Response

from scheduler.sandbox.exchange import Call, json_response
from scheduler.sandbox.forms import read_form
from scheduler.sandbox.state import JSON, ReceivedImage, inspect_image

PLATFORM = "mastodon"
# What the sandbox instance reports in /api/v2/instance: the values of the example in
# docs.joinmastodon.org/entities/Instance, and MediaAttachment::MAX_DESCRIPTION_LENGTH.
SUPPORTED_MIME_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4")
IMAGE_SIZE_LIMIT = 10_485_760
IMAGE_MATRIX_LIMIT = 16_777_216
DESCRIPTION_LIMIT = 1500
MAX_MEDIA_ATTACHMENTS = 4
_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


@dataclass
class MastodonMedia:
    """One uploaded image: whose it is, how often it answered "processing", its status."""

    media_id: str
    owner: str
    image: ReceivedImage
    description: str
    processing_answers: int = 0
    status_id: str | None = None

    def ready(self, call: Call) -> bool:
        return self.processing_answers >= call.state.settings.mastodon_media_processing

    def entity(self, call: Call) -> JSON:
        """The MediaAttachment as the API shows it (``url`` null while processing)."""
        ready = self.ready(call)
        original = f"{call.base_url}/system/media_attachments/{self.media_id}/original"
        return {
            "id": self.media_id,
            "type": "image",
            "url": original if ready else None,
            "preview_url": f"{call.base_url}/system/media_attachments/{self.media_id}/small",
            "remote_url": None,
            "meta": {"original": {"width": self.image.width, "height": self.image.height}},
            "description": self.description or None,
            "blurhash": None,
        }

    def described(self) -> JSON:
        """The image as a status's ``details["images"]`` lists it."""
        return {
            "sha256": self.image.sha256,
            "alt": self.description,
            "width": self.image.width,
            "height": self.image.height,
            "content_type": self.image.content_type,
        }


@dataclass
class MastodonMediaStore:
    """Uploaded media by id."""

    media: dict[str, MastodonMedia] = field(default_factory=dict)


async def upload_media(call: Call) -> Response:
    """``POST /api/v2/media``: 200 with the attachment, or 202 while it processes."""
    owner = _owner(call)
    if owner is None:
        return call.dialect.auth_failed("missing")
    fields, files = await read_form(call)
    part, description = files.get("file"), fields.get("description", "")
    if part is None:
        return _invalid("Validation failed: File can't be blank")
    if len(description) > DESCRIPTION_LIMIT:
        return _invalid(
            f"Validation failed: Description is too long (maximum is {DESCRIPTION_LIMIT} "
            "characters)"
        )
    data, content_type = part.data, part.content_type
    if inspect_image(PLATFORM, data, content_type).format not in _FORMATS:
        return _invalid("Validation failed: File content type is invalid, File is invalid")
    if len(data) > IMAGE_SIZE_LIMIT:
        return _invalid(f"Validation failed: File file size must be less than {IMAGE_SIZE_LIMIT}")
    image = call.state.receive_image(platform=PLATFORM, data=data, content_type=content_type)
    media = MastodonMedia(str(call.state.next_id()), owner, image, description)
    with call.state.lock:
        call.state.store(MastodonMediaStore).media[media.media_id] = media
        return _answer(call, media, processing=202)


async def media_status(call: Call) -> Response:
    """``GET /api/v1/media/:id``: 206 while processing, 200 once ready, 404 if not yours."""
    owner = _owner(call)
    if owner is None:
        return call.dialect.auth_failed("missing")
    with call.state.lock:
        media = call.state.store(MastodonMediaStore).media.get(call.request.path_params["id"])
        if media is None or media.owner != owner:
            return json_response({"error": "Record not found"}, 404)
        return _answer(call, media, processing=206)


def _answer(call: Call, media: MastodonMedia, *, processing: int) -> Response:
    entity = media.entity(call)
    if media.ready(call):
        return json_response(entity)
    media.processing_answers += 1
    return json_response(entity, processing)


def attached(call: Call, media_ids: object) -> list[MastodonMedia] | Response:
    """The media a new status names, in order, or Mastodon's refusal; call with the lock held."""
    if not isinstance(media_ids, list):
        return _invalid("Validation failed: media_ids must be a list")
    if len(media_ids) > MAX_MEDIA_ATTACHMENTS:
        return _invalid(f"Cannot attach more than {MAX_MEDIA_ATTACHMENTS} files")
    owner = _owner(call)
    store = call.state.store(MastodonMediaStore)
    found = [store.media.get(str(each)) for each in media_ids]
    usable = [m if m and m.owner == owner and m.status_id is None else None for m in found]
    missing = [str(each) for each, m in zip(media_ids, usable, strict=True) if m is None]
    if missing:
        return _invalid(f"Media {', '.join(missing)} not found or already attached to another post")
    named = [m for m in usable if m is not None]
    if not all(m.ready(call) for m in named):
        return _invalid(
            "Cannot attach files that have not finished processing. Try again in a moment!"
        )
    return named


def media_limits() -> JSON:
    """``configuration.media_attachments`` of ``GET /api/v2/instance``."""
    return {
        "supported_mime_types": list(SUPPORTED_MIME_TYPES),
        "description_limit": DESCRIPTION_LIMIT,
        "image_size_limit": IMAGE_SIZE_LIMIT,
        "image_matrix_limit": IMAGE_MATRIX_LIMIT,
        "video_size_limit": 41_943_040,
        "video_frame_rate_limit": 60,
        "video_matrix_limit": 2_304_000,
    }


def _owner(call: Call) -> str | None:
    token = call.bearer()
    return call.state.token_digest(token) if token else None


def _invalid(message: str) -> Response:
    return json_response({"error": message}, 422)
