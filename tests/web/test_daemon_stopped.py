"""A daemon that stops cleanly removes its heartbeat, and the Channels page then says when it
stopped (in the viewer's timezone: here the configuration's, Asia/Seoul) and which it was, as a
problem (nothing is published until one runs), in the viewer's language; a daemon that reports
in again is shown as seen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from starlette.applications import Starlette

from drafts.storage import Database
from drafts.times import utcnow
from scheduler.heartbeat import Worker, beat, leave
from tests.web.conftest import SQLITE_ONLY, Person, client, log_in, one, set_language, text

pytestmark = pytest.mark.anyio

RELAY = Worker("relay-1:4242", "relay-1", 4242, "key", utcnow())
LEASE = timedelta(seconds=6)


def beat_at(database: Database, at: datetime) -> None:
    with database.writing() as session:
        beat(session, worker=RELAY, post_ids=(), now=at, lease=LEASE)


@SQLITE_ONLY
async def test_the_channels_page_says_when_the_daemon_stopped(
    app: Starlette, database: Database, people: dict[str, Person]
) -> None:
    stopped_at = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)
    beat_at(database, stopped_at - timedelta(minutes=5))
    with database.writing() as session:
        leave(session, worker=RELAY, now=stopped_at)
    async with client(app) as mina:
        assert (await log_in(mina, people["mina"])).status_code == 303
        english = await mina.get("/channels")
        set_language(database, "mina", "ko")
        korean = await mina.get("/channels")
        beat_at(database, utcnow())
        again = await mina.get("/channels")
    line = one(english.text, "#daemon-seen")
    assert text(line) == (
        "The daemon stopped at 2026-12-03 15:30 KST (relay-1:4242): nothing is published "
        "until one runs (tidings run)."
    )
    assert "problem" in line["class"]
    assert text(one(korean.text, "#daemon-seen")) == (
        "데몬이 2026-12-03 15:30 KST에 멈췄습니다(relay-1:4242). "
        "데몬(tidings run)이 실행될 때까지 아무것도 게시되지 않습니다."
    )
    line = one(again.text, "#daemon-seen")
    assert text(line).startswith("데몬이 ") and "relay-1:4242에서 마지막으로 보고했습니다" in text(
        line
    )
    assert "problem" not in line["class"]
