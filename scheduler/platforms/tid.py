"""TIDs: the AT Protocol's timestamp identifiers, which Bluesky posts take as record keys.

A TID is 13 characters of base32-sortable (``234567a-z``) over 64 bits: a zero top bit, the
microseconds since the Unix epoch (53 bits) and a 10-bit clock id, so TIDs sort as strings in
the order they were made (atproto ``packages/common-web/src/tid.ts``, syntax from
``packages/syntax/src/tid.ts``). Tidings chooses a post's TID itself and keeps it before
sending, so a resend can never create a second post (PLATFORMS.md §4.4).
"""

from __future__ import annotations

import re
import secrets
import threading
from datetime import datetime

__all__ = ["TID_PATTERN", "TidClock", "is_tid", "next_tid", "tid_from"]

TID_LENGTH = 13
TID_PATTERN = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_CLOCK_ID_BITS = 10
_MAX_MICROS = (1 << 53) - 1


def tid_from(micros: int, clock_id: int) -> str:
    """The TID for a moment in microseconds since the epoch and a clock id (0–1023)."""
    if not 0 <= micros <= _MAX_MICROS:
        raise ValueError(f"a TID holds 53 bits of microseconds, not {micros}")
    if not 0 <= clock_id < 1 << _CLOCK_ID_BITS:
        raise ValueError(f"a TID clock id is 0 to 1023, not {clock_id}")
    value = (micros << _CLOCK_ID_BITS) | clock_id
    chars = []
    for _ in range(TID_LENGTH):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_tid(value: str) -> bool:
    """Whether ``value`` is a syntactically valid TID."""
    return bool(TID_PATTERN.fullmatch(value))


class TidClock:
    """Makes TIDs that strictly increase, even when the clock stands still or steps back.

    Like atproto's, the clock id is random per process (one of the lowest 32): two processes
    could only collide within the same microsecond and with the same id, and even then the
    repository refuses the second record rather than duplicating it.
    """

    def __init__(self, clock_id: int | None = None) -> None:
        self.clock_id = secrets.randbelow(32) if clock_id is None else clock_id
        self._last_micros = 0
        self._lock = threading.Lock()

    def next(self, now: datetime) -> str:
        """A TID for ``now``, later than every TID this clock made before."""
        micros = int(now.timestamp() * 1_000_000)
        with self._lock:
            micros = max(micros, self._last_micros + 1)
            self._last_micros = micros
        return tid_from(micros, self.clock_id)


_PROCESS_CLOCK = TidClock()


def next_tid(now: datetime) -> str:
    """The next TID from this process's clock."""
    return _PROCESS_CLOCK.next(now)
