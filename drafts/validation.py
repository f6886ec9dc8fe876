"""Turns a pydantic ``ValidationError`` into the one clear line users see."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError


def describe(error: ValidationError, source: str, data: Mapping[str, Any]) -> str:
    """``SOURCE: FIELD: PROBLEM`` for the first problem, with a count of any others."""
    errors = error.errors()
    # An unknown key usually explains a "missing" one: it is the same key, misspelled.
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    field = _field_path(first["loc"], data)
    if first["type"].startswith("union_tag"):
        field += ".platform"
    message = _message(first)
    if first["type"] == "extra_forbidden":
        missing = [str(e["loc"][-1]) for e in errors if e["type"] == "missing"]
        close = difflib.get_close_matches(str(first["loc"][-1]), missing, n=1)
        if close:
            message = f"unknown key (did you mean {close[0]}?)"
    others = error.error_count() - 1
    more = f" (and {others} more problem{'s' if others > 1 else ''})" if others else ""
    return f"{source}: {field}: {message}{more}" if field else f"{source}: {message}{more}"


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
    if kind == "missing":
        return "required but missing"
    if kind == "extra_forbidden":
        return "unknown key (misspelled?)"
    if kind == "string_pattern_mismatch":
        return f"{error['input']!r} is not in the expected form"
    if kind == "union_tag_invalid":
        ctx = error.get("ctx", {})
        return f"{ctx.get('tag')!r} is not one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return "'platform' is required"
    text = str(error["msg"])
    return text.removeprefix("Value error, ")
