"""A list's ``after`` token holds a place a row could have: a token whose id no row's id column
can hold, or whose time no datetime can, is refused as not a place of the list (``CursorError``
naming ``after``) on SQLite and on PostgreSQL, instead of overflowing the query's parameter
there (a storage error) or Python's datetime."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest
from sqlmodel import Session

from drafts.attempts import attempt_log
from drafts.authoring import list_drafts
from drafts.keyset import CursorError
from drafts.models import MAX_ID
from drafts.queueing import upcoming_posts
from drafts.storage import Database

LISTS: list[Callable[[Session, str], object]] = [
    lambda session, after: upcoming_posts(session, size=5, after=after),
    lambda session, after: attempt_log(session, limit=5, after=after),
    lambda session, after: list_drafts(session, limit=5, after=after),
]
IN_2026 = 1_796_000_000_000_000  # microseconds from the epoch


def packed(*parts: object) -> str:
    """A token holding ``parts`` as this list's tokens hold theirs."""
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "after",
    [
        packed(IN_2026, MAX_ID + 1),
        packed(IN_2026, 2**40),
        packed(IN_2026, -1),
        packed(2**61, 1),
        packed(-(2**61), 1),
        packed(IN_2026, True),
        packed(float(IN_2026), 1),
    ],
)
@pytest.mark.parametrize("read", LISTS, ids=["queue", "log", "drafts"])
def test_a_place_no_row_can_have_is_refused_naming_after(
    database: Database, read: Callable[[Session, str], object], after: str
) -> None:
    with database.reading() as session, pytest.raises(CursorError, match=r"^after: "):
        read(session, after)


@pytest.mark.parametrize("read", LISTS, ids=["queue", "log", "drafts"])
def test_the_largest_id_is_a_place(
    database: Database, read: Callable[[Session, str], object]
) -> None:
    with database.reading() as session:
        read(session, packed(IN_2026, MAX_ID))
