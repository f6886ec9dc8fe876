"""``tidings init``: a configuration file if there is none, and a database at the latest schema."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from drafts.errors import ConfigError
from drafts.shipped import shipped_path
from drafts.storage import head_revision
from tidings.cli.console import emit_json, say
from tidings.cli.context import app_context
from tidings.cli.sandbox_config import DEFAULT_URL, SAMPLE_TOKEN, TOKEN_VARIABLE, sandbox_config

EXAMPLE_CONFIG_NAMES = ("config.toml", "config.example.toml")
VAULT_KEY = "TIDINGS_SECRET_KEY"


def init(
    ctx: typer.Context,
    sandbox: Annotated[
        bool,
        typer.Option(
            "--sandbox",
            help="Write config.toml with every channel on `tidings sandbox`, to try Tidings "
            "on this machine first.",
        ),
    ] = False,
    sandbox_url: Annotated[
        str | None,
        typer.Option(
            "--sandbox-url",
            metavar="URL",
            help=f"Where the sandbox listens (implies --sandbox; default {DEFAULT_URL}).",
        ),
    ] = None,
) -> None:
    """Create the database, or upgrade it to the latest schema; write config.toml if missing."""
    context = app_context(ctx)
    url = _sandbox_url(sandbox_url) if sandbox_url else DEFAULT_URL if sandbox else None
    created_config = False
    if not context.config_path.exists():
        _write_config(context.config_path, url)
        created_config = True
    elif url is not None:
        raise ConfigError(
            f"{context.config_path} exists and is left as it is: for the sandbox, name a new "
            "file (tidings --config sandbox.toml init --sandbox)"
        )
    database = context.database(check=False)
    before, head = database.current_revision(), head_revision()
    if before not in (None, head) and not context.json:
        # Some upgrades rewrite every post (0027: a minute at a million posts): say so first.
        say(
            f"Upgrading the database {database.display_url} from schema {before} to {head} "
            "(on a large database this can take minutes)."
        )
    revision = database.migrate()
    if context.json:
        emit_json(
            {
                "config": str(context.config_path),
                "config_created": created_config,
                "sandbox": url,
                "database": database.display_url,
                "schema": revision,
                "upgraded_from": before,
            }
        )
        return
    if created_config and url is None:
        say(
            f"Wrote {context.config_path}: a commented example; edit its channels (or try "
            "Tidings on this machine first: tidings --config sandbox.toml init --sandbox)."
        )
    elif created_config:
        say(f"Wrote {context.config_path}: every channel posts to the sandbox at {url}.")
    if before is None:
        say(f"Created the database {database.display_url} (schema {revision}).")
    elif before != revision:
        say(f"Upgraded the database {database.display_url} from schema {before} to {revision}.")
    else:
        say(f"The database {database.display_url} is up to date (schema {revision}).")
    if url is not None:
        for line in sandbox_next_steps(url, context.config_option):
            say(line)


def sandbox_next_steps(url: str, config_option: str | None) -> list[str]:
    """What to run next against the sandbox: start it, set the two variables not yet set (the
    token the channels read, and the key that seals what Bluesky and the web app keep), check."""
    port = urlsplit(url).port
    where = f" --port {port}" if port and url != DEFAULT_URL else ""
    config = f" --config {config_option}" if config_option else ""
    steps = [f"  tidings sandbox{where}        # in another terminal: the platforms' stand-in"]
    if not os.environ.get(TOKEN_VARIABLE):
        steps.append(
            f"  export {TOKEN_VARIABLE}={SAMPLE_TOKEN}   # the sandbox takes any token shaped "
            "like this"
        )
    if not os.environ.get(VAULT_KEY):
        steps.append(
            f"  export {VAULT_KEY}=\"$(python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(32))')\""
        )
    steps.append(f"  tidings{config} channels check")
    return ["Next:", *steps]


def _sandbox_url(url: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+/?", url):
        raise ConfigError(f"sandbox-url: {url!r} is not an origin such as {DEFAULT_URL}")
    return url.rstrip("/")


def _write_config(path: Path, sandbox_url: str | None) -> None:
    """The commented example at ``path``, pointed at the sandbox when there is one; a
    ConfigError naming ``path`` when it cannot be written there."""
    try:
        if sandbox_url is None:
            shutil.copyfile(example_config(), path)
            return
        example = example_config().read_text(encoding="utf-8")
        path.write_text(sandbox_config(example, sandbox_url), encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot write: {_why_not_written(path, error)}") from None


def _why_not_written(path: Path, error: OSError) -> str:
    """The reason a new config.toml could not be written: its folder, else the system's word."""
    if not path.parent.exists():
        return f"the folder {path.parent} does not exist"
    if not path.parent.is_dir():
        return f"{path.parent} is not a folder"
    return error.strerror or str(error)


def example_config() -> Path:
    """The commented example configuration shipped with Tidings."""
    package = Path(__file__).resolve().parent.parent
    return shipped_path(
        package, in_wheel="config.example.toml", in_checkout="config.toml", what="config.toml"
    )
