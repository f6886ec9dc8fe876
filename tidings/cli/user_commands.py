"""``tidings user``: people and their roles."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from drafts.users import (
    add_user,
    hash_password,
    list_users,
    parse_role,
    set_language,
    set_password,
    unlock_user,
)
from tidings.cli.console import emit_json, say
from tidings.cli.context import app_context
from tidings.web.translations import parse_language

app = typer.Typer(
    help="Add and list users, set a password, unlock a user locked out by failed logins.",
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
) -> None:
    """Add a user. Once an admin exists, only admins may add users (pass --as ADMIN)."""
    context = app_context(ctx)
    parsed_role = parse_role(role)
    interface_language = parse_language(language) if language is not None else None
    password_hash = _read_password() if password_stdin else None
    with context.writing() as session:
        user = add_user(
            session,
            name=name,
            role=parsed_role,
            password_hash=password_hash,
            actor=context.optional_actor(session),
        )
        if interface_language is not None:
            assert user.id is not None  # add_user flushed the new row
            set_language(session, user_id=user.id, language=interface_language)
    if context.json:
        emit_json({"id": user.id, "name": user.name, "role": user.role, "language": user.language})
    else:
        shown = f", {user.language}" if user.language else ""
        say(f"Added {user.name} ({user.role}{shown}).")


def _read_password() -> str:
    return hash_password(sys.stdin.readline().rstrip("\n"))


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


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List users and their roles."""
    context = app_context(ctx)
    with context.reading() as session:
        users = list_users(session)
    if context.json:
        emit_json([{"id": u.id, "name": u.name, "role": u.role} for u in users])
        return
    if not users:
        say("No users yet: add one with `tidings user add NAME --role author`.")
    for user in users:
        say(f"{user.name:<20} {user.role}")
