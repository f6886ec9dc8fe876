"""Fixtures shared by every test: databases on SQLite and PostgreSQL, configuration, users.

Each test gets a database of its own: a copy of a migrated SQLite file, or a PostgreSQL
database cloned from a migrated template, created on the local server and dropped after.
"""

from __future__ import annotations

import itertools
import os
import queue
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from drafts.config import Config, parse_config
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from scheduler.sandbox import RunningSandbox, running_sandbox

POSTGRES_ADMIN_URL = os.environ.get(
    "TIDINGS_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
RUN_ID = uuid.uuid4().hex[:8]

TEST_CONFIG = """
[tidings]
timezone = "Asia/Seoul"
database = "sqlite:///unused.db"

[review]
required_approvals = 1
allow_self_approval = false

[[channels]]
id = "linkedin"
platform = "linkedin"
languages = ["en", "ko"]
author = "urn:li:organization:2414183"
token_env = "TIDINGS_TEST_LINKEDIN_TOKEN"
slots = ["mon-fri 09:30", "mon-fri 14:00"]

[[channels]]
id = "x-en"
platform = "x"
languages = ["en"]
token_env = "TIDINGS_TEST_X_TOKEN"
slots = ["mon-fri 10:00"]
timezone = "Europe/London"

[[channels]]
id = "x-ko"
platform = "x"
languages = ["ko"]
token_env = "TIDINGS_TEST_X_KO_TOKEN"

[[channels]]
id = "mastodon"
platform = "mastodon"
languages = ["en", "ko"]
base_url = "http://127.0.0.1:9"
token_env = "TIDINGS_TEST_MASTODON_TOKEN"
max_characters = 500
slots = ["daily 11:00"]

[[channels]]
id = "bluesky"
platform = "bluesky"
languages = ["en", "ko"]
handle = "tidings.test"
password_env = "TIDINGS_TEST_BLUESKY_PASSWORD"
"""


def make_config(text: str = TEST_CONFIG, *, path: Path = Path("config.toml")) -> Config:
    return parse_config(text, path)


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    """The platforms' sandbox on a loopback port, started for this test alone (the integration
    tests share one per module instead: see tests/integration/conftest.py)."""
    with running_sandbox() as running:
        yield running


@pytest.fixture
def config() -> Config:
    return make_config()


@pytest.fixture(scope="session")
def library() -> TemplateLibrary:
    return TemplateLibrary.default()


# --- SQLite -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    database = Database(f"sqlite:///{path}")
    database.migrate()
    database.dispose()
    return path


def sqlite_database(template: Path, folder: Path) -> Database:
    path = folder / "tidings.db"
    shutil.copyfile(template, path)
    return Database(f"sqlite:///{path}")


# --- PostgreSQL ---------------------------------------------------------------------------


def _admin_connection() -> psycopg.Connection[tuple[object, ...]]:
    url = make_url(POSTGRES_ADMIN_URL)
    try:
        return psycopg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            dbname=url.database,
            autocommit=True,
        )
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL at {url.render_as_string(hide_password=True)} is not reachable "
            f"({error}); start it (see .ci/run) or set TIDINGS_TEST_POSTGRES",
            pytrace=False,
        )


def _database_url(name: str) -> str:
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


class PostgresClones:
    """The tests' PostgreSQL databases, each a clone of the migrated template, made one test
    ahead and dropped after, by a thread of its own.

    CREATE DATABASE and DROP DATABASE each wait for the server to flush its files (half a
    second or more on a busy disk); done here, a test waits only when its clone is not ready
    yet. Every test still gets a database no other test has used: a clone is handed out once
    and dropped (WITH (FORCE), after the test's own connections are closed) when it is given
    back.
    """

    _MAKE, _DROP, _STOP = 0, 1, 2  # the order the thread takes its jobs in

    def __init__(self, template: str, ahead: int = 1) -> None:
        self.template = template
        self._jobs: queue.PriorityQueue[tuple[int, int, str]] = queue.PriorityQueue()
        self._ready: queue.Queue[str | BaseException] = queue.Queue()
        self._count = itertools.count()
        self._failures: list[str] = []
        self._thread = threading.Thread(target=self._work, name="postgres-clones", daemon=True)
        self._thread.start()
        for _ in range(ahead):
            self._job(self._MAKE)

    def take(self) -> str:
        """A fresh clone's name; the next one is started at once."""
        self._job(self._MAKE)
        made = self._ready.get(timeout=300)
        if isinstance(made, BaseException):
            pytest.fail(f"PostgreSQL could not clone the test template: {made}", pytrace=False)
        return made

    def give_back(self, name: str) -> None:
        """The test is done with ``name``: it is dropped."""
        self._job(self._DROP, name)

    def close(self) -> None:
        """Drops every clone, handed out or not, and stops the thread; fails if a drop failed."""
        self._job(self._STOP)
        self._thread.join(timeout=300)
        while not self._ready.empty():
            made = self._ready.get()
            if isinstance(made, str):
                _drop_database(made)
        if self._failures:
            pytest.fail(f"PostgreSQL could not drop test databases: {self._failures}")

    def _job(self, kind: int, name: str = "") -> None:
        self._jobs.put((kind, next(self._count), name))

    def _work(self) -> None:
        try:
            with _admin_connection() as admin:
                self._serve(admin)
        except BaseException as error:  # no server (pytest.fail) included: every test says it
            while (kind := self._jobs.get()[0]) != self._STOP:
                if kind == self._MAKE:
                    self._ready.put(error)

    def _serve(self, admin: psycopg.Connection[tuple[object, ...]]) -> None:
        while True:
            kind, _, name = self._jobs.get()
            if kind == self._MAKE:
                made = f"tidings_test_{RUN_ID}_{uuid.uuid4().hex[:10]}"
                try:
                    admin.execute(f'CREATE DATABASE "{made}" TEMPLATE "{self.template}"')
                except psycopg.Error as error:  # the test that takes it fails, saying why
                    self._ready.put(error)
                else:
                    self._ready.put(made)
            elif kind == self._DROP:
                try:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                except psycopg.Error as error:
                    self._failures.append(f"{name}: {error}")
            elif self._jobs.empty():  # every drop given back before the end is done
                return
            else:
                self._job(self._STOP)


def _drop_database(name: str) -> None:
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    name = f"tidings_test_{RUN_ID}_template"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    database = Database(_database_url(name))
    database.migrate()
    database.dispose()
    yield name
    _drop_database(name)


@pytest.fixture(scope="session")
def postgres_clones(postgres_template: str) -> Iterator[PostgresClones]:
    clones = PostgresClones(postgres_template)
    yield clones
    clones.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database of its own for one test, on each backend in turn."""
    if request.param == "sqlite":
        db = sqlite_database(request.getfixturevalue("sqlite_template"), tmp_path)
        yield db
        db.dispose()
        return
    clones: PostgresClones = request.getfixturevalue("postgres_clones")
    name = clones.take()
    db = Database(_database_url(name))
    yield db
    db.dispose()
    clones.give_back(name)


def everything_stored(database: Database) -> str:
    """Every row of every table, as text: where a secret must not be found."""
    with database.reading() as session:
        return "\n".join(
            repr(tuple(row))
            for table in SQLModel.metadata.sorted_tables
            for row in session.execute(table.select())
        )
