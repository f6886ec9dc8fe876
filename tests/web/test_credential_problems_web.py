"""A post waiting on a channel that cannot send it says so before its time: on its card on the
review page (with the way to the Channels page for admins) and on its calendar entry, in the
viewer's language. The warning refuses nothing: the draft is approved with it showing. It
goes once the channel is reconnected with every scope; a channel with a token in the
environment says nothing."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from starlette.applications import Starlette

from drafts.authoring import draft_posts
from drafts.config import Config
from drafts.credential_problems import REQUIRED_SCOPES
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.review import approve
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role, find_user
from scheduler.connections import Grant, Tokens, save_connection
from scheduler.credentials import VAULT_KEY
from scheduler.vault import Sealer
from tests.web.conftest import (
    SQLITE_ONLY,
    Drafts,
    Person,
    add_people,
    client,
    elements,
    log_in,
    one,
    text,
)
from tests.web.scheduling import next_sunday_evening, settle
from tidings.web.calendar import week_of

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]

SEOUL = ZoneInfo("Asia/Seoul")
LINKEDIN_TOKEN = "TIDINGS_TEST_LINKEDIN_TOKEN"
WITHOUT_WRITE = tuple(scope for scope in REQUIRED_SCOPES["x"] if scope != "tweet.write")
MISSING = "x-en was connected without tweet.write: reconnect and allow it"
MISSING_KO = "채널 x-en: tweet.write 권한 없이 연결되었습니다. 다시 연결하고 이 권한을 허용하세요"


def connect_x(database: Database, config: Config, key: str, scopes: tuple[str, ...]) -> None:
    """x-en connected by an admin as an X account granting ``scopes``, tokens made now."""
    now = utcnow()
    tokens = Tokens(
        token=secrets.token_urlsafe(32),
        expires_at=now + timedelta(hours=2),
        refresh=secrets.token_urlsafe(32),
        scopes=scopes,
    )
    with database.writing() as session:
        save_connection(
            session,
            Sealer(key),
            channel=config.channel("x-en"),
            grant=Grant(tokens, account_id="2244994945", account_name="tidings_en"),
            connected_by="root",
            now=now,
        )


async def card_problem(browser: httpx.AsyncClient, draft_id: int, post_id: int) -> str | None:
    """What the card of post ``post_id`` on the draft's page says of its channel's credential."""
    page = (await browser.get(f"/drafts/{draft_id}")).text
    found = elements(page, f"article#post-{post_id} p.credential-problem")
    return text(found[0]) if found else None


async def calendar_mark(
    browser: httpx.AsyncClient, post_id: int, week: str
) -> tuple[str, str] | None:
    """The credential mark on post ``post_id``'s calendar entry: its title and visible text."""
    page = (await browser.get(f"/calendar?week={week}&tz=Asia/Seoul")).text
    entry = one(page, f"#entry-{post_id}")
    found = elements(entry, "a.credential-problem")
    return (str(found[0]["title"]), text(found[0])) if found else None


@pytest.fixture
async def as_admin(app: Starlette, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    admin = add_people(database, {"root": Role.ADMIN})["root"]
    async with client(app) as browser:
        assert (await log_in(browser, admin)).status_code == 303
        yield browser


async def test_a_missing_scope_shows_on_the_review_page_and_the_calendar_until_reconnected(
    as_joon: httpx.AsyncClient,
    as_admin: httpx.AsyncClient,
    drafts: Drafts,
    database: Database,
    config: Config,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = secrets.token_urlsafe(32)
    monkeypatch.setenv(VAULT_KEY, key)
    monkeypatch.setenv(LINKEDIN_TOKEN, secrets.token_urlsafe(24))
    due = next_sunday_evening()
    draft_id = drafts.add({"en": "The library opens late on Sundays"}, publish_at=due.isoformat())
    with database.reading() as session:
        posts = {post.channel: post.id for post in draft_posts(session, draft_id)}
    x_post, linkedin_post = posts["x-en"], posts["linkedin"]
    assert x_post is not None and linkedin_post is not None

    # In review, due at publish_at: x-en has neither a connection nor its variable set.
    assert await card_problem(as_joon, draft_id, x_post) == (
        "x-en is not connected and TIDINGS_TEST_X_TOKEN is not set: "
        "an admin connects it on the Channels page"
    )
    assert await card_problem(as_joon, draft_id, linkedin_post) is None  # its token is set

    connect_x(database, config, key, WITHOUT_WRITE)
    assert await card_problem(as_joon, draft_id, x_post) == MISSING
    admin_page = (await as_admin.get(f"/drafts/{draft_id}")).text
    said = one(admin_page, f"article#post-{x_post} p.credential-problem")
    assert text(said) == f"{MISSING} Channels page"
    assert one(said, "a")["href"] == "/channels#channel-x-en"
    assert "has-problems" in one(admin_page, f"article#post-{x_post}")["class"]
    korean = await as_joon.get(f"/drafts/{draft_id}", headers={"Accept-Language": "ko"})
    assert text(one(korean.text, f"article#post-{x_post} p.credential-problem")) == MISSING_KO

    # A warning, not a refusal: joon approves, and the posts are scheduled at publish_at.
    with database.writing() as session:
        joon = find_user(session, "joon")
        decision = approve(
            session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=utcnow()
        )
    assert decision.draft.status == DraftStatus.SCHEDULED
    week = week_of(due, SEOUL).label
    assert await calendar_mark(as_joon, x_post, week) == (MISSING, "⚠ credential problem")
    assert await calendar_mark(as_joon, linkedin_post, week) is None
    assert await card_problem(as_joon, draft_id, x_post) == MISSING

    # The environment decides for a channel configured with a token there.
    monkeypatch.delenv(LINKEDIN_TOKEN)
    assert await calendar_mark(as_joon, linkedin_post, week) is not None

    connect_x(database, config, key, REQUIRED_SCOPES["x"])
    assert await calendar_mark(as_joon, x_post, week) is None
    assert await card_problem(as_joon, draft_id, x_post) is None

    # A post sent is past its channel's troubles.
    settle(database, linkedin_post, PostStatus.PUBLISHED, "published")
    assert await calendar_mark(as_joon, linkedin_post, week) is None


async def test_the_calendar_says_the_problem_in_the_viewers_language(
    drafts: Drafts,
    database: Database,
    config: Config,
    app: Starlette,
    people: dict[str, Person],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = secrets.token_urlsafe(32)
    monkeypatch.setenv(VAULT_KEY, key)
    due = next_sunday_evening()
    draft_id = drafts.add({"en": "Quiet hours at the pool"}, publish_at=due.isoformat())
    with database.writing() as session:
        joon = find_user(session, "joon")
        approve(session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=utcnow())
        x_post = next(p.id for p in draft_posts(session, draft_id) if p.channel == "x-en")
    assert x_post is not None
    connect_x(database, config, key, WITHOUT_WRITE)
    async with client(app) as browser:
        browser.headers["Accept-Language"] = "ko"
        assert (await log_in(browser, people["joon"])).status_code == 303
        mark = await calendar_mark(browser, x_post, week_of(due, SEOUL).label)
    assert mark == (MISSING_KO, "⚠ 인증 정보 문제")
