"""``tidings run`` (the daemon) and ``tidings log`` (every attempt)."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer
from rich.table import Table

from drafts.attempts import attempt_log
from drafts.models import Attempt, Post
from drafts.times import show
from tidings.cli.console import InertLogFormatter, emit_json, out, say, warn
from tidings.cli.context import app_context
from tidings.cli.views import iso


def run(
    ctx: typer.Context,
    drain: Annotated[
        bool,
        typer.Option(
            "--drain",
            help="Publish what is due and every retry that comes due, then exit.",
        ),
    ] = False,
) -> None:
    """Publish due, approved posts until stopped (SIGTERM/SIGINT finish in-flight work first)."""
    from scheduler.daemon import Daemon, run_forever

    context = app_context(ctx)
    _log_attempts_to_stderr()
    scheduler = context.config.scheduler
    if scheduler.lease_seconds is not None:
        warn(
            f"{context.config_path}: [scheduler] lease_seconds is no longer used (remove it): "
            f"a daemon's posts are taken over once it misses {scheduler.missed_beats} "
            f"heartbeats of heartbeat_seconds = {scheduler.heartbeat_seconds:g}, or at once "
            "when its process on this host has ended"
        )
    daemon = Daemon(context.config, context.database(), drain=drain)
    if not drain:
        say(f"Publishing as {daemon.worker}; stop with Ctrl-C.")
    summary = run_forever(daemon)
    counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(summary.outcomes.items()))
    say(f"Stopped. Attempts: {counts or 'none'}.")


def _log_attempts_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(InertLogFormatter("%(message)s"))
    attempts = logging.getLogger("tidings.attempts")
    attempts.addHandler(handler)
    attempts.setLevel(logging.INFO)
    attempts.propagate = False


def log(
    ctx: typer.Context,
    post: Annotated[int | None, typer.Option("--post", help="Only this post's attempts.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many attempts.", min=1)] = 50,
) -> None:
    """Attempts to publish, newest first."""
    context = app_context(ctx)
    with context.reading() as session:
        rows = attempt_log(session, post_id=post, limit=limit)
    if context.json:
        emit_json([attempt_json(attempt, row_post) for attempt, row_post in rows])
        return
    if not rows:
        say("No attempts yet.")
        return
    table = Table(header_style="bold")
    for column in ("started", "post", "channel", "#", "outcome", "http", "ms", "worker", "detail"):
        table.add_column(column)
    zone = context.config.zone
    for attempt, row_post in rows:
        table.add_row(
            show(attempt.started_at, zone),
            str(attempt.post_id),
            row_post.channel,
            str(attempt.number),
            attempt.outcome or "in flight",
            str(attempt.http_status or ""),
            str(attempt.duration_ms or ""),
            attempt.worker,
            attempt.remote_url or attempt.remote_id or attempt.error or "",
        )
    out.print(table)


def attempt_json(attempt: Attempt, post: Post) -> dict[str, object]:
    return {
        "id": attempt.id,
        "post_id": attempt.post_id,
        "channel": post.channel,
        "number": attempt.number,
        "outcome": attempt.outcome,
        "http_status": attempt.http_status,
        "remote_id": attempt.remote_id,
        "remote_url": attempt.remote_url,
        "error": attempt.error,
        "started_at": iso(attempt.started_at),
        "finished_at": iso(attempt.finished_at),
        "duration_ms": attempt.duration_ms,
        "worker": attempt.worker,
    }


def sandbox(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8900,
) -> None:
    """Serve the sandbox: the platforms' APIs on loopback, and a page of what they received."""
    from scheduler.sandbox.server import serve

    say(f"Sandbox on http://{host}:{port}/ : point a channel's base_url here. Ctrl-C to stop.")
    serve(host, port)


def demo(
    keep_open: Annotated[
        bool,
        typer.Option("--keep-open", help="Keep the sandbox page up after the run, until Ctrl-C."),
    ] = False,
) -> None:
    """Run the whole path on this machine: draft, review, schedule, publish to the sandbox."""
    from tidings.demo.run import run_demo

    run_demo(keep_open)
