"""A secret the HTTP library refuses to write (a token with a line break) is never sent, never
classed as "may have reached the platform", and never written anywhere: SQLite and PostgreSQL,
the daemon against the sandbox over loopback."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from drafts.config import Config
from drafts.lifecycle import PostStatus
from drafts.models import Attempt
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from scheduler.credentials import VAULT_KEY
from scheduler.outcomes import Failed
from scheduler.platforms.base import HttpRequest, send
from scheduler.platforms.x_oauth import ACCESS
from scheduler.sandbox.server import RunningSandbox, running_sandbox
from scheduler.vault import Sealer, save_secret
from tests.conftest import everything_stored, make_config
from tests.integration.publishing import drain, posts, queue_posts


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox() as running:
        yield running


def test_a_header_with_a_line_break_is_not_sent_and_not_quoted(sandbox: RunningSandbox) -> None:
    token = secrets.token_urlsafe(24)
    request = HttpRequest(
        "GET", f"{sandbox.base_url}/api/v1/accounts/verify_credentials",
        {"Authorization": f"Bearer {token}\r\n"},
    )  # fmt: skip

    async def go() -> object:
        async with httpx.AsyncClient(timeout=3) as client:
            return await send(client, request)

    outcome = asyncio.run(go())
    assert isinstance(outcome, Failed), outcome  # nothing went out: not an unknown outcome
    assert outcome.reason.startswith("not sent")
    assert token not in repr(outcome)


def test_a_stored_token_with_a_line_break_fails_the_post_without_leaking_it(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The vault's tokens come from the platform and are not checked at start like the
    # environment's: the request itself is refused, and the token must not follow into errors.
    monkeypatch.setenv("TIDINGS_T_X", secrets.token_urlsafe(24))
    monkeypatch.setenv(VAULT_KEY, secrets.token_urlsafe(32))
    config: Config = make_config(
        f'[[channels]]\nid = "x"\nplatform = "x"\nlanguages = ["en"]\n'
        f'base_url = "{sandbox.base_url}"\ntoken_env = "TIDINGS_T_X"\n'
    )
    stored = secrets.token_urlsafe(24)
    with database.writing() as session:
        save_secret(
            session, Sealer.from_environment(), "x", ACCESS, f"{stored}\r\n",
            utcnow() + timedelta(hours=1),
        )  # fmt: skip
    [post_id] = queue_posts(database, config, library, channels=["x"])

    summary = drain(database, config)

    assert summary.outcomes == {"failed": 1}
    [post] = posts(database, [post_id])
    assert post.status == PostStatus.FAILED
    with database.reading() as session:
        [attempt] = session.exec(select(Attempt).where(Attempt.post_id == post_id)).all()
    assert "not sent" in (attempt.error or "")
    assert sandbox.state.posts("x") == []
    assert stored not in everything_stored(database)
