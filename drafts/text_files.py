"""Files that people write (``config.toml``, draft files, post templates), checked as read.

Every file must be UTF-8. In TOML, values nest at most ``MAX_DEPTH`` levels: the parser and
everything that walks a value recurse, and a file of a thousand ``[`` must not exhaust the
stack. Strings hold no control character but tab and line breaks, and keys none at all:
PostgreSQL cannot store NUL, a terminal obeys escape sequences, a key is quoted into one-line
messages, and no post needs any of them. Every problem is one line naming the file and key.
"""

from __future__ import annotations

import tomllib
import unicodedata
from typing import Any

from drafts.errors import TidingsError

MAX_DEPTH = 32
ALLOWED_CONTROLS = frozenset("\t\n\r")


def utf8_text(data: bytes, name: str, error: type[TidingsError]) -> str:
    """``data`` as text (a leading byte-order mark dropped); ``error`` says where it is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        raise error(not_utf8(name, problem)) from None


def not_utf8(name: str, problem: UnicodeDecodeError) -> str:
    """``NAME: not UTF-8 text (byte 0xff at position 12)``."""
    byte = problem.object[problem.start]
    return f"{name}: not UTF-8 text (byte 0x{byte:02x} at position {problem.start})"


def load_toml(text: str, name: str, error: type[TidingsError]) -> dict[str, Any]:
    """The TOML document in ``text``, checked for depth and control characters."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        raise error(f"{name}: not valid TOML: {problem}") from None
    except RecursionError:
        raise error(f"{name}: not valid TOML: nested too deeply") from None
    found = _first_problem(data)
    if found is not None:
        raise error(f"{name}: {found}")
    return data


def control_character(text: str, allowed: frozenset[str] = ALLOWED_CONTROLS) -> str | None:
    """How to name the first control character in ``text`` that is not ``allowed``."""
    for char in text:
        if char not in allowed and unicodedata.category(char) == "Cc":
            return "a NUL character" if char == "\0" else f"the control character U+{ord(char):04X}"
    return None


def _first_problem(data: dict[str, Any]) -> str | None:
    # Walked with a stack of its own: a value is as deep as the parser allowed. Each entry
    # keeps the path shown for a value nested too deeply: the key it sits under in a table.
    stack: list[tuple[str, str, Any, int]] = [("", "", data, 0)]
    while stack:
        path, under, value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"{under}: nested more than {MAX_DEPTH} levels deep"
        if isinstance(value, str) and (found := control_character(value)):
            return f"{path}: holds {found}"
        if isinstance(value, dict):
            for key, item in reversed(value.items()):
                # Keys are names, quoted into messages: not even a line break.
                if found := control_character(key, allowed=frozenset()):
                    return f"{_join(path, repr(key))}: the key holds {found}"
                inner = _join(path, key)
                stack.append((inner, inner if depth < 2 else under, item, depth + 1))
        elif isinstance(value, list):
            items = reversed(list(enumerate(value)))
            stack.extend((f"{path}[{index}]", under, item, depth + 1) for index, item in items)
    return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
