"""Pruning (``drafts.pruning``) on SQLite and on PostgreSQL: exactly the drafts finished before
the date go, with their posts, attempts, variants, reviews and the images no other post sends;
a draft with a post that ended after the date stays, and so do scheduled drafts, drafts still
being written, and every audit entry. A dry run changes nothing; only an admin may prune."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlmodel import Session, SQLModel
from sqlmodel import select as sqlmodel_select

from drafts import pruning
from drafts.authoring import add_draft, draft_posts
from drafts.config import Config
from drafts.draft_file import read_draft_file
from drafts.errors import ReviewError
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.media_store import clean, keep
from drafts.models import Attempt, AuditEntry, Draft, NewsFeedItem, User
from drafts.pruning import Pruned, prune
from drafts.rendering import TemplateLibrary
from drafts.review import approve, submit
from drafts.storage import Database
from drafts.users import Role, add_user
from tests.conftest import everything_stored
from tests.integration.photos import phone_photo

OLD = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
DATE = datetime(2025, 1, 1, tzinfo=UTC)
AFTER = DATE + timedelta(days=150)
TABLES = SQLModel.metadata.tables


def source(title: str, images: Iterable[str] = ()) -> str:
    """A draft file on linkedin (en, ko) and x-en: three posts, each sending ``images``."""
    media = [f'[[media]]\nsha256 = "{sha256}"\nalt = "The reopened park"' for sha256 in images]
    return "\n".join(
        [
            'kind = "update"',
            f'title = "{title}"',
            'channels = ["linkedin", "x-en"]',
            "[text]",
            'en = "The park opens on Tuesday."',
            'ko = "공원이 화요일에 문을 엽니다."',
            *media,
        ]
    )


class Desk:
    """Drafts added as ``tidings draft add`` adds them, then aged by hand to a past outcome."""

    def __init__(self, database: Database, config: Config, library: TemplateLibrary) -> None:
        self.database, self.config, self.library = database, config, library
        with database.writing() as session:
            self.mina = _user(session, "mina", Role.AUTHOR)
            self.joon = _user(session, "joon", Role.REVIEWER)
            self.hana = _user(session, "hana", Role.ADMIN)
            self.photos = [
                keep(session, clean(phone_photo(320 + n, 240), f"{n}.jpg")).sha256 for n in (0, 1)
            ]

    def add(self, title: str, images: Iterable[str] = (), *, approved: bool = False) -> int:
        content = read_draft_file(source(title, images), "draft.toml", self.config, OLD)
        with self.database.writing() as session:
            draft = add_draft(
                session, content=content, author=self.mina, config=self.config, library=self.library
            )
            assert draft.id is not None
        if approved:
            with self.database.writing() as session:
                submit(session, draft_id=draft.id, actor=self.mina, config=self.config)
                approve(
                    session,
                    draft_id=draft.id,
                    reviewer=self.joon,
                    comment="",
                    config=self.config,
                    now=OLD,
                )
        return draft.id

    def finish(
        self, draft_id: int, status: DraftStatus, posts: Mapping[tuple[str, str], PostStatus]
    ) -> None:
        """Leave the draft in ``status`` and each post in its status, all as of OLD, with an
        attempt for each published post; the draft's audit entries dated OLD too."""
        with self.database.writing() as session:
            draft = session.get(Draft, draft_id)
            assert draft is not None
            draft.status, draft.updated_at = status, OLD
            for post in draft_posts(session, draft_id):
                post.status, post.updated_at = posts[post.channel, post.language], OLD
                if post.status == PostStatus.PUBLISHED:
                    assert post.id is not None
                    session.add(Attempt(post_id=post.id, number=1, worker="w", started_at=OLD))
            log = TABLES["audit_log"]
            session.execute(update(log).where(log.c.draft_id == draft_id).values(at=OLD))

    def touch(self, draft_id: int, channel: str, language: str, when: datetime) -> None:
        with self.database.writing() as session:
            [post] = [
                p
                for p in draft_posts(session, draft_id)
                if (p.channel, p.language) == (channel, language)
            ]
            post.updated_at = when


def _user(session: Session, name: str, role: Role) -> User:
    return add_user(session, name=name, role=role, password_hash=None, actor=None)


KEYS = (("linkedin", "en"), ("linkedin", "ko"), ("x-en", "en"))


def published() -> dict[tuple[str, str], PostStatus]:
    """Every post published, but linkedin in Korean, which failed (final too)."""
    return {key: PostStatus.FAILED if key == KEYS[1] else PostStatus.PUBLISHED for key in KEYS}


def rows(database: Database, name: str, column: str, values: Iterable[object]) -> int:
    """How many rows of the table ``name`` have one of ``values`` in ``column``."""
    table = TABLES[name]
    with database.reading() as session:
        query = select(func.count()).select_from(table).where(table.c[column].in_(list(values)))
        return int(session.connection().execute(query).scalar_one())


def audit(database: Database) -> list[tuple[int, str, int | None]]:
    log = TABLES["audit_log"].c
    with database.reading() as session:
        query = select(log.id, log.action, log.draft_id).order_by(log.id)
        return [(row.id, row.action, row.draft_id) for row in session.connection().execute(query)]


@pytest.fixture
def desk(database: Database, config: Config, library: TemplateLibrary) -> Desk:
    return Desk(database, config, library)


@pytest.fixture
def planned(desk: Desk) -> dict[str, int]:
    """Drafts of every kind around DATE, by name."""
    alone, shared = desk.photos
    drafts = {
        "old": desk.add("Old and done", [alone, shared], approved=True),
        "cancelled": desk.add("Old and cancelled"),
        "straddling": desk.add("One post after the date"),
        "mentioned": desk.add("Retried after the date"),
        "scheduled": desk.add("Still to publish"),
        "writing": desk.add("Still being written", [shared]),
    }
    desk.finish(drafts["old"], DraftStatus.DONE, published())
    cancelled = dict.fromkeys(KEYS, PostStatus.CANCELLED)
    desk.finish(drafts["cancelled"], DraftStatus.CANCELLED, cancelled)
    desk.finish(drafts["straddling"], DraftStatus.DONE, published())
    desk.touch(drafts["straddling"], "x-en", "en", AFTER)  # published after the date
    desk.finish(drafts["mentioned"], DraftStatus.DONE, published())
    with desk.database.writing() as session:  # someone acted on it after the date
        session.add(
            AuditEntry(at=AFTER, actor="hana", action="post.retry", draft_id=drafts["mentioned"])
        )
    scheduled = dict.fromkeys(KEYS, PostStatus.SCHEDULED)
    desk.finish(drafts["scheduled"], DraftStatus.SCHEDULED, scheduled)
    return drafts


def test_only_the_drafts_finished_before_the_date_go_and_the_audit_log_stays(
    database: Database, desk: Desk, planned: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pruning, "WINDOW", 2)  # windows of two candidates
    gone, kept = (
        [planned["old"], planned["cancelled"]],
        [planned[name] for name in ("straddling", "mentioned", "scheduled", "writing")],
    )
    with database.reading() as session:
        gone_posts = [p.id for d in gone for p in draft_posts(session, d)]
    with database.writing() as session:  # the old draft came from a news feed's item
        item = NewsFeedItem(url_hash="f" * 64, guid_hash="g" * 64, guid="urn:1", draft_id=gone[0])
        session.add(item)
    logged = audit(database)
    walked: list[tuple[int, int]] = []

    pruned = prune(database, before=DATE, actor=desk.hana, progress=lambda *a: walked.append(a))

    # Two drafts of two variants and three posts each; the old one's two attempts (its failed
    # post has none), its review, and the one image nothing else sends.
    assert pruned == Pruned(drafts=2, variants=4, posts=6, attempts=2, reviews=1, images=1)
    assert walked == [(2, 4), (3, 4), (4, 4)]  # three done, one cancelled before the date
    assert rows(database, "draft", "id", gone) == 0
    assert rows(database, "draft", "id", kept) == len(kept)
    for model, each in (("variant", 2), ("post", 3)):
        assert rows(database, model, "draft_id", gone) == 0
        assert rows(database, model, "draft_id", kept) == each * len(kept)
    for model in ("review", "draft_revision"):
        assert rows(database, model, "draft_id", gone) == 0
    assert rows(database, "attempt", "post_id", gone_posts) == 0
    assert rows(database, "post_media", "post_id", gone_posts) == 0
    with database.reading() as session:  # kept, so that the feed never adds it again
        assert [i.draft_id for i in session.exec(sqlmodel_select(NewsFeedItem))] == [None]
    alone, shared = desk.photos
    assert rows(database, "media_blob", "sha256", [alone]) == 0
    assert rows(database, "media_blob", "sha256", [shared]) == 1  # the draft in writing sends it

    after = audit(database)
    assert after[: len(logged)] == logged  # every entry, the pruned drafts' too
    [(_, action, draft_id)] = after[len(logged) :]
    assert (action, draft_id) == ("prune", None)
    with database.reading() as session:
        entry = session.get(AuditEntry, after[-1][0])
        assert entry is not None and entry.actor == "hana"
        assert entry.detail.startswith("published before 2025-01-01T00:00:00+00:00: 2 drafts")


def test_a_dry_run_counts_the_same_and_changes_nothing(
    database: Database, desk: Desk, planned: dict[str, int]
) -> None:
    before = everything_stored(database)
    counted = prune(database, before=DATE, actor=desk.hana, dry_run=True)
    assert counted == Pruned(drafts=2, variants=4, posts=6, attempts=2, reviews=1, images=1)
    assert everything_stored(database) == before
    assert prune(database, before=DATE, actor=desk.hana) == counted


def test_nothing_goes_before_an_earlier_date(
    database: Database, desk: Desk, planned: dict[str, int]
) -> None:
    stored = everything_stored(database)
    assert prune(database, before=OLD, actor=desk.hana, dry_run=True) == Pruned()
    assert everything_stored(database) == stored


def test_only_an_admin_may_prune(database: Database, desk: Desk, planned: dict[str, int]) -> None:
    before = everything_stored(database)
    for user, role in ((desk.mina, "an author"), (desk.joon, "a reviewer")):
        with pytest.raises(ReviewError) as refused:
            prune(database, before=DATE, actor=user)
        assert str(refused.value) == f"{user.name} is {role} and may not prune drafts"
    assert everything_stored(database) == before
