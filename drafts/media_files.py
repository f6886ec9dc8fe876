"""The images a draft file names, read from beside it and cleaned before anything is stored.

Every image is read and checked first, and every problem is named at once, with its entry
and file (``draft.toml: media[1].file: photos/b.jpg: no such file``): a draft with one bad
image stores nothing, neither the draft nor its other images.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from drafts.draft_file import DraftContent
from drafts.errors import DraftError
from drafts.media import MediaRef
from drafts.media_store import CleanImage, MediaError, clean, read_beside
from drafts.messages import Item, Problem, Said
from drafts.validation import one_line


def read_media(
    content: DraftContent, folder: Path, name: str
) -> tuple[DraftContent, list[CleanImage]]:
    """``content`` with the SHA-256 of each ``file`` entry's cleaned image filled in, and the
    cleaned images to keep; a DraftError naming every image that cannot be taken."""
    refs: list[MediaRef] = []
    images: list[CleanImage] = []
    found: list[Item] = []
    for index, ref in enumerate(content.media):
        if ref.file is None or ref.sha256 is not None:
            refs.append(ref)
            continue
        try:
            image = clean(read_beside(folder, ref.file), ref.file)
        except MediaError as error:
            made = error.message
            reason = made if isinstance(made, str | Said) else str(error)
            found.append(Problem(f"media[{index}].file", reason))
            continue
        images.append(image)
        refs.append(replace(ref, sha256=image.stored.sha256))
    if found:
        raise DraftError(one_line(name, found))
    return replace(content, media=tuple(refs)), images
