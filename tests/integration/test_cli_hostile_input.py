"""Hostile and clumsy input on the command line, on SQLite and on PostgreSQL: ids past what a
column holds, deep nesting, times past the calendar, control characters, files that are not
UTF-8 or not a database. Each is one line naming the field, exit status 1, the database
unchanged, and never the SQL or its parameters."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from drafts.storage import Database
from tests.conftest import TEST_CONFIG
from tests.integration.test_cli_errors import GOOD, fails, run

TABLES = ("user", "draft", "variant", "post", "review", "audit_log")
HUGE_IDS = ("99999999999999999999", str(2**63), str(2**31))
SQL_WORDS = ("SELECT", "INSERT", "UPDATE", "[SQL", "[parameters", "Traceback")


@pytest.fixture
def workdir(database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with config.toml on the test's database, two users and draft 1."""
    for name in ("TIDINGS_CONFIG", "TIDINGS_USER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    config = TEST_CONFIG.replace("sqlite:///unused.db", database.url)
    (tmp_path / "config.toml").write_text(config, encoding="utf-8")
    run(["user", "add", "mina", "--role", "author"])
    run(["user", "add", "joon", "--role", "reviewer"])
    (tmp_path / "good.toml").write_text(GOOD, encoding="utf-8")
    run(["draft", "add", "good.toml", "--as", "mina"])
    return tmp_path


def snapshot(database: Database) -> tuple[object, ...]:
    with database.engine.connect() as connection:
        return tuple(
            connection.execute(text(f'SELECT * FROM "{table}" ORDER BY id')).all()
            for table in TABLES
        )


def refused(args: list[str], database: Database, capsys: pytest.CaptureFixture[str]) -> str:
    """The one line the command fails with, after checking that nothing changed."""
    before = snapshot(database)
    line = fails(args, capsys)
    assert not any(word in line for word in SQL_WORDS), line
    assert snapshot(database) == before
    return line


DRAFT_COMMANDS = [
    ["draft", "show", "{id}"],
    ["draft", "edit", "{id}", "good.toml", "--as", "mina"],
    ["submit", "{id}", "--as", "mina"],
    ["approve", "{id}", "--as", "joon"],
    ["request-changes", "{id}", "--comment", "Name the team", "--as", "joon"],
    ["schedule", "{id}", "--next-slot", "--as", "mina"],
    ["cancel", "{id}", "--as", "mina"],
]
POST_COMMANDS = [
    ["post", "retry", "{id}", "--as", "mina"],
    ["post", "mark-published", "{id}", "--url", "https://example.org/p/1", "--as", "mina"],
    ["log", "--post", "{id}"],
]


@pytest.mark.usefixtures("workdir")
@pytest.mark.parametrize("command", DRAFT_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_draft_id_past_any_column_is_no_draft(
    command: list[str], database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    for huge in HUGE_IDS:
        line = refused([arg.format(id=huge) for arg in command], database, capsys)
        assert line == f"error: no draft {huge}"


@pytest.mark.usefixtures("workdir")
@pytest.mark.parametrize("command", POST_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_post_id_past_any_column_is_no_post(
    command: list[str], database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    for huge in HUGE_IDS:
        line = refused([arg.format(id=huge) for arg in command], database, capsys)
        assert line == f"error: no post {huge}"
