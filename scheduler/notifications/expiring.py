"""Credentials about to lapse: the event that tells admins to reconnect a channel in time.

A connected channel's credential lapses when its token expires, or, for a token Tidings renews
by itself, when its refresh token does (``CredentialReport.lapses_at``, as the Channels page
says it). Within ``WARNING`` of that, an event is recorded under a key naming the channel and
the date, so each lapse is told once however often this looks, and a reconnection that moves
the date is told again when the new date comes near. A channel configured with a token in the
environment is not known to expire until a check asks its platform.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from drafts.config import Config
from drafts.notification_events import Event, record_event
from scheduler.channel_check import EXPIRY_WARNING, credential_report
from scheduler.connections import connections

WARNING = EXPIRY_WARNING  # 7 days, as PRODUCT.md "Notifications" says


def record_expiring(session: Session, *, config: Config, now: datetime) -> int:
    """Record an event for each connected credential lapsing within ``WARNING`` of ``now``
    (not yet lapsed); how many channels are lapsing."""
    connected = connections(session)
    lapsing = 0
    for channel in config.channels:
        row = connected.get(channel.id)
        lapses = credential_report(channel, row).lapses_at() if row is not None else None
        if lapses is None or not now < lapses <= now + WARNING:
            continue
        lapsing += 1
        record_event(
            session,
            Event.CREDENTIAL_EXPIRING,
            f"channel:{channel.id}:expiring:{lapses.isoformat()}",
            channel_id=channel.id,
            facts={"expires_at": lapses.isoformat()},
        )
    return lapsing
