"""What changed in a draft's posts since a reviewer last decided on it.

A review keeps the posts as the reviewer saw them (``Review.posts_seen``). After an edit, the
draft page compares the posts now with those of the last approval (else the last request for
changes): each post, matched by channel and language, is new, gone, or changed, and a changed
text is shown word by word (``difflib`` over words, spaces and signs), so a reviewer reads only
what moved instead of the whole post again.

A post's images count too (the approval binds their bytes and alt text): matched in order by
the image the author gave, each is added, removed, replaced (other bytes in its place: a new
picture, or a new version of it for the platform) or has new alt text, shown word by word.

One edit usually changes every post of a language alike (one text, seven channels): for people,
the changes come grouped (``PostChanges.groups``), each said once with the channels it reaches
(``ko · linkedin, facebook, threads``); scripts still get one ``PostChange`` per post.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from sqlmodel import Session, col, select

from drafts.composing import ImageRows, PostKey, post_key
from drafts.models import Draft, Post, Review, User
from drafts.post_media import stored_image_rows
from drafts.review import APPROVED
from drafts.revisions import revision_texts

# A number, a word, a run of spaces, or one sign: a changed word shows alone, its spaces
# untouched, and a date's number apart from the Korean unit after it (``18일`` → ``17일``).
_TOKEN = re.compile(r"\d+|[^\W\d]+|\s+|[^\w\s]")


class Change(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    REPLACED = "replaced"  # an image: other bytes in its place


@dataclass(frozen=True)
class Piece:
    """A run of text the two versions share (``change`` None), or that one of them only has."""

    text: str
    change: Change | None = None


@dataclass(frozen=True)
class ImageChange:
    """One image of a post that is new, gone, replaced, or has new alt text (``CHANGED``).

    ``number`` is its place in the post (counting from 1; a removed image's place before),
    ``sha256`` the bytes it sends (a removed image's: those it sent), ``was`` the bytes it
    replaced, and ``alt`` its alt text, word by word against the old one."""

    number: int
    change: Change
    sha256: str
    alt: tuple[Piece, ...]
    was: str | None = None


@dataclass(frozen=True)
class PostChange:
    channel: str
    language: str
    change: Change
    pieces: tuple[Piece, ...]
    images: tuple[ImageChange, ...] = ()
    occurrence: int = 1  # of a repeating draft
    part: int = 1  # of its chain; ``parts + 1``: the first comment
    parts: int = 1

    @property
    def text_changed(self) -> bool:
        return any(piece.change is not None for piece in self.pieces)


@dataclass(frozen=True)
class ChangeGroup:
    """One change as a reviewer reads it: the same change to the posts of one ``language``,
    with the ``channels`` whose posts it is (in the order of the posts)."""

    language: str
    channels: tuple[str, ...]
    change: Change
    pieces: tuple[Piece, ...]
    images: tuple[ImageChange, ...] = ()
    occurrence: int = 1  # of a repeating draft
    part: int = 1  # of its chain; ``parts + 1``: the first comment
    parts: int = 1

    @property
    def text_changed(self) -> bool:
        return any(piece.change is not None for piece in self.pieces)


# What makes two posts' changes one: their language, their place in the chain, the change.
_Same = tuple[str, Change, tuple[Piece, ...], tuple[ImageChange, ...], int, int]


class PostChanges(tuple[PostChange, ...]):
    """The posts that changed, one by one (as scripts match them, by channel and language),
    and ``groups``: the same changes as people read them, each once."""

    __slots__ = ()

    @property
    def groups(self) -> tuple[ChangeGroup, ...]:
        return group_changes(self)


def group_changes(posts: Iterable[PostChange]) -> tuple[ChangeGroup, ...]:
    """``posts`` with the same change in the same language as one group naming their channels;
    languages in the order they first come, and within one the groups in that order too (a
    channel whose own text changed otherwise stands apart)."""
    channels: dict[_Same, list[str]] = {}
    for post in posts:
        same = (post.language, post.change, post.pieces, post.images, post.part, post.parts)
        channels.setdefault(same, []).append(post.channel)
    languages = list(dict.fromkeys(language for language, *_ in channels))
    in_order = sorted(channels.items(), key=lambda item: languages.index(item[0][0]))
    return tuple(
        ChangeGroup(language, tuple(names), change, pieces, images, part=part, parts=parts)
        for (language, change, pieces, images, part, parts), names in in_order
    )


@dataclass(frozen=True)
class Changes:
    """How the posts differ from those the reviewer decided on."""

    reviewer: str
    decision: str
    at: datetime
    posts: PostChanges


def word_diff(before: str, after: str) -> tuple[Piece, ...]:
    """``after`` against ``before``: shared runs, and runs removed or added, in reading order.

    A space shared between two changed words belongs to the change, so a rewritten phrase reads
    as one removal and one addition instead of alternating words.
    """
    old, new = _TOKEN.findall(before), _TOKEN.findall(after)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    runs = [
        ("".join(old[i1:i2]), "".join(new[j1:j2]), tag == "equal")
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
    ]
    pieces: list[Piece] = []
    removed = added = ""
    for index, (was, now, equal) in enumerate(runs):
        between_changes = 0 < index < len(runs) - 1 and was.isspace()
        if equal and not between_changes:
            _append(pieces, removed, Change.REMOVED)
            _append(pieces, added, Change.ADDED)
            removed = added = ""
            _append(pieces, was, None)
        else:
            removed, added = removed + was, added + now
    _append(pieces, removed, Change.REMOVED)
    _append(pieces, added, Change.ADDED)
    return tuple(pieces)


def _append(pieces: list[Piece], text: str, change: Change | None) -> None:
    if not text:
        return
    if pieces and pieces[-1].change == change:
        pieces[-1] = Piece(pieces[-1].text + text, change)
    else:
        pieces.append(Piece(text, change))


def compare(
    seen: Sequence[Mapping[str, Any]],
    posts: Sequence[Post],
    images: ImageRows = MappingProxyType({}),
) -> PostChanges:
    """Each post that is new, gone or different (its text, or its ``images``: each post's, by
    channel and language) since ``seen``; the same ones are left out."""
    before = {
        (item["channel"], item["language"], item.get("occurrence", 1), item.get("part", 1)): item
        for item in seen
    }
    now: dict[PostKey, Mapping[str, Any]] = {
        post_key(post): {
            "parts": post.parts,
            "text": post.text,
            "media": [image.to_json() for image in images.get(post_key(post), ())],
        }
        for post in posts
    }
    found: list[PostChange] = []
    for key in dict.fromkeys([*now, *before]):
        old, new = before.get(key), now.get(key)
        old_text, new_text = _text(old), _text(new)
        pictures = image_changes(_media(old), _media(new))
        if old_text == new_text and not pictures:
            continue
        pieces: tuple[Piece, ...]
        if old is None:
            change, pieces = Change.ADDED, (Piece(new_text or "", Change.ADDED),)
        elif new is None:
            change, pieces = Change.REMOVED, (Piece(old_text or "", Change.REMOVED),)
        else:
            change, pieces = Change.CHANGED, word_diff(old_text or "", new_text or "")
        parts = int((new or old or {}).get("parts", 1))
        found.append(
            PostChange(
                key[0],
                key[1],
                change,
                pieces,
                pictures,
                occurrence=key[2],
                part=key[3],
                parts=parts,
            )
        )
    return PostChanges(found)


def image_changes(
    before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]
) -> tuple[ImageChange, ...]:
    """How the images ``after`` differ from ``before`` (each an image's JSON, as kept in a
    revision): matched in order by the image the author gave (``original_sha256``)."""
    old = [str(image.get("original_sha256") or image["sha256"]) for image in before]
    new = [str(image.get("original_sha256") or image["sha256"]) for image in after]
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    found: list[ImageChange] = []
    for _, i1, i2, j1, j2 in matcher.get_opcodes():
        pairs = list(zip(range(i1, i2), range(j1, j2), strict=False))
        for i, j in pairs:  # equal or replace: each old one has a new one in its place
            if (changed := _compared(i, j, before[i], after[j])) is not None:
                found.append(changed)
        for j in range(j1 + len(pairs), j2):
            found.append(_whole(j, after[j], Change.ADDED))
        for i in range(i1 + len(pairs), i2):
            found.append(_whole(i, before[i], Change.REMOVED))
    return tuple(found)


def _compared(i: int, j: int, old: Mapping[str, Any], new: Mapping[str, Any]) -> ImageChange | None:
    """Image ``j`` against image ``i`` it stands in place of: replaced, new alt text, or the
    same (None)."""
    old_alt, new_alt = str(old.get("alt", "")), str(new.get("alt", ""))
    if old["sha256"] != new["sha256"]:
        return ImageChange(
            j + 1, Change.REPLACED, str(new["sha256"]), word_diff(old_alt, new_alt), old["sha256"]
        )
    if old_alt != new_alt:
        return ImageChange(j + 1, Change.CHANGED, str(new["sha256"]), word_diff(old_alt, new_alt))
    return None


def _whole(index: int, image: Mapping[str, Any], change: Change) -> ImageChange:
    alt = str(image.get("alt", ""))
    return ImageChange(
        index + 1, change, str(image["sha256"]), (Piece(alt, change),) if alt else ()
    )


def _text(post: Mapping[str, Any] | None) -> str | None:
    return None if post is None else str(post["text"])


def _media(post: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    return [] if post is None else list(post.get("media") or [])


def changes_since_review(session: Session, draft: Draft, posts: Sequence[Post]) -> Changes | None:
    """What changed since the last approval (else the last request for changes), or None when
    the posts are as that reviewer saw them, nobody has decided yet, or the review predates
    kept texts."""
    review = _last_decision(session, draft)
    if review is None or review.posts_seen is None or review.content_hash == draft.content_hash:
        return None
    reviewer = session.get(User, review.reviewer_id)
    return Changes(
        reviewer=reviewer.name if reviewer is not None else "?",
        decision=review.decision,
        at=review.created_at,
        posts=compare(review.posts_seen, posts, stored_image_rows(session, posts)),
    )


def changes_since_seen(
    session: Session, draft: Draft, posts: Sequence[Post], seen: str
) -> PostChanges | None:
    """What changed since the draft had the content hash ``seen`` (a reviewer's stale page), or
    None when that content is not known (it predates kept revisions)."""
    assert draft.id is not None
    before = revision_texts(session, draft.id, seen)
    if before is None:
        return None
    return compare(before, posts, stored_image_rows(session, posts))


def _last_decision(session: Session, draft: Draft) -> Review | None:
    reviews = session.exec(
        select(Review).where(Review.draft_id == draft.id).order_by(col(Review.id).desc())
    ).all()
    approvals = [review for review in reviews if review.decision == APPROVED]
    latest = approvals or reviews
    return latest[0] if latest else None
