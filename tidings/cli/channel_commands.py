"""``tidings channels``: the configured channels and their health."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from tidings.cli.console import emit_json, out
from tidings.cli.context import app_context
from tidings.cli.views import iso

app = typer.Typer(help="List channels and check that they can be reached.", no_args_is_help=True)


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
    """Call each channel's identity endpoint: reachable, who it posts as, token expiry."""
    from scheduler.channel_check import check_channels

    context = app_context(ctx)
    config = context.config
    channels = [config.channel(channel)] if channel else list(config.channels)
    now = context.now()
    results = asyncio.run(check_channels(channels, context.database(), now))
    if context.json:
        emit_json(
            [
                {
                    "channel": r.channel,
                    "platform": r.platform,
                    "reachable": r.reachable,
                    "posts_as": r.posts_as,
                    "token_expires_at": iso(r.token_expires_at),
                    "problem": r.problem,
                    "warning": r.warning(now),
                }
                for r in results
            ]
        )
    else:
        table = Table(header_style="bold")
        for column in ("channel", "platform", "reachable", "posts as", "token expires", "note"):
            table.add_column(column)
        for r in results:
            table.add_row(
                r.channel,
                r.platform,
                Text("yes", style="green") if r.reachable else Text("no", style="red"),
                r.posts_as or "-",
                iso(r.token_expires_at) or "unknown",
                r.problem or r.warning(now) or "",
            )
        out.print(table)
    if not all(r.reachable for r in results):
        raise typer.Exit(1)
