"""The draft and post state machines: which status may follow which, and through which action.

Draft: draft → in_review → approved → scheduled → done, with changes_requested and cancelled.
Post: pending → scheduled → publishing → published, or retrying, failed, needs_attention,
expired, cancelled.
"""

from __future__ import annotations

from enum import StrEnum

from drafts.errors import ReviewError
from drafts.messages import N_, Word, said


class DraftStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"


class PostStatus(StrEnum):
    PENDING = "pending"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    RETRYING = "retrying"
    PUBLISHED = "published"
    FAILED = "failed"
    NEEDS_ATTENTION = "needs_attention"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"  # one occurrence of a recurring draft, dropped with `draft skip`


D = DraftStatus

# action -> the statuses a draft may be in for it
DRAFT_ACTIONS: dict[str, frozenset[DraftStatus]] = {
    "edit": frozenset({D.DRAFT, D.IN_REVIEW, D.CHANGES_REQUESTED, D.APPROVED, D.SCHEDULED}),
    "submit": frozenset({D.DRAFT, D.CHANGES_REQUESTED}),
    "approve": frozenset({D.IN_REVIEW}),
    "request-changes": frozenset({D.IN_REVIEW, D.APPROVED, D.SCHEDULED}),
    "schedule": frozenset({D.APPROVED, D.SCHEDULED}),
    "unschedule": frozenset({D.SCHEDULED}),
    "cancel": frozenset({D.DRAFT, D.IN_REVIEW, D.CHANGES_REQUESTED, D.APPROVED, D.SCHEDULED}),
}

# Posts that are done: nothing will happen to them any more.
FINAL_POST_STATUSES = frozenset(
    {
        PostStatus.PUBLISHED,
        PostStatus.FAILED,
        PostStatus.NEEDS_ATTENTION,
        PostStatus.EXPIRED,
        PostStatus.CANCELLED,
        PostStatus.SKIPPED,
    }
)

# Posts the daemon still owes an attempt: what `queue` shows.
UPCOMING_POST_STATUSES = frozenset(
    {PostStatus.SCHEDULED, PostStatus.PUBLISHING, PostStatus.RETRYING}
)


# A refusal names a status and an action as the command line types them (``in_review``,
# ``request-changes``); marked here so the web's catalogue says each in the viewer's words.
STATUS_WORDS: dict[str, str] = {
    D.DRAFT: N_("draft"),
    D.IN_REVIEW: N_("in_review"),
    D.CHANGES_REQUESTED: N_("changes_requested"),
    D.APPROVED: N_("approved"),
    D.SCHEDULED: N_("scheduled"),
    D.DONE: N_("done"),
    D.CANCELLED: N_("cancelled"),
}
ACTION_WORDS: dict[str, str] = {
    "edit": N_("edit"),
    "submit": N_("submit"),
    "approve": N_("approve"),
    "request-changes": N_("request-changes"),
    "schedule": N_("schedule"),
    "unschedule": N_("unschedule"),
    "cancel": N_("cancel"),
}
NOT_NOW = N_("draft %(id)s is %(status)s; %(action)s needs a draft that is %(allowed)s")
EITHER = N_("%(some)s or %(last)s")


def require_action(draft_id: int, status: str, action: str) -> None:
    """Raise ``ReviewError`` unless a draft in ``status`` may undergo ``action``."""
    allowed = DRAFT_ACTIONS[action]
    if status in allowed:
        return
    names = [said(STATUS_WORDS[name]) for name in sorted(allowed)]
    listed = names[0]
    for name in names[1:]:
        listed = said(EITHER, some=listed, last=name)
    words: dict[str, Word] = {"id": draft_id, "status": said(STATUS_WORDS.get(status, status))}
    raise ReviewError(said(NOT_NOW, **words, action=said(ACTION_WORDS[action]), allowed=listed))
