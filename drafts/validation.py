"""Turns a pydantic ``ValidationError`` into the one clear line users see.

Each field pydantic refused is one problem, ``FIELD: PROBLEM``; a value outside an enumeration
is named with the values allowed (``kind: 'tweetstorm' is not a kind: update, hiring, event or
post``). ``one_line`` joins a file's problems: ``hiring.toml: 2 problems: a; b``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

_QUOTED = re.compile(r"'([^']*)'")
_LONGEST_SHOWN = 60


def describe(error: ValidationError, source: str, data: Mapping[str, Any]) -> str:
    """Every problem ``error`` holds, as one line that starts with ``source``."""
    return one_line(source, problems(error, data))


def one_line(source: str, found: Sequence[str]) -> str:
    """``SOURCE: PROBLEM``, or ``SOURCE: N problems: FIRST; SECOND; ...``."""
    if len(found) == 1:
        return f"{source}: {found[0]}"
    return f"{source}: {len(found)} problems: {'; '.join(found)}"


def problems(error: ValidationError, data: Mapping[str, Any]) -> list[str]:
    """One ``FIELD: PROBLEM`` per field pydantic refused, in the order it found them.

    An unknown key that is a misspelling of a missing one is one problem, said at the unknown
    key; a field refused several ways (each member of a union) is said the first way."""
    errors = error.errors()
    found: dict[str, str] = {}
    explained: set[tuple[int | str, ...]] = set()
    for unknown in (e for e in errors if e["type"] == "extra_forbidden"):
        parent = unknown["loc"][:-1]
        missing = [str(e["loc"][-1]) for e in errors if _is_missing_in(e, parent)]
        close = difflib.get_close_matches(str(unknown["loc"][-1]), missing, n=1)
        if close:
            explained.add((*parent, close[0]))
            found[_field_path(unknown["loc"], data)] = f"unknown key (did you mean {close[0]}?)"
    for each in errors:
        if each["type"] == "missing" and tuple(each["loc"]) in explained:
            continue
        field = _field_path(each["loc"], data)
        if each["type"].startswith("union_tag"):
            field += ".platform"
        found.setdefault(field, _message(each))
    return [f"{field}: {message}" if field else message for field, message in found.items()]


def not_one_of(value: object, noun: str, allowed: Iterable[str]) -> str:
    """``'tweetstorm' is not a kind: update, hiring, event or post``, with ``(did you mean
    …?)`` when one allowed value is close to ``value``."""
    names = list(allowed)
    listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else "".join(names)
    article = "an" if noun[:1] in "aeiou" else "a"
    close = difflib.get_close_matches(str(value), names, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    shown = repr(value)
    if len(shown) > _LONGEST_SHOWN:  # a value pasted by mistake, not typed: its start is enough
        shown = shown[: _LONGEST_SHOWN - 1] + "…"
    return f"{shown} is not {article} {noun}: {listed}{hint}"


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


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx", {})
    if kind == "missing":
        return "required but missing"
    if kind == "extra_forbidden":
        return "unknown key (misspelled?)"
    if kind == "string_pattern_mismatch":
        return f"{error['input']!r} is not in the expected form"
    if kind == "literal_error":
        noun = next((str(step) for step in reversed(error["loc"]) if isinstance(step, str)), "")
        return not_one_of(error["input"], noun or "value", _QUOTED.findall(ctx["expected"]))
    if kind == "union_tag_invalid":
        return not_one_of(ctx.get("tag"), "platform", _QUOTED.findall(ctx["expected_tags"]))
    if kind == "union_tag_not_found":
        return "'platform' is required"
    if kind in {"bool_parsing", "bool_type"}:
        return f"{error['input']!r} is not true or false"
    text = str(error["msg"])
    return text.removeprefix("Value error, ")
