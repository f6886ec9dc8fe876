"""Which version of each image each post sends, decided at compose time, and what keeps an
image post from review.

The planner reads the media store: the image a draft names must be stored already (the CLI
reads files beside the draft, the web app stores uploads), and the version a channel gets is
the original when its platform takes it, else the one ``drafts.media_variants`` makes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session

from drafts.channels import Channel
from drafts.config import Config
from drafts.errors import DraftError
from drafts.media import MediaRef, PostImage
from drafts.media_limits import ImageProfile, image_profile, learned_media_limits
from drafts.media_store import stored_image
from drafts.media_variants import variant_for


class StoredMedia:
    """A ``drafts.composing.MediaPlanner`` over the media store of ``session``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.learned: Mapping[str, Mapping[str, Any]] = learned_media_limits(session)

    def plan(self, ref: MediaRef, channel: Channel, language: str) -> PostImage:
        assert ref.sha256 is not None, "files are read into the store before composing"
        original = stored_image(self.session, ref.sha256)
        if original is None:
            raise DraftError(f"media: no stored image {ref.sha256[:16]} (upload it again)")
        sent, change = variant_for(self.session, original, image_profile(channel, self.learned))
        return PostImage(
            image=sent,
            alt=ref.alt_for(language),
            original=original.sha256,
            change=change,
            name=ref.file or "",
        )


def image_problems(
    images: Sequence[PostImage],
    channel: Channel,
    config: Config,
    learned: Mapping[str, Mapping[str, Any]],
) -> list[str]:
    """What keeps a post's images from going out as reviewed: missing or over-long alt text,
    more images than the platform takes, bytes it would refuse, or no public address for a
    platform that fetches images."""
    if not images:
        return []
    profile = image_profile(channel, learned)
    found: list[str] = []
    if len(images) > profile.max_images:
        found.append(f"{len(images)} images; {channel.platform} takes at most {profile.max_images}")
    if channel.platform == "threads" and config.media.public_url is None:
        found.append(
            "Threads fetches images from a public address: set [media] public_url in config.toml"
        )
    for number, image in enumerate(images, start=1):
        found += _one_image_problems(number, image, profile, config)
    return found


def _one_image_problems(
    number: int, image: PostImage, profile: ImageProfile, config: Config
) -> list[str]:
    found: list[str] = []
    refusal = profile.refusal(image.image)
    if refusal:
        found.append(f"image {number}: {refusal}")
    if not image.alt and config.media.require_alt and profile.shows_alt:
        found.append(f"image {number} has no alt text ([media] require_alt)")
    elif image.alt and (problem := profile.alt_problem(image.alt)):
        found.append(f"image {number}: {problem}")
    return found
