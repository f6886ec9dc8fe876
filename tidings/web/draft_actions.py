"""What a viewer may do with a draft as it stands, so that its page offers those actions and no
others: the role (``drafts.users``), the draft's status (``drafts.lifecycle``) and its posts
decide, as the services decide when the action is taken. The services still check every
action; this only keeps a page from offering one it would refuse.

The author of a draft (or an admin) edits and submits it; a reviewer who did not write it
approves it or asks for changes (unless ``[review] allow_self_approval``); anyone whose role
queues drafts schedules, publishes now, unschedules and cancels, and skips an occurrence of a
repeating draft once it is approved (``series_view`` offers it for each one still to come).
Scheduling in each channel's next free slot is offered only when every channel still to post
has slots in config.toml (``drafts.queueing`` refuses it otherwise).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from drafts.config import Config
from drafts.lifecycle import DRAFT_ACTIONS, FINAL_POST_STATUSES, DraftStatus, PostStatus
from drafts.models import Draft, Post
from drafts.queueing import all_due
from drafts.users import Capability, Role
from tidings.web.auth import Viewer

# An edit replaces every post: refused once one of them was tried (``drafts.authoring``), except
# a series' occurrences already out, which it leaves as they went.
EDITABLE_POSTS = frozenset({PostStatus.PENDING, PostStatus.SCHEDULED})
# An occurrence is skipped once the series is approved: before, an edit of the rule drops it.
SKIPPABLE = frozenset({DraftStatus.APPROVED, DraftStatus.SCHEDULED})


@dataclass(frozen=True)
class DraftActions:
    """The actions the viewer may take on the draft now, each one its own button."""

    edit: bool = False
    submit: bool = False
    approve: bool = False
    request_changes: bool = False
    schedule: bool = False  # at a time
    next_slot: bool = False  # in each channel's next free slot
    publish_now: bool = False
    unschedule: bool = False
    cancel: bool = False
    skip: bool = False  # an occurrence of a repeating draft

    @property
    def queue(self) -> bool:
        """Whether any action on the draft's place in the queue is offered."""
        return self.publish_now or self.unschedule or self.cancel


def draft_actions(
    viewer: Viewer,
    draft: Draft,
    posts: Sequence[Post],
    *,
    wrote_it: bool,
    self_approval: bool,
    now: datetime,
    slotless: Collection[str] = (),
) -> DraftActions:
    """What ``viewer`` may do with ``draft`` and its ``posts`` at ``now``; ``wrote_it`` says
    whether they wrote or edited it, which bars them from reviewing it unless
    ``self_approval``; ``slotless`` names its channels without slots (``slotless_channels``)."""

    def allows(action: str) -> bool:
        return draft.status in DRAFT_ACTIONS[action]

    writer = viewer.may(Capability.WRITE) and (
        draft.author_id == viewer.id or viewer.role == Role.ADMIN
    )
    reviewer = viewer.may(Capability.REVIEW) and (self_approval or not wrote_it)
    queue = viewer.may(Capability.QUEUE)
    # A post a daemon is sending cannot be moved (``drafts.queueing``).
    movable = queue and not any(post.status == PostStatus.PUBLISHING for post in posts)
    # A series' occurrences already out stay as they went through an edit (drafts.authoring).
    editable = EDITABLE_POSTS | (FINAL_POST_STATUSES if draft.repeat is not None else frozenset())
    # A scheduled series goes out at its occurrences and moves only by an edit (drafts.queueing).
    series_out = draft.repeat is not None and draft.status == DraftStatus.SCHEDULED
    schedule = movable and allows("schedule") and not series_out
    return DraftActions(
        edit=writer and allows("edit") and all(p.status in editable for p in posts),
        submit=writer and allows("submit"),
        approve=reviewer and allows("approve"),
        request_changes=reviewer and allows("request-changes"),
        schedule=schedule,
        # A series goes out at its occurrences, never in slots.
        next_slot=schedule and draft.repeat is None and not slotless,
        # A series goes out at its occurrences: publishing it now is refused (drafts.queueing).
        publish_now=schedule and draft.repeat is None and not all_due(draft, posts, now),
        unschedule=movable and allows("unschedule"),
        cancel=queue and allows("cancel"),
        skip=queue and draft.repeat is not None and draft.status in SKIPPABLE,
    )


def slotless_channels(posts: Sequence[Post], config: Config) -> tuple[str, ...]:
    """The channels of the posts still to be sent that have no slots in ``config`` (or are no
    longer in it), each once: none of them has a next free slot to schedule in."""
    configured = {channel.id: channel for channel in config.channels}
    to_send = (post.channel for post in posts if post.status not in FINAL_POST_STATUSES)
    return tuple(
        channel
        for channel in dict.fromkeys(to_send)
        if channel not in configured or not configured[channel].slots
    )
