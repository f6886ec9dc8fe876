"""How drafts, posts and the queue look on the terminal and in JSON."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from types import MappingProxyType
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from drafts.changes import Change, Changes, PostChange
from drafts.composing import text_problems, text_rules
from drafts.config import Config
from drafts.learned_limits import LearnedLimits
from drafts.models import Draft, Post
from drafts.review import APPROVED
from drafts.text_rules import measure
from drafts.times import show
from scheduler.preview import Preview, preview
from tidings.cli.console import out

NO_LIMITS: LearnedLimits = MappingProxyType({})

CHANGE_WORDS = {
    Change.ADDED: "new post",
    Change.REMOVED: "no longer posted",
    Change.CHANGED: "text changed",
}
PLATFORM_NAMES = {
    "linkedin": "LinkedIn",
    "x": "X",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "facebook": "Facebook",
    "threads": "Threads",
    "telegram": "Telegram",
    "webhook": "Webhook",
}


def iso(instant: datetime | None) -> str | None:
    """ISO 8601 in UTC with its offset, as the JSON contract says."""
    return instant.isoformat() if instant else None


def post_json(
    post: Post, config: Config, *, with_request: bool = False, learned: LearnedLimits = NO_LIMITS
) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if with_request:
        extra["request"] = _preview(post, config).request_json()
    channel = config.channel(post.channel)
    measurements = measure(post.platform, post.text, text_rules(channel, learned))
    return {
        "id": post.id,
        "draft_id": post.draft_id,
        "channel": post.channel,
        "platform": post.platform,
        "language": post.language,
        "text": post.text,
        "length": measurements[0].length,  # measured now: an instance's limit can change
        "limit": measurements[0].limit,
        "status": post.status,
        "due_at": iso(post.due_at),
        "remote_id": post.remote_id,
        "remote_url": post.remote_url,
        "problems": text_problems(post.text, measurements),
        **extra,
    }


def draft_json(
    draft: Draft,
    posts: Sequence[Post],
    config: Config,
    learned: LearnedLimits = NO_LIMITS,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": draft.id,
        "status": draft.status,
        "kind": draft.kind,
        "title": draft.title,
        "template": draft.template,
        "channels": draft.channels,
        "languages": draft.languages,
        "publish_at": "next-slot" if draft.publish_next_slot else iso(draft.publish_at),
        "expires_at": iso(draft.expires_at),
        "content_hash": draft.content_hash,
        **extra,
        "posts": [post_json(post, config, with_request=True, learned=learned) for post in posts],
    }


def print_post(
    post: Post, config: Config, zone: tzinfo, learned: LearnedLimits = NO_LIMITS
) -> None:
    """One post exactly as it will be sent, with its length against the platform's limit and,
    under it, each of its problems."""
    channel = config.channel(post.channel)
    measurements = measure(post.platform, post.text, text_rules(channel, learned))
    problems = text_problems(post.text, measurements)
    counts = ", ".join(_count(m.length, m.limit, m.unit) for m in measurements)
    status = post.status + (f" at {show(post.due_at, zone)}" if post.due_at else "")
    title = (
        f"#{post.id} {post.channel} · {PLATFORM_NAMES[post.platform]} · {post.language} · {status}"
    )
    verdict = Text(f"{counts}  ", style="red" if problems else "green")
    verdict.append(f"✗ {len(problems)} problem(s)" if problems else "✓ fits")
    body = Text(_preview(post, config).displayed)
    panel = Panel(body, title=title, title_align="left", subtitle=verdict, subtitle_align="left")
    out.print(panel, soft_wrap=False)  # the console's soft wrap would crop the text at the border
    for problem in problems:  # below the panel, where no border cuts a long one short
        out.print(Text(f"  ✗ {problem}", style="red"))


def print_changes(changes: Changes, zone: tzinfo) -> None:
    """What changed since the last review decision, in wdiff's marks (``[-old-]{+new+}``), which
    read the same with colours or without."""
    verb = "approved it" if changes.decision == APPROVED else "asked for changes"
    heading = f"Changed since {changes.reviewer} {verb} ({show(changes.at, zone)}):"
    print_post_changes(changes.posts, heading, out)


def print_post_changes(posts: Sequence[PostChange], heading: str, console: Console) -> None:
    """Posts that are new, gone or changed under ``heading``, a changed text in wdiff's marks."""
    console.print(Text(heading))
    for post in posts:
        console.print(Text(f"  {post.channel} ({post.language}): {CHANGE_WORDS[post.change]}"))
        line = Text("    ")
        for piece in post.pieces:
            if piece.change == Change.REMOVED:
                line.append(f"[-{piece.text}-]", style="red strike")
            elif piece.change == Change.ADDED:
                line.append(f"{{+{piece.text}+}}", style="green")
            else:
                line.append(piece.text)
        console.print(line)
    if not posts:
        console.print(Text("  The posts read the same; only their order or timing changed."))


def _preview(post: Post, config: Config) -> Preview:
    """The text as read back from the exact request the daemon would send (guarantee 4)."""
    assert post.id is not None
    return preview(
        post_id=post.id,
        text=post.text,
        language=post.language,
        channel=config.channel(post.channel),
    )


def _count(length: int, limit: int | None, unit: str) -> str:
    return f"{length:,} {unit}" if limit is None else f"{length:,} / {limit:,} {unit}"


def queue_table(posts: Sequence[Post], zone: tzinfo, titles: dict[int, str]) -> Table:
    table = Table(title=None, show_lines=False, header_style="bold")
    for column in ("due", "channel", "lang", "post", "draft", "status"):
        table.add_column(column)
    for post in posts:
        due = show(post.due_at, zone) if post.due_at else "-"
        table.add_row(
            due,
            post.channel,
            post.language,
            f"#{post.id}",
            f"{post.draft_id} {titles.get(post.draft_id, '')}",
            post.status,
        )
    return table
