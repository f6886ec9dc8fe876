"""Where the command line writes: results on stdout, errors on stderr."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str) -> NoReturn:
    """Print one clear line and exit with status 1."""
    err.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False)
    raise SystemExit(1)


def say(message: str) -> None:
    out.print(message, markup=False)


def emit_json(data: Any) -> None:
    """Machine-readable output: plain JSON on stdout, nothing else."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
