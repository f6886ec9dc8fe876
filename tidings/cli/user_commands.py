"""``tidings user``: people and their roles."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from drafts.users import add_user, hash_password, list_users, parse_role, set_language
from tidings.cli.console import emit_json, say
from tidings.cli.context import app_context
from tidings.web.translations import parse_language

app = typer.Typer(help="Add and list users.", no_args_is_help=True)


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
