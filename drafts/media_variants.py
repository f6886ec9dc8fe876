"""Each platform's version of an image: the original when the platform takes it, else one
re-encoded or downsized at compose time, made once and kept.

A variant is a pure function of the original's bytes and the limits it must meet (the
profile's ``key``), so it is made once and remembered in ``media_variant`` under both: every
later post, preview and daemon reads the same bytes, and the approval that covered them holds.
The steps are fixed so that the same input gives the same bytes on every run: the format
(kept when the platform takes it), a LANCZOS scale to fit the pixel and width limits, a fixed
ladder of qualities, then smaller sizes until the bytes fit.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator

from PIL import Image
from sqlmodel import Session

from drafts.media import StoredImage
from drafts.media_limits import FORMAT_NAMES, JPEG, PNG, WEBP, ImageProfile
from drafts.media_store import CleanImage, MediaError, encode, image_bytes, keep, stored_image
from drafts.models import MediaVariant

# Tried in order at each size; the first that fits is kept (JPEG and WebP; PNG has one).
QUALITIES = (90, 82, 74, 66)
# Each smaller size is at most this fraction of the last, each side.
SHRINK = 0.8
# Aim a little under a byte limit when guessing the next size, so that one step mostly does.
MARGIN = 0.95
# An image this small that still does not fit never will: the original stands.
MIN_SIDE = 32


def variant_for(
    session: Session, original: StoredImage, profile: ImageProfile
) -> tuple[StoredImage, str | None]:
    """The version of ``original`` that a platform with ``profile`` takes, and what was done
    to it (None for the original itself).

    The original comes back unchanged when the platform takes it, and also when no version
    would do: a shape past ``max_ratio`` cannot be fixed by scaling, and the author must crop
    it. ``profile.refusal`` then names the problem where the post is checked."""
    problems = profile.problems(original)
    if not problems or _unfixable(original, profile):
        return original, None
    key = profile.key()
    known = session.get(MediaVariant, (original.sha256, key))
    if known is not None and (kept := stored_image(session, known.sha256)) is not None:
        return kept, known.change
    made = _made(session, original, profile)
    if made is None:
        return original, None
    variant = keep(session, made)
    change = _change(original, variant, profile.name, [str(rule) for _, rule in problems])
    session.merge(
        MediaVariant(
            source_sha256=original.sha256, profile=key, sha256=variant.sha256, change=change
        )
    )
    session.flush()
    return variant, change


def _unfixable(original: StoredImage, profile: ImageProfile) -> bool:
    """Whether the shape alone breaks the limits: scaling keeps the ratio of the sides."""
    ratio = max(original.width, original.height) / max(1, min(original.width, original.height))
    return profile.max_ratio is not None and ratio > profile.max_ratio


def _made(session: Session, original: StoredImage, profile: ImageProfile) -> CleanImage | None:
    """The first version the profile takes, trying smaller sizes in turn; None if none does."""
    data = image_bytes(session, original.sha256)
    if data is None:
        raise MediaError(f"image {original.sha256[:16]}: not in the media store")
    with Image.open(io.BytesIO(data)) as opened:
        opened.load()
        icc = opened.info.get("icc_profile")
        image = _resizable(opened)
    content_type = _target(original, image, profile)
    if content_type is None:
        return None
    size = _fitted(image.size, profile)
    while min(size) >= MIN_SIDE:
        scaled = image if size == image.size else image.resize(size, Image.Resampling.LANCZOS)
        smallest: CleanImage | None = None
        for quality in _qualities(content_type):
            smallest = encode(scaled, content_type, icc, quality=quality)
            if not profile.problems(smallest.stored):
                return smallest
        assert smallest is not None
        size = _smaller(size, smallest.stored.bytes, profile.max_bytes)
    return None


def _resizable(image: Image.Image) -> Image.Image:
    """``image`` in a mode LANCZOS works in (a palette would scale by nearest pixel)."""
    if image.mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode == "1":
        return image.convert("L")
    return image


def _target(original: StoredImage, image: Image.Image, profile: ImageProfile) -> str | None:
    """The format of the variant: the original's when the platform takes it, except a PNG
    with no transparency that is over the byte limit (a photo saved as PNG, which as JPEG
    keeps its pixels); else PNG for an image that has transparency, JPEG for one that has not."""
    accepted = profile.content_types
    transparent = _transparent(image)
    too_big = profile.max_bytes is not None and original.bytes > profile.max_bytes
    if original.content_type in accepted:
        photo_as_png = original.content_type == PNG and too_big and not transparent
        if not (photo_as_png and JPEG in accepted):
            return original.content_type
    if transparent and PNG in accepted:
        return PNG
    for kind in (JPEG, PNG):
        if kind in accepted:
            return kind
    return None


def _transparent(image: Image.Image) -> bool:
    if image.mode not in {"RGBA", "LA"}:
        return False
    darkest = image.getchannel("A").getextrema()[0]
    return isinstance(darkest, int) and darkest < 255


def _fitted(size: tuple[int, int], profile: ImageProfile) -> tuple[int, int]:
    """``size`` scaled down, keeping its shape, to fit the pixel, width and side-sum limits."""
    width, height = size
    scale = 1.0
    if profile.max_pixels is not None:
        scale = min(scale, math.sqrt(profile.max_pixels / (width * height)))
    if profile.max_width is not None:
        scale = min(scale, profile.max_width / width)
    if profile.max_side_sum is not None:
        scale = min(scale, profile.max_side_sum / (width + height))
    return _scaled(size, scale)


def _smaller(size: tuple[int, int], made_bytes: int, max_bytes: int | None) -> tuple[int, int]:
    """The next size to try after ``size`` gave ``made_bytes`` at the lowest quality: smaller
    by ``SHRINK``, or by as much as the bytes suggest (they grow with the pixels)."""
    scale = SHRINK
    if max_bytes is not None and made_bytes > max_bytes:
        scale = min(scale, math.sqrt(max_bytes / made_bytes) * MARGIN)
    return _scaled(size, scale)


def _scaled(size: tuple[int, int], scale: float) -> tuple[int, int]:
    # Rounding down keeps every limit met; the shape stays within a pixel of the original's.
    if scale >= 1:
        return size
    width, height = size
    return max(1, math.floor(width * scale + 1e-9)), max(1, math.floor(height * scale + 1e-9))


def _qualities(content_type: str) -> Iterator[int | None]:
    if content_type in {JPEG, WEBP}:
        yield from QUALITIES
    else:
        yield None


def _change(original: StoredImage, variant: StoredImage, platform: str, rules: list[str]) -> str:
    """What was done, for people: ``downsized 4032×3024 → 2000×1500 and re-encoded as JPEG
    (Bluesky takes at most 1,000,000 bytes)``."""
    done: list[str] = []
    if (variant.width, variant.height) != (original.width, original.height):
        done.append(
            f"downsized {original.width}×{original.height} → {variant.width}×{variant.height}"
        )
    if variant.content_type != original.content_type or not done:
        done.append(f"re-encoded as {FORMAT_NAMES[variant.content_type]}")
    return f"{' and '.join(done)} ({platform} takes {', '.join(rules)})"
