"""Each calendar entry of a repeating draft labelled with its occurrence of the series: ``3/8``.

A post of a series is due at its occurrence's time (``drafts.queueing`` schedules it there, and
a published post keeps the time it was planned for), so its place in the series is read from
the draft's rule by that time: one read of each repeating draft in the week, not of its posts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from zoneinfo import ZoneInfo

from sqlmodel import Session

from drafts.authoring import get_draft
from drafts.queueing import PlannedPost
from drafts.recurrence import occurrences


def occurrence_labels(
    session: Session, posts: Iterable[PlannedPost], zone: ZoneInfo
) -> dict[int, str]:
    """``3/8`` for each of ``posts`` (by id) due at an occurrence of its repeating draft (whose
    rule is read in ``zone``, the drafts' own)."""
    listed = list(posts)
    series: dict[int, dict[object, str]] = {}
    for draft_id in dict.fromkeys(post.draft_id for post in listed):
        draft = get_draft(session, draft_id)
        if draft.repeat is None or draft.publish_at is None:
            continue
        times = occurrences(draft.repeat, draft.publish_at, zone)
        series[draft_id] = {
            o.at.astimezone(UTC): f"{o.number}/{len(times)}" for o in times if o.at is not None
        }
    return {
        post.id: label
        for post in listed
        if (label := series.get(post.draft_id, {}).get(post.due_at.astimezone(UTC))) is not None
    }
