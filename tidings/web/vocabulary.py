"""The words pages show for values Tidings stores (a post's or a draft's status, a role, a history
entry's action) and for the keys problems name, marked for extraction here and translated once
per interface language (``pages.page_environment`` installs the first three as the
``post_status``, ``draft_status`` and ``role`` filters; the draft and post pages pass
``ACTION_WORDS`` translated for the request; ``sentences`` says ``KEY_WORDS``).

A value not in its table is shown as stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from drafts.lifecycle import DraftStatus, PostStatus
from drafts.users import Role
from tidings.web.translations import N_

POST_STATUS_WORDS: dict[str, str] = {
    PostStatus.PENDING: N_("pending"),
    PostStatus.SCHEDULED: N_("scheduled"),
    PostStatus.PUBLISHING: N_("publishing"),
    PostStatus.RETRYING: N_("retrying"),
    PostStatus.PUBLISHED: N_("published"),
    PostStatus.FAILED: N_("failed"),
    PostStatus.NEEDS_ATTENTION: N_("needs attention"),
    PostStatus.EXPIRED: N_("expired"),
    PostStatus.CANCELLED: N_("cancelled"),
    PostStatus.SKIPPED: N_("skipped"),
}
DRAFT_STATUS_WORDS: dict[str, str] = {
    DraftStatus.DRAFT: N_("draft"),
    DraftStatus.IN_REVIEW: N_("in review"),
    DraftStatus.CHANGES_REQUESTED: N_("changes requested"),
    DraftStatus.APPROVED: N_("approved"),
    DraftStatus.SCHEDULED: N_("scheduled"),
    DraftStatus.DONE: N_("done"),
    DraftStatus.CANCELLED: N_("cancelled"),
}
ROLE_WORDS: dict[str, str] = {
    Role.AUTHOR: N_("author"),
    Role.REVIEWER: N_("reviewer"),
    Role.ADMIN: N_("admin"),
}

# What a history line says after the actor's name; a draft's history holds its posts' entries too.
ACTION_WORDS: dict[str, str] = {
    "draft.add": N_("wrote it"),
    "draft.edit": N_("edited it"),
    "draft.submit": N_("sent it to review"),
    "draft.approve": N_("approved it"),
    "draft.request-changes": N_("asked for changes"),
    "draft.schedule": N_("scheduled it"),
    "draft.publish-now": N_("asked for it to be published now"),
    "draft.unschedule": N_("unscheduled it"),
    "draft.cancel": N_("cancelled it"),
    "draft.skip": N_("skipped an occurrence"),
    "draft.done": N_("marked it done (no post left to publish)"),
    "post.mark-published": N_("marked it published"),
    "post.retry": N_("asked for it to be sent again"),
    "post.published": N_("published it"),
    "post.retrying": N_("will try it again"),
    "post.failed": N_("gave up on it"),
    "post.needs_attention": N_("asked a person to check it"),
    "post.expired": N_("let it expire"),
    "post.recover": N_("took it over"),
}

# A key of a draft file or a form, as a problem names it on the web (``drafts.messages.Key``):
# the field's word in the form, not the identifier the command line's file uses.
KEY_WORDS: dict[str, str] = {
    "kind": N_("kind"),
    "title": N_("title"),
    "template": N_("template"),
    "channels": N_("channels"),
    "channel": N_("channel"),
    "languages": N_("languages"),
    "language": N_("language"),
    "publish_at": N_("publish at"),
    "repeat": N_("repeat"),
    "on": N_("date"),
    "expires_at": N_("expires at"),
    "fields": N_("template fields"),
    "text": N_("text"),
    "channel_text": N_("channel text"),
    "media": N_("images"),
    "alt": N_("alt text"),
    "at": N_("time"),
    "comment": N_("comment"),
    "url": N_("address"),
    "name": N_("name"),
    "role": N_("role"),
    "password": N_("password"),
    "platform": N_("platform"),
    "value": N_("value"),
    "email": N_("e-mail address"),
    "events": N_("notifications"),
}


def translated(words: Mapping[str, str], gettext: Callable[[str], str]) -> dict[str, str]:
    """``words`` with each word translated by ``gettext`` (keys unchanged)."""
    return {value: gettext(word) for value, word in words.items()}


def shown(words: Mapping[str, str]) -> Callable[[str], str]:
    """A function from a stored value to its word in ``words``, else the value itself."""

    def word(value: str) -> str:
        return words.get(value, value)

    return word
