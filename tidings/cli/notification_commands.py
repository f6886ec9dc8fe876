"""``tidings notifications``: the latest deliveries, newest first, so that an operator sees a
notification that failed instead of never hearing of it; ``retry ID`` puts a given-up one back
in the outbox for the daemon to send."""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from drafts.times import show
from tidings.cli.console import emit_json, out, say
from tidings.cli.context import app_context
from tidings.cli.log_commands import indented
from tidings.cli.paging import DEFAULT_LIMIT, After, Limit, say_more, with_cursors
from tidings.cli.views import iso

if TYPE_CHECKING:  # the outbox's modules load when a command runs, so --help stays quick
    from scheduler.notifications.deliveries import DeliveryLine

STATUS_STYLES = {"sent": "green", "pending": "yellow", "failed": "red"}

app = typer.Typer(
    help="List the latest notification deliveries (who, status, tries, last error) and retry "
    "a failed one.",
    invoke_without_command=True,
)


@app.callback()
def deliveries(
    ctx: typer.Context,
    failed: Annotated[bool, typer.Option("--failed", help="Only the given-up ones.")] = False,
    limit: Limit = DEFAULT_LIMIT,
    after: After = None,
) -> None:
    """Notification deliveries, newest first, a page at a time: event, recipient (a user, or
    chat), status, tries, last error and when sent (JSON: one list, each with its cursor)."""
    if ctx.invoked_subcommand is not None:
        return
    from drafts.keyset import paged
    from scheduler.notifications.deliveries import recent_deliveries

    context = app_context(ctx)
    with context.reading() as session:
        found = recent_deliveries(session, failed_only=failed, limit=limit + 1, after=after)
    page = paged(found, limit, lambda line: (line.created_at, line.id))
    if context.json:
        emit_json(with_cursors([delivery_json(line) for line in page.rows], page))
        return
    if not page.rows:
        if after is not None:
            say("No more notifications.")
        else:
            say("No failed notifications." if failed else "No notifications yet.")
        return
    for line in page.rows:
        print_delivery(line, context.config.zone)
    say_more(page)


@app.command("retry")
def retry(
    ctx: typer.Context,
    delivery_id: Annotated[int, typer.Argument(metavar="ID", help="The delivery's id.")],
) -> None:
    """Put a failed delivery back in the outbox: the daemon tries it once more."""
    from drafts.users import Capability, require
    from scheduler.notifications.deliveries import retry_delivery

    context = app_context(ctx)
    with context.writing() as session:
        require(context.actor(session), Capability.NOTIFICATIONS)
        line = retry_delivery(session, delivery_id, now=context.now())
    if context.json:
        emit_json(delivery_json(line))
    else:
        say(f"Notification {line.id} ({line.event} to {line.recipient}) is pending again.")


def print_delivery(line: DeliveryLine, zone: tzinfo) -> None:
    """A delivery in lines that wrap, never cut: when, which and to whom, and its status; then
    its tries and when it was sent; then its last error, wrapped."""
    head = Text(f"{show(line.created_at, zone)} · notification {line.id} · {line.event}")
    head.append(f" to {line.recipient}: ")
    head.append(line.status, style=STATUS_STYLES.get(line.status, ""))
    facts = [f"{line.tries} {'try' if line.tries == 1 else 'tries'}"]
    facts += [f"sent at {show(line.sent_at, zone)}"] if line.sent_at is not None else []
    out.print(head, soft_wrap=False)
    out.print(indented(" · ".join(facts)), soft_wrap=False)
    if line.last_error and line.status != "sent":
        out.print(indented(line.last_error), soft_wrap=False)


def delivery_json(line: DeliveryLine) -> dict[str, object]:
    return {
        "id": line.id,
        "event": line.event,
        "recipient": line.recipient,
        "status": line.status,
        "tries": line.tries,
        "last_error": line.last_error,
        "sent_at": iso(line.sent_at),
        "created_at": iso(line.created_at),
    }
