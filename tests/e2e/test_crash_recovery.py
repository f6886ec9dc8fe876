"""Issue 19: a dead daemon's posts are taken over within seconds, never sent twice, never lost.

Daemons run as processes (``tidings run``) with heartbeats of half a second. The sandbox
holds answers so that posts are in flight when a daemon is killed or paused: on Mastodon a
takeover resends with the post's Idempotency-Key; on Telegram, which offers no check, a
person is asked.
"""

from __future__ import annotations

import json
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from drafts.authoring import add_draft
from drafts.config import Config
from drafts.draft_file import read_draft_file
from drafts.lifecycle import PostStatus
from drafts.media_files import read_media
from drafts.models import Attempt, Post
from drafts.queueing import ScheduleRequest, schedule_draft
from drafts.rendering import TemplateLibrary
from drafts.review import approve, submit
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role, add_user
from scheduler.sandbox.server import RunningSandbox
from tests.conftest import make_config
from tests.e2e.daemons import start_daemon, wait_until, write_config
from tests.integration.photos import phone_photo
from tests.integration.publishing import queue_posts

HEARTBEAT = {"heartbeat_seconds": 0.5, "missed_beats": 3, "request_timeout": 60}
TAKEN = r"taken over from {worker} \((its process had ended|no heartbeat for \d+ s)\)"


@pytest.fixture
def config(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Config:
    """A Mastodon account (read-back: its Idempotency-Key) and a Telegram channel (none)."""
    monkeypatch.setenv("TIDINGS_T_MASTODON", secrets.token_urlsafe(24))
    monkeypatch.setenv("TIDINGS_T_TELEGRAM", f"123456789:{secrets.token_urlsafe(24)}")
    return make_config(
        f"""
[tidings]
timezone = "Asia/Seoul"
[[channels]]
id = "mastodon"
platform = "mastodon"
languages = ["en"]
base_url = "{sandbox.base_url}"
token_env = "TIDINGS_T_MASTODON"
[[channels]]
id = "telegram"
platform = "telegram"
languages = ["en"]
chat_id = "@tidings_demo"
token_env = "TIDINGS_T_TELEGRAM"
base_url = "{sandbox.base_url}"
"""
    )


def database_url(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=False)


def worker(process: subprocess.Popen[str]) -> str:
    return f"{socket.gethostname()}:{process.pid}"


def everything(database: Database) -> tuple[dict[int, Post], list[Attempt]]:
    with database.reading() as session:
        posts = {p.id or 0: p for p in session.exec(select(Post))}
        tries = list(session.exec(select(Attempt).order_by(Attempt.post_id, Attempt.number)))
    return posts, tries


def settled_once(database: Database, sandbox: RunningSandbox, ids: list[int]) -> None:
    """Every post published (Mastodon) or waiting for a person (Telegram), each received by
    the platform exactly once, none lost."""
    posts, _ = everything(database)
    assert sorted(posts) == sorted(ids)
    mastodon = [p for p in posts.values() if p.platform == "mastodon"]
    telegram = [p for p in posts.values() if p.platform == "telegram"]
    assert {p.status for p in mastodon} == {PostStatus.PUBLISHED}
    keys = Counter(r.headers["idempotency-key"] for r in sandbox.state.posts("mastodon"))
    assert len(keys) == len(mastodon) and set(keys.values()) <= {1}
    assert {p.remote_id for p in mastodon} == {r.remote_id for r in sandbox.state.posts("mastodon")}
    # A Telegram post taken over waits for a person, whether or not its request went out.
    texts = Counter(r.text for r in sandbox.state.posts("telegram"))
    assert set(texts) <= {p.text for p in telegram} and set(texts.values()) <= {1}
    assert {p.text for p in telegram if p.status == PostStatus.PUBLISHED} <= set(texts)
    assert {p.status for p in telegram} <= {PostStatus.PUBLISHED, PostStatus.NEEDS_ATTENTION}


def test_a_restart_takes_its_killed_predecessors_posts_at_once(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
    tmp_path: Path,
) -> None:
    ids = queue_posts(database, config, library, channels=["mastodon", "telegram"], count=4)
    # Every post is stored by the "platform", then its answer hangs: in flight at the kill.
    sandbox.state.faults.add("slow_after_accept", None, seconds=30, times=None)
    path = write_config(config, tmp_path, database_url(database), **HEARTBEAT)

    first = start_daemon(path)
    wait_until(lambda: len(sandbox.state.posts()) == 8, 30, "eight posts in flight")
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=10)
    sandbox.state.faults.clear()
    second = start_daemon(path, "--drain")
    _, errors = second.communicate(timeout=60)
    assert second.returncode == 0, errors

    settled_once(database, sandbox, ids)
    posts, tries = everything(database)
    assert {p.status for p in posts.values() if p.platform == "telegram"} == {
        PostStatus.NEEDS_ATTENTION  # sent, answer lost, no way to ask: a person checks
    }
    # The restart knew its predecessor dead at once, by its process, not by waiting.
    taken = f"taken over from {worker(first)} (its process had ended) with this attempt in flight"
    assert [(a.number, a.outcome, a.error) for a in tries if a.worker == worker(first)] == [
        (1, "unknown", taken)
    ] * 8
    assert {a.number for a in tries if a.worker == worker(second)} == {2}
    logged = subprocess.run(
        [sys.executable, "-m", "tidings", "log", "--json", "--config", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    said = [a["error"] for a in json.loads(logged.stdout) if a["worker"] == worker(first)]
    assert said == [taken] * 8


@pytest.mark.parametrize("database", ["postgres"], indirect=True)
def test_three_daemons_one_killed_the_others_take_its_posts(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
    tmp_path: Path,
) -> None:
    ids = queue_posts(database, config, library, channels=["mastodon", "telegram"], count=12)
    sandbox.state.faults.add("slow_after_accept", None, seconds=2, times=None)
    path = write_config(config, tmp_path, database_url(database), concurrency=3, **HEARTBEAT)
    victim, *others = daemons = [start_daemon(path, "--drain") for _ in range(3)]

    def holding_something() -> bool:
        with database.reading() as session:
            sending = session.exec(select(Attempt.worker).where(col(Attempt.outcome).is_(None)))
            return set(sending) == {worker(d) for d in daemons}

    wait_until(holding_something, 30, "each daemon sending")
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=10)
    for daemon in others:
        _, errors = daemon.communicate(timeout=120)
        assert daemon.returncode == 0, errors

    settled_once(database, sandbox, ids)
    posts, tries = everything(database)
    # The victim's attempts in flight were closed by a takeover that says so, and the
    # others took each of those posts on: Mastodon's published, Telegram's to a person.
    killed = [a for a in tries if a.worker == worker(victim) and a.outcome == "unknown"]
    assert killed, "the victim had posts in flight"
    for attempt in killed:
        assert re.match(TAKEN.format(worker=worker(victim)), attempt.error or "")
        later = [a for a in tries if a.post_id == attempt.post_id and a.number > attempt.number]
        assert later and {a.worker for a in later} <= {worker(d) for d in others}
        expected = {"mastodon": PostStatus.PUBLISHED, "telegram": PostStatus.NEEDS_ATTENTION}
        post = posts[attempt.post_id]
        assert post.status == expected[post.platform]


def pause_outside_a_transaction(process: subprocess.Popen[str], database: Database) -> None:
    """SIGSTOP ``process`` at a moment it holds no lock in the database: paused in the middle
    of a write, it would hold up every other daemon (SQLite's one writer, PostgreSQL's rows),
    and no other daemon could take its posts over until it resumed."""
    for _ in range(200):
        process.send_signal(signal.SIGSTOP)
        if holds_no_lock(database):
            return
        process.send_signal(signal.SIGCONT)
        time.sleep(0.01)
    raise AssertionError("the daemon was always in the middle of a transaction")


def holds_no_lock(database: Database) -> bool:
    """Whether another process could write the posts and heartbeats now."""
    if database.is_sqlite:
        path = make_url(database_url(database)).database or ""
        probe = sqlite3.connect(path, timeout=0.2, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            probe.close()
    with database.engine.connect() as connection:
        try:
            for table in ("post", "daemon_heartbeat", "attempt"):
                connection.execute(text(f"SELECT 1 FROM {table} FOR UPDATE NOWAIT"))
            return True
        except OperationalError:
            return False
        finally:
            connection.rollback()


def queue_photo_posts(
    database: Database, config: Config, library: TemplateLibrary, folder: Path, count: int
) -> list[int]:
    """Approved Mastodon drafts with one photo each, due now: an upload goes before each post."""
    (folder / "photo.jpg").write_bytes(phone_photo())
    # Scheduled as if a few seconds ago, so they are due when the daemon starts, however soon.
    now = utcnow() - timedelta(seconds=5)
    with database.writing() as session:
        author = add_user(session, name="mina", role=Role.AUTHOR, password_hash=None, actor=None)
        reviewer = add_user(
            session, name="joon", role=Role.REVIEWER, password_hash=None, actor=None
        )
    post_ids: list[int] = []
    for number in range(count):
        source = (
            f'kind = "post"\ntitle = "Walk {number}"\nchannels = ["mastodon"]\n'
            f'[text]\nen = "The harbour walk, day {number}"\n'
            '[[media]]\nfile = "photo.jpg"\nalt = "The new boardwalk at dusk"\n'
        )
        content = read_draft_file(source, "walk.toml", config, now)
        content, images = read_media(content, folder, "walk.toml")
        with database.writing() as session:
            draft = add_draft(
                session,
                content=content,
                author=author,
                config=config,
                library=library,
                images=images,
            )
            assert draft.id is not None
            submit(session, draft_id=draft.id, actor=author, config=config)
            approve(
                session, draft_id=draft.id, reviewer=reviewer, comment="", config=config, now=now
            )
            schedule_draft(
                session,
                draft_id=draft.id,
                request=ScheduleRequest(at=now + timedelta(seconds=1)),
                actor=author,
                config=config,
                now=now,
            )
            found = session.exec(select(Post.id).where(Post.draft_id == draft.id))
            post_ids += [post_id or 0 for post_id in found]
    return post_ids


def test_a_paused_daemon_resumed_after_a_takeover_sends_nothing_for_those_posts(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
    tmp_path: Path,
) -> None:
    ids = queue_photo_posts(database, config, library, tmp_path, 3)
    # The uploads are answered late: the paused daemon's next request would be the post.
    sandbox.state.faults.add("latency", "mastodon", path="/api/v2/media", ms=3000, times=None)
    path = write_config(config, tmp_path, database_url(database), **HEARTBEAT)

    paused = start_daemon(path, "--drain")
    uploads = lambda: len(sandbox.state.requests("mastodon", path="/api/v2/media"))  # noqa: E731
    wait_until(lambda: uploads() == 3, 30, "three uploads in flight")
    pause_outside_a_transaction(paused, database)
    try:
        assert sandbox.state.requests("mastodon", path="/api/v1/statuses") == []
        sandbox.state.faults.clear()
        other = start_daemon(path, "--drain")
        _, errors = other.communicate(timeout=60)
        assert other.returncode == 0, errors
        assert len(sandbox.state.requests("mastodon", path="/api/v1/statuses")) == 3
    finally:
        paused.send_signal(signal.SIGCONT)
    _, errors = paused.communicate(timeout=30)
    assert paused.returncode == 0, errors

    # Nothing more from the paused daemon: the three statuses are the other daemon's.
    assert len(sandbox.state.requests("mastodon", path="/api/v1/statuses")) == 3
    settled_once(database, sandbox, ids)
    _, tries = everything(database)
    dropped = [a for a in tries if a.worker == worker(paused)]
    assert [a.number for a in dropped] == [1, 1, 1]
    for attempt in dropped:
        taken, note = (attempt.error or "").split("; ")
        assert re.fullmatch(
            rf"taken over from {worker(paused)} \(no heartbeat for \d+ s\) .*", taken
        )
        assert note.startswith(f"{worker(paused)} resumed after ")
        assert note.endswith("found the post taken over (now published), and sent nothing more")


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_config_file_that_still_sets_lease_seconds_runs_and_is_told_it_is_unused(
    database: Database, config: Config, tmp_path: Path
) -> None:
    path = write_config(config, tmp_path, database_url(database), lease_seconds=90)
    daemon = start_daemon(path, "--drain")
    _, errors = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, errors
    assert "[scheduler] lease_seconds is no longer used (remove it)" in " ".join(errors.split())
