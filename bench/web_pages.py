"""Web pages benchmark: every page of the web app with 1,000 drafts in the database.

    python bench/web_pages.py                          # SQLite, 1,000 drafts, 50 requests a page
    python bench/web_pages.py --backend postgres       # a throwaway PostgreSQL database
    python bench/web_pages.py --backend both --requests 100 --language en

It makes a throwaway database (a SQLite file in a temporary folder, or a PostgreSQL database on
the local server, dropped afterwards), fills it through the service layer with ``--drafts``
drafts in English and Korean over the eight channels of the example config.toml (in review,
being written, sent back, approved, scheduled over the next ten days, and settled in the last
week: published, retrying, failed or needing attention, with their attempts), starts
``tidings web`` (uvicorn) on a loopback port in a process of its own, logs in over real HTTP
with httpx as an admin whose interface language is ``--language`` (and as the author of every
draft, for her desk), and requests each page ``--requests`` times, round-robin, after
``--warmup`` unmeasured rounds.

It prints, per page, the first (cold) request and p50/p95/max of the measured ones in ms, and
whether p95 is under the 100 ms budget. Nothing is asserted: it prints figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from drafts.audit import DAEMON, record  # noqa: E402
from drafts.authoring import add_draft, draft_posts  # noqa: E402
from drafts.config import Config, parse_config  # noqa: E402
from drafts.draft_file import read_draft_file  # noqa: E402
from drafts.lifecycle import DraftStatus, PostStatus  # noqa: E402
from drafts.models import Attempt, Post  # noqa: E402
from drafts.queueing import ScheduleRequest, schedule_draft  # noqa: E402
from drafts.rendering import TemplateLibrary  # noqa: E402
from drafts.review import approve, request_changes, submit  # noqa: E402
from drafts.storage import Database  # noqa: E402
from drafts.times import utcnow  # noqa: E402
from drafts.users import Role, add_user, hash_password  # noqa: E402

POSTGRES_ADMIN = os.environ.get(
    "TIDINGS_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BUDGET_MS = 100.0
ADMIN, AUTHOR, REVIEWERS = "bench-admin", "mina", ("joon", "ara")
PASSWORD = "bench-password-" + uuid.uuid4().hex[:12]
HIRING = (ROOT / "tidings" / "demo" / "hiring.toml").read_text(encoding="utf-8")
EN_TEXT = [
    "🌳 The riverside park is open again: new paths, more shade and a playground. #Parks",
    "🚋 Tram line 4 runs every six minutes from Monday, with step-free stops all along.",
    "💧 Rain gardens beside the tram line kept eleven crossings dry this spring. #Climate",
    "📚 The city library stays open until 22:00 during exam season: https://example.org/lib",
]
KO_TEXT = [
    "🌳 강변 공원이 다시 문을 열었습니다. 새 산책로와 그늘, 놀이터가 생겼습니다. #공원",
    "🚋 4번 트램이 월요일부터 6분 간격으로 운행합니다. 모든 정류장에 계단이 없습니다.",
    "💧 트램 선로 옆 빗물 정원 덕분에 올봄 교차로 열한 곳이 물에 잠기지 않았습니다. #기후",
    "📚 시험 기간에는 시립 도서관이 밤 10시까지 문을 엽니다: https://example.org/lib",
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--drafts", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=50, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured rounds first")
    parser.add_argument("--language", choices=["ko", "en"], default="ko", help="the viewer's")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        bench(backend, args)


# --- one backend: database, fixture, server, measurements ------------------------------------


def bench(backend: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="tidings-bench-") as folder:
        config_path = Path(folder) / "config.toml"
        with throwaway_database(backend, Path(folder)) as url:
            example = (ROOT / "config.toml").read_text(encoding="utf-8")
            config_path.write_text(
                example.replace('"sqlite:///tidings.db"', json.dumps(url)), encoding="utf-8"
            )
            config = parse_config(config_path.read_text(encoding="utf-8"), config_path)
            database = Database(url)
            started = time.perf_counter()
            database.migrate()
            fixture = fill(database, config, args.drafts, args.language, random.Random(args.seed))
            database.dispose()
            took = time.perf_counter() - started
            print(f"\n== {backend}: {fixture.summary} (filled in {took:.1f} s)")
            with server(config_path) as base:
                results = measure(base, fixture, args.requests, args.warmup)
            report(results, args.requests)


@contextmanager
def throwaway_database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    import psycopg

    admin_url = make_url(POSTGRES_ADMIN)
    name = f"tidings_bench_{uuid.uuid4().hex[:10]}"

    def admin() -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=admin_url.host,
            port=admin_url.port or 5432,
            user=admin_url.username,
            password=admin_url.password,
            dbname=admin_url.database,
            autocommit=True,
        )

    with admin() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the fixture -------------------------------------------------------------------------


@dataclass(frozen=True)
class Fixture:
    draft_id: int  # in review, on every channel, in both languages: the largest draft page
    post_id: int  # a post with several attempts and a history
    summary: str
    channels: list[str]


def fill(
    database: Database, config: Config, count: int, language: str, rng: random.Random
) -> Fixture:
    """``count`` drafts through the service layer, then the daemon's outcomes written directly."""
    library = TemplateLibrary.default(config.template_folders)
    now = utcnow()
    channels = [channel.id for channel in config.channels]
    with database.writing() as session:
        admin = add_user(
            session,
            name=ADMIN,
            role=Role.ADMIN,
            password_hash=hash_password(PASSWORD),  # the production parameters
            actor=None,
        )
        admin.language = language
        author = add_user(
            session,
            name=AUTHOR,
            role=Role.AUTHOR,
            password_hash=hash_password(PASSWORD),
            actor=admin,
        )
        author.language = language
        reviewers = [
            add_user(session, name=name, role=Role.REVIEWER, password_hash=None, actor=admin)
            for name in REVIEWERS
        ]
    statuses: dict[str, int] = {}
    showcase = attempts_post = 0
    for number in range(count):
        # By number % 20: 0-5 in review, 6-8 still drafts, 9 sent back, 10-11 approved,
        # 12-15 scheduled in the next ten days, 16-19 settled by the daemon in the last week.
        bucket = number % 20
        if number == 0:
            source = free_text(channels, ["en", "ko"], 0, "Every channel, both languages")
        elif number % 10 == 3:
            source = HIRING.replace("Communications officer", f"Communications officer {number}")
        else:
            languages = rng.choice([["en"], ["ko"], ["en", "ko"]])
            source = free_text(pick_channels(config, languages, rng), languages, number, "")
        content = read_draft_file(source, f"bench-{number}.toml", config, now)
        with database.writing() as session:
            draft = add_draft(
                session, content=content, author=author, config=config, library=library
            )
            assert draft.id is not None
            draft_id = draft.id
            if number == 0:
                showcase = draft_id
            if not 6 <= bucket <= 8:  # those stay drafts, still being written
                submit(session, draft_id=draft_id, actor=author, config=config)
            reviewer = reviewers[number % 2]
            if bucket == 9:
                request_changes(
                    session,
                    draft_id=draft_id,
                    reviewer=reviewer,
                    comment="Shorter, please.",
                    config=config,
                )
            elif bucket >= 10:
                approve(
                    session,
                    draft_id=draft_id,
                    reviewer=reviewer,
                    comment="",
                    config=config,
                    now=now,
                )
                if bucket >= 12:
                    at = now + timedelta(minutes=rng.randint(60, 10 * 24 * 60))
                    schedule_draft(
                        session,
                        draft_id=draft_id,
                        request=ScheduleRequest(at=at),
                        actor=author,
                        config=config,
                        now=now,
                    )
                if bucket >= 16:  # the daemon has been at them: settled in the last week
                    settled, finished = settle(session, draft_id, now, rng)
                    if settled is not None and attempts_post == 0:
                        attempts_post = settled
                    if finished:
                        draft.status = DraftStatus.DONE
            statuses[draft.status] = statuses.get(draft.status, 0) + 1
    with database.reading() as session:
        posts = session.exec(select(func.count()).select_from(Post)).one()
        attempts = session.exec(select(func.count()).select_from(Attempt)).one()
    shown = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
    summary = f"{count} drafts ({shown}), {posts} posts, {attempts} attempts"
    channels = [channel.id for channel in config.channels]
    return Fixture(showcase, attempts_post, summary, channels)


def pick_channels(config: Config, languages: list[str], rng: random.Random) -> list[str]:
    """Two to five channels that take one of ``languages``, every language taken by one."""
    fitting = [c for c in config.channels if any(c.takes(tag) for tag in languages)]
    chosen = rng.sample(fitting, min(len(fitting), rng.randint(2, 5)))
    for tag in languages:
        if not any(c.takes(tag) for c in chosen):
            chosen.append(next(c for c in fitting if c.takes(tag)))
    return [c.id for c in chosen]


def free_text(channels: list[str], languages: list[str], number: int, title: str) -> str:
    lines = [
        'kind = "update"',
        f"title = {json.dumps(title or f'Neighbourhood update {number}')}",
        f"channels = {json.dumps(channels)}",
        "[text]",
    ]
    if "en" in languages:
        lines.append(f"en = {json.dumps(EN_TEXT[number % len(EN_TEXT)], ensure_ascii=False)}")
    if "ko" in languages:
        lines.append(f"ko = {json.dumps(KO_TEXT[number % len(KO_TEXT)], ensure_ascii=False)}")
    return "\n".join(lines)


OUTCOMES: list[tuple[str, list[str]]] = [
    (PostStatus.PUBLISHED, ["published"]),
    (PostStatus.PUBLISHED, ["retry", "published"]),
    (PostStatus.RETRYING, ["retry"]),
    (PostStatus.FAILED, ["retry", "retry", "failed"]),
    (PostStatus.NEEDS_ATTENTION, ["unknown"]),
]


def settle(
    session: Session, draft_id: int, now: datetime, rng: random.Random
) -> tuple[int | None, bool]:
    """What a daemon would have written: due in the last week, attempts, a status, the audit.
    Returns a post with three attempts (if one was made) and whether every post is final."""
    chosen = None
    finished = True
    for post in draft_posts(session, draft_id):
        assert post.id is not None
        status, outcomes = rng.choice(OUTCOMES)
        due = now - timedelta(minutes=rng.randint(60, 7 * 24 * 60))
        post.due_at = due
        post.status = status
        post.updated_at = due + timedelta(minutes=len(outcomes) * 5)
        for number, outcome in enumerate(outcomes, start=1):
            started = due + timedelta(minutes=(number - 1) * 5)
            session.add(
                Attempt(
                    post_id=post.id,
                    number=number,
                    worker="bench-worker",
                    started_at=started,
                    finished_at=started + timedelta(milliseconds=420),
                    outcome=outcome,
                    http_status={"published": 200, "retry": 503, "failed": 401}.get(outcome),
                    remote_id=f"r{post.id}" if outcome == "published" else None,
                    remote_url=(
                        f"https://example.org/posts/{post.id}" if outcome == "published" else None
                    ),
                    error=None if outcome == "published" else f"{outcome}: the platform said no",
                    duration_ms=420,
                )
            )
        if status == PostStatus.PUBLISHED:
            post.remote_id = f"r{post.id}"
            post.remote_url = f"https://example.org/posts/{post.id}"
        elif status == PostStatus.RETRYING:
            post.attempt_at = now + timedelta(minutes=30)
            finished = False
        else:
            post.reason = "the platform answered 401: the token has expired"
        record(session, actor=DAEMON, action=f"post.{status}", draft_id=draft_id, post_id=post.id)
        if len(outcomes) == 3 and chosen is None:
            chosen = post.id
    return chosen, finished


# --- the server --------------------------------------------------------------------------


@contextmanager
def server(config_path: Path) -> Iterator[str]:
    """``tidings web`` itself, as an operator starts it, on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "tidings", "--config", str(config_path), "web"]
    environment = {**os.environ, "TIDINGS_WEB_SECRET": secrets.token_urlsafe(32)}
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,  # uvicorn's access log, a line a request, as in production
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    process.kill()
                    _, errors = process.communicate()
                    raise SystemExit(f"tidings web did not start: {errors.decode()}") from None
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=10)


# --- measuring ---------------------------------------------------------------------------


@dataclass
class Timings:
    name: str
    expected: int
    first: float | None = None
    times: list[float] | None = None
    unexpected: str = ""


def token_of(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def measure(base: str, fixture: Fixture, requests: int, warmup: int) -> list[Timings]:
    viewer = logged_in(base, ADMIN)
    author = logged_in(base, AUTHOR)  # every draft is hers: the fullest desk
    anonymous = httpx.Client(base_url=base, timeout=30)
    form: dict[str, str] = {}

    def fresh_visitor() -> None:
        anonymous.cookies.clear()

    def login_form() -> None:  # unmeasured: a new visitor opens the login page
        anonymous.cookies.clear()
        form.update(
            name=ADMIN, password=PASSWORD, csrf_token=token_of(anonymous.get("/login").text)
        )

    def get(path: str) -> Callable[[], httpx.Response]:
        return lambda: viewer.get(path)

    typed = {  # what htmx sends as an author types: a bilingual post for every channel
        "csrf_token": token_of(viewer.get("/compose").text),
        "kind": "update",
        "title": "Riverside park reopens",
        "channel": fixture.channels,
        "text:en": "🌳 The riverside park is open again: new paths and shade. #Parks https://example.org/park",
        "text:ko": "🌳 강변 공원이 다시 문을 열었습니다. 새 산책로와 그늘이 생겼습니다. #공원",
    }

    draft, post = fixture.draft_id, fixture.post_id
    pages: list[tuple[str, int, Callable[[], None] | None, Callable[[], httpx.Response]]] = [
        ("login page (GET /login)", 200, fresh_visitor, lambda: anonymous.get("/login")),
        (
            "log in (POST /login, argon2)",
            303,
            login_form,
            lambda: anonymous.post("/login", data=form),
        ),
        ("desk, admin (GET /, inbox on top)", 200, None, get("/")),
        ("desk, author of every draft", 200, None, lambda: author.get("/")),
        ("desk, one group (?group=draft)", 200, None, lambda: author.get("/?group=draft")),
        ("inbox (GET /inbox)", 200, None, get("/inbox")),
        ("draft page", 200, None, get(f"/drafts/{draft}")),
        ("cancel, asked first (GET /drafts/N/cancel)", 200, None, get(f"/drafts/{draft}/cancel")),
        ("compose", 200, None, get("/compose")),
        (
            "live preview (POST /compose/preview)",
            200,
            None,
            lambda: viewer.post("/compose/preview", data=typed, headers={"HX-Request": "true"}),
        ),
        ("edit", 200, None, get(f"/drafts/{draft}/edit")),
        ("calendar (this week)", 200, None, get("/calendar")),
        ("post outcomes", 200, None, get(f"/posts/{post}")),
        ("needs attention", 200, None, get("/attention")),
        ("channels (no check)", 200, None, get("/channels")),
        ("users", 200, None, get("/users")),
    ]
    results = [Timings(name, expected, times=[]) for name, expected, _, _ in pages]
    for round_number in range(warmup + requests):
        for (_name, expected, prepare, fetch), result in zip(pages, results, strict=True):
            if prepare is not None:
                prepare()
            started = time.perf_counter()
            response = fetch()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != expected:
                result.unexpected = f"status {response.status_code}"
            if result.first is None:
                result.first = elapsed
            if round_number >= warmup:
                assert result.times is not None
                result.times.append(elapsed)
    viewer.close()
    author.close()
    anonymous.close()
    return results


def logged_in(base: str, name: str) -> httpx.Client:
    """A browser logged in as ``name``."""
    browser = httpx.Client(base_url=base, timeout=30)
    token = token_of(browser.get("/login").text)
    answer = browser.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    if answer.status_code != 303:
        raise SystemExit(f"could not log in as {name}: status {answer.status_code}")
    return browser


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def report(results: list[Timings], requests: int) -> None:
    print(f"{'page':<32}{'first':>8}{'p50':>8}{'p95':>8}{'max':>8}  under {BUDGET_MS:.0f} ms (p95)")
    for result in results:
        times = result.times or []
        p50 = statistics.median(times)
        p95 = percentile(times, 0.95)
        verdict = "yes" if p95 < BUDGET_MS else "NO"
        note = f"  ({result.unexpected})" if result.unexpected else ""
        first = result.first or 0.0
        print(
            f"{result.name:<32}{first:>8.1f}{p50:>8.1f}{p95:>8.1f}{max(times):>8.1f}  {verdict}{note}"
        )
    print(f"(ms over HTTP on loopback; {requests} measured requests a page, after the warm-up)")


if __name__ == "__main__":
    main()
