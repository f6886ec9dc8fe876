"""A repeating draft's occurrences as its page shows them: the rule in words, then each
occurrence's date and time, its status and its posts' cards, and whether the viewer may skip
it (``drafts.queueing.skip_occurrence``; ``draft_actions`` says whether they may skip any):
one still to come, with posts waiting and none being sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from drafts.lifecycle import FINAL_POST_STATUSES, PostStatus
from drafts.models import Draft, Post
from drafts.recurrence import Occurrence
from tidings.web.post_cards import PostCard
from tidings.web.series_words import series_words

BUSY = frozenset({PostStatus.PUBLISHING, PostStatus.RETRYING})


@dataclass(frozen=True)
class OccurrenceView:
    """One occurrence: its number of ``total``, when it goes out, the day ``skip`` names
    (in the draft's zone), its posts' statuses (each once) and cards."""

    number: int
    total: int
    at: datetime | None
    day: date | None
    statuses: tuple[str, ...]
    cards: tuple[PostCard, ...]
    skippable: bool  # still to come, with posts waiting and none being sent

    @property
    def label(self) -> str:
        return f"{self.number}/{self.total}"


@dataclass(frozen=True)
class SeriesView:
    """A repeating draft's rule in words and its occurrences, in order."""

    words: str
    occurrences: tuple[OccurrenceView, ...]


def series_view(
    draft: Draft,
    posts: Sequence[Post],
    cards: Sequence[PostCard],
    series: Sequence[Occurrence],
    *,
    may_skip: bool,
    zone: ZoneInfo,
    now: datetime,
    language: str,
    gettext: Callable[[str], str],
) -> SeriesView | None:
    """The ``series`` of ``draft`` (its occurrences; None for a draft that does not repeat),
    its ``cards`` (one per post of ``posts``, in the same order) under their occurrences;
    ``zone`` is the draft's."""
    if draft.repeat is None or draft.publish_at is None or not series:
        return None
    times = {each.number: each.at for each in series}
    numbers = sorted({*times, *(post.occurrence for post in posts)})
    total = len(series)
    by_number: dict[int, list[tuple[Post, PostCard]]] = {}
    for post, card in zip(posts, cards, strict=True):
        by_number.setdefault(post.occurrence, []).append((post, card))
    shown = tuple(
        _occurrence(number, total, times.get(number), by_number.get(number, []), zone, now)
        for number in numbers
    )
    if not may_skip:
        shown = tuple(replace(each, skippable=False) for each in shown)
    words = series_words(draft.repeat, draft.publish_at, total, zone, language, gettext)
    return SeriesView(words, shown)


def _occurrence(
    number: int,
    total: int,
    planned: datetime | None,
    own: Sequence[tuple[Post, PostCard]],
    zone: ZoneInfo,
    now: datetime,
) -> OccurrenceView:
    """One occurrence (at ``planned``, or where its posts are due: one the series no longer
    has, kept as it went) with its posts and their cards; ``skippable`` says whether it could
    be skipped by someone who may skip."""
    at = planned or next((post.due_at for post, _ in own if post.due_at), None)
    waiting = [post for post, _ in own if post.status not in FINAL_POST_STATUSES]
    return OccurrenceView(
        number=number,
        total=total,
        at=at,
        day=at.astimezone(zone).date() if at is not None else None,
        statuses=tuple(dict.fromkeys(post.status for post, _ in own)),
        cards=tuple(card for _, card in own),
        skippable=planned is not None
        and planned > now
        and bool(waiting)
        and not any(post.status in BUSY for post in waiting),
    )
