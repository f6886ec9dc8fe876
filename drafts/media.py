"""Images: the words every part of Tidings uses for them.

A draft names up to ``MAX_IMAGES`` images (``MediaRef``), each with alt text per language.
The store keeps each image once, cleaned, by its SHA-256 (``StoredImage``). Each post sends
the version its platform takes (``PostImage``): the original, or one re-encoded or downsized
for that platform at compose time, with the alt text in the post's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_IMAGES = 4

# The formats Tidings takes in and sends, by content type, with the extension links use.
EXTENSIONS: Mapping[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
}


@dataclass(frozen=True)
class StoredImage:
    """An image as the media store holds it: its bytes are known by ``sha256`` alone."""

    sha256: str
    content_type: str
    width: int
    height: int
    bytes: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]

    def describe(self) -> str:
        """``1600×1200 JPEG, 412 KB``: what people are shown of it."""
        kind = self.content_type.removeprefix("image/").upper()
        return f"{self.width}×{self.height} {kind}, {size_text(self.bytes)}"


@dataclass(frozen=True)
class MediaRef:
    """One ``[[media]]`` entry of a draft: a file beside the draft (``file``) or an image
    already in the store (``sha256``, as the web app's uploads are), its alt text by language,
    and the channels that carry it (None: every channel)."""

    file: str | None
    sha256: str | None
    alt: Mapping[str, str]
    channels: tuple[str, ...] | None = None

    def alt_for(self, language: str) -> str:
        return self.alt.get(language, "")

    def carried_by(self, channel: str) -> bool:
        return self.channels is None or channel in self.channels


@dataclass(frozen=True)
class PostImage:
    """One image as one post sends it."""

    image: StoredImage  # the version that goes out
    alt: str
    original: str  # the SHA-256 of the image as the author gave it
    change: str | None = None  # what was done to the original for this platform, if anything
    name: str = ""  # the file the draft named, if it named one

    def hash_row(self) -> list[str]:
        """What approval binds: the bytes that go out and their alt text."""
        return [self.image.sha256, self.alt]

    def to_json(self, remote_id: str | None = None) -> dict[str, Any]:
        """The JSON ``media`` entry (PRODUCT.md "Images")."""
        return {
            "sha256": self.image.sha256,
            "content_type": self.image.content_type,
            "width": self.image.width,
            "height": self.image.height,
            "bytes": self.image.bytes,
            "alt": self.alt,
            "remote_id": remote_id,
            "file": self.name or None,
            "original_sha256": self.original,
            "change": self.change,
        }


def size_text(count: int) -> str:
    """A byte count as people read it: ``812 bytes``, ``412 KB``, ``4.8 MB`` (decimal units,
    as the platforms state their limits)."""
    if count < 1000:
        return f"{count} bytes"
    if count < 1_000_000:
        return f"{count / 1000:.0f} KB"
    return f"{count / 1_000_000:.1f} MB"
