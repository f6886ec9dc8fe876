"""``tidings user``: people, their roles, and where and what they hear (e-mail address,
timezone, notification events)."""

from __future__ import annotations

from typing import Annotated

import typer

from drafts.errors import TidingsError
from drafts.feed_tokens import feed_url, new_feed_token
from drafts.keyset import paged
from drafts.models import User
from drafts.notification_preferences import (
    parse_email,
    parse_events,
    parse_timezone,
    received,
    set_contact,
    set_received,
)
from drafts.users import (
    Role,
    add_user,
    find_user,
    hash_password,
    list_users,
    parse_role,
    set_language,
    set_password,
    unlock_user,
)
from tidings.cli.console import emit_json, say
from tidings.cli.context import app_context
from tidings.cli.paging import DEFAULT_LIMIT, After, Limit, say_more, with_cursors
from tidings.cli.text_input import stdin_line
from tidings.web.translations import parse_language

_EMAIL = typer.Option("--email", help="Where the user's notifications go (an empty value: none).")
_TIMEZONE = typer.Option(
    "--timezone",
    help="The IANA zone their notifications' dates are in, like Asia/Seoul (unset: the team's).",
)

app = typer.Typer(
    help=(
        "Add and list users, set a password, unlock a user locked out by failed logins, set "
        "where and what a user is notified, make a user's calendar feed link."
    ),
    no_args_is_help=True,
)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user's login name.")],
    role: Annotated[str, typer.Option("--role", help="author, reviewer or admin.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read a password for the web UI from stdin.")
    ] = False,
    language: Annotated[
        str | None,
        typer.Option(
            "--language",
            help="The web UI's language: en or ko (unset: the browser's, else English).",
        ),
    ] = None,
    email: Annotated[str | None, _EMAIL] = None,
    timezone: Annotated[str | None, _TIMEZONE] = None,
) -> None:
    """Add a user. Once an admin exists, only admins may add users (pass --as ADMIN)."""
    context = app_context(ctx)
    parsed_role = parse_role(role)
    interface_language = parse_language(language) if language is not None else None
    address = parse_email(email) if email is not None else None
    zone_name = parse_timezone(timezone) if timezone is not None else None
    password_hash = _read_password() if password_stdin else None
    with context.writing() as session:
        user = add_user(
            session,
            name=name,
            role=parsed_role,
            password_hash=password_hash,
            actor=context.optional_actor(session),
            email=address,
            timezone=zone_name,
        )
        if interface_language is not None:
            assert user.id is not None  # add_user flushed the new row
            set_language(session, user_id=user.id, language=interface_language)
    if context.json:
        emit_json(
            {
                "id": user.id,
                "name": user.name,
                "role": user.role,
                "language": user.language,
                "email": user.email,
                "timezone": user.timezone,
            }
        )
    else:
        shown = "".join(f", {each}" for each in (user.language, user.email) if each)
        say(f"Added {user.name} ({user.role}{shown}).")


def _read_password() -> str:
    return hash_password(stdin_line())


@app.command("passwd")
def passwd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user whose password to set.")],
) -> None:
    """Set a user's password for the web app, read from stdin (admins only, with --as ADMIN).
    Their web sessions end, and a lock after failed logins is lifted."""
    context = app_context(ctx)
    password_hash = _read_password()
    with context.writing() as session:
        set_password(session, name=name, password_hash=password_hash, actor=context.actor(session))
    if context.json:
        emit_json({"name": name, "password_set": True})
    else:
        say(f"Saved a new password for {name}; sessions opened with the old one have ended.")


@app.command("unlock")
def unlock(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user failed logins locked out.")],
) -> None:
    """Let a user locked out by failed logins try again at once (admins only, with --as ADMIN);
    their password stays as it is."""
    context = app_context(ctx)
    with context.writing() as session:
        was_locked = unlock_user(
            session, name=name, actor=context.actor(session), now=context.now()
        )
    if context.json:
        emit_json({"name": name, "was_locked": was_locked})
    elif was_locked:
        say(f"Unlocked {name}: they can log in again.")
    else:
        say(f"{name} was not locked.")


@app.command("set")
def set_(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user to change.")],
    email: Annotated[str | None, _EMAIL] = None,
    timezone: Annotated[str | None, _TIMEZONE] = None,
) -> None:
    """Change a user's e-mail address or timezone (yourself, or anyone as an admin, with --as);
    an empty value removes it."""
    context = app_context(ctx)
    if email is None and timezone is None:
        raise TidingsError("say what to change: --email ADDR, --timezone ZONE, or both")
    address = parse_email(email) if email is not None else None
    zone_name = parse_timezone(timezone) if timezone is not None else None
    with context.writing() as session:
        user = find_user(session, name)
        user = set_contact(
            session,
            name=name,
            email=address if email is not None else user.email,
            timezone=zone_name if timezone is not None else user.timezone,
            actor=context.actor(session),
        )
    if context.json:
        emit_json({"name": user.name, "email": user.email, "timezone": user.timezone})
    else:
        zone_shown = user.timezone or "the team's ([tidings] timezone)"
        say(f"{user.name}: e-mail {user.email or 'none'}, timezone {zone_shown}.")


@app.command("notify")
def notify(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user whose notifications to show or change.")],
    on: Annotated[
        list[str] | None, typer.Option("--on", help="An event to receive again (repeatable).")
    ] = None,
    off: Annotated[
        list[str] | None, typer.Option("--off", help="An event to stop receiving (repeatable).")
    ] = None,
) -> None:
    """Show the events a user is notified of, or turn some off and on (yourself, or anyone as
    an admin, with --as). Events: review_requested, changes_requested, approved, post_failed,
    credential_expiring, credential_refresh_failed (each role receives some of them)."""
    context = app_context(ctx)
    with context.writing() as session:
        user = find_user(session, name)
        if on or off:
            role = Role(user.role)
            turned_on, turned_off = parse_events(on or (), role), parse_events(off or (), role)
            if both := turned_on & turned_off:
                listed = ", ".join(sorted(both))
                raise TidingsError(f"events: {listed} cannot be both --on and --off")
            user = set_received(
                session, name=name, on=turned_on, off=turned_off, actor=context.actor(session)
            )
        hears = received(user)
    if context.json:
        emit_json({"name": user.name, "receives": list(hears), "off": user.muted_events})
        return
    listed = ", ".join(hears) or "nothing"
    muted = f"; turned off: {', '.join(user.muted_events)}" if user.muted_events else ""
    where = f" at {user.email}" if user.email else " (no e-mail address: chat only)"
    say(f"{user.name} is notified{where} of: {listed}{muted}.")


@app.command("feed-token")
def feed_token(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Whose calendar feed link.")],
    renew: Annotated[
        bool, typer.Option("--renew", help="Make a new link; the old one stops working.")
    ] = False,
) -> None:
    """Make a user's calendar feed link (yourself, or anyone as an admin, with --as), shown
    once: only its hash is kept. With --renew, a new one ends the old one."""
    context = app_context(ctx)
    with context.writing() as session:
        had_link = find_user(session, name).feed_token_hash is not None
        token = None
        if renew or not had_link:
            token = new_feed_token(session, name=name, actor=context.actor(session))
    url = feed_url(context.config, token) if token is not None else None
    if context.json:
        emit_json({"name": name, "url": url, "renewed": had_link and token is not None})
    elif url is None:
        say(
            f"{name} has a calendar feed link; it is kept hashed and cannot be shown again: "
            f"`tidings user feed-token {name} --renew` makes a new one (the old one stops working)."
        )
    else:
        ended = " (the old link no longer works)" if had_link else ""
        say(f"Calendar feed link for {name}{ended}, shown this once:")
        say(f"  {url}")
        if context.config.web.public_url is None:
            say("Put the web app's address before it; set [web] public_url to have it here.")


@app.command("list")
def list_(ctx: typer.Context, limit: Limit = DEFAULT_LIMIT, after: After = None) -> None:
    """List users by name, a page at a time, with their roles and e-mail addresses (JSON: one
    list, each user with its cursor)."""
    context = app_context(ctx)
    with context.reading() as session:
        page = paged(list_users(session, limit=limit + 1, after=after), limit, _name)
    users = page.rows
    if context.json:
        rows = [
            {"id": u.id, "name": u.name, "role": u.role, "email": u.email, "timezone": u.timezone}
            for u in users
        ]
        emit_json(with_cursors(rows, page))
        return
    if not users:
        say(
            "No more users."
            if after is not None
            else "No users yet: add one with `tidings user add NAME --role author`."
        )
    for user in users:
        say(f"{user.name:<20} {user.role:<9} {user.email or ''}".rstrip())
    say_more(page)


def _name(user: User) -> tuple[str]:
    return (user.name,)
