"""Shared set-up for publishing tests: a config pointing at the sandbox, approved drafts, runs."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import pytest

from drafts.authoring import add_draft, draft_posts
from drafts.config import Config
from drafts.draft_file import read_draft_file
from drafts.models import Post
from drafts.queueing import ScheduleRequest, schedule_draft
from drafts.rendering import TemplateLibrary
from drafts.review import approve, submit
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role, add_user
from scheduler.daemon import Daemon, DaemonSettings, RunSummary
from tests.conftest import make_config

CHANNELS = ("mastodon", "mastodon-b", "team-chat")


def sandbox_config(
    base_url: str, monkeypatch: pytest.MonkeyPatch, *, max_in_flight: int = 8, **scheduler: object
) -> Config:
    """Two Mastodon accounts and a webhook on the sandbox, with fresh secrets in the env."""
    for name in ("TIDINGS_T_MASTODON", "TIDINGS_T_MASTODON_B", "TIDINGS_T_HOOK"):
        monkeypatch.setenv(name, secrets.token_urlsafe(24))
    extra = "".join(f"{key} = {value}\n" for key, value in scheduler.items())
    return make_config(
        f"""
[tidings]
timezone = "Asia/Seoul"
[scheduler]
max_attempts = 4
{extra}
[[channels]]
id = "mastodon"
platform = "mastodon"
languages = ["en", "ko"]
base_url = "{base_url}"
token_env = "TIDINGS_T_MASTODON"
max_in_flight = {max_in_flight}
[[channels]]
id = "mastodon-b"
platform = "mastodon"
languages = ["en"]
base_url = "{base_url}"
token_env = "TIDINGS_T_MASTODON_B"
[[channels]]
id = "team-chat"
platform = "webhook"
languages = ["en", "ko"]
url = "{base_url}/hooks/comms"
secret_env = "TIDINGS_T_HOOK"
"""
    )


def queue_posts(
    database: Database,
    config: Config,
    library: TemplateLibrary,
    *,
    channels: Sequence[str],
    count: int = 1,
    languages: Sequence[str] = ("en",),
    due: datetime | None = None,
    expires_at: datetime | None = None,
) -> list[int]:
    """Approved drafts scheduled at ``due`` (default: already due); returns their post ids."""
    now = utcnow()
    due = due or now - timedelta(seconds=1)
    before = min(now, due) - timedelta(seconds=5)
    with database.writing() as session:
        author = add_user(
            session,
            name=f"a{secrets.token_hex(3)}",
            role=Role.AUTHOR,
            password_hash=None,
            actor=None,
        )
        reviewer = add_user(
            session,
            name=f"r{secrets.token_hex(3)}",
            role=Role.REVIEWER,
            password_hash=None,
            actor=None,
        )
    post_ids: list[int] = []
    for number in range(count):
        text = "".join(
            f'{language} = "Post {number} in {language}: the harbour walk opens #{number}"\n'
            for language in languages
        )
        expiry = f'expires_at = "{expires_at.isoformat()}"\n' if expires_at else ""
        source = (
            f'kind = "post"\ntitle = "Post {number}"\nchannels = {list(channels)!r}\n'
            f"{expiry}[text]\n{text}"
        ).replace("'", '"')
        content = read_draft_file(source, "draft.toml", config, before)
        with database.writing() as session:
            draft = add_draft(
                session, content=content, author=author, config=config, library=library
            )
            assert draft.id is not None
            submit(session, draft_id=draft.id, actor=author, config=config)
            approve(
                session, draft_id=draft.id, reviewer=reviewer, comment="", config=config, now=before
            )
            schedule_draft(
                session,
                draft_id=draft.id,
                request=ScheduleRequest(at=due),
                actor=author,
                config=config,
                now=before,
            )
            post_ids += [p.id for p in draft_posts(session, draft.id) if p.id is not None]
    return post_ids


def drain(
    database: Database,
    config: Config,
    *,
    now: Callable[[], datetime] = utcnow,
    **settings: object,
) -> RunSummary:
    """Run one daemon until nothing is due or retrying; it takes the time from ``now``."""
    defaults: dict[str, object] = {"concurrency": 8, "request_timeout": 2.0}
    daemon = Daemon(
        config, database, drain=True, settings=DaemonSettings(**{**defaults, **settings}), now=now
    )  # type: ignore[arg-type]
    return asyncio.run(daemon.run())


def posts(database: Database, post_ids: Sequence[int]) -> list[Post]:
    with database.reading() as session:
        return [session.get(Post, post_id) for post_id in post_ids]  # type: ignore[misc]


def queue_drafts(
    database: Database,
    config: Config,
    library: TemplateLibrary,
    *,
    channels: Sequence[str],
    texts: Mapping[str, str | list[str]],
    extra: str = "",
) -> int:
    """One approved free-text draft with ``texts`` per language (a text, or a thread's parts)
    and the draft-file lines ``extra`` (``first_comment = ...``), already due; its id."""
    now = utcnow()
    before = now - timedelta(seconds=5)
    body = "".join(f"{language} = {_toml_value(text)}\n" for language, text in texts.items())
    source = (
        f'kind = "post"\ntitle = "Everywhere"\nchannels = {_toml_list(channels)}\n{extra}\n'
        f"[text]\n{body}"
    )
    content = read_draft_file(source, "draft.toml", config, before)
    with database.writing() as session:
        author = add_user(session, name="writer", role=Role.AUTHOR, password_hash=None, actor=None)
        reviewer = add_user(
            session, name="checker", role=Role.REVIEWER, password_hash=None, actor=None
        )
        draft = add_draft(session, content=content, author=author, config=config, library=library)
        assert draft.id is not None
        submit(session, draft_id=draft.id, actor=author, config=config)
        approve(
            session, draft_id=draft.id, reviewer=reviewer, comment="", config=config, now=before
        )
        schedule_draft(
            session,
            draft_id=draft.id,
            request=ScheduleRequest(at=now - timedelta(seconds=1)),
            actor=author,
            config=config,
            now=before,
        )
        return draft.id


def _toml_value(text: str | list[str]) -> str:
    # A JSON string (or list of strings) is a valid TOML basic string (or array)
    return json.dumps(text, ensure_ascii=False)


def _toml_list(items: Sequence[str]) -> str:
    return _toml_value(list(items))
