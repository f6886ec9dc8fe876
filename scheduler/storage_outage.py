"""Waiting out a database that cannot take the daemon's bookkeeping for now.

A full disk, a read-only database file, a lock held too long or a lost connection (a
``StorageUnavailable``) must not stop the daemon: the results of the requests it sent stay in
memory and are recorded once the database takes writes again (guarantees 2 and 3), and nothing
new is claimed meanwhile. An outage is logged once when it starts and once when it ends,
never once per retry.
"""

from __future__ import annotations

import logging
import time

from drafts.errors import StorageUnavailable

LONGEST_WAIT = 30.0  # seconds between tries, however long the outage lasts
log = logging.getLogger("tidings.daemon")


class StorageOutage:
    """Whether the database is refusing the daemon's work, and how long to wait before the next
    try: ``first_wait`` seconds, doubling up to ``LONGEST_WAIT``."""

    def __init__(self, first_wait: float) -> None:
        self._first_wait = first_wait
        self._next_wait = first_wait
        self._since: float | None = None

    def failed(self, error: StorageUnavailable) -> float:
        """Note a refused try (logged if it starts an outage); return the seconds to wait."""
        if self._since is None:
            self._since = time.monotonic()
            log.warning(
                "%s; the daemon keeps the results of what it sent in memory, claims nothing "
                "new, and retries until the database takes writes again",
                error,
            )
        wait, self._next_wait = self._next_wait, min(self._next_wait * 2, LONGEST_WAIT)
        return wait

    def ended(self) -> None:
        """Note a try that worked: an outage, if there was one, is over."""
        if self._since is not None:
            lasted = time.monotonic() - self._since
            log.warning("the database takes writes again (after %.0f s); recording resumes", lasted)
            self._since, self._next_wait = None, self._first_wait
