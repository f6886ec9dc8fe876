"""What a person is told when an action on a draft or a post succeeds: one sentence each, in
English with named placeholders (``%(id)s``), said the same way by every interface.

The CLI fills them in as they are; the web translates them first (``gettext(DRAFT_ADDED) %
words``): ``N_`` marks them for its catalogue (``tidings/web/locale/babel.cfg`` reads this
module), so a sentence and its translation cannot drift apart. A sentence an interface words
differently on purpose (the CLI's next command, the web's next page) stays with it.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks ``message`` for the web's catalogue without translating it here: it is translated
    where it is shown, in the viewer's language."""
    return message


DRAFT_ADDED = N_("Added draft %(id)s: %(title)s (%(count)s posts).")
# An edit: what changed decides which (drafts.authoring.EditOutcome.message).
EDIT_UNCHANGED = N_("Draft %(id)s: saved; the posts did not change (still %(status)s).")
EDIT_BACK_TO_REVIEW = N_(
    "Draft %(id)s changed: back in review; its earlier approvals no longer count."
)
EDIT_CHANGED = N_("Draft %(id)s changed (status %(status)s).")
APPROVAL_RECORDED = N_("Approval %(count)s of %(required)s recorded; draft %(id)s stays in review.")
APPROVED_AND_SCHEDULED = N_("Draft %(id)s approved and scheduled from %(when)s.")
SENT_BACK = N_("Draft %(id)s went back to its author with your comment.")
QUEUED_AGAIN = N_("Post %(id)s is queued again; a running daemon sends it now.")
