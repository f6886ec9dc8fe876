"""Local copies of the images being published, one file per SHA-256, to stream uploads from.

The media store is the database; an upload streams its body in chunks, which a database row
cannot give. So before an attempt the daemon copies each image it needs, once, into a
private folder of its own (mode 0700, removed when the daemon stops), and every request for
that image, on any platform and any retry, reads the same file. At most one image's bytes
are in memory at a time, while it is copied (the daemon's database thread copies them one
by one), however many posts publish at once.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from drafts.config import Config
from drafts.errors import StorageError
from drafts.media import PostImage, StoredImage
from drafts.media_store import image_bytes
from scheduler.media_links import LINK_LIFETIME, media_link_key, signed_url
from scheduler.platforms.base import JobImage


class MediaSpool:
    """A private folder of image files named by their SHA-256."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="tidings-media-"))

    def path(self, sha256: str) -> Path:
        return self.folder / sha256

    def missing(self, sha256s: list[str]) -> list[str]:
        """Of ``sha256s``, the images not copied yet."""
        return [sha for sha in dict.fromkeys(sha256s) if not self.path(sha).exists()]

    def fill(self, session: Session, sha256: str) -> None:
        """Copy the stored image ``sha256`` here (a no-op when it is here already): written
        to a temporary name, then renamed, so a reader never sees half a file."""
        target = self.path(sha256)
        if target.exists():
            return
        data = image_bytes(session, sha256)
        if data is None:
            raise StorageError(f"image {sha256[:16]} is not in the media store")
        partial = target.with_suffix(".part")
        with partial.open("wb") as handle:
            handle.write(data)
        os.replace(partial, target)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def job_images(
        self, images: tuple[PostImage, ...], links: MediaLinks | None, now: datetime
    ) -> tuple[JobImage, ...]:
        """What an adapter gets for ``images`` (copied here already): each one's file, and its
        signed public link when ``[media] public_url`` is set."""
        return tuple(
            JobImage.sent(
                each,
                path=self.path(each.image.sha256),
                url=links.url(each.image, now) if links else None,
            )
            for each in images
        )


def media_links(config: Config) -> MediaLinks | None:
    """The signer of public image links, if ``[media] public_url`` is set; a ConfigError
    naming the variable when no key to sign with is set."""
    public_url = config.media.public_url
    return MediaLinks(public_url, media_link_key(os.environ)) if public_url else None


@dataclass(frozen=True)
class MediaLinks:
    """Signs the links ``tidings web`` serves approved images at, for platforms that fetch."""

    public_url: str
    key: bytes

    def url(self, image: StoredImage, now: datetime) -> str:
        return signed_url(self.public_url, image, now + LINK_LIFETIME, self.key)
