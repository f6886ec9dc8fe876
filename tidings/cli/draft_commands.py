"""``tidings draft``: add, list, show and edit drafts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from drafts.authoring import add_draft, draft_posts, edit_draft, get_draft, list_drafts
from drafts.changes import changes_since_review
from drafts.credential_problems import CredentialCheck
from drafts.draft_file import DraftContent, read_draft_file
from drafts.errors import DraftError
from drafts.learned_limits import learned_limits
from drafts.media_files import read_media
from drafts.media_store import CleanImage
from drafts.messages import DRAFT_ADDED
from drafts.post_media import images_by_post
from drafts.review import SEEN_DIGITS, approvals_of
from drafts.text_files import utf8_text
from drafts.times import show
from scheduler.connections import connections
from tidings.cli.console import emit_json, out, say
from tidings.cli.context import AppContext, app_context
from tidings.cli.views import credential_problems, draft_json, print_changes, print_post

app = typer.Typer(help="Add, list, show and edit drafts.", no_args_is_help=True)


def _read(context: AppContext, path: Path) -> tuple[DraftContent, list[CleanImage]]:
    """The draft file's content and the images it names, read from beside it and cleaned."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DraftError(f"{path}: no such file") from None
    except OSError as error:
        raise DraftError(f"{path}: cannot read: {error.strerror}") from None
    source = utf8_text(data, str(path), DraftError)
    content = read_draft_file(source, str(path), context.config, context.now())
    return read_media(content, path.parent, str(path))


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """Errors found while rendering a draft file's posts name the file, as parse errors do."""
    try:
        yield
    except DraftError as error:
        raise DraftError(f"{path}: {error}") from None


@app.command("add")
def add(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A draft file (TOML).", show_default=False)],
) -> None:
    """Add a draft from a draft file; prints its posts with their lengths."""
    context = app_context(ctx)
    content, cleaned = _read(context, file)
    with context.writing() as session, _naming(file):
        author = context.actor(session)
        draft = add_draft(
            session,
            content=content,
            author=author,
            config=context.config,
            library=context.library,
            images=cleaned,
        )
        posts = draft_posts(session, draft.id or 0)
        learned = learned_limits(session)
        images = images_by_post(session, [post.id or 0 for post in posts])
    if context.json:
        emit_json(draft_json(draft, posts, context.config, learned, images))
        return
    say(DRAFT_ADDED % {"id": draft.id, "title": draft.title, "count": len(posts)})
    for post in posts:
        print_post(post, context.config, context.config.zone, learned, images.get(post.id or 0, ()))
    say(f"Next: tidings submit {draft.id}")


@app.command("edit")
def edit(
    ctx: typer.Context,
    draft_id: Annotated[int, typer.Argument(metavar="ID", help="The draft to change.")],
    file: Annotated[Path, typer.Argument(help="The draft file with the new content.")],
) -> None:
    """Replace a draft's content. A reviewed draft whose posts change goes back to review."""
    context = app_context(ctx)
    content, cleaned = _read(context, file)
    with context.writing() as session, _naming(file):
        outcome = edit_draft(
            session,
            draft_id=draft_id,
            content=content,
            editor=context.actor(session),
            config=context.config,
            library=context.library,
            images=cleaned,
        )
        posts = draft_posts(session, draft_id)
        learned = learned_limits(session)
        images = images_by_post(session, [post.id or 0 for post in posts])
    draft = outcome.draft
    if context.json:
        emit_json(
            draft_json(
                draft,
                posts,
                context.config,
                learned,
                images,
                changed=outcome.changed,
                back_to_review=outcome.back_to_review,
            )
        )
        return
    say(outcome.message % {"id": draft_id, "status": draft.status})


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Only drafts in this status.")] = None,
) -> None:
    """List drafts, newest first."""
    context = app_context(ctx)
    with context.reading() as session:
        drafts = list_drafts(session, status=status)
    if context.json:
        emit_json(
            [
                {
                    "id": d.id,
                    "status": d.status,
                    "kind": d.kind,
                    "title": d.title,
                    "channels": d.channels,
                    "languages": d.languages,
                    "updated_at": d.updated_at.isoformat(),
                }
                for d in drafts
            ]
        )
        return
    if not drafts:
        say("No drafts yet: add one with `tidings draft add FILE`.")
        return
    table = Table(header_style="bold")
    for column in ("id", "status", "kind", "title", "languages", "channels", "updated"):
        table.add_column(column)
    for d in drafts:
        table.add_row(
            str(d.id),
            d.status,
            d.kind,
            d.title,
            ", ".join(d.languages),
            ", ".join(d.channels),
            show(d.updated_at, context.config.zone),
        )
    out.print(table)


@app.command("show")
def show_(
    ctx: typer.Context,
    draft_id: Annotated[int, typer.Argument(metavar="ID", help="The draft to show.")],
) -> None:
    """Show a draft with every post exactly as it will be sent, its length and limit, and problems."""
    context = app_context(ctx)
    config = context.config
    with context.reading() as session:
        draft = get_draft(session, draft_id)
        posts = draft_posts(session, draft_id)
        approvals = approvals_of(session, draft)
        learned = learned_limits(session)
        changes = changes_since_review(session, draft, posts)
        images = images_by_post(session, [post.id or 0 for post in posts])
        check = CredentialCheck(config, connections(session), os.environ, context.now())
    credentials = credential_problems(check, draft, posts, config.zone)
    required = config.review.required_approvals
    if context.json:
        emit_json(
            draft_json(
                draft,
                posts,
                config,
                learned,
                images,
                credentials,
                approvals=approvals,
                required_approvals=required,
            )
        )
        return
    say(f"Draft {draft.id} · {draft.kind} · {draft.title}")
    say(f"status: {draft.status} (approvals {approvals} of {required})")
    seen = draft.content_hash[:SEEN_DIGITS]
    say(f"content: {seen} (tidings approve {draft.id} --seen {seen})")
    say(f"languages: {', '.join(draft.languages)} · channels: {', '.join(draft.channels)}")
    if draft.publish_next_slot:
        say("publish: in the next free slot once approved")
    elif draft.publish_at:
        say(f"publish: {show(draft.publish_at, config.zone)} once approved")
    if draft.expires_at:
        say(f"expires: {show(draft.expires_at, config.zone)}")
    for post in posts:
        post_id = post.id or 0
        problem = credentials.get(post_id)
        print_post(post, config, config.zone, learned, images.get(post_id, ()), problem)
    if changes is not None:
        print_changes(changes, config.zone)
