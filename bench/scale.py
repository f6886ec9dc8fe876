"""Scale benchmark (issue 16, points 1 and 2): every cost that should stay flat with a million posts.

    python bench/scale.py                      # 10,000 then 1,000,000 posts, SQLite then PostgreSQL
    python bench/scale.py --posts 10000        # one size only
    python bench/scale.py --backend sqlite --posts 200000
    python bench/scale.py --posts 10000 --measure claims --measure daemon   # some measures only

For each size and database it makes a throwaway database (a SQLite file in a temporary folder,
or a PostgreSQL database on the local server, dropped afterwards), migrates it, writes a
config.toml with 50 Mastodon channels pointed at ``tidings sandbox`` (run in a process of its
own), queues 150 drafts through the service layer (the 100 posts the claims take, and the 50
the idle daemon publishes), then fills the rest in bulk with Core executemany inserts over the
real tables (COPY on PostgreSQL): drafts of 1-4 posts over 3 years of due times, most
published with one attempt each, some scheduled in the next three months, a few failed or
needing attention, some in review, being written, approved or cancelled.

Then it measures and prints, with the target beside each figure:

- the claim of 100 due posts (``scheduler.claiming.claim_due``, undone after each), p50/p99,
  and this process's CPU time for it (p50: on a busy machine, steadier than the wall clock);
  beside it the same claims as bare SQL (lock, lease, record the attempts: nothing else), the
  floor of any claim on this database and machine;
- the idle daemon (``tidings run``) publishing 50 single posts due 300 ms apart: lag p50 and
  p99 (of 50 posts, p99 is the latest: p50 beside it tells one late post from all);
- ``tidings queue`` and ``tidings log`` wall time (fresh processes, the quickest of three);
- inbox, calendar week, a post's outcomes, needs attention and channels over HTTP (``tidings
  web``, uvicorn on loopback, logged in as an admin), the desk (the home page) of that admin
  and of the author of every draft, and a Prometheus scrape of ``/metrics``, p95;
- the daemon's peak RSS and the database's size.

Nothing is asserted: it prints figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dispatch import _free_port, _lags, _queue, _wait_for  # noqa: E402
from sqlalchemy import bindparam, delete, func, select, text, update  # noqa: E402
from sqlmodel import col  # noqa: E402
from startup import startup_environment, tidings_command  # noqa: E402
from web_pages import (  # noqa: E402
    EN_TEXT,
    KO_TEXT,
    logged_in,
    percentile,
    server,
    throwaway_database,
)

from drafts.config import Config, parse_config  # noqa: E402
from drafts.lifecycle import DraftStatus, PostStatus  # noqa: E402
from drafts.models import Attempt, AuditEntry, Draft, Post, Review, User, Variant  # noqa: E402
from drafts.review import APPROVED  # noqa: E402
from drafts.storage import Database, signal_queue_change  # noqa: E402
from drafts.timestamps import AwareDateTime  # noqa: E402
from drafts.users import Role, add_user, hash_password  # noqa: E402
from scheduler.tallies import Ended, tally  # noqa: E402

CHANNELS = [f"city-{number:02d}" for number in range(1, 51)]
ADMIN = "bench-admin"
AUTHOR = "bench-author"  # bench/dispatch.py's: the author of every draft
TOKEN_VARIABLE = "TIDINGS_SANDBOX_TOKEN"
BENCH_WORKER = "bench-host:1"
CLAIMED, IDLE = 100, 50  # posts queued through the service layer: the claims', the daemon's
CLAIM_RUNS, CLAIM_WARMUP = 200, 5
PAGE_REQUESTS, PAGE_SECONDS = 40, 25.0  # per page: at most this many, or this long
TARGETS = {
    "claim": 5.0,  # ms, p99
    "lag": 250.0,  # ms, p99
    "command": 0.5,  # s
    "page": 100.0,  # ms, p95
    "rss": 120.0,  # MiB
}
BATCH_DRAFTS = 20_000
FILL_CACHE_KIB = 1_048_576  # SQLite's page cache while filling (its default is 2 MiB)
THREE_YEARS = timedelta(days=3 * 365)
MEASURES = ["claims", "daemon", "commands", "pages"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, action="append", help="posts stored (repeatable)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument(
        "--measure", choices=MEASURES, action="append", help="only these measures (repeatable)"
    )
    args = parser.parse_args()
    measures = set(args.measure or MEASURES)
    sizes = args.posts or [10_000, 1_000_000]
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    started = time.perf_counter()
    print(machine_speed(), flush=True)
    port = _free_port()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "tidings", "sandbox", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    results: list[Result] = []
    try:
        _wait_for(base)
        httpx.patch(f"{base}/_sandbox/settings", json={"default_latency_ms": 20})
        for size in sizes:
            for backend in backends:
                result = bench(backend, size, base, random.Random(args.seed), measures)
                report(result)
                results.append(result)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
    if len(results) > 1:
        summary(results)
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"\nwhole run: {(time.perf_counter() - started) / 60:.1f} min (load average {load})")
    print(machine_speed())


def machine_speed() -> str:
    """How quick this machine is now, by a fresh Python importing SQLAlchemy's ORM: work like
    Tidings' own start-up, and nothing of Tidings'. A machine's speed drifts within a day and
    between days, and every figure here moves with it (on one machine ``tidings --help`` took
    0.12 s one day and 0.24 s another): figures of two runs compare only beside this line."""
    times = []
    for _ in range(3):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import sqlalchemy.orm"], check=True)
        times.append(time.perf_counter() - began)
    return (
        f"machine speed: a fresh Python imported sqlalchemy.orm in {min(times):.2f} s (best of 3)"
    )


# --- one database ------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    posts: int
    fill_s: float = 0.0
    schema: str = ""
    rows: str = ""
    figures: list[tuple[str, float, float, str]] = field(
        default_factory=list
    )  # name, value, target, unit

    def add(self, name: str, value: float, target: float, unit: str) -> None:
        self.figures.append((name, value, target, unit))


def bench(backend: str, size: int, sandbox: str, rng: random.Random, measures: set[str]) -> Result:
    result = Result(backend, size)
    print(f"\n== {backend}, {size:,} posts", flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="tidings-scale-") as folder,
        throwaway_database(backend, Path(folder)) as url,
    ):
        config_path = Path(folder) / "config.toml"
        config_path.write_text(config_text(url, sandbox), encoding="utf-8")
        config = parse_config(config_path.read_text(encoding="utf-8"), config_path)
        os.environ[TOKEN_VARIABLE] = "123456789:sandbox"
        database = Database(url)
        started = time.perf_counter()
        database.migrate()
        result.schema = database.current_revision() or "?"
        password = "bench-" + uuid.uuid4().hex[:12]
        live = queue_live(database, config, password)
        fill(database, size - CLAIMED - IDLE, rng, backend)
        result.fill_s = time.perf_counter() - started
        result.rows = row_counts(database)
        print(f"   filled in {result.fill_s:.0f} s: {result.rows}", flush=True)
        if "claims" in measures:
            measure_claims(database, config, live[:CLAIMED], result)
        if "daemon" in measures:
            measure_daemon(database, config_path, sandbox, live[CLAIMED:], result)
        if "commands" in measures:
            measure_commands(config_path, result)
        if "pages" in measures:
            measure_pages(database, config_path, password, result)
        result.add("database size", database_size(database, url), 0.0, "MiB")
        database.dispose()
    return result


def config_text(url: str, sandbox: str) -> str:
    channels = "".join(
        f"""
[[channels]]
id = "{channel}"
platform = "mastodon"
languages = ["en", "ko"]
base_url = "{sandbox}"
token_env = "{TOKEN_VARIABLE}"
"""
        for channel in CHANNELS
    )
    return f"""[tidings]
timezone = "Asia/Seoul"
database = {json.dumps(url)}

[review]
required_approvals = 1

[scheduler]
concurrency = 16
heartbeat_seconds = 2

[web]
public_url = "http://127.0.0.1:8800"
{channels}"""


def queue_live(database: Database, config: Config, password: str) -> list[int]:
    """The posts the measures move: approved and scheduled through the service layer (as
    bench/dispatch.py queues them), due a year from now until moved. Returns their ids."""
    later = datetime.now(UTC) + timedelta(days=365)
    _queue(database, config, CLAIMED + IDLE, lambda n: later + timedelta(minutes=n))
    with database.writing() as session:
        admin = add_user(
            session,
            name=ADMIN,
            role=Role.ADMIN,
            password_hash=hash_password(password),
            actor=None,
        )
        admin.language = "en"
        author = session.execute(select(User).where(col(User.name) == AUTHOR)).scalar_one()
        author.password_hash = admin.password_hash  # to measure the desk of every draft's author
        posts = session.execute(select(col(Post.id)).order_by(col(Post.id))).scalars().all()
    assert len(posts) == CLAIMED + IDLE
    return list(posts)


# --- bulk fill -----------------------------------------------------------------------------


@dataclass
class Rows:
    drafts: list[dict[str, Any]] = field(default_factory=list)
    variants: list[dict[str, Any]] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    ended: list[Ended] = field(default_factory=list)  # the attempts, as the daemon tallies them

    def tables(self) -> list[tuple[Any, list[dict[str, Any]]]]:
        return [
            (Draft.__table__, self.drafts),  # type: ignore[attr-defined]
            (Variant.__table__, self.variants),  # type: ignore[attr-defined]
            (Post.__table__, self.posts),  # type: ignore[attr-defined]
            (Attempt.__table__, self.attempts),  # type: ignore[attr-defined]
            (Review.__table__, self.reviews),  # type: ignore[attr-defined]
            (AuditEntry.__table__, self.audit),  # type: ignore[attr-defined]
        ]


# (draft status, share of drafts); the posts follow the draft
SPREAD: list[tuple[str, float]] = [
    (DraftStatus.DONE, 0.88),
    (DraftStatus.SCHEDULED, 0.06),
    (DraftStatus.IN_REVIEW, 0.02),
    (DraftStatus.DRAFT, 0.015),
    (DraftStatus.APPROVED, 0.01),
    (DraftStatus.CHANGES_REQUESTED, 0.005),
    (DraftStatus.CANCELLED, 0.01),
]
POST_STATUS: dict[str, str] = {
    DraftStatus.SCHEDULED: PostStatus.SCHEDULED,
    DraftStatus.CANCELLED: PostStatus.CANCELLED,
}
LANGUAGES = [(["en"], 0.7), (["ko"], 0.2), (["en", "ko"], 0.1)]


class Ids:
    """The next id of each table, read once: the bulk rows carry their ids."""

    def __init__(self, database: Database) -> None:
        with database.reading() as session:
            self.next = {
                table.name: int(session.execute(select(func.max(table.c.id))).scalar() or 0) + 1
                for table, _ in Rows().tables()
            }

    def take(self, table: str) -> int:
        number = self.next[table]
        self.next[table] = number + 1
        return number


def fill(database: Database, count: int, rng: random.Random, backend: str) -> None:
    """``count`` posts in bulk, in batches of drafts, each batch one transaction."""
    ids = Ids(database)
    with database.reading() as session:
        author, reviewer = (
            int(
                session.execute(text('SELECT id FROM "user" WHERE name = :n'), {"n": name}).one()[0]
            )
            for name in (AUTHOR, "bench-reviewer")
        )
    now = datetime.now(UTC)
    made, started, cpu = 0, time.perf_counter(), time.process_time()
    while made < count:
        rows = Rows()
        for _ in range(BATCH_DRAFTS):
            if made >= count:
                break
            made += one_draft(rows, ids, rng, now, author, reviewer, count - made)
        write(database, rows, backend)
        took = time.perf_counter() - started
        print(
            f"   {backend}: {made:,} / {count:,} posts ({took:.0f} s, {made / took:,.0f} posts/s; "
            f"this process's CPU {time.process_time() - cpu:.0f} s)",
            flush=True,
        )
    if backend == "postgres":
        with database.writing() as session:
            for table, _ in Rows().tables():
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT max(id) FROM {table.name}))"
                    )
                )
    if backend == "postgres":
        # What autovacuum does on a server that has been running: with the visibility map set,
        # counts read the indexes alone (just after a bulk load they read the table itself).
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as raw:
            raw.execute(text("VACUUM (ANALYZE)"))
    else:
        with database.writing() as session:
            session.execute(text("ANALYZE"))


def one_draft(
    rows: Rows,
    ids: Ids,
    rng: random.Random,
    now: datetime,
    author: int,
    reviewer: int,
    left: int,
) -> int:
    """One draft with its variants, posts, attempts, review and audit entry; its post count."""
    status = rng.choices([s for s, _ in SPREAD], [w for _, w in SPREAD])[0]
    languages = rng.choices([tags for tags, _ in LANGUAGES], [w for _, w in LANGUAGES])[0]
    channels = rng.sample(CHANNELS, min(left, rng.randint(1, 4)))
    draft_id = ids.take("draft")
    if status == DraftStatus.DONE:
        due = now - timedelta(seconds=rng.uniform(3600, THREE_YEARS.total_seconds()))
    elif status == DraftStatus.SCHEDULED:
        due = now + timedelta(seconds=rng.uniform(3600, 90 * 86400))
    else:
        due = None
    created_at = (due or now) - timedelta(days=rng.uniform(0.5, 10))
    created, due_s = stamp(created_at), stamp(due) if due else None
    digest = secrets.token_hex(32)
    rows.drafts.append(
        {
            "id": draft_id,
            "kind": "update",
            "title": f"Neighbourhood update {draft_id}",
            "template": None,
            "channels": json.dumps(channels),
            "languages": json.dumps(languages),
            "publish_at": due_s,
            "publish_next_slot": False,
            "expires_at": None,
            "repeat": None,
            "status": status,
            "author_id": author,
            "content_hash": digest,
            "review_round": 1,
            "source": "",
            "created_at": created,
            "updated_at": due_s or created,
            "moved_at": created,  # its audit entry's
        }
    )
    for language in languages:
        rows.variants.append(
            {
                "id": ids.take("variant"),
                "draft_id": draft_id,
                "language": language,
                "text": (EN_TEXT if language == "en" else KO_TEXT)[draft_id % 4],
                "fields": "{}",
                "channel_texts": "{}",
            }
        )
    if status in (DraftStatus.DONE, DraftStatus.SCHEDULED, DraftStatus.APPROVED):
        rows.reviews.append(
            {
                "id": ids.take("review"),
                "draft_id": draft_id,
                "reviewer_id": reviewer,
                "decision": APPROVED,
                "comment": "",
                "content_hash": digest,
                "review_round": 1,
                "posts_seen": None,
                "created_at": stamp(created_at + timedelta(hours=2)),
            }
        )
    rows.audit.append(
        {
            "id": ids.take("audit_log"),
            "at": created,
            "actor": "mina",
            "action": "draft.add",
            "draft_id": draft_id,
            "post_id": None,
            "detail": f"Neighbourhood update {draft_id}",
        }
    )
    for number, channel in enumerate(channels):
        language = languages[number % len(languages)]
        post_id = ids.take("post")
        body = (EN_TEXT if language == "en" else KO_TEXT)[draft_id % 4]
        post_status = POST_STATUS.get(status, PostStatus.PENDING)
        post: dict[str, Any] = {
            "id": post_id,
            "draft_id": draft_id,
            "author_id": author,
            "channel": channel,
            "platform": "mastodon",
            "language": language,
            "occurrence": 1,
            "text": body,
            "length": len(body),
            "length_limit": 500,
            "status": post_status,
            "due_at": due_s,
            "remote_id": None,
            "remote_url": None,
            "created_at": created,
            "updated_at": due_s or created,
            "attempt_at": due_s if status == DraftStatus.SCHEDULED else None,
            "lease_owner": None,
            "lease_until": None,
            "failures": 0,
            "reconcile": False,
            "idempotency_key": None,
            "publish_state": "{}",
            "reason": None,
        }
        if due is not None and status == DraftStatus.DONE:
            settle(rows, ids, rng, post, draft_id, due)
        rows.posts.append(post)
    return len(channels)


def settle(
    rows: Rows, ids: Ids, rng: random.Random, post: dict[str, Any], draft_id: int, due: datetime
) -> None:
    """A published post (one attempt); one in fifty failed, one in two hundred needs attention."""
    settled = stamp(due + timedelta(seconds=1))
    roll = rng.random()
    outcome, status = (
        ("failed", PostStatus.FAILED)
        if roll < 0.02
        else ("unknown", PostStatus.NEEDS_ATTENTION)
        if roll < 0.025
        else ("published", PostStatus.PUBLISHED)
    )
    post_id = post["id"]
    published = outcome == "published"
    remote_id = f"r{post_id}" if published else None
    remote_url = f"https://mastodon.example/@city/{post_id}" if published else None
    reason = None if published else "the platform answered 401: the token has expired"
    post.update(
        status=status,
        remote_id=remote_id,
        remote_url=remote_url,
        reason=reason,
        idempotency_key=uuid.UUID(int=rng.getrandbits(128)).hex,
        updated_at=settled,
    )
    rows.attempts.append(
        {
            "id": ids.take("attempt"),
            "post_id": post_id,
            "number": 1,
            "worker": "bench-host:4242",
            "started_at": post["due_at"],
            "finished_at": settled,
            "outcome": outcome,
            "http_status": {"published": 200, "failed": 401}.get(outcome),
            "remote_id": remote_id,
            "remote_url": remote_url,
            "error": reason,
            "duration_ms": 420,
        }
    )
    rows.ended.append(Ended(post["platform"], outcome, 1.0 if published else None))
    if not published:
        rows.audit.append(
            {
                "id": ids.take("audit_log"),
                "at": settled,
                "actor": "daemon",
                "action": f"post.{status}",
                "draft_id": draft_id,
                "post_id": post_id,
                "detail": reason,
            }
        )


def write(database: Database, rows: Rows, backend: str) -> None:
    with database.engine.begin() as connection:
        if backend == "sqlite":  # the indexes grow in random order: keep their pages in memory
            connection.exec_driver_sql(f"PRAGMA cache_size = -{FILL_CACHE_KIB}")
        for table, batch in rows.tables():
            if not batch:
                continue
            if backend == "postgres":
                copy(connection, table, batch)
            else:
                many(connection, table, batch)
    with database.writing() as session:
        tally(session, rows.ended)


def many(connection: Any, table: Any, batch: list[dict[str, Any]]) -> None:
    """One executemany of the table's INSERT, the values as SQLite stores them (what the
    column types would make of them, made here: their processing would cost most of the fill)."""
    names = list(batch[0])
    columns = ", ".join(f'"{name}"' for name in names)
    statement = f'INSERT INTO "{table.name}" ({columns}) VALUES ({", ".join("?" * len(names))})'
    connection.exec_driver_sql(statement, [tuple(row.values()) for row in batch])


def stamp(moment: datetime) -> str:
    """An instant as the bulk rows carry it: UTC wall time, as SQLite stores it (and as
    PostgreSQL reads it in a session whose time zone is UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def copy(connection: Any, table: Any, batch: list[dict[str, Any]]) -> None:
    """PostgreSQL's COPY through psycopg, in a session whose time zone is UTC."""
    names = list(batch[0])
    quoted = ", ".join(f'"{name}"' for name in names)
    cursor = connection.connection.driver_connection.cursor()
    cursor.execute("SET LOCAL TIME ZONE 'UTC'")
    with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as writer:
        for row in batch:
            writer.write_row(tuple(row.values()))


def row_counts(database: Database) -> str:
    with database.reading() as session:
        counts = {
            table.name: session.execute(select(func.count()).select_from(table)).scalar()
            for table, _ in Rows().tables()
        }
    return ", ".join(f"{n:,} {name}" for name, n in counts.items())


def database_size(database: Database, url: str) -> float:
    if database.is_sqlite:
        path = Path(url.removeprefix("sqlite:///"))
        database.dispose()
        with closing(sqlite3.connect(path)) as connection:  # the log into the file first
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20
    with database.reading() as session:
        size = session.execute(text("SELECT pg_database_size(current_database())")).scalar()
    return float(size or 0) / 2**20


# --- measures ------------------------------------------------------------------------------


def measure_claims(database: Database, config: Config, claimed: list[int], result: Result) -> None:
    """``claim_due`` for 100 due posts, each claim committed as the daemon's are, then undone
    (not timed) so that every claim finds the same. Not rolled back: psycopg forgets its
    prepared statements at every rollback, so on PostgreSQL each claim would be planned anew,
    as no daemon's claim is (its transactions commit)."""
    from scheduler.claiming import claim_due

    moved = datetime.now(UTC) - timedelta(minutes=5)
    set_due(database, claimed, lambda _: moved)
    capacity = dict.fromkeys(CHANNELS, CLAIMED)
    times: list[float] = []
    cpu: list[float] = []  # this process's own: on a busy machine, steadier than the wall
    taken = 0
    for run in range(CLAIM_WARMUP + CLAIM_RUNS):
        with database.writing() as session:
            started, started_cpu = time.perf_counter(), time.thread_time()
            claims = claim_due(
                session,
                worker=BENCH_WORKER,
                now=datetime.now(UTC),
                lease=timedelta(seconds=6),
                capacity=capacity,
                limit=CLAIMED,
                required_approvals=config.review.required_approvals,
            )
            elapsed = (time.perf_counter() - started) * 1000
            elapsed_cpu = (time.thread_time() - started_cpu) * 1000
        unclaim(database, claimed, moved)
        taken = len(claims)
        if run >= CLAIM_WARMUP:
            times.append(elapsed)
            cpu.append(elapsed_cpu)
    result.add(f"claim of {taken} due posts, p50", statistics.median(times), 0.0, "ms")
    result.add(f"claim of {taken}, this process's CPU, p50", statistics.median(cpu), 0.0, "ms")
    result.add(f"claim of {taken} due posts, p99", percentile(times, 0.99), TARGETS["claim"], "ms")
    floor = claim_floor(database, claimed, moved)
    result.add("  its bare SQL alone, p50", statistics.median(floor), 0.0, "ms")
    result.add("  its bare SQL alone, p99", percentile(floor, 0.99), 0.0, "ms")
    with database.writing() as session:  # out of the daemon's way
        session.execute(
            update(Post)
            .where(col(Post.id).in_(claimed))
            .values(status=PostStatus.PUBLISHED, attempt_at=None)
        )
    print(f"   claims measured ({taken} posts each)", flush=True)


# What no claim can do without: read and lock the due posts, then lease them and record their
# attempts, each its cheapest way: the ids as one parameter; on PostgreSQL the lease and the
# attempts in one statement (as the claim does them), on SQLite in two.
# The claim index's condition written out, as the claim writes it: SQLite takes the partial
# index (0028) only for a query that repeats it.
DUE = (
    "SELECT id FROM post WHERE status = 'scheduled' AND attempt_at <= :now"
    " AND status IN ('scheduled', 'retrying') ORDER BY attempt_at"
)
LEASE = (
    "UPDATE post SET status = 'publishing', lease_owner = :worker, lease_until = :until"
    " WHERE id IN ({})"
)
STARTED = "INSERT INTO attempt (post_id, number, worker, started_at) SELECT {}, 1, :worker, :now"
FLOOR_STATEMENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sqlite": (
        f"{DUE} LIMIT :limit",
        (
            LEASE.format("SELECT value FROM json_each(:ids)"),
            STARTED.format("value") + " FROM json_each(:ids)",
        ),
    ),
    "postgresql": (
        f"{DUE} LIMIT :limit FOR UPDATE SKIP LOCKED",
        (
            "WITH leased AS ("
            + LEASE.format("SELECT unnest(CAST(:ids AS integer[]))")
            + " RETURNING id) "
            + STARTED.format("id")
            + " FROM leased",
        ),
    ),
}


def claim_floor(database: Database, claimed: list[int], moved: datetime) -> list[float]:
    """The same claims reduced to their bare SQL and nothing else (no draft, no approval, no
    chain, no publish state, no Python per post but the parameters): what a claim of 100 posts
    cannot do without, on this database and machine, timed as the claim is (from the
    transaction's first statement). The claim's target is read against it: what a claim costs
    above it is Tidings' own."""
    postgres = database.engine.dialect.name == "postgresql"
    due_sql, writes_sql = FLOOR_STATEMENTS[database.engine.dialect.name]
    instants = (bindparam("now", type_=AwareDateTime), bindparam("until", type_=AwareDateTime))
    select_due = text(due_sql).bindparams(instants[0])
    writes = [
        text(sql).bindparams(*(each for each in instants if f":{each.key}" in sql))
        for sql in writes_sql
    ]
    times: list[float] = []
    for run in range(CLAIM_WARMUP + CLAIM_RUNS):
        with database.writing() as session:
            now = datetime.now(UTC)
            started = time.perf_counter()
            due = session.execute(select_due, {"now": now, "limit": 2 * CLAIMED}).scalars().all()
            values = {
                "worker": BENCH_WORKER,
                "now": now,
                "until": now + timedelta(seconds=6),
                "ids": list(due) if postgres else json.dumps(list(due)),
            }
            for write in writes:
                session.execute(write, values)
            elapsed = (time.perf_counter() - started) * 1000
        unclaim(database, claimed, moved)
        if run >= CLAIM_WARMUP:
            times.append(elapsed)
    return times


def unclaim(database: Database, post_ids: Sequence[int], due: datetime) -> None:
    """Undo a claim of ``post_ids``: its attempts gone, the posts scheduled as they were."""
    with database.writing() as session:
        session.execute(delete(Attempt).where(col(Attempt.post_id).in_(post_ids)))
        session.execute(
            update(Post)
            .where(col(Post.id).in_(post_ids))
            .values(
                status=PostStatus.SCHEDULED,
                attempt_at=due,
                lease_owner=None,
                lease_until=None,
                idempotency_key=None,
                publish_state={},
                reconcile=False,
            )
        )


def set_due(database: Database, post_ids: Sequence[int], due_of: Callable[[int], datetime]) -> None:
    with database.writing() as session:
        for number, post_id in enumerate(post_ids):
            due = due_of(number)
            session.execute(
                update(Post).where(col(Post.id) == post_id).values(due_at=due, attempt_at=due)
            )
        signal_queue_change(session)


def measure_daemon(
    database: Database, config_path: Path, sandbox: str, idle: list[int], result: Result
) -> None:
    """``tidings run`` idle over everything stored; 50 posts come due 300 ms apart."""
    httpx.post(f"{sandbox}/_sandbox/reset")
    command = [*tidings_command(), "--config", str(config_path), "run"]
    daemon = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    try:
        deadline = time.monotonic() + 120
        while not heartbeat_seen(database):
            if daemon.poll() is not None or time.monotonic() > deadline:
                _, errors = daemon.communicate()
                raise SystemExit(f"the daemon did not start: {errors.decode()[-2000:]}")
            time.sleep(0.2)
        time.sleep(2)  # idle for a moment
        first = datetime.now(UTC) + timedelta(seconds=2)
        set_due(database, idle, lambda n: first + timedelta(milliseconds=300 * n))
        with database.reading() as session:
            query = select(col(Post.text), col(Post.due_at)).where(col(Post.id).in_(idle))
            dues = dict(session.execute(query).all())
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            peak = max(peak, peak_rss(daemon.pid))
            received = httpx.get(f"{sandbox}/_sandbox/posts", timeout=30).json()["posts"]
            if len(received) >= IDLE:
                break
            time.sleep(0.25)
        peak = max(peak, peak_rss(daemon.pid))
    finally:
        daemon.terminate()
        daemon.communicate(timeout=60)
    lags = _lags(sandbox, lambda body: dues[body])
    result.add("idle lag p50", lags["p50_ms"], 0.0, "ms")  # beside p99: one late post or all
    result.add(f"idle lag p99 ({int(lags['count'])} posts)", lags["p99_ms"], TARGETS["lag"], "ms")
    result.add("daemon peak RSS", peak, TARGETS["rss"], "MiB")
    print(f"   daemon measured ({int(lags['count'])} of {IDLE} posts out)", flush=True)


def heartbeat_seen(database: Database) -> bool:
    with database.reading() as session:
        return bool(session.execute(text("SELECT count(*) FROM daemon_heartbeat")).scalar())


def peak_rss(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MiB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return 0.0
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def measure_commands(config_path: Path, result: Result) -> None:
    """``tidings queue`` and ``tidings log`` as a person runs them: the quickest of three (one
    when it takes over 10 s); ``tidings --help`` beside them, the cost of starting alone."""
    env = startup_environment(config_path.parent)
    for arguments in (["--help"], ["queue"], ["log"]):
        argv = [*tidings_command(), "--config", str(config_path), *arguments]
        times = []
        for _ in range(3):
            started = time.perf_counter()
            done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
            times.append(time.perf_counter() - started)
            if done.returncode != 0:  # said, and the figure left out: the other figures stand
                print(f"   tidings {' '.join(arguments)} failed: {done.stderr.strip()[-500:]}")
                times = [math.nan]
                break
            if times[-1] > 10:  # slow enough that three runs would tell nothing more
                break
        name = f"tidings {' '.join(arguments)}"
        if arguments == ["--help"]:  # the start-up alone, for reading the two below
            result.add(f"{name} (start-up alone)", min(times), 0.0, "s")
        else:
            result.add(name, min(times), TARGETS["command"], "s")
    print("   commands measured", flush=True)


def measure_pages(database: Database, config_path: Path, password: str, result: Result) -> None:
    """Each page over HTTP: up to 40 requests or 25 s, after two unmeasured ones; p95."""
    import web_pages

    with database.reading() as session:
        failed = session.execute(
            select(func.max(col(Post.id))).where(col(Post.status) == PostStatus.FAILED)
        ).scalar()
    web_pages.PASSWORD = password
    pages = [  # (name, path, who looks)
        ("inbox", "/inbox", ADMIN),
        ("calendar (this week)", "/calendar", ADMIN),
        ("post outcomes", f"/posts/{failed}", ADMIN),
        ("needs attention", "/attention", ADMIN),
        ("channels", "/channels", ADMIN),
        ("desk, the admin's", "/", ADMIN),
        ("desk, the author's", "/", AUTHOR),
        ("/metrics scrape", "/metrics", ADMIN),
    ]
    with server(config_path) as base:
        browsers = {name: logged_in(base, name) for name in (ADMIN, AUTHOR)}
        for name, path, who in pages:
            times: list[float] = []
            status = 200
            for number in range(2 + PAGE_REQUESTS):
                started = time.perf_counter()
                response = browsers[who].get(path, timeout=300)
                elapsed = (time.perf_counter() - started) * 1000
                status = response.status_code if response.status_code != 200 else status
                if number >= 2:
                    times.append(elapsed)
                if sum(times) / 1000 > PAGE_SECONDS and len(times) >= 5:
                    break
            label = f"page {name}, p95 of {len(times)}" + (
                f" (status {status})" if status != 200 else ""
            )
            result.add(label, percentile(times, 0.95), TARGETS["page"], "ms")
        for browser in browsers.values():
            browser.close()
    print("   pages measured", flush=True)


# --- the report ----------------------------------------------------------------------------


def report(result: Result) -> None:
    print(
        f"\n{result.backend}, {result.posts:,} posts, schema {result.schema} "
        f"(filled in {result.fill_s:.0f} s; {result.rows})"
    )
    print(f"{'figure':<42}{'value':>12}{'target':>12}  met")
    for name, value, target, unit in result.figures:
        shown = f"{value:,.1f} {unit}" if unit != "s" else f"{value:.2f} s"
        if math.isnan(value):
            shown, wanted, met = "failed", f"≤ {target:g} {unit}", "NO"
        elif target:
            wanted = f"≤ {target:g} {unit}"
            met = "yes" if value <= target else "NO"
        else:
            wanted, met = "", ""
        print(f"{name:<42}{shown:>12}{wanted:>12}  {met}")


def summary(results: list[Result]) -> None:
    """Every figure side by side: how each grows with the posts stored."""
    print("\n== growth")
    heads = [f"{r.backend} {r.posts:,}" for r in results]
    print(f"{'figure':<34}" + "".join(f"{h:>21}" for h in heads))
    names = [re.sub(r", p95 of \d+| \(\d+ posts\)", "", name) for name, *_ in results[0].figures]
    for index, name in enumerate(names):
        cells = []
        for r in results:
            if index < len(r.figures):
                _, value, _, unit = r.figures[index]
                cells.append(f"{value:,.1f} {unit}" if unit != "s" else f"{value:.2f} s")
            else:
                cells.append("-")
        print(f"{name:<34}" + "".join(f"{c:>21}" for c in cells))


if __name__ == "__main__":
    main()
