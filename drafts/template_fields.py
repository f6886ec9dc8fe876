"""What a post template asks for: the fields it reads, how each is typed, whether it is required,
and what it is for, read from the template itself (for a form that writes draft files).

A field's kind comes from how the template uses it: a loop over it or the ``hashtags`` filter
makes a list, the ``date``/``datetime``/``number`` filters their kinds, and a hint that speaks
of a paragraph or sentences makes prose. Whether it is required, its label and its hint come from
the template's opening comment (its "Required fields:" and "Optional fields:" sections), one line
a field: its name, its label in brackets, then what it is for::

    position (Position)   the role's title, e.g. "Operations Officer"

Each language's file says it in its own language (``hiring.ko.txt.j2``: ``position (직책)``), so
a form shows the words of its reader's language where the template has them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from jinja2 import nodes

from drafts.errors import DraftError
from drafts.messages import N_, problem
from drafts.rendering import TemplateLibrary
from drafts.times import localize

FieldKind = Literal["text", "prose", "list", "date", "datetime", "number"]
FILTER_KINDS: dict[str, FieldKind] = {
    "hashtags": "list",
    "date": "date",
    "datetime": "datetime",
    "number": "number",
}
_DOC = re.compile(r"\{#(.*?)#\}", re.DOTALL)
_DOC_FIELD = re.compile(r"^\s+([A-Za-z_]\w*)(?: \(([^()]+)\))?\s{2,}(\S.*)$")
_PROSE = re.compile(r"\b(paragraph|sentences?)\b")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class FieldDoc:
    """What one language's template file says of a field: its label ("" when it gives none)
    and what the field is for."""

    label: str
    hint: str


@dataclass(frozen=True)
class TemplateField:
    """A field a template reads: how it is typed, whether it is required, and what it is for,
    as each language's file says it (``docs``: pairs of a language and its ``FieldDoc``)."""

    name: str
    kind: FieldKind
    required: bool | None  # None: the template does not say
    hashtags: bool = False  # the ``hashtags`` filter reads it: each word a tag
    docs: tuple[tuple[str, FieldDoc], ...] = ()

    def doc(self, language: str) -> FieldDoc:
        """The field's label and hint in ``language`` (or another variety of it: ``ko-KR`` for
        ``ko``), else in the first language that documents it; without a label, the name with
        its underscores as spaces."""
        primary = language.split("-")[0].lower()
        found = dict(self.docs).get(language) or next(
            (doc for tag, doc in self.docs if tag.split("-")[0].lower() == primary),
            self.docs[0][1] if self.docs else FieldDoc("", ""),
        )
        return FieldDoc(found.label or self.name.replace("_", " ").capitalize(), found.hint)


def template_fields(library: TemplateLibrary, template: str) -> tuple[TemplateField, ...]:
    """The fields ``template`` reads in any of its languages, documented ones first.

    Nothing for a template that does not exist or does not parse: the service says why when
    the draft is previewed or saved.
    """
    try:
        languages = library.languages(template)
    except DraftError:
        return ()
    order: list[str] = []
    kinds: dict[str, FieldKind] = {}
    tagged: set[str] = set()
    required: dict[str, bool | None] = {}
    docs: dict[str, list[tuple[str, FieldDoc]]] = {}
    for language in languages:
        try:
            source, tree = library.parsed(template, language)
        except DraftError:
            continue
        names = library.fields(template, language)  # worked out once per source
        for documented, (needed, doc) in _documented(source, names).items():
            required.setdefault(documented, needed)
            docs.setdefault(documented, []).append((language, doc))
        order.extend(_in_order(tree, names))
        kinds = {**_kinds(tree, names), **kinds}
        tagged |= _filtered(tree, names, "hashtags")
    names_in_order = [*docs, *(name for name in dict.fromkeys(order) if name not in docs)]
    return tuple(
        TemplateField(
            name=name,
            kind=_kind(kinds.get(name, "text"), [doc.hint for _, doc in docs.get(name, [])]),
            required=required.get(name),
            hashtags=name in tagged,
            docs=tuple(docs.get(name, [])),
        )
        for name in names_in_order
    )


def _documented(source: str, names: frozenset[str]) -> dict[str, tuple[bool | None, FieldDoc]]:
    """Fields described in the template's opening comment: required or optional, and what it
    says of each."""
    found = _DOC.search(source)
    if found is None:
        return {}
    documented: dict[str, tuple[bool | None, FieldDoc]] = {}
    section: bool | None = None
    last: str | None = None
    for line in found[1].splitlines():
        heading = line.strip().lower()
        if heading.startswith("required fields"):
            section, last = True, None
            continue
        if heading.startswith("optional fields"):
            section, last = False, None
            continue
        if heading.startswith("set by the renderer") or not heading:
            section, last = None, None
            continue
        entry = _DOC_FIELD.match(line)
        if entry and entry[1] in names:
            last = entry[1]
            documented[last] = (section, FieldDoc((entry[2] or "").strip(), entry[3].strip()))
        elif last is not None and line.startswith("    "):
            required, doc = documented[last]
            documented[last] = (required, FieldDoc(doc.label, f"{doc.hint} {line.strip()}"))
    return documented


def _in_order(tree: nodes.Template, names: frozenset[str]) -> list[str]:
    return [node.name for node in tree.find_all(nodes.Name) if node.name in names]


def _kinds(tree: nodes.Template, names: frozenset[str]) -> dict[str, FieldKind]:
    kinds: dict[str, FieldKind] = {}
    for loop in tree.find_all(nodes.For):
        if isinstance(loop.iter, nodes.Name) and loop.iter.name in names:
            kinds[loop.iter.name] = "list"
    for applied in tree.find_all(nodes.Filter):
        kind = FILTER_KINDS.get(applied.name)
        if kind and isinstance(applied.node, nodes.Name) and applied.node.name in names:
            kinds.setdefault(applied.node.name, kind)
    return kinds


def _filtered(tree: nodes.Template, names: frozenset[str], name: str) -> set[str]:
    """The fields the filter ``name`` is applied to."""
    return {
        applied.node.name
        for applied in tree.find_all(nodes.Filter)
        if applied.name == name
        and isinstance(applied.node, nodes.Name)
        and applied.node.name in names
    }


def _kind(kind: FieldKind, hints: list[str]) -> FieldKind:
    """Prose when any language's hint speaks of a paragraph or sentences (the English one does
    for the built-in templates)."""
    return "prose" if kind == "text" and any(_PROSE.search(hint) for hint in hints) else kind


def check_shapes(fields: Sequence[TemplateField], given: Mapping[str, Any]) -> None:
    """A DraftError naming the first field whose value is not of its kind: a template would
    print a list, a table or true/false in a text as Python writes them, and a filter that
    refuses a value cannot say which field held it."""
    by_name = {field.name: field for field in fields}
    for name, value in given.items():
        field = by_name.get(name)
        shape = SHAPES.get(field.kind if field else "text")
        if shape and not shape[0](value):
            raise DraftError(problem(f"fields.{name}", shape[1]))
        if field and field.hashtags and (word := _not_a_hashtag(value)) is not None:
            raise DraftError(problem(f"fields.{name}", NOT_A_HASHTAG, word=repr(word)))


def _not_a_hashtag(value: Any) -> str | None:
    """The first word of ``value`` that is no hashtag (empty, or holding a space), as the
    ``hashtags`` filter reads it: a list of words, or words in one text."""
    words = value.split() if isinstance(value, str) else value if isinstance(value, list) else []
    for word in words:
        tag = word.removeprefix("#") if isinstance(word, str) else ""
        if not tag or any(char.isspace() for char in tag):
            return str(word)
    return None


def _scalar(value: Any) -> bool:
    """Text, a number, a date: what a template prints as it is written."""
    return isinstance(value, str | int | float | date) and not isinstance(value, bool)


def _texts(value: Any) -> bool:
    """A list of texts, or words in one text (the ``hashtags`` filter splits it)."""
    return isinstance(value, str) or (isinstance(value, list) and all(map(_scalar, value)))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


NOT_A_HASHTAG = N_("%(word)s is not a hashtag: one word each, such as ZeroWaste")
SHAPES: dict[FieldKind, tuple[Callable[[Any], bool], str]] = {
    "text": (_scalar, N_("should be text, not a list or a table")),
    "prose": (_scalar, N_("should be text, not a list or a table")),
    "list": (_texts, N_('should be a list of texts, such as ["a", "b"]')),
    "date": (lambda value: isinstance(value, date), N_("should be a date, such as 2027-03-01")),
    "datetime": (
        lambda value: isinstance(value, date),
        N_("should be a date and time, such as 2027-03-01T09:00:00+09:00"),
    ),
    "number": (_is_number, N_("should be a number")),
}


def field_value(
    shared: str,
    per_language: Mapping[str, str],
    kind: FieldKind,
    languages: Sequence[str],
    zone: ZoneInfo,
) -> Any:
    """The draft-file value of one field typed as text: one value, a table of per-language ones,
    or None (left out). ``shared`` is typed for every language, ``per_language`` by language.

    A language without a value of its own takes the one for every language. A list left empty
    is an empty list (the built-in templates take ``hashtags = []``).
    """
    common = value_from_text(shared, kind, zone)
    if common is None and kind == "list":
        common = []
    own = {
        language: parsed
        for language in languages
        if (parsed := value_from_text(per_language.get(language, ""), kind, zone)) is not None
    }
    if own and common is not None:
        return {language: own.get(language, common) for language in languages}
    return own or common


def value_from_text(text: str, kind: FieldKind, zone: ZoneInfo) -> Any:
    """The draft-file value of a field typed as text (a form's box, a CSV cell): a list (one
    item a line), a date, a date and time (in ``zone`` without an offset), a number, or the text;
    None when nothing was typed. A value that does not parse stays the text typed, for the
    template to refuse by name."""
    if kind == "list":
        items = [line.strip() for line in text.splitlines() if line.strip()]
        return items or None
    value = text.strip()
    if not value:
        return None
    if kind in {"date", "datetime"}:
        return _when(value, zone)
    if kind == "number":
        return _number(value)
    return value


def _when(value: str, zone: ZoneInfo) -> date | datetime | str:
    """A date, or a date and time (a time without an offset is in ``zone``); else the text."""
    try:
        if DATE.match(value):
            return date.fromisoformat(value)
        instant = datetime.fromisoformat(value)
    except ValueError:
        return value
    if instant.tzinfo is None:
        try:
            return localize(instant, zone).astimezone(zone)
        except ValueError:
            return value
    return instant


def _number(value: str) -> int | float | str:
    for convert in (int, float):
        try:
            number = convert(value)
        except ValueError:
            continue
        if isinstance(number, float) and not math.isfinite(number):
            return value
        return number
    return value
