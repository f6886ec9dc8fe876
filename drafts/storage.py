"""The database: engines, transactions and the schema's version.

SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
``BEGIN IMMEDIATE`` so that two writers queue on the lock instead of failing half-way;
PostgreSQL (psycopg 3) runs the same code. A database error leaves a session as a
``TidingsError`` in plain words: SQLAlchemy's own text quotes the SQL and its parameters.
Trouble that passes (a full disk, a read-only file, a lost connection) is a
``StorageUnavailable``, which the daemon waits out instead of stopping.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlmodel import Session

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

from drafts.errors import ConfigError, StorageError, StorageUnavailable, TidingsError
from drafts.messages import N_, said

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 10_000
# A PostgreSQL connection is opened anew after ten minutes, and with it the plans its prepared
# statements kept: the claim's is made once a connection (``scheduler.claiming``), and one
# made on a young database would otherwise stay while the tables grow, where nothing analyses
# them (autovacuum off). Ten minutes cost a connection's few milliseconds.
CONNECTION_LIFETIME_S = 600
_BEGIN = "tidings_begin"


class Database:
    """One database, opened once per process; sessions are short and explicit."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = _create_engine(url)
        self._writer = self.engine.execution_options(**{_BEGIN: "BEGIN IMMEDIATE"})
        from drafts.models import partial_indexes_for  # the tables, for what opens them

        partial_indexes_for(self.engine.dialect.name)

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A transaction that may write: committed when the block ends, rolled back on error."""
        with (
            self._plain_errors(),
            Session(self._writer, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A transaction that only reads."""
        with (
            self._plain_errors(),
            Session(self.engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def _plain_errors(self) -> Iterator[None]:
        try:
            yield
        except DBAPIError as error:
            raise plain_error(error, self.display_path) from None

    def migrate(self) -> str:
        """Create the schema or upgrade it to the latest revision; return that revision."""
        from alembic import command

        before = self.current_revision()
        with self._plain_errors(), self.engine.connect() as connection:
            # SQLite changes a table by copying it: with foreign keys on, dropping the old
            # copy would cascade into every row that refers to it. The switch only works
            # outside a transaction; the check after the copy stands in for it.
            self._foreign_keys(connection, on=False)
            try:
                with connection.begin():
                    config = _alembic_config()
                    config.attributes["connection"] = connection
                    command.upgrade(config, "head")
                    self._check_foreign_keys(connection)
            finally:
                self._foreign_keys(connection, on=True)
        head = head_revision()
        if not self.is_sqlite and before not in (None, head):
            self._vacuum()
        return head

    def _vacuum(self) -> None:
        """After an upgrade on PostgreSQL, what autovacuum would do in its own time: an upgrade
        may rewrite every row of a table (0027 rewrote the posts and drafts), and until the
        old versions are cleared, counts that read an index alone read the table too (the desk
        of the author of 400,000 drafts took 222 ms instead of 44 at a million posts). VACUUM
        only runs outside a transaction, and neither reads nor writes wait for it."""
        with self._plain_errors(), self.engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("VACUUM (ANALYZE)")

    def _foreign_keys(self, connection: Connection, *, on: bool) -> None:
        if self.is_sqlite:
            raw = connection.connection.dbapi_connection
            assert raw is not None
            raw.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")

    def _check_foreign_keys(self, connection: Connection) -> None:
        if self.is_sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
            raise StorageError(
                "the schema upgrade left rows pointing at nothing; nothing was changed"
            )

    def current_revision(self) -> str | None:
        """The schema's revision as Alembic recorded it; None for an empty database. Read
        with two plain queries: Alembic's MigrationContext would import all of Alembic (some
        70 ms) for every command that checks the schema, and SQLAlchemy's inspector compiles
        a catalogue query of its own the first time (some 6 ms of a PostgreSQL command)."""
        exists = (
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            if self.is_sqlite
            else "SELECT to_regclass('alembic_version')"
        )
        try:
            with self.engine.connect() as connection:
                if connection.exec_driver_sql(exists).scalar() is None:
                    return None
                version = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
                return version.scalar_one_or_none()
        except OperationalError as error:
            reason = driver_message(error)
            raise ConfigError(f"database {self.display_url}: cannot open: {reason}") from None
        except DBAPIError as error:
            raise plain_error(error, self.display_path) from None

    def check_schema(self) -> None:
        """Refuse to work on a database that is missing or not at the latest schema. A SQLite
        file that is not there is said so, and not made (opening it would make it, empty)."""
        if self.is_sqlite and not self._sqlite_file_exists():
            raise ConfigError(f"database {self.display_url} does not exist: run `tidings init`")
        current = self.current_revision()
        if current is None:
            raise ConfigError(f"database {self.display_url} is empty: run `tidings init`")
        if current != head_revision():
            raise ConfigError(
                f"database {self.display_url} has an older schema ({current}): run `tidings init`"
            )

    def _sqlite_file_exists(self) -> bool:
        path = self.engine.url.database or ""
        return path in ("", ":memory:") or path.startswith("file:") or Path(path).exists()

    @property
    def display_url(self) -> str:
        """The URL without any password."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def display_path(self) -> str:
        """The SQLite file, or the URL without any password."""
        return (self.engine.url.database or "") if self.is_sqlite else self.display_url

    def dispose(self) -> None:
        self.engine.dispose()


def plain_error(error: DBAPIError, database: str) -> TidingsError:
    """What went wrong, in the driver's words, without the SQL and parameters (a draft's
    text, a user's name) that SQLAlchemy's message quotes."""
    reason = driver_message(error)
    if reason == "file is not a database":  # SQLite, opening some other kind of file
        return ConfigError(f"database: {database} is not a Tidings database ({reason})")
    trouble = unavailable_because(error)
    if trouble is not None:
        return StorageUnavailable(said(UNAVAILABLE, database=database, trouble=said(trouble)))
    return StorageError(said(REFUSED, reason=reason))


UNAVAILABLE = N_("database %(database)s: %(trouble)s")
REFUSED = N_("database: %(reason)s")  # the driver's own words
# SQLite's primary result codes (an extended code keeps its primary one in the low byte).
_SQLITE_TROUBLE = {
    5: N_("the database is locked by another process"),  # SQLITE_BUSY
    6: N_("the database is locked by another process"),  # SQLITE_LOCKED
    8: N_("the database file is read-only"),  # SQLITE_READONLY
    10: N_("the disk cannot be written or read (disk I/O error)"),  # SQLITE_IOERR
    13: N_("the disk is full"),  # SQLITE_FULL
}
# PostgreSQL's SQLSTATE codes for the same troubles; class 08 is a lost connection.
_POSTGRES_TROUBLE = {
    "53100": N_("the disk is full"),
    "25006": N_("the database is read-only"),
    "55P03": N_("the database is locked by another process"),
    "57P01": N_("the database server shut down"),
    "57P02": N_("the database server shut down"),
    "57P03": N_("the database server is not accepting connections yet"),
}
_CONNECTION_LOST = N_("the connection to the database was lost")


def unavailable_because(error: DBAPIError) -> str | None:
    """Why the database cannot do any work for now (the disk is full, the file is read-only,
    the connection dropped), or None for an error that retrying would not cure."""
    if isinstance(error.orig, sqlite3.Error):
        code = error.orig.sqlite_errorcode
        return _SQLITE_TROUBLE.get(code & 0xFF) if isinstance(code, int) else None
    state = getattr(error.orig, "sqlstate", None)
    if state in _POSTGRES_TROUBLE:
        return _POSTGRES_TROUBLE[state]
    # A server that cannot be reached at all answers with no SQLSTATE.
    unreachable = isinstance(error, OperationalError) and state is None
    if error.connection_invalidated or unreachable or str(state).startswith("08"):
        return _CONNECTION_LOST
    return None


def driver_message(error: DBAPIError) -> str:
    """The first line of the driver's own message (PostgreSQL's detail lines quote values)."""
    diagnostic = getattr(error.orig, "diag", None)
    primary = getattr(diagnostic, "message_primary", None)
    lines = str(primary or error.orig).strip().splitlines()
    return lines[0] if lines else type(error.orig).__name__


QUEUE_CHANNEL = "tidings_queue"


def signal_queue_change(session: Session) -> None:
    """Tell running daemons that the queue changed (PostgreSQL NOTIFY, sent on commit).

    On SQLite daemons notice commits by themselves (``PRAGMA data_version``).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": QUEUE_CHANNEL})


def head_revision() -> str:
    """The newest migration: the one no other names as its ``down_revision``. Read from the
    scripts' two assignments, not through Alembic's ScriptDirectory, for the same 70 ms."""
    revisions: set[str] = set()
    earlier: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        revisions.update(_REVISION.findall(source))
        earlier.update(_DOWN_REVISION.findall(source))
    (head,) = revisions - earlier
    return head


_REVISION = re.compile(r'^revision\b[^=\n]*=\s*"([^"]+)"', re.MULTILINE)
_DOWN_REVISION = re.compile(r'^down_revision\b[^=\n]*=\s*"([^"]+)"', re.MULTILINE)


def _alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _create_engine(url: str) -> Engine:
    _check_url(url)
    if not url.startswith("sqlite"):
        # No hstore column: SQLAlchemy would otherwise look its type up on the first
        # connection, a catalogue query every command pays for (some 2 ms).
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_recycle=CONNECTION_LIFETIME_S,
            use_native_hstore=False,
        )
        event.listen(engine, "connect", _configure_postgres)
        return engine
    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:" and not Path(path).parent.exists():
        raise ConfigError(f"database {url}: folder {Path(path).parent} does not exist")
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _configure_sqlite)
    event.listen(engine, "begin", _begin_sqlite)
    return engine


def _configure_postgres(dbapi_connection: Any, _record: object) -> None:
    """No JIT compilation: every statement of Tidings reads or writes a few rows along an
    index, in a millisecond or two, but a prepared statement's generic plan can estimate a
    cost above ``jit_above_cost`` and PostgreSQL then compiled it at each run: 77 ms to JIT a
    claim's candidates that ran in 1.4 ms, at a million posts (the calendar's cells likewise)."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.commit()


def _check_url(url: str) -> None:
    """Refuse a URL SQLAlchemy cannot read, or a database name that holds NUL (``%00``)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as error:  # its messages quote no password
        raise ConfigError(f"database: not a database URL ({error})") from None
    if "\0" in (parsed.database or ""):
        raise ConfigError("database: the database name holds a NUL character")


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from pysqlite so that BEGIN is ours to issue.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_sqlite(connection: Any) -> None:
    connection.exec_driver_sql(connection.get_execution_options().get(_BEGIN, "BEGIN"))
