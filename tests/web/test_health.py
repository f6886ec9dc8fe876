"""/healthz, /readyz and /metrics answer without a login and are never cached; /readyz is ready
only with the database at the schema's head and a daemon heard from within two minutes (a
fake clock ages the heartbeat); the Channels page says when the daemon last reported in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from drafts.config import Config
from drafts.storage import MIGRATIONS, Database
from drafts.times import utcnow
from scheduler.heartbeat import Worker, beat
from tests.fakes import Clock
from tests.web.conftest import SQLITE_ONLY, Person, client, log_in, one, set_language, text
from tidings.web.app import create_app

pytestmark = pytest.mark.anyio


def report_in(database: Database, at: Clock, name: str = "relay-1:4242") -> None:
    """A daemon called ``name`` reports in at the clock's time, as the daemon does."""
    worker = Worker(name, "relay-1", 4242, "key", at())
    with database.writing() as session:
        beat(session, worker=worker, post_ids=(), now=at(), lease=timedelta(seconds=6))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def probed(config: Config, database: Database, web_secret: str, clock: Clock) -> Starlette:
    return create_app(config, database, now=clock)


def unreachable() -> Database:
    """A database that cannot be opened (no file may be made in /proc)."""
    return Database("sqlite:////proc/no-tidings-here.db")


async def test_healthz_answers_without_a_login_or_the_database(
    config: Config, web_secret: str
) -> None:
    async with client(create_app(config, unreachable())) as anyone:
        response = await anyone.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok")
    assert response.headers["cache-control"] == "no-store"


async def test_readyz_follows_the_heartbeat_by_the_apps_clock(
    probed: Starlette, database: Database, clock: Clock
) -> None:
    async with client(probed) as anyone:
        unheard = await anyone.get("/readyz")
        report_in(database, clock)
        fresh = await anyone.get("/readyz")
        clock.advance(seconds=119)
        nearly = await anyone.get("/readyz")
        clock.advance(seconds=2)
        silent = await anyone.get("/readyz")
    assert unheard.status_code == 503
    assert unheard.json() == {
        "ready": False,
        "database": "ok",
        "schema": "ok",
        "daemon": "no daemon has reported in",
    }
    assert (fresh.status_code, fresh.json()["ready"]) == (200, True)
    assert nearly.status_code == 200
    assert silent.status_code == 503
    assert silent.json()["daemon"] == "last reported in 121 s ago (the limit is 120 s)"
    assert silent.headers["cache-control"] == "no-store"


@SQLITE_ONLY
async def test_readyz_is_not_ready_on_an_older_schema(
    probed: Starlette, database: Database, clock: Clock
) -> None:
    report_in(database, clock)
    with database.engine.begin() as connection:
        migrations = AlembicConfig()
        migrations.set_main_option("script_location", str(MIGRATIONS))
        migrations.attributes["connection"] = connection
        command.downgrade(migrations, "0012")
    async with client(probed) as anyone:
        behind = await anyone.get("/readyz")
    assert behind.status_code == 503
    assert behind.json()["schema"].startswith("at revision 0012, this Tidings needs ")
    assert behind.json()["daemon"] == "not checked"


async def test_readyz_says_a_database_that_does_not_answer(config: Config, web_secret: str) -> None:
    async with client(create_app(config, unreachable())) as anyone:
        refused = await anyone.get("/readyz")
    assert refused.status_code == 503
    assert refused.json() == {
        "ready": False,
        "database": "does not answer",
        "schema": "not checked",
        "daemon": "not checked",
    }


@SQLITE_ONLY
async def test_metrics_need_no_login_and_list_every_figure(probed: Starlette) -> None:
    async with client(probed) as anyone:
        response = await anyone.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert response.headers["cache-control"] == "no-store"
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    assert {
        "tidings_database_up",
        "tidings_posts",
        "tidings_attempts",
        "tidings_publish_lag_seconds",
        "tidings_queue_depth",
        "tidings_credential_expiry_seconds",
        "tidings_notifications_pending",
        "process_cpu_seconds",
    } <= set(families)
    posts = {s.labels["status"]: s.value for s in families["tidings_posts"].samples}
    assert posts["published"] == 0 and posts["scheduled"] == 0


@SQLITE_ONLY
async def test_the_channels_page_says_when_the_daemon_last_reported_in(
    app: Starlette, database: Database, people: dict[str, Person]
) -> None:
    async with client(app) as mina:
        assert (await log_in(mina, people["mina"])).status_code == 303
        unheard = await mina.get("/channels")
        report_in(database, Clock(utcnow() - timedelta(hours=3)))
        silent = await mina.get("/channels")
        set_language(database, "mina", "ko")
        korean = await mina.get("/channels")
    line = one(unheard.text, "#daemon-seen")
    assert text(line).startswith("No daemon has reported in")
    assert "problem" in line["class"]
    line = one(silent.text, "#daemon-seen")
    assert text(line) == "Daemon last seen 3 hours ago on relay-1:4242."
    assert "problem" in line["class"]
    assert text(one(korean.text, "#daemon-seen")) == (
        "데몬이 3시간 전 relay-1:4242에서 마지막으로 보고했습니다."
    )


@SQLITE_ONLY
async def test_a_fresh_heartbeat_is_not_a_problem_on_the_channels_page(
    app: Starlette, database: Database, people: dict[str, Person]
) -> None:
    report_in(database, Clock(utcnow() - timedelta(seconds=30)))
    async with client(app) as mina:
        assert (await log_in(mina, people["mina"])).status_code == 303
        page = await mina.get("/channels")
    line = one(page.text, "#daemon-seen")
    assert text(line).startswith("Daemon last seen ")
    assert "problem" not in line["class"]
