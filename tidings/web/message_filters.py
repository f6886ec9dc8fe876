"""The Jinja filters that tell messages and stored values in the page's language, installed
once per language by ``pages.page_environment``:

    told      a service's message (``drafts.messages``), in the viewer's timezone
    reason    a reason the daemon recorded (a post's, an attempt's): ``reasons``
    detail    what a history line says after its action: the sentence ``drafts.audit_details``
              kept, told like ``told``; the daemon's reason for a post's entry; else as typed
    kind      a draft's kind (``hiring``) as the compose page names it (``compose_kinds``)
    language  a language tag (``ko``) by its name (``language_names``)
    slot      a channel's posting slot (``mon-fri 09:30``) in the page's day names
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from drafts.messages import Message, recalled
from drafts.models import AuditEntry
from tidings.web.compose_kinds import KIND_WORDS
from tidings.web.language_names import language_name
from tidings.web.reasons import Reasons
from tidings.web.sentences import Gettext, Teller
from tidings.web.slot_words import slot_words


def message_filters(language: str, gettext: Gettext) -> dict[str, Callable[..., str]]:
    """The filters for pages in ``language`` (``gettext`` its catalogue's)."""
    reasons = Reasons(language, gettext)

    def teller(context: Context) -> Teller:
        viewer: Any = context.get("viewer")
        return Teller(gettext, viewer.zone if viewer is not None else UTC)

    @pass_context
    def told(context: Context, message: Message) -> str:
        return teller(context)(message)

    @pass_context
    def detail(context: Context, entry: AuditEntry) -> str:
        sentence = recalled(entry.detail)
        if sentence is not None:
            return teller(context)(sentence)
        if entry.action.startswith("post.") and entry.action != "post.mark-published":
            return reasons(entry.detail)
        return entry.detail

    def kind(stored: str) -> str:
        return gettext(KIND_WORDS[stored]) if stored in KIND_WORDS else stored

    def named(tag: str) -> str:
        return language_name(tag, language)

    def slot(written: str) -> str:
        return slot_words(written, language, gettext)

    return {
        "told": told,
        "reason": reasons,
        "detail": detail,
        "kind": kind,
        "language": named,
        "slot": slot,
    }
