"""Instants on SQLite (``drafts.timestamps``): written as SQLAlchemy's ``DateTime`` wrote them,
so that times stored before and after compare as text, and read back in UTC from each form a
database holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from drafts.timestamps import AwareDateTime, from_sqlite, to_sqlite

SQLITE = sqlite.dialect()
INSTANTS = [
    datetime(2026, 12, 4, 9, 30, 15, 250_000, tzinfo=UTC),
    datetime(2026, 12, 4, 9, 30, tzinfo=UTC),  # no microseconds: still written, as six zeros
    datetime(2026, 12, 4, 18, 30, 15, 7, tzinfo=ZoneInfo("Asia/Seoul")),
    datetime(2027, 1, 1, 0, 0, 1, tzinfo=timezone(timedelta(hours=-5))),
]


@pytest.mark.parametrize("instant", INSTANTS)
def test_an_instant_is_written_as_sqlalchemy_wrote_it_and_read_back(instant: datetime) -> None:
    sqlalchemy_wrote = DateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    assert sqlalchemy_wrote is not None
    written = AwareDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    assert written is not None
    stored = written(instant)
    assert stored == sqlalchemy_wrote(instant.astimezone(UTC).replace(tzinfo=None))
    read = AwareDateTime().dialect_impl(SQLITE).result_processor(SQLITE, None)
    assert read is not None
    assert read(stored) == instant
    assert read(stored).tzinfo is UTC


@pytest.mark.parametrize(
    ("stored", "instant"),
    [
        ("2026-12-04 09:30:15", datetime(2026, 12, 4, 9, 30, 15, tzinfo=UTC)),  # CURRENT_TIMESTAMP
        ("2026-12-04 09:30:15+00:00", datetime(2026, 12, 4, 9, 30, 15, tzinfo=UTC)),
        ("2026-12-04 18:30:15+09:00", datetime(2026, 12, 4, 9, 30, 15, tzinfo=UTC)),
    ],
)
def test_other_forms_a_database_holds_are_read_in_utc(stored: str, instant: datetime) -> None:
    read = from_sqlite(stored)
    assert read == instant
    assert read is not None
    assert read.tzinfo is UTC


def test_a_naive_instant_is_refused_and_none_stays_none() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        to_sqlite(datetime(2026, 12, 4, 9, 30))  # noqa: DTZ001
    assert to_sqlite(None) is None
    assert from_sqlite(None) is None
