"""The ``tidings`` command."""

from __future__ import annotations

import gc
import os
import sys
import traceback

from typer import Abort

# Typer vendors Click from 0.26 on; its usage errors have no public name (pinned in pyproject).
from typer._click.exceptions import NoArgsIsHelpError, UsageError

from tidings.cli.app import app
from tidings.cli.console import fail
from tidings.cli.lazy import keep_imports

GLOBAL_FLAGS = {"--json"}
GLOBAL_OPTIONS = {"--config", "--as"}


def main(argv: list[str] | None = None) -> None:
    """Run the command line: user errors become one line on stderr and exit status 1."""
    args = hoist_global_options(sys.argv[1:] if argv is None else argv)
    if argv is None:  # this process is the command (the script, or python -m tidings)
        # Tidings uses no pydantic plugins: without this, the first model built looks for them
        # in every installed package's entry points (7 to 12 ms of each command's start).
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
        keep_imports()
    try:
        code = app(args=args, prog_name="tidings", standalone_mode=False)
    except NoArgsIsHelpError as error:  # `tidings draft`: which draft command? its help says
        error.show()
        raise SystemExit(1) from None
    except UsageError as error:  # a mistyped command line, said as our other errors are
        fail(usage_problem(error))
    except (KeyboardInterrupt, Abort):
        fail("interrupted")
    except Exception as error:
        fail(problem_line(error))
    finally:
        if argv is None:  # this process is the command (the script, or python -m tidings)
            spare_the_exit()

    if isinstance(code, int) and code:
        raise SystemExit(code)


def spare_the_exit() -> None:
    """The command is done: spare the interpreter's exit its garbage collections, which walk
    every object the command imported (some 90,000 with the storage layer), a tenth of a
    second of every ``tidings queue``. Frozen objects are still freed at exit, by their
    reference counts; only cycles are left to the end of the process. Not for ``main(args)``
    in-process (the tests), which must keep collecting."""
    gc.freeze()


def problem_line(error: Exception) -> str:
    """A user's error as its one line; a bug said as one, its traceback printed for whoever
    debugs with TIDINGS_DEBUG set. Imported here, when something went wrong: the errors'
    module and the scrubber would add a tenth of a second to every start."""
    from drafts.errors import TidingsError
    from scheduler.credentials import scrub

    if isinstance(error, TidingsError):
        return scrub(str(error))
    if os.environ.get("TIDINGS_DEBUG"):
        traceback.print_exc()
    return (
        scrub(f"internal error ({bug_summary(error)}); ")
        + "run again with TIDINGS_DEBUG=1 for the traceback and please report it"
    )


def bug_summary(error: Exception) -> str:
    """The bug's type and message; only the type for SQLAlchemy's errors, whose message quotes
    the SQL and its parameters (a draft's text, a user's name)."""
    name = type(error).__name__
    if type(error).__module__.startswith("sqlalchemy."):
        return name
    return f"{name}: {error}"


def usage_problem(error: UsageError) -> str:
    """Click's complaint as one line naming the command: ``tidings draft show: Invalid value
    for 'ID': … (tidings draft show --help)``."""
    command = error.ctx.command_path if error.ctx is not None else "tidings"
    # A choice typer checks with pydantic starts its reason so: the reason is enough.
    message = " ".join(error.format_message().replace("Value error, ", "").split())
    return f"{command}: {message} (see {command} --help)"


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
