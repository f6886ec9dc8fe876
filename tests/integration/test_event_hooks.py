"""Event hooks (``[[hooks]]``, issue 15 point 3) delivered for real to receivers on loopback,
on SQLite and PostgreSQL: each event POSTed as JSON signed with HMAC-SHA256 over the raw body,
retried after a 500 with the same event id, kept across a daemon's restart, filtered by
``events``, never in the way of a post, and never saying its secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from drafts.attention import mark_published
from drafts.config import Config, HookSettings, parse_config
from drafts.errors import ConfigError
from drafts.lifecycle import PostStatus
from drafts.models import NotificationDelivery
from drafts.notification_events import Event, record_event
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role, add_user
from scheduler.notifications.deliveries import recent_deliveries
from scheduler.notifications.outbox import DeliveryPolicy
from scheduler.sandbox import RunningSandbox
from tests.conftest import TEST_CONFIG, make_config
from tests.integration.command_line import LOCAL_CONFIG, run, use_folder
from tests.integration.notifying import free_port, notify
from tests.integration.publishing import drain, posts, queue_posts, sandbox_config
from tidings.cli import main

AT_ONCE = DeliveryPolicy(first_retry=timedelta(0))  # a failed try is due again at once
SECRET_ENV = "TIDINGS_T_HOOK_SECRET"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.body)
        return found


@dataclass
class Receiver:
    """A hook receiver on loopback: what it was sent, and the statuses it answers next (200
    once they run out)."""

    port: int
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    says: bytes = b"ok"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tidings/hook-path-token"

    def types(self) -> list[str]:
        return [each.event["type"] for each in self.received]


@contextmanager
def receiving(receiver: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.received.append(Received(dict(self.headers.items()), body))
            status = receiver.answers.pop(0) if receiver.answers else 200
            self.send_response(status)
            self.end_headers()
            self.wfile.write(receiver.says)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", receiver.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving(Receiver(free_port())) as running:
        yield running


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    value = secrets.token_urlsafe(32)
    monkeypatch.setenv(SECRET_ENV, value)
    return value


def hooked(config: Config, url: str, events: list[str] | None = None) -> Config:
    hook = HookSettings.model_validate({"url": url, "secret_env": SECRET_ENV, "events": events})
    return config.model_copy(update={"hooks": (hook,)})


def verified(received: Received, secret: str) -> bool:
    """As a receiver checks it: the HMAC-SHA256 of the raw body, compared in constant time."""
    expected = "sha256=" + hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, received.headers["X-Tidings-Signature"])


def hook_deliveries(database: Database) -> list[NotificationDelivery]:
    with database.reading() as session:
        query = select(NotificationDelivery).where(col(NotificationDelivery.hook_url).is_not(None))
        return list(session.exec(query.order_by(col(NotificationDelivery.id))))


def test_a_published_post_is_told_to_the_hook_signed_over_its_raw_body(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    receiver: Receiver,
    secret: str,
) -> None:
    config = hooked(sandbox_config(sandbox.base_url, monkeypatch), receiver.url)
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])

    drain(database, config)  # publishes; the drain ends with a round of notifications

    (post,) = posts(database, [post_id])
    assert post.status == PostStatus.PUBLISHED and post.remote_url
    # Sent side by side, so in any order.
    assert sorted(receiver.types()) == ["draft.approved", "draft.submitted", "post.published"]
    assert all(verified(each, secret) for each in receiver.received)
    (published,) = [each for each in receiver.received if each.event["type"] == "post.published"]
    event = published.event
    assert set(event) == {"id", "type", "time", "data"}
    assert event["data"]["post_id"] == post_id and event["data"]["draft_id"] == post.draft_id
    assert event["data"]["channel"] == "mastodon" and event["data"]["url"] == post.remote_url
    assert event["time"].endswith("Z")
    assert published.headers["X-Tidings-Event"] == "post.published"
    assert published.headers["Content-Type"] == "application/json"
    assert len({each.event["id"] for each in receiver.received}) == 3
    ids = [str(d.id) for d in hook_deliveries(database)]
    assert sorted(each.headers["X-Tidings-Delivery"] for each in receiver.received) == ids
    # Another body under the same signature is refused by the receiver's check.
    forged = Received(published.headers, published.body.replace(b"mastodon", b"mastodoN"))
    assert not verified(forged, secret)

    drain(database, config)  # nothing new: each event went once
    assert len(receiver.received) == 3


def test_a_receiver_answering_500_twice_gets_the_same_event_three_times(
    database: Database, receiver: Receiver, secret: str
) -> None:
    config = hooked(make_config(TEST_CONFIG), receiver.url)
    with database.writing() as session:
        record_event(session, Event.APPROVED, "draft:7:approved:1", draft_id=7)
    receiver.answers = [500, 500]

    for _ in range(3):
        notify(database, config, AT_ONCE)

    assert len(receiver.received) == 3
    assert len({each.event["id"] for each in receiver.received}) == 1
    assert len({each.body for each in receiver.received}) == 1
    assert all(verified(each, secret) for each in receiver.received)
    (delivery,) = hook_deliveries(database)
    assert delivery.status == "sent" and delivery.tries == 3
    with database.reading() as session:
        (line,) = recent_deliveries(session, failed_only=False, limit=10)
    assert line.recipient == f"hook 127.0.0.1:{receiver.port}"  # never its path


def test_a_daemon_stopped_with_deliveries_pending_delivers_them_when_started_again(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    secret: str,
) -> None:
    down = Receiver(free_port())  # nothing listens on its port yet
    config = hooked(sandbox_config(sandbox.base_url, monkeypatch), down.url)
    post_ids = queue_posts(database, config, library, channels=["mastodon"], count=2)

    drain(database, config, notifications=AT_ONCE)  # the hook is down: the posts go out anyway

    assert {post.status for post in posts(database, post_ids)} == {PostStatus.PUBLISHED}
    waiting = hook_deliveries(database)
    assert len(waiting) == 6 and {d.status for d in waiting} == {"pending"}
    assert all(d.tries >= 1 and "unreachable" in (d.last_error or "") for d in waiting)

    with receiving(down) as receiver:
        drain(database, config, notifications=AT_ONCE)

    assert sorted(receiver.types()) == sorted(
        ["draft.submitted", "draft.approved", "post.published"] * 2
    )
    assert len({each.event["id"] for each in receiver.received}) == 6
    assert {d.status for d in hook_deliveries(database)} == {"sent"}


def test_a_hook_gets_only_the_events_it_lists(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    receiver: Receiver,
    secret: str,
) -> None:
    base = sandbox_config(sandbox.base_url, monkeypatch)
    config = hooked(base, receiver.url, events=["post.failed", "post.needs_attention"])
    (published,) = queue_posts(database, config, library, channels=["mastodon"])
    drain(database, config)
    assert posts(database, [published])[0].status == PostStatus.PUBLISHED
    assert receiver.received == [] and hook_deliveries(database) == []

    sandbox.state.faults.add("revoked", "mastodon")
    (failed,) = queue_posts(database, config, library, channels=["mastodon"])
    drain(database, config)

    assert posts(database, [failed])[0].status == PostStatus.FAILED
    (told,) = receiver.received
    assert told.event["type"] == "post.failed" and told.event["data"]["post_id"] == failed
    assert told.event["data"]["status"] == "failed" and told.event["data"]["reason"]


@pytest.mark.parametrize(
    ("hook", "field_named"),
    [
        ('secret_env = "TIDINGS_HOOK_SECRET"', "hooks[0].url"),
        ('url = "ftp://example.org/x"\nsecret_env = "TIDINGS_HOOK_SECRET"', "hooks[0].url"),
        ('url = "https://user:pw@example.org/x"\nsecret_env = "S"', "hooks[0].url"),
        ('url = "https://example.org/x"', "hooks[0].secret_env"),
        ('url = "https://example.org/x"\nsecret_env = "S"\nevents = ["post.sent"]', "hooks[0]"),
    ],
)
def test_a_bad_hook_is_one_line_naming_its_field(hook: str, field_named: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(f"[[hooks]]\n{hook}\n", Path("config.toml"))
    said = str(refused.value)
    assert "\n" not in said and said.startswith(f"config.toml: {field_named}")


def test_a_hook_whose_secret_is_not_set_stops_the_daemon_with_one_line(
    database: Database, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    base = sandbox_config(sandbox.base_url, monkeypatch)
    config = hooked(base, "https://hooks.example.org/tidings")
    with pytest.raises(ConfigError) as refused:
        drain(database, config)
    assert str(refused.value) == (
        f"hooks[0].secret_env: {SECRET_ENV} is not set (the secret that signs the hook's events)"
    )


def test_the_secret_is_never_logged_or_stored(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    receiver: Receiver,
    secret: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    config = hooked(sandbox_config(sandbox.base_url, monkeypatch), receiver.url)
    receiver.answers = [500] * 10
    receiver.says = f"bad signature, expected one made with {secret}".encode()
    queue_posts(database, config, library, channels=["mastodon"])

    drain(database, config, notifications=AT_ONCE)

    deliveries = hook_deliveries(database)
    assert deliveries and all("[secret]" in (d.last_error or "") for d in deliveries)
    assert "hook 127.0.0.1" in caplog.text and secret not in caplog.text
    with database.reading() as session:
        connection = session.connection()
        for table in connection.dialect.get_table_names(connection):
            rows = connection.execute(text(f'SELECT * FROM "{table}"')).all()
            assert secret not in repr(rows), table


def test_the_event_id_is_the_same_for_every_hook_and_each_delivery_its_own(
    database: Database, secret: str
) -> None:
    with receiving(Receiver(free_port())) as first, receiving(Receiver(free_port())) as second:
        config = hooked(make_config(TEST_CONFIG), first.url)
        other = HookSettings.model_validate({"url": second.url, "secret_env": SECRET_ENV})
        config = config.model_copy(update={"hooks": (*config.hooks, other)})
        with database.writing() as session:
            record_event(session, Event.REVIEW_REQUESTED, "draft:3:review:1", draft_id=3)
        notify(database, config)
    (one,), (two,) = first.received, second.received
    assert one.event["id"] == two.event["id"] and one.event["type"] == "draft.submitted"
    assert one.headers["X-Tidings-Delivery"] != two.headers["X-Tidings-Delivery"]


def test_channels_check_says_a_hook_secret_that_is_not_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hook = '[[hooks]]\nurl = "http://127.0.0.1:9/hook"\nsecret_env = "TIDINGS_T_HOOK_SECRET"\n'
    channel = '[[channels]]\nid = "team-hook"\nplatform = "webhook"\nlanguages = ["en"]\n'
    webhook = f'{channel}url = "http://127.0.0.1:9/x"\n'
    use_folder(tmp_path, monkeypatch, f"{LOCAL_CONFIG}\n{webhook}{hook}")
    monkeypatch.delenv(SECRET_ENV, raising=False)
    run(["init"])
    capsys.readouterr()
    with pytest.raises(SystemExit) as ended:
        main(["channels", "check", "--channel", "team-hook"])
    problems = [line for line in capsys.readouterr().out.splitlines() if "problem" in line]
    assert ended.value.code == 1
    assert problems == [
        f"problem: hooks[0].secret_env: {SECRET_ENV} is not set (the secret that signs the "
        "hook's events)"
    ]


def test_a_post_marked_published_by_hand_is_told_to_the_hook_once(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    receiver: Receiver,
    secret: str,
) -> None:
    config = hooked(sandbox_config(sandbox.base_url, monkeypatch), receiver.url, ["post.published"])
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    sandbox.state.faults.add("status", "mastodon", status=422)  # refused: a person settles it
    drain(database, config)
    assert receiver.types() == []
    url = f"{sandbox.base_url}/@demo/1234"
    with database.writing() as session:
        admin = add_user(session, name="ops", role=Role.ADMIN, password_hash=None, actor=None)
        mark_published(session, post_id=post_id, url=url, actor=admin, now=utcnow())

    drain(database, config)
    drain(database, config)

    (published,) = receiver.received
    data = published.event["data"]
    assert published.event["type"] == "post.published" and verified(published, secret)
    assert (data["post_id"], data["url"], data["by"]) == (post_id, url, "ops")
    assert (data["part"], data["parts"], data["comment"]) == (1, 1, False)
