"""The media store takes only good images: every broken case is one MediaError naming the file
and stores nothing, and what it does take is upright, stripped of EXIF, GPS and XMP, and the
same bytes every time. Images are made with Pillow here, never read from fixtures on disk."""

from __future__ import annotations

import io
import os
import struct
import threading
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import func
from sqlmodel import select

from drafts.media_store import (
    MediaError,
    clean,
    encode,
    image_bytes,
    keep,
    read_beside,
    stored_image,
)
from drafts.models import MediaBlob
from drafts.storage import Database

GPS = {1: "N", 2: (37.0, 33.0, 59.0), 3: "E", 4: (126.0, 58.0, 40.0)}  # a Seoul street corner
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>tidings-private-xmp</rdf:RDF></x:xmpmeta>'
RED, WHITE = (230, 20, 20), (245, 245, 245)
GENEROUS_WAIT = 30.0  # seconds; every refusal below takes a few milliseconds


def encoded(image: Image.Image, kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def marked(width: int = 60, height: int = 40) -> Image.Image:
    """A white picture with a red 12-pixel square in its top-left corner."""
    picture = Image.new("RGB", (width, height), WHITE)
    picture.paste(RED, (0, 0, 12, 12))
    return picture


def noise(width: int, height: int) -> Image.Image:
    return Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))


def exif(orientation: int | None = None) -> Image.Exif:
    """EXIF a phone writes: its maker, where the photo was taken and, if given, how to turn it."""
    data = Image.Exif()
    data[0x010F] = "Tidings Phone"
    data[0x8825] = GPS
    if orientation is not None:
        data[0x0112] = orientation
    return data


def colour(picture: Image.Image, spot: tuple[int, int]) -> tuple[int, ...]:
    value = picture.getpixel(spot)
    assert isinstance(value, tuple), f"{picture.mode} has no colour channels"
    return value


def is_red(picture: Image.Image, spot: tuple[int, int]) -> bool:
    red, green, blue = colour(picture, spot)[:3]
    return red > 180 and green < 80 and blue < 80


def bomb_png(width: int, height: int) -> bytes:
    """A 100-byte PNG whose header claims ``width``×``height``: opening it must not allocate it."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


# --- Broken images: one clear MediaError naming the file, and nothing stored ---------------


def _empty(folder: Path) -> str:
    (folder / "empty.jpg").write_bytes(b"")
    return "empty.jpg"


def _truncated_jpeg(folder: Path) -> str:
    whole = encoded(noise(300, 200), "JPEG", quality=90)
    (folder / "cut.jpg").write_bytes(whole[: len(whole) // 2])
    return "cut.jpg"


def _truncated_png(folder: Path) -> str:
    whole = encoded(noise(300, 200), "PNG")
    (folder / "cut.png").write_bytes(whole[: len(whole) // 2])
    return "cut.png"


def _text_named_jpg(folder: Path) -> str:
    (folder / "notes.jpg").write_text("Riverside boardwalk opening: 10:00, bring the banner\n")
    return "notes.jpg"


def _bmp(folder: Path) -> str:
    (folder / "scan.bmp").write_bytes(encoded(marked(), "BMP"))
    return "scan.bmp"


def _tiff(folder: Path) -> str:
    (folder / "scan.tif").write_bytes(encoded(marked(), "TIFF"))
    return "scan.tif"


def _bomb(folder: Path) -> str:
    (folder / "bomb.png").write_bytes(bomb_png(30_000, 30_000))
    return "bomb.png"


def _over_fifty_megapixels(folder: Path) -> str:
    (folder / "huge.png").write_bytes(bomb_png(8_000, 7_000))  # under Pillow's own warning
    return "huge.png"


def _parent(folder: Path) -> str:
    (folder.parent / "elsewhere.jpg").write_bytes(encoded(marked(), "JPEG"))
    return "../elsewhere.jpg"


def _absolute(folder: Path) -> str:
    outside = folder.parent / "absolute.jpg"
    outside.write_bytes(encoded(marked(), "JPEG"))
    return str(outside)


def _symlink_out(folder: Path) -> str:
    outside = folder.parent / "target.jpg"
    outside.write_bytes(encoded(marked(), "JPEG"))
    (folder / "link.jpg").symlink_to(outside)
    return "link.jpg"


def _missing(folder: Path) -> str:
    return "photos/not-there.jpg"


def _folder(folder: Path) -> str:
    (folder / "photos.jpg").mkdir()
    return "photos.jpg"


def _fifo(folder: Path) -> str:
    os.mkfifo(folder / "pipe.jpg")  # reading it would wait for a writer forever
    return "pipe.jpg"


def _symlink_loop(folder: Path) -> str:
    (folder / "loop.jpg").symlink_to("loop.jpg")
    return "loop.jpg"


def _nul(folder: Path) -> str:
    return "photo\x00.jpg"


BROKEN: dict[str, tuple[Callable[[Path], str], str]] = {
    "empty": (_empty, "the file is empty"),
    "truncated JPEG": (_truncated_jpeg, "broken or truncated"),
    "truncated PNG": (_truncated_png, "broken or truncated"),
    "text named .jpg": (_text_named_jpg, "not an image Tidings takes"),
    "BMP": (_bmp, "a BMP image; Tidings takes JPEG, PNG, GIF or WebP"),
    "TIFF": (_tiff, "a TIFF image; Tidings takes JPEG, PNG, GIF or WebP"),
    "decompression bomb": (_bomb, "too many pixels"),
    "over 50 megapixels": (
        _over_fifty_megapixels,
        "8000×7000 pixels; an image may have at most 50",
    ),
    "parent folder": (_parent, "outside the draft's folder"),
    "absolute path": (_absolute, "outside the draft's folder"),
    "symlink out": (_symlink_out, "outside the draft's folder"),
    "missing": (_missing, "no such file"),
    "folder": (_folder, "is a folder"),
    "pipe": (_fifo, "not a regular file"),
    "symlink loop": (_symlink_loop, "a loop of symbolic links"),
    "NUL in the name": (_nul, "NUL character"),
}


def draft_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "drafts"
    folder.mkdir()
    return folder


def refusal(folder: Path, name: str) -> str:
    """What reading and cleaning ``name`` says, which must be a MediaError; a read that
    outlives a generous wait (a pipe with no writer) fails the test instead of hanging it."""
    said: list[Exception] = []

    def take() -> None:
        try:
            clean(read_beside(folder, name), name)
        except Exception as error:  # whatever it was, the test says
            said.append(error)

    reader = threading.Thread(target=take, daemon=True)
    reader.start()
    reader.join(GENEROUS_WAIT)
    if reader.is_alive():
        pytest.fail(f"still reading {name!r} after {GENEROUS_WAIT:g} s")
    (error,) = said or [AssertionError(f"{name!r} was taken")]
    assert isinstance(error, MediaError), repr(error)
    return str(error)


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_image_is_one_error_naming_the_file(tmp_path: Path, case: str) -> None:
    make, reason = BROKEN[case]
    folder = draft_folder(tmp_path)
    name = make(folder)
    message = refusal(folder, name)
    assert message.startswith(f"{name}: ")
    assert reason in message
    assert "\n" not in message and "Traceback" not in message


def count_blobs(database: Database) -> int:
    with database.reading() as session:
        return session.exec(select(func.count()).select_from(MediaBlob)).one()


def test_nothing_broken_is_stored(tmp_path: Path, database: Database) -> None:
    folder = draft_folder(tmp_path)
    names = [make(folder) for make, _ in BROKEN.values()]
    refused = 0
    with database.writing() as session:
        for name in names:
            try:
                keep(session, clean(read_beside(folder, name), name))
            except MediaError:
                refused += 1
    assert refused == len(BROKEN)
    assert count_blobs(database) == 0

    (folder / "good.jpg").write_bytes(encoded(marked(), "JPEG"))
    with database.writing() as session:
        kept = keep(session, clean(read_beside(folder, "good.jpg"), "good.jpg"))
    assert count_blobs(database) == 1
    with database.reading() as session:
        assert stored_image(session, kept.sha256) == kept
        data = image_bytes(session, kept.sha256)
    assert data is not None and len(data) == kept.bytes


# --- What is taken: upright, without metadata, the same bytes every time -----------------


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP"])
def test_exif_gps_and_xmp_are_gone(kind: str) -> None:
    if kind == "PNG":  # PNG keeps XMP in an iTXt chunk of its own
        text = PngInfo()
        text.add_itxt("XML:com.adobe.xmp", XMP.decode())
        original = encoded(marked(), kind, exif=exif(), pnginfo=text)
    else:
        original = encoded(marked(), kind, exif=exif(), xmp=XMP)
    assert b"tidings-private-xmp" in original and b"Tidings Phone" in original
    assert dict(Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825))

    cleaned = clean(original, f"photo.{kind.lower()}")
    assert b"tidings-private-xmp" not in cleaned.data
    assert b"Tidings Phone" not in cleaned.data
    assert b"Exif" not in cleaned.data
    reopened = Image.open(io.BytesIO(cleaned.data))
    assert dict(reopened.getexif()) == {}
    assert "xmp" not in reopened.info and "XML:com.adobe.xmp" not in reopened.info


@pytest.mark.parametrize(
    ("orientation", "red_corner"),
    [
        (6, "top right"),  # the phone was turned clockwise: the picture turns back
        (8, "bottom left"),
        (3, "bottom right"),
        (1, "top left"),
    ],
)
def test_the_orientation_is_applied_to_the_pixels(orientation: int, red_corner: str) -> None:
    original = encoded(marked(60, 40), "JPEG", quality=95, exif=exif(orientation))
    cleaned = clean(original, "turned.jpg")
    upright = Image.open(io.BytesIO(cleaned.data))
    swapped = orientation in (6, 8)
    assert upright.size == ((40, 60) if swapped else (60, 40))
    assert (cleaned.stored.width, cleaned.stored.height) == upright.size
    width, height = upright.size
    corners = {
        "top left": (5, 5),
        "top right": (width - 6, 5),
        "bottom left": (5, height - 6),
        "bottom right": (width - 6, height - 6),
    }
    reds = [corner for corner, spot in corners.items() if is_red(upright, spot)]
    assert reds == [red_corner]
    assert 0x0112 not in upright.getexif()


def test_a_gif_gives_its_first_frame_as_png() -> None:
    frames = [Image.new("RGB", (30, 20), colour) for colour in (RED, (20, 20, 230))]
    animated = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    cleaned = clean(animated, "wave.gif")
    assert cleaned.stored.content_type == "image/png"
    still = Image.open(io.BytesIO(cleaned.data))
    assert (still.format, getattr(still, "n_frames", 1)) == ("PNG", 1)
    assert is_red(still.convert("RGB"), (15, 10))


def test_a_gif_keeps_its_transparent_colour() -> None:
    logo = Image.new("P", (20, 20), 0)
    logo.putpalette([0, 0, 0, *RED] + [0] * 762)
    logo.paste(1, (5, 5, 15, 15))
    cleaned = clean(encoded(logo, "GIF", transparency=0), "logo.gif")
    still = Image.open(io.BytesIO(cleaned.data)).convert("RGBA")
    assert colour(still, (0, 0))[3] == 0
    assert colour(still, (10, 10)) == (*RED, 255)


def test_a_cmyk_jpeg_becomes_rgb_with_its_colours() -> None:
    printed = Image.new("CMYK", (40, 40), (0, 230, 230, 0))  # red ink
    fake_profile = b"\x00" * 16 + b"CMYK" + b"\x00" * 108  # says CMYK, holds nothing usable
    cleaned = clean(encoded(printed, "JPEG", quality=95, icc_profile=fake_profile), "print.jpg")
    shown = Image.open(io.BytesIO(cleaned.data))
    assert (cleaned.stored.content_type, shown.mode) == ("image/jpeg", "RGB")
    assert is_red(shown, (20, 20))
    assert "icc_profile" not in shown.info  # a CMYK profile would mislabel RGB pixels


def test_an_rgb_colour_profile_stays() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    cleaned = clean(encoded(marked(), "JPEG", icc_profile=srgb), "profiled.jpg")
    assert Image.open(io.BytesIO(cleaned.data)).info.get("icc_profile") == srgb


def test_an_rgba_png_keeps_its_transparency() -> None:
    badge = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    badge.paste((*RED, 128), (8, 8, 24, 24))
    cleaned = clean(encoded(badge, "PNG"), "badge.png")
    kept = Image.open(io.BytesIO(cleaned.data))
    assert (cleaned.stored.content_type, kept.mode) == ("image/png", "RGBA")
    assert colour(kept, (0, 0))[3] == 0 and colour(kept, (16, 16)) == (*RED, 128)


def test_a_sixteen_bit_grey_png_keeps_its_greys() -> None:
    scan = Image.new("I;16", (16, 16), 40_000)  # 61% grey, in 16 bits
    kept = Image.open(io.BytesIO(clean(encoded(scan, "PNG"), "scan.png").data))
    assert kept.mode == "L" and kept.getpixel((8, 8)) == 40_000 // 256


def test_corrupt_exif_costs_only_the_orientation() -> None:
    broken_exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff\x00\x00\x00"
    cleaned = clean(encoded(marked(), "JPEG", exif=broken_exif), "odd.jpg")
    assert (cleaned.stored.width, cleaned.stored.height) == (60, 40)
    assert b"Exif" not in cleaned.data


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP", "GIF"])
def test_cleaning_gives_the_same_bytes_every_time(kind: str) -> None:
    original = encoded(noise(120, 80).convert("RGB"), kind, exif=exif(6))
    first, second = clean(original, "a"), clean(original, "b")
    assert first.data == second.data
    assert first.stored == second.stored
    assert first.stored.width == (120 if kind == "GIF" else 80)  # GIF carries no EXIF


def test_encode_takes_a_quality_and_stays_deterministic() -> None:
    picture = noise(200, 150)
    high = encode(picture, "image/jpeg", quality=90)
    low = encode(picture, "image/jpeg", quality=60)
    assert low.stored.bytes < high.stored.bytes
    assert encode(picture, "image/jpeg", quality=60).data == low.data
