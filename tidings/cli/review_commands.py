"""``tidings submit``, ``approve`` and ``request-changes``: the review workflow."""

from __future__ import annotations

from typing import Annotated

import typer

from drafts.authoring import draft_posts, get_draft
from drafts.changes import changes_since_seen
from drafts.messages import APPROVAL_RECORDED, APPROVED_AND_SCHEDULED, SENT_BACK
from drafts.review import SEEN_DIGITS, StaleReview
from drafts.review import approve as approve_draft
from drafts.review import request_changes as request_draft_changes
from drafts.review import submit as submit_draft
from drafts.times import show
from scheduler.connections import connections
from scheduler.credentials import vault_key_problem
from tidings.cli.change_views import print_post_changes
from tidings.cli.console import emit_json, err, say, warn
from tidings.cli.context import AppContext, app_context

DraftId = Annotated[int, typer.Argument(metavar="ID", help="The draft.")]


def submit(ctx: typer.Context, draft_id: DraftId) -> None:
    """Send a draft to review (refused, with every problem, if a post does not fit its channel).

    A channel that cannot publish from here for want of the vault key is warned about, not
    refused: the key matters where `tidings run` runs, and review can go on meanwhile."""
    context = app_context(ctx)
    with context.writing() as session:
        draft = submit_draft(
            session, draft_id=draft_id, actor=context.actor(session), config=context.config
        )
    targeted = [channel for channel in context.config.channels if channel.id in draft.channels]
    with context.reading() as session:
        connected = connections(session).keys()
    if problem := vault_key_problem(targeted, stored=connected):
        warn(str(problem))
    if context.json:
        emit_json({"id": draft.id, "status": draft.status})
    else:
        say(f"Draft {draft_id} is in review.")


def approve(
    ctx: typer.Context,
    draft_id: DraftId,
    comment: Annotated[str, typer.Option(help="A note for the author.")] = "",
    seen: Annotated[
        str | None,
        typer.Option(
            metavar="HASH",
            help="The content hash `tidings draft show` printed: refused if the draft changed since.",
        ),
    ] = None,
) -> None:
    """Approve a draft as it stands now (as a reviewer who did not write it).

    With --seen, only the content you read: refused if the draft changed since.
    """
    context = app_context(ctx)
    try:
        with context.writing() as session:
            decision = approve_draft(
                session,
                draft_id=draft_id,
                reviewer=context.actor(session),
                comment=comment,
                config=context.config,
                now=context.now(),
                seen=seen,
            )
    except StaleReview as stale:
        _print_changes_since(context, stale)
        raise
    draft = decision.draft
    if context.json:
        emit_json(
            {
                "id": draft.id,
                "status": draft.status,
                "approvals": decision.approvals,
                "required_approvals": decision.required,
                "scheduled_at": decision.scheduled_at.isoformat()
                if decision.scheduled_at
                else None,
                "content_hash": draft.content_hash,
            }
        )
        return
    say(f"You approved content {draft.content_hash[:SEEN_DIGITS]} of draft {draft_id}.")
    if decision.approvals < decision.required:
        counts = {"count": decision.approvals, "required": decision.required}
        say(APPROVAL_RECORDED % {**counts, "id": draft_id})
    elif decision.scheduled_at:
        when = show(decision.scheduled_at, context.config.zone)
        say(APPROVED_AND_SCHEDULED % {"id": draft_id, "when": when})
    else:
        passed = "Its publish_at has passed. " if decision.publish_at_passed else ""
        say(f"Draft {draft_id} approved. {passed}Next: tidings schedule {draft_id} --next-slot")


def _print_changes_since(context: AppContext, stale: StaleReview) -> None:
    """What changed since the reviewer's content, on stderr before the refusal."""
    with context.reading() as session:
        draft = get_draft(session, stale.draft_id)
        changes = changes_since_seen(
            session, draft, draft_posts(session, stale.draft_id), stale.seen
        )
    if changes is not None:
        print_post_changes(changes, f"Changed since {stale.seen[:SEEN_DIGITS]}:", err)


def request_changes(
    ctx: typer.Context,
    draft_id: DraftId,
    comment: Annotated[str, typer.Option(help="What should change (required).")],
) -> None:
    """Send a draft back to its author with a comment; its posts are unscheduled."""
    context = app_context(ctx)
    with context.writing() as session:
        draft = request_draft_changes(
            session,
            draft_id=draft_id,
            reviewer=context.actor(session),
            comment=comment,
            config=context.config,
        )
    if context.json:
        emit_json({"id": draft.id, "status": draft.status})
    else:
        say(SENT_BACK % {"id": draft_id})
