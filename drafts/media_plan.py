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
from drafts.messages import N_, Said, problem, said

NOT_STORED = N_("no stored image %(image)s (upload it again)")
TOO_MANY = N_("%(count)s images; %(platform)s takes at most %(most)s")
NO_PUBLIC_URL = N_(
    "Threads fetches images from a public address: set [media] public_url in config.toml"
)
AT_IMAGE = N_("image %(number)s: %(problem)s")
NO_ALT = N_("image %(number)s has no alt text ([media] require_alt)")


class StoredMedia:
    """A ``drafts.composing.MediaPlanner`` over the media store of ``session``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.learned: Mapping[str, Mapping[str, Any]] = learned_media_limits(session)

    def plan(self, ref: MediaRef, channel: Channel, language: str) -> PostImage:
        assert ref.sha256 is not None, "files are read into the store before composing"
        original = stored_image(self.session, ref.sha256)
        if original is None:
            raise DraftError(problem("media", NOT_STORED, image=ref.sha256[:16]))
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
) -> list[Said]:
    """What keeps a post's images from going out as reviewed: missing or over-long alt text,
    more images than the platform takes, bytes it would refuse, or no public address for a
    platform that fetches images."""
    if not images:
        return []
    profile = image_profile(channel, learned)
    found: list[Said] = []
    if len(images) > profile.max_images:
        most = profile.max_images
        found.append(said(TOO_MANY, count=len(images), platform=channel.platform, most=most))
    if channel.platform == "threads" and config.media.public_url is None:
        found.append(said(NO_PUBLIC_URL))
    for number, image in enumerate(images, start=1):
        found += _one_image_problems(number, image, profile, config)
    return found


def _one_image_problems(
    number: int, image: PostImage, profile: ImageProfile, config: Config
) -> list[Said]:
    found: list[Said] = []
    refusal = profile.refusal(image.image)
    if refusal:
        found.append(said(AT_IMAGE, number=number, problem=refusal))
    if not image.alt and config.media.require_alt and profile.shows_alt:
        found.append(said(NO_ALT, number=number))
    elif image.alt and (alt_problem := profile.alt_problem(image.alt)):
        found.append(said(AT_IMAGE, number=number, problem=alt_problem))
    return found
