"""The compose form's "Repeat" control and the draft file's ``repeat`` it makes.

A simple choice (does not repeat, every day, every week, every month) ends after a number of
times or on a date, and becomes an RRULE without a day of its own (``FREQ=WEEKLY;COUNT=8``):
the rule then repeats on publish_at's weekday or day of the month, read in the draft's zone
(``drafts.recurrence``), whatever the viewer's. ``rule`` takes a rule of the author's own
(the advanced field), written as typed for ``read_draft_file`` to check. A stored rule the
simple choice can say is shown as that choice; any other as the advanced field.

Form names: ``repeat_every`` (``""``, ``DAILY``, ``WEEKLY``, ``MONTHLY`` or ``rule``),
``repeat_ends`` (``count`` or ``until``), ``repeat_count``, ``repeat_until`` (a date) and
``repeat_rule``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from drafts.errors import DraftError
from drafts.messages import N_, problem

SIMPLE = ("DAILY", "WEEKLY", "MONTHLY")
OWN_RULE = "rule"
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_UNTIL = re.compile(r"^\d{8}$")

NOT_A_COUNT = N_("how many times: %(value)s is not a whole number from 1")
NOT_A_DAY = N_("until: %(value)s is not a date such as 2027-05-31")
NO_END = N_("give how many times, or the date it ends")
NO_RULE = N_("write the rule in the advanced field, or choose how often")


@dataclass
class RepeatInput:
    """What the Repeat control holds, as typed (or as read from a stored rule)."""

    every: str = ""
    ends: str = "count"
    count: str = ""
    until: str = ""
    rule: str = ""

    @classmethod
    def posted(cls, one: Callable[[str], str]) -> RepeatInput:
        """The control as sent; ``one`` reads a form name's value."""
        every = one("repeat_every").strip()
        return cls(
            every=every if every in (*SIMPLE, OWN_RULE) else "",
            ends="until" if one("repeat_ends").strip() == "until" else "count",
            count=one("repeat_count").strip(),
            until=one("repeat_until").strip(),
            rule=one("repeat_rule").strip(),
        )

    @classmethod
    def of_rule(cls, rule: str | None) -> RepeatInput:
        """The control showing a stored ``rule``: as the simple choice where it says it."""
        if not rule:
            return cls()
        parts = dict(piece.partition("=")[::2] for piece in rule.split(";") if piece)
        every = parts.pop("FREQ", "")
        count, until = parts.pop("COUNT", ""), parts.pop("UNTIL", "")
        simple = every in SIMPLE and not parts and bool(count) != bool(until)
        if simple and count.isdigit():
            return cls(every=every, ends="count", count=count, rule=rule)
        if simple and _UNTIL.match(until):
            day = f"{until[:4]}-{until[4:6]}-{until[6:]}"
            return cls(every=every, ends="until", until=day, rule=rule)
        return cls(every=OWN_RULE, rule=rule)

    def rule_text(self) -> str | None:
        """The draft file's ``repeat``, or None for a draft that does not repeat; a DraftError
        names ``repeat`` for a count or a date that is none."""
        if self.every == OWN_RULE:
            if not self.rule:
                raise DraftError(problem("repeat", NO_RULE))
            return self.rule
        if not self.every:
            return None
        if self.ends == "until":
            found = _DAY.match(self.until)
            if not self.until:
                raise DraftError(problem("repeat", NO_END))
            if found is None:
                raise DraftError(problem("repeat", NOT_A_DAY, value=self.until))
            return f"FREQ={self.every};UNTIL={''.join(found.groups())}"
        if not self.count:
            raise DraftError(problem("repeat", NO_END))
        if not self.count.isdigit() or int(self.count) < 1:
            raise DraftError(problem("repeat", NOT_A_COUNT, value=self.count))
        return f"FREQ={self.every};COUNT={int(self.count)}"
