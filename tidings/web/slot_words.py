"""A channel's posting slot as a reader of the page's language says it: ``mon-fri 09:30`` is
"Mon–Fri 09:30" in English and "월–금 09:30" in Korean, ``daily 10:00`` "every day 10:00".

Day names are Babel's (CLDR's abbreviated names), so every interface language gets its own
without a catalogue entry per day. A run of two or more days is joined with an en dash, as
the config writes ``mon-fri``; a slot the config would refuse is shown as written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from babel.dates import get_day_names

from drafts.slots import parse_slot
from tidings.web.translations import N_, babel_locale

EVERY_DAY = N_("every day %(time)s")
WEEK = range(7)


def slot_words(slot: str, language: str, gettext: Callable[[str], str]) -> str:
    """``slot`` (as config.toml writes it) in ``language``'s day names."""
    try:
        parsed = parse_slot(slot)
    except ValueError:
        return slot
    at = parsed.at.strftime("%H:%M")
    if parsed.weekdays == frozenset(WEEK):
        return gettext(EVERY_DAY) % {"time": at}
    names = get_day_names("abbreviated", locale=babel_locale(language))
    days = ", ".join(
        names[first] if first == last else f"{names[first]}–{names[last]}"
        for first, last in _runs(parsed.weekdays)
    )
    return f"{days} {at}"


def _runs(weekdays: frozenset[int]) -> Iterator[tuple[int, int]]:
    """The days (0 = Monday) as runs of consecutive days, Monday first: (first, last) each."""
    start: int | None = None
    for day in (*WEEK, len(WEEK)):
        if day in weekdays and start is None:
            start = day
        elif day not in weekdays and start is not None:
            yield start, day - 1
            start = None
