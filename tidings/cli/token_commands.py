"""``tidings token``: the HTTP API's tokens (``drafts.api_tokens``), made, listed and revoked."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from drafts.api_tokens import ALL_SCOPES, new_token, parse_scopes, revoke_token, tokens_of
from drafts.errors import ScheduleError
from drafts.times import parse_time, show
from drafts.users import find_user
from tidings.cli.console import emit_json, out, say
from tidings.cli.context import app_context
from tidings.cli.views import iso

app = typer.Typer(
    help="Make, list and revoke the tokens scripts call the HTTP API (/api/v1) with.",
    no_args_is_help=True,
)

_USER = typer.Option("--user", help="Whose token (default: the user acting, --as).")


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the token is for, like job-board.")],
    scopes: Annotated[
        list[str],
        typer.Option(
            "--scope",
            help=f"What it may do, one or more of: {', '.join(ALL_SCOPES)} (default: read).",
        ),
    ] = ["read"],  # noqa: B006 (typer reads the default, it is never changed)
    user: Annotated[str | None, _USER] = None,
    expires: Annotated[
        str | None, typer.Option("--expires", help="When it stops working, like 2027-06-30.")
    ] = None,
) -> None:
    """Make a token acting as a user within its scopes, shown once: only its hash is kept."""
    context = app_context(ctx)
    chosen = parse_scopes(scopes)
    expires_at = _expiry(expires, context.config.zone, context.now())
    with context.writing() as session:
        actor = context.actor(session)
        owner = user or actor.name
        token = new_token(
            session, user_name=owner, name=name, scopes=chosen, actor=actor, expires_at=expires_at
        )
    if context.json:
        emit_json({"user": owner, "name": name, "scopes": list(chosen), "token": token})
        return
    say(f"Token {name} for {owner} ({', '.join(chosen)}), shown this once:")
    say(f"  {token}")
    say("Send it as: Authorization: Bearer <token>")


@app.command("list")
def list_(ctx: typer.Context, user: Annotated[str | None, _USER] = None) -> None:
    """A user's tokens: name, scopes, expiry and last use (never the tokens themselves)."""
    context = app_context(ctx)
    with context.reading() as session:
        owner = find_user(session, user) if user else context.actor(session)
        tokens = tokens_of(session, owner)
    zone = context.config.zone
    if context.json:
        emit_json(
            [
                {
                    "name": t.name,
                    "scopes": t.scopes,
                    "created_at": iso(t.created_at),
                    "expires_at": iso(t.expires_at),
                    "last_used_at": iso(t.last_used_at),
                }
                for t in tokens
            ]
        )
        return
    if not tokens:
        say(f"{owner.name} has no API token.")
        return
    for t in tokens:
        expiry = f"expires {show(t.expires_at, zone)}" if t.expires_at else "does not expire"
        used = f"last used {show(t.last_used_at, zone)}" if t.last_used_at else "never used"
        out.print(f"{t.name}  ({', '.join(t.scopes)})  {expiry}, {used}", markup=False)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The token's name.")],
    user: Annotated[str | None, _USER] = None,
) -> None:
    """Revoke a token: the next request with it is refused."""
    context = app_context(ctx)
    with context.writing() as session:
        actor = context.actor(session)
        owner = user or actor.name
        revoke_token(session, user_name=owner, name=name, actor=actor)
    if context.json:
        emit_json({"user": owner, "name": name, "revoked": True})
        return
    say(f"Token {name} of {owner} revoked.")


def _expiry(text: str | None, zone: ZoneInfo, now: datetime) -> datetime | None:
    if text is None:
        return None
    try:
        at = parse_time(text, zone, now)
    except ValueError as error:
        raise ScheduleError(f"expires: {error}") from None
    if at <= now:
        raise ScheduleError(f"expires: {text} is in the past")
    return at
