"""``tidings backup FILE`` and ``tidings restore FILE``: a SQLite database copied while Tidings
runs, and put back once checked; for PostgreSQL, the ``pg_dump`` and ``pg_restore`` commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

from drafts.backups import (
    PAGES_PER_STEP,
    BackupError,
    back_up,
    check_backup,
    pg_dump_command,
    pg_restore_command,
    restore,
    sqlite_file,
)
from drafts.backups import Progress as PageProgress
from tidings.cli.console import emit_json, err, say
from tidings.cli.context import AppContext, app_context


def backup(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Where to write the copy.")],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Copy the SQLite database to FILE, consistent even while `tidings run` publishes; for
    PostgreSQL, print the pg_dump command to use."""
    context = app_context(ctx)
    url = context.config.database_url
    database = sqlite_file(url)
    if database is None:
        _say_command(context, pg_dump_command(url, str(file)), "back it up")
        return
    with page_progress("Backing up") as progress:
        made = back_up(database, file, force=force, progress=progress)
    if context.json:
        emit_json({"backup": str(made.path), "pages": made.pages, "bytes": made.size})
        return
    say(f"Backed {database} up to {made.path} ({made.size:,} bytes).")


def restore_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A backup made by tidings backup.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the database's content with FILE's.")
    ] = False,
) -> None:
    """Replace the SQLite database's content with a backup, once the backup is checked and no
    daemon runs; for PostgreSQL, print the pg_restore command to use."""
    context = app_context(ctx)
    url = context.config.database_url
    database = sqlite_file(url)
    if database is None:
        _say_command(context, pg_restore_command(url, str(file)), "restore it")
        return
    backup = check_backup(file)
    if database.exists():
        _refuse_while_a_daemon_runs(context)
    if not yes:
        raise BackupError(
            f"restore: this replaces everything in {database} with {file}'s content: "
            "add --yes to do it"
        )
    with page_progress("Restoring") as progress:
        pages = restore(backup, database, progress=progress)
    if context.json:
        emit_json(
            {
                "restored": str(database),
                "from": str(file),
                "pages": pages,
                "schema": backup.schema,
                "needs_upgrade": backup.needs_upgrade,
            }
        )
        return
    say(f"Restored {database} from {file} (schema {backup.schema}).")
    if backup.needs_upgrade:
        say("Its schema is older than this Tidings': run `tidings init` to upgrade it.")


def _refuse_while_a_daemon_runs(context: AppContext) -> None:
    """A daemon writing into the database would mix its work with the backup's rows. A daemon
    runs only on a database at the latest schema: on any other there is none to ask about."""
    from drafts.storage import head_revision
    from scheduler.key_rotation import running_daemons

    scheduler = context.config.scheduler
    lease = timedelta(seconds=scheduler.heartbeat_seconds * scheduler.missed_beats)
    database = context.database(check=False)
    if database.current_revision() == head_revision():
        with database.reading() as session:
            running = running_daemons(session, now=context.now(), lease=lease)
        if running:
            raise BackupError(
                f"restore: a daemon is running ({', '.join(running)}): stop `tidings run` first"
            )
    database.dispose()  # the restore writes through a connection of its own


def _say_command(context: AppContext, command: str, what: str) -> None:
    if context.json:
        emit_json({"command": command})
        return
    say(f"The database is on PostgreSQL: {what} with its own tool, which reads the password")
    say(f"from PGPASSWORD or ~/.pgpass:\n  {command}")


@contextmanager
def page_progress(what: str) -> Iterator[PageProgress | None]:
    """A progress bar on a terminal for a copy of more than one step; nothing otherwise."""
    if not err.is_terminal:
        yield None
        return
    with Progress(
        TextColumn(what), BarColumn(), TaskProgressColumn(), console=err, transient=True
    ) as bar:
        task = bar.add_task(what, start=False)

        def show(copied: int, total: int) -> None:
            if total > PAGES_PER_STEP:
                bar.start_task(task)
                bar.update(task, completed=copied, total=total)

        yield show
