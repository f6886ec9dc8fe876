"""Every command's ``--help`` is prose the terminal wraps: each paragraph of its help on one line
(typer kept a docstring's line breaks after its first paragraph, and ``tidings schedule --help``
broke ``queued at their`` / ``occurrences.`` mid-sentence), and no reStructuredText quotes.
A flag is shown taking nothing: typer 0.29 showed ``--json <bool>``. ``-h`` is ``--help``."""

from __future__ import annotations

import re
from collections.abc import Iterator

import typer
from typer import _click
from typer.testing import CliRunner

from tidings.cli.app import app
from tidings.cli.lazy import StandIn


def commands(
    command: _click.Command, name: str = "tidings"
) -> Iterator[tuple[str, _click.Command]]:
    yield name, command
    for each_name, each in getattr(command, "commands", {}).items():
        yield from commands(
            each.command if isinstance(each, StandIn) else each, f"{name} {each_name}"
        )


def test_every_help_paragraph_is_one_line() -> None:
    found = list(commands(typer.main.get_command(app)))
    assert len(found) > 40
    for name, command in found:
        for paragraph in (command.help or "").split("\n\n"):
            assert "\n" not in paragraph.replace("\n- ", "- "), f"{name}: {paragraph!r}"
            assert "``" not in paragraph, f"{name}: {paragraph!r}"


def test_a_second_paragraph_is_wrapped_by_the_terminal() -> None:
    shown = CliRunner().invoke(app, ["schedule", "--help"], env={"COLUMNS": "160"}).output
    assert "its posts are queued at their occurrences." in shown


def test_no_flag_is_shown_taking_a_value() -> None:
    runner = CliRunner()
    for name, _command in commands(typer.main.get_command(app)):
        argv = [*name.split()[1:], "--help"]
        shown = runner.invoke(app, argv, env={"COLUMNS": "200"}).output
        assert "--help " in shown, name
        assert "<bool>" not in shown, f"{name}: {shown}"
    shown = runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    assert re.search(r"--config +FILE ", shown) and re.search(r"--as +NAME ", shown)


def test_dash_h_is_help_for_the_group_a_command_and_a_subcommand() -> None:
    runner = CliRunner()
    for argv in ([], ["queue"], ["draft"], ["draft", "list"]):
        long = runner.invoke(app, [*argv, "--help"], env={"COLUMNS": "120"})
        short = runner.invoke(app, [*argv, "-h"], env={"COLUMNS": "120"})
        assert (short.exit_code, short.output) == (0, long.output), argv
        assert "Usage: tidings" in short.output


def test_numbered_steps_each_begin_a_line() -> None:
    shown = CliRunner().invoke(app, ["secrets", "rotate", "--help"], env={"COLUMNS": "200"}).output
    steps = [line.strip()[:3] for line in shown.splitlines() if re.match(r"^ \d\. ", line)]
    assert steps == ["1. ", "2. ", "3. "], shown
