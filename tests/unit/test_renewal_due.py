"""When a connected token is renewed: within its platform's margin of expiring, and on Threads
only once it is a day old; tokens of platforms renewed on demand or never are left alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drafts.models import Connection
from scheduler.renewal import renewal_due

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def row(
    platform: str,
    expires_in: timedelta | None,
    *,
    connected: timedelta = timedelta(days=50),
    refreshed: timedelta | None = None,
) -> Connection:
    """A connection made ``connected`` ago (renewed ``refreshed`` ago) expiring in ``expires_in``."""
    return Connection(
        channel="c",
        platform=platform,
        connected_by="hana",
        connected_at=NOW - connected,
        refreshed_at=None if refreshed is None else NOW - refreshed,
        expires_at=None if expires_in is None else NOW + expires_in,
    )


@pytest.mark.parametrize(
    ("connection", "due"),
    [
        (row("x", timedelta(minutes=16)), False),
        (row("x", timedelta(minutes=15)), True),
        (row("x", -timedelta(hours=3)), True),  # expired while no daemon ran
        (row("linkedin", timedelta(days=11)), False),
        (row("linkedin", timedelta(days=10)), True),
        (row("threads", timedelta(days=11)), False),
        (row("threads", timedelta(days=9)), True),
        (row("threads", timedelta(days=9), connected=timedelta(hours=23)), False),
        (row("threads", timedelta(days=9), refreshed=timedelta(hours=23)), False),
        (row("threads", timedelta(days=9), refreshed=timedelta(hours=24)), True),
        (row("facebook", timedelta(hours=1)), False),  # a Page token is not renewed
        (row("bluesky", timedelta(minutes=1)), False),  # sessions renew themselves
        (row("mastodon", None), False),  # does not expire
    ],
)
def test_renewal_due(connection: Connection, due: bool) -> None:
    assert renewal_due(connection, NOW) is due
