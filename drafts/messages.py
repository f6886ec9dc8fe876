"""What a person is told, made once and said by every interface in its own way.

A message is made where what it says is known, as a structured value: ``Said`` (an English
sentence with named placeholders, ``%(id)s``, and the words that fill them), ``Problem`` (a field
and what is wrong with it) and ``Problems`` (every problem a file or a form has). ``str()`` of
each is the one English line the command line prints; the web tells the same value in the
viewer's language and timezone (``tidings.web.sentences``): every sentence, however deep, through
its catalogue, every ``Instant`` in the viewer's zone, every ``Key`` in the words of its form.
A plain ``str`` is a message nobody structured (a platform's or a driver's own words): said as is.

``N_`` marks the sentences for the web's catalogue (``tidings/web/locale/babel.cfg`` reads the
``drafts`` package), so a sentence and its translation cannot drift apart. The sentences an
action says when it succeeds are here; a check's problems are made beside the check.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def N_(message: str) -> str:
    """Marks ``message`` for the web's catalogue without translating it here: it is translated
    where it is shown, in the viewer's language."""
    return message


@dataclass(frozen=True)
class Instant:
    """A time in a message: the web shows it in the viewer's timezone; the command line says
    ``written`` (the time as the person typed it), else the instant in ISO 8601."""

    at: datetime
    written: str = ""

    def __str__(self) -> str:
        return self.written or self.at.isoformat()


@dataclass(frozen=True)
class Key:
    """A key of a draft file or a form (``title``, ``channels``, ``publish_at``): the command
    line says the key, the web the name its form gives it."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Said:
    """A sentence: ``text`` is its English source (marked with ``N_``), ``words`` fill its
    named placeholders; a word may be a sentence itself, said in the same language."""

    text: str
    words: Mapping[str, Word] = field(default_factory=dict)

    def __str__(self) -> str:
        if not self.words:
            return self.text
        return self.text % {name: str(word) for name, word in self.words.items()}


Word = str | int | Instant | Key | Said
"""What fills a placeholder: a name or a number as it is, a time, a key, or another sentence."""


def said(text: str, **words: Word) -> Said:
    """The sentence ``text`` with ``words`` in its placeholders."""
    return Said(text, words)


def in_turn(first: Said, *more: Word) -> Said:
    """``FIRST; SECOND; ...``: the parts of one line, each said in the reader's language."""
    line = first
    for part in more:
        line = said(N_("%(earlier)s; %(next)s"), earlier=line, next=part)
    return line


def recorded(sentence: Said) -> str:
    """``sentence`` as an audit entry keeps it (its ``detail``): JSON that ``recalled`` reads
    back, so a page tells it in its reader's language and timezone long after it was said."""
    return json.dumps(_kept(sentence), ensure_ascii=False, separators=(",", ":"))


def recalled(detail: str) -> Said | None:
    """The sentence ``recorded`` kept in ``detail``; None for a detail kept as plain text (what
    a person typed, the daemon's reason, an entry older than sentences in the log)."""
    if not detail.startswith('{"said":'):
        return None
    try:
        return _sentence(json.loads(detail))
    except (ValueError, TypeError, KeyError):
        return None


def _kept(word: Word) -> object:
    if isinstance(word, Said):
        return {
            "said": word.text,
            "words": {name: _kept(each) for name, each in word.words.items()},
        }
    if isinstance(word, Instant):
        return {"at": word.at.isoformat(), "written": word.written}
    if isinstance(word, Key):
        return {"key": word.name}
    return word


def _sentence(kept: Any) -> Said:
    if not isinstance(kept, dict) or not isinstance(kept["said"], str):
        raise TypeError("not a kept sentence")
    return Said(kept["said"], {name: _word(each) for name, each in dict(kept["words"]).items()})


def _word(kept: Any) -> Word:
    if isinstance(kept, str | int) and not isinstance(kept, bool):
        return kept
    if isinstance(kept, dict) and "said" in kept:
        return _sentence(kept)
    if isinstance(kept, dict) and "at" in kept:
        return Instant(datetime.fromisoformat(kept["at"]), str(kept.get("written", "")))
    if isinstance(kept, dict) and "key" in kept:
        return Key(str(kept["key"]))
    raise TypeError("not a kept word")


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field, ``FIELD: PROBLEM``; ``field`` is its key path as written
    (``title``, ``text.ko``, ``media[0].alt``), empty for a problem of the whole."""

    field: str
    said: Said | str

    def __str__(self) -> str:
        return f"{self.field}: {self.said}" if self.field else str(self.said)

    @property
    def key(self) -> str:
        """The top-level key the problem is at (``text`` for ``text.ko``), to show it by."""
        return self.field.split(".", 1)[0].split("[", 1)[0]


def problem(field: str, text: str, **words: Word) -> Problem:
    """``FIELD: TEXT``, the sentence ``text`` with ``words`` in its placeholders."""
    return Problem(field, Said(text, words))


Item = Problem | Said | str
"""One problem a file has: at a field, or (said by another check as a whole line) not."""


@dataclass(frozen=True)
class Problems:
    """Every problem ``source`` (a file's name, or ``form``) has, in the order found: one line,
    ``SOURCE: PROBLEM`` or ``SOURCE: N problems: FIRST; SECOND; ...``, none left out."""

    source: str
    items: tuple[Item, ...]

    def __str__(self) -> str:
        if len(self.items) == 1:
            return f"{self.source}: {self.items[0]}"
        listed = "; ".join(str(item) for item in self.items)
        return f"{self.source}: {len(self.items)} problems: {listed}"


Message = str | Said | Problem | Problems
"""What an error or an outcome tells: a structured value, or (unstructured) its English line."""


NO_DRAFT = N_("no draft %(id)s")
NO_POST = N_("no post %(id)s")
DRAFT_ADDED = N_("Added draft %(id)s: %(title)s (%(count)s posts).")
DRAFT_ADDED_AND_SENT = N_("Added draft %(id)s: %(title)s (%(count)s posts), and sent it to review.")
# An edit: what changed decides which (drafts.authoring.EditOutcome.message).
EDIT_UNCHANGED = N_("Draft %(id)s: saved; the posts did not change (still %(status)s).")
EDIT_BACK_TO_REVIEW = N_(
    "Draft %(id)s changed: back in review; its earlier approvals no longer count."
)
EDIT_CHANGED = N_("Draft %(id)s changed (status %(status)s).")
# Saved and sent to review in one step (the web's "Save and submit"): whatever the edit changed,
# the draft is in review now, so one sentence says both.
EDIT_SAVED_AND_SENT = N_("Draft %(id)s saved and sent to review.")
APPROVAL_RECORDED = N_("Approval %(count)s of %(required)s recorded; draft %(id)s stays in review.")
APPROVED_AND_SCHEDULED = N_("Draft %(id)s approved and scheduled from %(when)s.")
SENT_BACK = N_("Draft %(id)s went back to its author with your comment.")
QUEUED_AGAIN = N_("Post %(id)s is queued again; a running daemon sends it now.")


def reason_of(error: BaseException) -> Said | str:
    """The sentence ``error`` was raised with (``ValueError(said(...))``), else its line."""
    made = error.args[0] if len(error.args) == 1 else None
    return made if isinstance(made, Said) else str(error)
