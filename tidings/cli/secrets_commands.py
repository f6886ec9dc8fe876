"""``tidings secrets``: the vault of stored secrets, and changing the key that seals it."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Annotated

import typer

from tidings.cli.console import emit_json, say
from tidings.cli.context import app_context

app = typer.Typer(
    help="The stored secrets (connected tokens, renewed tokens, sessions) and their key.",
    no_args_is_help=True,
)


@app.command("rotate")
def rotate(
    ctx: typer.Context,
    old_key_env: Annotated[
        str,
        typer.Option(
            "--old-key-env",
            metavar="NAME",
            help="The environment variable holding the old key (TIDINGS_SECRET_KEY holds the new).",
        ),
    ],
) -> None:
    """Re-seal every stored secret from the old key to the new TIDINGS_SECRET_KEY.

    1. Stop every `tidings run` and `tidings web` (a daemon renewing a token meanwhile would
    seal it with the old key; rotate refuses while a daemon's heartbeat is recent).

    2. Run `tidings secrets rotate --old-key-env OLD`, with the old key in OLD and the new one
    in TIDINGS_SECRET_KEY.

    3. Start the daemons and the web again with the new key only.

    Every secret is re-sealed in one transaction, or none: one that the
    old key does not open stops the rotation. Connect flows under way
    are dropped (connect again). Without TIDINGS_WEB_SECRET, the web's
    sessions are signed with the key too: everyone signs in again.
    """
    from scheduler.key_rotation import rotate as rotate_vault
    from scheduler.key_rotation import rotation_keys

    context = app_context(ctx)
    keys = rotation_keys(old_key_env, os.environ)
    scheduler = context.config.scheduler
    lease = timedelta(seconds=scheduler.heartbeat_seconds * scheduler.missed_beats)
    with context.writing() as session:
        done = rotate_vault(session, keys, now=context.now(), lease=lease)
    if context.json:
        emit_json(
            {
                "secrets": done.secrets,
                "channels": done.channels,
                "dropped_connect_flows": done.dropped_flows,
            }
        )
        return
    say(
        f"Re-sealed {_count(done.secrets, 'secret')} ({_count(done.channels, 'channel')}) "
        "under the new TIDINGS_SECRET_KEY."
    )
    if done.dropped_flows:
        say(f"Dropped {_count(done.dropped_flows, 'connect flow')} under way: connect again.")
    say("Start the daemons and the web with the new key only.")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
