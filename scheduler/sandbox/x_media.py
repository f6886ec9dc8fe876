"""X's media endpoints in the sandbox: ``POST /2/media/upload`` and ``POST /2/media/metadata``,
and the check of ``media.media_ids`` on a new post (PLATFORMS.md §10.1).

As docs.x.com describes them: the upload is multipart (``media``, ``media_category``) and
answers ``data.id`` with ``data.expires_after_secs`` (``settings.x_media_ttl``); the alt text
is ``{"id", "metadata": {"alt_text": {"text"}}}``, at most 1,000 characters; a post attaches
up to four images, and an unknown or expired id is refused with "Your media IDs are invalid."
(X's words as peers' trackers quote them, e.g. tweepy#2016; docs.x.com gives no message).
Every token is the sandbox's one account here (as ``/2/users/me`` says), so media belong to
that account rather than to the token that uploaded them: a token renewed between the upload
and the post may attach them, as on X.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from starlette.responses import Response

from scheduler.sandbox.exchange import Call, json_response
from scheduler.sandbox.forms import read_form
from scheduler.sandbox.state import JSON, ReceivedImage, inspect_image

PLATFORM = "x"
# docs.x.com "Upload media": media_type image/jpeg, bmp, png, webp, pjpeg, tiff for tweet_image;
# GIF goes as tweet_gif, which Tidings does not send (a GIF is stored as its first frame, PNG).
IMAGE_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
IMAGE_BYTES = 5 * 1024 * 1024  # PLATFORMS.md §10.1: images up to 5 MB
ALT_TEXT_LIMIT = 1000
MAX_IMAGES = 4
INVALID_IDS = "Your media IDs are invalid."


@dataclass
class XMedia:
    """One uploaded image, until a post attaches it or it expires."""

    image: ReceivedImage
    expires_at: datetime
    alt: str | None = None

    def described(self) -> JSON:
        """The image as a post's ``details["images"]`` lists it."""
        return {
            "sha256": self.image.sha256,
            "alt": self.alt,
            "width": self.image.width,
            "height": self.image.height,
            "content_type": self.image.content_type,
        }


@dataclass
class XMediaStore:
    """Uploaded media by id."""

    media: dict[str, XMedia] = field(default_factory=dict)


async def upload_media(call: Call) -> Response:
    """``POST /2/media/upload`` (simple, multipart): the image kept, its id and expiry."""
    fields, files = await read_form(call)
    part = files.get("media")
    if part is None:
        return _refused("The `media` field is required.")
    if fields.get("media_category") != "tweet_image":
        return _refused("The `media_category` field must be tweet_image for an image.")
    data, content_type = part.data, part.content_type
    if inspect_image(PLATFORM, data, content_type).format not in IMAGE_FORMATS:
        return _refused("The media type is not supported for tweet_image.")
    if len(data) > IMAGE_BYTES:
        return _refused(f"The image is larger than {IMAGE_BYTES} bytes.")
    image = call.state.receive_image(platform=PLATFORM, data=data, content_type=content_type)
    ttl = call.state.settings.x_media_ttl
    media_id = str(call.state.next_id())
    with call.state.lock:
        store = call.state.store(XMediaStore)
        store.media[media_id] = XMedia(image, call.state.now() + ttl)
    return json_response(
        {"data": {"id": media_id, "media_key": f"3_{media_id}", "size": image.bytes,
                  "expires_after_secs": int(ttl.total_seconds())}}
    )  # fmt: skip


async def media_metadata(call: Call) -> Response:
    """``POST /2/media/metadata``: the alt text of an uploaded image."""
    body = call.payload() or {}
    media_id = body.get("id")
    metadata = body.get("metadata")
    alt_text = metadata.get("alt_text") if isinstance(metadata, dict) else None
    text = alt_text.get("text") if isinstance(alt_text, dict) else None
    if not isinstance(text, str):
        return _refused("The `metadata.alt_text.text` field is required.")
    if len(text) > ALT_TEXT_LIMIT:
        return _refused(f"The alt text is longer than {ALT_TEXT_LIMIT} characters.")
    with call.state.lock:
        media = _live(call, media_id)
        if media is None:
            return _refused(f"The media id [{media_id}] is not valid.")
        media.alt = text
    return json_response(
        {"data": {"id": media_id, "associated_metadata": {"alt_text": {"text": text}}}}
    )


def attached(call: Call, media: object) -> list[XMedia] | Response:
    """The images a new post's ``media`` names, in order, or X's refusal."""
    ids = media.get("media_ids") if isinstance(media, dict) else None
    if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_IMAGES:
        return _refused(INVALID_IDS)
    with call.state.lock:
        found = [_live(call, each) for each in ids]
    named = [each for each in found if each is not None]
    return named if len(named) == len(ids) else _refused(INVALID_IDS)


def _live(call: Call, media_id: object) -> XMedia | None:
    media = call.state.store(XMediaStore).media.get(str(media_id))
    if media is None or media.expires_at <= call.state.now():
        return None
    return media


def _refused(message: str) -> Response:
    return json_response(
        {"errors": [{"message": message}],
         "title": "Invalid Request",
         "detail": "One or more parameters to your request was invalid.",
         "type": "https://api.twitter.com/2/problems/invalid-request"},
        400,
    )  # fmt: skip
