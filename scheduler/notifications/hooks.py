"""Event hooks (``[[hooks]]``): each recorded event, as JSON, POSTed to the tools around Tidings.

An event fanned out to a hook is a delivery in the same outbox as the e-mails and chat messages
(``recipient`` ``hook:<digest of its URL>``, ``hook_url`` its address), so it is claimed, retried
with backoff, logged and listed as they are, and never sent in the publishing path. Its body is
made from the event's row each try, and says the same each time: the ``id`` (a UUID named by the
event's key and time), its ``type`` (``drafts.hook_events``), its ``time`` and its ``data``.
Each POST is signed ``X-Tidings-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` with the
secret in the variable the hook's ``secret_env`` names, which is read when sending, remembered
as a secret and never stored, logged or said in an error.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlmodel import Session

from drafts.config import Config, HookSettings
from drafts.errors import ConfigError
from drafts.hook_events import hook_type
from drafts.models import Draft, NotificationDelivery, NotificationEvent, Post
from scheduler.credentials import remember, scrub

HOOK = "hook:"  # the start of a hook's recipient
EVENT_IDS = uuid.UUID("5f0c7a8e-2d41-4c1b-9a63-7e1d2b6c4f10")  # the namespace of event ids
SIGNATURE, EVENT, DELIVERY = "X-Tidings-Signature", "X-Tidings-Event", "X-Tidings-Delivery"


class HookError(Exception):
    """The hook did not take the event; the words are safe to log."""


@dataclass(frozen=True)
class HookCall:
    """A claimed delivery to a hook, ready to send: the signed body and where it goes."""

    delivery_id: int
    recipient: str  # the hook as logs and pages show it (``shown``)
    event: str  # the notification event (an ``Event`` value)
    url: str
    secret_env: str
    body: bytes
    type: str


def hook_recipient(url: str) -> str:
    """The recipient a hook's deliveries have: its URL's digest (fits the 40 characters)."""
    return HOOK + hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]


def shown(url: str) -> str:
    """A hook as logs and pages name it: ``hook`` and its URL's host (and port), never its path
    or query, which may carry a token."""
    parts = urlsplit(url)
    host = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    return f"hook {host}"


def wanted_by(hooks: Sequence[HookSettings], event: NotificationEvent) -> list[HookSettings]:
    """The ``hooks`` that take ``event``: each whose ``events`` list its type (or lists none)."""
    kind = hook_type(event.event, event.facts)
    if kind is None:
        return []
    return [hook for hook in hooks if hook.events is None or kind in hook.events]


def hook_rows(hooks: Sequence[HookSettings], event: NotificationEvent) -> list[dict[str, Any]]:
    """The outbox's rows for the ``hooks`` that take ``event`` (its id and times aside)."""
    return [
        {"recipient": hook_recipient(hook.url), "user_id": None, "hook_url": hook.url}
        for hook in wanted_by(hooks, event)
    ]


def secret_problems(config: Config) -> list[str]:
    """One line for each hook whose ``secret_env`` names a variable that is not set."""
    return [
        f"hooks[{number}].secret_env: {hook.secret_env} is not set (the secret that signs "
        "the hook's events)"
        for number, hook in enumerate(config.hooks)
        if not os.environ.get(hook.secret_env, "")
    ]


def check_hook_secrets(config: Config) -> None:
    """``ConfigError`` naming the first hook whose secret is not set."""
    if problems := secret_problems(config):
        raise ConfigError(problems[0])


def hook_call(
    session: Session, delivery: NotificationDelivery, event: NotificationEvent, config: Config
) -> HookCall | str:
    """The claimed hook delivery ready to send, or why it is no longer to be sent."""
    hook = next((hook for hook in config.hooks if hook.url == delivery.hook_url), None)
    if hook is None or delivery.id is None:
        return "no [[hooks]] entry has this hook's url now"
    kind = hook_type(event.event, event.facts)
    if kind is None:
        return f"hooks are not told of {event.event}"
    body = {
        "id": event_id(event),
        "type": kind,
        "time": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": _data(session, event),
    }
    encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return HookCall(
        delivery.id, shown(hook.url), event.event, hook.url, hook.secret_env, encoded, kind
    )


def event_id(event: NotificationEvent) -> str:
    """The event's id, the same on every try and for every hook: named by its key and time."""
    return str(uuid.uuid5(EVENT_IDS, f"{event.key}@{event.created_at.isoformat()}"))


def signature(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def post_to_hook(call: HookCall, *, timeout: float) -> None:
    """POST ``call``'s body, signed; ``HookError`` says why it was not taken (a 2xx takes it)."""
    secret = os.environ.get(call.secret_env, "")
    if not secret:
        raise HookError(f"{call.secret_env} is not set")
    remember(secret)
    headers = {
        "Content-Type": "application/json",
        SIGNATURE: signature(secret, call.body),
        EVENT: call.type,
        DELIVERY: str(call.delivery_id),
    }
    try:
        response = httpx.post(call.url, content=call.body, headers=headers, timeout=timeout)
    except httpx.HTTPError as error:
        raise HookError(f"the hook is unreachable ({type(error).__name__})") from None
    if not response.is_success:
        said = " ".join(response.text.split())[:200]
        raise HookError(scrub(f"the hook answered {response.status_code}: {said}"))


def _data(session: Session, event: NotificationEvent) -> dict[str, Any]:
    """What the event is about: the ids, the channel, the post's URL and its place in its
    chain (``part`` of ``parts``; ``comment``: the first comment), and its recorded facts."""
    post = session.get(Post, event.post_id) if event.post_id is not None else None
    draft_id = event.draft_id if event.draft_id is not None else (post.draft_id if post else None)
    draft = session.get(Draft, draft_id) if draft_id is not None else None
    data: dict[str, Any] = {**event.facts, "draft_id": draft_id}
    if draft is not None:
        data["title"] = draft.title
    if post is not None:
        data |= {"post_id": post.id, "channel": post.channel, "language": post.language}
        data |= {"part": post.part, "parts": post.parts, "comment": post.is_comment}
        data["url"] = event.facts.get("url") or post.remote_url
    elif event.channel_id is not None:
        data["channel"] = event.channel_id
    return data
