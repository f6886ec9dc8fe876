"""The Channels page's line about the daemon: when one last reported in, and which (host:pid),
from its heartbeat; or that none has, since without a daemon nothing is published. A daemon
silent for longer than ``/readyz`` allows is shown as a problem."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel.dates import format_timedelta

from drafts.storage import Database
from scheduler.figures import daemon_last_seen
from tidings.web.health import DAEMON_SILENCE_LIMIT
from tidings.web.translations import N_

LAST_SEEN = N_("Daemon last seen %(ago)s on %(worker)s.")
NONE_SEEN = N_("No daemon has reported in: nothing is published until one runs (tidings run).")


@dataclass(frozen=True)
class DaemonSeen:
    said: str
    silent: bool  # nothing heard within the limit: a problem


def daemon_seen(
    database: Database, now: datetime, gettext: Callable[[str], str], language: str
) -> DaemonSeen:
    with database.reading() as session:
        seen = daemon_last_seen(session)
    if seen is None:
        return DaemonSeen(gettext(NONE_SEEN), silent=True)
    # A second ago at least: never "in 2 seconds" from a daemon whose clock runs ahead.
    since = min(seen.beat_at - now, timedelta(seconds=-1))
    ago = format_timedelta(since, add_direction=True, threshold=1.0, locale=language)
    said = gettext(LAST_SEEN) % {"ago": ago, "worker": seen.worker}
    return DaemonSeen(said, silent=now - seen.beat_at > DAEMON_SILENCE_LIMIT)
