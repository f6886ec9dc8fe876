"""The images each stored post sends: kept beside the post, read back for previews, the
content hash, the daemon and the signed links."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, insert, select
from sqlmodel import Session, col, delete

from drafts.composing import ImageRows, post_key
from drafts.media import PostImage, StoredImage
from drafts.models import MediaBlob, Post, PostMedia
from drafts.row_batches import one_of

_post_media = PostMedia.__table__  # type: ignore[attr-defined]
_media_blob = MediaBlob.__table__  # type: ignore[attr-defined]


def store_post_images(session: Session, post_id: int, images: Sequence[PostImage]) -> None:
    """Make ``post_id``'s images exactly ``images``, in order."""
    session.exec(delete(PostMedia).where(col(PostMedia.post_id) == post_id))
    add_post_images(session, {post_id: images})


def add_post_images(session: Session, images: Mapping[int, Sequence[PostImage]]) -> None:
    """Give posts that have none yet (new ones, or just cleared) their images, by post id, in
    one statement for them all; posts without images cost nothing."""
    rows = [
        {
            "post_id": post_id,
            "position": position,
            "sha256": image.image.sha256,
            "original_sha256": image.original,
            "alt": image.alt,
            "change": image.change,
            "name": image.name,
        }
        for post_id, sent in images.items()
        for position, image in enumerate(sent)
    ]
    if rows:
        session.connection().execute(insert(_post_media), rows)


def images_by_post(session: Session, post_ids: Iterable[int]) -> dict[int, list[PostImage]]:
    """Each post's images in order; a post without images is absent."""
    ids = list(post_ids)
    if not ids:
        return {}
    connection = session.connection()
    query = _images_query(connection.dialect.name == "postgresql")
    found: dict[int, list[PostImage]] = {}
    for row in connection.execute(query, {"post_ids": ids}):
        image = StoredImage(row.sha256, row.content_type, row.width, row.height, row.size)
        found.setdefault(row.post_id, []).append(
            PostImage(
                image=image,
                alt=row.alt,
                original=row.original_sha256,
                change=row.change,
                name=row.name,
            )
        )
    return found


@cache
def _images_query(postgres: bool) -> Select[Any]:
    """The images of the posts ``:post_ids`` in order: built once for each backend, the ids
    one array on PostgreSQL (``drafts.row_batches.one_of``), one statement text whatever
    their number (the daemon asks for each claim's posts with images)."""
    m, b = _post_media.c, _media_blob.c
    return (
        select(m.post_id, m.alt, m.original_sha256, m.change, m.name)
        .add_columns(b.sha256, b.content_type, b.width, b.height, b.size)
        .join(_media_blob, b.sha256 == m.sha256)
        .where(one_of(m.post_id, "post_ids", Integer(), postgres))
        .order_by(m.post_id, m.position)
    )


def stored_image_rows(session: Session, posts: Sequence[Post]) -> ImageRows:
    """The images of stored posts, as ``drafts.composing.content_hash`` takes them."""
    by_id = images_by_post(session, [post.id for post in posts if post.id is not None])
    return {
        post_key(post): by_id[post.id] for post in posts if post.id is not None and post.id in by_id
    }
