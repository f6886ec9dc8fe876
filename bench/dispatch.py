"""Dispatch benchmark: the daemon against a bare httpx loop, over real HTTP to the sandbox.

    python bench/dispatch.py                       # N=5000, C=8, 20 ms latency, concurrency 32
    python bench/dispatch.py --backend postgres --posts 2000

For each backend it queues N approved posts across C Mastodon channels, all due at the same
moment, runs the daemon, and sends the same requests with a bare ``httpx`` async loop at the
same concurrency, over one client for each channel as the daemon sends them
(``scheduler.http_clients``: over one client for all, httpx's pool took most of either's
processor time, and the ratio measured that pool rather than the daemon). It prints
throughput, the lag from due time to arrival at the sandbox (p50/p95/p99), each process's
peak memory, and the daemon/bare ratio, and the processor time each post cost while the posts
went out: the sending process's own (the daemon's, or the bare loop's), the sandbox's and,
for PostgreSQL, the server's, with the throughput those costs allow at most (all cores busy,
and the sender's own time on one core: one Python process shares one interpreter lock). On
this 2-core machine both senders run at their one-core ceiling at 20 ms, so the ratio is that
of their processor time per post; at a platform's pace (``--latency-ms 200``) it is not. Then
it schedules ``--idle`` single posts while the daemon is idle and prints their lag.

The sandbox runs in a process of its own (``tidings sandbox``); each measured side runs in a
fresh process so that its peak memory is its own. Nothing here is asserted: it prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

POSTGRES_ADMIN = os.environ.get(
    "TIDINGS_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--idle", type=int, default=50, help="single posts due while idle")
    parser.add_argument("--side", choices=["bare", "daemon", "idle"], help=argparse.SUPPRESS)
    parser.add_argument("--sandbox", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        result = SIDES[args.side](args)
        result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    orchestrate(args)


# --- the parent: sandbox, databases, the three sides, the report ------------------------------


def orchestrate(args: argparse.Namespace) -> None:
    port = _free_port()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "tidings", "sandbox", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base)
        httpx.patch(f"{base}/_sandbox/settings", json={"default_latency_ms": args.latency_ms})
        print(
            f"N={args.posts} posts, C={args.channels} channels, latency {args.latency_ms:g} ms, "
            f"concurrency {args.concurrency}, sandbox at {base}"
        )
        bare = _side("bare", args, sandbox, base)
        _report("bare httpx loop", bare)
        backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
        for backend in backends:
            with _database(backend) as url:
                daemon = _side("daemon", args, sandbox, base, url)
            _report(f"daemon on {backend}", daemon)
            ratio = daemon["throughput"] / bare["throughput"]
            print(f"  ratio to the bare loop: {ratio:.2f}")
            if args.idle:
                with _database(backend) as url:
                    idle = _side("idle", args, sandbox, base, url)
                print(
                    f"  idle single posts on {backend} ({args.idle}): lag p50 {idle['p50_ms']:.0f} ms, "
                    f"p95 {idle['p95_ms']:.0f} ms, p99 {idle['p99_ms']:.0f} ms, max {idle['max_ms']:.0f} ms"
                )
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


def _side(
    side: str,
    args: argparse.Namespace,
    sandbox: subprocess.Popen[bytes],
    base: str,
    database: str | None = None,
) -> dict[str, float]:
    httpx.post(f"{base}/_sandbox/reset")
    sandbox_cpu = _cpu_of(sandbox.pid)
    command = [
        sys.executable,
        __file__,
        "--side",
        side,
        "--sandbox",
        base,
        "--posts",
        str(args.posts),
        "--channels",
        str(args.channels),
        "--concurrency",
        str(args.concurrency),
        "--idle",
        str(args.idle),
    ]
    if database:
        command += ["--database", database]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{side} side failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    result["sandbox_cpu_s"] = _cpu_of(sandbox.pid) - sandbox_cpu
    return result


def _report(label: str, result: dict[str, float]) -> None:
    print(
        f"{label}: {result['throughput']:.0f} posts/s, lag p50 {result['p50_ms']:.0f} ms, "
        f"p95 {result['p95_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms, "
        f"peak memory {result['peak_rss_mib']:.0f} MiB"
        + (f", setup {result['setup_s']:.1f} s" if "setup_s" in result else "")
    )
    posts = result.get("posts", 0.0)
    if posts:
        print(
            "  processor time per post: "
            f"{result['own_cpu_s'] / posts * 1000:.2f} ms its own, "
            f"{result['sandbox_cpu_s'] / posts * 1000:.2f} ms the sandbox's"
            + (
                f", {result['server_cpu_s'] / posts * 1000:.2f} ms PostgreSQL's"
                if result.get("server_cpu_s")
                else ""
            )
        )
        print("  " + _ceilings(result))
    if "cycles" in result:
        per_thousand = result["cycle_s"] / result["posts"] * 1000
        print(
            f"  daemon cycles: {result['cycles']:.0f}, {result['cycle_s']:.2f} s wall "
            f"({per_thousand:.2f} s per 1,000 posts), "
            f"{result['cycle_cpu_s']:.2f} s CPU on the database thread"
        )


def _ceilings(result: dict[str, float]) -> str:
    """The most posts a second these processor costs allow: with every core of the machine
    busy (the sender, the sandbox and PostgreSQL share them), and with the sender's own time
    on one core (one Python process: its event loop and its database thread share one
    interpreter lock, all but the time SQLite and the network calls spend outside it). A
    ratio to the bare loop cannot beat the ratio of these."""
    posts = result["posts"]
    own = result["own_cpu_s"] / posts
    every = own + (result["sandbox_cpu_s"] + result.get("server_cpu_s", 0.0)) / posts
    cores = os.cpu_count() or 1
    return (
        f"processor-bound ceilings: {cores / every:.0f} posts/s on {cores} cores, "
        f"{1 / own:.0f} posts/s for its own time on one core"
    )


class _database:
    """A throwaway database: a SQLite file or a PostgreSQL database, migrated, then removed."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.folder = tempfile.TemporaryDirectory(prefix="tidings-bench-")
        self.name = f"tidings_bench_{uuid.uuid4().hex[:8]}"

    def __enter__(self) -> str:
        from drafts.storage import Database

        if self.backend == "sqlite":
            url = f"sqlite:///{self.folder.name}/bench.db"
        else:
            _admin(f'CREATE DATABASE "{self.name}"')
            url = POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{self.name}"
        database = Database(url)
        database.migrate()
        database.dispose()
        return url

    def __exit__(self, *_: object) -> None:
        if self.backend == "postgres":
            _admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.folder.cleanup()


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(sql)


# --- the children -----------------------------------------------------------------------------


def bare_side(args: argparse.Namespace) -> dict[str, float]:
    """The same requests as the daemon sends, from the simplest loop that can send them."""
    tokens = [secrets.token_urlsafe(16) for _ in range(args.channels)]

    async def run() -> float:
        gate = asyncio.Semaphore(args.concurrency)
        # As the daemon's: each channel may have all of the concurrency (its max_in_flight).
        each = args.concurrency
        limits = httpx.Limits(max_connections=each, max_keepalive_connections=each)
        async with contextlib.AsyncExitStack() as clients:
            channel_clients = [
                await clients.enter_async_context(httpx.AsyncClient(limits=limits))
                for _ in range(args.channels)
            ]

            async def one(number: int) -> None:
                key = uuid.uuid4().hex
                async with gate:
                    for tries_left in (1, 0):  # once more on a connection the server closed
                        try:
                            client = channel_clients[number % args.channels]
                            response = await client.post(
                                f"{args.sandbox}/api/v1/statuses",
                                json={
                                    "status": _text(number),
                                    "visibility": "public",
                                    "language": "en",
                                },
                                headers={
                                    "Authorization": f"Bearer {tokens[number % args.channels]}",
                                    "Idempotency-Key": key,  # the retry posts nothing twice
                                },
                            )
                        except (httpx.ReadError, httpx.RemoteProtocolError):
                            if not tries_left:
                                raise
                            continue
                        response.raise_for_status()
                        return

            start = time.perf_counter()
            await asyncio.gather(*(one(n) for n in range(args.posts)))
            return time.perf_counter() - start

    due = datetime.now(UTC)
    own = _own_cpu()
    elapsed = asyncio.run(run())
    return {
        "throughput": args.posts / elapsed,
        "own_cpu_s": _own_cpu() - own,
        "posts": float(args.posts),
        **_lags(args.sandbox, lambda _: due),
    }


def daemon_side(args: argparse.Namespace) -> dict[str, float]:
    """N posts due at one moment; the daemon runs from before it until every post is out."""
    from drafts.storage import Database
    from scheduler.daemon import Daemon, DaemonSettings

    config = _config(args)
    database = Database(args.database)
    started = time.perf_counter()
    due = datetime.now(UTC) + timedelta(seconds=120)  # far enough to finish queueing
    _queue(database, config, args.posts, lambda _: due)
    setup = time.perf_counter() - started
    _move_due(database, datetime.now(UTC) + timedelta(seconds=1.5))
    due = _due_time(database)
    settings = DaemonSettings(concurrency=args.concurrency, request_timeout=30.0)
    daemon = Daemon(config, database, settings=settings)
    cycles = _timed_cycles(daemon)
    own, server = _own_cpu(), _postgres_cpu()
    asyncio.run(_run_until_out(daemon, database, args.posts))
    own, server = _own_cpu() - own, _postgres_cpu() - server
    lags = _lags(args.sandbox, lambda _: due)
    last = lags.pop("last_arrival")
    return {
        "throughput": args.posts / last,
        "setup_s": setup,
        "last_arrival": last,
        **lags,
        **cycles,
        "posts": float(args.posts),
        "own_cpu_s": own,
        "server_cpu_s": server if args.database.startswith("postgresql") else 0.0,
    }


def _timed_cycles(daemon: object) -> dict[str, float]:
    """The daemon's cycles (one transaction each: record results, claim, find the next wake),
    counted and timed on the database thread that runs them (wall and that thread's CPU); the
    figures fill in as the daemon runs."""
    from scheduler.daemon import Daemon

    assert isinstance(daemon, Daemon)
    figures = {"cycles": 0.0, "cycle_s": 0.0, "cycle_cpu_s": 0.0}
    cycle = daemon._cycle

    def timed(*args: object, **kwargs: object) -> object:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return cycle(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            figures["cycles"] += 1
            figures["cycle_s"] += time.perf_counter() - started
            figures["cycle_cpu_s"] += time.thread_time() - cpu

    daemon._cycle = timed  # type: ignore[method-assign,assignment]
    return figures


def idle_side(args: argparse.Namespace) -> dict[str, float]:
    """Single posts, each due on its own while the daemon is idle."""
    from drafts.storage import Database
    from scheduler.daemon import Daemon, DaemonSettings

    config = _config(args)
    database = Database(args.database)
    start = datetime.now(UTC) + timedelta(seconds=60)
    _queue(database, config, args.idle, lambda n: start + timedelta(milliseconds=300 * n))
    first = datetime.now(UTC) + timedelta(seconds=2)
    _shift(database, first - start)
    dues = _due_times(database)
    daemon = Daemon(config, database, settings=DaemonSettings(concurrency=args.concurrency))
    asyncio.run(_run_until_out(daemon, database, args.idle))
    return _lags(args.sandbox, lambda text: dues[text])


async def _run_until_out(daemon: object, database: object, count: int) -> None:
    from sqlmodel import func, select

    from drafts.lifecycle import PostStatus
    from drafts.models import Post
    from drafts.storage import Database
    from scheduler.daemon import Daemon

    assert isinstance(daemon, Daemon) and isinstance(database, Database)
    task = asyncio.create_task(daemon.run())
    done = threading.Event()

    def published() -> int:
        with database.reading() as session:
            query = (
                select(func.count()).select_from(Post).where(Post.status == PostStatus.PUBLISHED)
            )
            return int(session.exec(query).one())

    while not task.done():
        await asyncio.sleep(0.25)
        if await asyncio.to_thread(published) >= count:
            done.set()
            break
    daemon.stop()
    await task


def _config(args: argparse.Namespace) -> object:
    from drafts.config import parse_config

    for number in range(args.channels):
        os.environ[f"TIDINGS_BENCH_TOKEN_{number}"] = secrets.token_urlsafe(16)
    channels = "".join(
        f"""
[[channels]]
id = "m{number}"
platform = "mastodon"
languages = ["en"]
base_url = "{args.sandbox}"
token_env = "TIDINGS_BENCH_TOKEN_{number}"
max_in_flight = {args.concurrency}
"""
        for number in range(args.channels)
    )
    return parse_config(f'[tidings]\ntimezone = "UTC"\n{channels}', Path("bench.toml"))


def _text(number: int) -> str:
    return f"Bench post {number}: the canal path reopens this week #bench{number}"


def _queue(database: object, config: object, count: int, due_of: object) -> None:
    """Approved, scheduled one-post drafts, through the same service functions as the CLI."""
    from drafts.authoring import add_draft
    from drafts.config import Config
    from drafts.draft_file import read_draft_file
    from drafts.queueing import ScheduleRequest, schedule_draft
    from drafts.rendering import TemplateLibrary
    from drafts.review import approve, submit
    from drafts.storage import Database
    from drafts.users import Role, add_user

    assert isinstance(database, Database) and isinstance(config, Config) and callable(due_of)
    library = TemplateLibrary.default()
    now = datetime.now(UTC)
    channel_ids = [channel.id for channel in config.channels]
    with database.writing() as session:
        author = add_user(
            session, name="bench-author", role=Role.AUTHOR, password_hash=None, actor=None
        )
        reviewer = add_user(
            session, name="bench-reviewer", role=Role.REVIEWER, password_hash=None, actor=None
        )
        for number in range(count):
            channel = channel_ids[number % len(channel_ids)]
            source = f'kind = "post"\ntitle = "b{number}"\nchannels = ["{channel}"]\n[text]\nen = "{_text(number)}"\n'
            content = read_draft_file(source, "bench.toml", config, now)
            draft = add_draft(
                session, content=content, author=author, config=config, library=library
            )
            assert draft.id is not None
            submit(session, draft_id=draft.id, actor=author, config=config)
            approve(
                session, draft_id=draft.id, reviewer=reviewer, comment="", config=config, now=now
            )
            schedule_draft(
                session,
                draft_id=draft.id,
                request=ScheduleRequest(at=due_of(number)),
                actor=author,
                config=config,
                now=now,
            )


def _move_due(database: object, due: datetime) -> None:
    from sqlalchemy import update

    from drafts.models import Post
    from drafts.storage import Database

    assert isinstance(database, Database)
    with database.writing() as session:
        session.execute(update(Post).values(due_at=due, attempt_at=due))


def _shift(database: object, delta: timedelta) -> None:
    from sqlmodel import select

    from drafts.models import Post
    from drafts.storage import Database

    assert isinstance(database, Database)
    with database.writing() as session:
        for post in session.exec(select(Post)):
            assert post.due_at is not None
            post.due_at = post.attempt_at = post.due_at + delta


def _due_time(database: object) -> datetime:
    return next(iter(_due_times(database).values()))


def _due_times(database: object) -> dict[str, datetime]:
    from sqlmodel import select

    from drafts.models import Post
    from drafts.storage import Database

    assert isinstance(database, Database)
    with database.reading() as session:
        return {post.text: post.due_at for post in session.exec(select(Post)) if post.due_at}


def _lags(base: str, due_of: object) -> dict[str, float]:
    assert callable(due_of)
    posts = httpx.get(f"{base}/_sandbox/posts", timeout=60).json()["posts"]
    arrivals = [(datetime.fromisoformat(p["received_at"]), due_of(p["text"])) for p in posts]
    lags = sorted((arrived - due).total_seconds() * 1000 for arrived, due in arrivals)
    quantiles = (
        statistics.quantiles(lags, n=100, method="inclusive") if len(lags) > 1 else lags * 99
    )
    return {
        "p50_ms": quantiles[49],
        "p95_ms": quantiles[94],
        "p99_ms": quantiles[98],
        "max_ms": lags[-1],
        "last_arrival": lags[-1] / 1000,
        "count": len(lags),
    }


def _own_cpu() -> float:
    """This process's processor time so far (user and system), in seconds."""
    times = os.times()
    return times.user + times.system


def _cpu_of(pid: int) -> float:
    """A process's processor time so far (user and system, from /proc), in seconds; 0 once gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_cpu() -> float:
    """The local PostgreSQL server's processes' processor time so far (a backend that ended
    meanwhile is left out: the daemon's connections last the run)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += _cpu_of(int(entry.name))
            except OSError:
                continue
    return total


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(base: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/_sandbox/settings", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the sandbox did not start")


SIDES = {"bare": bare_side, "daemon": daemon_side, "idle": idle_side}

if __name__ == "__main__":
    main()
