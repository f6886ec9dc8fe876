"""Set-up for notification tests: a real SMTP server (aiosmtpd) on a loopback port, a chat
webhook that keeps what it is sent, people with e-mail addresses, and one notifier round."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from sqlmodel import Session, col, select

from drafts.config import Config, NotificationSettings, WebSettings
from drafts.models import NotificationDelivery, NotificationEvent, User
from drafts.notification_events import Event, record_event
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role, add_user, find_user
from scheduler.notifications.fan_out import fan_out
from scheduler.notifications.outbox import DeliveryPolicy, record_failure
from scheduler.notifications.sending import Notifier

PUBLIC_URL = "https://tidings.example.org"
REFUSED = "127.0.0.1:2525: Connection refused"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Mailbox:
    """An SMTP server on a loopback port of its own, stopped until ``start``: a mail server
    that is down is this port, closed. It keeps every message it accepts."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self._controller: Controller | None = None

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]


@contextmanager
def chat_webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An incoming webhook on loopback: its address, and the JSON bodies POSTed to it."""
    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/secret-path", received
    finally:
        server.shutdown()
        server.server_close()


def notifying(config: Config, *, smtp_port: int | None, chat_env: str | None = None) -> Config:
    """``config`` sending e-mail to the loopback port and linking to ``PUBLIC_URL``."""
    settings = NotificationSettings.model_validate(
        {
            "smtp_url": f"smtp://127.0.0.1:{smtp_port}" if smtp_port else None,
            "from": "Tidings <tidings@example.org>",
            "chat_webhook_env": chat_env,
        }
    )
    web = WebSettings(public_url=PUBLIC_URL)
    return config.model_copy(update={"notifications": settings, "web": web})


def notify(database: Database, config: Config, policy: DeliveryPolicy | None = None) -> None:
    """One notifier round, as the daemon runs it, with the database in a thread."""

    async def db(work: Callable[[Session], Any]) -> Any:
        def run() -> Any:
            with database.writing() as session:
                return work(session)

        return await asyncio.to_thread(run)

    notifier = Notifier(config, db, policy=policy or DeliveryPolicy(), now=utcnow)
    try:
        asyncio.run(notifier.round())
    finally:
        notifier.close()


def add_person(
    database: Database,
    name: str,
    role: Role,
    *,
    email: str | None,
    language: str | None = None,
    timezone: str | None = None,
    muted: Sequence[str] = (),
    actor: str | None = None,
) -> int:
    """A user with an e-mail address (or none), a language, a timezone and events turned off."""
    with database.writing() as session:
        admin = find_user(session, actor) if actor is not None else None
        user = add_user(session, name=name, role=role, password_hash=None, actor=admin)
        user.email, user.language, user.timezone = email, language, timezone
        user.muted_events = list(muted)
        session.add(user)
        session.flush()
        assert user.id is not None
        return user.id


def set_contact(
    database: Database, user_id: int, *, email: str, language: str | None, timezone: str | None
) -> None:
    with database.writing() as session:
        user = session.get(User, user_id)
        assert user is not None
        user.email, user.language, user.timezone = email, language, timezone
        session.add(user)


def given_up_and_pending(database: Database) -> tuple[int, int]:
    """A review request fanned out to the e-mail of the one reviewer or admin with an address,
    and to the chat; the e-mail given up after a refused connection. Their ids: the e-mail's,
    the chat's."""
    now = utcnow()
    with database.writing() as session:
        record_event(session, Event.REVIEW_REQUESTED, "draft:1:review:1")
        (event_id,) = session.exec(select(NotificationEvent.id))
        assert event_id is not None
        fan_out(session, event_id, email=True, chat=True, now=now)
        ids = list(
            session.exec(select(NotificationDelivery.id).order_by(col(NotificationDelivery.id)))
        )
    mail, chat = (delivery_id for delivery_id in ids if delivery_id is not None)
    with database.writing() as session:
        record_failure(session, mail, error=REFUSED, now=now, policy=DeliveryPolicy(), final=True)
    return mail, chat
