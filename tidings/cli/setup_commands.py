"""``tidings init``: a configuration file if there is none, and a database at the latest schema."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

from drafts.shipped import shipped_path
from tidings.cli.console import emit_json, say
from tidings.cli.context import app_context

EXAMPLE_CONFIG_NAMES = ("config.toml", "config.example.toml")


def init(ctx: typer.Context) -> None:
    """Create the database, or upgrade it to the latest schema; write config.toml if missing."""
    context = app_context(ctx)
    created_config = False
    if not context.config_path.exists():
        shutil.copyfile(example_config(), context.config_path)
        created_config = True
    database = context.database(check=False)
    before = database.current_revision()
    revision = database.migrate()
    if context.json:
        emit_json(
            {
                "config": str(context.config_path),
                "config_created": created_config,
                "database": database.display_url,
                "schema": revision,
                "upgraded_from": before,
            }
        )
        return
    if created_config:
        say(f"Wrote {context.config_path}: a commented example; edit its channels.")
    if before is None:
        say(f"Created the database {database.display_url} (schema {revision}).")
    elif before != revision:
        say(f"Upgraded the database {database.display_url} from schema {before} to {revision}.")
    else:
        say(f"The database {database.display_url} is up to date (schema {revision}).")


def example_config() -> Path:
    """The commented example configuration shipped with Tidings."""
    package = Path(__file__).resolve().parent.parent
    return shipped_path(
        package, in_wheel="config.example.toml", in_checkout="config.toml", what="config.toml"
    )
