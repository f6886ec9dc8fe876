"""What each channel's card on the Channels page says without asking any platform: its
connection (expiry, renewal, scopes), the variable it uses or that it is not connected, its last
published post and its last error; in English and in Korean, and never a token."""

from __future__ import annotations

import secrets
from datetime import timedelta

import httpx
import pytest

from drafts.config import Config
from drafts.lifecycle import PostStatus
from drafts.models import Post
from drafts.storage import Database
from drafts.times import utcnow
from scheduler.connections import Grant, Tokens, record_renewal_failure, save_connection
from scheduler.vault import Sealer
from tests.web.conftest import Drafts, elements, one, set_language, text
from tests.web.scheduling import add_attempts, next_sunday_evening, scheduled

pytestmark = pytest.mark.anyio


def connect(database: Database, config: Config, *tokens: tuple[str, Tokens, str]) -> None:
    """Store connections as the Channels page would: (channel, tokens, account name)."""
    sealer = Sealer(secrets.token_urlsafe(32))
    with database.writing() as session:
        for channel_id, granted, account in tokens:
            grant = Grant(granted, account_id=secrets.token_hex(4), account_name=account)
            channel = config.channel(channel_id)
            save_connection(
                session, sealer, channel=channel, grant=grant, connected_by="hana", now=utcnow()
            )


def published(database: Database, post_id: int) -> None:
    """Leave the post as the daemon does after its published attempt."""
    with database.writing() as session:
        post = session.get(Post, post_id)
        assert post is not None
        post.status, post.updated_at = PostStatus.PUBLISHED, utcnow()


@pytest.fixture
def connected(database: Database, config: Config) -> tuple[str, str]:
    """x-en connected with a refresh token whose last renewal failed; linkedin with a token
    that ends in 3 days and nothing to renew it. Returns the two tokens."""
    x_token, linkedin_token = secrets.token_urlsafe(30), secrets.token_urlsafe(30)
    now = utcnow()
    x_scopes = ("tweet.read", "tweet.write", "users.read", "media.write", "offline.access")
    connect(
        database,
        config,
        (
            "x-en",
            Tokens(x_token, now + timedelta(hours=2), secrets.token_urlsafe(30), scopes=x_scopes),
            "@riverside",
        ),
        (
            "linkedin",
            Tokens(linkedin_token, now + timedelta(days=3, minutes=1)),
            "Riverside Parks",
        ),
    )
    with database.writing() as session:
        record_renewal_failure(
            session, channel="x-en", error="X refused the refresh token (400)", now=utcnow()
        )
    return x_token, linkedin_token


async def test_each_card_says_its_credential_and_what_it_last_did(
    as_joon: httpx.AsyncClient,
    drafts: Drafts,
    database: Database,
    config: Config,
    connected: tuple[str, str],
) -> None:
    _, posts = scheduled(drafts, database, config, next_sunday_evening())
    x_post = next(p for p in posts if p.channel == "x-en")
    linkedin_post = next(p for p in posts if p.channel == "linkedin")
    assert x_post.id is not None and linkedin_post.id is not None
    add_attempts(
        database,
        x_post.id,
        {"outcome": "retry", "error": "X answered 503"},
        {"outcome": "published", "remote_url": "https://x.com/riverside/status/1"},
    )
    published(database, x_post.id)
    add_attempts(database, linkedin_post.id, {"outcome": "failed", "error": "LinkedIn said 422"})

    page = await as_joon.get("/channels")
    x_card, linkedin_card = (
        one(page.text, "#connection-x-en"),
        one(page.text, "#connection-linkedin"),
    )
    assert one(x_card, ".last-published a")["href"] == f"/posts/{x_post.id}"
    assert "muted" in one(x_card, ".last-error")["class"]  # a success came after it
    assert text(one(x_card, ".last-error")).endswith(": X answered 503")
    assert "problem" in one(linkedin_card, ".last-error")["class"]
    assert text(one(linkedin_card, ".last-published")) == "nothing yet"

    assert text(one(x_card, ".connection-expiry")) == "expires in 2 hours; renews by itself"
    assert elements(x_card, ".connection-expiry .problem")  # its renewals fail
    assert text(one(x_card, ".connection-renewal")).endswith(": X refused the refresh token (400)")
    assert elements(x_card, ".missing-scopes") == []
    expiry = one(linkedin_card, ".connection-expiry .problem")
    assert text(expiry) == "expires in 3 days"
    assert text(one(linkedin_card, ".connection-scopes")) == "not reported by the platform"
    assert text(one(page.text, "#connection-mastodon .connection-state")) == (
        "Uses TIDINGS_TEST_MASTODON_TOKEN"
    )
    assert elements(page.text, ".connection-actions") == []  # joon is no admin
    for token in connected:
        assert token not in page.text


async def test_the_cards_in_korean(
    as_joon: httpx.AsyncClient, database: Database, connected: tuple[str, str]
) -> None:
    set_language(database, "joon", "ko")
    page = await as_joon.get("/channels")
    x_card, linkedin_card = (
        one(page.text, "#connection-x-en"),
        one(page.text, "#connection-linkedin"),
    )
    assert text(one(x_card, ".connection-state")) == "연결됨 (TIDINGS_TEST_X_TOKEN 대신 사용)"
    assert text(one(x_card, ".connection-expiry")) == "2시간 후 만료; 자동으로 갱신됨"
    assert text(one(linkedin_card, ".connection-expiry")) == "3일 후 만료"
    assert text(one(linkedin_card, ".last-published")) == "아직 없음"
    assert text(one(page.text, "#connections-heading")) == "계정"
