"""What a draft's history line says after its action, kept as a sentence (``messages.recorded``).

The audit log keeps each line's detail once, for good; a page tells it in its reader's language
and timezone whenever it is read (``tidings.web.message_filters``), so the detail is the sentence
and its words, not English text. Details that are what a person wrote (a title, a comment, an
address) stay as they were typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from drafts.messages import N_, Instant, Word, in_turn, recorded, said


def edited(*, changed: bool, back_to_review: bool, author: str | None) -> str:
    """An edit: whether the posts changed, whether that sent the draft back to review, and the
    author when someone else edited their draft."""
    parts: list[Word] = []
    if back_to_review:
        parts.append(said(N_("back to review, posts unscheduled")))
    if author is not None:
        parts.append(said(N_("a draft by %(author)s"), author=author))
    change = said(N_("content changed") if changed else N_("no change to the posts"))
    return recorded(in_turn(change, *parts))


def approved(*, count: int, required: int, comment: str) -> str:
    """An approval: which of the approvals the draft needs, and the reviewer's comment."""
    if comment:
        words: dict[str, Word] = {"count": count, "required": required, "comment": comment}
        return recorded(said(N_("approval %(count)s of %(required)s: %(comment)s"), **words))
    return recorded(said(N_("approval %(count)s of %(required)s"), count=count, required=required))


def scheduled(times: Iterable[tuple[str, datetime]]) -> str:
    """When each channel's posts are due, by channel."""
    each = [
        said(N_("%(channel)s at %(when)s"), channel=channel, when=Instant(due))
        for channel, due in sorted(set(times))
    ]
    return recorded(in_turn(*each)) if each else ""


def series_scheduled(times: Iterable[datetime]) -> str:
    """How many posts of a repeating draft are due, from when."""
    due = sorted(times)
    if not due:
        return recorded(said(N_("no occurrence is still ahead")))
    return recorded(
        said(N_("%(count)s post(s) from %(when)s"), count=len(due), when=Instant(due[0]))
    )


def skipped(day: date, count: int) -> str:
    return recorded(
        said(N_("%(day)s skipped: %(count)s post(s)"), day=day.isoformat(), count=count)
    )


def unscheduled(count: int) -> str:
    return recorded(said(N_("%(count)s post(s) unscheduled"), count=count))


def cancelled(count: int) -> str:
    return recorded(said(N_("%(count)s post(s) cancelled"), count=count))
