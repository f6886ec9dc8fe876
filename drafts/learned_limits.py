"""Text limits a platform reported about itself, which override the configured ones.

A Mastodon instance says how long a status may be (``max_characters``) and how much each link
counts (``characters_reserved_per_url``); ``tidings channels check`` asks and stores the answer.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session, col, select

from drafts.models import ChannelState
from drafts.text_rules import TextRules
from drafts.times import utcnow

LearnedLimits = Mapping[str, TextRules]


def learned_limits(session: Session) -> dict[str, TextRules]:
    """Every channel's reported limits, by channel id."""
    rows = session.exec(select(ChannelState).where(col(ChannelState.text_limits).is_not(None)))
    return {row.channel: TextRules(**row.text_limits) for row in rows if row.text_limits}


def remember_limits(session: Session, channel: str, limits: Mapping[str, int]) -> None:
    """Store what a platform reported, checked by ``TextRules`` first."""
    TextRules(**limits)
    state = session.get(ChannelState, channel) or ChannelState(channel=channel)
    state.text_limits, state.updated_at = dict(limits), utcnow()
    session.add(state)
