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
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import typer
from rich.table import Table
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
from tidings.cli.console import out, say
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


def run_demo(keep_open: bool) -> None:
    """Draft, review, schedule and publish to the sandbox; exit status 1 unless all went out."""
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
            rows = _run(config, database, Path(folder), box.state, web)
        database.dispose()
        out.print(_outcome_table(rows, box.page_for))
        say("Each link opens the sandbox's copy of the post's page on its platform.")
        received = len(box.state.posts())
        images = box.state.images()
        if keep_open:
            say(f"The sandbox shows what it received at {box.base_url}/ ; Ctrl-C to stop.")
            _wait_for_ctrl_c()
    if not rows or any(post.status != PostStatus.PUBLISHED for post in rows):
        raise typer.Exit(1)
    if received != len(rows):
        say(f"The sandbox received {received} posts for {len(rows)} published: a duplicate!")
        raise typer.Exit(1)
    say(f"All {len(rows)} posts were published, and the sandbox received each exactly once.")
    carried = sorted({kind for image in images for kind in image.metadata})
    say(
        f"The platforms received {len(images)} image files (the photo, or the version a "
        f"platform's limits called for); metadata in them: {', '.join(carried) or 'none'}."
    )


def _run(
    config: Config, database: Database, folder: Path, sandbox: SandboxState, web: str
) -> list[Post]:
    library = TemplateLibrary.default()
    author, reviewer, admin = _add_users(database)
    _connect_accounts(config, database, sandbox, web, admin)
    (folder / PHOTO).parent.mkdir(parents=True, exist_ok=True)
    draw_photo(folder / PHOTO)
    for name in DRAFT_FILES:
        _add_review_schedule(database, config, library, name, author, reviewer, folder)
    say(f"Running the daemon until every post is out (due in {LEAD.seconds} s) ...")
    asyncio.run(_publish_until_done(config, database))
    with database.reading() as session:
        return list(session.exec(select(Post).order_by(col(Post.id))))


def _add_users(database: Database) -> tuple[User, User, Admin]:
    """mina writes, joon reviews, and hana, an admin with a password made now, connects."""
    admin = Admin("hana", secrets.token_urlsafe(18))
    with database.writing() as session:
        author = add_user(session, name="mina", role=Role.AUTHOR, password_hash=None, actor=None)
        reviewer = add_user(
            session, name="joon", role=Role.REVIEWER, password_hash=None, actor=None
        )
        password_hash = hash_password(admin.password)
        add_user(session, name=admin.name, role=Role.ADMIN, password_hash=password_hash, actor=None)
    say(f"Users: mina (author), joon (reviewer), {admin.name} (admin)")
    return author, reviewer, admin


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


def _outcome_table(posts: list[Post], page_for: Callable[[str], str]) -> Table:
    """One row a post; ``page_for`` turns a platform's link into the sandbox's page of it."""
    table = Table(title="Outcome", header_style="bold")
    for column in ("post", "draft", "channel", "lang", "status"):
        table.add_column(column)
    table.add_column("where", overflow="fold")
    for post in posts:
        style = "green" if post.status == PostStatus.PUBLISHED else "red"
        table.add_row(
            str(post.id),
            str(post.draft_id),
            post.channel,
            post.language,
            Text(post.status, style=style),
            (page_for(post.remote_url) if post.remote_url else None)
            or (post.remote_id if post.status == PostStatus.PUBLISHED else post.reason)
            or "",
        )
    return table


def _wait_for_ctrl_c() -> None:
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        return


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
