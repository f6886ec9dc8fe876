"""Heartbeats: every few seconds each daemon reports in and renews the leases of the posts it is
sending, in one transaction, so that a dead daemon's posts are taken over within seconds.

A lease lasts ``missed_beats`` heartbeats: a daemon silent that long has let its leases run
out, and any daemon takes its posts over (``scheduler.claiming``). On this host, a daemon whose
process has ended is known dead at once, so a restart takes its predecessor's posts without
waiting. "This host" is the ``host_key``: the hostname, the kernel's boot id and the PID
namespace, since a pid names a process only inside its namespace and until the next boot, and
two containers may share a hostname.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, insert, or_, select, update
from sqlmodel import Session, col
from sqlmodel import select as sql_select

from drafts.audit import DAEMON, Entry, record_batch
from drafts.lifecycle import PostStatus
from drafts.models import AuditEntry, DaemonHeartbeat, Post

heartbeat_table = DaemonHeartbeat.__table__  # type: ignore[attr-defined]
post_table = Post.__table__  # type: ignore[attr-defined]

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
PID_NAMESPACE = Path("/proc/self/ns/pid")
STOPPED = "daemon.stop"  # the audit log's action for a clean stop; its detail names the daemon


@dataclass(frozen=True)
class Worker:
    """A running daemon: the worker id its leases and attempts carry (host:pid), and where it runs."""

    name: str
    host: str
    pid: int
    host_key: str
    started_at: datetime

    @classmethod
    def this_process(cls, started_at: datetime, name: str | None = None) -> Worker:
        host, pid = socket.gethostname(), os.getpid()
        return cls(name or f"{host}:{pid}", host, pid, host_key(host), started_at)


def host_key(hostname: str) -> str:
    """The same for two processes exactly when each can see the other's pid."""
    try:
        boot = BOOT_ID.read_text(encoding="ascii").strip()
    except OSError:  # not Linux: the hostname alone
        boot = ""
    try:
        namespace = str(PID_NAMESPACE.stat().st_ino)
    except OSError:
        namespace = ""
    return hashlib.sha256(f"{hostname}\n{boot}\n{namespace}".encode()).hexdigest()


def process_ended(pid: int) -> bool:
    """Whether no process has ``pid`` any more (in this PID namespace)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process has the pid
        return False
    return False


@dataclass(frozen=True)
class Beat:
    """What a heartbeat found: the posts it was sending that are no longer its own (each with
    where it is now: "held by host:pid", "now published"), and the daemons on this host whose
    processes have ended."""

    lost: dict[int, str]
    ended: frozenset[str]


def beat(
    session: Session,
    *,
    worker: Worker,
    post_ids: Collection[int],
    now: datetime,
    lease: timedelta,
) -> Beat:
    """Report ``worker`` alive at ``now`` and renew its leases on ``post_ids`` for ``lease``;
    forget daemons that are dead and hold nothing."""
    connection = session.connection()
    row = {
        "host": worker.host,
        "pid": worker.pid,
        "host_key": worker.host_key,
        "started_at": worker.started_at,
        "beat_at": now,
    }
    mine = heartbeat_table.c.worker == worker.name
    if connection.execute(update(heartbeat_table).where(mine).values(row)).rowcount == 0:
        connection.execute(insert(heartbeat_table).values(worker=worker.name, **row))
    lost: dict[int, str] = {}
    if post_ids:
        p = post_table.c
        connection.execute(
            update(post_table)
            .where(p.id.in_(post_ids), p.lease_owner == worker.name)
            .values(lease_until=now + lease)
        )
        found = connection.execute(
            select(p.id, p.lease_owner, p.status).where(p.id.in_(post_ids))
        ).all()
        now_where = {
            i: f"held by {owner}" if owner else f"now {status}" for i, owner, status in found
        }
        owners = {i: owner for i, owner, _ in found}
        lost = {i: now_where.get(i, "deleted") for i in post_ids if owners.get(i) != worker.name}
    ended = _ended_here(session, worker)
    _forget_the_dead(session, ended, now - lease)
    return Beat(lost, ended)


def leave(session: Session, *, worker: Worker, now: datetime) -> None:
    """A clean stop at ``now``: ``worker`` holds nothing any more, so its row goes; the stop
    is one line of the audit log, so that the Channels page can say when the last daemon
    stopped rather than that none ever reported in."""
    session.connection().execute(
        delete(heartbeat_table).where(heartbeat_table.c.worker == worker.name)
    )
    record_batch(session, [Entry(None, None, STOPPED, worker.name)], actor=DAEMON, at=now)


@dataclass(frozen=True)
class Stop:
    worker: str
    at: datetime


def last_stop(session: Session) -> Stop | None:
    """The latest clean stop of any daemon (None: none stopped cleanly). Read only when no
    daemon has a row. A stop names no draft: said, the stops are a range of
    ``ix_audit_log_action`` (action, draft_id, id) in id order, the latest at its end; unsaid,
    PostgreSQL reads the log back from its end for one, past every entry when none is there."""
    found = session.exec(
        sql_select(AuditEntry.detail, AuditEntry.at)
        .where(AuditEntry.action == STOPPED, col(AuditEntry.draft_id).is_(None))
        .order_by(col(AuditEntry.id).desc())
        .limit(1)
    ).first()
    return Stop(*found) if found is not None else None


def takeover_reasons(
    session: Session,
    owners: Collection[str],
    *,
    ended: Collection[str],
    now: datetime,
    lease: timedelta,
) -> dict[str, str]:
    """Why each of ``owners``, whose posts are being taken over, is taken for dead."""
    h = heartbeat_table.c
    beats: dict[str, datetime] = dict(
        session.connection().execute(select(h.worker, h.beat_at).where(h.worker.in_(owners))).all()
    )
    reasons: dict[str, str] = {}
    for owner in owners:
        beat_at = beats.get(owner)
        if owner in ended:
            reasons[owner] = "its process had ended"
        elif beat_at is not None and now - beat_at >= lease:
            reasons[owner] = f"no heartbeat for {(now - beat_at).total_seconds():.0f} s"
        else:
            reasons[owner] = "its lease ran out"
    return reasons


def _ended_here(session: Session, worker: Worker) -> frozenset[str]:
    h = heartbeat_table.c
    neighbours = session.connection().execute(
        select(h.worker, h.pid).where(h.host_key == worker.host_key, h.worker != worker.name)
    )
    return frozenset(name for name, pid in neighbours if process_ended(pid))


def _forget_the_dead(session: Session, ended: Collection[str], silent_since: datetime) -> None:
    """Delete the rows of dead daemons once nobody needs them to say why a post was taken."""
    h, p = heartbeat_table.c, post_table.c
    holding = select(p.lease_owner).where(
        p.status == PostStatus.PUBLISHING, p.lease_owner.is_not(None)
    )
    # A daemon paused in the middle of its beat holds its row: never wait for it.
    dead = (
        select(h.worker)
        .where(or_(h.beat_at < silent_since, h.worker.in_(ended)), h.worker.not_in(holding))
        .with_for_update(skip_locked=True)
    )
    session.connection().execute(delete(heartbeat_table).where(h.worker.in_(dead)))
