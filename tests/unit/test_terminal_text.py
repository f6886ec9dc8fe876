"""The command line's consoles show text from drafts as it is: control characters as visible
marks, rich markup and emoji codes as typed."""

from __future__ import annotations

import json
import logging

import pytest
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tidings.cli.console import InertLogFormatter, err, inert_json, out, visible


def test_each_control_character_has_a_visible_mark() -> None:
    assert visible("a\x1b[2J\x07\r\x00\x7f\x9b\x85b") == "a␛[2J␇␍␀␡\\x9b\\x85b"
    assert visible("two\nlines\tand a tab, 한국어 👩‍💻") == "two\nlines\tand a tab, 한국어 👩‍💻"
    assert (
        visible("Invoice \u202efdp.exe \u2067x\u2069") == "Invoice \\u202efdp.exe \\u2067x\\u2069"
    )
    assert (
        visible("\u05e9\u05dc\u05d5\u05dd\u200f!") == "\u05e9\u05dc\u05d5\u05dd\u200f!"
    )  # a mark stays


def test_strings_cells_panels_and_styled_text_are_all_shown_inert(
    capsys: pytest.CaptureFixture[str],
) -> None:
    table = Table("title")
    table.add_row("Minutes \x1b]0;owned\x07")
    styled = Text("kept ", style="bold")
    styled.append("\x9b2J", style="red")
    out.print("say \x1b[2J", table, Panel(Text("body \x1b]8;;https://evil\x1b\\")), styled)
    err.print("error \x1b[2J")
    output = "".join(capsys.readouterr())
    assert "\x1b" not in output
    assert "say ␛[2J" in output
    assert "Minutes ␛]0;owned␇" in output
    assert "body ␛]8;;https://evil␛\\" in output
    assert "kept \\x9b2J" in output
    assert "error ␛[2J" in output


def test_markup_and_emoji_codes_in_text_are_shown_as_typed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    table = Table("title")
    table.add_row("[/] closes nothing, [bold]is not bold[/bold] :warning:")
    out.print(table)
    assert "[/] closes nothing, [bold]is not bold[/bold] :warning:" in capsys.readouterr().out


def test_json_and_log_lines_escape_what_json_dumps_leaves_raw() -> None:
    dumped = json.dumps({"reason": "bad \x9b2J \x1b[2J \x7f \u202e"}, ensure_ascii=False)
    assert inert_json(dumped) == '{"reason": "bad \\u009b2J \\u001b[2J \\u007f \\u202e"}'
    assert json.loads(inert_json(dumped)) == json.loads(dumped)
    record = logging.LogRecord("tidings.attempts", logging.INFO, "", 0, dumped, None, None)
    assert InertLogFormatter("%(message)s").format(record) == inert_json(dumped)
