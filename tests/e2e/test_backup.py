"""``tidings backup`` and ``tidings restore``: a copy taken while a daemon publishes is whole and
consistent, a restore round-trips, and every problem is one line that changes nothing."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig

import drafts.backups
from drafts.backups import back_up, pg_dump_command, pg_restore_command
from drafts.lifecycle import PostStatus
from drafts.models import DaemonHeartbeat
from drafts.rendering import TemplateLibrary
from drafts.storage import MIGRATIONS, Database, head_revision
from drafts.times import utcnow
from scheduler.sandbox.server import RunningSandbox
from tests.e2e.daemons import start_daemon, wait_until, write_config
from tests.integration.command_line import LOCAL_CONFIG, fails, run, snapshot, use_folder
from tests.integration.publishing import queue_posts, sandbox_config

POSTS = 240


def rows(path: Path, query: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(query).fetchall()


def statuses(path: Path) -> dict[int, str]:
    return {int(str(i)): str(status) for i, status in rows(path, "SELECT id, status FROM post")}


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_backup_taken_while_the_daemon_publishes_is_whole(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    config = sandbox_config(sandbox.base_url, monkeypatch)
    ids = queue_posts(
        database, config, library, channels=["mastodon", "mastodon-b"], count=POSTS // 2
    )
    sandbox.state.settings.default_latency_ms = 20
    path = write_config(config, tmp_path, database.engine.url.render_as_string(), concurrency=4)
    live = Path(database.engine.url.database or "")
    daemon = start_daemon(path)
    try:
        wait_until(lambda: len(sandbox.state.posts()) >= 20, 60, "the daemon to publish")
        backups = []
        for number in range(3):  # one after the other while the daemon writes
            backups.append(tmp_path / f"backup-{number}.db")
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tidings",
                    "--config",
                    str(path),
                    "backup",
                    str(backups[-1]),
                ],
                check=True,
                capture_output=True,
                timeout=60,
            )
        published_meanwhile = len(sandbox.state.posts())
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, errors = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, errors
    assert published_meanwhile < POSTS, "the daemon finished before the backups: make it slower"

    for backup in backups:
        assert rows(backup, "PRAGMA integrity_check") == [("ok",)]
        assert rows(backup, "PRAGMA journal_mode") == [("delete",)]
        assert sorted(statuses(backup)) == sorted(ids)
        published = [i for i, s in statuses(backup).items() if s == PostStatus.PUBLISHED]
        # Each published post's attempt is in the same copy: one instant, not a blend.
        attempts = rows(backup, "SELECT post_id FROM attempt WHERE outcome = 'published'")
        assert sorted(published) == sorted(int(str(post_id)) for (post_id,) in attempts)
    done = [len([s for s in statuses(b).values() if s == PostStatus.PUBLISHED]) for b in backups]
    assert 0 < done[0] < POSTS  # taken mid-flight
    assert statuses(live).keys() == statuses(backups[0]).keys()


def test_the_copy_is_one_snapshot_however_many_steps_it_takes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's backup API starts over when another connection writes between two of its steps;
    holding one read transaction for the whole copy, the copy is the database as it was."""
    live = tmp_path / "live.db"
    with closing(sqlite3.connect(live, isolation_level=None)) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE note (body BLOB)")
        setup.executemany("INSERT INTO note VALUES (randomblob(2000))", [()] * 300)
    monkeypatch.setattr(drafts.backups, "PAGES_PER_STEP", 5)
    steps: list[tuple[int, int]] = []
    with closing(sqlite3.connect(live, isolation_level=None)) as writer:

        def write_between_steps(copied: int, total: int) -> None:
            steps.append((copied, total))
            if len(steps) <= 20:
                writer.execute("INSERT INTO note VALUES (randomblob(2000))")

        made = back_up(live, tmp_path / "copy.db", force=False, progress=write_between_steps)

    assert len(steps) > 20
    assert steps[-1][0] == steps[-1][1] == made.pages
    assert rows(tmp_path / "copy.db", "SELECT count(*) FROM note") == [(300,)]
    assert rows(live, "SELECT count(*) FROM note") == [(320,)]


# --- restore ------------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder whose config.toml names tidings.db (and no channel, so that a daemon
    needs no secret), created by `tidings init`, with one user in it."""
    use_folder(tmp_path, monkeypatch, '[tidings]\ndatabase = "sqlite:///tidings.db"\n')
    run(["init"])
    run(["user", "add", "mina", "--role", "author"])
    return tmp_path


def users(folder: Path) -> list[str]:
    return [
        str(name) for (name,) in rows(folder / "tidings.db", "SELECT name FROM user ORDER BY name")
    ]


def test_restore_round_trips(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    run(["backup", "saved.db", "--json"])
    made = json.loads(capsys.readouterr().out)
    assert made == {
        "backup": "saved.db",
        "pages": made["pages"],
        "bytes": (folder / "saved.db").stat().st_size,
    }
    run(["user", "add", "joon", "--role", "reviewer"])
    assert users(folder) == ["joon", "mina"]
    capsys.readouterr()

    run(["restore", "saved.db", "--yes", "--json"])

    restored = json.loads(capsys.readouterr().out)
    assert restored == {
        "restored": str(folder / "tidings.db"),
        "from": "saved.db",
        "pages": made["pages"],
        "schema": head_revision(),
        "needs_upgrade": False,
    }

    assert users(folder) == ["mina"]
    assert rows(folder / "tidings.db", "PRAGMA integrity_check") == [("ok",)]
    run(["user", "add", "joon", "--role", "reviewer"])  # the restored database works on
    assert users(folder) == ["joon", "mina"]


def test_restore_asks_for_yes_first(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(["backup", "saved.db"])
    run(["user", "add", "joon", "--role", "reviewer"])
    assert "add --yes to do it" in fails(["restore", "saved.db"], capsys)
    assert users(folder) == ["joon", "mina"]


def test_restore_refuses_while_a_daemon_reports_in(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["backup", "saved.db"])
    run(["user", "add", "joon", "--role", "reviewer"])
    daemon = start_daemon(folder / "config.toml")
    try:
        wait_until(
            lambda: bool(rows(folder / "tidings.db", "SELECT * FROM daemon_heartbeat")),
            30,
            "a heartbeat",
        )
        line = fails(["restore", "saved.db", "--yes"], capsys)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.communicate(timeout=30)
    assert f":{daemon.pid})" in line
    assert "stop `tidings run` first" in line
    assert users(folder) == ["joon", "mina"]
    run(["restore", "saved.db", "--yes"])  # stopped cleanly, it no longer counts
    assert users(folder) == ["mina"]


def test_a_silent_daemon_does_not_hold_a_restore_back(folder: Path) -> None:
    """A daemon killed without a clean stop leaves its row; silent past its missed beats, dead."""
    run(["backup", "saved.db"])
    database = Database(f"sqlite:///{folder / 'tidings.db'}")
    with database.writing() as session:
        long_ago = utcnow().replace(year=2020)
        session.add(
            DaemonHeartbeat(
                worker="old:1",
                host="old",
                pid=1,
                host_key="k",
                started_at=long_ago,
                beat_at=long_ago,
            )
        )
    database.dispose()
    run(["restore", "saved.db", "--yes"])


def older_database(path: Path, revision: str) -> None:
    database = Database(f"sqlite:///{path}")
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    database.dispose()


def test_an_older_schema_is_restored_and_init_upgrades_it(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    older_database(folder / "old.db", "0012")
    capsys.readouterr()
    run(["restore", "old.db", "--yes"])
    assert "run `tidings init` to upgrade it" in capsys.readouterr().out
    run(["init"])
    assert rows(folder / "tidings.db", "SELECT version_num FROM alembic_version") == [
        (head_revision(),)
    ]


def test_backups_that_cannot_be_restored(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(["backup", "saved.db"])
    (folder / "notes.txt").write_text("not a database\n" * 100, encoding="utf-8")
    with closing(sqlite3.connect(folder / "other.db")) as other:
        other.execute("CREATE TABLE thing (id INTEGER)")
    newer = folder / "newer.db"
    newer.write_bytes((folder / "saved.db").read_bytes())
    with closing(sqlite3.connect(newer)) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    page = 4096
    saved = (folder / "saved.db").read_bytes()
    unreadable = bytearray(saved)
    unreadable[page * 3 : page * 5] = b"\xff" * (page * 2)  # tables' pages overwritten
    (folder / "unreadable.db").write_bytes(bytes(unreadable))
    inconsistent = bytearray(saved)
    # A leaf page whose cells point outside it: SQLite opens the file, quick_check finds it.
    inconsistent[page * 4 : page * 4 + 8] = bytes([0x0D, 0, 0, 0, 5, 0x0F, 0xFF, 0])
    (folder / "inconsistent.db").write_bytes(bytes(inconsistent))
    (folder / "photos").mkdir()
    run(["user", "add", "joon", "--role", "reviewer"])
    before = snapshot(folder)

    expected = {
        "missing.db": "restore: missing.db does not exist",
        "photos": "restore: photos is a folder: name the backup file in it",
        "notes.txt": "restore: notes.txt is not a SQLite database (file is not a database)",
        "other.db": "restore: other.db is not a Tidings database (it has no schema version)",
        "newer.db": f"restore: newer.db has schema 9999, which this Tidings (schema {head_revision()}) does not know",
        "unreadable.db": "restore: unreadable.db is damaged (database disk image is malformed)",
        "inconsistent.db": "restore: inconsistent.db is damaged (quick_check: On tree page 5 cell",
    }
    for name, message in expected.items():
        assert message in fails(["restore", name, "--yes"], capsys), name
    assert snapshot(folder) == before


def test_backup_refuses_to_overwrite(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "saved.db").write_text("keep me", encoding="utf-8")
    line = fails(["backup", "saved.db"], capsys)
    assert line == "error: backup: saved.db exists: name another file, or add --force to replace it"
    assert (folder / "saved.db").read_text(encoding="utf-8") == "keep me"
    assert "folder nowhere does not exist" in fails(["backup", "nowhere/saved.db"], capsys)
    assert "is the database itself" in fails(["backup", "tidings.db", "--force"], capsys)

    run(["backup", "saved.db", "--force"])
    assert rows(folder / "saved.db", "SELECT name FROM user") == [("mina",)]
    assert [p.name for p in folder.iterdir() if p.name.endswith(".partial")] == []


def test_backup_of_a_database_that_does_not_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_folder(tmp_path, monkeypatch, LOCAL_CONFIG)
    assert "there is nothing to back up" in fails(["backup", "saved.db"], capsys)
    assert not (tmp_path / "saved.db").exists()


def test_postgresql_is_dumped_with_its_own_tools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql+psycopg://tidings:pa55word@db.internal:5433/comms"
    use_folder(tmp_path, monkeypatch, LOCAL_CONFIG.replace("sqlite:///tidings.db", url))
    capsys.readouterr()
    run(["backup", "/backups/tidings.dump"])
    run(["restore", "/backups/tidings.dump"])
    said = capsys.readouterr().out
    assert pg_dump_command(url, "/backups/tidings.dump") in said
    assert pg_restore_command(url, "/backups/tidings.dump") in said
    assert "pa55word" not in said
    assert pg_dump_command(url, "out.dump") == (
        "pg_dump --format=custom --host=db.internal --port=5433 --username=tidings "
        "--dbname=comms --file=out.dump"
    )


def test_a_big_backup_shows_its_progress_on_a_terminal(folder: Path) -> None:
    with closing(sqlite3.connect(folder / "tidings.db")) as connection, connection:
        connection.execute("CREATE TABLE ballast (body BLOB)")
        connection.executemany("INSERT INTO ballast VALUES (randomblob(100000))", [()] * 60)
    terminal, screen = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "tidings", "backup", "saved.db"],
        cwd=folder,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=screen,
        timeout=60,
        check=False,
    )
    os.close(screen)
    shown = b""
    while select.select([terminal], [], [], 0.5)[0]:
        try:
            chunk = os.read(terminal, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(terminal)
    assert done.returncode == 0
    assert b"Backing up" in shown and b"100%" in shown
    assert rows(folder / "saved.db", "SELECT count(*) FROM ballast") == [(60,)]
