"""``tidings import FILE.csv``: one draft per row, all of them or none (``drafts.csv_import``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from drafts.csv_import import CreatedDraft, CsvError, Step, check_rows, read_table, store_drafts
from drafts.errors import DraftError
from drafts.times import show
from tidings.cli.console import emit_json, err, out, say
from tidings.cli.context import AppContext, app_context


def import_csv(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE.csv", help="A CSV file, UTF-8.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and list what would be created.")
    ] = False,
    submit: Annotated[
        bool, typer.Option("--submit", help="Send each draft to review once it is added.")
    ] = False,
) -> None:
    """Add one draft per row of a CSV file: all of them, or none and every problem listed."""
    context = app_context(ctx)
    with context.reading() as session:
        author = context.actor(session)
    data = _read(file)
    try:
        table = read_table(data, str(file))
        with _progress("Checking rows", len(table.rows), context) as step:
            planned = check_rows(
                table,
                folder=file.parent,
                config=context.config,
                library=context.library,
                now=context.now(),
                step=step,
            )
        with _progress("Adding drafts", len(planned), context) as step:
            created = store_drafts(
                context.database(),
                planned,
                name=str(file),
                author=author,
                config=context.config,
                library=context.library,
                submit=submit,
                rehearse=dry_run,
                step=step,
            )
    except CsvError as error:
        _refuse(error)
    _report(context, created, dry_run=dry_run)


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except FileNotFoundError:
        raise DraftError(f"{file}: no such file") from None
    except OSError as error:
        raise DraftError(f"{file}: cannot read: {error.strerror}") from None


def _refuse(error: CsvError) -> None:
    """Every problem on a line of its own, then the one line that says nothing was imported."""
    for found in error.problems:
        err.print(str(found), markup=False)
    count = len(error.problems)
    noun = "problem" if count == 1 else "problems"
    raise DraftError(f"{error.name}: {count} {noun}; nothing was imported")


@contextmanager
def _progress(what: str, total: int, context: AppContext) -> Iterator[Step]:
    """A progress bar while ``total`` rows are worked through, on a terminal only."""
    if context.json or not out.is_terminal:
        yield lambda: None
        return
    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=out, transient=True) as bar:
        task = bar.add_task(what, total=total)
        yield lambda: bar.advance(task)


def _report(context: AppContext, created: list[CreatedDraft], *, dry_run: bool) -> None:
    zone = context.config.zone
    if context.json:
        emit_json(
            [
                {
                    "row": each.row,
                    "id": each.id,
                    "status": each.status,
                    "title": each.title,
                    "channels": list(each.channels),
                    "languages": list(each.languages),
                    "publish_at": each.publish_at.isoformat() if each.publish_at else None,
                    "next_slot": each.next_slot,
                    "repeat": each.repeat,
                }
                for each in created
            ]
        )
        return
    table = Table(header_style="bold")
    for column in ("row", "title", "channels", "languages", "publish_at"):
        table.add_column(column)
    if not dry_run:
        table.add_column("draft")
    for each in created:
        when = (
            "next slot"
            if each.next_slot
            else show(each.publish_at, zone)
            if each.publish_at
            else ""
        )
        when += f", repeat {each.repeat}" if each.repeat else ""
        cells = [str(each.row), each.title, " ".join(each.channels), " ".join(each.languages), when]
        table.add_row(*cells, *([] if dry_run else [f"{each.id} ({each.status})"]))
    out.print(table)
    count = len(created)
    noun = "draft" if count == 1 else "drafts"
    if dry_run:
        say(f"Every row passes: {count} {noun} would be added. Nothing was written (--dry-run).")
    else:
        say(f"Added {count} {noun}.")
