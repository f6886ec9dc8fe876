"""``tidings log``: every attempt to publish, newest first, and the images of the posts it
names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Annotated

import typer
from rich.padding import Padding
from rich.text import Text

from drafts.attempts import attempt_log, attempt_place
from drafts.chains import part_label
from drafts.keyset import paged
from drafts.lifecycle import PostStatus
from drafts.media import PostImage
from drafts.models import Attempt, Post
from drafts.post_media import images_by_post
from drafts.times import show
from tidings.cli.console import emit_json, out, say, visible
from tidings.cli.context import app_context
from tidings.cli.paging import DEFAULT_LIMIT, After, Limit, say_more, with_cursors
from tidings.cli.views import iso


def log(
    ctx: typer.Context,
    post: Annotated[int | None, typer.Option("--post", help="Only this post's attempts.")] = None,
    limit: Limit = DEFAULT_LIMIT,
    after: After = None,
) -> None:
    """Attempts to publish, newest first; then the images of each post they name."""
    context = app_context(ctx)
    with context.reading() as session:
        found = attempt_log(session, post_id=post, limit=limit + 1, after=after)
        page = paged(found, limit, attempt_place)
        rows = page.rows
        images = images_by_post(session, {p.id for _, p in rows if p.id is not None})
    if context.json:
        emit_json(with_cursors([attempt_json(attempt, p) for attempt, p in rows], page))
        return
    if not rows:
        say("No more attempts." if after is not None else "No attempts yet.")
        return
    zone = context.config.zone
    for attempt, row_post in rows:
        print_attempt(attempt, row_post, zone)
    for line in image_lines(rows, images):
        out.print(Text(line))
    say_more(page)


OUTCOME_STYLES = {"published": "green", "retry": "yellow", "failed": "red", "unknown": "red"}


def print_attempt(attempt: Attempt, post: Post, zone: tzinfo) -> None:
    """One attempt in lines that wrap, never cut: when, which post and how it ended; then its
    status, duration and worker; then the link it made or the platform's id, whole (a link
    broken by a line end opens nowhere: the terminal wraps it), or the error, wrapped. A table
    of these cut the time, the channel and every link short at 80 columns. The post is named
    by its channel and language (a draft's posts on one channel differ by language), and an
    attempt at a part of a chain by the part too (``part 2/4``, ``first comment``)."""
    which = f"post {attempt.post_id} · {post.channel} · {post.language}"
    head = Text(f"{show(attempt.started_at, zone)} · {which}")
    if label := part_label(post.part, post.parts):  # of a chain: which part was tried
        head.append(f" · {label}")
    head.append(f" · attempt {attempt.number}: ")
    outcome = attempt.outcome or "in flight"
    head.append(outcome, style=OUTCOME_STYLES.get(outcome, ""))
    facts = [f"HTTP {attempt.http_status}"] if attempt.http_status else []
    facts += [f"{attempt.duration_ms:,} ms"] if attempt.duration_ms is not None else []
    facts.append(f"by {attempt.worker}")
    out.print(head, soft_wrap=False)
    out.print(indented(" · ".join(facts)), soft_wrap=False)
    if where := attempt.remote_url or attempt.remote_id:
        out.print(Text(f"    {visible(where)}"), soft_wrap=True)
    elif attempt.error:
        out.print(indented(attempt.error), soft_wrap=False)


def indented(line: str) -> Padding:
    """``line`` under an attempt's first line, wrapped at words (a longer word is broken). Its
    control characters are made visible first, so that it is measured as it will be shown."""
    return Padding(Text(visible(line), overflow="fold"), (0, 0, 0, 4), expand=False)


def image_lines(
    rows: Sequence[tuple[Attempt, Post]], images: Mapping[int, Sequence[PostImage]]
) -> list[str]:
    """The images of each post the attempts name, once a post, in the table's order: one line
    an image with its file (or SHA-256 prefix), pixels, bytes and the platform's id for it."""
    if not images:  # the page's posts send none: no need of every adapter, with httpx
        return []
    from scheduler.platforms.uploads import remote_media_id

    posts: dict[int | None, Post] = {}
    for _, row_post in rows:
        posts.setdefault(row_post.id, row_post)
    lines: list[str] = []
    for row_post in posts.values():
        sent = images.get(row_post.id or 0, ())
        if sent:
            lines.append(f"Images of post {row_post.id} ({row_post.channel}):")
        for number, each in enumerate(sent, start=1):
            image = each.image
            remote = remote_media_id(row_post.publish_state, image.sha256)
            lines.append(
                f"  {number}. {each.name or image.sha256[:12]} · {image.width}×{image.height}"
                f" · {image.bytes:,} bytes · {_remote_words(remote, row_post)}"
            )
    return lines


def _remote_words(remote_id: str | None, post: Post) -> str:
    """The platform's id of an uploaded image, or why there is none: not uploaded yet, or
    sent within the post's own request (Telegram, a webhook, a single Facebook photo)."""
    if remote_id:
        return f"remote id {remote_id}"
    if post.status == PostStatus.PUBLISHED:
        return "no remote id: sent within the post"
    return "not uploaded yet"


def attempt_json(attempt: Attempt, post: Post) -> dict[str, object]:
    """An attempt as the JSON contract says, with the part of its post's chain it tried
    (``part`` of ``parts``; ``parts + 1`` is the first comment)."""
    return {
        "id": attempt.id,
        "post_id": attempt.post_id,
        "channel": post.channel,
        "part": post.part,
        "parts": post.parts,
        "number": attempt.number,
        "outcome": attempt.outcome,
        "http_status": attempt.http_status,
        "remote_id": attempt.remote_id,
        "remote_url": attempt.remote_url,
        "error": attempt.error,
        "started_at": iso(attempt.started_at),
        "finished_at": iso(attempt.finished_at),
        "duration_ms": attempt.duration_ms,
        "worker": attempt.worker,
    }
