"""The command tree. Global options work before or after a command's name.

Commands are listed in COMMANDS and imported only when they run (tidings.cli.lazy): add a
command as a line there, with the one-line help its listing shows.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tidings.cli.lazy import HELP_NAMES, LazyCommand, LazyGroup

COMMANDS = (
    LazyCommand(
        "init",
        "tidings.cli.setup_commands",
        "init",
        "Create the database, or upgrade it to the latest schema; write config.toml if missing.",
    ),
    LazyCommand(
        "submit",
        "tidings.cli.review_commands",
        "submit",
        "Send a draft to review (refused, with every problem, if a post does not fit its channel).",
    ),
    LazyCommand(
        "approve",
        "tidings.cli.review_commands",
        "approve",
        "Approve a draft as it stands now (as a reviewer who did not write it).",
    ),
    LazyCommand(
        "request-changes",
        "tidings.cli.review_commands",
        "request_changes",
        "Send a draft back to its author with a comment; its posts are unscheduled.",
    ),
    LazyCommand(
        "schedule",
        "tidings.cli.queue_commands",
        "schedule",
        "Queue an approved draft's posts, move a scheduled draft, or publish it now (--at now).",
    ),
    LazyCommand(
        "unschedule",
        "tidings.cli.queue_commands",
        "unschedule",
        "Take a scheduled draft's posts out of the queue: it stays approved, to schedule again.",
    ),
    LazyCommand(
        "cancel",
        "tidings.cli.queue_commands",
        "cancel",
        "Cancel a draft and its posts that are not out yet.",
    ),
    LazyCommand(
        "queue",
        "tidings.cli.queue_commands",
        "queue",
        "Upcoming posts in time order, per channel (JSON: one list, times in UTC).",
    ),
    LazyCommand(
        "import",
        "tidings.cli.import_commands",
        "import_csv",
        "Add one draft per row of a CSV file: all of them, or none and every problem listed.",
    ),
    LazyCommand(
        "log",
        "tidings.cli.log_commands",
        "log",
        "Attempts to publish, newest first; then the images of each post they name.",
    ),
    LazyCommand(
        "notifications",
        "tidings.cli.notification_commands",
        "app",
        "List the latest notification deliveries (who, status, tries, last error) and retry a "
        "failed one.",
    ),
    LazyCommand(
        "run",
        "tidings.cli.publish_commands",
        "run",
        "Publish due, approved posts until stopped (SIGTERM/SIGINT finish in-flight work first).",
    ),
    LazyCommand(
        "sandbox",
        "tidings.cli.publish_commands",
        "sandbox",
        "Serve the sandbox: the platforms' APIs on loopback, and a page of what they received.",
    ),
    LazyCommand(
        "demo",
        "tidings.cli.publish_commands",
        "demo",
        "Run the whole path on this machine: draft, review, schedule, publish to the sandbox.",
    ),
    LazyCommand(
        "web",
        "tidings.cli.web_commands",
        "web",
        "Serve the web app for reviewers and comms staff (needs TIDINGS_WEB_SECRET or "
        "TIDINGS_SECRET_KEY to sign session cookies), with /healthz, /readyz and /metrics.",
    ),
    LazyCommand(
        "backup",
        "tidings.cli.backup_commands",
        "backup",
        "Copy the SQLite database to FILE, consistent even while `tidings run` publishes; for "
        "PostgreSQL, print the pg_dump command to use.",
    ),
    LazyCommand(
        "restore",
        "tidings.cli.backup_commands",
        "restore_command",
        "Replace the SQLite database's content with a backup, once the backup is checked and no "
        "daemon runs; for PostgreSQL, print the pg_restore command to use.",
    ),
    LazyCommand(
        "prune",
        "tidings.cli.prune_commands",
        "prune_command",
        "Delete the finished drafts whose posts all ended before DATE, with their posts, "
        "attempts, reviews and unused images, keeping the audit log (admins only).",
    ),
    LazyCommand(
        "user",
        "tidings.cli.user_commands",
        "app",
        "Add and list users, set a password, unlock a user locked out by failed logins, set "
        "where and what a user is notified, make a user's calendar feed link.",
    ),
    LazyCommand("draft", "tidings.cli.draft_commands", "app", "Add, list, show and edit drafts."),
    LazyCommand(
        "channels",
        "tidings.cli.channel_commands",
        "app",
        "List channels and check that they can be reached and how they are connected.",
    ),
    LazyCommand(
        "secrets",
        "tidings.cli.secrets_commands",
        "app",
        "The stored secrets (connected tokens, renewed tokens, sessions) and their key.",
    ),
    LazyCommand("post", "tidings.cli.post_commands", "app", "Settle posts that need attention."),
    LazyCommand(
        "token",
        "tidings.cli.token_commands",
        "app",
        "Make, list and revoke the tokens scripts call the HTTP API (/api/v1) with.",
    ),
    LazyCommand(
        "feeds",
        "tidings.cli.feed_commands",
        "app",
        "The news feeds the daemon reads into review: check what each would add now.",
    ),
)


class Tidings(LazyGroup):
    """The ``tidings`` group: COMMANDS, each imported when it runs."""

    table = COMMANDS


app = typer.Typer(
    name="tidings",
    cls=Tidings,
    help="Tidings: write, review and schedule posts in several languages for many channels.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    epilog="--config, --as and --json may also come after the command's name.",
    context_settings={"help_option_names": HELP_NAMES},
)


def show_version(value: bool) -> None:
    """``--version``: the installed package's version, then stop (nothing else is read)."""
    if value:
        from importlib.metadata import version  # 40 ms of imports, for this option only

        typer.echo(f"tidings {version('tidings')}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="config.toml to use (default: $TIDINGS_CONFIG, ./config.toml).",
        ),
    ] = None,
    as_user: Annotated[
        str | None,
        typer.Option("--as", metavar="NAME", help="Act as this user (default: $TIDINGS_USER)."),
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=show_version, is_eager=True, help="Print the version and stop."
        ),
    ] = False,
) -> None:
    from tidings.cli.context import AppContext  # what a command needs, not `tidings --help`

    context = AppContext(config_option=config, user_option=as_user, json=json)
    ctx.obj = context
    ctx.call_on_close(context.close)
