"""A thread and its first comment published by the daemon on the sandbox, part by part (issue 11
point 3): each part only once the part before it is out, each exactly once through a failure on
the way, and a chain stopped where a part needs a person. On SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import os
from datetime import timedelta

import httpx
import pytest
from sqlmodel import col, select

from drafts.attention import mark_published
from drafts.authoring import get_draft
from drafts.config import Config
from drafts.errors import DraftError
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Attempt, Post
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role, add_user
from scheduler.due import next_wake, pending_work
from scheduler.sandbox.server import RunningSandbox
from tests.integration.publishing import drain, queue_drafts, sandbox_config

PARTS = [
    "The harbour walk opens on Saturday morning.",
    "Bring the family: the new boardwalk runs two kilometres along the water.",
    "Food stalls and a brass band will be there from noon.",
]
COMMENT = "Map and timetable: https://example.org/harbour-walk"
STATUSES = "/api/v1/statuses"


@pytest.fixture
def config(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Config:
    return sandbox_config(sandbox.base_url, monkeypatch)


def thread(database: Database, config: Config, library: TemplateLibrary) -> int:
    """An approved, due draft: three parts and a first comment, on Mastodon."""
    return queue_drafts(
        database,
        config,
        library,
        channels=["mastodon"],
        texts={"en": PARTS},
        extra=f'first_comment = "{COMMENT}"',
    )


def chain_rows(database: Database, draft_id: int) -> list[Post]:
    with database.reading() as session:
        query = select(Post).where(Post.draft_id == draft_id).order_by(col(Post.part))
        return list(session.exec(query))


def attempts_of(database: Database, post_id: int) -> list[Attempt]:
    with database.reading() as session:
        query = select(Attempt).where(Attempt.post_id == post_id).order_by(col(Attempt.number))
        return list(session.exec(query))


def test_each_part_goes_out_once_after_the_part_before_it(
    database: Database, library: TemplateLibrary, sandbox: RunningSandbox, config: Config
) -> None:
    draft_id = thread(database, config, library)
    summary = drain(database, config)
    rows = chain_rows(database, draft_id)
    assert [(row.part, row.parts, row.status) for row in rows] == [
        (1, 3, PostStatus.PUBLISHED),
        (2, 3, PostStatus.PUBLISHED),
        (3, 3, PostStatus.PUBLISHED),
        (4, 3, PostStatus.PUBLISHED),
    ]
    assert summary.outcomes == {"published": 4}
    assert [post.text for post in sandbox.state.posts("mastodon")] == [*PARTS, COMMENT]
    # Sent in order: no part began before the part before it was published.
    tries = [attempts_of(database, row.id or 0) for row in rows]
    assert all(len(each) == 1 for each in tries)
    for before, after in itertools.pairwise(tries):
        assert before[0].finished_at is not None
        assert after[0].started_at >= before[0].finished_at
    with database.reading() as session:
        assert get_draft(session, draft_id).status == DraftStatus.DONE


def test_a_503_on_the_second_part_ends_with_every_part_once(
    database: Database, library: TemplateLibrary, sandbox: RunningSandbox, config: Config
) -> None:
    draft_id = thread(database, config, library)
    sandbox.state.faults.add("status", "mastodon", path=STATUSES, status=503, after=1)
    drain(database, config, retry_base_delay=timedelta(milliseconds=50))
    rows = chain_rows(database, draft_id)
    assert {row.status for row in rows} == {PostStatus.PUBLISHED}
    assert [post.text for post in sandbox.state.posts("mastodon")] == [*PARTS, COMMENT]
    second = attempts_of(database, rows[1].id or 0)
    assert [(a.outcome, a.http_status) for a in second] == [("retry", 503), ("published", 200)]
    assert [len(attempts_of(database, row.id or 0)) for row in rows] == [1, 2, 1, 1]


def test_a_part_that_needs_a_person_stops_the_chain_there(
    database: Database, library: TemplateLibrary, sandbox: RunningSandbox, config: Config
) -> None:
    draft_id = thread(database, config, library)
    sandbox.state.faults.add("status", "mastodon", path=STATUSES, status=422, after=1)
    drain(database, config)  # ends: the parts after the failed one wait, nothing is due
    rows = chain_rows(database, draft_id)
    assert rows[0].status == PostStatus.PUBLISHED
    assert rows[1].status in (PostStatus.FAILED, PostStatus.NEEDS_ATTENTION)
    assert [row.status for row in rows[2:]] == [PostStatus.SCHEDULED, PostStatus.SCHEDULED]
    assert [post.text for post in sandbox.state.posts("mastodon")] == PARTS[:1]
    with database.reading() as session:  # the waiting parts neither keep a drain going nor wake it
        assert not pending_work(session, now=utcnow())
        assert next_wake(session, now=utcnow()) is None
        assert get_draft(session, draft_id).status == DraftStatus.SCHEDULED


def test_a_chain_past_its_expiry_settles_every_part_left(
    database: Database, library: TemplateLibrary, sandbox: RunningSandbox, config: Config
) -> None:
    draft_id = thread(database, config, library)
    with database.writing() as session:  # it expired while waiting for its turn
        draft = get_draft(session, draft_id)
        draft.expires_at = utcnow() - timedelta(seconds=1)
        session.add(draft)
    drain(database, config)
    rows = chain_rows(database, draft_id)
    assert {row.status for row in rows} == {PostStatus.EXPIRED}
    assert sandbox.state.posts("mastodon") == []
    assert "part 1 of its chain was not sent" in (rows[2].reason or "")
    with database.reading() as session:
        assert get_draft(session, draft_id).status == DraftStatus.DONE


@pytest.mark.parametrize("by", ["link", "remote id"])
def test_a_part_marked_published_by_hand_is_what_the_next_part_replies_to(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
    by: str,
) -> None:
    draft_id = thread(database, config, library)
    sandbox.state.faults.add("status", "mastodon", path=STATUSES, status=422, after=1)
    drain(database, config)
    first, second, *_ = chain_rows(database, draft_id)
    # The person posts part 2 themselves, as a reply, and says where it is.
    posted = httpx.post(
        f"{sandbox.base_url}{STATUSES}",
        json={"status": second.text, "in_reply_to_id": first.remote_id, "language": "en"},
        headers={"Authorization": f"Bearer {os.environ['TIDINGS_T_MASTODON']}"},
    ).json()
    with database.writing() as session:
        admin = add_user(session, name="ops", role=Role.ADMIN, password_hash=None, actor=None)
        given = {"remote_id": posted["id"]} if by == "remote id" else {}
        mark_published(
            session, post_id=second.id or 0, url=posted["url"], actor=admin, now=utcnow(), **given
        )

    drain(database, config)

    rows = chain_rows(database, draft_id)
    assert {row.status for row in rows} == {PostStatus.PUBLISHED}
    received = sandbox.state.chain("mastodon", first.remote_id or "")
    assert [post.text for post in received] == [*PARTS, COMMENT]


LIVE_AT = "https://example.org/@tidings/110000"


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"remote_id": "9" * 256}, "remote_id: an id of at most 255 characters"),
        ({"remote_id": "110 000"}, "remote_id: an id has no spaces or control characters"),
        ({"remote_id": "110\x00000"}, "remote_id: an id has no spaces or control characters"),
        ({"url": "https://"}, "url: give the post's address, starting with https://"),
        ({"url": "javascript:x"}, "url: give the post's address, starting with https://"),
        ({"url": LIVE_AT + "9" * 1000}, "url: an address of at most 1000 characters"),
        ({"url": LIVE_AT + " 2"}, "url: an address has no spaces or control characters"),
    ],
)
def test_an_address_or_id_the_post_cannot_keep_is_refused_and_changes_nothing(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
    given: dict[str, str],
    said: str,
) -> None:
    """The command line, the web and the API mark a part published through one service, which
    refuses an address or id wider than the post keeps (PostgreSQL would refuse the write) or
    not one word, and an address that is not a web page's."""
    draft_id = thread(database, config, library)
    sandbox.state.faults.add("status", "mastodon", path=STATUSES, status=422, after=1)
    drain(database, config)
    _, second, *_ = chain_rows(database, draft_id)
    with database.writing() as session:
        admin = add_user(session, name="ops", role=Role.ADMIN, password_hash=None, actor=None)
        with pytest.raises(DraftError) as refused:
            mark_published(
                session,
                post_id=second.id or 0,
                actor=admin,
                now=utcnow(),
                **{"url": LIVE_AT, **given},
            )
    assert str(refused.value) == said
    assert chain_rows(database, draft_id)[1].status == second.status
