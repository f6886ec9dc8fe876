"""``tidings run`` (the daemon), ``sandbox`` and ``demo``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy import func, not_
from sqlalchemy import select as core_select
from sqlmodel import Session

from drafts.models import Post, claimable
from drafts.times import show
from scheduler.due import chain_ready, next_wake
from tidings.cli.console import emit_json, err, say
from tidings.cli.context import AppContext, app_context
from tidings.cli.listening import check_address
from tidings.cli.log_format import (
    LogFormat,
    StampWorker,
    errors_logged,
    log_to_stderr,
    warning,
)

if TYPE_CHECKING:
    from drafts.storage import Database

LOG_FORMAT_HELP = (
    "plain: lines for a terminal; json: one JSON object a line (time, level, event, and post, "
    "channel, attempt and worker where known) for a log collector."
)


def run(
    ctx: typer.Context,
    drain: Annotated[
        bool,
        typer.Option(
            "--drain",
            help="Publish what is due and every retry that comes due, then exit.",
        ),
    ] = False,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            help="Serve Prometheus metrics on this port at /metrics while running "
            "(0: any free port, said at start).",
            min=0,
            max=65535,
        ),
    ] = None,
    metrics_host: Annotated[
        str,
        typer.Option("--metrics-host", help="Address the metrics listen on (with --metrics-port)."),
    ] = "127.0.0.1",
    log_format: Annotated[
        LogFormat, typer.Option("--log-format", help=LOG_FORMAT_HELP)
    ] = LogFormat.PLAIN,
) -> None:
    """Publish due, approved posts until stopped (SIGTERM/SIGINT finish in-flight work first)."""
    from scheduler.daemon import Daemon, run_forever
    from scheduler.metrics import metrics_registry, serve_metrics
    from scheduler.notifications.settings_check import settings_problems

    context = app_context(ctx)
    log_handler = log_to_stderr(log_format)
    with errors_logged(log_format):
        scheduler = context.config.scheduler
        if scheduler.lease_seconds is not None:
            warning(
                log_format,
                f"{context.config_path}: [scheduler] lease_seconds is no longer used (remove "
                f"it): a daemon's posts are taken over once it misses {scheduler.missed_beats} "
                f"heartbeats of heartbeat_seconds = {scheduler.heartbeat_seconds:g}, or at once "
                "when its process on this host has ended",
            )
        for problem in settings_problems(context.config.notifications):
            warning(log_format, problem)
        database = context.database()
        daemon = Daemon(context.config, database, drain=drain)
        log_handler.addFilter(StampWorker(daemon.worker))
        # With --json, stdout holds only the summary printed at the end.
        starting = err.print if context.json else say
        metrics = None
        if metrics_port is not None:
            metrics = serve_metrics(metrics_registry(database), metrics_host, metrics_port)
            starting(f"Metrics on http://{metrics_host}:{metrics.port}/metrics")
        if not drain:
            starting(f"Publishing as {daemon.worker}; stop with Ctrl-C.")
        try:
            summary = run_forever(daemon)
        finally:
            if metrics is not None:
                metrics.stop()
    _report_stop(context, daemon.worker, summary.outcomes, database, drain=drain)


def _report_stop(
    context: AppContext,
    worker: str,
    outcomes: Mapping[str, int],
    database: Database,
    *,
    drain: bool,
) -> None:
    """The run's attempts by outcome and, after a drain, what comes next; with --json one
    object: ``worker``, ``attempts`` and, after a drain, ``next_due_at`` and ``waiting_parts``
    (counted, as the plain line says them, only when no post is due)."""
    attempts = dict(sorted(outcomes.items()))
    stopped: dict[str, object] = {"worker": worker, "attempts": attempts}
    next_at, waiting = None, 0
    if drain:
        with database.reading() as session:
            next_at = next_wake(session, now=context.now())
            waiting = _waiting_parts(session) if next_at is None else 0
        due = next_at.isoformat() if next_at else None
        stopped |= {"next_due_at": due, "waiting_parts": waiting}
    if context.json:
        emit_json(stopped)
        return
    counts = ", ".join(f"{n} {outcome}" for outcome, n in attempts.items())
    say(f"Stopped. Attempts: {counts or 'none'}.")
    if drain:
        tried = bool(attempts)
        say(_what_comes_next(next_at, context.config.zone, tried=tried, waiting=waiting))


def _waiting_parts(session: Session) -> int:
    """The later parts (a thread's, a first comment) still queued behind a part before them that
    is not published: with nothing else to wake for, each waits behind one that failed or needs
    a person."""
    post = Post.__table__  # type: ignore[attr-defined]
    counted = core_select(func.count()).select_from(post)
    counted = counted.where(claimable(post.c.status), not_(chain_ready()))
    return int(session.connection().execute(counted).scalar_one())


def _what_comes_next(
    next_at: datetime | None, zone: tzinfo, *, tried: bool, waiting: int = 0
) -> str:
    """After a drain: when the next post comes due (a drain does not wait for it), that later
    parts of threads (or first comments) wait for a person, or that none is queued."""
    done = "Nothing else is due" if tried else "Nothing was due"
    if next_at is None and waiting:
        parts = "1 later part waits" if waiting == 1 else f"{waiting} later parts wait"
        return (
            f"{done}; {parts} behind a part that failed or needs a person (`tidings queue` "
            "says which; `tidings post retry` or `tidings post mark-published` lets it go on)."
        )
    if next_at is None:
        return f"{done}, and no post is queued."
    return (
        f"{done}: the next post is due at {show(next_at, zone)} "
        "(`tidings queue` lists them; `tidings run` waits for them)."
    )


def sandbox(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8900,
) -> None:
    """Serve the sandbox: the platforms' APIs on loopback, and a page of what they received."""
    from scheduler.sandbox.server import serve

    check_address(host, port)
    say(f"Sandbox on http://{host}:{port}/ : point a channel's base_url here. Ctrl-C to stop.")
    serve(host, port)


def demo(
    keep_open: Annotated[
        bool,
        typer.Option(
            "--keep-open",
            help="Keep the sandbox's page and the web app up after the run, until Ctrl-C, and "
            "print a password for each demo user.",
        ),
    ] = False,
) -> None:
    """Run the whole path on this machine: draft, review, schedule, publish to the sandbox."""
    from tidings.demo.run import run_demo

    run_demo(keep_open)
