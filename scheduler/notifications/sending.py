"""A round of notifications, as the daemon runs one every few seconds beside publishing.

A round records the credentials about to lapse (every ``expiry_check_every``), fans out the
events not fanned out yet (one transaction for them all), then claims the due deliveries and
sends them: rendering and recording go through the daemon's database thread, while the sending
itself (SMTP, the chat's webhook, the event hooks) runs on threads of its own, so neither a
slow mail server or hook nor a dead one holds back the event loop, the database thread or a
post. Every try is logged with its event, its recipient (``user:<id>``, ``chat`` or ``hook``
and its host, never an address, a hook's path or a secret) and its outcome.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import Any

from sqlmodel import Session

from drafts.config import Config
from scheduler.credentials import scrub
from scheduler.notifications.chat import ChatError, chat_payload, chat_webhook, post_to_chat
from scheduler.notifications.expiring import record_expiring
from scheduler.notifications.fan_out import fan_out_new
from scheduler.notifications.hooks import HookCall, HookError, check_hook_secrets, post_to_hook
from scheduler.notifications.outbox import (
    DeliveryPolicy,
    Outgoing,
    claim_deliveries,
    outgoing,
    record_failure,
    record_sent,
)
from scheduler.notifications.smtp import MailError, MailServer, email_message, send_mail

log = logging.getLogger("tidings.notifications")

Db = Callable[[Callable[[Session], Any]], Awaitable[Any]]
SENDERS = 4  # messages sent at once


class Notifier:
    """Sends the notifications of ``config``'s ``[notifications]``; ``db`` runs a piece of work
    in a transaction (the daemon's, which waits out a database outage)."""

    def __init__(
        self,
        config: Config,
        db: Db,
        *,
        policy: DeliveryPolicy,
        now: Callable[[], datetime],
    ) -> None:
        self.config = config
        self.policy = policy
        self._db = db
        self._now = now
        check_hook_secrets(config)
        settings = config.notifications
        self._mail = MailServer.of(settings)
        self._chat = chat_webhook(settings.chat_webhook_env)
        self._executor = ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="tidings-mail")
        self._expiry_checked_at: datetime | None = None

    async def round(self) -> None:
        """Record lapsing credentials when it is time, fan out new events, send what is due."""
        now = self._now()
        last = self._expiry_checked_at
        if last is None or now - last >= self.policy.expiry_check_every:
            await self._db(partial(record_expiring, config=self.config, now=now))
            self._expiry_checked_at = now
        email, chat = self._mail is not None, self._chat is not None
        fan_out = partial(fan_out_new, email=email, chat=chat, hooks=self.config.hooks, now=now)
        await self._db(fan_out)
        claimed = await self._db(partial(claim_deliveries, now=now, policy=self.policy))
        await asyncio.gather(*(self._deliver(delivery_id) for delivery_id in claimed))

    def close(self) -> None:
        self._executor.shutdown(wait=False)

    async def _deliver(self, delivery_id: int) -> None:
        found = await self._db(partial(outgoing, delivery_id=delivery_id, config=self.config))
        if isinstance(found, str):
            await self._failed(delivery_id, found, final=True)
            return
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._send, found)
        except Exception as error:  # whatever stopped it, the try is recorded and retried
            ours = MailError | ChatError | HookError
            said = error.args[0] if isinstance(error, ours) else repr(error)
            await self._failed(delivery_id, str(said), about=found)
            return
        await self._db(partial(record_sent, delivery_id=delivery_id, now=self._now()))
        log.info("notification %s (%s) to %s: sent", delivery_id, found.event, found.recipient)

    def _send(self, found: Outgoing | HookCall) -> None:
        """Send on one of the notifier's threads."""
        timeout = self.policy.timeout
        if isinstance(found, HookCall):
            post_to_hook(found, timeout=timeout)
            return
        if found.to is None:
            if self._chat is None:
                raise ChatError(f"{self.config.notifications.chat_webhook_env} is not set")
            payload = chat_payload(found.message, self.config.notifications.chat_format)
            post_to_chat(self._chat, payload, timeout=timeout)
            return
        if self._mail is None:
            raise MailError("no notifications.smtp_url is configured")
        sender = self.config.notifications.sender
        send_mail(
            self._mail, email_message(found.message, sender=sender, to=found.to), timeout=timeout
        )

    async def _failed(
        self,
        delivery_id: int,
        error: str,
        *,
        about: Outgoing | HookCall | None = None,
        final: bool = False,
    ) -> None:
        error = scrub(error)
        work = partial(
            record_failure,
            delivery_id=delivery_id,
            error=error,
            now=self._now(),
            policy=self.policy,
            final=final,
        )
        status = await self._db(work)
        what = f" ({about.event}) to {about.recipient}" if about else ""
        outcome = "given up" if status == "failed" else "will be tried again"
        log.warning("notification %s%s: not sent, %s: %s", delivery_id, what, outcome, error)
