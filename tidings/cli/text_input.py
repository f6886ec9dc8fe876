"""Text that reaches a command from outside (its arguments, ``--as`` and ``TIDINGS_USER``, a
password on stdin) is UTF-8, or the command stops with one line naming it, having changed
nothing.

Python hands bytes that are not UTF-8 on as lone surrogates (``\\udcff``), which the database,
the terminal and the platforms all refuse later, mid-command. A file name is not text: any bytes
a file name may hold are kept, so a ``Path`` argument (and ``--config``) is not checked.
"""

from __future__ import annotations

import sys

import typer
from typer import _click

from drafts.errors import TidingsError


def utf8(field: str, value: str) -> str:
    """``value``, if it is UTF-8 text; else a TidingsError naming ``field``."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _not_text(field) from None
    return value


def stdin_line() -> str:
    """stdin's first line, without its line break, if it is UTF-8 text. Depending on the
    locale, Python refuses other bytes as it reads them or passes them on as surrogates:
    either way they are one TidingsError naming stdin."""
    try:
        line = sys.stdin.readline()
    except UnicodeDecodeError:
        raise _not_text("stdin") from None
    return utf8("stdin", line.rstrip("\n"))


def _not_text(field: str) -> TidingsError:
    return TidingsError(f"{field}: is not UTF-8 text")


def check_arguments(ctx: typer.Context) -> None:
    """Each text a command was given, and its group's (``tidings draft``'s for ``draft list``),
    is UTF-8: else a TidingsError naming the first that is not, as the command line spells it.
    Not the root's options: ``--config`` names a file, and ``--as`` is checked where it is
    read, with ``TIDINGS_USER`` (``AppContext.user_name``)."""
    command_context: _click.Context | None = ctx
    while command_context is not None and command_context.parent is not None:
        for param in command_context.command.params:
            value = command_context.params.get(param.name or "")
            for each in value if isinstance(value, list | tuple) else [value]:
                if isinstance(each, str):
                    utf8(_spelled(param), each)
        command_context = command_context.parent


def _spelled(param: _click.Parameter) -> str:
    """An option by its longest name (``--comment``), an argument as its usage line shows it
    (``ID``, ``name``)."""
    if param.param_type_name == "option":
        return max(param.opts, key=len)
    return param.metavar or param.name or "argument"
