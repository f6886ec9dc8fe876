"""``tidings feeds check``: each news feed read once, and the drafts its new items would
become, rehearsed as the daemon adds them and rolled back (``scheduler.news_feeds``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
import typer

from drafts.config import FeedSettings
from drafts.errors import StorageError, TidingsError
from tidings.cli.console import emit_json, out
from tidings.cli.context import AppContext, app_context

if TYPE_CHECKING:  # the feed reader loads when the check runs, so --help stays quick
    from scheduler.news_feeds import Rehearsed

app = typer.Typer(
    help="The news feeds the daemon reads into review: check what each would add now.",
    no_args_is_help=True,
)

CHECK_TIMEOUT = 10.0  # seconds to wait for a feed


@dataclass(frozen=True)
class FeedCheck:
    url: str
    problem: str | None  # the feed could not be read
    items: tuple[Rehearsed, ...]  # its new items, each with what stops its draft, if anything

    def as_json(self) -> dict[str, object]:
        items = [
            {"guid": each.item.guid, "title": each.item.title, "problem": each.problem}
            for each in self.items
        ]
        return {"url": self.url, "problem": self.problem, "items": items}


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Read each feed once and list the drafts its new items would become; nothing is written.

    Exit status 1 when a feed failed: it could not be read, or its author cannot write drafts.
    An item whose draft could not be made is listed, as the daemon leaves it, and fails nothing."""
    context = app_context(ctx)
    checks = [_check(context, feed) for feed in context.config.feeds]
    if context.json:
        emit_json([each.as_json() for each in checks])
    else:
        _print_checks(checks)
    if any(each.problem is not None for each in checks):
        raise typer.Exit(1)


def _print_checks(checks: list[FeedCheck]) -> None:
    if not checks:
        out.print("No feed is configured ([[feeds]] in config.toml).")
    for each in checks:
        out.print(f"{each.url}: {each.problem or _count(len(each.items))}")
        for rehearsed in each.items:
            if rehearsed.problem is None:
                out.print(f"  would add: {rehearsed.item.title}")
            else:
                out.print(f"  cannot add: {rehearsed.item.title}: {rehearsed.problem}")


def _check(context: AppContext, feed: FeedSettings) -> FeedCheck:
    from scheduler.news_feeds import FeedProblem, fetch, rehearse

    async def read() -> FeedCheck:
        async with httpx.AsyncClient(timeout=CHECK_TIMEOUT) as client:
            try:
                items = (await fetch(client, feed.url, None)).items or ()
            except FeedProblem as problem:
                return FeedCheck(feed.url, str(problem), ())
        if (unfit := _unfit_author(context, feed)) is not None:
            return FeedCheck(feed.url, unfit, ())
        found = rehearse(
            context.database(),
            feed=feed,
            items=items,
            config=context.config,
            library=context.library,
            now=context.now(),
        )
        return FeedCheck(feed.url, None, tuple(found))

    return asyncio.run(read())


def _unfit_author(context: AppContext, feed: FeedSettings) -> str | None:
    """Why the feed's author cannot write its drafts, if so: a problem of the feed, as the
    daemon holds it, not of each item."""
    from scheduler.news_feeds import check_author

    try:
        with context.reading() as session:
            check_author(session, feed=feed)
    except StorageError:
        raise
    except TidingsError as error:
        return str(error)
    return None


def _count(count: int) -> str:
    if count == 0:
        return "no new item"
    return "1 new item" if count == 1 else f"{count} new items"
