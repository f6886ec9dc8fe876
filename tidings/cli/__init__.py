"""The ``tidings`` command."""

from __future__ import annotations

import os
import sys
import traceback

from drafts.errors import TidingsError
from tidings.cli.app import app
from tidings.cli.console import fail

GLOBAL_FLAGS = {"--json"}
GLOBAL_OPTIONS = {"--config", "--as"}


def main(argv: list[str] | None = None) -> None:
    """Run the command line: user errors become one line on stderr and exit status 1."""
    args = hoist_global_options(sys.argv[1:] if argv is None else argv)
    try:
        app(args=args, prog_name="tidings")
    except TidingsError as error:
        fail(str(error))
    except KeyboardInterrupt:
        fail("interrupted")
    except Exception as error:  # a bug: say so in one line, keep the traceback for whoever debugs
        if os.environ.get("TIDINGS_DEBUG"):
            traceback.print_exc()
        fail(
            f"internal error ({type(error).__name__}: {error}); "
            "run again with TIDINGS_DEBUG=1 for the traceback and please report it"
        )


def hoist_global_options(args: list[str]) -> list[str]:
    """Move ``--config``, ``--as`` and ``--json`` to the front so they work after the command too."""
    hoisted: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        name = arg.split("=", 1)[0]
        if arg in GLOBAL_FLAGS or (name in GLOBAL_OPTIONS and "=" in arg):
            hoisted.append(arg)
        elif arg in GLOBAL_OPTIONS and index + 1 < len(args):
            hoisted.extend(args[index : index + 2])
            index += 1
        else:
            rest.append(arg)
        index += 1
    return hoisted + rest
