"""Taking over a dead daemon's posts, in the database, on SQLite and PostgreSQL.

Workers here are names with heartbeats written at chosen times; what a takeover decides and
says, and what a late result of the worker it was taken from may still change.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Collection
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from drafts.config import Config
from drafts.lifecycle import PostStatus
from drafts.models import Attempt, DaemonHeartbeat, Post
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from scheduler.attempt_data import Claim, Result
from scheduler.claiming import claim_due, put_back
from scheduler.due import next_wake
from scheduler.figures import attempts_by_outcome
from scheduler.heartbeat import Beat, Worker, beat, host_key, leave
from scheduler.recording import record_dropped, record_results
from scheduler.retry import AttemptOutcome, Decision
from tests.integration.publishing import queue_posts, sandbox_config

LEASE = timedelta(seconds=3)  # three heartbeats of a second


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> Config:
    return sandbox_config("http://127.0.0.1:9", monkeypatch)


def worker(name: str, pid: int, started_at: datetime) -> Worker:
    """A daemon on this host (the same host key as this process) named ``name``."""
    return Worker(name, socket.gethostname(), pid, host_key(socket.gethostname()), started_at)


def finished_process() -> int:
    """The pid of a process that ran here and has ended (and was waited for)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def claim(
    database: Database,
    name: str,
    now: datetime,
    *,
    limit: int = 8,
    holding: Collection[int] = (),
    ended: Collection[str] = (),
) -> list[Claim]:
    with database.writing() as session:
        return claim_due(
            session,
            worker=name,
            now=now,
            lease=LEASE,
            capacity={"mastodon": 8},
            limit=limit,
            required_approvals=1,
            holding=holding,
            ended=ended,
        )


def heartbeat(
    database: Database, who: Worker, now: datetime, post_ids: tuple[int, ...] = ()
) -> Beat:
    with database.writing() as session:
        return beat(session, worker=who, post_ids=post_ids, now=now, lease=LEASE)


def published(claimed: Claim, at: datetime) -> Result:
    decision = Decision(AttemptOutcome.PUBLISHED, PostStatus.PUBLISHED, "published")
    return Result(
        claim=claimed,
        decision=decision,
        finished_at=at,
        duration_ms=5,
        http_status=200,
        remote_id=f"remote-{claimed.number}",
        remote_url=f"https://mastodon.example/@tidings/{claimed.number}",
    )


def attempts(database: Database, post_id: int) -> list[Attempt]:
    with database.reading() as session:
        query = select(Attempt).where(Attempt.post_id == post_id).order_by(Attempt.number)
        return list(session.exec(query))


def post(database: Database, post_id: int) -> Post:
    with database.reading() as session:
        found = session.get(Post, post_id)
    assert found is not None
    return found


def test_a_late_result_of_the_worker_a_post_was_taken_from_changes_nothing_but_its_attempt(
    database: Database, library: TemplateLibrary, config: Config
) -> None:
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    t0 = utcnow()
    (first,) = claim(database, "a:1", t0)
    (second,) = claim(database, "b:2", t0 + LEASE + timedelta(seconds=1))  # a's lease ran out
    assert (second.post_id, second.number, second.reconcile) == (post_id, 2, True)

    with database.writing() as session:  # a's answer comes at last
        record_results(session, [published(first, t0 + LEASE * 2)], "a:1", t0 + LEASE * 2)

    held = post(database, post_id)
    assert (held.status, held.lease_owner, held.remote_id) == (PostStatus.PUBLISHING, "b:2", None)
    one, two = attempts(database, post_id)
    assert (one.outcome, one.remote_id) == ("published", "remote-1")  # the log shows it
    assert two.outcome is None and two.worker == "b:2"

    with database.writing() as session:
        record_results(session, [published(second, t0 + LEASE * 3)], "b:2", t0 + LEASE * 3)
    done = post(database, post_id)
    assert (done.status, done.lease_owner, done.remote_id) == (
        PostStatus.PUBLISHED,
        None,
        "remote-2",
    )
    # Each ending counted as it came: the first attempt closed as unknown by the takeover, then
    # answered; the second answered. A tally only rises.
    assert tallied(database) == {("mastodon", "unknown"): 1, ("mastodon", "published"): 2}


def test_a_silent_worker_is_taken_over_once_its_lease_runs_out_saying_for_how_long(
    database: Database, library: TemplateLibrary, config: Config
) -> None:
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    t0 = utcnow()
    a = worker("a:1", 1, t0)
    heartbeat(database, a, t0)
    claim(database, "a:1", t0)
    heartbeat(database, a, t0 + timedelta(seconds=1), (post_id,))  # renewed to t0 + 4 s

    assert claim(database, "b:2", t0 + timedelta(seconds=3.5)) == []
    (taken,) = claim(database, "b:2", t0 + timedelta(seconds=4.5))
    assert taken.reconcile
    closed = attempts(database, post_id)[0]
    assert closed.outcome == "unknown"
    assert closed.error == "taken over from a:1 (no heartbeat for 4 s) with this attempt in flight"


def test_a_worker_on_this_host_whose_process_ended_is_taken_over_at_once(
    database: Database, library: TemplateLibrary, config: Config
) -> None:
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    t0 = utcnow()
    gone = worker(f"{socket.gethostname()}:gone", finished_process(), t0)
    heartbeat(database, gone, t0)
    claim(database, gone.name, t0)
    alive = worker(f"{socket.gethostname()}:alive", 1, t0)  # pid 1 always runs
    here = worker("restarted", os.getpid(), t0)
    heartbeat(database, alive, t0)

    found = heartbeat(database, here, t0 + timedelta(seconds=0.1))
    assert found.ended == {gone.name}
    now = t0 + timedelta(seconds=0.2)  # long before the lease runs out
    assert claim(database, "restarted", now) == []
    (taken,) = claim(database, "restarted", now, ended=found.ended)
    assert (taken.post_id, taken.reconcile) == (post_id, True)
    assert attempts(database, post_id)[0].error == (
        f"taken over from {gone.name} (its process had ended) with this attempt in flight"
    )


def test_a_post_whose_holder_left_no_heartbeat_is_taken_over_when_its_lease_runs_out(
    database: Database, library: TemplateLibrary, config: Config
) -> None:
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    t0 = utcnow()
    claim(database, "old:7", t0)  # a daemon from before heartbeats, or one that left
    claim(database, "b:2", t0 + LEASE + timedelta(seconds=1))
    assert attempts(database, post_id)[0].error == (
        "taken over from old:7 (its lease ran out) with this attempt in flight"
    )


def test_a_worker_never_takes_over_what_it_is_still_sending(
    database: Database, library: TemplateLibrary, config: Config
) -> None:
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    t0 = utcnow()
    claim(database, "a:1", t0)
    late = t0 + LEASE + timedelta(seconds=1)  # a's heartbeat came late: the lease ran out
    assert claim(database, "a:1", late, holding={post_id}) == []
    with database.reading() as session:
        assert next_wake(session, now=late, holding={post_id}) is None
        assert next_wake(session, now=late) == t0 + LEASE
    assert [c.post_id for c in claim(database, "b:2", late)] == [post_id]


def test_a_heartbeat_renews_what_its_worker_holds_and_names_what_it_lost(
    database: Database, library: TemplateLibrary, config: Config
) -> None:
    first, second = queue_posts(database, config, library, channels=["mastodon"], count=2)
    t0 = utcnow()
    a = worker("a:1", 1, t0)
    claim(database, "a:1", t0)
    late = t0 + LEASE + timedelta(seconds=1)  # a paused: both leases ran out
    (taken,) = claim(database, "b:2", late, limit=1)
    lost, kept = (first, second) if taken.post_id == first else (second, first)

    now = late + timedelta(seconds=1)  # a resumes
    found = heartbeat(database, a, now, (kept, lost))
    assert found.lost == {lost: "held by b:2"}
    assert post(database, kept).lease_until == now + LEASE
    assert post(database, lost).lease_until == late + LEASE


def test_a_dead_worker_is_forgotten_once_it_holds_nothing_and_a_clean_stop_leaves(
    database: Database, library: TemplateLibrary, config: Config
) -> None:
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    t0 = utcnow()
    silent, idle, here = worker("s:1", 1, t0), worker("i:2", 1, t0), worker("h:3", 1, t0)
    heartbeat(database, silent, t0)
    heartbeat(database, idle, t0)
    claim(database, "s:1", t0)

    heartbeat(database, here, t0 + LEASE + timedelta(seconds=1))
    assert rows(database) == {"s:1", "h:3"}  # s:1 still holds a post: its row says why
    claim(database, "h:3", t0 + LEASE + timedelta(seconds=1))
    heartbeat(database, here, t0 + LEASE + timedelta(seconds=2))
    assert rows(database) == {"h:3"}
    with database.writing() as session:
        leave(session, worker=here, now=t0 + LEASE + timedelta(seconds=3))
    assert rows(database) == set()
    assert post(database, post_id).lease_owner == "h:3"


def test_a_dropped_attempt_keeps_what_the_takeover_said_and_adds_its_note(
    database: Database, library: TemplateLibrary, config: Config
) -> None:
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    t0 = utcnow()
    (first,) = claim(database, "a:1", t0)
    claim(database, "b:2", t0 + LEASE + timedelta(seconds=1))
    with database.writing() as session:
        record_dropped(session, claim=first, note="a:1 sent nothing more", now=t0 + LEASE * 3)
    closed = attempts(database, post_id)[0]
    assert closed.outcome == "unknown"
    assert closed.finished_at == t0 + LEASE + timedelta(seconds=1)
    assert closed.error == (
        "taken over from a:1 (its lease ran out) with this attempt in flight; a:1 sent nothing more"
    )
    assert tallied(database) == {("mastodon", "unknown"): 1}  # closed once, counted once


def test_a_dropped_attempt_nobody_closed_is_closed_and_counted_as_unknown(
    database: Database, library: TemplateLibrary, config: Config
) -> None:
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    t0 = utcnow()
    (first,) = claim(database, "a:1", t0)
    for note in ("a:1 sent nothing more", "a:1 stopped"):
        with database.writing() as session:
            record_dropped(session, claim=first, note=note, now=t0 + LEASE)
    closed = attempts(database, post_id)[0]
    assert (closed.outcome, closed.finished_at) == ("unknown", t0 + LEASE)
    assert closed.error == "a:1 sent nothing more; a:1 stopped"
    assert tallied(database) == {("mastodon", "unknown"): 1}


def tallied(database: Database) -> dict[tuple[str, str], int]:
    """How many attempts ended, by platform and outcome, as the metrics read them."""
    with database.reading() as session:
        return attempts_by_outcome(session)


def rows(database: Database) -> set[str]:
    with database.reading() as session:
        return {row.worker for row in session.exec(select(DaemonHeartbeat))}


def test_a_post_taken_over_and_put_back_unsent_stays_to_be_checked_first(
    database: Database, library: TemplateLibrary, config: Config
) -> None:
    """A daemon that took a post over and stopped before sending for it leaves it retrying,
    still to be checked with the platform: the dead holder's request may have reached it."""
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    t0 = utcnow()
    claim(database, "a:1", t0)
    (taken,) = claim(database, "b:2", t0 + LEASE + timedelta(seconds=1))
    with database.writing() as session:
        assert put_back(session, [taken], "b:2") == [taken]

    back = post(database, post_id)
    assert (back.status, back.lease_owner, back.reconcile) == (PostStatus.RETRYING, None, True)
    assert back.publish_state == taken.state_before
    (closed,) = attempts(database, post_id)  # b's attempt, never made, is gone
    assert (closed.number, closed.worker, closed.outcome) == (1, "a:1", "unknown")
    (again,) = claim(database, "c:3", t0 + LEASE * 2)
    assert (again.number, again.reconcile) == (2, True)


def test_a_claim_another_worker_took_over_meanwhile_is_not_put_back(
    database: Database, library: TemplateLibrary, config: Config
) -> None:
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    t0 = utcnow()
    (first,) = claim(database, "a:1", t0)
    claim(database, "b:2", t0 + LEASE + timedelta(seconds=1))  # a was paused past its lease
    with database.writing() as session:
        assert put_back(session, [first], "a:1") == []
    held = post(database, post_id)
    assert (held.status, held.lease_owner) == (PostStatus.PUBLISHING, "b:2")
    assert [(a.number, a.worker) for a in attempts(database, post_id)] == [(1, "a:1"), (2, "b:2")]
