"""Prometheus metrics over loopback HTTP, as ``tidings run --metrics-port`` serves them: read
from the database at each scrape, so the attempt counter rises after a publish to the sandbox
and every process (each with a registry of its own) reports the same figures."""

from __future__ import annotations

import re
import secrets
import socket
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from drafts.config import Config
from drafts.errors import ConfigError
from drafts.models import NotificationDelivery, NotificationEvent
from drafts.pruning import prune
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role, add_user
from scheduler.metrics import MetricsServer, metrics_registry, serve_metrics
from scheduler.sandbox.server import RunningSandbox
from scheduler.tallies import LAG_BUCKETS
from scheduler.vault import Sealer
from tests.fakes import Clock
from tests.integration.connected import connect, connected_config
from tests.integration.publishing import drain, queue_posts, sandbox_config
from tests.integration.test_page_plans import statements_of

Samples = dict[str, list[Sample]]


@pytest.fixture
def metrics(database: Database) -> Iterator[MetricsServer]:
    served = serve_metrics(metrics_registry(database), "127.0.0.1", 0)
    yield served
    served.stop()


def scrape(server: MetricsServer) -> Samples:
    """The samples of each metric family at ``/metrics``, by family name."""
    response = httpx.get(f"http://127.0.0.1:{server.port}/metrics", timeout=5.0)
    assert response.status_code == 200
    return {f.name: f.samples for f in text_string_to_metric_families(response.text)}


def value(samples: Samples, family: str, name: str | None = None, **labels: str) -> float:
    """The one sample of ``family`` (named ``name``, default the family) with ``labels``."""
    found = [
        s.value
        for s in samples[family]
        if s.name == (name or family) and labels.items() <= s.labels.items()
    ]
    assert len(found) == 1, f"{len(found)} samples of {family} {labels}"
    return found[0]


def test_the_attempt_counter_rises_after_a_publish(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    metrics: MetricsServer,
) -> None:
    config = sandbox_config(sandbox.base_url, monkeypatch)
    queue_posts(database, config, library, channels=["mastodon", "team-chat"], count=2)
    sandbox.state.faults.add("status", "mastodon", status=503, times=1)
    before = scrape(metrics)
    assert before["tidings_attempts"] == []
    assert value(before, "tidings_posts", status="scheduled") == 4
    assert value(before, "tidings_queue_depth") == 4

    drain(database, config, retry_base_delay=timedelta(milliseconds=50))

    after = scrape(metrics)
    attempts = "tidings_attempts_total"
    assert value(after, "tidings_attempts", attempts, platform="mastodon", outcome="published") == 2
    assert value(after, "tidings_attempts", attempts, platform="mastodon", outcome="retry") == 1
    assert value(after, "tidings_attempts", attempts, platform="webhook", outcome="published") == 2
    assert value(after, "tidings_posts", status="published") == 4
    assert value(after, "tidings_posts", status="scheduled") == 0
    assert value(after, "tidings_queue_depth") == 0
    lag = "tidings_publish_lag_seconds"
    assert value(after, lag, f"{lag}_count") == 4
    assert value(after, lag, f"{lag}_bucket", le="+Inf") == 4
    assert value(after, lag, f"{lag}_sum") > 0  # queued a second before they came due
    bounds = [s for s in after[lag] if s.name == f"{lag}_bucket"]
    assert len(bounds) == len(LAG_BUCKETS) + 1
    assert value(after, "tidings_database_up") == 1


@pytest.fixture
def three_published(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three posts to Mastodon, published by a daemon."""
    config = sandbox_config(sandbox.base_url, monkeypatch)
    queue_posts(database, config, library, channels=["mastodon"], count=3)
    drain(database, config)


def test_pruning_the_attempts_leaves_what_they_came_to_counted(
    database: Database, three_published: None, metrics: MetricsServer
) -> None:
    """A counter that fell when old attempts were pruned would read to Prometheus as a reset,
    and its rate as a burst of every attempt still stored."""
    before = scrape(metrics)
    with database.writing() as session:
        admin = add_user(session, name="hana", role=Role.ADMIN, password_hash=None, actor=None)
    pruned = prune(database, before=utcnow() + timedelta(days=1), actor=admin)
    assert (pruned.drafts, pruned.attempts) == (3, 3)

    after = scrape(metrics)
    attempts, lag = "tidings_attempts_total", "tidings_publish_lag_seconds"
    assert value(after, "tidings_attempts", attempts, platform="mastodon", outcome="published") == 3
    assert value(after, lag, f"{lag}_count") == 3
    assert after[lag] == before[lag]
    assert value(after, "tidings_posts", status="published") == 0  # a gauge: what is stored


def test_a_scrape_reads_no_attempt(
    database: Database, three_published: None, metrics: MetricsServer
) -> None:
    """Counted from the attempts, a scrape read every attempt ever made: 1.9 s at a million
    posts on SQLite, 3.2 s on PostgreSQL. It reads their tallies."""
    read = " ".join(sql for sql, _ in statements_of(database, lambda _: scrape(metrics)))
    assert "attempt_tally" in read
    assert not re.search(r"\battempt\b", read), read


def test_two_daemons_each_serve_their_own_registry(
    database: Database, metrics: MetricsServer
) -> None:
    other = serve_metrics(metrics_registry(database), "127.0.0.1", 0)
    try:
        mine, theirs = scrape(metrics), scrape(other)
    finally:
        other.stop()
    assert other.port != metrics.port
    assert value(mine, "tidings_posts", status="published") == 0
    assert value(theirs, "tidings_posts", status="published") == 0
    assert "process_cpu_seconds" in mine and "process_cpu_seconds" in theirs


def test_credential_expiry_and_pending_notifications(
    database: Database, sandbox: RunningSandbox
) -> None:
    clock = Clock()
    config: Config = connected_config(database, sandbox.base_url)
    sealer = Sealer(secrets.token_urlsafe(32))
    connect(
        database, config.channel("x-en"), sealer=sealer, expires_at=clock() + timedelta(hours=2)
    )
    connect(database, config.channel("social"), sealer=sealer)  # a Mastodon token never expires
    with database.writing() as session:
        event = NotificationEvent(key="post:1:failed:1", event="post_failed", post_id=1)
        session.add(event)
        session.flush()
        assert event.id is not None
        for recipient, status in [("user:1", "pending"), ("chat", "pending"), ("user:2", "sent")]:
            session.add(
                NotificationDelivery(
                    event_id=event.id, recipient=recipient, status=status, next_try_at=utcnow()
                )
            )
    server = serve_metrics(metrics_registry(database, now=clock), "127.0.0.1", 0)
    try:
        fresh = scrape(server)
        clock.advance(hours=3)
        late = scrape(server)
    finally:
        server.stop()
    expiry = "tidings_credential_expiry_seconds"
    assert [s.labels["channel"] for s in fresh[expiry]] == ["x-en"]
    assert value(fresh, expiry, channel="x-en") == pytest.approx(7200, abs=1)
    assert value(late, expiry, channel="x-en") == pytest.approx(-3600, abs=1)
    assert value(fresh, "tidings_notifications_pending") == 2


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_port_in_use_is_one_line_naming_the_option(database: Database) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError) as refused:
            serve_metrics(metrics_registry(database), "127.0.0.1", port)
    assert str(refused.value) == (
        f"--metrics-port: cannot listen on 127.0.0.1:{port} (Address already in use)"
    )


def test_a_database_that_does_not_answer_is_said_by_a_gauge() -> None:
    gone = Database("sqlite:////proc/no-tidings-here.db")
    server = serve_metrics(metrics_registry(gone), "127.0.0.1", 0)
    try:
        samples = scrape(server)
    finally:
        server.stop()
    assert value(samples, "tidings_database_up") == 0
    assert "tidings_posts" not in samples
    assert "process_cpu_seconds" in samples
