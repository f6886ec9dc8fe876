"""Tallies of what attempts came to, counted as each attempt ends, in the same transaction: by
platform, outcome and, for a published post, how late it went out, in the buckets of
``LAG_BUCKETS`` (``attempt_tally``).

The metrics read these few rows at each scrape (``scheduler.figures``). Counted from the attempts
themselves, a scrape read every attempt ever made: 1.9 s at a million posts on SQLite, every
15 seconds, in the daemon's own process when it serves ``--metrics-port``. And ``tidings prune``,
which deletes old attempts, made ``tidings_attempts_total`` fall, which Prometheus reads as a
counter reset. A tally only rises: an attempt closed as unknown when its post was taken over,
whose answer came in later, counts once under ``unknown`` and once under what it came to.

Every worker adds to the same rows, each in sorted order (on PostgreSQL a row is locked until its
transaction commits: two workers adding in opposite orders could each wait for the other), in
one statement a batch of results: on PostgreSQL one round trip. (The lags in a table of their
own cost the daemon a second round trip for each batch of results, and some 4% of its throughput
in ``bench/dispatch.py``; one table costs nothing it can measure.)
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

# Seconds from a post's due time to the platform's answer: a daemon that keeps up sends within
# a second or two; retries and rate-limit windows reach minutes and hours.
LAG_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0, 21600.0)
INFINITY = "+Inf"  # the bucket above the last bound, named as Prometheus names it

# The same statement on SQLite and PostgreSQL: both read ``ON CONFLICT ... DO UPDATE``.
_ADD = text(
    "INSERT INTO attempt_tally (platform, outcome, lag_bucket, attempts, late_seconds)"
    " VALUES (:platform, :outcome, :bucket, :n, :seconds)"
    " ON CONFLICT (platform, outcome, lag_bucket) DO UPDATE SET"
    " attempts = attempt_tally.attempts + :n, late_seconds = attempt_tally.late_seconds + :seconds"
)
NO_LAG = ""  # the bucket of an attempt whose lateness is not counted


@dataclass(frozen=True)
class Ended:
    """One attempt that ended: on which platform, as what, and (published, its due time known)
    how many seconds after its due time the platform answered."""

    platform: str
    outcome: str
    late: float | None = None


def lateness(due_at: datetime | None, answered_at: datetime) -> float | None:
    """Seconds from ``due_at`` to ``answered_at``; 0 for a post sent before its due time, None
    when it had none."""
    if due_at is None:
        return None
    return max((answered_at - due_at).total_seconds(), 0.0)


def bucket_of(seconds: float) -> str:
    """The bucket that holds a lateness of ``seconds``: its bound, as Prometheus writes it."""
    place = bisect_left(LAG_BUCKETS, seconds)
    return repr(LAG_BUCKETS[place]) if place < len(LAG_BUCKETS) else INFINITY


def tally(session: Session, ended: Iterable[Ended]) -> None:
    """Add ``ended`` to the tallies: one row a platform, outcome and lag bucket."""
    attempts: Counter[tuple[str, str, str]] = Counter()
    seconds: defaultdict[tuple[str, str, str], float] = defaultdict(float)
    for each in ended:
        key = (
            each.platform,
            each.outcome,
            NO_LAG if each.late is None else bucket_of(each.late),
        )
        attempts[key] += 1
        seconds[key] += each.late or 0.0
    if attempts:
        session.connection().execute(
            _ADD,
            [
                {"platform": p, "outcome": o, "bucket": b, "n": n, "seconds": seconds[p, o, b]}
                for (p, o, b), n in sorted(attempts.items())
            ],
        )
