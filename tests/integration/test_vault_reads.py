"""The daemon's vault on SQLite and PostgreSQL: the tokens a claim's posts load at once are read
in one transaction, each load gets its own row (or None), a load asked for after a save reads
what was saved, and a read the database refuses fails every load waiting for it."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlmodel import Session

from drafts.errors import StorageUnavailable
from drafts.storage import Database
from scheduler.connections import REFRESH, TOKEN
from scheduler.holding import sending_for
from scheduler.vault import DatabaseVault, Sealer, save_secret
from tests.integration.test_renewal import in_transaction


@pytest.fixture
def sealer(monkeypatch: pytest.MonkeyPatch) -> Sealer:
    key = secrets.token_urlsafe(32)
    monkeypatch.setenv("TIDINGS_SECRET_KEY", key)
    return Sealer(key)


class Counted:
    """The daemon's transaction runner, counting the transactions it runs."""

    def __init__(self, db: Callable[[Callable[[Session], Any]], Awaitable[Any]]) -> None:
        self.db, self.transactions = db, 0

    async def __call__(self, work: Callable[[Session], Any]) -> Any:
        self.transactions += 1
        return await self.db(work)


def store(database: Database, sealer: Sealer, channel: str, kind: str) -> str:
    value = secrets.token_urlsafe(24)
    with database.writing() as session:
        save_secret(session, sealer, channel, kind, value, None)
    return value


def test_the_loads_of_one_claim_are_read_in_one_transaction(
    database: Database, sealer: Sealer
) -> None:
    a, b = store(database, sealer, "a", TOKEN), store(database, sealer, "b", TOKEN)
    a_refresh = store(database, sealer, "a", REFRESH)
    db = Counted(in_transaction(database))
    vault = DatabaseVault(db)

    async def claim_of_posts() -> list[str | None]:
        wanted = [("a", TOKEN), ("b", TOKEN), ("c", TOKEN), ("a", TOKEN), ("a", REFRESH)]
        loaded = await asyncio.gather(*(vault.load(channel, kind) for channel, kind in wanted))
        return [None if secret is None else secret.value for secret in loaded]

    assert asyncio.run(claim_of_posts()) == [a, b, None, a, a_refresh]
    assert db.transactions == 1

    renewed = store(database, sealer, "a", TOKEN)
    assert asyncio.run(claim_of_posts()) == [renewed, b, None, renewed, a_refresh]
    assert db.transactions == 2


def test_a_refused_read_fails_every_load_waiting_for_it() -> None:
    async def refused(work: Callable[[Session], Any]) -> Any:
        raise StorageUnavailable("database: the disk is full")

    vault = DatabaseVault(refused)

    async def loads() -> list[BaseException | Any]:
        asked = (vault.load(channel, TOKEN) for channel in ("a", "b", "a"))
        return await asyncio.gather(*asked, return_exceptions=True)

    failed = asyncio.run(loads())
    assert [type(error) for error in failed] == [StorageUnavailable] * 3


def test_a_claimed_posts_first_token_load_is_read_along_with_the_claim(
    database: Database, sealer: Sealer
) -> None:
    """The daemon reads its claimed posts' tokens in the claim's transaction: each post's first
    load of its token, in its attempt, needs no transaction of its own. A second load in the
    attempt (a renewal checking what another daemon stored), a load outside an attempt and a
    load after a save read the database."""
    a = store(database, sealer, "a", TOKEN)
    db = Counted(in_transaction(database))
    vault = DatabaseVault(db)
    with database.reading() as session:
        vault.read_along(session, {1: "a", 2: "a", 3: "c"})

    async def attempt(post_id: int, channel: str) -> str | None:
        sending_for.set(post_id)
        secret = await vault.load(channel, TOKEN)
        return None if secret is None else secret.value

    async def claimed_posts() -> list[str | None]:
        return list(await asyncio.gather(attempt(1, "a"), attempt(2, "a"), attempt(3, "c")))

    assert asyncio.run(claimed_posts()) == [a, a, None]
    assert db.transactions == 0
    renewed = store(database, sealer, "a", TOKEN)  # by another daemon, meanwhile
    assert asyncio.run(attempt(1, "a")) == renewed  # its second load reads what is stored
    assert db.transactions == 1
    assert asyncio.run(attempt(4, "a")) == renewed  # a post the claim did not take
    assert db.transactions == 2

    with database.reading() as session:
        vault.read_along(session, {5: "a"})
    asyncio.run(vault.save("a", TOKEN, "saved-here", None))
    assert asyncio.run(attempt(5, "a")) == "saved-here"  # a save forgets what was read along
