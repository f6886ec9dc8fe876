"""Login throttling for the web app: the counts of ``drafts.login_failures``, kept in the
database, taken for the name typed and the client's address (five failures lock a name for
fifteen minutes; twenty from one address hold it back as long). Every ``tidings web`` process
reads and writes the same counts, so running several behind one proxy gives a guesser no more
tries, and a lock lifted by an admin (the users page, ``tidings user unlock``) or by a new
password is lifted in all of them.

The address is the one uvicorn reports: the connection's, or, when the connection comes from
one of ``[web] trusted_proxies``, the client address that proxy put in ``X-Forwarded-For``
(``tidings web`` has uvicorn believe no one else's). Behind a proxy that is not trusted, every
visitor shares the proxy's address and its count.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from drafts.login_failures import ADDRESS_LIMIT, NAME_LIMIT, WINDOW, Refusal, admit, succeeded
from drafts.storage import Database
from drafts.times import utcnow

__all__ = ["ADDRESS_LIMIT", "NAME_LIMIT", "WINDOW", "LoginThrottle", "Refusal"]


class LoginThrottle:
    """The login route's view of the counts: one short write transaction an attempt (to be
    called off the event loop). ``clock`` gives the aware time (tests pass their own)."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.database = database
        self.clock = clock

    def admit(self, name: str, address: str) -> Refusal | None:
        """None if an attempt for ``name`` from ``address`` may be checked now (and it is
        counted as failed until ``succeeded``), else why not and for how long."""
        with self.database.writing() as session:
            return admit(session, name=name, address=address, now=self.clock())

    def succeeded(self, name: str, address: str) -> None:
        """The admitted attempt succeeded: the name's failures are forgotten."""
        with self.database.writing() as session:
            succeeded(session, name=name, address=address)
