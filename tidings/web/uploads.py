"""Images added on the compose page: every file cleaned (``drafts.media_store.clean``: upright,
no EXIF, GPS or XMP) and stored at once, so the form names each by its SHA-256 from then on and
the draft file it makes is checked like any other.

Every file is read and checked before anything is stored: one bad file is one line naming it,
and nothing of that upload is kept. A draft holds at most ``MAX_IMAGES`` images. A
``remove-image:N`` button takes image N off the form (the stored image stays: it never
changes, and a revision may still show it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.datastructures import FormData, UploadFile

from drafts.media import MAX_IMAGES, StoredImage
from drafts.media_store import MAX_FILE_BYTES, CleanImage, MediaError, clean, keep
from drafts.storage import Database
from tidings.web.compose_form import ComposeForm, ImageInput
from tidings.web.context import off_loop
from tidings.web.sentences import Teller
from tidings.web.translations import N_

FILE_FIELD = "images"
REMOVE_IMAGE = "remove-image:"
TOO_MANY = N_(
    "A draft holds at most %(most)s images: it has %(count)s, and %(chosen)s more were chosen."
)
TOO_LARGE = N_("%(file)s: %(size)s bytes; an image may have at most %(most)s bytes")


@dataclass(frozen=True)
class Refused:
    """Why an upload stored nothing: one line per file that cannot be taken (or one for
    them all)."""

    lines: tuple[str, ...]


def chosen_files(data: FormData) -> list[UploadFile]:
    """The files the form's image field carries (a browser sends an empty one when none was
    chosen)."""
    return [
        item for item in data.getlist(FILE_FIELD) if isinstance(item, UploadFile) and item.filename
    ]


async def take_images(
    database: Database,
    files: Sequence[UploadFile],
    already: int,
    tell: Teller,
) -> tuple[StoredImage, ...] | Refused:
    """Each file cleaned and stored, in order; or why none was, told by ``tell`` (in the
    viewer's language)."""
    if already + len(files) > MAX_IMAGES:
        counts = {"most": MAX_IMAGES, "count": already, "chosen": len(files)}
        return Refused((tell.gettext(TOO_MANY) % counts,))
    cleaned: list[CleanImage] = []
    lines: list[str] = []
    for upload in files:
        name = upload.filename or "?"
        if upload.size is not None and upload.size > MAX_FILE_BYTES:
            words = {"file": name, "size": f"{upload.size:,}", "most": f"{MAX_FILE_BYTES:,}"}
            lines.append(tell.gettext(TOO_LARGE) % words)
            continue
        data = await upload.read()
        try:
            cleaned.append(await off_loop(clean, data, name))
        except MediaError as error:
            lines.append(tell(error.message))
    if lines:
        return Refused(tuple(lines))
    return await off_loop(_keep_all, database, cleaned)


def _keep_all(database: Database, images: Sequence[CleanImage]) -> tuple[StoredImage, ...]:
    with database.writing() as session:
        return tuple(keep(session, image) for image in images)


async def change_images(
    database: Database, form: ComposeForm, data: FormData, tell: Teller
) -> list[str]:
    """``form``'s images with the files chosen in ``data`` added (stored at once) and the one
    a ``remove-image:N`` button names removed; why no file was added, if none was."""
    files = chosen_files(data)
    if files:
        taken = await take_images(database, files, len(form.images), tell)
        if isinstance(taken, Refused):
            return list(taken.lines)
        form.images += [ImageInput(sha256=image.sha256) for image in taken]
    removed = removed_image(str(data.get("action", "")))
    if removed is not None and removed < len(form.images):
        del form.images[removed]
    return []


def removed_image(action: str) -> int | None:
    """The number of the image a ``remove-image:N`` button removes, if it is one."""
    number = action.removeprefix(REMOVE_IMAGE)
    return int(number) if action.startswith(REMOVE_IMAGE) and number.isdigit() else None
