"""What the author writes: one choice on the compose page for the draft file's ``kind`` and
``template``.

A kind implies its template (the ``hiring`` kind, the ``hiring`` template) unless another is
named; a template whose name is no kind makes a ``post``; and any kind may be free text, one
text per language. The page offers these as one list, and the form sends the choice as
``kind``: the kind alone for free text (``update``: a draft file without a template), or
``KIND:TEMPLATE`` for a template (``hiring:hiring``). Both halves go into the draft file as
sent, for ``read_draft_file`` to check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from drafts.draft_file import KINDS
from tidings.web.translations import N_

KIND_WORDS = {
    "update": N_("Update"),
    "hiring": N_("Hiring"),
    "event": N_("Event"),
    "post": N_("Post"),
}
FREE_TEXT = N_("%(kind)s (free text)")
OWN_TEMPLATE = N_("%(kind)s (template)")
OTHER_TEMPLATE = N_("%(kind)s (%(template)s template)")


@dataclass(frozen=True)
class Choice:
    """A kind, and the template it is written with ("" for free text)."""

    kind: str
    template: str = ""

    @property
    def value(self) -> str:
        """What the form sends for this choice."""
        return f"{self.kind}:{self.template}" if self.template else self.kind

    def label(self, gettext: Callable[[str], str]) -> str:
        """How the list shows it, in ``gettext``'s language: "Hiring (template)"."""
        kind = gettext(KIND_WORDS[self.kind]) if self.kind in KIND_WORDS else self.kind
        if not self.template:
            return gettext(FREE_TEXT) % {"kind": kind}
        if self.template == self.kind:
            return gettext(OWN_TEMPLATE) % {"kind": kind}
        return gettext(OTHER_TEMPLATE) % {"kind": kind, "template": self.template}


def sent(value: str) -> Choice:
    """The choice a form sent as ``kind``."""
    kind, _, template = value.partition(":")
    return Choice(kind.strip(), template.strip())


@dataclass(frozen=True)
class Choices:
    """The list the page offers: each template with the kind it implies (those named for a kind
    first, in the kinds' order), then each kind as free text."""

    with_template: tuple[Choice, ...]
    free_text: tuple[Choice, ...]


def choices(templates: Sequence[str], current: Choice) -> Choices:
    """Every template and every kind; ``current`` too where neither holds it (a draft file
    that pairs a kind with another kind's template, or a kind the form was sent with)."""
    in_order = sorted(templates, key=_kinds_first)
    with_template = [Choice(name if name in KINDS else "post", name) for name in in_order]
    free_text = [Choice(kind) for kind in KINDS]
    if current.kind and current not in (*with_template, *free_text):
        (with_template if current.template else free_text).append(current)
    return Choices(tuple(with_template), tuple(free_text))


def _kinds_first(template: str) -> tuple[int, str]:
    """A template named for a kind, in the kinds' order (as the free-text list has them), then
    the others by name."""
    return (KINDS.index(template) if template in KINDS else len(KINDS), template)
