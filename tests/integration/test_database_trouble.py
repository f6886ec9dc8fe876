"""A database that cannot take writes (the disk is full, the file is read-only): the CLI says
so in one line, without SQL or the draft's text, and the daemon waits it out, keeping the
results of the requests it sent until it can record them.

The trouble is SQLite's own: ``PRAGMA max_page_count`` at the file's current size is how
SQLite reports a full disk (SQLITE_FULL), ``PRAGMA query_only`` how it refuses a write to a
read-only file (SQLITE_READONLY); tests run as root, which file permissions do not stop.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from tests.conftest import TEST_CONFIG
from tests.integration.test_cli_errors import fails, run, snapshot

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
    for name in ("TIDINGS_CONFIG", "TIDINGS_USER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text(
        TEST_CONFIG.replace("sqlite:///unused.db", "sqlite:///tidings.db"), encoding="utf-8"
    )
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
