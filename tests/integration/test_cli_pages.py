"""Every list the command line prints comes a page at a time: ``--limit N`` rows, then
``--after CURSOR`` from the page's last line (``more: --after CURSOR``) or, in JSON, from its
last row's ``cursor``. Walking the pages gives every row once, in the list's order, even
where rows share a sort time; a cursor the list did not make is refused in one line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from drafts.config import Config
from drafts.keyset import token
from drafts.lifecycle import PostStatus
from drafts.models import Attempt, Draft, NotificationDelivery, NotificationEvent, Post
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from tests.conftest import make_config
from tests.integration.command_line import LOCAL_CONFIG, fails, run, snapshot, use_folder
from tests.integration.drafting import add_author, add_posts

# Three times for a dozen rows: most rows share their time with others.
T0 = datetime(2026, 12, 7, 0, 30, tzinfo=UTC)
TIMES = (T0, T0 + timedelta(hours=1), T0 + timedelta(days=1))
# The statuses a queued post can be in, and some it cannot (never listed).
QUEUED = (PostStatus.SCHEDULED, PostStatus.RETRYING, PostStatus.PUBLISHING)
GONE = (PostStatus.PUBLISHED, PostStatus.CANCELLED)

Row = dict[str, object]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    return tmp_path


@pytest.fixture
def database(folder: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{folder / 'tidings.db'}")
    yield db
    db.dispose()


@pytest.fixture
def config() -> Config:
    return make_config(LOCAL_CONFIG)


@pytest.fixture
def posts(database: Database, config: Config, library: TemplateLibrary) -> list[int]:
    """Five drafts of three posts each (linkedin en and ko, x-en): the posts' ids. Each post is
    queued (scheduled, retrying or being sent) or gone (published, cancelled), due at one of
    three times."""
    mina = add_author(database)
    ids = [
        post_id
        for number in range(5)
        for post_id in add_posts(database, config, library, mina, f"Notice {number}").values()
    ]
    statuses = (*QUEUED, *QUEUED, *GONE)
    with database.writing() as session:
        for index, post_id in enumerate(ids):
            post = session.get(Post, post_id)
            assert post is not None
            post.status = statuses[index % len(statuses)]
            post.due_at = post.attempt_at = TIMES[index * 7 % len(TIMES)]
    return ids


def listed(args: list[str], capsys: pytest.CaptureFixture[str]) -> list[Row]:
    capsys.readouterr()
    run(["--json", *args])
    rows: list[Row] = json.loads(capsys.readouterr().out)
    return rows


def walk(args: list[str], capsys: pytest.CaptureFixture[str], limit: int) -> list[list[Row]]:
    """The JSON pages of ``tidings ARGS --limit LIMIT``, each after the last one's last row,
    until a page comes back short."""
    pages = [listed([*args, "--limit", str(limit)], capsys)]
    while len(pages[-1]) == limit:
        after = str(pages[-1][-1]["cursor"])
        pages.append(listed([*args, "--limit", str(limit), "--after", after], capsys))
    return pages


def last_line(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    run(args)
    return capsys.readouterr().out.strip().splitlines()[-1]


def every_row_once(pages: list[list[Row]], expected: Sequence[object], key: str = "id") -> None:
    """The pages hold ``expected``, in order, each once."""
    assert all(pages[:-1]), "an empty page before the last"
    assert [row[key] for page in pages for row in page] == list(expected)


def queued(database: Database, channel: str | None = None) -> list[int]:
    """The queued posts' ids by due time, then id: what the queue must list."""
    query = select(Post).where(col(Post.status).in_(QUEUED))
    if channel is not None:
        query = query.where(Post.channel == channel)
    with database.reading() as session:
        found = session.exec(query).all()
        return [p.id or 0 for p in sorted(found, key=lambda p: (p.due_at, p.id))]


@pytest.mark.parametrize("limit", [1, 4, 7])
def test_the_queue_pages_give_every_queued_post_once_in_time_order(
    database: Database, posts: list[int], capsys: pytest.CaptureFixture[str], limit: int
) -> None:
    expected = queued(database)
    assert len(expected) == 12 and len(posts) == 15
    pages = walk(["queue"], capsys, limit)
    every_row_once(pages, expected)
    assert len(pages[0]) == limit


def test_the_queue_of_one_channel_pages_too(
    database: Database, posts: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    expected = queued(database, "linkedin")
    assert len(expected) >= 3
    every_row_once(walk(["queue", "--channel", "linkedin"], capsys, 2), expected)


def test_a_page_says_how_to_get_the_next_and_the_last_says_nothing_more(
    database: Database, posts: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    expected = queued(database)
    more = last_line(["queue", "--limit", "4"], capsys)
    assert more.startswith("more: --after ")
    after = more.removeprefix("more: --after ")
    second = listed(["queue", "--limit", "4", "--after", after], capsys)
    assert [row["id"] for row in second] == expected[4:8]
    last = listed(["queue", "--limit", "4", "--after", after], capsys)[-1]["cursor"]
    assert not last_line(["queue", "--after", str(last)], capsys).startswith("more:")


def test_the_default_page_is_fifty(
    database: Database, posts: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    with database.writing() as session:
        for post_id in posts:
            post = session.get(Post, post_id)
            assert post is not None
            post.status = PostStatus.SCHEDULED
        for extra in range(40):  # 55 queued posts: copies of the first
            first = session.get(Post, posts[0])
            assert first is not None
            copy = Post.model_validate(first.model_dump(exclude={"id"}) | {"occurrence": extra + 2})
            session.add(copy)
    assert len(listed(["queue"], capsys)) == 50
    assert last_line(["queue"], capsys).startswith("more: --after ")


def test_the_log_pages_newest_first_through_attempts_started_together(
    database: Database, posts: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    with database.writing() as session:
        for index, post_id in enumerate(posts):
            for number in (1, 2):  # two posts' attempts start at each minute
                at = T0 + timedelta(minutes=(index // 2) + number)
                session.add(Attempt(post_id=post_id, number=number, worker="w", started_at=at))
    with database.reading() as session:
        attempts = session.exec(select(Attempt)).all()
        expected = [a.id or 0 for a in sorted(attempts, key=lambda a: (a.started_at, a.id))]
    expected.reverse()
    every_row_once(walk(["log"], capsys, 4), expected)
    assert last_line(["log", "--limit", "29"], capsys).startswith("more: --after ")
    assert not last_line(["log", "--limit", "30"], capsys).startswith("more:")


def test_the_draft_list_pages_the_latest_changed_first(
    database: Database, posts: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    with database.writing() as session:
        drafts = session.exec(select(Draft)).all()
        for draft in drafts:  # two drafts changed at each time
            draft.updated_at = T0 + timedelta(minutes=(draft.id or 0) // 2)
    expected = [d.id or 0 for d in sorted(drafts, key=lambda d: (d.updated_at, d.id))]
    expected.reverse()
    every_row_once(walk(["draft", "list"], capsys, 2), expected)
    every_row_once(walk(["draft", "list", "--status", "draft"], capsys, 3), expected)
    assert walk(["draft", "list", "--status", "approved"], capsys, 3) == [[]]
    assert last_line(["draft", "list", "--limit", "2"], capsys).startswith("more: --after ")


def test_the_notifications_page_newest_first_every_one_or_the_given_up(
    database: Database, posts: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    with database.writing() as session:
        for number in range(11):
            event = NotificationEvent(key=f"test:{number}", event="review_requested")
            session.add(event)
            session.flush()
            assert event.id is not None
            session.add(
                NotificationDelivery(
                    event_id=event.id,
                    recipient="chat",
                    status="failed" if number % 3 == 0 else "sent",
                    next_try_at=T0,
                    created_at=T0 + timedelta(minutes=number // 3),  # three at a time
                )
            )
    with database.reading() as session:
        every = session.exec(select(NotificationDelivery)).all()
        newest = sorted(every, key=lambda d: (d.created_at, d.id), reverse=True)
    every_row_once(walk(["notifications"], capsys, 2), [d.id or 0 for d in newest])
    failed = [d.id or 0 for d in newest if d.status == "failed"]
    every_row_once(walk(["notifications", "--failed"], capsys, 3), failed)
    assert last_line(["notifications", "--limit", "10"], capsys).startswith("more: --after ")


def test_the_users_page_by_name(
    database: Database, posts: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("joon", "hana", "ara", "zed", "bora", "yuna"):
        add_author(database, name)
    pages = walk(["user", "list"], capsys, 2)
    every_row_once(pages, ["ara", "bora", "hana", "joon", "mina", "yuna", "zed"], key="name")
    assert last_line(["user", "list", "--limit", "6"], capsys).startswith("more: --after ")
    assert not last_line(["user", "list", "--limit", "7"], capsys).startswith("more:")


WRONG_CURSORS: list[tuple[str, Callable[[], str]]] = [
    ("not base64 json", lambda: "nonsense"),
    ("empty JSON list", lambda: token()),
    ("a number alone", lambda: token(42)),
    ("a time as text", lambda: token("2026-12-07", 3)),
    ("one part too many", lambda: token(T0, 3, 4)),
]


@pytest.mark.parametrize(
    "command", [["queue"], ["log"], ["draft", "list"], ["notifications"], ["user", "list"]]
)
@pytest.mark.parametrize(("_what", "cursor"), WRONG_CURSORS)
def test_a_cursor_the_list_did_not_make_is_refused_in_one_line(
    folder: Path,
    posts: list[int],
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    _what: str,
    cursor: Callable[[], str],
) -> None:
    before = snapshot(folder)
    bad = cursor()
    line = fails([*command, "--after", bad], capsys)
    assert line.startswith(f"error: after: {bad!r} is not a place in this list")
    assert snapshot(folder) == before


@pytest.mark.parametrize("limit", ["0", "-1", "1001", "many"])
def test_a_limit_outside_a_page_is_refused_in_one_line(
    folder: Path, capsys: pytest.CaptureFixture[str], limit: str
) -> None:
    line = fails(["queue", "--limit", limit], capsys)
    assert "--limit" in line
