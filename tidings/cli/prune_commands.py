"""``tidings prune --published-before DATE``: the finished drafts of long ago deleted, the audit
log kept (``drafts.pruning``); on SQLite, ``--vacuum`` gives the freed space back to the disk."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from drafts.errors import ScheduleError
from drafts.messages import Problem, reason_of
from drafts.pruning import Progress as PruneProgress
from drafts.pruning import Pruned, prune, vacuum
from drafts.times import parse_time, show
from tidings.cli.console import emit_json, err, say
from tidings.cli.context import AppContext, app_context


def prune_command(
    ctx: typer.Context,
    published_before: Annotated[
        str,
        typer.Option(
            "--published-before",
            metavar="DATE",
            help="Prune what ended before this date or time, in config.toml's timezone "
            "(2025-01-01, '2025-01-01 09:00', 2025-01-01T00:00Z).",
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go; change nothing.")
    ] = False,
    vacuum_file: Annotated[
        bool,
        typer.Option(
            "--vacuum", help="On SQLite, then rewrite the file without the freed space (VACUUM)."
        ),
    ] = False,
) -> None:
    """Delete the finished drafts whose posts all ended before DATE, with their posts, attempts,
    reviews and unused images, keeping the audit log (admins only)."""
    context = app_context(ctx)
    try:
        before = parse_time(published_before, context.config.zone, context.now())
    except ValueError as error:
        raise ScheduleError(Problem("published-before", reason_of(error))) from None
    with context.reading() as session:
        actor = context.actor(session)
    database = context.database()
    with _progress(context) as step:
        pruned = prune(database, before=before, actor=actor, dry_run=dry_run, progress=step)
    rewrite = vacuum_file and database.is_sqlite and not dry_run
    if context.json:
        sizes = vacuum(database) if rewrite else None
        emit_json(
            {
                **vars(pruned),
                "published_before": before.isoformat(),
                "dry_run": dry_run,
                **({"vacuum": {"before": sizes[0], "after": sizes[1]}} if sizes else {}),
            }
        )
        return
    when = show(before, context.config.zone)
    if dry_run:
        say(f"Would prune {_counts(pruned)} that ended before {when}; nothing was changed.")
        return
    say(f"Pruned {_counts(pruned)} that ended before {when}; the audit log is kept.")
    if rewrite:
        # Said before the rewrite, which takes a while on a big file (a gigabyte: about a
        # minute), while a terminal shows that it is under way (short: a live line is cut at
        # the terminal's width, and the next line names the file).
        with err.status("Rewriting the file without the freed space (VACUUM)"):
            before_size, after_size = vacuum(database)
        say(f"VACUUM: {database.display_path} went from {before_size:,} to {after_size:,} bytes.")
    elif database.is_sqlite:
        say(
            "SQLite keeps the freed space inside the file for new rows; to give it back to the "
            "disk, run `tidings prune` again with --vacuum (it rewrites the file; writers wait)."
        )
    elif vacuum_file:
        say("PostgreSQL's autovacuum takes the freed space back by itself; nothing to do.")


def _counts(pruned: Pruned) -> str:
    """``12 drafts, 30 posts, 41 attempts (12 variants, 8 reviews, 1 image)``."""

    def counted(count: int, noun: str) -> str:
        return f"{count:,} {noun}{'' if count == 1 else 's'}"

    main = (counted(pruned.drafts, "draft"), counted(pruned.posts, "post"))
    more = (counted(pruned.variants, "variant"), counted(pruned.reviews, "review"))
    return (
        f"{', '.join(main)}, {counted(pruned.attempts, 'attempt')} "
        f"({', '.join(more)}, {counted(pruned.images, 'image')})"
    )


@contextmanager
def _progress(context: AppContext) -> Iterator[PruneProgress | None]:
    """A progress bar over the draft ids walked, on a terminal only."""
    if context.json or not err.is_terminal:
        yield None
        return
    columns = (TextColumn("Pruning"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("Pruning", total=None)

        def step(walked: int, top: int) -> None:
            bar.update(task, completed=walked, total=top)

        yield step
