"""A database that cannot take writes (the disk is full, the file is read-only): the CLI says
so in one line, without SQL or the draft's text, and the daemon waits it out, keeping the
results of the requests it sent until it can record them.

The trouble is SQLite's own: ``PRAGMA max_page_count`` at the file's current size is how
SQLite reports a full disk (SQLITE_FULL), ``PRAGMA query_only`` how it refuses a write to a
read-only file (SQLITE_READONLY); tests run as root, which file permissions do not stop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import select

from drafts.config import Config
from drafts.lifecycle import PostStatus
from drafts.models import Attempt, Post
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from scheduler.daemon import Daemon, DaemonSettings
from scheduler.sandbox.server import RunningSandbox, running_sandbox
from tests.conftest import sqlite_database
from tests.integration.command_line import fails, run, snapshot, use_folder
from tests.integration.publishing import drain, queue_drafts, sandbox_config

SECRET_WORDS = "the harbour fund's unannounced budget"
LONG_DRAFT = f"""
kind = "update"
title = "Harbour fund"
channels = ["linkedin"]
[text]
en = "{(SECRET_WORDS + ". ") * 400}"
"""


def full_disk(dbapi_connection: Any, _record: Any) -> None:
    """Leave the connection no page beyond the file's current size: SQLite's disk full."""
    pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
    dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")


def read_only(dbapi_connection: Any, _record: Any) -> None:
    """Refuse every write on the connection as SQLite refuses it on a read-only file."""
    dbapi_connection.execute("PRAGMA query_only = ON")


@contextmanager
def every_new_connection(listener: Any) -> Iterator[None]:
    event.listen(Engine, "connect", listener)
    try:
        yield
    finally:
        event.remove(Engine, "connect", listener)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    run(["user", "add", "mina", "--role", "author"])
    (tmp_path / "long.toml").write_text(LONG_DRAFT, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("listener", "said"),
    [(full_disk, "the disk is full"), (read_only, "the database file is read-only")],
)
def test_draft_add_says_why_the_database_refused_it_and_nothing_else(
    workdir: Path, capsys: pytest.CaptureFixture[str], listener: Any, said: str
) -> None:
    before = snapshot(workdir)
    with every_new_connection(listener):
        line = fails(["draft", "add", "long.toml", "--as", "mina"], capsys)
    assert line == f"error: database {workdir / 'tidings.db'}: {said}"
    assert snapshot(workdir) == before
    run(["draft", "add", "long.toml", "--as", "mina"])  # once the disk has room, it works
    assert len(snapshot(workdir)[1]) == 1


# --- the daemon ---------------------------------------------------------------------------

Refuse = Callable[[Any], None]


class Trouble:
    """While on, every connection ``database`` hands out refuses writes (``refuse``, given the
    driver's connection); while off, it takes them again (``allow``). ``refused`` counts the
    statements the database refused while on."""

    def __init__(self, database: Database, refuse: Refuse, allow: Refuse) -> None:
        self.on = False
        self.refused = 0
        self._refuse, self._allow = refuse, allow
        event.listen(database.engine, "checkout", self._checkout)
        event.listen(database.engine, "handle_error", self._error)

    def _checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if self.on:
            self._refuse(dbapi_connection)
        else:
            self._allow(dbapi_connection)

    def _error(self, _context: Any) -> None:
        if self.on:
            self.refused += 1


def read_only_trouble(database: Database) -> Trouble:
    if database.is_sqlite:
        return Trouble(
            database,
            lambda c: c.execute("PRAGMA query_only = ON"),
            lambda c: c.execute("PRAGMA query_only = OFF"),
        )
    # What a PostgreSQL standby answers: "cannot execute UPDATE in a read-only transaction".
    return Trouble(database, lambda c: c.execute("SET TRANSACTION READ ONLY"), _nothing)


def _nothing(dbapi_connection: Any) -> None:
    """A PostgreSQL transaction is read-write unless it says otherwise."""


def full_disk_trouble(database: Database) -> Trouble:
    def no_page_left(dbapi_connection: Any) -> None:
        # The free pages that earlier writes left go first: a write that found some would not
        # be refused (changing the post's row, whose text overflows its page, takes new pages
        # before it frees the old ones).
        dbapi_connection.execute("VACUUM")
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    return Trouble(
        database,
        no_page_left,
        lambda c: c.execute("PRAGMA max_page_count = 2147483646"),
    )


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox() as running:
        yield running


@pytest.fixture
def config(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Config:
    return sandbox_config(sandbox.base_url, monkeypatch)


def outage_while_in_flight(
    database: Database,
    config: Config,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    trouble: Trouble,
    stop_in_outage: bool = False,
) -> int:
    """A webhook post whose request is answered a second late; the database refuses writes
    from the moment the request arrives until the daemon, holding the answer, has been refused
    once more (and, with ``stop_in_outage``, told to stop). Returns the post's id once the
    daemon has ended."""
    # Long enough to need pages of its own: changing the post's row needs new pages.
    text = "The harbour walk opens on Saturday with music and food stalls. " * 100
    draft_id = queue_drafts(database, config, library, channels=["team-chat"], texts={"en": text})
    sandbox.state.faults.add("slow_after_accept", "webhook", seconds=1.0)
    heartbeat = timedelta(seconds=0.5 if stop_in_outage else 10)  # a lease of 4 beats
    settings = DaemonSettings(
        request_timeout=10.0,
        heartbeat=heartbeat,
        missed_beats=4,
        storage_retry=timedelta(seconds=0.05),
    )

    async def scenario() -> None:
        daemon = Daemon(config, database, settings=settings, drain=True)
        running = asyncio.create_task(daemon.run())
        while not sandbox.state.posts("webhook"):  # sent; the answer comes in a second
            await asyncio.sleep(0.01)
        trouble.on = True
        try:
            while not daemon.summary.outcomes:  # the answer comes
                await asyncio.sleep(0.01)
            answered = trouble.refused
            while trouble.refused == answered:  # and the next write is refused too
                await asyncio.sleep(0.01)
                assert not running.done(), "the daemon stopped while the database refused writes"
            if stop_in_outage:
                daemon.stop()
                await running
        finally:
            trouble.on = False
        await running

    asyncio.run(asyncio.wait_for(scenario(), timeout=30))
    with database.reading() as session:
        (post,) = session.exec(select(Post).where(Post.draft_id == draft_id))
    assert post.id is not None
    return post.id


def published_once(database: Database, sandbox: RunningSandbox, post_id: int) -> None:
    """The post is published, recorded with the one request the platform received."""
    with database.reading() as session:
        post = session.get(Post, post_id)
        tries = list(session.exec(select(Attempt).where(Attempt.post_id == post_id)))
    assert len(sandbox.state.posts("webhook")) == 1
    assert post is not None and post.status == PostStatus.PUBLISHED and post.remote_id
    assert [(a.outcome, a.http_status) for a in tries] == [("published", 200)]


def said_once(caplog: pytest.LogCaptureFixture, trouble: str) -> None:
    lines = [r.getMessage() for r in caplog.records if r.name == "tidings.daemon"]
    assert [line for line in lines if trouble in line] == [lines[0]], lines
    assert "SELECT" not in lines[0] and "UPDATE" not in lines[0]
    assert lines[-1].startswith("the database takes writes again")
    assert len(lines) == 2


def test_the_daemon_waits_out_a_read_only_database_and_records_what_it_sent(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
    caplog: pytest.LogCaptureFixture,
) -> None:
    trouble = read_only_trouble(database)
    with caplog.at_level(logging.WARNING, logger="tidings.daemon"):
        post_id = outage_while_in_flight(database, config, library, sandbox, trouble)
    published_once(database, sandbox, post_id)
    said_once(caplog, "read-only")


def test_the_daemon_waits_out_a_full_disk_and_records_what_it_sent(
    sqlite_template: Path,
    tmp_path: Path,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = sqlite_database(sqlite_template, tmp_path)
    trouble = full_disk_trouble(database)
    with caplog.at_level(logging.WARNING, logger="tidings.daemon"):
        post_id = outage_while_in_flight(database, config, library, sandbox, trouble)
    published_once(database, sandbox, post_id)
    said_once(caplog, "the disk is full")
    database.dispose()


def test_a_daemon_stopped_in_an_outage_logs_what_it_could_not_record_and_nothing_is_resent(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
    caplog: pytest.LogCaptureFixture,
) -> None:
    trouble = read_only_trouble(database)
    with caplog.at_level(logging.WARNING, logger="tidings.daemon"):
        post_id = outage_while_in_flight(
            database, config, library, sandbox, trouble, stop_in_outage=True
        )
    (unrecorded,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert unrecorded.startswith(
        f"post {post_id}: attempt 1 ended published (webhook-1) but was not recorded (database "
    )
    assert "read-only); the next daemon checks the post" in unrecorded
    # The next daemon finds the post it left publishing, and asks a person instead of resending.
    drain(database, config)
    with database.reading() as session:
        post = session.get(Post, post_id)
    assert post is not None and post.status == PostStatus.NEEDS_ATTENTION
    assert len(sandbox.state.posts("webhook")) == 1
