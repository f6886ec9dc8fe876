"""Keyset pagination: a list is read a page at a time, after the sort key of the last row a
page showed, never with OFFSET. A page then reads its own rows from an index and costs the
same at the millionth row as at the first, and a row added or removed meanwhile neither
repeats a row nor skips one.

The place a page starts after travels as a token (``?after=`` on the web, ``--after`` on the
command line): opaque to whoever passes it back, but stable, the sort key as URL-safe base64
of compact JSON (times as microseconds since the epoch, UTC). A token the list did not make is
refused with ``CursorError``, one line naming ``after``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, tuple_

from drafts.errors import TidingsError
from drafts.messages import Problem
from drafts.models import MAX_ID

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A sort key's parts: a time, a row's id, or a text (a user's name).
Value = datetime | int | str
Kind = type[datetime] | type[int] | type[str]
# The earliest and latest times a token can hold, in microseconds from the epoch.
_TIMES = (
    (datetime.min.replace(tzinfo=UTC) - EPOCH) // timedelta(microseconds=1),
    (datetime.max.replace(tzinfo=UTC) - EPOCH) // timedelta(microseconds=1),
)
T = TypeVar("T")


class CursorError(TidingsError):
    """``after`` is not a place this list gave: mangled, cut short, or another list's."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page's rows, the token its next page starts after (None: the last page), and each
    row's own token (where a list printed as JSON may be taken up again)."""

    rows: list[T]
    after: str | None
    tokens: list[str] = field(default_factory=list)


def paged(rows: Sequence[T], size: int, key: Callable[[T], tuple[Value, ...]]) -> Page[T]:
    """A page of ``rows``, which were read with a limit of ``size + 1`` so as to know, without
    counting, whether another page follows: then ``after`` is the token of this page's last
    row's sort key (``key``)."""
    shown = list(rows[:size])
    tokens = [token(*key(row)) for row in shown]
    return Page(shown, tokens[-1] if len(rows) > size and tokens else None, tokens)


def token(*key: Value) -> str:
    """The token of a place: a row's sort key."""
    packed = json.dumps([_plain(value) for value in key], separators=(",", ":"))
    return base64.urlsafe_b64encode(packed.encode()).rstrip(b"=").decode("ascii")


def place(after: str, *kinds: Kind) -> tuple[Value, ...]:
    """The sort key token ``after`` holds, its parts of ``kinds`` in turn; ``CursorError``
    naming ``after`` for a token that holds no such key."""
    try:
        packed = base64.urlsafe_b64decode(after + "=" * (-len(after) % 4))
        values = json.loads(packed.decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        values = None
    if (
        not isinstance(values, list)
        or len(values) != len(kinds)
        or not all(_fits(value, kind) for value, kind in zip(values, kinds, strict=True))
    ):
        shown = after if len(after) <= 40 else f"{after[:40]}…"
        raise CursorError(
            Problem(
                "after",
                f"{shown!r} is not a place in this list: give what its last page said to "
                "start after, or nothing for the first page",
            )
        )
    return tuple(_value(value, kind) for value, kind in zip(values, kinds, strict=True))


def beyond(columns: Sequence[Any], at: Sequence[Value], *, descending: bool) -> ColumnElement[bool]:
    """The rows after place ``at`` in the order of ``columns`` (ascending, or descending):
    one row-value comparison, which an index on ``columns`` answers as a range."""
    row, key = tuple_(*columns), tuple(at)  # a plain tuple: each value bound as its column is
    return row < key if descending else row > key


def _plain(value: Value) -> int | str:
    if isinstance(value, datetime):
        return (value - EPOCH) // timedelta(microseconds=1)
    return value


def _fits(value: object, kind: Kind) -> bool:
    """Whether ``value`` could be a part of kind ``kind`` this module made: a text, a time
    a datetime holds, or a number a row's id column holds (a larger one would overflow a
    PostgreSQL query's parameter instead of finding nothing)."""
    if kind is str:
        return isinstance(value, str)
    if not isinstance(value, int) or isinstance(value, bool):  # JSON's true is an int too
        return False
    low, high = _TIMES if kind is datetime else (0, MAX_ID)
    return low <= value <= high


def _value(value: int | str, kind: Kind) -> Value:
    if kind is datetime:
        assert isinstance(value, int)
        return EPOCH + timedelta(microseconds=value)
    return value
