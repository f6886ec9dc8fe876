"""The Channels page after a check, as an admin reads it: its summary's sentences apart, and a
connected token's expiry in the table as its account card knows it. The channels point at the
sandbox, which answers as the platforms do, over loopback."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from drafts.config import Config
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role
from scheduler.connections import Tokens
from scheduler.sandbox.server import running_sandbox
from tests.conftest import TEST_CONFIG, make_config
from tests.web.conftest import SQLITE_ONLY, add_people, client, log_in, one, set_language, text
from tests.web.test_calendar_outcomes_channels import WEBHOOK
from tests.web.test_connect_status import connect
from tidings.web.app import create_app

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]


@pytest.fixture
def sandboxed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Config]:
    """TEST_CONFIG's channels at the sandbox, and a webhook there (never asked: it has no way
    to say who it posts as). Only Mastodon has its token: the others cannot be reached."""
    monkeypatch.setenv("TIDINGS_WEB_T_MASTODON", secrets.token_urlsafe(24))
    for name in ("LINKEDIN_TOKEN", "X_TOKEN", "X_KO_TOKEN", "BLUESKY_PASSWORD"):
        monkeypatch.delenv(f"TIDINGS_TEST_{name}", raising=False)
    with running_sandbox() as sandbox:
        written = TEST_CONFIG.replace(
            'base_url = "http://127.0.0.1:9"', f'base_url = "{sandbox.base_url}"'
        )
        written = written.replace("TIDINGS_TEST_MASTODON_TOKEN", "TIDINGS_WEB_T_MASTODON")
        yield make_config(written + WEBHOOK.format(url=f"{sandbox.base_url}/webhook"))


async def checked(config: Config, database: Database, language: str) -> str:
    """The Channels page hana, an admin, gets when she checks the channels in ``language``."""
    hana = add_people(database, {"hana": Role.ADMIN})["hana"]
    set_language(database, "hana", language)
    async with client(create_app(config, database)) as browser:
        assert (await log_in(browser, hana)).status_code == 303
        page = await browser.get("/channels?check=1")
    assert page.status_code == 200
    return page.text


@pytest.mark.parametrize(
    ("language", "joins"),
    [
        ("en", (r"cannot be reached\. One channel was not checked: ", r"works\. Check again$")),
        ("ko", (r"없습니다\. 채널 1개는 확인하지 않았습니다\. ", r"있습니다\. 다시 확인$")),
    ],
)
async def test_the_checks_summary_keeps_its_sentences_apart(
    sandboxed: Config,
    database: Database,
    web_secret: str,
    language: str,
    joins: tuple[str, ...],
) -> None:
    page = await checked(sandboxed, database, language)
    said = text(one(page, "p.summary:has(a[href='/channels?check=1'])"))
    for join in joins:
        assert re.search(join, said), said


async def test_the_table_says_a_connected_tokens_expiry_as_its_card_does(
    sandboxed: Config, database: Database, web_secret: str
) -> None:
    expires = utcnow() + timedelta(days=60)
    connect(database, sandboxed, ("linkedin", Tokens(secrets.token_urlsafe(30), expires), "Parks"))
    page = await checked(sandboxed, database, "en")
    assert text(one(page, "#connection-linkedin .connection-expiry")) == "expires in 2 months"
    stamp = one(page, "tr#channel-linkedin td:nth-of-type(7) time")
    assert datetime.fromisoformat(str(stamp["datetime"])) == expires
