"""The Channels page's line about the daemon: when one last reported in, and which (host:pid),
from its heartbeat; when none runs, when the last one stopped cleanly (a clean stop removes its
heartbeat, and leaves a line in the audit log), or that none has ever reported in. Without a
daemon nothing is published, so a stopped daemon is shown as a problem, as is one silent for
longer than ``/readyz`` allows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from babel.dates import format_timedelta

from drafts.storage import Database
from drafts.times import show
from scheduler.figures import LastSeen, daemon_last_seen
from scheduler.heartbeat import Stop, last_stop
from tidings.web.health import DAEMON_SILENCE_LIMIT
from tidings.web.translations import N_, babel_locale

LAST_SEEN = N_("Daemon last seen %(ago)s on %(worker)s.")
STOPPED = N_(
    "The daemon stopped at %(when)s (%(worker)s): nothing is published until one runs "
    "(tidings run)."
)
NONE_SEEN = N_("No daemon has reported in: nothing is published until one runs (tidings run).")


@dataclass(frozen=True)
class DaemonSeen:
    said: str
    silent: bool  # nothing heard within the limit: a problem


def daemon_seen(
    database: Database,
    now: datetime,
    gettext: Callable[[str], str],
    language: str,
    zone: tzinfo = UTC,
) -> DaemonSeen:
    """The line, with a stop's time in ``zone`` (the viewer's)."""
    with database.reading() as session:
        seen = daemon_last_seen(session)
        stopped = last_stop(session) if seen is None else None
    if seen is not None:
        return _last_seen(seen, now, gettext, language)
    if stopped is not None:
        return _stopped(stopped, gettext, zone)
    return DaemonSeen(gettext(NONE_SEEN), silent=True)


def _last_seen(
    seen: LastSeen, now: datetime, gettext: Callable[[str], str], language: str
) -> DaemonSeen:
    # A second ago at least: never "in 2 seconds" from a daemon whose clock runs ahead.
    since = min(seen.beat_at - now, timedelta(seconds=-1))
    ago = format_timedelta(since, add_direction=True, threshold=1.0, locale=babel_locale(language))
    said = gettext(LAST_SEEN) % {"ago": ago, "worker": seen.worker}
    return DaemonSeen(said, silent=now - seen.beat_at > DAEMON_SILENCE_LIMIT)


def _stopped(stop: Stop, gettext: Callable[[str], str], zone: tzinfo) -> DaemonSeen:
    said = gettext(STOPPED) % {"when": show(stop.at, zone), "worker": stop.worker}
    return DaemonSeen(said, silent=True)
