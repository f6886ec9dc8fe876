"""``tidings post``: settle a post the daemon could not (after looking at the channel)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from drafts.messages import QUEUED_AGAIN
from tidings.cli.console import emit_json, say
from tidings.cli.context import app_context

if TYPE_CHECKING:
    from drafts.models import Post

app = typer.Typer(help="Settle posts that need attention.", no_args_is_help=True)

PostId = Annotated[int, typer.Argument(metavar="ID", help="The post.")]


@app.command("mark-published")
def mark_published_command(
    ctx: typer.Context,
    post_id: PostId,
    url: Annotated[str, typer.Option("--url", help="Where the post is live.")],
    remote_id: Annotated[
        str | None,
        typer.Option(
            "--remote-id",
            help="The platform's id for the post, if you know it: the next part of a thread "
            "replies to it (Threads and Facebook need it; X, Mastodon, Bluesky and Telegram "
            "read it from the link).",
        ),
    ] = None,
) -> None:
    """Record that the post is live at URL (you checked the channel)."""
    from drafts.attention import mark_published

    context = app_context(ctx)
    with context.writing() as session:
        post = mark_published(
            session,
            post_id=post_id,
            url=url,
            actor=context.actor(session),
            now=context.now(),
            remote_id=remote_id,
        )
    if context.json:
        emit_json({"id": post.id, "status": post.status, "remote_url": post.remote_url})
    else:
        say(f"Post {post_id}{_of_chain(post)} marked published at {url}.")


@app.command("retry")
def retry_command(ctx: typer.Context, post_id: PostId) -> None:
    """Send the post again now (you checked that it is not live)."""
    from drafts.attention import retry_post

    context = app_context(ctx)
    with context.writing() as session:
        post = retry_post(session, post_id=post_id, actor=context.actor(session), now=context.now())
    if context.json:
        emit_json({"id": post.id, "status": post.status})
    else:
        say(QUEUED_AGAIN % {"id": f"{post_id}{_of_chain(post)}"})


def _of_chain(post: Post) -> str:
    """`` (part 2/4)``, `` (first comment)``: the part of a chain a post is; '' for a plain post."""
    from drafts.chains import part_label

    label = part_label(post.part, post.parts)
    return f" ({label})" if label else ""
