"""Backups of a SQLite database taken while Tidings runs, and restoring one.

A backup is SQLite's online backup API reading one snapshot: the source connection holds a
read transaction for the whole copy. In WAL mode a reader and a writer do not block each other,
so a daemon publishing meanwhile neither waits nor makes the copy start over (the API restarts
whenever another connection writes between two of its steps, which a busy daemon would do
forever), and the copy is the database as it was at one instant. It is written beside the
backup's name and renamed onto it once complete: a backup file is never a half copy.

A restore copies a backup into the configured database through the same API, so the live
database's WAL stays coherent, and only after checking that the backup is a sound Tidings
database whose schema this Tidings knows (the command line also makes sure that no daemon is
running: ``scheduler.key_rotation.running_daemons``).

PostgreSQL is dumped and restored with its own tools: the commands are said, never run, and
carry no password (``PGPASSWORD`` or ``~/.pgpass`` hold it).
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import tempfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from drafts.errors import TidingsError
from drafts.storage import MIGRATIONS, head_revision

PAGES_PER_STEP = 1024  # 4 MiB of 4 KiB pages between two progress reports
BUSY_TIMEOUT_SECONDS = 10

Progress = Callable[[int, int], None]
"""Told after each step of a copy: pages copied so far, pages in all."""


class BackupError(TidingsError):
    """A backup or a restore that cannot be made: the message names the file and the problem."""


@dataclass(frozen=True)
class Backup:
    """A finished copy: where it is, how many pages and bytes it holds."""

    path: Path
    pages: int
    size: int


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite database URL, or None for a database on a server."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    return Path(url.database or "")


def back_up(
    database: Path, target: Path, *, force: bool, progress: Progress | None = None
) -> Backup:
    """Copy ``database`` to ``target`` as one consistent snapshot, while others write to it.

    Refuses an existing ``target`` unless ``force``; ``target`` is replaced only once the copy
    is complete."""
    if not database.is_file():
        raise BackupError(f"database {database} does not exist: there is nothing to back up")
    _check_target(database, target, force=force)
    handle, partial = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".partial", dir=target.parent
    )
    os.close(handle)
    try:
        with closing(_connect(database)) as source, closing(_connect(Path(partial))) as copy:
            source.execute("BEGIN")  # the snapshot: held until the copy is complete
            source.execute("SELECT 1 FROM sqlite_master LIMIT 1")
            pages = _copy(source, copy, progress)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        os.replace(partial, target)
    except sqlite3.Error as error:
        raise BackupError(f"backup: copying {database} failed: {error}") from None
    finally:
        Path(partial).unlink(missing_ok=True)
    return Backup(target, pages, target.stat().st_size)


def _check_target(database: Path, target: Path, *, force: bool) -> None:
    if not target.parent.is_dir():
        raise BackupError(f"backup: folder {target.parent} does not exist")
    if target.is_dir():
        raise BackupError(f"backup: {target} is a folder: name a file")
    if target.exists() and target.resolve() == database.resolve():
        raise BackupError(f"backup: {target} is the database itself: name another file")
    if target.exists() and not force:
        raise BackupError(
            f"backup: {target} exists: name another file, or add --force to replace it"
        )


def _copy(source: sqlite3.Connection, target: sqlite3.Connection, progress: Progress | None) -> int:
    """Copy in steps of ``PAGES_PER_STEP`` pages; the number of pages copied."""
    copied = 0

    def step(_status: int, remaining: int, total: int) -> None:
        nonlocal copied
        copied = total - remaining
        if progress is not None:
            progress(copied, total)

    source.backup(target, pages=PAGES_PER_STEP, progress=step)
    return copied


def _connect(path: Path) -> sqlite3.Connection:
    # No implicit transactions: BEGIN is issued where a snapshot is wanted.
    return sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)


# --- restoring ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Restorable:
    """A backup that passed its checks: its schema, and whether it is older than this code's."""

    path: Path
    schema: str
    needs_upgrade: bool


def check_backup(backup: Path) -> Restorable:
    """Refuse anything but a sound SQLite file holding a Tidings schema this code knows: the
    latest, or an older one (``tidings init`` upgrades it after the restore)."""
    if backup.is_dir():
        raise BackupError(f"restore: {backup} is a folder: name the backup file in it")
    if not backup.is_file():
        raise BackupError(f"restore: {backup} does not exist")
    try:
        with closing(sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)) as reading:
            found = reading.execute("PRAGMA quick_check").fetchone()
            versioned = reading.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
            rows = (
                reading.execute("SELECT version_num FROM alembic_version").fetchall()
                if versioned
                else []
            )
    except sqlite3.DatabaseError as error:
        if error.sqlite_errorcode == sqlite3.SQLITE_NOTADB:
            raise BackupError(f"restore: {backup} is not a SQLite database ({error})") from None
        raise BackupError(f"restore: {backup} is damaged ({error})") from None
    if found != ("ok",):
        raise BackupError(f"restore: {backup} is damaged ({_first_problem(found)})")
    if len(rows) != 1:
        raise BackupError(f"restore: {backup} is not a Tidings database (it has no schema version)")
    schema, head = str(rows[0][0]), head_revision()
    if schema not in known_revisions():
        raise BackupError(
            f"restore: {backup} has schema {schema}, which this Tidings (schema {head}) does not "
            "know: restore it with the Tidings version that made it"
        )
    return Restorable(backup, schema, needs_upgrade=schema != head)


def _first_problem(found: tuple[str, ...] | None) -> str:
    """The first problem ``PRAGMA quick_check`` names (its answer spans lines)."""
    lines = [
        line for line in str(found[0] if found else "").splitlines() if not line.startswith("***")
    ]
    return f"quick_check: {lines[0] if lines else 'no answer'}"


def restore(backup: Restorable, database: Path, *, progress: Progress | None = None) -> int:
    """Replace every page of ``database`` with the backup's; the number of pages copied.

    The copy is one write transaction on ``database``: a reader sees it before or after."""
    if not database.parent.is_dir():
        raise BackupError(f"restore: folder {database.parent} does not exist")
    if database.exists() and database.resolve() == backup.path.resolve():
        raise BackupError(f"restore: {backup.path} is the database itself")
    try:
        with closing(_connect(backup.path)) as source, closing(_connect(database)) as target:
            return _copy(source, target, progress)
    except sqlite3.Error as error:
        raise BackupError(f"restore: copying into {database} failed: {error}") from None


def known_revisions() -> set[str]:
    """Every schema revision this Tidings' migrations name."""
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


# --- PostgreSQL ---------------------------------------------------------------------------


def pg_dump_command(database_url: str, target: str) -> str:
    """The ``pg_dump`` command that backs the PostgreSQL database up into ``target``."""
    return shlex.join(
        ["pg_dump", "--format=custom", *_pg_connection(database_url), f"--file={target}"]
    )


def pg_restore_command(database_url: str, backup: str) -> str:
    """The ``pg_restore`` command that replaces the PostgreSQL database's tables with ``backup``'s."""
    return shlex.join(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            *_pg_connection(database_url),
            backup,
        ]
    )


def _pg_connection(database_url: str) -> list[str]:
    """The host, port, user and database name of the URL, as libpq's tools take them; never the
    password."""
    url = make_url(database_url)
    options = [f"--host={url.host}"] if url.host else []
    options += [f"--port={url.port}"] if url.port else []
    options += [f"--username={url.username}"] if url.username else []
    return [*options, f"--dbname={url.database or ''}"]
