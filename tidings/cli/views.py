"""How drafts, posts and the queue look on the terminal and in JSON."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, tzinfo
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from drafts.chains import part_label
from drafts.composing import text_problems, text_rules
from drafts.config import Config
from drafts.learned_limits import LearnedLimits
from drafts.lifecycle import PostStatus
from drafts.media import PostImage
from drafts.models import Draft, Post
from drafts.recurrence import Occurrence, occurrences
from drafts.text_rules import Measurement, measure
from drafts.times import show
from tidings.cli.console import out

if TYPE_CHECKING:
    from drafts.credential_problems import CredentialCheck
    from scheduler.preview import Preview

NO_LIMITS: LearnedLimits = MappingProxyType({})
NO_IMAGES: Mapping[int, Sequence[PostImage]] = MappingProxyType({})

# Where a first comment is a comment under the post, not a reply to its last part.
COMMENTING_PLATFORMS = frozenset({"linkedin", "facebook"})
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
    post: Post,
    config: Config,
    *,
    images: Sequence[PostImage] = (),
    with_request: bool = False,
    learned: LearnedLimits = NO_LIMITS,
    chain: Sequence[Post] = (),
) -> dict[str, Any]:
    """A post as the JSON contract says. Of a chain (a thread's parts and a first comment, in
    ``chain``; ``chains`` groups them), ``post`` is its first part: the post's own keys (``id``,
    ``text``, ``length``, ``status``, ``due_at``, ``remote_id``, …) are the first part's, and
    ``parts`` lists every part of the thread (``{number, text, length, limit, status,
    remote_id, remote_url}``, with the part's ``id`` and ``problems``; one for a plain post),
    ``comment`` the first comment in the same shape, or null."""
    extra: dict[str, Any] = {}
    if with_request:
        extra["request"] = _preview(post, config, images).request_json()
    measurements = measured(post, config, learned)
    chain = chain or (post,)
    comment = next((part for part in chain if part.is_comment), None)
    return {
        "id": post.id,
        "draft_id": post.draft_id,
        "channel": post.channel,
        "platform": post.platform,
        "language": post.language,
        "occurrence": post.occurrence,
        "text": post.text,
        "length": measurements[0].length,  # measured now: an instance's limit can change
        "limit": measurements[0].limit,
        "status": post.status,
        "due_at": iso(post.due_at),
        "remote_id": post.remote_id,
        "remote_url": post.remote_url,
        "problems": text_problems(post.text, measurements),
        "media": _media_json(post, images),
        "parts": [part_json(part, config, learned) for part in chain if not part.is_comment],
        "comment": part_json(comment, config, learned) if comment is not None else None,
        **extra,
    }


def _media_json(post: Post, images: Sequence[PostImage]) -> list[dict[str, Any]]:
    """The images a post sends, each with the platform's id for it once uploaded."""
    if not images:  # no need of every adapter, with httpx
        return []
    from scheduler.platforms.uploads import remote_media_id

    return [
        image.to_json(remote_id=remote_media_id(post.publish_state, image.image.sha256))
        for image in images
    ]


def part_json(part: Post, config: Config, learned: LearnedLimits = NO_LIMITS) -> dict[str, Any]:
    """One part of a post's chain (or its first comment): its number, text, its own length and
    limit, status and where it is live."""
    measurements = measured(part, config, learned)
    return {
        "number": part.part,
        "id": part.id,
        "text": part.text,
        "length": measurements[0].length,
        "limit": measurements[0].limit,
        "status": part.status,
        "remote_id": part.remote_id,
        "remote_url": part.remote_url,
        "problems": text_problems(part.text, measurements),
    }


def chains(posts: Iterable[Post]) -> list[list[Post]]:
    """``posts`` as chains (of one draft, channel, language and occurrence), each by part, in
    the order their first parts come."""
    found: dict[tuple[int, str, str, int], list[Post]] = {}
    for post in posts:
        key = (post.draft_id, post.channel, post.language, post.occurrence)
        found.setdefault(key, []).append(post)
    return [sorted(chain, key=lambda part: part.part) for chain in found.values()]


def chain_words(chain: Sequence[Post]) -> str:
    """What a chain is: ``thread of 4``, ``thread of 4 + comment``, ``+ comment``; '' for a
    plain post."""
    if not chain:
        return ""
    parts = chain[0].parts
    words = [f"thread of {parts}"] if parts > 1 else []
    if any(part.is_comment for part in chain):
        words.append("+ comment")
    return " ".join(words)


def credential_problems(
    check: CredentialCheck, draft: Draft, posts: Sequence[Post], zone: tzinfo
) -> dict[int, str]:
    """By post id, each waiting post's credential problem (``drafts.credential_problems``), a
    warning said under the post: its channel cannot send it when it is due."""
    found = {post.id or 0: check.post_problem(post, draft) for post in posts}
    return {post_id: problem.line(zone) for post_id, problem in found.items() if problem}


def draft_json(
    draft: Draft,
    posts: Sequence[Post],
    config: Config,
    learned: LearnedLimits = NO_LIMITS,
    images: Mapping[int, Sequence[PostImage]] = NO_IMAGES,
    credentials: Mapping[int, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The draft and its posts, a post's chain as one (``post_json``); given ``credentials``
    (``credential_problems``), each post also says its ``credential_problem`` (null for none)."""
    shown = []
    for chain in chains(posts):
        post = chain[0]
        each = post_json(
            post,
            config,
            images=images.get(post.id or 0, ()),
            with_request=True,
            learned=learned,
            chain=chain,
        )
        if credentials is not None:
            each["credential_problem"] = credentials.get(post.id or 0)
        shown.append(each)
    return {
        "id": draft.id,
        "status": draft.status,
        "kind": draft.kind,
        "title": draft.title,
        "template": draft.template,
        "channels": draft.channels,
        "languages": draft.languages,
        "publish_at": "next-slot" if draft.publish_next_slot else iso(draft.publish_at),
        "repeat": draft.repeat,
        "expires_at": iso(draft.expires_at),
        "content_hash": draft.content_hash,
        **extra,
        "posts": shown,
    }


def print_post(
    post: Post,
    config: Config,
    zone: tzinfo,
    learned: LearnedLimits = NO_LIMITS,
    images: Sequence[PostImage] = (),
    credential_problem: str | None = None,
    occurrence: str | None = None,
    chain: Sequence[Post] = (),
) -> None:
    """One post exactly as it will be sent, with its length against the platform's limit, its
    images as the platform gets them and, under it, each of its problems, then its channel's
    ``credential_problem`` (a warning: the draft may still be submitted and approved). A post
    of a repeating draft is labelled with its ``occurrence`` (``occurrence_label``).

    Of a chain (``chain``: its parts by part, the first comment last; ``post`` its first part),
    the heading says what it is (``thread of 4 + comment``) and every part follows as the
    platform will show it, numbered (``part 2/4``, ``first comment``), with its own length,
    verdict and problems, and between two parts how the one follows the other (``↳ reply to
    part 1``, ``↳ comment on the post``). A plain post reads as it did before chains.

    Everything wraps to the terminal, whatever its width: the heading goes above the panel and
    the verdict below it, as a panel's title and subtitle are cut short where they are longer
    than its border."""
    if occurrence is not None:
        status = f"{occurrence} · {post.status}"  # its due time is the occurrence's
    else:
        status = post.status + (f" at {show(post.due_at, zone)}" if post.due_at else "")
    words = chain_words(chain)
    heading = Text(
        f"#{post.id} {post.channel} · {PLATFORM_NAMES[post.platform]} · {post.language} · {status}"
        + (f" · {words}" if words else ""),
        style="bold",
    )
    out.print(heading, soft_wrap=False)
    if not words:
        _print_part(post, config, learned, images, credential_problem)
        return
    for number, part in enumerate(chain):
        if number:
            out.print(Text(follow_words(part), style="dim"), soft_wrap=False)
        label = part_label(part.part, part.parts) or "post"
        out.print(Text(f"{label} · #{part.id} · {part.status}", style="bold"), soft_wrap=False)
        shown_images = images if part.part == 1 else ()  # images go on the first part
        _print_part(part, config, learned, shown_images, credential_problem if not number else None)


def follow_words(part: Post) -> str:
    """How a part after the first follows the part before it, as the platform shows it."""
    if not part.is_comment:
        return f"↳ reply to part {part.part - 1}"
    if part.platform in COMMENTING_PLATFORMS:
        return "↳ comment on the post"
    return f"↳ reply to part {part.parts}" if part.parts > 1 else "↳ reply to the post"


def _print_part(
    post: Post,
    config: Config,
    learned: LearnedLimits,
    images: Sequence[PostImage],
    credential_problem: str | None,
) -> None:
    """A post's (or one part's) text in a panel, then its length and verdict, then its notes."""
    measurements = measured(post, config, learned)
    problems = text_problems(post.text, measurements)
    counts = ", ".join(_count(m.length, m.limit, m.unit) for m in measurements)
    verdict = Text(f"{counts}  ", style="red" if problems else "green")
    verdict.append(f"✗ {len(problems)} problem(s)" if problems else "✓ fits")
    shown = _preview(post, config, images)
    body = Text(shown.displayed)
    for _, follow_up in shown.follow_ups:
        body.append("\n\n— then, as its own message —\n", style="dim")
        body.append(follow_up)
    for line in image_lines(images, post.platform):
        body.append("\n" + line, style="cyan")
    notes = [("✗", Text(problem, style="red")) for problem in problems]
    if credential_problem:
        notes.append(("!", Text(credential_problem, style="yellow")))
    # Without soft wrap, rich wraps each line to the terminal instead of letting it run on.
    out.print(Panel(body), soft_wrap=False)
    out.print(Padding(verdict, (0, 0, 0, 2), expand=False), soft_wrap=False)
    if notes:
        out.print(Padding(marked_lines(notes), (0, 0, 0, 2), expand=False), soft_wrap=False)


def marked_lines(notes: Sequence[tuple[str, Text]]) -> Table:
    """Each note after its mark, a long one wrapped under its own first word (a word longer than
    the line is broken, never cut)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for mark, note in notes:
        grid.add_row(Text(mark, style=note.style), note)
    return grid


def image_lines(images: Sequence[PostImage], platform: str) -> list[str]:
    """Each image as people check it: which file, the version sent, its alt text, and what was
    changed for this platform."""
    lines = []
    for number, each in enumerate(images, start=1):
        name = each.name or f"uploaded {each.original[:12]}"
        lines.append(f"image {number}: {name} · {each.image.describe()}")
        if platform == "telegram":
            lines.append("  alt text: not shown on Telegram")
        else:
            lines.append(f"  alt: {each.alt}" if each.alt else "  alt: (none)")
        if each.change:
            lines.append(f"  {each.change}")
    return lines


def _preview(post: Post, config: Config, images: Sequence[PostImage] = ()) -> Preview:
    """The text as read back from the exact request the daemon would send (guarantee 4)."""
    from scheduler.preview import preview, preview_images  # every adapter, with httpx

    assert post.id is not None
    return preview(
        post_id=post.id,
        text=post.text,
        language=post.language,
        channel=config.channel(post.channel),
        images=preview_images(images),
        part=post.part,
        parts=post.parts,
    )


def _count(length: int, limit: int | None, unit: str) -> str:
    return f"{length:,} {unit}" if limit is None else f"{length:,} / {limit:,} {unit}"


def queue_table(
    posts: Sequence[Post],
    zone: tzinfo,
    drafts: Mapping[int, Draft],
    draft_zone: ZoneInfo,
    chains: Mapping[tuple[int, str, str, int], Sequence[Post]] = MappingProxyType({}),
) -> Table:
    """The queue's posts, in ``posts``' order, a section for each channel (one table: rich
    measures and draws each table on its own, and fifty channels' tables took 60 ms); a post
    of a repeating draft with its occurrence among them all (``#12 (3/8)``); ``draft_zone`` is
    the one the drafts' occurrences are counted in. A chain is one line (its row the part it
    goes on with), saying what it is from ``chains`` (by draft, channel, language and
    occurrence) and, part-way out, which part is next
    (``#14 · thread of 4 + comment, part 3/4 next``), or stopped where a part failed or needs
    a person (``part 3/4 waits: part 2/4 failed``)."""
    sizes = {
        draft_id: len(series(draft, draft_zone))
        for draft_id, draft in drafts.items()
        if draft.repeat is not None
    }
    table = Table(title=None, show_lines=False, header_style="bold")
    for column in ("due", "channel", "lang", "post", "draft", "status"):
        table.add_column(column)
    for number, post in enumerate(posts):
        if number and post.channel != posts[number - 1].channel:
            table.add_section()
        due = show(post.due_at, zone) if post.due_at else "-"
        size = sizes.get(post.draft_id)
        draft = drafts.get(post.draft_id)
        table.add_row(
            due,
            post.channel,
            post.language,
            f"#{post.id}"
            + (f" ({post.occurrence}/{size})" if size else "")
            + _chain_cell(post, chains),
            f"{post.draft_id} {draft.title if draft else ''}",
            post.status,
        )
    return table


def _chain_cell(post: Post, chains: Mapping[tuple[int, str, str, int], Sequence[Post]]) -> str:
    """`` · thread of 4 + comment, part 3/4 next`` of a queue's row; '' for a plain post."""
    key = (post.draft_id, post.channel, post.language, post.occurrence)
    chain = chains.get(key, ())
    words = [chain_words(chain)]
    before = next((part for part in chain if part.part == post.part - 1), None)
    if before is not None and before.status != PostStatus.PUBLISHED:  # stopped: a person acts
        label = part_label(before.part, before.parts) or "the post"
        words.append(f"{part_label(post.part, post.parts)} waits: {label} {before.status}")
    elif post.part > 1:
        words.append(f"{part_label(post.part, post.parts)} next")
    said = ", ".join(word for word in words if word)
    return f" · {said}" if said else ""


# --- repeating drafts ---------------------------------------------------------------------


def series(draft: Draft, zone: ZoneInfo) -> tuple[Occurrence, ...]:
    """A repeating draft's occurrences, as its posts are scheduled at them."""
    return occurrences(draft.repeat, draft.publish_at, zone)


def occurrence_label(occurrence: Occurrence, zone: tzinfo) -> str:
    """``occurrence 3 · Mon 2027-03-29 09:00 CEST``."""
    return f"occurrence {occurrence.number} · {occurrence_time(occurrence, zone)}"


def occurrence_time(occurrence: Occurrence, zone: tzinfo) -> str:
    """``Mon 2027-03-29 09:00 CEST``: the weekday too, as rules are written by it."""
    if occurrence.at is None:
        return "not yet known"
    return f"{occurrence.at.astimezone(zone):%a} {show(occurrence.at, zone)}"


def status_summary(posts: Sequence[Post]) -> str:
    """``1 published, 2 scheduled``: how many of ``posts`` are in each status."""
    counts = Counter(post.status for post in posts)
    return ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))


def print_series(
    draft: Draft, everything: Sequence[Occurrence], posts: Sequence[Post], zone: tzinfo
) -> None:
    """The rule, then a line per occurrence: its number, when, and its posts' statuses."""
    count = len(everything)
    out.print(Text(f"repeat: {draft.repeat} ({count} occurrence{'s' if count != 1 else ''})"))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(justify="right")
    grid.add_column(no_wrap=True)
    grid.add_column()
    for occurrence in everything:
        own = [post for post in posts if post.occurrence == occurrence.number]
        grid.add_row(
            str(occurrence.number),
            occurrence_time(occurrence, zone),
            status_summary(own) or "no posts",
        )
    out.print(Padding(grid, (0, 0, 0, 2), expand=False), soft_wrap=False)


def measured(post: Post, config: Config, learned: LearnedLimits) -> tuple[Measurement, ...]:
    """A post's (or a part's) text measured as its platform counts it: a first comment as a
    comment (LinkedIn counts one otherwise than a post)."""
    rules = text_rules(config.channel(post.channel), learned)
    return measure(post.platform, post.text, rules, comment=post.is_comment)
