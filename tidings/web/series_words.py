"""A repeating draft's rule in words, in the viewer's language: "Every week on Monday, 8 times,
from 2027-03-15 09:00 KST" (``매주 월요일, 8회, 2027-03-15 09:00 KST부터``).

The rule is read as ``drafts.recurrence`` expands it: in the draft's zone, from publish_at, its
first occurrence; a part the rule leaves out (the weekday of a weekly rule) is publish_at's. A
rule these words cannot say (``BYSETPOS``, every other month's second Tuesday) is shown as
written. How many times is the series' own count, whether the rule ends by COUNT or UNTIL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, get_day_names

from drafts.times import show
from tidings.web.translations import N_, babel_locale

Gettext = Callable[[str], str]
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

EVERY = {
    "DAILY": (N_("Every day"), N_("Every %(interval)s days")),
    "WEEKLY": (N_("Every week on %(days)s"), N_("Every %(interval)s weeks on %(days)s")),
    "MONTHLY": (N_("Every month on day %(day)s"), N_("Every %(interval)s months on day %(day)s")),
    "YEARLY": (N_("Every year on %(date)s"), N_("Every %(interval)s years on %(date)s")),
}
AS_WRITTEN = N_("By the rule %(rule)s")
ONCE = N_("%(rule)s, once, on %(first)s")
TIMES = N_("%(rule)s, %(count)s times, from %(first)s")
DAYS_JOINED = N_("%(first)s and %(last)s")


def series_words(
    rule: str, first: datetime, count: int, zone: ZoneInfo, language: str, gettext: Gettext
) -> str:
    """``rule`` from ``first`` (``count`` occurrences in all) in words, in ``gettext``'s
    ``language``, its days and first time in ``zone`` (the draft's)."""
    how = _how_often(rule, first.astimezone(zone), language, gettext)
    words = {"rule": how, "count": count, "first": show(first, zone)}
    return gettext(ONCE if count == 1 else TIMES) % words


def _how_often(rule: str, local: datetime, language: str, gettext: Gettext) -> str:
    parts = dict(piece.partition("=")[::2] for piece in rule.split(";") if piece)
    frequency = parts.pop("FREQ", "")
    interval = parts.pop("INTERVAL", "1")
    parts.pop("COUNT", None), parts.pop("UNTIL", None)
    days = parts.pop("BYDAY", WEEKDAYS[local.weekday()]).split(",")
    day = parts.pop("BYMONTHDAY", str(local.day))
    said = frequency in EVERY and interval.isdigit() and int(interval) > 0 and not parts
    if frequency == "WEEKLY":
        said = said and all(tag in WEEKDAYS for tag in days)
    elif frequency == "MONTHLY":
        said = said and day.isdigit() and days == [WEEKDAYS[local.weekday()]]
    else:
        said = said and days == [WEEKDAYS[local.weekday()]] and day == str(local.day)
    if not said:
        return gettext(AS_WRITTEN) % {"rule": rule}
    one, several = EVERY[frequency]
    sentence = several if int(interval) > 1 else one
    words = {
        "interval": interval,
        "days": _day_names(days, language, gettext),
        "day": day,
        "date": format_skeleton("MMMMd", local, locale=babel_locale(language)),
    }
    return gettext(sentence) % words


def _day_names(tags: Sequence[str], language: str, gettext: Gettext) -> str:
    names = get_day_names("wide", locale=babel_locale(language))
    ordered = [str(names[WEEKDAYS.index(tag)]) for tag in sorted(set(tags), key=WEEKDAYS.index)]
    if len(ordered) == 1:
        return ordered[0]
    return gettext(DAYS_JOINED) % {"first": ", ".join(ordered[:-1]), "last": ordered[-1]}
