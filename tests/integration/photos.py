"""Photos for publishing tests, as a phone makes them and as the daemon hands them over.

``phone_photo`` is a JPEG carrying EXIF with a GPS position and an orientation tag: the
media store must take both out (the position must never reach a platform) and turn the
pixels upright. ``spooled`` cleans a photo with the media store and writes the cleaned
bytes to a spool file, the way the daemon does before an attempt, giving the ``JobImage``
an adapter gets.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

from PIL import Image, ImageDraw

from drafts.media_store import clean
from scheduler.platforms.base import JobImage

ORIENTATION, GPS_IFD, MAKE = 0x0112, 0x8825, 0x010F
# Seoul City Hall, as a phone would write it.
LATITUDE, LONGITUDE = (37.0, 33.0, 59.0), (126.0, 58.0, 41.0)


def phone_photo(width: int = 640, height: int = 480, *, rotated: bool = True) -> bytes:
    """A small JPEG with a GPS position in its EXIF; ``rotated`` tags it "turn 90° clockwise
    to view" (orientation 6), so the upright image is ``height`` × ``width``."""
    image = Image.new("RGB", (width, height), (30, 90, 160))
    ImageDraw.Draw(image).rectangle((width // 8, height // 8, width // 2, height // 2), "orange")
    exif = Image.Exif()
    exif[MAKE] = "Tidings Test Phone"
    exif[ORIENTATION] = 6 if rotated else 1
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: LATITUDE, 3: "E", 4: LONGITUDE})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def noise_png(width: int, height: int) -> bytes:
    """A PNG of random pixels: it does not compress, so it is about 3 bytes a pixel."""
    pixels = random.Random(width * height).randbytes(width * height * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), pixels).save(out, "PNG")
    return out.getvalue()


def spooled(folder: Path, data: bytes, alt: str, name: str = "photo.jpg") -> JobImage:
    """``data`` cleaned by the media store and spooled to ``folder``, with ``alt``."""
    cleaned = clean(data, name)
    stored = cleaned.stored
    path = folder / stored.sha256
    path.write_bytes(cleaned.data)
    return JobImage(
        sha256=stored.sha256,
        content_type=stored.content_type,
        width=stored.width,
        height=stored.height,
        bytes=stored.bytes,
        alt=alt,
        path=path,
    )
