"""Turns a pydantic ``ValidationError`` into the problems users read, said in plain words.

Each field pydantic refused is one problem, ``FIELD: PROBLEM`` (``drafts.messages.Problem``); a
value outside an enumeration is named with the values allowed (``kind: 'tweetstorm' is not a
kind: update, hiring, event or post``). ``one_line`` gathers a file's problems, every one of
them: ``hiring.toml: 2 problems: a; b``. Each problem is a structured sentence, so the web says it
in the viewer's language; pydantic's own wording is kept only for a refusal it has no sentence
here for.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from drafts.messages import N_, Item, Key, Problem, Problems, Said, said

_QUOTED = re.compile(r"'([^']*)'")
_LONGEST_SHOWN = 60

# pydantic's refusals of a value's type, said the same way whatever the field.
_TYPE_WORDS = {
    "string_type": N_("Input should be a valid string"),
    "list_type": N_("Input should be a valid list"),
    "dict_type": N_("Input should be a valid table"),
    "model_type": N_("Input should be a valid table"),
    "int_type": N_("Input should be a whole number"),
    "int_parsing": N_("Input should be a whole number"),
    "int_from_float": N_("Input should be a whole number"),
    "float_type": N_("Input should be a number"),
    "float_parsing": N_("Input should be a number"),
}
# Bounds on a number (``ctx`` names the bound by the kind of comparison).
_BOUND_WORDS = {
    "greater_than": ("gt", N_("should be more than %(limit)s")),
    "greater_than_equal": ("ge", N_("should be at least %(limit)s")),
    "less_than": ("lt", N_("should be less than %(limit)s")),
    "less_than_equal": ("le", N_("should be at most %(limit)s")),
}


def describe(error: ValidationError, source: str, data: Mapping[str, Any]) -> Problems:
    """Every problem ``error`` holds, as the problems of ``source``."""
    return one_line(source, problems(error, data))


def one_line(source: str, found: Sequence[Item]) -> Problems:
    """``found``, every one, as the problems of ``source``: one line, ``SOURCE: PROBLEM`` or
    ``SOURCE: N problems: FIRST; SECOND; ...``."""
    return Problems(source, tuple(found))


def problems(error: ValidationError, data: Mapping[str, Any]) -> list[Problem]:
    """One ``FIELD: PROBLEM`` per field pydantic refused, in the order it found them.

    An unknown key that is a misspelling of a missing one is one problem, said at the unknown
    key; a field refused several ways (each member of a union) is said the first way."""
    errors = error.errors()
    found: dict[str, Said | str] = {}
    explained: set[tuple[int | str, ...]] = set()
    for unknown in (e for e in errors if e["type"] == "extra_forbidden"):
        parent = unknown["loc"][:-1]
        missing = [str(e["loc"][-1]) for e in errors if _is_missing_in(e, parent)]
        close = difflib.get_close_matches(str(unknown["loc"][-1]), missing, n=1)
        if close:
            explained.add((*parent, close[0]))
            meant = said(N_("unknown key (did you mean %(key)s?)"), key=close[0])
            found[_field_path(unknown["loc"], data)] = meant
    for each in errors:
        if each["type"] == "missing" and tuple(each["loc"]) in explained:
            continue
        field = _field_path(each["loc"], data)
        if each["type"].startswith("union_tag"):
            field += ".platform"
        found.setdefault(field, _message(each))
    return [Problem(field, message) for field, message in found.items()]


def not_one_of(value: object, noun: str, allowed: Iterable[str]) -> Said:
    """``'tweetstorm' is not a kind: update, hiring, event or post``, with ``(did you mean
    …?)`` when one allowed value is close to ``value``."""
    names = list(allowed)
    listed: Said | str = "".join(names)
    if len(names) > 1:
        listed = said(N_("%(some)s or %(last)s"), some=", ".join(names[:-1]), last=names[-1])
    shown = repr(value)
    if len(shown) > _LONGEST_SHOWN:  # a value pasted by mistake, not typed: its start is enough
        shown = shown[: _LONGEST_SHOWN - 1] + "…"
    if noun[:1] in "aeiou":
        refusal = said(
            N_("%(value)s is not an %(noun)s: %(allowed)s"),
            value=shown,
            noun=Key(noun),
            allowed=listed,
        )
    else:
        refusal = said(
            N_("%(value)s is not a %(noun)s: %(allowed)s"),
            value=shown,
            noun=Key(noun),
            allowed=listed,
        )
    close = difflib.get_close_matches(str(value), names, n=1)
    if not close:
        return refusal
    return said(N_("%(refusal)s (did you mean %(close)s?)"), refusal=refusal, close=close[0])


def _is_missing_in(error: Mapping[str, Any], parent: Sequence[int | str]) -> bool:
    return error["type"] == "missing" and tuple(error["loc"][:-1]) == tuple(parent)


def _field_path(loc: Sequence[int | str], data: Mapping[str, Any]) -> str:
    parts: list[str] = []
    node: Any = data
    for step in loc:
        if isinstance(step, int):
            parts[-1] += f"[{step}]"
            node = node[step] if isinstance(node, list) and step < len(node) else None
            if isinstance(node, Mapping) and isinstance(node.get("id"), str):
                parts[-1] += f" ({node['id']})"
            continue
        if isinstance(node, Mapping) and step in node:
            node = node[step]
            parts.append(step)
        elif step in {"function-after", "function-before"}:
            continue
        elif isinstance(node, Mapping) and node.get("platform") == step:
            continue  # pydantic names the union member it tried; the user wrote no such key
        elif node is not None and not isinstance(node, Mapping):
            continue  # the member of a plain union (publish_at.str): no key either
        else:
            parts.append(step)
            node = None
    return ".".join(parts)


def explain(error: Mapping[str, Any]) -> Said | str:
    """One of pydantic's errors in our words, as a draft file's problems say it (the API's 422
    answers, whose body pydantic checks before any of ours)."""
    return _message(error)


def _message(error: Mapping[str, Any]) -> Said | str:
    kind = error["type"]
    ctx = error.get("ctx", {})
    if kind == "missing":
        return said(N_("required but missing"))
    if kind == "extra_forbidden":
        return said(N_("unknown key (misspelled?)"))
    if kind == "string_pattern_mismatch":
        return said(N_("%(value)s is not in the expected form"), value=repr(error["input"]))
    if kind == "literal_error":
        noun = next((str(step) for step in reversed(error["loc"]) if isinstance(step, str)), "")
        return not_one_of(error["input"], noun or "value", _QUOTED.findall(ctx["expected"]))
    if kind == "union_tag_invalid":
        return not_one_of(ctx.get("tag"), "platform", _QUOTED.findall(ctx["expected_tags"]))
    if kind == "union_tag_not_found":
        return said(N_("'platform' is required"))
    if kind in {"bool_parsing", "bool_type"}:
        return said(N_("%(value)s is not true or false"), value=repr(error["input"]))
    if kind in _TYPE_WORDS:
        return said(_TYPE_WORDS[kind])
    if kind in _BOUND_WORDS:
        bound, text = _BOUND_WORDS[kind]
        return said(text, limit=str(ctx[bound]))
    if kind in {"string_too_short", "string_too_long", "too_short", "too_long"}:
        return _length(kind, error["input"], ctx)
    if kind == "value_error" and isinstance(ctx.get("error"), ValueError):
        made = ctx["error"].args[0] if ctx["error"].args else ""
        if isinstance(made, Said):  # a validator of ours said it
            return made
    text = str(error["msg"])
    return text.removeprefix("Value error, ")


def _length(kind: str, value: Any, ctx: Mapping[str, Any]) -> Said:
    """A text or a list too short or too long, said with the bound and how long it is."""
    length = len(value) if isinstance(value, str | list | dict | tuple) else 0
    text = kind.startswith("string")
    if kind.endswith("too_short"):
        least = int(ctx.get("min_length", 1))
        if least <= 1:
            return said(N_("is empty") if text else N_("is empty: give at least one"))
        if text:
            return said(N_("needs at least %(count)s characters"), count=least)
        return said(N_("needs at least %(count)s entries"), count=least)
    most = f"{int(ctx.get('max_length', 0)):,}"
    if text:
        words = {"length": f"{length:,}", "limit": most}
        return said(N_("has %(length)s characters; at most %(limit)s are allowed"), **words)
    return said(
        N_("has %(length)s entries; at most %(limit)s are allowed"), length=length, limit=most
    )
