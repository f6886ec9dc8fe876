"""What the Channels page says about each channel's credential, without calling any platform:
the same report as ``tidings channels check`` (``scheduler.channel_check.credential_report``:
connected as whom, by whom, when, with which scopes, until when, whether it renews itself and
how its last renewal went; or the environment variable it uses; or nothing), its expiry in
words of the page's language, how the channel is connected here, and what the channel last did
(its latest published post, its latest error).

Read from the ``connection`` rows and the attempts in one read transaction: no key needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_timedelta

from drafts.channel_activity import ChannelActivity, channel_activity
from drafts.channels import ChannelBase
from drafts.models import Connection
from drafts.storage import Database
from scheduler.channel_check import EXPIRY_WARNING, CredentialReport, credential_report
from scheduler.connect import connector_for
from scheduler.connect.base import Connector, OAuthConnector, SecretConnector
from scheduler.connections import connections
from tidings.web.translations import N_, babel_locale

EXPIRES_IN = N_("expires in %(time)s")
EXPIRED_AGO = N_("expired %(time)s ago")
DOES_NOT_EXPIRE = N_("does not expire")


@dataclass(frozen=True)
class Stored:
    """What the database holds about every channel's credential and activity."""

    connections: dict[str, Connection]
    activity: dict[str, ChannelActivity]


def stored(database: Database, channels: Iterable[str]) -> Stored:
    """The credentials stored, and what ``channels`` last did."""
    with database.reading() as session:
        return Stored(connections(session), channel_activity(session, channels))


@dataclass(frozen=True)
class ConnectionView:
    """One channel's credential as the page shows it, and how it can be connected."""

    report: CredentialReport
    method: str | None  # "oauth", "secret", or None (a webhook: nothing to connect)
    registers_app: bool  # Mastodon: no app to configure, so no callback address to register
    expiry: str  # "expires in 59 days", "does not expire", in the page's language
    lapsing: bool  # posting stops within EXPIRY_WARNING unless someone reconnects
    activity: ChannelActivity | None


def connection_view(
    channel: ChannelBase,
    found: Stored,
    now: datetime,
    gettext: Callable[[str], str],
    language: str,
) -> ConnectionView:
    connector = _connector(channel)
    report = credential_report(channel, found.connections.get(channel.id))
    lapses = _lapses_at(report)
    return ConnectionView(
        report=report,
        method="oauth"
        if isinstance(connector, OAuthConnector)
        else "secret"
        if isinstance(connector, SecretConnector)
        else None,
        registers_app=isinstance(connector, OAuthConnector) and connector.registers_app,
        expiry=_expiry(report.expires_at, now, gettext, language),
        lapsing=lapses is not None and lapses - now < EXPIRY_WARNING,
        activity=found.activity.get(channel.id),
    )


def _connector(channel: ChannelBase) -> Connector[Any] | None:
    try:
        return connector_for(channel)
    except LookupError:  # a webhook: its secret stays in secret_env
        return None


def _lapses_at(report: CredentialReport) -> datetime | None:
    """When a connected credential stops working unless someone reconnects, as ``channels
    check`` reckons it (``ChannelHealth.lapses_at``): the refresh token's end for a credential
    that renews itself and whose renewals work, else the token's."""
    if report.source != "connected":
        return None
    if report.renews and not report.renewal_failing:
        return report.refresh_expires_at
    return report.expires_at


def _expiry(
    expires_at: datetime | None, now: datetime, gettext: Callable[[str], str], language: str
) -> str:
    if expires_at is None:
        return gettext(DOES_NOT_EXPIRE)
    left = expires_at - now
    time = str(format_timedelta(abs(left), locale=babel_locale(language), threshold=1.0))
    return gettext(EXPIRES_IN if left > timedelta(0) else EXPIRED_AGO) % {"time": time}
