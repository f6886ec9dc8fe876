"""The demonstration behind ``tidings demo``: the whole path from draft to published post,
on this machine only.

A throwaway SQLite database, the built-in sandbox standing in for the platforms, the web app
serving from this process, an author, a reviewer and an admin; the admin connects the LinkedIn,
Facebook and Threads channels from the web app through the sandbox's consent page
(``connecting``), the others use tokens in environment variables; three sample drafts (a city
update in English, a hiring announcement in Korean and English, an event recap with a photo),
review, scheduling a few seconds ahead, the daemon, and the outcome table.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import FrameType

import typer
from rich.text import Text
from sqlmodel import col, select
from starlette.applications import Starlette
from starlette.routing import Mount

from drafts.authoring import add_draft
from drafts.config import Config, parse_config
from drafts.draft_file import read_draft_file
from drafts.lifecycle import FINAL_POST_STATUSES, PostStatus
from drafts.media_files import read_media
from drafts.models import Post, User
from drafts.queueing import ScheduleRequest, schedule_draft
from drafts.rendering import TemplateLibrary
from drafts.review import approve, submit
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role, add_user, hash_password
from scheduler.daemon import Daemon, DaemonSettings
from scheduler.sandbox.server import running_sandbox
from scheduler.sandbox.state import SandboxState
from tidings.cli.console import out, say, visible
from tidings.demo.connecting import (
    CONNECTED_CHANNELS,
    Admin,
    connect_channels,
    oauth_sections,
    register_apps,
)
from tidings.demo.photo import draw_photo
from tidings.web.app import create_app
from tidings.web.in_thread import serving

DEMO_FILES = Path(__file__).resolve().parent
DRAFT_FILES = ("city-update.toml", "hiring.toml", "volunteer-day.toml")
PHOTO = "photos/planting-day.jpg"  # what volunteer-day.toml names, drawn into the demo folder
LEAD = timedelta(seconds=3)
TIMEOUT_SECONDS = 60.0
DEMO_SECRETS = (
    "TIDINGS_DEMO_X_TOKEN",
    "TIDINGS_DEMO_MASTODON_TOKEN",
    "TIDINGS_DEMO_BLUESKY_PASSWORD",
    "TIDINGS_DEMO_WEBHOOK_SECRET",
)
VAULT_KEY = "TIDINGS_SECRET_KEY"  # seals the connected tokens (and signs the web's cookies)
USERS = (("mina", Role.AUTHOR), ("joon", Role.REVIEWER), ("hana", Role.ADMIN))


def run_demo(keep_open: bool) -> None:
    """Draft, review, schedule and publish to the sandbox; exit status 1 unless all went out.
    With ``keep_open``, the sandbox and the web app stay up until Ctrl-C, and the demo users'
    passwords are printed to log in with."""
    for name in DEMO_SECRETS:  # throwaway credentials, never shown
        os.environ[name] = secrets.token_urlsafe(24)
    bot_id = secrets.randbelow(10**9) + 10**8
    os.environ["TIDINGS_DEMO_TELEGRAM_TOKEN"] = f"{bot_id}:{secrets.token_urlsafe(24)}"
    if not os.environ.get(VAULT_KEY):  # one already set is the installation's, and serves
        os.environ[VAULT_KEY] = secrets.token_urlsafe(32)
    # The web app is mounted once its port is known: its address is the config's public_url,
    # where the platforms send the admin back, and where Threads fetches the photo.
    shell = Starlette()
    with tempfile.TemporaryDirectory(prefix="tidings-demo-") as folder, running_sandbox() as box:
        say(f"Sandbox: {box.base_url}/ (stands in for the platforms' APIs)")
        with serving(shell) as web:
            version = (utcnow() - timedelta(days=31)).strftime("%Y%m")  # a LinkedIn version
            text = _config_text(box.base_url, version, web)
            config = parse_config(text, Path(folder) / "config.toml")
            database = Database(config.database_url)
            database.migrate()
            say(f"Database: {database.display_url} (throwaway)")
            shell.router.routes.append(Mount("/", app=create_app(config, database)))
            say(f"Web app: {web}/ (where channels are connected; serves the photo to Threads)")
            people = _add_users(database)
            rows = _run(config, database, Path(folder), box.state, web, people)
            print_outcome(rows, box.page_for)
            published = _all_published_once(rows, box.state)
            if keep_open:
                _show_the_way_in(box.base_url, web, people)
                _wait_for_ctrl_c()
            else:
                say(
                    "To look around: tidings demo --keep-open keeps the sandbox's page and the "
                    "web app open after the run, with a password for each demo user."
                )
        database.dispose()
    if not published:
        raise typer.Exit(1)


def _all_published_once(rows: list[Post], sandbox: SandboxState) -> bool:
    """Whether every post was published and the sandbox received each once; says which."""
    if not rows or any(post.status != PostStatus.PUBLISHED for post in rows):
        return False
    received = len(sandbox.posts())
    if received != len(rows):
        say(f"The sandbox received {received} posts for {len(rows)} published: a duplicate!")
        return False
    say(f"All {len(rows)} posts were published, and the sandbox received each exactly once.")
    images = sandbox.images()
    carried = sorted({kind for image in images for kind in image.metadata})
    say(
        f"The platforms received {len(images)} image files (the photo, or the version a "
        f"platform's limits called for); metadata in them: {', '.join(carried) or 'none'}."
    )
    return True


def _show_the_way_in(sandbox: str, web: str, people: DemoUsers) -> None:
    """Where to look while the demo stays open, and the passwords made for this run (they go
    with the throwaway database at Ctrl-C)."""
    say("")
    say(f"What each platform received: {sandbox}/")
    say(f"The drafts, their review, the calendar and the outcomes: {web}/ logged in as")
    for name, role, password in people.logins():
        say(f"  {name} ({role}) with the password {password}")
    say("The passwords were made for this run and end with it. Ctrl-C to stop.")


def _run(
    config: Config,
    database: Database,
    folder: Path,
    sandbox: SandboxState,
    web: str,
    people: DemoUsers,
) -> list[Post]:
    library = TemplateLibrary.default()
    _connect_accounts(config, database, sandbox, web, people.admin)
    (folder / PHOTO).parent.mkdir(parents=True, exist_ok=True)
    draw_photo(folder / PHOTO)
    for name in DRAFT_FILES:
        _add_review_schedule(
            database, config, library, name, people.author, people.reviewer, folder
        )
    say(f"Running the daemon until every post is out (due in {LEAD.seconds} s) ...")
    asyncio.run(_publish_until_done(config, database))
    with database.reading() as session:
        return list(session.exec(select(Post).order_by(col(Post.id))))


@dataclass(frozen=True)
class DemoUsers:
    """The demo's users as stored, and the password made for each at run time (printed only
    when the demo stays open)."""

    author: User
    reviewer: User
    passwords: Mapping[str, str]  # by name

    @property
    def admin(self) -> Admin:
        return Admin("hana", self.passwords["hana"])

    def logins(self) -> list[tuple[str, Role, str]]:
        """Each user's name, role and password, as the web app's login page takes them."""
        return [(name, role, self.passwords[name]) for name, role in USERS]


def _add_users(database: Database) -> DemoUsers:
    """mina writes, joon reviews, and hana, an admin, connects; each with a password made now."""
    passwords = {name: secrets.token_urlsafe(12) for name, _ in USERS}
    with database.writing() as session:
        author, reviewer, _ = (
            add_user(
                session,
                name=name,
                role=role,
                password_hash=hash_password(passwords[name]),
                actor=None,
            )
            for name, role in USERS
        )
    say("Users: " + ", ".join(f"{name} ({role})" for name, role in USERS))
    return DemoUsers(author, reviewer, passwords)


def _connect_accounts(
    config: Config, database: Database, sandbox: SandboxState, web: str, admin: Admin
) -> None:
    register_apps(sandbox, config)
    *first, last = CONNECTED_CHANNELS
    say(f"{admin.name} connects {', '.join(first)} and {last} from the web app's Channels page:")
    for channel, account in connect_channels(web, database, admin):
        say(f"  {channel:<9} connected as {account} through the sandbox's consent page")


def _add_review_schedule(
    database: Database,
    config: Config,
    library: TemplateLibrary,
    name: str,
    author: User,
    reviewer: User,
    folder: Path,
) -> None:
    source = (DEMO_FILES / name).read_text(encoding="utf-8")
    deadline = (utcnow() + timedelta(days=30)).date().isoformat()
    source = source.replace("2099-01-15", deadline)
    content = read_draft_file(source, name, config, utcnow())
    content, images = read_media(content, folder, name)
    with database.writing() as session:
        draft = add_draft(
            session,
            content=content,
            author=author,
            config=config,
            library=library,
            images=images,
        )
        assert draft.id is not None
        submit(session, draft_id=draft.id, actor=author, config=config)
        approve(
            session, draft_id=draft.id, reviewer=reviewer, comment="", config=config, now=utcnow()
        )
        schedule_draft(
            session,
            draft_id=draft.id,
            request=ScheduleRequest(at=utcnow() + LEAD),
            actor=author,
            config=config,
            now=utcnow(),
        )
    say(f"Draft {draft.id} ({content.title}): added by mina, approved by joon, scheduled")


async def _publish_until_done(config: Config, database: Database) -> None:
    daemon = Daemon(config, database, settings=DaemonSettings(request_timeout=10.0))
    task = asyncio.create_task(daemon.run())
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline and not task.done():
        await asyncio.sleep(0.2)
        if await asyncio.to_thread(_all_final, database):
            break
    daemon.stop()
    await task


def _all_final(database: Database) -> bool:
    with database.reading() as session:
        statuses = session.exec(select(Post.status)).all()
    return bool(statuses) and all(status in FINAL_POST_STATUSES for status in statuses)


def print_outcome(posts: list[Post], page_for: Callable[[str], str]) -> None:
    """Each post's outcome in a line that wraps, and under it, whole, where it landed: the
    sandbox's page of the post (``page_for`` turns a platform's link into it), its id, or why
    it failed. A table cut these links into pieces no one could open at 80 columns."""
    say("Outcome (each link opens the sandbox's copy of the post's page on its platform):")
    for post in posts:
        line = Text(f"post {post.id} · draft {post.draft_id} · {post.channel} · {post.language}: ")
        line.append(post.status, style="green" if post.status == PostStatus.PUBLISHED else "red")
        out.print(line, soft_wrap=False)
        where = (
            (page_for(post.remote_url) if post.remote_url else None)
            or (post.remote_id if post.status == PostStatus.PUBLISHED else post.reason)
            or ""
        )
        if where:
            # Printed as one run, for the terminal to wrap: a link broken by a line end opens
            # nowhere.
            out.print(Text(f"    {visible(where)}"), soft_wrap=True)


def _wait_for_ctrl_c() -> None:
    """Until Ctrl-C or SIGTERM (``kill``, a service manager): either one ends the demo the same
    way, its throwaway folder removed. Both are caught here: a process a shell starts in the
    background without job control (``cmd &`` in a script) inherits Ctrl-C ignored, and
    Python leaves it so; the demo kept waiting, deaf to the Ctrl-C it had asked for."""
    stop = threading.Event()

    def stopping(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    stopped_by = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, stopping) for signum in stopped_by}
    try:
        stop.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _config_text(base_url: str, linkedin_version: str, web: str) -> str:
    """One channel per platform, every one of them pointed at the sandbox; LinkedIn, Facebook
    and Threads name no token, as they are connected from the web app at ``web``."""
    return f"""
[tidings]
timezone = "Asia/Seoul"
database = "sqlite:///tidings-demo.db"

[web]
public_url = "{web}"

[media]
public_url = "{web}/media"

{oauth_sections()}

[[channels]]
id = "linkedin"
platform = "linkedin"
languages = ["en", "ko"]
author = "urn:li:organization:2414183"
version = "{linkedin_version}"
base_url = "{base_url}"

[[channels]]
id = "x-en"
platform = "x"
languages = ["en"]
token_env = "TIDINGS_DEMO_X_TOKEN"
base_url = "{base_url}"

[[channels]]
id = "mastodon"
platform = "mastodon"
languages = ["en", "ko"]
base_url = "{base_url}"
token_env = "TIDINGS_DEMO_MASTODON_TOKEN"

[[channels]]
id = "bluesky"
platform = "bluesky"
languages = ["en", "ko"]
handle = "tidings-demo.bsky.social"
password_env = "TIDINGS_DEMO_BLUESKY_PASSWORD"
base_url = "{base_url}"

[[channels]]
id = "facebook"
platform = "facebook"
languages = ["en"]
page_id = "100200300400500"
base_url = "{base_url}"

[[channels]]
id = "threads"
platform = "threads"
languages = ["ko", "en"]
user_id = "17841400000000001"
base_url = "{base_url}"

[[channels]]
id = "telegram"
platform = "telegram"
languages = ["en", "ko"]
chat_id = "@tidings_demo"
token_env = "TIDINGS_DEMO_TELEGRAM_TOKEN"
base_url = "{base_url}"

[[channels]]
id = "team-chat"
platform = "webhook"
languages = ["en", "ko"]
url = "{base_url}/hooks/comms"
secret_env = "TIDINGS_DEMO_WEBHOOK_SECRET"
"""
