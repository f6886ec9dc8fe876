"""Adding and editing drafts: content in, variants and rendered posts stored.

An edit that changes what reviewers saw (the content hash) sends an approved or scheduled
draft back to review and unschedules its posts: an approval covers the hash it saw, never
later edits.

Who edits what: any author or admin may edit any draft that is not publishing (a small team
shares its drafts, as in a shared workspace of other schedulers); an edit of someone else's
draft names that author in the audit log, and whoever edited a draft may not approve it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from drafts import audit_details, keyset
from drafts.audit import Entry, record, record_batch
from drafts.composing import (
    PostKey,
    PostText,
    RenderedPost,
    compose,
    content_hash,
    post_key,
    rendered_images,
)
from drafts.config import Config
from drafts.errors import NotFoundError, ReviewError
from drafts.learned_limits import LearnedLimits, learned_limits
from drafts.lifecycle import FINAL_POST_STATUSES, DraftStatus, PostStatus, require_action
from drafts.messages import EDIT_BACK_TO_REVIEW, EDIT_CHANGED, EDIT_UNCHANGED, NO_DRAFT, said
from drafts.models import Draft, Post, User, Variant, could_be_id
from drafts.post_media import add_post_images, images_by_post, store_post_images
from drafts.review_events import review_requested
from drafts.revisions import keep_revision
from drafts.times import utcnow
from drafts.users import Capability, name_of, require

if TYPE_CHECKING:
    from drafts.draft_file import DraftContent, VariantContent
    from drafts.media import PostImage
    from drafts.media_store import CleanImage
    from drafts.rendering import TemplateLibrary  # Jinja and Babel, for composing only

_variant_table = Variant.__table__  # type: ignore[attr-defined]
_post_table = Post.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class EditOutcome:
    draft: Draft
    changed: bool
    back_to_review: bool

    @property
    def message(self) -> str:
        """What the edit came to, one of ``drafts.messages``' sentences, with ``%(id)s`` and
        ``%(status)s`` to fill in."""
        if not self.changed:
            return EDIT_UNCHANGED
        return EDIT_BACK_TO_REVIEW if self.back_to_review else EDIT_CHANGED


def get_draft(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id) if could_be_id(draft_id) else None
    if draft is None:
        raise NotFoundError(said(NO_DRAFT, id=draft_id))
    return draft


def drafts_by_id(session: Session, draft_ids: Iterable[int]) -> dict[int, Draft]:
    """The drafts with these ids, by id, in one statement (a page's posts name a few)."""
    ids = set(draft_ids)
    if not ids:
        return {}
    query = select(Draft).where(col(Draft.id).in_(ids))
    return {draft.id or 0: draft for draft in session.exec(query)}


def add_draft(
    session: Session,
    *,
    content: DraftContent,
    author: User,
    config: Config,
    library: TemplateLibrary,
    images: Sequence[CleanImage] = (),
    learned: LearnedLimits | None = None,
) -> Draft:
    """Store a new draft and its posts; the draft starts in status ``draft``. ``images`` are
    the cleaned files its ``[[media]]`` entries name (``drafts.media_files.read_media``);
    ``learned`` the channels' reported limits, when the caller adding many drafts read them
    once (None: read here)."""
    require(author, Capability.WRITE)
    posts = _compose(session, content, config, library, images, learned)
    digest = content_hash(posts, rendered_images(posts))
    draft = Draft(
        status=DraftStatus.DRAFT,
        author_id=_id(author),
        content_hash=digest,
        **_content_columns(content),
    )
    session.add(draft)
    session.flush()
    _insert_new(session, draft, content, posts)
    keep_revision(session, _id(draft), digest, posts, rendered_images(posts))
    added = Entry(draft_id=draft.id, post_id=None, action="draft.add", detail=content.title)
    record_batch(session, [added], actor=author.name, at=utcnow())
    return draft


def edit_draft(
    session: Session,
    *,
    draft_id: int,
    content: DraftContent,
    editor: User,
    config: Config,
    library: TemplateLibrary,
    images: Sequence[CleanImage] = (),
) -> EditOutcome:
    """Replace a draft's content; a reviewed draft whose posts changed (their text, or the
    bytes or alt text of an image) goes back to review. Of a repeating draft, the occurrences
    already out (published, failed, skipped…) stay as they went: the edit covers the rest."""
    require(editor, Capability.WRITE)
    draft = get_draft(session, draft_id)
    require_action(draft_id, draft.status, "edit")
    repeats = draft.repeat is not None or content.repeat is not None
    _refuse_if_publishing(session, draft_id, repeats=repeats)
    posts = _compose(session, content, config, library, images)
    posts, out = _keeping_sent(session, draft_id, posts) if repeats else (posts, _Out())
    hashed: list[PostText] = [*posts, *out.posts]
    hashed_images = {**rendered_images(posts), **out.images}
    new_hash = content_hash(hashed, hashed_images)
    changed = new_hash != draft.content_hash
    for key, value in _content_columns(content).items():
        setattr(draft, key, value)
    draft.updated_at = utcnow()
    back_to_review = changed and draft.status in {
        DraftStatus.IN_REVIEW,
        DraftStatus.APPROVED,
        DraftStatus.SCHEDULED,
    }
    if changed:
        draft.content_hash = new_hash
    if back_to_review:
        # A draft that leaves approval waits for the reviewers again; one still in review
        # already does, and each edit telling them anew would flood them.
        reenters = draft.status != DraftStatus.IN_REVIEW
        draft.status = DraftStatus.IN_REVIEW
        draft.review_round += 1
        if reenters:
            review_requested(session, draft, by=editor)
    _store(session, draft, content, posts)
    keep_revision(session, draft_id, new_hash, hashed, hashed_images)
    if back_to_review:
        _unschedule(session, draft_id)
    else:
        _check_expiry(session, draft)
    author = name_of(session, draft.author_id) if draft.author_id != editor.id else None
    detail = audit_details.edited(changed=changed, back_to_review=back_to_review, author=author)
    record(session, actor=editor.name, action="draft.edit", draft_id=draft_id, detail=detail)
    return EditOutcome(draft=draft, changed=changed, back_to_review=back_to_review)


def _compose(
    session: Session,
    content: DraftContent,
    config: Config,
    library: TemplateLibrary,
    images: Sequence[CleanImage],
    learned: LearnedLimits | None = None,
) -> list[RenderedPost]:
    from drafts.media_plan import StoredMedia  # Pillow: for composing only
    from drafts.media_store import keep

    for image in images:
        keep(session, image)
    planner = StoredMedia(session) if content.media else None
    limits = learned_limits(session) if learned is None else learned
    return compose(content, config, library, limits, planner)


def draft_posts(session: Session, draft_id: int) -> list[Post]:
    """The draft's posts in the order they were composed."""
    query = select(Post).where(Post.draft_id == draft_id).order_by(col(Post.id))
    return list(session.exec(query))


def _unschedule(session: Session, draft_id: int) -> None:
    for post in session.exec(select(Post).where(Post.draft_id == draft_id)):
        if post.status not in FINAL_POST_STATUSES:
            post.status = PostStatus.PENDING
            post.due_at = post.attempt_at = None


@dataclass(frozen=True)
class _Out:
    """A repeating draft's posts already out that an edit no longer renders (a language or a
    channel taken out), with their images: they stay as they went, and so in its hash."""

    posts: tuple[Post, ...] = ()
    images: Mapping[PostKey, Sequence[PostImage]] = field(default_factory=dict)


def _keeping_sent(
    session: Session, draft_id: int, posts: list[RenderedPost]
) -> tuple[list[RenderedPost], _Out]:
    """``posts`` with each occurrence already out as it went (its stored text and images),
    and the posts out that ``posts`` no longer hold, so that the content hash covers what was
    sent and what will be."""
    sent = {
        post_key(row): row
        for row in session.exec(
            select(Post).where(Post.draft_id == draft_id, col(Post.status).in_(FINAL_POST_STATUSES))
        )
    }
    images = images_by_post(session, [_id(row) for row in sent.values()])
    kept = []
    for post in posts:
        row = sent.pop(post_key(post), None)
        if row is not None:
            post = replace(post, text=row.text, images=tuple(images.get(_id(row), ())))
        kept.append(post)
    out = _Out(
        tuple(sent.values()),
        {key: images[_id(row)] for key, row in sent.items() if _id(row) in images},
    )
    return kept, out


def _check_expiry(session: Session, draft: Draft) -> None:
    if draft.expires_at is None:
        return
    for post in session.exec(select(Post).where(Post.draft_id == draft.id)):
        if post.due_at is not None and post.due_at >= draft.expires_at:
            raise ReviewError(
                f"expires_at: the {post.channel} post is scheduled after it; "
                "move the draft with `tidings schedule` first"
            )


def _refuse_if_publishing(session: Session, draft_id: int, *, repeats: bool) -> None:
    """Refuse an edit while a post is being sent, or (of a draft that does not repeat) once
    one is out: its posts went out as one reviewed whole."""
    allowed = [PostStatus.PENDING, PostStatus.SCHEDULED]
    if repeats:
        allowed += FINAL_POST_STATUSES
    busy = session.exec(
        select(Post).where(Post.draft_id == draft_id, col(Post.status).notin_(allowed))
    ).first()
    if busy is not None:
        raise ReviewError(
            f"draft {draft_id} cannot be edited: its {busy.channel} post is {busy.status}"
        )


def _content_columns(content: DraftContent) -> dict[str, Any]:
    return {
        "kind": content.kind,
        "title": content.title,
        "template": content.template,
        "channels": list(content.channels),
        "languages": list(content.languages),
        "publish_at": content.publish_at,
        "publish_next_slot": content.publish_next_slot,
        "expires_at": content.expires_at,
        "repeat": content.repeat,
        "source": content.source,
    }


def _insert_new(
    session: Session, draft: Draft, content: DraftContent, posts: list[RenderedPost]
) -> None:
    """A new draft's variants, posts and images, one statement per table: with nothing stored
    to match there is nothing to read or delete first (an import adds thousands of drafts)."""
    draft_id = _id(draft)
    connection = session.connection()
    variants = [
        {"draft_id": draft_id, "language": variant.language, **_variant_columns(variant)}
        for variant in content.variants
    ]
    connection.execute(insert(_variant_table), variants)
    rows = [
        {
            "draft_id": draft_id,
            "author_id": draft.author_id,
            "channel": post.channel,
            "language": post.language,
            "occurrence": post.occurrence,
            "part": post.part,
            "status": PostStatus.PENDING,
            **_post_columns(post),
        }
        for post in posts
    ]
    p = _post_table.c
    returned = connection.execute(
        insert(_post_table).returning(p.id, p.channel, p.language, p.occurrence, p.part), rows
    )
    post_ids = {post_key(row): row.id for row in returned}
    add_post_images(session, {post_ids[post_key(post)]: post.images for post in posts})


def _store(
    session: Session, draft: Draft, content: DraftContent, posts: list[RenderedPost]
) -> None:
    """Make the stored variants and posts match ``content``, keeping the rows that remain; a
    post already out (of a repeating draft: ``_keeping_sent``) is left as it went."""
    draft_id = _id(draft)
    _store_variants(session, draft_id, content)
    stored = {post_key(p): p for p in session.exec(select(Post).where(Post.draft_id == draft_id))}
    sent = {key for key, row in stored.items() if row.status in FINAL_POST_STATUSES}
    for post in posts:
        if post_key(post) in sent:
            continue
        columns = _post_columns(post)
        row = stored.pop(post_key(post), None)
        if row is None:
            row = Post(
                draft_id=draft_id,
                author_id=draft.author_id,
                channel=post.channel,
                language=post.language,
                occurrence=post.occurrence,
                part=post.part,
                status=PostStatus.PENDING,
                **columns,
            )
        for key, value in columns.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
        store_post_images(session, _id(row), post.images)
    kept = {variant.language for variant in content.variants}
    for left, gone in stored.items():
        if left in sent:  # out as it went; its language may be taken out since: keep its variant
            kept.add(gone.language)
        else:
            session.delete(gone)
    session.flush()
    _drop_unused_variants(session, draft_id, kept)


def _post_columns(post: RenderedPost) -> dict[str, Any]:
    """What a stored post takes from its rendering, new or edited."""
    return {
        "platform": post.platform,
        "text": post.text,
        "length": post.length,
        "length_limit": post.limit,
        "parts": post.parts,
    }


def _store_variants(session: Session, draft_id: int, content: DraftContent) -> None:
    """The draft's variants as ``content`` has them, flushed before the posts that point at
    them (``fk_post_variant``)."""
    existing = {
        v.language: v for v in session.exec(select(Variant).where(Variant.draft_id == draft_id))
    }
    for variant in content.variants:
        row = existing.get(variant.language) or Variant(
            draft_id=draft_id, language=variant.language
        )
        for key, value in _variant_columns(variant).items():
            setattr(row, key, value)
        session.add(row)
    session.flush()


def _variant_columns(variant: VariantContent) -> dict[str, Any]:
    """What a stored variant takes from the draft's content in its language."""
    return {
        "text": variant.text,
        "fields": {name: _jsonable(value) for name, value in variant.fields.items()},
        "channel_texts": dict(variant.channel_texts),
    }


def _drop_unused_variants(session: Session, draft_id: int, keep: set[str]) -> None:
    """Delete the draft's variants but those in the languages ``keep``: deleting a variant
    deletes its posts."""
    for variant in session.exec(select(Variant).where(Variant.draft_id == draft_id)):
        if variant.language not in keep:
            session.delete(variant)
    session.flush()


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    return value


def _id(row: Draft | Variant | User | Post) -> int:
    assert row.id is not None
    return row.id


def list_drafts(
    session: Session,
    *,
    status: str | None = None,
    limit: int | None = None,
    after: str | None = None,
) -> list[Draft]:
    """Drafts, most recently changed first: every one, or ``limit`` of them from the place
    token ``after`` names (``drafts.keyset``: a draft's ``updated_at`` and ``id``; None: the
    latest), read backwards along ``ix_draft_changed`` (``ix_draft_status_changed`` for one
    status); ``CursorError`` for a token this list did not make."""
    key = (col(Draft.updated_at), col(Draft.id))
    query = select(Draft)
    if status is not None:
        query = query.where(Draft.status == status)
    if after is not None:
        place = keyset.place(after, datetime, int)
        query = query.where(keyset.beyond(key, place, descending=True))
    return list(session.exec(query.order_by(key[0].desc(), key[1].desc()).limit(limit)))


def draft_place(draft: Draft) -> tuple[datetime, int]:
    """Where a draft of the list is: the sort key its page's token holds."""
    assert draft.id is not None
    return draft.updated_at, draft.id
