"""The refresh lock on SQLite and PostgreSQL: one holder at a time, a dead holder's lock taken
over once its time has run out, and a release that lets go of one's own lock only."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from drafts.models import RefreshLock
from drafts.storage import Database
from scheduler.refresh_lock import HOLD, release, take

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def taken(database: Database, holder: str, now: datetime, channel: str = "x-en") -> bool:
    with database.writing() as session:
        return take(session, channel=channel, holder=holder, now=now)


def let_go(database: Database, holder: str, channel: str = "x-en") -> None:
    with database.writing() as session:
        release(session, channel=channel, holder=holder)


def holders(database: Database) -> dict[str, tuple[str, datetime]]:
    with database.reading() as session:
        return {row.channel: (row.holder, row.until) for row in session.exec(select(RefreshLock))}


def test_one_holder_at_a_time_per_channel(database: Database) -> None:
    assert taken(database, "host-a:1", T0)
    assert not taken(database, "host-b:2", T0 + timedelta(seconds=5))
    assert not taken(database, "host-a:1", T0 + timedelta(seconds=5))  # not twice, either
    assert taken(database, "host-b:2", T0, channel="mastodon")  # another channel is free
    assert holders(database) == {
        "x-en": ("host-a:1", T0 + HOLD),
        "mastodon": ("host-b:2", T0 + HOLD),
    }


def test_a_released_lock_is_free_again(database: Database) -> None:
    assert taken(database, "host-a:1", T0)
    let_go(database, "host-a:1")
    assert taken(database, "host-b:2", T0 + timedelta(seconds=1))


def test_a_dead_holders_lock_is_taken_over_once_its_time_has_run_out(database: Database) -> None:
    assert taken(database, "host-a:1", T0)  # and then host-a died without letting go
    assert not taken(database, "host-b:2", T0 + HOLD - timedelta(seconds=1))
    assert not taken(database, "host-b:2", T0 + HOLD)
    later = T0 + HOLD + timedelta(seconds=1)
    assert taken(database, "host-b:2", later)
    assert holders(database) == {"x-en": ("host-b:2", later + HOLD)}
    let_go(database, "host-a:1")  # the late release of the one it was taken from
    assert holders(database) == {"x-en": ("host-b:2", later + HOLD)}
    assert not taken(database, "host-c:3", later + timedelta(seconds=1))


def test_takers_racing_for_a_free_lock_one_wins(database: Database) -> None:
    """Eight threads, each with its own connection, take the same lock at the same moment."""
    start = threading.Barrier(8)
    won: list[str] = []

    def race(holder: str) -> None:
        start.wait()
        if taken(database, holder, T0):
            won.append(holder)

    threads = [threading.Thread(target=race, args=(f"host:{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    assert holders(database) == {"x-en": (won[0], T0 + HOLD)}


def test_takers_racing_for_an_expired_lock_one_wins(database: Database) -> None:
    assert taken(database, "dead:1", T0)
    later = T0 + HOLD + timedelta(seconds=1)
    start = threading.Barrier(8)
    won: list[str] = []

    def race(holder: str) -> None:
        start.wait()
        if taken(database, holder, later):
            won.append(holder)

    threads = [threading.Thread(target=race, args=(f"host:{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    assert holders(database) == {"x-en": (won[0], later + HOLD)}
