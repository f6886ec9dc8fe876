"""Each calendar entry of a repeating draft labelled with its occurrence of the series: ``3/8``.

A post of a series is due at its occurrence's time (``drafts.queueing`` schedules it there, and
a published post keeps the time it was planned for), so its place in the series is read from
the draft's rule by that time: one query for the rules of the week's repeating drafts (named by
the posts, which say whether their draft repeats: a busy week names thousands of drafts).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from zoneinfo import ZoneInfo

from sqlalchemy import select as select_columns
from sqlmodel import Session, col

from drafts.models import Draft
from drafts.queueing import PlannedPost
from drafts.recurrence import occurrences


def occurrence_labels(
    session: Session, posts: Iterable[PlannedPost], zone: ZoneInfo
) -> dict[int, str]:
    """``3/8`` for each of ``posts`` (by id) due at an occurrence of its repeating draft (whose
    rule is read in ``zone``, the drafts' own)."""
    listed = list(posts)
    repeating = {post.draft_id for post in listed if post.repeating}
    if not repeating:
        return {}
    series: dict[int | None, dict[object, str]] = {}
    rules = select_columns(col(Draft.id), col(Draft.repeat), col(Draft.publish_at)).where(
        col(Draft.id).in_(repeating), col(Draft.repeat).is_not(None)
    )
    for draft_id, repeat, first in session.connection().execute(rules):
        times = occurrences(repeat, first, zone)
        series[draft_id] = {
            o.at.astimezone(UTC): f"{o.number}/{len(times)}" for o in times if o.at is not None
        }
    return {
        post.id: label
        for post in listed
        if (label := series.get(post.draft_id, {}).get(post.due_at.astimezone(UTC))) is not None
    }
