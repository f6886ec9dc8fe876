"""Where the command line writes: results on stdout, errors on stderr.

Whatever reaches the terminal from a draft, a user or a platform is shown, never obeyed: an
escape sequence in a title (``ESC [2J``, an OSC 8 link, an OSC 0 window title) would otherwise
rewrite the reviewer's screen. The consoles here show each control character as a visible mark,
read no rich markup or emoji codes in text, and JSON and log lines escape what JSON leaves raw.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Any, NoReturn

import typer
from rich.console import Console, ConsoleOptions, RenderableType
from rich.markup import escape
from rich.segment import Segment
from rich.text import Text

# Every C0 control but tab and line feed, DEL, and every C1 control (U+009B is a one-character
# CSI to a terminal that reads C1 controls); and the bidirectional embeddings, overrides and
# isolates, which reorder the rest of a terminal's line ("Invoice \u202efdp.exe" would read
# "Invoice exe.pdf"). The marks a right-to-left text needs (U+200E, U+200F) stay.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_DEL_PICTURE = "\u2421"  # ␡


def visible(text: str) -> str:
    """``text`` with each control character shown: a C0 control as its Unicode control picture
    (ESC as ␛, U+241B), DEL as ␡, a C1 control as ``\\x9b``, a bidirectional control as
    ``\\u202e``; tabs and line breaks stay."""
    return _CONTROL.sub(_picture, text)


def _picture(found: re.Match[str]) -> str:
    code = ord(found.group())
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return _DEL_PICTURE
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _visible_text(text: Text) -> Text:
    """A copy of ``text`` with its control characters shown, its styles kept."""
    if not _CONTROL.search(text.plain):
        return text
    shown = text.blank_copy()
    start = 0
    for found in _CONTROL.finditer(text.plain):
        shown.append_text(text[start : found.start()])
        shown.append(visible(found.group()))
        start = found.end()
    shown.append_text(text[start:])
    return shown


class TerminalConsole(Console):
    """A rich console on which no text can drive the terminal.

    Rich makes every string it prints into ``Text`` with ``render_str`` (which would drop BEL,
    BS and CR unseen), and renders every ``Text`` (table cells, panel bodies and titles
    included) with ``render``: there control characters become visible. Rich's own styles and
    cursor moves are made afterwards, as segments, and stay as they are.
    """

    def render_str(self, text: str, **options: Any) -> Text:
        return super().render_str(visible(text), **options)

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterable[Segment]:
        if isinstance(renderable, Text):
            renderable = _visible_text(renderable)
        return super().render(renderable, options)


# No markup or emoji codes: a title "[/]" or ":warning:" is shown as typed (markup is asked for
# where our own words carry it).
out = TerminalConsole(highlight=False, soft_wrap=True, markup=False, emoji=False)
err = TerminalConsole(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)


def fail(message: str) -> NoReturn:
    """Print one clear line and exit with status 1."""
    err.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False)
    raise SystemExit(1)


def warn(message: str) -> None:
    """Print one line on stderr about something that will go wrong later; nothing stops."""
    err.print(f"[bold yellow]warning:[/] {escape(message)}", markup=True, highlight=False)


def say(message: str) -> None:
    out.print(message, markup=False)


def inert_json(text: str) -> str:
    """JSON (or a log line) with DEL, the C1 controls and the bidirectional controls escaped
    as ``\\uXXXX``, which ``json.dumps(..., ensure_ascii=False)`` writes raw; C0 controls it escapes already, and any
    it did not are escaped here too (outside a JSON string they never occur)."""
    return _CONTROL.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def emit_json(data: Any) -> None:
    """Machine-readable output: plain JSON on stdout, nothing else."""
    typer.echo(inert_json(json.dumps(data, ensure_ascii=False, indent=2)))


class InertLogFormatter(logging.Formatter):
    """Log lines (the daemon's attempts, one JSON object each) with their control characters
    escaped: a platform's error text in them reaches a terminal too."""

    def format(self, record: logging.LogRecord) -> str:
        return inert_json(super().format(record))
