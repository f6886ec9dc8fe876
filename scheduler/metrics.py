"""Prometheus metrics: ``/metrics`` on ``tidings web`` and on ``tidings run --metrics-port``.

Every figure is read from the database at scrape time (``scheduler.figures``) by a custom
collector, so a counter such as ``tidings_attempts_total`` keeps rising across restarts and
every process reports the same values: aggregate them with ``max``, not ``sum``. The attempts'
counts and lags come from tallies kept as each attempt ends (``scheduler.tallies``), not from
every attempt ever made. Each process builds a registry of its own (never prometheus_client's
global one), with its own ``process_*`` metrics beside the shared ones, so several daemons each
expose theirs and tests build as many as they like.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import cast
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector
from prometheus_client import start_http_server as start_metrics_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.utils import floatToGoString

from drafts.errors import ConfigError, TidingsError
from drafts.storage import Database
from drafts.times import utcnow
from scheduler import figures
from scheduler.credentials import scrub

log = logging.getLogger("tidings.metrics")
# How prometheus_client writes a bucket's bound ("le"); the function is not annotated.
bucket_label = cast(Callable[[float], str], floatToGoString)


class TidingsCollector:
    """The figures of ``scheduler.figures`` as metric families, read in one transaction per
    scrape. A database that does not answer is said by ``tidings_database_up 0`` (and a log
    line), not by a failed scrape, so the process's own metrics still arrive."""

    def __init__(self, database: Database, now: Callable[[], datetime] = utcnow) -> None:
        self.database = database
        self.now = now

    def collect(self) -> Iterator[Metric]:
        try:
            families = self._read()
        except TidingsError as error:
            log.warning("metrics: the database did not answer: %s", scrub(str(error)))
            families = []
        yield GaugeMetricFamily(
            "tidings_database_up",
            "1 when the database answered this scrape, else 0.",
            value=1 if families else 0,
        )
        yield from families

    def _read(self) -> list[Metric]:
        now = self.now()
        with self.database.reading() as session:
            posts = figures.posts_by_status(session)
            attempts = figures.attempts_by_outcome(session)
            lags = figures.publish_lags(session)
            depth = figures.queue_depth(session, now)
            expiry = figures.credential_expiry(session, now)
            pending = figures.notifications_pending(session)
        return [
            _posts(posts),
            _attempts(attempts),
            _lags(lags),
            GaugeMetricFamily(
                "tidings_queue_depth",
                "Posts whose due time has come and that are not out yet.",
                value=depth,
            ),
            _expiry(expiry),
            GaugeMetricFamily(
                "tidings_notifications_pending",
                "Notification deliveries waiting to be sent.",
                value=pending,
            ),
        ]


def _posts(counts: dict[str, int]) -> Metric:
    family = GaugeMetricFamily("tidings_posts", "Posts by status.", labels=["status"])
    for status, count in sorted(counts.items()):
        family.add_metric([status], count)
    return family


def _attempts(counts: dict[tuple[str, str], int]) -> Metric:
    family = CounterMetricFamily(
        "tidings_attempts",
        "Attempts to publish that have ended, by platform and outcome.",
        labels=["platform", "outcome"],
    )
    for (platform, outcome), count in sorted(counts.items()):
        family.add_metric([platform, outcome], count)
    return family


def _lags(lags: figures.LagCounts) -> Metric:
    buckets = [(bucket_label(b), n) for b, n in zip(lags.bounds, lags.below, strict=True)]
    return HistogramMetricFamily(
        "tidings_publish_lag_seconds",
        "How late published posts went out: from the due time to the platform's answer.",
        buckets=[*buckets, ("+Inf", lags.count)],
        sum_value=lags.total,
    )


def _expiry(seconds: dict[str, float]) -> Metric:
    family = GaugeMetricFamily(
        "tidings_credential_expiry_seconds",
        "Seconds until each connected channel's token expires (negative: expired).",
        labels=["channel"],
    )
    for channel, left in sorted(seconds.items()):
        family.add_metric([channel], left)
    return family


def metrics_registry(database: Database, now: Callable[[], datetime] = utcnow) -> CollectorRegistry:
    """A registry of this process's own: Tidings' figures and the process's own metrics."""
    registry = CollectorRegistry()
    registry.register(TidingsCollector(database, now))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    return registry


@dataclass(frozen=True)
class MetricsServer:
    """The daemon's ``/metrics``, served from a thread of its own."""

    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def serve_metrics(registry: CollectorRegistry, host: str, port: int) -> MetricsServer:
    """Serve ``registry`` on ``host``:``port`` (0: any free port) until ``stop``; a port that
    cannot be listened on is a ``ConfigError`` naming it."""
    try:
        server, thread = start_metrics_server(port, addr=host, registry=registry)
    except OSError as error:
        raise ConfigError(
            f"--metrics-port: cannot listen on {host}:{port} ({error.strerror or error})"
        ) from None
    return MetricsServer(server, thread)
