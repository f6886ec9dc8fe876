"""``/healthz``, ``/readyz`` and ``/metrics``: what a load balancer, an orchestrator and
Prometheus ask. None needs a login (``auth.PUBLIC_PATHS``); like every page, none is cached.

``/healthz`` says the process answers and touches nothing else. ``/readyz`` says whether this
Tidings can do its work: the database answers, its schema is the one this code expects, and a
daemon has reported in within ``DAEMON_SILENCE_LIMIT``; a JSON body names each check and what
it found. Their words are for operators and are English, as the command line's are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from drafts.errors import TidingsError
from drafts.storage import Database, head_revision
from scheduler.credentials import scrub
from scheduler.figures import daemon_last_seen
from scheduler.metrics import metrics_registry
from tidings.web.context import WebContext, off_loop

DAEMON_SILENCE_LIMIT = timedelta(minutes=2)
OK = "ok"
log = logging.getLogger("tidings.web")


@dataclass(frozen=True)
class Readiness:
    """What each check found: ``ok``, or what is wrong, in one line."""

    database: str
    schema: str
    daemon: str

    @property
    def ready(self) -> bool:
        return self.database == self.schema == self.daemon == OK


def readiness(database: Database, head: str, now: datetime) -> Readiness:
    """Ask the database whether it answers, which schema it has and when a daemon last
    reported in; the checks after one that fails are said to be not run."""
    try:
        current = database.current_revision()
    except TidingsError as error:
        log.warning("readyz: the database did not answer: %s", scrub(str(error)))
        return Readiness("does not answer", "not checked", "not checked")
    if current != head:
        found = f"at revision {current}" if current else "empty"
        schema = f"{found}, this Tidings needs {head} (run `tidings init`)"
        return Readiness(OK, schema, "not checked")
    try:
        with database.reading() as session:
            seen = daemon_last_seen(session)
    except TidingsError as error:
        log.warning("readyz: the database did not answer: %s", scrub(str(error)))
        return Readiness("does not answer", OK, "not checked")
    return Readiness(OK, OK, _daemon(seen.beat_at if seen else None, now))


def _daemon(beat_at: datetime | None, now: datetime) -> str:
    limit = DAEMON_SILENCE_LIMIT.total_seconds()
    if beat_at is None:
        return "no daemon has reported in"
    silent = (now - beat_at).total_seconds()
    if silent > limit:
        return f"last reported in {silent:.0f} s ago (the limit is {limit:.0f} s)"
    return OK


def routes(web: WebContext, now: Callable[[], datetime]) -> list[Route]:
    head = head_revision()  # fixed for this process: read once, not at every probe
    registry = metrics_registry(web.database, now)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> Response:
        found = await off_loop(readiness, web.database, head, now())
        body = {"ready": found.ready, **asdict(found)}
        return JSONResponse(body, status_code=200 if found.ready else 503)

    async def metrics(request: Request) -> Response:
        exposition = await off_loop(generate_latest, registry)
        return Response(exposition, media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
