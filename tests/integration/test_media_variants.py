"""Each platform's version of an image, made at compose time in the real media store (SQLite
and PostgreSQL): under the platform's limits, the same shape, the same bytes on every run,
made once, and the original itself whenever the platform takes it."""

from __future__ import annotations

import io
import os
from dataclasses import replace

from PIL import Image
from sqlalchemy import delete, func
from sqlmodel import Session, select

from drafts.media import StoredImage
from drafts.media_limits import PROFILES, ImageProfile
from drafts.media_store import clean, image_bytes, keep
from drafts.media_variants import variant_for
from drafts.models import MediaBlob, MediaVariant
from drafts.storage import Database


def noise(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A picture no encoder can shrink much: the hardest case for a byte limit."""
    return Image.frombytes(mode, (width, height), os.urandom(width * height * len(mode)))


def photo_file(picture: Image.Image, kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    picture.save(out, kind, **options)
    return out.getvalue()


def stored(database: Database, picture: Image.Image, kind: str, **options: object) -> StoredImage:
    return kept(database, photo_file(picture, kind, **options), f"photo.{kind.lower()}")


def kept(database: Database, data: bytes, name: str) -> StoredImage:
    with database.writing() as session:
        return keep(session, clean(data, name))


def variant(
    database: Database, original: StoredImage, profile: ImageProfile
) -> tuple[StoredImage, str | None]:
    with database.writing() as session:
        return variant_for(session, original, profile)


def opened(database: Database, image: StoredImage) -> Image.Image:
    """The variant's bytes, decoded: they must be what the store says they are."""
    with database.reading() as session:
        data = image_bytes(session, image.sha256)
    assert data is not None and len(data) == image.bytes
    picture = Image.open(io.BytesIO(data))
    assert picture.size == (image.width, image.height)
    assert Image.MIME[picture.format or ""] == image.content_type
    return picture


def rows(session: Session, table: type[MediaBlob] | type[MediaVariant]) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def test_a_large_photo_gets_a_bluesky_variant_under_a_million_bytes(database: Database) -> None:
    camera_file = photo_file(noise(1800, 1350), "JPEG", quality=95, subsampling=0)
    assert len(camera_file) > 5_500_000  # what a phone gives, near 6 MB
    original = kept(database, camera_file, "noise.jpg")
    assert original.bytes > 2_000_000  # as the store keeps it (quality 92)

    sent, change = variant(database, original, PROFILES["bluesky"])

    assert sent.content_type == "image/jpeg"
    assert sent.bytes <= 1_000_000
    assert abs(sent.height - sent.width * original.height / original.width) <= 1
    assert change == (
        f"downsized 1800×1350 → {sent.width}×{sent.height} (Bluesky takes at most 1,000,000 bytes)"
    )
    assert PROFILES["bluesky"].refusal(sent) is None
    opened(database, sent)
    with database.reading() as session:
        row = session.get(MediaVariant, (original.sha256, PROFILES["bluesky"].key()))
    assert row is not None and (row.sha256, row.change) == (sent.sha256, change)


def test_a_webp_becomes_jpeg_for_threads_and_facebook(database: Database) -> None:
    original = stored(database, noise(400, 300), "WEBP", quality=80)
    assert original.content_type == "image/webp"
    for platform in ("threads", "facebook"):
        sent, change = variant(database, original, PROFILES[platform])
        assert (sent.content_type, sent.width, sent.height) == ("image/jpeg", 400, 300)
        name = PROFILES[platform].name
        assert change == f"re-encoded as JPEG ({name} takes JPEG or PNG)"
        opened(database, sent)


def test_a_transparent_webp_becomes_png_and_stays_transparent(database: Database) -> None:
    sticker = Image.new("RGBA", (200, 120), (0, 0, 0, 0))
    sticker.paste((20, 120, 220, 255), (50, 30, 150, 90))
    original = stored(database, sticker, "WEBP", lossless=True)

    sent, change = variant(database, original, PROFILES["facebook"])

    assert sent.content_type == "image/png"
    assert change == "re-encoded as PNG (Facebook takes JPEG or PNG)"
    picture = opened(database, sent).convert("RGBA")
    assert (picture.getpixel((0, 0)), picture.getpixel((100, 60))) == (
        (0, 0, 0, 0),
        (20, 120, 220, 255),
    )


def test_a_wide_image_is_narrowed_to_what_threads_shows(database: Database) -> None:
    original = stored(database, Image.radial_gradient("L").resize((3000, 2000)), "JPEG")

    sent, change = variant(database, original, PROFILES["threads"])

    assert (sent.content_type, sent.width, sent.height) == ("image/jpeg", 1440, 960)
    assert change == "downsized 3000×2000 → 1440×960 (Threads takes at most 1,440 pixels wide)"
    assert opened(database, sent).mode == "L"


def test_a_png_photo_too_big_for_bluesky_becomes_jpeg(database: Database) -> None:
    original = stored(database, noise(700, 600), "PNG")
    assert original.bytes > 1_000_000

    sent, change = variant(database, original, PROFILES["bluesky"])

    assert (sent.content_type, sent.width, sent.height) == ("image/jpeg", 700, 600)
    assert change == "re-encoded as JPEG (Bluesky takes at most 1,000,000 bytes)"


def test_the_second_call_reads_the_variant_it_made(database: Database) -> None:
    original = stored(database, noise(400, 300), "WEBP", quality=80)
    profile = PROFILES["threads"]
    first, _ = variant(database, original, profile)
    with database.writing() as session:
        row = session.get(MediaVariant, (original.sha256, profile.key()))
        assert row is not None
        row.change = "as remembered"  # what only the remembered row can say
        blobs, variants = rows(session, MediaBlob), rows(session, MediaVariant)

    again, change = variant(database, original, profile)

    assert (again, change) == (first, "as remembered")
    with database.reading() as session:
        assert (rows(session, MediaBlob), rows(session, MediaVariant)) == (blobs, variants)


def test_the_same_original_always_gives_the_same_bytes(database: Database) -> None:
    original = stored(database, noise(1400, 1000), "JPEG", quality=98)
    profile = PROFILES["bluesky"]
    first, change = variant(database, original, profile)
    with database.writing() as session:  # forget it was ever made
        session.execute(delete(MediaVariant))
        session.execute(delete(MediaBlob).where(MediaBlob.sha256 == first.sha256))  # type: ignore[arg-type]

    again, change_again = variant(database, original, profile)

    assert (again, change_again) == (first, change)


def test_the_original_comes_back_when_the_platform_takes_it(database: Database) -> None:
    original = stored(database, noise(320, 240), "JPEG", quality=85)
    with database.reading() as session:
        blobs = rows(session, MediaBlob)
    for platform in PROFILES:
        assert variant(database, original, PROFILES[platform]) == (original, None)
    with database.reading() as session:
        assert (rows(session, MediaBlob), rows(session, MediaVariant)) == (blobs, 0)


def test_a_shape_no_platform_takes_is_left_for_the_author_to_crop(database: Database) -> None:
    banner = stored(database, Image.new("RGB", (4200, 200), (30, 90, 160)), "PNG")
    profile = PROFILES["telegram"]

    assert variant(database, banner, profile) == (banner, None)
    refusal = profile.refusal(banner)
    assert refusal is not None and str(refusal).startswith("one side is 21.0 times the other")


def test_a_variant_for_an_instance_meets_what_it_said(database: Database) -> None:
    small_instance = replace(PROFILES["bluesky"], platform="mastodon", max_bytes=300_000)
    original = stored(database, noise(900, 700), "JPEG", quality=95)

    sent, _ = variant(database, original, small_instance)

    assert sent.bytes <= 300_000
    assert small_instance.refusal(sent) is None
