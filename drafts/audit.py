"""The audit log: every transition, with its actor and time."""

from __future__ import annotations

from sqlmodel import Session, col, select

from drafts.models import AuditEntry

DAEMON = "daemon"


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    draft_id: int | None = None,
    post_id: int | None = None,
    detail: str = "",
) -> AuditEntry:
    """Append one entry; it is committed with the change it describes."""
    entry = AuditEntry(
        actor=actor, action=action, draft_id=draft_id, post_id=post_id, detail=detail
    )
    session.add(entry)
    return entry


def history(session: Session, *, draft_id: int) -> list[AuditEntry]:
    """A draft's entries, oldest first."""
    query = select(AuditEntry).where(AuditEntry.draft_id == draft_id).order_by(col(AuditEntry.id))
    return list(session.exec(query))
