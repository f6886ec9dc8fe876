"""The services' messages (``drafts.messages``) told in the viewer's language and timezone.

A service makes a message once, structured; the command line prints its English line, and the
web tells it here: each sentence through the viewer's catalogue (the words in it too, however
deep), each ``Instant`` in the viewer's zone, each ``Key`` as the form names the field. An
error's problems are told one line each, every one of them, and by field, so a page can set each
beside the field it is about. A plain ``str`` (a message nobody structured) is told as made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo

from starlette.requests import Request

from drafts.errors import TidingsError
from drafts.messages import Instant, Item, Key, Message, Problem, Problems, Said, Word
from drafts.times import show
from tidings.web.translations import N_
from tidings.web.vocabulary import KEY_WORDS

Gettext = Callable[[str], str]

AT_FIELD = N_("%(field)s: %(problem)s")
SEVERAL = N_("%(count)s problems: %(problems)s")


@dataclass(frozen=True)
class Teller:
    """Tells messages in one viewer's language (``gettext``) and timezone (``zone``)."""

    gettext: Gettext
    zone: tzinfo

    def __call__(self, message: Message | Item) -> str:
        """``message`` as one line."""
        if isinstance(message, Problems):
            lines = self.lines(message)
            if len(lines) == 1:
                return lines[0]
            return self.gettext(SEVERAL) % {"count": len(lines), "problems": "; ".join(lines)}
        if isinstance(message, Problem):
            return self.problem(message)
        if isinstance(message, Said):
            return self.sentence(message)
        return message

    def lines(self, message: Message) -> tuple[str, ...]:
        """Each problem ``message`` holds, one line each (a message of one line: that line)."""
        if isinstance(message, Problems):
            return tuple(self(item) for item in message.items)
        return (self(message),)

    def problem(self, problem: Problem) -> str:
        if not problem.field:
            return self(problem.said)
        words = {"field": self.key(problem.field), "problem": self(problem.said)}
        return self.gettext(AT_FIELD) % words

    def sentence(self, said: Said) -> str:
        text = self.gettext(said.text)
        if not said.words:
            return text
        return text % {name: self.word(word) for name, word in said.words.items()}

    def word(self, word: Word) -> str:
        if isinstance(word, Said):
            return self.sentence(word)
        if isinstance(word, Instant):
            return show(word.at, self.zone)
        if isinstance(word, Key):
            return self.key(word.name)
        return str(word)

    def key(self, path: str) -> str:
        """A key path as the form names it: ``text.ko`` is the text field's word and ``ko``."""
        head, rest = _split_key(path)
        word = KEY_WORDS.get(head)
        named = self.gettext(word) if word is not None else head
        return f"{named} {rest}" if rest else named


def _split_key(path: str) -> tuple[str, str]:
    """``media[0].alt`` → (``media``, ``[0].alt``); ``text.ko`` → (``text``, ``ko``)."""
    cut = min((at for at in (path.find("."), path.find("[")) if at >= 0), default=len(path))
    return path[:cut], path[cut:].removeprefix(".")


def teller(request: Request, gettext: Gettext) -> Teller:
    """Tells messages as this request's viewer reads them: in their language (``gettext``), in
    their timezone (UTC for a visitor not logged in, who has none)."""
    viewer = getattr(request.state, "viewer", None)
    return Teller(gettext, viewer.zone if viewer is not None else UTC)


def error_line(error: TidingsError, request: Request, gettext: Gettext) -> str:
    """``error`` as one line in the viewer's language and timezone: what a page shows where it
    showed ``str(error)`` (the command line's English line)."""
    return teller(request, gettext)(error.message)


def error_lines(error: TidingsError, tell: Teller) -> tuple[str, ...]:
    """Every problem ``error`` says, one line each, in the viewer's words."""
    return tell.lines(error.message)


def field_problems(error: TidingsError, tell: Teller) -> Mapping[str, tuple[str, ...]]:
    """The problems ``error`` says about each top-level key (``title``, ``publish_at``), by
    key, each told without the key (it stands beside its field); a problem of no field is
    under ``""``."""
    made = error.message
    items = made.items if isinstance(made, Problems) else (made,)
    found: dict[str, list[str]] = {}
    for item in items:
        if isinstance(item, Problem) and item.field:
            shown = tell(item.said)
            if item.field != item.key:  # ``text.ko``: the part of the field it is about
                shown = tell.gettext(AT_FIELD) % {"field": tell.key(item.field), "problem": shown}
            found.setdefault(item.key, []).append(shown)
        else:
            found.setdefault("", []).append(tell(item))
    return {key: tuple(lines) for key, lines in found.items()}
