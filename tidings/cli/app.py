"""The command tree. Global options work before or after a command's name."""

from __future__ import annotations

from typing import Annotated

import typer

from tidings.cli import (
    backup_commands,
    channel_commands,
    draft_commands,
    import_commands,
    post_commands,
    publish_commands,
    queue_commands,
    review_commands,
    secrets_commands,
    setup_commands,
    user_commands,
    web_commands,
)
from tidings.cli.context import AppContext

app = typer.Typer(
    name="tidings",
    help="Tidings: write, review and schedule posts in several languages for many channels.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    epilog="--config, --as and --json may also come after the command's name.",
)


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        str | None,
        typer.Option(
            "--config", help="config.toml to use (default: $TIDINGS_CONFIG, ./config.toml)."
        ),
    ] = None,
    as_user: Annotated[
        str | None, typer.Option("--as", help="Act as this user (default: $TIDINGS_USER).")
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    context = AppContext(config_option=config, user_option=as_user, json=json)
    ctx.obj = context
    ctx.call_on_close(context.close)


app.command("init")(setup_commands.init)
app.add_typer(user_commands.app, name="user")
app.add_typer(draft_commands.app, name="draft")
app.add_typer(channel_commands.app, name="channels")
app.add_typer(secrets_commands.app, name="secrets")
app.add_typer(post_commands.app, name="post")
app.command("submit")(review_commands.submit)
app.command("approve")(review_commands.approve)
app.command("request-changes")(review_commands.request_changes)
app.command("schedule")(queue_commands.schedule)
app.command("unschedule")(queue_commands.unschedule)
app.command("cancel")(queue_commands.cancel)
app.command("queue")(queue_commands.queue)
app.command("import")(import_commands.import_csv)
app.command("log")(publish_commands.log)
app.command("run")(publish_commands.run)
app.command("sandbox")(publish_commands.sandbox)
app.command("demo")(publish_commands.demo)
app.command("web")(web_commands.web)
app.command("backup")(backup_commands.backup)
app.command("restore")(backup_commands.restore_command)
