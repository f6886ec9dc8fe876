"""The command line starts quickly: `tidings --help` and `--version` import none of what the
commands need, and the table that lets them stays true to the commands it stands for."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from importlib.metadata import version

import pytest
import typer

from tidings.cli.app import COMMANDS, Tidings
from tidings.cli.lazy import LazyCommand, StandIn

# What only the commands need: the storage layer, the web app's pages and catalogue, the
# platforms' HTTP client, images, and the text rules (twitter-text's patterns).
HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "pydantic",
    "jinja2",
    "babel",
    "httpx",
    "PIL",
    "alembic",
    "drafts",
    "scheduler",
)

IMPORTED_BY = """
import json, sys
from tidings.cli import main
main({args!r})
heavy = {heavy!r}
print(json.dumps(sorted({{m for m in sys.modules if m.split(".")[0] in heavy}})), file=sys.stderr)
"""


def imported_by(*args: str) -> tuple[str, list[str]]:
    """What ``tidings ARGS`` printed, and which of HEAVY's modules it imported on the way."""
    script = IMPORTED_BY.format(args=list(args), heavy=HEAVY)
    finished = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return finished.stdout, json.loads(finished.stderr.splitlines()[-1])


def test_help_lists_every_command_without_importing_them() -> None:
    printed, heavy = imported_by("--help")
    assert heavy == []
    commands_panel = printed.split("Commands")[1].splitlines()[1:]
    listed = [
        line[2:].split()[0] for line in commands_panel if line.startswith("│ ") and line[2] != " "
    ]
    assert listed == [entry.name for entry in COMMANDS]


def test_version_is_the_installed_package_and_imports_no_command() -> None:
    printed, heavy = imported_by("--version")
    assert (printed, heavy) == (f"tidings {version('tidings')}\n", [])


def test_a_command_imports_what_it_needs_when_it_runs() -> None:
    printed, heavy = imported_by("draft", "--help")
    assert "Add, list, show and edit drafts." in printed
    assert "sqlmodel" in heavy


def first_paragraph(command: typer.core.TyperCommand | typer.core.TyperGroup) -> str:
    return " ".join(inspect.cleandoc(command.help or "").split("\n\n")[0].split())


@pytest.mark.parametrize("entry", COMMANDS, ids=[entry.name for entry in COMMANDS])
def test_each_listing_says_what_its_command_says(entry: LazyCommand) -> None:
    stand_in = Tidings(name="tidings").commands[entry.name]
    assert isinstance(stand_in, StandIn)
    command = stand_in.command
    assert isinstance(command, typer.core.TyperCommand | typer.core.TyperGroup)
    assert first_paragraph(command) == entry.help, "say it in COMMANDS (tidings/cli/app.py)"
