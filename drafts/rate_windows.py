"""Channels inside a rate-limit window: the daemon holds their posts until the window ends.

The daemon opens a window when a platform answers 429 (``scheduler.recording``); people see the
windows still running on the web's channels page.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from drafts.models import ChannelState


def open_windows(session: Session, *, now: datetime) -> dict[str, tuple[datetime, str | None]]:
    """Each channel inside a rate-limit window at ``now``: until when, and why."""
    rows = session.exec(select(ChannelState).where(col(ChannelState.blocked_until) > now)).all()
    return {
        row.channel: (row.blocked_until, row.reason)
        for row in rows
        if row.blocked_until is not None
    }
