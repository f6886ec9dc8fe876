"""``tidings channels``: the configured channels and their health."""

from __future__ import annotations

import asyncio
import textwrap
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from drafts.times import show
from tidings.cli.console import emit_json, err, out
from tidings.cli.context import app_context
from tidings.cli.views import PLATFORM_NAMES, iso

if TYPE_CHECKING:  # the check's modules load when it runs, so --help stays quick
    from drafts.channel_activity import ChannelActivity
    from scheduler.channel_check import ChannelHealth, CredentialReport

app = typer.Typer(
    help="List channels and check that they can be reached and how they are connected.",
    no_args_is_help=True,
)


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """The channels in config.toml, with their languages and slots."""
    context = app_context(ctx)
    channels = context.config.channels
    if context.json:
        emit_json(
            [
                {
                    "id": c.id,
                    "platform": c.platform,
                    "languages": list(c.languages),
                    "slots": list(c.slots),
                }
                for c in channels
            ]
        )
        return
    table = Table(header_style="bold")
    for column in ("channel", "platform", "languages", "slots", "timezone"):
        table.add_column(column)
    for channel in channels:
        table.add_row(
            channel.id,
            channel.platform,
            ", ".join(channel.languages),
            ", ".join(channel.slots) or "-",
            channel.timezone or context.config.tidings.timezone,
        )
    out.print(table)


@app.command("check")
def check(
    ctx: typer.Context,
    channel: Annotated[str | None, typer.Option(help="Only this channel.")] = None,
) -> None:
    """Ask each channel's platform who it posts as, and say how it is connected.

    \b
    For each channel: reachable or not, who it posts as, when its token
    expires; where its credential comes from (a connection: by whom, when,
    scopes, renewal; or an environment variable); its last published post
    and its last error. A webhook has no such endpoint and is not called:
    a test message would be a real post."""
    from drafts.channel_activity import channel_activity
    from scheduler.channel_check import check_channels
    from scheduler.notifications.hooks import secret_problems
    from scheduler.notifications.settings_check import settings_problems
    from scheduler.vault import check_vault_key

    context = app_context(ctx)
    config = context.config
    channels = [config.channel(channel)] if channel else list(config.channels)
    now = context.now()
    database = context.database()
    check_vault_key(database, channels, renews=False)  # a wrong key: one line, nothing sent
    results = asyncio.run(check_channels(config, channels, database, now))
    with database.reading() as session:
        activity = channel_activity(session, [c.id for c in channels])
    if context.json:
        emit_json([health_json(r, now, activity.get(r.channel)) for r in results])
    else:
        for number, r in enumerate(results):
            if number:
                out.print()
            for line in health_lines(r, now, config.zone, activity.get(r.channel)):
                out.print(line, soft_wrap=False)  # wrapped by cells, never cut
    problems = settings_problems(config.notifications) + secret_problems(config)
    for problem in problems:  # beside the JSON on stdout, never in it
        (err if context.json else out).print(Text(f"problem: {problem}"), soft_wrap=True)
    if problems or not all(r.reachable for r in results):
        raise typer.Exit(1)


def health_json(
    health: ChannelHealth, now: datetime, activity: ChannelActivity | None = None
) -> dict[str, Any]:
    published = activity.published if activity is not None else None
    failed = activity.failed if activity is not None else None
    return {
        "channel": health.channel,
        "platform": health.platform,
        "reachable": None if health.unchecked else health.reachable,  # null: not checked
        "unchecked": health.unchecked,
        "posts_as": health.posts_as,
        "token_expires_at": iso(health.token_expires_at),
        "problem": health.problem,
        "warning": health.warning(now),
        "credential": credential_json(health.credential),
        "last_published": None
        if published is None
        else {"post_id": published.post_id, "at": iso(published.at), "url": published.remote_url},
        "last_error": None
        if failed is None
        else {"post_id": failed.post_id, "at": iso(failed.at), "error": failed.error},
    }


def credential_json(report: CredentialReport | None) -> dict[str, Any] | None:
    if report is None:
        return None
    return {
        "source": report.source,
        "variable": report.variable,
        "account_name": report.account_name,
        "account_id": report.account_id,
        "connected_by": report.connected_by,
        "connected_at": iso(report.connected_at),
        "scopes": list(report.scopes),
        "missing_scopes": list(report.missing_scopes),
        "expires_at": iso(report.expires_at),
        "refresh_expires_at": iso(report.refresh_expires_at),
        "renews": report.renews,
        "refreshed_at": iso(report.refreshed_at),
        "refresh_failed_at": iso(report.refresh_failed_at),
        "refresh_error": report.refresh_error,
    }


def health_lines(
    health: ChannelHealth, now: datetime, zone: tzinfo, activity: ChannelActivity | None = None
) -> list[Text]:
    """One channel's report, a few lines wrapped to the terminal: its name and whether it can
    be reached, then where its credential comes from, its expiry, what it last did, and any
    problem."""
    name = PLATFORM_NAMES.get(health.platform, health.platform)
    head = Text(f"{health.channel} ({name}): ", style="bold")
    if health.unchecked:
        head.append(f"not checked: {health.unchecked}", style="yellow")
    elif health.reachable:
        head.append("reachable", style="green")
    else:
        head.append("not reachable", style="red")
    details = [f"posts as {health.posts_as}"] if health.posts_as else []
    details.extend(credential_words(health, now, zone))
    details.extend(activity_words(activity, zone))
    if health.problem:
        details.append(f"problem: {health.problem}")
    elif warning := health.warning(now):
        details.append(f"warning: {warning}")
    width = max(out.width, 40)
    lines = [head]
    for detail in details:
        wrapped = textwrap.wrap(detail, width - 2, subsequent_indent="  ", break_on_hyphens=False)
        lines.extend(Text(f"  {line}") for line in wrapped)
    return lines


def credential_words(health: ChannelHealth, now: datetime, zone: tzinfo) -> list[str]:
    """Where the channel's credential comes from and how long it lasts, as sentences."""
    report = health.credential
    if report is None or report.source == "not needed":
        return []
    if report.source == "none":
        return ["not connected"]
    if report.source == "environment":
        words = [f"uses the environment variable {report.variable}"]
        if health.token_expires_at is not None:
            words.append(f"the token {expiry_words(health.token_expires_at, now)}")
        return words
    who = report.account_name or report.account_id or "an account"
    if report.account_id and report.account_id != who:
        who += f" (id {report.account_id})"
    words = [f"connected as {who}"]
    if report.connected_at is not None:
        words.append(f"connected by {report.connected_by} on {show(report.connected_at, zone)}")
    if report.scopes:
        words.append(f"scopes: {' '.join(report.scopes)}")
    if report.missing_scopes:
        words.append(f"missing scopes: {' '.join(report.missing_scopes)}")
    expiry = f"the token {expiry_words(report.expires_at, now, unknown='does not expire')}"
    if report.renews:
        expiry += "; renews by itself"
        if report.refresh_expires_at is not None:
            expiry += f" (its refresh token {expiry_words(report.refresh_expires_at, now)})"
    elif report.expires_at is not None:
        expiry += "; does not renew by itself: reconnect before then"
    words.append(expiry)
    if report.refreshed_at is not None:
        words.append(f"last renewed {show(report.refreshed_at, zone)}")
    if report.refresh_failed_at is not None:
        words.append(
            f"last renewal failed {show(report.refresh_failed_at, zone)}: "
            f"{report.refresh_error or 'no reason given'}"
        )
    return words


def activity_words(activity: ChannelActivity | None, zone: tzinfo) -> list[str]:
    """The channel's latest published post and its latest error, as the Channels page has them
    (nothing for a channel that never sent anything)."""
    if activity is None:
        return []
    words = []
    if (published := activity.published) is not None:
        words.append(f"last published {show(published.at, zone)} (post {published.post_id})")
    if (failed := activity.failed) is not None:
        words.append(
            f"last error {show(failed.at, zone)} (post {failed.post_id}): "
            f"{failed.error or 'no reason given'}"
        )
    return words


def expiry_words(expires_at: datetime | None, now: datetime, *, unknown: str = "") -> str:
    """``expires in 3 days``, ``expires in 5 hours``, ``expired 2 days ago``; ``unknown`` when
    there is no expiry."""
    if expires_at is None:
        return unknown
    left = expires_at - now
    if left <= timedelta(0):
        return f"expired {_span(-left)} ago"
    return f"expires in {_span(left)}"


def _span(length: timedelta) -> str:
    if length >= timedelta(days=2):
        return f"{length.days} days"
    if length >= timedelta(hours=2):
        return f"{length // timedelta(hours=1)} hours"
    minutes = max(1, length // timedelta(minutes=1))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
