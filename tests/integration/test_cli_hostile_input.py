"""Hostile and clumsy input on the command line, on SQLite and on PostgreSQL: ids past what a
column holds, deep nesting, times past the calendar, control characters, files that are not
UTF-8 or not a database. Each is one line naming the field, exit status 1, the database
unchanged, and never the SQL or its parameters."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from drafts.errors import StorageError
from drafts.models import User
from drafts.storage import Database
from tests.conftest import TEST_CONFIG
from tests.integration.command_line import GOOD, fails, run, use_folder

TABLES = ("user", "draft", "variant", "post", "review", "audit_log")
HUGE_IDS = ("99999999999999999999", str(2**63), str(2**31))
SQL_WORDS = ("SELECT", "INSERT", "UPDATE", "[SQL", "[parameters", "Traceback")


@pytest.fixture
def workdir(database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with config.toml on the test's database, two users and draft 1."""
    use_folder(tmp_path, monkeypatch, TEST_CONFIG.replace("sqlite:///unused.db", database.url))
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
    ["draft", "skip", "{id}", "--on", "2031-03-03", "--as", "mina"],
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


def nested(depth: int, opening: str = "[", closing: str = "]") -> str:
    return opening * depth + "1" + closing * depth


HIRING = """
kind = "hiring"
title = "Programme officer"
template = "hiring"
channels = ["linkedin"]
languages = ["en", "ko"]
[fields]
position = { en = "Programme Officer", ko = "프로그램 오피서" }
location = "Seoul"
deadline = 2099-12-18
link = "https://example.org/jobs/po"
"""

BAD_DRAFT_FILES = [
    (GOOD + f"publish_at = {nested(500)}\n", "not valid TOML: nested too deeply"),
    (HIRING + f"team = {nested(400, '{a = ', '}')}\n", "not valid TOML: nested too deeply"),
    (HIRING.replace('"Seoul"', nested(40)), "fields.location: nested more than 32 levels deep"),
    (GOOD.replace("Riverside", "River\\u0000side"), "title: holds a NUL character"),
    (GOOD.replace("open again", "open\\u0000again"), "text.en: holds a NUL character"),
    (
        HIRING.replace("프로그램", "\\u001b[2J"),
        "fields.position.ko: holds the control character U+001B",
    ),
    (GOOD.replace("en = ", '"e\\u0000n" = '), "text.'e\\x00n': the key holds a NUL character"),
    ("publish_at = [1]" + GOOD, "bad.toml: publish_at: Input should be a valid string"),
    ('publish_at = "2020-01-01 10:00\\n"' + GOOD, "publish_at: 2020-01-01 10:00 is in the past"),
    (
        HIRING + '"post\\nion" = "x"',
        "fields.'post\\nion': the key holds the control character U+000A",
    ),
    (HIRING.replace('["en", "ko"]', '["en\\n", "ko"]'), "languages: 'en\\n' is not a BCP 47"),
    (HIRING.replace('"ko"]', f'"ko{"-abcdefgh" * 4}"]'), "a tag of 38 characters is too long"),
    ('publish_at = "+99999999h"' + GOOD, "publish_at: '+99999999h' is past the year 9999"),
    (
        "publish_at = 9999-12-31T23:59:59-12:00" + GOOD,
        "publish_at: 9999-12-31 23:59-12:00 is out of range",
    ),
    ("expires_at = 9999-12-31" + GOOD, "expires_at: 9999-12-31 23:59+09:00 is out of range"),
    (
        "expires_at = 0001-01-01T00:00:00Z" + GOOD,
        "expires_at: 0001-01-01 00:00+00:00 is out of range",
    ),
]


@pytest.mark.parametrize(("source", "expected"), BAD_DRAFT_FILES)
def test_a_hostile_draft_file_is_refused_by_name(
    workdir: Path,
    database: Database,
    capsys: pytest.CaptureFixture[str],
    source: str,
    expected: str,
) -> None:
    (workdir / "bad.toml").write_text(source, encoding="utf-8")
    for command in (["draft", "add"], ["draft", "edit", "1"]):
        line = refused([*command, "bad.toml", "--as", "mina"], database, capsys)
        assert line.startswith("error: bad.toml: ") and expected in line, line


def test_a_draft_file_that_is_not_utf8_names_the_byte(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "bad.toml").write_bytes(GOOD.encode() + b'\nsummary = "caf\xe9"\n')
    line = refused(["draft", "add", "bad.toml", "--as", "mina"], database, capsys)
    position = len(GOOD.encode()) + len(b'\nsummary = "caf')
    assert line == f"error: bad.toml: not UTF-8 text (byte 0xe9 at position {position})"


def test_a_config_that_is_not_utf8_names_the_byte(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    config = workdir / "config.toml"
    config.write_bytes(b"# \xff\n" + config.read_bytes())
    line = refused(["queue"], database, capsys)
    assert line == "error: config.toml: not UTF-8 text (byte 0xff at position 2)"


def test_a_template_that_is_not_utf8_names_the_file(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "mine").mkdir()
    (workdir / "mine" / "hiring.en.txt.j2").write_bytes(b"Join us \xff {{ position }}\n")
    config = workdir / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("[tidings]", '[tidings]\ntemplates = "mine"'),
        encoding="utf-8",
    )
    (workdir / "hiring.toml").write_text(HIRING, encoding="utf-8")
    line = refused(["draft", "add", "hiring.toml", "--as", "mina"], database, capsys)
    assert line == (
        "error: hiring.toml: template hiring.en.txt.j2: not UTF-8 text (byte 0xff at position 8)"
    )


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_database_file_that_is_not_sqlite_is_not_a_tidings_database(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    impostor = workdir / "passwd"
    impostor.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    config = workdir / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(database.url, f"sqlite:///{impostor}"),
        encoding="utf-8",
    )
    for command in (["queue"], ["init"], ["draft", "add", "good.toml", "--as", "mina"]):
        line = fails(command, capsys)
        assert (
            line
            == f"error: database: {impostor} is not a Tidings database (file is not a database)"
        )
    assert impostor.read_text(encoding="utf-8") == "root:x:0:0:root:/root:/bin/bash\n"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql+psycopg://mina:s3cret@db.example:port/tidings",
            "database: not a database URL (invalid literal for int() with base 10: 'port')",
        ),
        ("sqlite:///tidings%00.db", "database: the database name holds a NUL character"),
    ],
)
def test_a_database_url_that_cannot_be_read_is_named(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str], url: str, expected: str
) -> None:
    config = workdir / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(database.url, url), encoding="utf-8"
    )
    for command in (["queue"], ["init"]):
        assert fails(command, capsys) == f"error: {expected}"


def test_a_database_refusal_is_said_without_sql_or_values(database: Database) -> None:
    def add_mina_twice() -> None:
        with database.writing() as session:
            for _ in range(2):
                session.add(User(name="mina", role="author", password_hash="argon2-secret-hash"))
                session.flush()

    with pytest.raises(StorageError) as refused:
        add_mina_twice()
    message = str(refused.value)
    assert message.startswith("database: ") and "unique" in message.lower()
    assert not any(word in message for word in (*SQL_WORDS, "argon2-secret-hash", "\n"))


@pytest.mark.usefixtures("workdir")
def test_a_bug_in_the_database_layer_prints_no_sql(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise StatementError("broken", "SELECT title FROM draft", {"title": "a draft's text"}, None)

    monkeypatch.setattr("tidings.cli.draft_commands.list_drafts", broken)
    line = fails(["draft", "list"], capsys)
    assert line.startswith("error: internal error (StatementError); run again with")
    assert "SELECT" not in line and "a draft's text" not in line


@pytest.mark.usefixtures("workdir")
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["user", "add", "zed\n", "--role", "author"], "name: 'zed\\n' must be 1-64 letters"),
        (["schedule", "1", "--at", "+99999999h", "--as", "mina"], "at: '+99999999h' is past"),
        (["schedule", "1", "--at", "9999-12-31 23:00", "--as", "mina"], "is out of range"),
    ],
)
def test_a_hostile_argument_is_refused_by_name(
    database: Database, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    assert expected in refused(args, database, capsys)
