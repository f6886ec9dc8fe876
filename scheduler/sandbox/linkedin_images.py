"""LinkedIn's Images API in the sandbox: registered uploads, their bytes, their status, and the
images a post names (PLATFORMS.md §10.1; Microsoft Learn "Images API", "MultiImage API").

``initializeUpload`` registers an image (``WAITING_UPLOAD``) and answers an absolute upload
URL; the PUT of its bytes makes it ``PROCESSING`` for ``processing_checks`` status reads, then
``AVAILABLE`` (set ``state.store(LinkedInImages).processing_checks`` to make LinkedIn slow).
A post may name only images that are ``AVAILABLE`` and owned by its author: one in
``content.media``, two to twenty in ``content.multiImage.images``. How LinkedIn words a
refusal of an image that is not ready is not documented; the sandbox answers 422 with an
input error at the field, as it refuses other fields.

The handlers (with LinkedIn's headers and errors) are in ``linkedin``; this module keeps the
images and says what a request comes to.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from scheduler.sandbox.state import JSON, SandboxState

UPLOAD_PATH = "/dms-uploads"
UPLOAD_URL_LIFETIME = timedelta(days=1)
MAX_MULTI_IMAGES = 20


@dataclass
class RegisteredImage:
    """One ``urn:li:image``: its owner, its status and, once its bytes came, their SHA-256."""

    urn: str
    owner: str
    token: str
    status: str = "WAITING_UPLOAD"
    checks_left: int = 0
    sha256: str | None = None


@dataclass
class LinkedInImages:
    """Registered images by URN and by upload token; how many status reads processing takes."""

    by_urn: dict[str, RegisteredImage] = field(default_factory=dict)
    by_token: dict[str, RegisteredImage] = field(default_factory=dict)
    processing_checks: int = 0


def register(state: SandboxState, owner: str, base_url: str, now: datetime) -> JSON:
    """A new image for ``owner``: the ``value`` of the initializeUpload answer."""
    images = state.store(LinkedInImages)
    with state.lock:
        image = RegisteredImage(
            urn=f"urn:li:image:D4E10AQ{state.next_id()}",
            owner=owner,
            token=secrets.token_urlsafe(16),
        )
        images.by_urn[image.urn] = image
        images.by_token[image.token] = image
    expires = now + UPLOAD_URL_LIFETIME
    return {
        "uploadUrlExpiresAt": int(expires.timestamp() * 1000),
        "uploadUrl": f"{base_url}{UPLOAD_PATH}/{image.token}",
        "image": image.urn,
    }


def receive(state: SandboxState, token: str, data: bytes, content_type: str) -> bool:
    """Take the bytes PUT to an upload URL; False when the URL is not one LinkedIn gave."""
    images = state.store(LinkedInImages)
    with state.lock:
        image = images.by_token.get(token)
        if image is None:
            return False
        received = state.receive_image(platform="linkedin", data=data, content_type=content_type)
        image.sha256 = received.sha256
        image.status = "PROCESSING"
        image.checks_left = images.processing_checks
        return True


def status_of(state: SandboxState, urn: str) -> JSON | None:
    """The image as ``GET /rest/images/{urn}`` shows it; each read of one still processing
    brings it closer to ``AVAILABLE``."""
    with state.lock:
        image = state.store(LinkedInImages).by_urn.get(urn)
        if image is None:
            return None
        if image.status == "PROCESSING":
            if image.checks_left > 0:
                image.checks_left -= 1
            else:
                image.status = "AVAILABLE"
        return {"id": image.urn, "owner": image.owner, "status": image.status}


def attached(state: SandboxState, body: JSON) -> list[JSON] | tuple[str, str]:
    """The images a post's ``content`` names, as ``ReceivedPost.details["images"]`` lists
    them; or what is wrong and at which field."""
    content = body.get("content")
    if not isinstance(content, dict):
        return []
    if "media" in content:
        entries, path = [content["media"]], "/content/media"
    elif "multiImage" in content:
        images = (content["multiImage"] or {}).get("images")
        if not isinstance(images, list) or not 2 <= len(images) <= MAX_MULTI_IMAGES:
            return f"A MultiImage post has 2 to {MAX_MULTI_IMAGES} images", (
                "/content/multiImage/images"
            )
        entries, path = images, "/content/multiImage/images"
    else:
        return []
    shown: list[JSON] = []
    for index, entry in enumerate(entries):
        where = path if path.endswith("media") else f"{path}/{index}"
        found = _available(state, entry, str(body.get("author")))
        if isinstance(found, str):
            return found, f"{where}/id"
        shown.append(found)
    return shown


def _available(state: SandboxState, entry: Any, author: str) -> JSON | str:
    urn = entry.get("id") if isinstance(entry, dict) else None
    with state.lock:
        image = state.store(LinkedInImages).by_urn.get(str(urn))
    if image is None:
        return f"Image {urn} does not exist"
    if image.owner != author:
        return f"Image {urn} is owned by {image.owner}, not by the post's author"
    if image.status != "AVAILABLE" or image.sha256 is None:
        return f"Image {urn} is not AVAILABLE ({image.status})"
    received = state.image(image.sha256)
    assert received is not None  # kept when its bytes came
    alt = entry.get("altText", "")
    return {
        "sha256": received.sha256,
        "alt": alt if isinstance(alt, str) else "",
        "width": received.width,
        "height": received.height,
        "content_type": received.content_type,
    }
