"""What each platform takes in an image: formats, bytes, pixels, shape, images per post and
alt text, as the platforms document them (PLATFORMS.md section 10.1).

Each value names its source beside it. Where only a secondary source states a limit (⚠) or
none does (❓), the reading chosen is the one that can only make Tidings re-encode too early,
never send bytes the platform would refuse. Limits a platform states as "less than N" are kept
as "at most N - 1", so every ``max_`` here reads "at most".

A Mastodon instance states its own limits (``GET /api/v2/instance``); ``tidings channels
check`` stores them with ``remember_media_limits`` and they replace Mastodon's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from sqlmodel import Session, col, select

from drafts.channels import Channel
from drafts.media import EXTENSIONS, MAX_IMAGES, StoredImage
from drafts.messages import N_, Said, said
from drafts.models import ChannelState
from drafts.text_rules.graphemes import count_graphemes
from drafts.times import utcnow

JPEG, PNG, GIF, WEBP = "image/jpeg", "image/png", "image/gif", "image/webp"
FORMAT_NAMES: Mapping[str, str] = {JPEG: "JPEG", PNG: "PNG", GIF: "GIF", WEBP: "WebP"}
PLATFORM_NAMES: Mapping[str, str] = {
    "linkedin": "LinkedIn",
    "x": "X",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "facebook": "Facebook",
    "threads": "Threads",
    "telegram": "Telegram",
    "webhook": N_("Webhook"),  # not a brand: the web says it in the reader's language
}
# What an image is, and what a platform takes instead, each said as a sentence of its own.
REFUSED = N_("%(fact)s; %(platform)s takes %(rule)s")
TOO_OBLONG = N_("one side is %(ratio)s times the other (%(size)s)")
OBLONG_RULE = N_("one side at most %(ratio)s times the other")
A_FORMAT = N_("a %(format)s image")
EITHER = N_("%(some)s or %(last)s")
BYTES = N_("%(count)s bytes")
BYTES_RULE = N_("at most %(count)s bytes")
PIXELS = N_("%(count)s pixels (%(size)s)")
PIXELS_RULE = N_("at most %(count)s pixels")
WIDTH = N_("%(count)s pixels wide")
WIDTH_RULE = N_("at most %(count)s pixels wide")
SIDES = N_("width plus height is %(count)s (%(size)s)")
SIDES_RULE = N_("width plus height of at most %(count)s")
LONG_ALT = N_("alt text is %(length)s characters; %(platform)s takes %(most)s")
NO_LEARNED: Mapping[str, Mapping[str, Any]] = MappingProxyType({})
# What ``channels check`` may learn from a Mastodon instance, and how each value is checked.
_COUNTS = ("image_size_limit", "image_matrix_limit", "max_media_attachments", "description_limit")
_TYPES = "supported_mime_types"


@dataclass(frozen=True)
class ImageProfile:
    """One platform's limits on the images of one post. None: no limit."""

    platform: str
    content_types: frozenset[str]  # formats the platform takes
    max_bytes: int | None
    max_pixels: int | None  # width × height
    max_width: int | None
    max_side_sum: int | None  # width + height
    max_ratio: float | None  # longer side / shorter side
    max_images: int  # per post
    alt_limit: int | None
    alt_in_graphemes: bool  # Bluesky counts graphemes; the others characters
    shows_alt: bool  # False where readers never see alt text (Telegram)

    @property
    def name(self) -> str:
        return PLATFORM_NAMES.get(self.platform, self.platform)

    def key(self) -> str:
        """Every limit that decides an image's bytes, as stable text (the ``media_variant``
        cache key, at most 200 characters). Counts and alt text are left out: they change no
        variant, and a new alt limit must not make every image again."""
        types = ",".join(sorted(EXTENSIONS[kind] for kind in self.content_types))
        limits = (self.max_bytes, self.max_pixels, self.max_width, self.max_side_sum)
        numbers = " ".join(
            f"{label}={'-' if value is None else value}"
            for label, value in zip(("bytes", "pixels", "width", "sides"), limits, strict=True)
        )
        ratio = "-" if self.max_ratio is None else f"{self.max_ratio:g}"
        return f"{self.platform} {types} {numbers} ratio={ratio}"

    def refusal(self, image: StoredImage) -> Said | None:
        """Why the platform would refuse these bytes (the first reason, an unfixable shape
        first), or None when it takes them."""
        problems = self.problems(image)
        if not problems:
            return None
        fact, rule = problems[0]
        return said(REFUSED, fact=fact, platform=said(self.name), rule=rule)

    def problems(self, image: StoredImage) -> list[tuple[Said, Said | str]]:
        """Every limit ``image`` breaks, as (what the image is, what the platform takes)."""
        width, height = image.width, image.height
        size = f"{width}×{height}"
        found: list[tuple[Said, Said | str]] = []
        ratio = max(width, height) / max(1, min(width, height))
        if self.max_ratio is not None and ratio > self.max_ratio:
            found.append(
                (
                    said(TOO_OBLONG, ratio=f"{ratio:.1f}", size=size),
                    said(OBLONG_RULE, ratio=f"{self.max_ratio:g}"),
                )
            )
        if image.content_type not in self.content_types:
            kind = FORMAT_NAMES.get(image.content_type, image.content_type)
            found.append((said(A_FORMAT, format=kind), self._formats()))
        if self.max_bytes is not None and image.bytes > self.max_bytes:
            found.append(
                (
                    said(BYTES, count=f"{image.bytes:,}"),
                    said(BYTES_RULE, count=f"{self.max_bytes:,}"),
                )
            )
        if self.max_pixels is not None and width * height > self.max_pixels:
            found.append(
                (
                    said(PIXELS, count=f"{width * height:,}", size=size),
                    said(PIXELS_RULE, count=f"{self.max_pixels:,}"),
                )
            )
        if self.max_width is not None and width > self.max_width:
            found.append(
                (said(WIDTH, count=f"{width:,}"), said(WIDTH_RULE, count=f"{self.max_width:,}"))
            )
        if self.max_side_sum is not None and width + height > self.max_side_sum:
            found.append(
                (
                    said(SIDES, count=f"{width + height:,}", size=size),
                    said(SIDES_RULE, count=f"{self.max_side_sum:,}"),
                )
            )
        return found

    def alt_problem(self, alt: str) -> Said | None:
        """Why the platform would refuse ``alt`` as an image's alt text, or None."""
        if self.alt_limit is None:
            return None
        length = count_graphemes(alt) if self.alt_in_graphemes else len(alt)
        if length <= self.alt_limit:
            return None
        most = f"{self.alt_limit:,}"
        return said(LONG_ALT, length=f"{length:,}", platform=said(self.name), most=most)

    def _formats(self) -> Said | str:
        names = [FORMAT_NAMES[kind] for kind in EXTENSIONS if kind in self.content_types]
        if len(names) == 1:
            return names[0]
        return said(EITHER, some=", ".join(names[:-1]), last=names[-1])


def _profile(
    platform: str,
    content_types: set[str],
    *,
    max_bytes: int | None = None,
    max_pixels: int | None = None,
    max_width: int | None = None,
    max_side_sum: int | None = None,
    max_ratio: float | None = None,
    max_images: int = MAX_IMAGES,
    alt_limit: int | None = None,
    alt_in_graphemes: bool = False,
    shows_alt: bool = True,
) -> ImageProfile:
    return ImageProfile(
        platform=platform,
        content_types=frozenset(content_types),
        max_bytes=max_bytes,
        max_pixels=max_pixels,
        max_width=max_width,
        max_side_sum=max_side_sum,
        max_ratio=max_ratio,
        max_images=min(MAX_IMAGES, max_images),
        alt_limit=alt_limit,
        alt_in_graphemes=alt_in_graphemes,
        shows_alt=shows_alt,
    )


PROFILES: Mapping[str, ImageProfile] = {
    # Microsoft Learn "Images API" via ⚠ CData's LinkedIn connector docs (UploadImage): JPG,
    # PNG, GIF, "a total pixel count (width X height) less than 36,152,320". "MultiImage API":
    # 2 to 20 images. altText: ❓ no documented limit.
    "linkedin": _profile("linkedin", {JPEG, PNG, GIF}, max_pixels=36_152_320 - 1, max_images=20),
    # docs.x.com/x-api/media: "Image: 5 MB" (read as 5,000,000, the smaller); PLATFORMS.md
    # 10.1: at most 4 photos. Formats ⚠ hexdocs x_client: JPEG, PNG, GIF, WEBP. Alt text:
    # ⚠ POST /2/media/metadata alt_text.text maxLength 1000 (twapi-v2's copy of X's OpenAPI).
    "x": _profile("x", {JPEG, PNG, GIF, WEBP}, max_bytes=5_000_000, alt_limit=1_000),
    # bluesky-social/atproto lexicons/app/bsky/embed/images.json: image blob "accept":
    # ["image/*"], "maxSize": 1000000, at most 4 images (newer lexicons say 2,000,000, but older
    # and self-hosted PDSs refuse more: PLATFORMS.md 10.1). Alt: bluesky-social/social-app
    # src/lib/constants.ts MAX_ALT_TEXT = 2000, counted in graphemes.
    "bluesky": _profile(
        "bluesky",
        {JPEG, PNG, GIF, WEBP},
        max_bytes=1_000_000,
        alt_limit=2_000,
        alt_in_graphemes=True,
    ),
    # ⚠ Graph API error 100 / subcode 1366046 (facebookarchive/php-graph-sdk#711): "Photos
    # should be less than 4 MB"; its list of formats has grown (GIF, TIFF, HEIF, WebP), JPEG
    # and PNG are the two every version lists. alt_text_custom: ❓ no documented limit.
    "facebook": _profile("facebook", {JPEG, PNG}, max_bytes=4_000_000 - 1),
    # ⚠ Meta's Threads image specifications as ayrshare.com/docs/media-guidelines/threads and
    # docs.upload-post.com quote them: JPEG and PNG, 8 MB, width at most 1,440 ("scaled down"
    # past it: sending it so is sending what the preview shows), aspect ratio limit 10:1.
    # Carousels hold 2 to 20 items. alt_text: ❓ no documented limit.
    "threads": _profile(
        "threads", {JPEG, PNG}, max_bytes=8_000_000, max_width=1_440, max_ratio=10.0
    ),
    # core.telegram.org/bots/api#sendphoto: "The photo must be at most 10 MB in size. The
    # photo's width and height must not exceed 10000 in total. Width and height ratio must be
    # at most 20." sendMediaGroup: 2 to 10. Formats: ❓ undocumented; JPEG and PNG, which
    # every peer lists. Telegram shows no alt text.
    "telegram": _profile(
        "telegram",
        {JPEG, PNG},
        max_bytes=10_000_000,
        max_side_sum=10_000,
        max_ratio=20.0,
        shows_alt=False,
    ),
    # Our own contract (PRODUCT.md "Images"): the receiver gets every format, as stored.
    "webhook": _profile("webhook", set(EXTENSIONS)),
}

# Until ``channels check`` asks the instance: the values of Mastodon's documented example
# answer (mastodon/documentation content/en/methods/instance.md, GET /api/v2/instance):
# image_size_limit 10485760, image_matrix_limit 16777216, max_media_attachments 4,
# description_limit 1500 (mastodon/mastodon app/models/media_attachment.rb validates
# description length maximum 1_500). Formats: JPEG, PNG and GIF, which every version takes
# (media_attachment.rb IMAGE_MIME_TYPES); WebP once the instance says so.
MASTODON = _profile(
    "mastodon",
    {JPEG, PNG, GIF},
    max_bytes=10_485_760,
    max_pixels=16_777_216,
    max_images=4,
    alt_limit=1_500,
)


def image_profile(
    channel: Channel, learned: Mapping[str, Mapping[str, Any]] = NO_LEARNED
) -> ImageProfile:
    """The image limits of ``channel``: its platform's, or for Mastodon the instance's as
    ``channels check`` learned them (``learned``, by channel id)."""
    if channel.platform == "mastodon":
        return _mastodon(checked_media_limits(learned.get(channel.id, {})))
    return PROFILES[channel.platform]


def _mastodon(limits: Mapping[str, Any]) -> ImageProfile:
    types = set(limits.get(_TYPES, ())) & set(EXTENSIONS)
    return replace(
        MASTODON,
        content_types=frozenset(types) or MASTODON.content_types,
        max_bytes=limits.get("image_size_limit", MASTODON.max_bytes),
        max_pixels=limits.get("image_matrix_limit", MASTODON.max_pixels),
        max_images=min(MAX_IMAGES, limits.get("max_media_attachments", MASTODON.max_images)),
        alt_limit=limits.get("description_limit", MASTODON.alt_limit),
    )


def checked_media_limits(limits: Mapping[str, Any]) -> dict[str, Any]:
    """The values of ``limits`` Tidings knows and can trust: positive counts and a list of
    content types. Anything else an instance says is left out, so its default stands."""
    checked: dict[str, Any] = {
        key: value
        for key in _COUNTS
        if isinstance(value := limits.get(key), int) and not isinstance(value, bool) and value > 0
    }
    types = limits.get(_TYPES)
    if isinstance(types, list) and all(isinstance(kind, str) for kind in types):
        checked[_TYPES] = list(types)
    return checked


def learned_media_limits(session: Session) -> dict[str, dict[str, Any]]:
    """The image limits each channel's platform reported, by channel id."""
    rows = session.exec(select(ChannelState).where(col(ChannelState.media_limits).is_not(None)))
    return {row.channel: dict(row.media_limits) for row in rows if row.media_limits}


def remember_media_limits(session: Session, channel: str, limits: Mapping[str, Any]) -> None:
    """Store what a platform reported about images (a Mastodon instance's
    ``configuration.media_attachments`` and ``max_media_attachments``), the values Tidings can
    use only."""
    state = session.get(ChannelState, channel) or ChannelState(channel=channel)
    state.media_limits, state.updated_at = checked_media_limits(limits), utcnow()
    session.add(state)
