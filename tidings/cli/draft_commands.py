"""``tidings draft``: add, list, show and edit drafts, and skip one occurrence of a repeating
draft."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from drafts.authoring import (
    add_draft,
    draft_place,
    draft_posts,
    edit_draft,
    get_draft,
    list_drafts,
)
from drafts.changes import changes_since_review
from drafts.credential_problems import CredentialCheck
from drafts.draft_file import DraftContent, read_draft_file
from drafts.errors import DraftError, ScheduleError
from drafts.keyset import paged
from drafts.learned_limits import LearnedLimits, learned_limits
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.media import PostImage
from drafts.media_files import read_media
from drafts.media_store import CleanImage
from drafts.messages import DRAFT_ADDED, Problem
from drafts.models import Draft, Post
from drafts.post_media import images_by_post
from drafts.queueing import skip_occurrence
from drafts.review import SEEN_DIGITS, approvals_of
from drafts.text_files import utf8_text
from drafts.times import show
from scheduler.connections import connections
from tidings.cli.change_views import print_changes, print_later_occurrences
from tidings.cli.console import emit_json, out, say
from tidings.cli.context import AppContext, app_context
from tidings.cli.paging import DEFAULT_LIMIT, After, Limit, say_more, with_cursors
from tidings.cli.views import (
    chains,
    credential_problems,
    draft_json,
    occurrence_label,
    occurrence_time,
    print_post,
    print_series,
    series,
)

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
    count = len(chains(posts))  # a thread and its first comment are one post
    say(DRAFT_ADDED % {"id": draft.id, "title": draft.title, "count": count})
    _print_posts(draft, posts, context, learned, images)
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
    status: Annotated[DraftStatus | None, typer.Option(help="Only drafts in this status.")] = None,
    limit: Limit = DEFAULT_LIMIT,
    after: After = None,
) -> None:
    """List drafts, the latest changed first, a page at a time (JSON: one list, each draft with
    its cursor)."""
    context = app_context(ctx)
    with context.reading() as session:
        found = list_drafts(session, status=status, limit=limit + 1, after=after)
    page = paged(found, limit, draft_place)
    drafts = page.rows
    if context.json:
        emit_json(
            with_cursors(
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
                ],
                page,
            )
        )
        return
    if not drafts:
        say(
            "No more drafts."
            if after is not None
            else "No drafts yet: add one with `tidings draft add FILE`."
        )
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
    say_more(page)


@app.command("show")
def show_(
    ctx: typer.Context,
    draft_id: Annotated[int, typer.Argument(metavar="ID", help="The draft to show.")],
    every_post: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Of a repeating draft, every occurrence's posts in full (by default, the "
            "first occurrence's, then how the later ones' texts differ from them).",
        ),
    ] = False,
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
    _print_posts(draft, posts, context, learned, images, credentials, every_post=every_post)
    if changes is not None:
        print_changes(changes, config.zone)


def _print_posts(
    draft: Draft,
    posts: Sequence[Post],
    context: AppContext,
    learned: LearnedLimits,
    images: Mapping[int, Sequence[PostImage]],
    credentials: Mapping[int, str] | None = None,
    *,
    every_post: bool = False,
) -> None:
    """Each post in full, with its channel's credential problem; of a repeating draft, its
    occurrences first, then every post in full with ``every_post``, else the first
    occurrence's in full and the later ones as their texts differ from them."""
    config = context.config
    credentials = credentials or {}
    if draft.repeat is None:
        for chain in chains(posts):  # a thread's parts and a first comment under one heading
            post_id = chain[0].id or 0
            problem = credentials.get(post_id)
            shown = images.get(post_id, ())
            print_post(chain[0], config, config.zone, learned, shown, problem, chain=chain)
        return
    everything = series(draft, config.zone)
    print_series(draft, everything, posts, config.zone)
    labels = {
        occurrence.number: occurrence_label(occurrence, config.zone) for occurrence in everything
    }
    ordered = sorted(posts, key=lambda post: (post.occurrence, post.id or 0))
    for chain in chains(ordered if every_post else [p for p in ordered if p.occurrence == 1]):
        post = chain[0]
        post_id = post.id or 0
        print_post(
            post,
            config,
            config.zone,
            learned,
            images.get(post_id, ()),
            credentials.get(post_id),
            occurrence=labels.get(post.occurrence, f"occurrence {post.occurrence}"),
            chain=chain,
        )
    if not every_post and len(everything) > 1:
        print_later_occurrences(draft.id or 0, everything, ordered, config, learned)


@app.command("skip")
def skip(
    ctx: typer.Context,
    draft_id: Annotated[int, typer.Argument(metavar="ID", help="A repeating draft.")],
    on: Annotated[
        str,
        typer.Option(
            "--on",
            metavar="DATE",
            help="The occurrence's date (YYYY-MM-DD, the config's timezone).",
        ),
    ],
) -> None:
    """Drop one occurrence of a repeating draft: its posts are skipped, the rest go on."""
    context = app_context(ctx)
    config = context.config
    day = _day(on)
    with context.writing() as session:
        skipped = skip_occurrence(
            session, draft_id=draft_id, day=day, actor=context.actor(session), config=config
        )
    with context.reading() as session:  # as it was left: done, when that was the last one
        draft = get_draft(session, draft_id)
        posts = draft_posts(session, draft_id)
    number = skipped[0].occurrence
    occurrence = next(each for each in series(draft, config.zone) if each.number == number)
    waiting = sorted({post.occurrence for post in posts if post.status == PostStatus.SCHEDULED})
    if context.json:
        emit_json(
            {
                "id": draft_id,
                "status": draft.status,
                "on": day.isoformat(),
                "occurrence": number,
                "skipped_posts": [post.id for post in skipped],
                "scheduled_occurrences": waiting,
            }
        )
        return
    listed = ", ".join(f"{post.channel} ({post.language})" for post in skipped)
    say(
        f"Draft {draft_id}: occurrence {number} ({occurrence_time(occurrence, config.zone)}) "
        f"skipped: {listed} will not be published."
    )
    if waiting:
        following = next(each for each in series(draft, config.zone) if each.number == waiting[0])
        say(
            f"{len(waiting)} occurrence(s) still scheduled; the next: "
            f"{occurrence_label(following, config.zone)}."
        )
    else:
        say(f"No occurrence is still scheduled: draft {draft_id} is {draft.status}.")


def _day(value: str) -> date:
    """``--on``'s date, or a ScheduleError naming ``on``."""
    try:
        if len(value.strip()) != len("2027-03-29"):
            raise ValueError(value)
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ScheduleError(
            Problem("on", f"{value!r} is not a date such as 2027-03-29 (YYYY-MM-DD)")
        ) from None
