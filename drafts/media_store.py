"""The media store: every image kept once, cleaned, under the SHA-256 of its bytes.

Images live in the database (``media_blob``), not in a folder beside it, because a Tidings
deployment is its database: a backup of the SQLite file or a ``pg_dump`` carries the images
with the drafts that approved them, and a web app and a daemon on different hosts of one
PostgreSQL deployment read the same bytes with no shared disk to set up. Rows are never
updated, so a reader needs no lock. The daemon does not hold images in memory while it
publishes: it copies each one once to a local spool file and streams uploads from there
(``scheduler.media_spool``).

Everything is cleaned on the way in, with Pillow: the orientation EXIF asks for is applied to
the pixels, then the image is re-encoded without EXIF, GPS or XMP (the ICC colour profile
stays while it describes the pixels written: it is no one's secret and colours depend on it).
A GIF keeps its first frame, as PNG, and its transparent colour as alpha; a CMYK print file
becomes RGB. Only regular files inside the draft's folder are read.
"""

from __future__ import annotations

import hashlib
import io
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from drafts.errors import DraftError
from drafts.media import StoredImage
from drafts.messages import N_, said
from drafts.models import MediaBlob

# A phone photo is 3–12 MB; a file far larger is a mistake (a video, an unexported RAW).
MAX_FILE_BYTES = 40 * 1024 * 1024
# 50 megapixels: above any camera most teams own, below what would take a daemon's memory
# (decoded RGBA, 200 MB). Pillow's own bomb check would only warn below 89 megapixels.
MAX_PIXELS = 50_000_000
# Formats as Pillow names them (MPO: a phone's multi-picture JPEG).
_TAKEN = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "GIF": "image/png"}
_TAKEN["WEBP"] = "image/webp"
JPEG_QUALITY = 92
WEBP_QUALITY = 90
_SRGB = ImageCms.createProfile("sRGB")


class MediaError(DraftError):
    """An image that cannot be taken: the message names the file and the problem."""


@dataclass(frozen=True)
class CleanImage:
    """An image ready to store: its bytes, and how the store describes them."""

    stored: StoredImage
    data: bytes


def read_beside(folder: Path, relative: str) -> bytes:
    """The bytes of ``relative``, a file inside ``folder`` (the draft file's); a MediaError
    naming it when it is elsewhere, missing, unreadable or too large."""
    base = folder.resolve()
    try:
        path = (base / relative).resolve()
    except ValueError:  # a NUL character, which no file name holds
        raise MediaError(f"{relative}: not a file name (it holds a NUL character)") from None
    except RuntimeError:  # Python 3.11's word for a loop of symbolic links
        raise MediaError(f"{relative}: a loop of symbolic links") from None
    if not path.is_relative_to(base):
        raise MediaError(f"{relative}: outside the draft's folder; put the image beside the draft")
    try:
        status = path.stat()
        if stat.S_ISDIR(status.st_mode):
            raise MediaError(f"{relative}: is a folder, not an image")
        if not stat.S_ISREG(status.st_mode):  # a pipe or a device would never end
            raise MediaError(f"{relative}: not a regular file")
        size = status.st_size
        if size > MAX_FILE_BYTES:
            raise MediaError(
                f"{relative}: {size:,} bytes; an image may have at most {MAX_FILE_BYTES:,}"
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise MediaError(f"{relative}: no such file") from None
    except OSError as error:
        raise MediaError(f"{relative}: cannot read: {error.strerror}") from None


def clean(data: bytes, name: str) -> CleanImage:
    """``data`` decoded, turned upright and re-encoded without metadata; a MediaError naming
    ``name`` for anything that is not a whole JPEG, PNG, GIF or WebP of a sane size."""
    if not data:
        raise MediaError(said(N_("%(file)s: the file is empty"), file=name))
    if len(data) > MAX_FILE_BYTES:
        too_large = N_("%(file)s: %(size)s bytes; an image may have at most %(most)s")
        raise MediaError(
            said(too_large, file=name, size=f"{len(data):,}", most=f"{MAX_FILE_BYTES:,}")
        )
    with warnings.catch_warnings():
        # Corrupt EXIF only costs the orientation: the metadata is dropped either way.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return _clean(data, name)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            bomb = N_("%(file)s: too many pixels to be a photo (a decompression bomb?)")
            raise MediaError(said(bomb, file=name)) from None
        except UnidentifiedImageError:
            unknown = N_("%(file)s: not an image Tidings takes (JPEG, PNG, GIF or WebP)")
            raise MediaError(said(unknown, file=name)) from None
        except (OSError, SyntaxError, ValueError) as error:
            broken = N_("%(file)s: a broken or truncated image (%(reason)s)")
            raise MediaError(said(broken, file=name, reason=str(error))) from None


def _clean(data: bytes, name: str) -> CleanImage:
    with Image.open(io.BytesIO(data)) as opened:
        content_type = _TAKEN.get(opened.format or "")
        if content_type is None:
            other = N_("%(file)s: a %(format)s image; Tidings takes JPEG, PNG, GIF or WebP")
            raise MediaError(said(other, file=name, format=str(opened.format)))
        width, height = opened.size
        if width * height > MAX_PIXELS:
            too_big = N_(
                "%(file)s: %(width)s×%(height)s pixels; an image may have at most %(most)s megapixels"
            )
            sizes = {"width": width, "height": height, "most": MAX_PIXELS // 1_000_000}
            raise MediaError(said(too_big, file=name, **sizes))
        opened.seek(0)  # a GIF's or an MPO's first frame
        opened.load()
        upright = ImageOps.exif_transpose(opened)
    icc = opened.info.get("icc_profile")
    return encode(upright, content_type, icc)


def encode(
    image: Image.Image,
    content_type: str,
    icc: bytes | None = None,
    *,
    quality: int | None = None,
) -> CleanImage:
    """``image`` encoded as ``content_type`` with no metadata but its colour profile, at
    ``quality`` for JPEG and WebP (the store's own when None); the same pixels give the same
    bytes. ``image.info`` is emptied."""
    image, icc = _displayable(image, icc)
    options: dict[str, object] = {"icc_profile": icc} if icc else {}
    out = io.BytesIO()
    if content_type == "image/jpeg":
        image = _opaque(image)
        image.save(out, "JPEG", quality=quality or JPEG_QUALITY, optimize=True, **options)
    elif content_type == "image/png":
        if image.mode not in {"1", "L", "LA", "P", "RGB", "RGBA"}:
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=False, **options)
    else:
        image.save(out, "WEBP", quality=quality or WEBP_QUALITY, method=4, **options)
    data = out.getvalue()
    stored = StoredImage(
        sha256=hashlib.sha256(data).hexdigest(),
        content_type=content_type,
        width=image.width,
        height=image.height,
        bytes=len(data),
    )
    return CleanImage(stored=stored, data=data)


def _displayable(image: Image.Image, icc: bytes | None) -> tuple[Image.Image, bytes | None]:
    """``image`` in a mode every format here writes, with nothing left in ``info`` (where
    Pillow keeps EXIF and XMP), and the colour profile that still describes its pixels."""
    if "transparency" in image.info:  # a GIF's or PNG's transparent colour, kept as alpha
        image = image.convert("RGBA")
    elif image.mode in {"I", "I;16", "I;16B", "I;16L"}:  # 16-bit grey, which convert() clips
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    elif image.mode == "CMYK":
        return _cmyk_to_rgb(image, icc), None
    image.info = {}  # on the caller's image when unconverted: a copy would double the memory
    if icc and _profile_space(icc) != ("GRAY" if image.mode in {"L", "LA"} else "RGB "):
        icc = None  # a profile for other pixels would show wrong colours
    return image, icc


def _cmyk_to_rgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """A print-ready CMYK image as RGB pixels, through its own profile when it has one."""
    rgb: Image.Image | None = None
    if icc and _profile_space(icc) == "CMYK":
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            rgb = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            rgb = None  # an unreadable profile: the plain conversion below
    if rgb is None:
        rgb = image.convert("RGB")
    rgb.info = {}
    return rgb


def _profile_space(icc: bytes) -> str:
    """The colour space an ICC profile describes ("RGB ", "GRAY", "CMYK"...): bytes 16-19 of
    its header (ICC.1:2022 section 7.2.6)."""
    return icc[16:20].decode("latin-1")


def _opaque(image: Image.Image) -> Image.Image:
    """``image`` as JPEG can hold it: RGB or grey, transparency laid on white."""
    if image.mode in {"RGB", "L"}:
        return image
    if image.mode in {"RGBA", "LA", "P", "PA"}:
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


def keep(session: Session, image: CleanImage) -> StoredImage:
    """Store ``image`` unless it is there already; either way, how the store describes it."""
    if session.get(MediaBlob, image.stored.sha256) is None:
        s = image.stored
        session.add(
            MediaBlob(
                sha256=s.sha256,
                content_type=s.content_type,
                width=s.width,
                height=s.height,
                size=s.bytes,
                data=image.data,
            )
        )
        session.flush()
    return image.stored


def stored_image(session: Session, sha256: str) -> StoredImage | None:
    """The stored image with this SHA-256, described without reading its bytes."""
    row = session.get(MediaBlob, sha256, options=[defer(MediaBlob.data)])  # type: ignore[arg-type]
    if row is None:
        return None
    return StoredImage(row.sha256, row.content_type, row.width, row.height, row.size)


def image_bytes(session: Session, sha256: str) -> bytes | None:
    """The bytes of the stored image with this SHA-256."""
    return session.exec(select(MediaBlob.data).where(col(MediaBlob.sha256) == sha256)).first()
