"""Shared set-up for the service queries' tests: an author and free-text drafts, added through
the service layer as ``tidings draft add`` adds them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from drafts.authoring import add_draft, draft_posts
from drafts.config import Config
from drafts.draft_file import DraftContent, read_draft_file
from drafts.models import User
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role, add_user

PARK = {"en": "The park opens on Tuesday.", "ko": "공원이 화요일에 문을 엽니다."}


def add_author(database: Database, name: str = "mina") -> User:
    with database.writing() as session:
        return add_user(session, name=name, role=Role.AUTHOR, password_hash=None, actor=None)


def free_text(
    config: Config,
    title: str,
    text: Mapping[str, str] = PARK,
    channels: Sequence[str] = ("linkedin", "x-en"),
    now: datetime | None = None,
) -> DraftContent:
    """A free-text draft file's content: ``text`` per language, on ``channels``."""
    source = "\n".join(
        [
            'kind = "update"',
            f"title = {json.dumps(title)}",
            f"channels = {json.dumps(list(channels))}",
            "[text]",
            *(f"{language} = {json.dumps(body)}" for language, body in text.items()),
        ]
    )
    return read_draft_file(source, "draft.toml", config, now or utcnow())


def add_posts(
    database: Database,
    config: Config,
    library: TemplateLibrary,
    author: User,
    title: str,
    now: datetime | None = None,
) -> dict[tuple[str, str], int]:
    """A new free-text draft titled ``title`` (PARK, on linkedin and x-en, read at ``now``):
    its posts' ids by (channel, language)."""
    return add_content(database, config, library, author, free_text(config, title, now=now))[1]


def add_content(
    database: Database,
    config: Config,
    library: TemplateLibrary,
    author: User,
    content: DraftContent,
) -> tuple[int, dict[tuple[str, str], int]]:
    """The new draft's id, and its posts' ids by (channel, language)."""
    with database.writing() as session:
        draft = add_draft(session, content=content, author=author, config=config, library=library)
        assert draft.id is not None
        posts = {(p.channel, p.language): p.id or 0 for p in draft_posts(session, draft.id)}
        return draft.id, posts
