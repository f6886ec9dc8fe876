"""Commands named in a table and imported when they run, so the command line starts quickly.

A command's module pulls in the storage layer, the web app, the platform adapters or the
text rules, which takes most of a second; ``tidings --help`` needs none of that, and
``tidings queue`` needs only its own part. The root group therefore holds a stand-in per
command: its name and one-line help for listings and completion, and the module and name
to import once the command is about to parse its arguments.
"""

from __future__ import annotations

import gc
import inspect
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from importlib import import_module
from typing import Any, ClassVar

import typer
from typer import _click
from typer.core import TyperCommand, TyperGroup

# ``-h`` as well as ``--help``, as most command lines take: the root group's context setting,
# which every command's context inherits, and the names each command's help option is made with.
HELP_NAMES = ["-h", "--help"]


@dataclass(frozen=True)
class LazyCommand:
    """Where a command lives: ``module``'s ``attribute``, a function (one command) or a
    ``typer.Typer`` (a group such as ``tidings draft``); ``help`` is what listings show."""

    name: str
    module: str
    attribute: str
    help: str


class StandIn(TyperCommand):
    """A command known by name and help until it parses arguments, when the real one is
    imported and takes over: its context, parameters, help and subcommands are its own."""

    def __init__(self, entry: LazyCommand) -> None:
        super().__init__(entry.name, help=entry.help, short_help=entry.help)
        self.entry = entry

    @cached_property
    def command(self) -> _click.Command:
        """The real command, imported on first use."""
        target = getattr(import_module(self.entry.module), self.entry.attribute)
        if isinstance(target, typer.Typer):
            return _reflowed(typer.main.get_group(target))
        single = typer.Typer(add_completion=False)
        single.command(self.entry.name)(target)
        return _reflowed(typer.main.get_command(single))

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: _click.Context | None = None,
        **extra: Any,
    ) -> _click.Context:
        with collector_paused():  # the command's import, and typer's for its parameters
            return self.command.make_context(info_name, args, parent=parent, **extra)


def _reflowed(command: _click.Command) -> _click.Command:
    """``command`` and its subcommands with their help's paragraphs each on one line, for the
    terminal to wrap: typer keeps the line breaks of a docstring's paragraphs after the first,
    so ``--help`` broke lines mid-sentence (``queued at their`` / ``occurrences.``). A line
    that starts a list item (``-``) stays a line of its own. Its flags are shown as taking
    nothing (``without_value_types``)."""
    if command.help:
        paragraphs = inspect.cleandoc(command.help).split("\n\n")
        command.help = "\n\n".join(re.sub(r"\n(?![-*] )", " ", each) for each in paragraphs)
    without_value_types(command)
    for each in getattr(command, "commands", {}).values():
        _reflowed(each)
    return command


def without_value_types(command: _click.Command) -> None:
    """No type beside ``command``'s flags (``--help`` included) in its help: typer shows
    ``--json <bool>``, which reads as an option that takes true or false, and a flag takes
    no value (``--json true`` is refused). The help option is made here, once, with
    ``HELP_NAMES``."""
    help_option = command.get_help_option(_click.Context(command, help_option_names=HELP_NAMES))
    for param in [*command.params, *([help_option] if help_option else [])]:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""


# Whether this process is the command (tidings.cli.main run as the script, not main(args) in
# the tests): then what a command imports is kept for the process's life (keep_imports).
_keeping_imports = False


def keep_imports() -> None:
    """Once a command's modules are imported, move every object so far into the collector's
    permanent generation (``gc.freeze``): they live as long as this one-command process, and
    otherwise the first collections after the import walk all of them (some 100,000) to free
    nothing, 45 ms of ``tidings queue``. Only for a process that is the command: in-process
    callers (the tests) keep every object collectable."""
    global _keeping_imports
    _keeping_imports = True


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection while a command's modules are imported: their tens of thousands
    of new objects (classes, functions, the ORM's tables) set off collection after collection
    that find nothing to free, some 10% of the import. In a process that is the command, what
    was imported is then kept out of the collector's reach (``keep_imports``)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _keeping_imports:
            gc.freeze()
        if was_enabled:
            gc.enable()


class LazyGroup(TyperGroup):
    """The root group: the commands in ``table`` as stand-ins, in its order, then any
    registered on the ``typer.Typer`` itself (imported with ``tidings.cli.app``)."""

    table: ClassVar[Sequence[LazyCommand]] = ()

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        without_value_types(self)
        self.commands = {
            **{entry.name: StandIn(entry) for entry in self.table},
            **self.commands,
        }

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: _click.Context | None = None,
        **extra: Any,
    ) -> _click.Context:
        with collector_paused():  # typer's parsing of the global options imports pydantic
            return super().make_context(info_name, args, parent=parent, **extra)
