"""The review workflow on a real database, run on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import StatementError
from sqlmodel import Session, select

from drafts.audit import history
from drafts.authoring import add_draft, draft_posts, edit_draft, get_draft
from drafts.changes import changes_since_seen
from drafts.config import Config
from drafts.draft_file import read_draft_file
from drafts.errors import NotFoundError, ReviewError, ScheduleError
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.messages import recalled
from drafts.models import Draft, User
from drafts.queueing import ScheduleRequest, cancel_draft, schedule_draft, upcoming_posts
from drafts.rendering import TemplateLibrary
from drafts.review import (
    SEEN_DIGITS,
    Decision,
    StaleReview,
    approvals_of,
    approve,
    request_changes,
    submit,
)
from drafts.storage import Database
from drafts.users import (
    Role,
    acting_user,
    add_user,
    chosen_language,
    name_of,
    replace_password_hash,
    set_language,
)
from tests.conftest import TEST_CONFIG, make_config

NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Monday 09:00 in Seoul

HIRING = """
kind = "hiring"
title = "Programme officer, Seoul"
template = "hiring"
channels = ["linkedin", "x-en"]
languages = ["ko", "en"]
expires_at = 2026-12-20

[fields]
position = { en = "Programme Officer", ko = "프로그램 오피서" }
organisation = "Tidings Test Network"
location = { en = "Seoul, Republic of Korea", ko = "대한민국 서울" }
deadline = 2026-12-18
link = "https://example.org/jobs/programme-officer"
"""


def hiring(config: Config, source: str = HIRING, now: datetime = NOW):  # type: ignore[no-untyped-def]
    return read_draft_file(source, "hiring.toml", config, now)


@pytest.fixture
def people(database: Database) -> dict[str, User]:
    with database.writing() as session:
        return {
            name: add_user(session, name=name, role=role, password_hash=None, actor=None)
            for name, role in [
                ("mina", Role.AUTHOR),
                ("joon", Role.REVIEWER),
                ("ara", Role.REVIEWER),
            ]
        }


def add(database: Database, config: Config, library: TemplateLibrary, author: User) -> int:
    with database.writing() as session:
        draft = add_draft(
            session, content=hiring(config), author=author, config=config, library=library
        )
        assert draft.id is not None
        return draft.id


def status(database: Database, draft_id: int) -> str:
    with database.reading() as session:
        return get_draft(session, draft_id).status


def test_a_draft_yields_one_post_per_channel_and_language(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, User]
) -> None:
    draft_id = add(database, config, library, people["mina"])
    with database.reading() as session:
        posts = draft_posts(session, draft_id)
    assert [(p.channel, p.language) for p in posts] == [
        ("linkedin", "ko"),
        ("linkedin", "en"),
        ("x-en", "en"),
    ]
    assert all(p.status == PostStatus.PENDING and p.due_at is None for p in posts)
    assert "2026년 12월 18일" in posts[0].text
    assert "December 18, 2026" in posts[1].text


def test_review_round_trip_binds_approval_to_content(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, User]
) -> None:
    mina, joon = people["mina"], people["joon"]
    draft_id = add(database, config, library, mina)
    with database.writing() as session:
        submit(session, draft_id=draft_id, actor=mina, config=config)
    with pytest.raises(ReviewError, match="may not review drafts"), database.writing() as session:
        approve(session, draft_id=draft_id, reviewer=mina, comment="", config=config, now=NOW)
    with database.writing() as session:
        decision = approve(
            session, draft_id=draft_id, reviewer=joon, comment="ok", config=config, now=NOW
        )
    assert decision.draft.status == DraftStatus.APPROVED

    edited = HIRING.replace("Tidings Test Network", "Tidings Network")
    with database.writing() as session:
        outcome = edit_draft(
            session,
            draft_id=draft_id,
            content=hiring(config, edited),
            editor=mina,
            config=config,
            library=library,
        )
    assert outcome.changed and outcome.back_to_review
    assert status(database, draft_id) == DraftStatus.IN_REVIEW

    with database.writing() as session:
        decision = approve(
            session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=NOW
        )
    assert decision.draft.status == DraftStatus.APPROVED
    with database.reading() as session:
        actions = [entry.action for entry in history(session, draft_id=draft_id)]
    assert actions == [
        "draft.add",
        "draft.submit",
        "draft.approve",
        "draft.edit",
        "draft.approve",
    ]


def test_an_approval_of_content_the_draft_no_longer_has_is_refused(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, User]
) -> None:
    mina, joon = people["mina"], people["joon"]
    draft_id = add(database, config, library, mina)
    with database.writing() as session:
        seen = submit(session, draft_id=draft_id, actor=mina, config=config).content_hash
    edited = HIRING.replace("Tidings Test Network", "Tidings Network")
    with database.writing() as session:  # the author edits while the reviewer reads
        edit_draft(
            session,
            draft_id=draft_id,
            content=hiring(config, edited),
            editor=mina,
            config=config,
            library=library,
        )

    def approve_seen(quoted: str) -> Decision:
        with database.writing() as session:
            return approve(
                session,
                draft_id=draft_id,
                reviewer=joon,
                comment="",
                config=config,
                now=NOW,
                seen=quoted,
            )

    for quoted in (seen, seen[:SEEN_DIGITS]):
        with pytest.raises(StaleReview, match=f"draft {draft_id} changed since you opened it"):
            approve_seen(quoted)
    assert status(database, draft_id) == DraftStatus.IN_REVIEW
    with database.reading() as session:
        draft = get_draft(session, draft_id)
        assert approvals_of(session, draft) == 0
        changes = changes_since_seen(session, draft, draft_posts(session, draft_id), seen)
        current = draft.content_hash
    assert changes is not None
    assert {(c.channel, c.language) for c in changes} == {
        ("linkedin", "ko"),
        ("linkedin", "en"),
        ("x-en", "en"),
    }
    removed = [p.text for c in changes for p in c.pieces if p.change == "removed"]
    assert removed == [" Test"] * 3

    with pytest.raises(ReviewError, match="seen: 'abc' is not a content hash"):
        approve_seen("abc")
    assert approve_seen(current[:SEEN_DIGITS].upper()).draft.status == DraftStatus.APPROVED


def test_self_approval_is_refused_even_for_admins_unless_allowed(
    database: Database, config: Config, library: TemplateLibrary
) -> None:
    with database.writing() as session:
        boss = add_user(session, name="boss", role=Role.ADMIN, password_hash=None, actor=None)
    draft_id = add(database, config, library, boss)
    with database.writing() as session:
        submit(session, draft_id=draft_id, actor=boss, config=config)
    with pytest.raises(ReviewError, match="allow_self_approval"), database.writing() as session:
        approve(session, draft_id=draft_id, reviewer=boss, comment="", config=config, now=NOW)

    relaxed = make_config(_with_review("required_approvals = 1\nallow_self_approval = true"))
    with database.writing() as session:
        decision = approve(
            session, draft_id=draft_id, reviewer=boss, comment="", config=relaxed, now=NOW
        )
    assert decision.draft.status == DraftStatus.APPROVED


def test_an_editor_may_not_approve_what_they_edited(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, User]
) -> None:
    with database.writing() as session:
        editor = add_user(session, name="sun", role=Role.ADMIN, password_hash=None, actor=None)
    draft_id = add(database, config, library, people["mina"])
    with database.writing() as session:
        edit_draft(
            session,
            draft_id=draft_id,
            content=hiring(config, HIRING.replace("Test ", "")),
            editor=editor,
            config=config,
            library=library,
        )
        submit(session, draft_id=draft_id, actor=editor, config=config)
    with pytest.raises(ReviewError, match="wrote or edited"), database.writing() as session:
        approve(session, draft_id=draft_id, reviewer=editor, comment="", config=config, now=NOW)
    with database.reading() as session:
        edits = [e for e in history(session, draft_id=draft_id) if e.action == "draft.edit"]
    told = [(e.actor, str(recalled(e.detail))) for e in edits]
    assert told == [("sun", "content changed; a draft by mina")]


def test_two_required_approvals_need_two_reviewers(
    database: Database, library: TemplateLibrary, people: dict[str, User]
) -> None:
    strict = make_config(_with_review("required_approvals = 2"))
    draft_id = add(database, strict, library, people["mina"])
    with database.writing() as session:
        submit(session, draft_id=draft_id, actor=people["mina"], config=strict)
        first = approve(
            session, draft_id=draft_id, reviewer=people["joon"], comment="", config=strict, now=NOW
        )
    assert (first.approvals, first.draft.status) == (1, DraftStatus.IN_REVIEW)
    with pytest.raises(ReviewError, match="already approved"), database.writing() as session:
        approve(
            session, draft_id=draft_id, reviewer=people["joon"], comment="", config=strict, now=NOW
        )
    with database.writing() as session:
        second = approve(
            session, draft_id=draft_id, reviewer=people["ara"], comment="", config=strict, now=NOW
        )
    assert (second.approvals, second.draft.status) == (2, DraftStatus.APPROVED)


def test_a_failed_command_writes_nothing(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, User]
) -> None:
    draft_id = add(database, config, library, people["mina"])
    with pytest.raises(ReviewError), database.writing() as session:
        # approve before submit: the state machine forbids it
        approve(
            session, draft_id=draft_id, reviewer=people["joon"], comment="", config=config, now=NOW
        )
    with pytest.raises(ReviewError), database.writing() as session:
        request_changes(
            session, draft_id=draft_id, reviewer=people["joon"], comment="  ", config=config
        )
    assert status(database, draft_id) == DraftStatus.DRAFT
    with database.reading() as session:
        assert [e.action for e in history(session, draft_id=draft_id)] == ["draft.add"]


def test_illegal_transitions_name_the_status(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, User]
) -> None:
    draft_id = add(database, config, library, people["mina"])
    with (
        pytest.raises(ReviewError, match=f"draft {draft_id} is draft; schedule needs"),
        database.writing() as session,
    ):
        schedule_draft(
            session,
            draft_id=draft_id,
            request=ScheduleRequest(next_slot=True),
            actor=people["mina"],
            config=config,
            now=NOW,
        )


def approved(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, User]
) -> int:
    draft_id = add(database, config, library, people["mina"])
    with database.writing() as session:
        submit(session, draft_id=draft_id, actor=people["mina"], config=config)
        approve(
            session, draft_id=draft_id, reviewer=people["joon"], comment="", config=config, now=NOW
        )
    return draft_id


def schedule(database: Database, config: Config, draft_id: int, user: User, **request) -> None:  # type: ignore[no-untyped-def]
    with database.writing() as session:
        schedule_draft(
            session,
            draft_id=draft_id,
            request=ScheduleRequest(**request),
            actor=user,
            config=config,
            now=NOW,
        )


def due_times(database: Database, draft_id: int) -> dict[str, datetime]:
    with database.reading() as session:
        return {
            f"{p.channel}/{p.language}": p.due_at
            for p in draft_posts(session, draft_id)
            if p.due_at
        }


def test_next_slot_uses_each_channels_zone_and_skips_taken_slots(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, User]
) -> None:
    first = approved(database, config, library, people)
    schedule(database, config, first, people["mina"], next_slot=True)
    # Monday 09:00 in Seoul: LinkedIn's next slot is 09:30 Seoul (00:30 UTC); x-en runs on
    # London time, where it is midnight: its next slot is 10:00 London (10:00 UTC).
    assert due_times(database, first) == {
        "linkedin/ko": datetime(2026, 11, 30, 0, 30, tzinfo=UTC),
        "linkedin/en": datetime(2026, 11, 30, 0, 30, tzinfo=UTC),
        "x-en/en": datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
    }
    second = approved(database, config, library, people)
    schedule(database, config, second, people["mina"], next_slot=True)
    assert due_times(database, second) == {
        "linkedin/ko": datetime(2026, 11, 30, 5, 0, tzinfo=UTC),  # 14:00 Seoul
        "linkedin/en": datetime(2026, 11, 30, 5, 0, tzinfo=UTC),
        "x-en/en": datetime(2026, 12, 1, 10, 0, tzinfo=UTC),  # Tuesday 10:00 London
    }
    assert status(database, second) == DraftStatus.SCHEDULED
    with database.reading() as session:
        queue = upcoming_posts(session, size=50).rows
    assert [p.due_at for p in queue] == sorted(p.due_at for p in queue if p.due_at)


def test_schedule_refuses_the_past_and_times_after_expiry(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, User]
) -> None:
    draft_id = approved(database, config, library, people)
    with pytest.raises(ScheduleError, match="in the past"):
        schedule(database, config, draft_id, people["mina"], at=NOW - timedelta(minutes=1))
    with pytest.raises(ScheduleError, match="after the draft expires"):
        schedule(database, config, draft_id, people["mina"], at=datetime(2026, 12, 25, tzinfo=UTC))
    assert status(database, draft_id) == DraftStatus.APPROVED
    at = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    schedule(database, config, draft_id, people["mina"], at=at)
    assert set(due_times(database, draft_id).values()) == {at}


def test_edit_of_a_scheduled_draft_unschedules_it(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, User]
) -> None:
    draft_id = approved(database, config, library, people)
    schedule(database, config, draft_id, people["mina"], next_slot=True)
    with database.writing() as session:
        edit_draft(
            session,
            draft_id=draft_id,
            content=hiring(config, HIRING.replace("2026-12-18", "2026-12-19")),
            editor=people["mina"],
            config=config,
            library=library,
        )
    assert status(database, draft_id) == DraftStatus.IN_REVIEW
    assert due_times(database, draft_id) == {}
    with database.reading() as session:
        assert upcoming_posts(session, size=50).rows == []


def test_publish_at_schedules_on_final_approval(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, User]
) -> None:
    source = HIRING.replace(
        "expires_at = 2026-12-20", 'expires_at = 2026-12-20\npublish_at = "2026-12-01 10:00"'
    )
    with database.writing() as session:
        draft = add_draft(
            session,
            content=hiring(config, source),
            author=people["mina"],
            config=config,
            library=library,
        )
        submit(session, draft_id=draft.id or 0, actor=people["mina"], config=config)
        decision = approve(
            session,
            draft_id=draft.id or 0,
            reviewer=people["joon"],
            comment="",
            config=config,
            now=NOW,
        )
    assert decision.scheduled_at == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert decision.draft.status == DraftStatus.SCHEDULED


def test_request_changes_and_cancel(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, User]
) -> None:
    draft_id = approved(database, config, library, people)
    schedule(database, config, draft_id, people["mina"], next_slot=True)
    with database.writing() as session:
        request_changes(
            session,
            draft_id=draft_id,
            reviewer=people["ara"],
            comment="Add the salary band",
            config=config,
        )
    assert status(database, draft_id) == DraftStatus.CHANGES_REQUESTED
    assert due_times(database, draft_id) == {}
    with database.writing() as session:
        cancelled = cancel_draft(session, draft_id=draft_id, actor=people["mina"])
    assert len(cancelled) == 3
    with database.reading() as session:
        statuses = {p.status for p in draft_posts(session, draft_id)}
    assert statuses == {PostStatus.CANCELLED}
    with pytest.raises(ReviewError, match="is cancelled"), database.writing() as session:
        submit(session, draft_id=draft_id, actor=people["mina"], config=config)


def test_only_admins_add_users_once_an_admin_exists(database: Database) -> None:
    with database.writing() as session:
        admin = add_user(session, name="root", role=Role.ADMIN, password_hash=None, actor=None)
        author = add_user(session, name="w", role=Role.AUTHOR, password_hash=None, actor=admin)
    with pytest.raises(ReviewError, match="only an admin"), database.writing() as session:
        add_user(session, name="x", role=Role.AUTHOR, password_hash=None, actor=None)
    with pytest.raises(ReviewError, match="may not manage users"), database.writing() as session:
        add_user(session, name="x", role=Role.AUTHOR, password_hash=None, actor=author)
    with database.reading() as session:
        assert len(session.exec(select(User)).all()) == 2


def test_a_session_acts_as_its_user_as_stored_now(
    database: Database, people: dict[str, User]
) -> None:
    mina = people["mina"]
    assert mina.id is not None
    with database.writing() as session:
        acting = acting_user(session, user_id=mina.id, name="mina")
        assert (acting.name, acting.role) == ("mina", Role.AUTHOR)
    with database.writing() as session:  # removed while still logged in somewhere
        session.delete(acting_user(session, user_id=mina.id, name="mina"))
    with pytest.raises(NotFoundError, match="unknown user 'mina'"), database.reading() as session:
        acting_user(session, user_id=mina.id, name="mina")


def test_a_users_language_and_password_hash_are_kept(
    database: Database, people: dict[str, User]
) -> None:
    mina = people["mina"]
    assert mina.id is not None
    with database.writing() as session:
        assert chosen_language(session, user_id=mina.id) is None
        set_language(session, user_id=mina.id, language="ko")
        assert replace_password_hash(session, user_id=mina.id, old_hash="a", new_hash="b") is None
    with database.writing() as session:
        assert chosen_language(session, user_id=mina.id) == "ko"
        stored = session.get(User, mina.id)
        assert stored is not None
        stored.password_hash = "a"
    with database.writing() as session:
        assert replace_password_hash(session, user_id=mina.id, old_hash="a", new_hash="b") == "b"
    with database.writing() as session:  # another login rehashed it first: theirs stays
        assert replace_password_hash(session, user_id=mina.id, old_hash="a", new_hash="c") == "b"
    with pytest.raises(NotFoundError, match="no user 999"), database.writing() as session:
        set_language(session, user_id=999, language="ko")
    with database.reading() as session:
        assert replace_password_hash(session, user_id=999, old_hash="a", new_hash="b") is None
        assert name_of(session, mina.id) == "mina"
        assert name_of(session, 999) == "?"


def test_times_come_back_aware_in_utc(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, User]
) -> None:
    draft_id = add(database, config, library, people["mina"])
    with database.reading() as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
    assert draft.expires_at == datetime(2026, 12, 20, 14, 59, 59, tzinfo=UTC)
    assert draft.created_at.tzinfo is UTC


def test_naive_datetimes_are_refused(database: Database, people: dict[str, User]) -> None:
    with Session(database.engine) as session:
        user = session.get(User, people["mina"].id)
        assert user is not None
        user.created_at = datetime(2026, 1, 1)  # noqa: DTZ001
        with pytest.raises(StatementError, match="naive datetime"):
            session.commit()


def _with_review(review: str) -> str:
    return TEST_CONFIG.replace("required_approvals = 1\nallow_self_approval = false", review)
