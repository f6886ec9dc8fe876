"""A list on the command line, a page at a time (``drafts.keyset``): ``--limit N`` rows, then
``--after CURSOR`` to go on where that page ended, as its last line says (``more: --after
CURSOR``). Printed as JSON, a list stays a list, each row with its own ``cursor``: the last
row's is where the next page starts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from tidings.cli.console import say

if TYPE_CHECKING:
    from drafts.keyset import Page

DEFAULT_LIMIT = 50
# A page is for reading: a larger one is a query that reads too much at once.
MAX_LIMIT = 1_000

Limit = Annotated[
    int,
    typer.Option(
        "--limit", metavar="N", min=1, max=MAX_LIMIT, help="At most this many rows (one page)."
    ),
]
After = Annotated[
    str | None,
    typer.Option(
        "--after",
        metavar="CURSOR",
        help="Go on after this row: the cursor the last page ended with ('more: --after "
        "CURSOR'; in JSON, each row's cursor).",
    ),
]


def with_cursors(rows: list[dict[str, Any]], page: Page[Any]) -> list[dict[str, Any]]:
    """The page's rows as JSON objects, each with its ``cursor``."""
    return [{**row, "cursor": cursor} for row, cursor in zip(rows, page.tokens, strict=True)]


def say_more(page: Page[Any]) -> None:
    """The page's last line when another page follows: how to read it."""
    if page.after is not None:
        say(f"more: --after {page.after}")
