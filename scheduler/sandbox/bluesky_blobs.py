"""Bluesky blobs in the sandbox: ``uploadBlob``, and the images a post record embeds.

Follows PLATFORMS.md §10.1 and the PDS (bluesky-social/atproto
packages/pds/src/actor-store/blob/transactor.ts): an upload is the raw bytes with their
``Content-Type`` and answers ``{"blob": {"$type": "blob", "ref": {"$link": CID}, "mimeType",
"size"}}``, the CID being a CIDv1 of the raw codec over the bytes' SHA-256 (atproto.com/specs
/blob). A blob over 1,000,000 bytes is refused with 400 ``BlobTooLarge`` and the PDS's message
("This file is too large. It is 1.47MB but the maximum size is 976.56KB.", as peers quote
it). A record naming a blob the account never uploaded is refused with 400 ``BlobNotFound``,
and one whose ``mimeType`` or ``size`` differ from the upload with ``InvalidMimeType`` /
``InvalidSize``, as the PDS does. Each uploaded image is kept with ``receive_image``.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from scheduler.sandbox.exchange import Call, json_response
from scheduler.sandbox.state import JSON

EMBED_IMAGES = "app.bsky.embed.images"
BLOB_LIMIT = 1_000_000
# CIDv1, raw codec, sha2-256 with a 32-byte digest.
_RAW_CID_PREFIX = bytes([0x01, 0x55, 0x12, 0x20])


@dataclass
class BlueskyBlobs:
    """Uploaded blobs by (did, CID): what the upload said and the SHA-256 of its bytes."""

    blobs: dict[tuple[str, str], JSON] = field(default_factory=dict)


def blob_cid(data: bytes) -> str:
    """The CID of a blob, base32 with the ``b`` multibase prefix (``bafkrei…``)."""
    raw = _RAW_CID_PREFIX + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


def pretty_size(count: int) -> str:
    """A size as the PDS's BlobTooLarge message writes it (binary units): ``976.56KB``."""
    value, unit = (count / 1024 / 1024, "MB") if count >= 1024 * 1024 else (count / 1024, "KB")
    return f"{value:.2f}".rstrip("0").rstrip(".") + unit


def _error(status: int, name: str, message: str) -> Response:
    return json_response({"error": name, "message": message}, status)


def upload_blob(call: Call, did: str) -> Response:
    """``com.atproto.repo.uploadBlob`` for the account ``did``."""
    data = call.body
    if len(data) > BLOB_LIMIT:
        return _error(
            400,
            "BlobTooLarge",
            f"This file is too large. It is {pretty_size(len(data))} but the maximum size "
            f"is {pretty_size(BLOB_LIMIT)}.",
        )
    mime = call.request.headers.get("content-type") or "application/octet-stream"
    call.state.receive_image(platform="bluesky", data=data, content_type=mime)
    cid = blob_cid(data)
    with call.state.lock:
        call.state.store(BlueskyBlobs).blobs[(did, cid)] = {
            "mimeType": mime,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    return json_response(
        {"blob": {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(data)}}
    )


def embedded_images(call: Call, did: str, record: JSON) -> list[JSON] | Response:
    """The images a valid record embeds, as ``ReceivedPost.details["images"]`` lists them;
    or the PDS's refusal when a blob is unknown to the account or differs from its upload."""
    embed = record.get("embed")
    if not isinstance(embed, dict) or embed.get("$type") != EMBED_IMAGES:
        return []
    shown: list[JSON] = []
    for entry in embed["images"]:
        blob = entry["image"]
        cid = blob["ref"]["$link"]
        with call.state.lock:
            uploaded = call.state.store(BlueskyBlobs).blobs.get((did, cid))
        if uploaded is None:
            return _error(400, "BlobNotFound", f"Could not find blob: {cid}")
        if blob["mimeType"] != uploaded["mimeType"]:
            return _error(
                400,
                "InvalidMimeType",
                "Referenced Mimetype does not match stored blob. Expected: "
                f"{uploaded['mimeType']}, Got: {blob['mimeType']}",
            )
        if blob["size"] != uploaded["size"]:
            return _error(
                400,
                "InvalidSize",
                "Referenced Size does not match stored blob. Expected: "
                f"{uploaded['size']}, Got: {blob['size']}",
            )
        shown.append(_shown(call, uploaded, entry))
    return shown


def _shown(call: Call, uploaded: JSON, entry: JSON) -> JSON:
    received = call.state.image(uploaded["sha256"])
    ratio: Any = entry["aspectRatio"]
    return {
        "sha256": uploaded["sha256"],
        "alt": entry["alt"],
        "width": received.width if received else 0,
        "height": received.height if received else 0,
        "content_type": uploaded["mimeType"],
        "aspect_ratio": {"width": ratio["width"], "height": ratio["height"]},
    }
