"""``tidings schedule`` (at a time, in the next free slots, or now), ``unschedule``, ``cancel``
and ``queue``."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from drafts.authoring import draft_posts, drafts_by_id, get_draft
from drafts.config import Config
from drafts.errors import ScheduleError
from drafts.learned_limits import learned_limits
from drafts.lifecycle import UPCOMING_POST_STATUSES
from drafts.messages import Problem, reason_of
from drafts.models import Post
from drafts.post_media import images_by_post
from drafts.queueing import (
    ScheduleRequest,
    cancel_draft,
    chain_key,
    chains_of,
    schedule_draft,
    unschedule_draft,
    upcoming_posts,
)
from drafts.times import means_now, parse_time, show, zone
from tidings.cli.console import emit_json, out, say
from tidings.cli.context import app_context
from tidings.cli.paging import DEFAULT_LIMIT, After, Limit, say_more, with_cursors
from tidings.cli.views import chain_words, chains, post_json, queue_table

DraftId = Annotated[int, typer.Argument(metavar="ID", help="The draft.")]


def schedule(
    ctx: typer.Context,
    draft_id: DraftId,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="TIME",
            help="'2026-12-01 10:00' (configured timezone), '… Europe/Paris', an ISO time with "
            "offset, a time from now ('+10s', '+5m', '+2h', '+1d'), or 'now' to publish now: "
            "the posts are due at once and a running daemon (`tidings run`) sends them.",
        ),
    ] = None,
    next_slot: Annotated[
        bool, typer.Option("--next-slot", help="Each channel's next free posting slot.")
    ] = False,
) -> None:
    """Queue an approved draft's posts, move a scheduled draft, or publish it now (--at now).

    A repeating draft takes neither --at nor --next-slot: its posts are queued at their
    occurrences."""
    context = app_context(ctx)
    config = context.config
    if at is not None and next_slot:
        raise ScheduleError("give either --at TIME or --next-slot")
    now = context.now()
    request = _request(at, next_slot, config.zone, now)
    with context.writing() as session:
        if at is None and not next_slot and get_draft(session, draft_id).repeat is None:
            raise ScheduleError("give either --at TIME or --next-slot")  # a series: its times
        scheduled = schedule_draft(
            session,
            draft_id=draft_id,
            request=request,
            actor=context.actor(session),
            config=config,
            now=now,
        )
        # A chain (a thread, a first comment) is one post: its parts said with it.
        mine = sorted(
            (
                chain
                for chain in chains(draft_posts(session, draft_id))
                if any(p.status in UPCOMING_POST_STATUSES for p in chain)
            ),
            key=lambda chain: (chain[0].due_at is None, chain[0].due_at, chain[0].id or 0),
        )
        learned = learned_limits(session)
        images = images_by_post(session, [chain[0].id or 0 for chain in mine])
    if context.json:
        emit_json(
            [
                post_json(
                    chain[0],
                    config,
                    images=images.get(chain[0].id or 0, ()),
                    learned=learned,
                    chain=chain,
                )
                for chain in mine
            ]
        )
        return
    if request.now:
        say(f"Draft {draft_id} is due now: a running daemon (`tidings run`) publishes it:")
    else:
        say(f"Draft {draft_id} scheduled:")
    _say_due(mine, config)
    assert scheduled.draft.id == draft_id


def _request(
    at: str | None, next_slot: bool, default_zone: ZoneInfo, now: datetime
) -> ScheduleRequest:
    """What ``--at`` or ``--next-slot`` ask for; ``ScheduleError`` naming ``at`` for a time
    that cannot be read."""
    if at is None:
        return ScheduleRequest(next_slot=next_slot)
    if means_now(at):
        return ScheduleRequest(now=True)
    try:
        return ScheduleRequest(at=parse_time(at, default_zone, now))
    except ValueError as error:
        raise ScheduleError(Problem("at", reason_of(error))) from None


def _say_due(posts: list[list[Post]], config: Config) -> None:
    """Each post's channel, language and due time, a chain's once (``thread of 3``)."""
    for chain in posts:
        post = next(p for p in chain if p.status in UPCOMING_POST_STATUSES)
        channel_zone = config.channel(post.channel).zone(config.zone)
        assert post.due_at is not None
        local = show(post.due_at, channel_zone)
        words = chain_words(chain)
        say(
            f"  {post.channel} ({post.language}) at {show(post.due_at, config.zone)}"
            + (f" ({local} there)" if channel_zone != config.zone else "")
            + (f" · {words}" if words else "")
        )


def unschedule(ctx: typer.Context, draft_id: DraftId) -> None:
    """Take a scheduled draft's posts out of the queue: it stays approved, to schedule again."""
    context = app_context(ctx)
    with context.writing() as session:
        posts = unschedule_draft(session, draft_id=draft_id, actor=context.actor(session))
    if context.json:
        emit_json(
            {"id": draft_id, "status": "approved", "unscheduled_posts": [p.id for p in posts]}
        )
    else:
        say(
            f"Draft {draft_id} unscheduled ({len(posts)} post(s) no longer due); it stays "
            f"approved: `tidings schedule {draft_id}` queues it again."
        )


def cancel(ctx: typer.Context, draft_id: DraftId) -> None:
    """Cancel a draft and its posts that are not out yet."""
    context = app_context(ctx)
    with context.writing() as session:
        cancelled = cancel_draft(session, draft_id=draft_id, actor=context.actor(session))
    if context.json:
        emit_json(
            {"id": draft_id, "status": "cancelled", "cancelled_posts": [p.id for p in cancelled]}
        )
    else:
        say(f"Draft {draft_id} cancelled ({len(cancelled)} post(s) will not be published).")


def queue(
    ctx: typer.Context,
    channel: Annotated[str | None, typer.Option(help="Only this channel.")] = None,
    timezone: Annotated[
        str | None, typer.Option("--tz", help="Show times in this IANA timezone.")
    ] = None,
    ics: Annotated[
        bool,
        typer.Option(
            "--ics",
            help="Print the calendar feed (RFC 5545) instead: every channel, each in its zone.",
        ),
    ] = False,
    limit: Limit = DEFAULT_LIMIT,
    after: After = None,
) -> None:
    """Upcoming posts in time order, per channel (JSON: one list, times in UTC).

    A chain (a thread, a first comment) is one line; in JSON one post whose keys are its first
    part's, with `parts`, `comment` and `next_part` (the number of the part to go next)."""
    context = app_context(ctx)
    config = context.config
    if ics:
        if channel is not None or timezone is not None or context.json or after is not None:
            raise ScheduleError(
                "ics: the calendar has every channel, each in its own zone: give --ics without "
                "--channel, --tz, --json or --after"
            )
        from drafts.calendar_feed import calendar_ics  # icalendar: for --ics only

        with context.reading() as session:
            feed = calendar_ics(session, config=config, now=context.now())
        sys.stdout.buffer.write(feed)
        return
    if channel is not None:
        config.channel(channel)
    try:
        shown_zone = zone(timezone) if timezone else config.zone
    except ValueError as error:
        raise ScheduleError(f"tz: {error}") from None
    with context.reading() as session:
        page = upcoming_posts(session, channel=channel, size=limit, after=after)
        posts = page.rows  # a chain's row: the part it goes on with
        drafts = drafts_by_id(session, (p.draft_id for p in posts))
        learned = learned_limits(session)
        chained = chains_of(session, posts)
        firsts = {key: chain[0] for key, chain in chained.items()}
        images = images_by_post(session, [first.id or 0 for first in firsts.values()])
    if context.json:
        shown = []
        for post in posts:
            key = chain_key(post)
            first = firsts[key]  # a post's keys are its first part's; its parts listed
            each = post_json(
                first,
                config,
                images=images.get(first.id or 0, ()),
                learned=learned,
                chain=chained[key],
            )
            shown.append({**each, "next_part": post.part})
        emit_json(with_cursors(shown, page))
        return
    if not posts:
        say("Nothing more is queued." if after is not None else "Nothing is queued.")
        return
    by_channel = sorted(posts, key=lambda p: (p.channel, p.due_at, p.id))
    out.print(queue_table(by_channel, shown_zone, drafts, config.zone, chained))
    say_more(page)
