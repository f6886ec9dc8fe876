"""The review preview: built by the same code that builds the request (guarantee 4).

A reviewer sees the text the platform will show, read back out of the exact request the
adapter would send; secrets are replaced by a placeholder that never leaves this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from drafts.channels import ChannelBase, WebhookChannel
from drafts.media import PostImage
from scheduler.platforms import adapter_for
from scheduler.platforms.base import HttpRequest, JobImage, PostJob

PLACEHOLDER = "<secret>"
REDACTED = "<redacted>"
HIDDEN = "***"
_SECRET_HEADERS = frozenset({"authorization"})


@dataclass(frozen=True)
class Preview:
    """What the platform will receive and what it will show."""

    request: HttpRequest
    displayed: str
    secret_path: bool = False  # a webhook: its path is its token (Slack, Discord, Teams)
    # What goes out right after ``request`` (``Adapter.follow_ups``), with what each shows.
    follow_ups: tuple[tuple[HttpRequest, str], ...] = ()

    def request_json(self) -> dict[str, Any]:
        """The request with every secret masked, for people and JSON output."""
        headers = {
            name: (REDACTED if name.lower() in _SECRET_HEADERS else value)
            for name, value in self.request.headers.items()
        }
        return {
            "method": self.request.method,
            "url": redact_url(self.request.url.replace(PLACEHOLDER, REDACTED), self.secret_path),
            "headers": headers,
            "body": self.request.json(),
        }


def preview(
    *,
    post_id: int,
    text: str,
    language: str,
    channel: ChannelBase,
    images: tuple[JobImage, ...] = (),
) -> Preview:
    """The request the daemon would send for this post (images not uploaded yet: where an
    uploaded id will go, the request says ``<image N>``)."""
    adapter = adapter_for(channel)
    job = PostJob(
        post_id=post_id, text=text, language=language, idempotency_key="preview", images=images
    )
    request = adapter.build(job, channel, PLACEHOLDER)
    follow_ups = tuple(
        (each, adapter.displayed_text(each))
        for each in adapter.follow_ups(job, channel, PLACEHOLDER)
    )
    webhook = isinstance(channel, WebhookChannel)
    return Preview(
        request=request,
        displayed=adapter.displayed_text(request),
        secret_path=webhook,
        follow_ups=follow_ups,
    )


def preview_images(images: Sequence[PostImage]) -> tuple[JobImage, ...]:
    """``images`` as an adapter gets them before they are uploaded: no file, no link."""
    return tuple(JobImage.sent(each) for each in images)


def redact_url(url: str, secret_path: bool = False) -> str:
    """``url`` as people may see it: a user name and password, every query value and the
    fragment become ``***`` (an incoming webhook's token often sits in its query), and with
    ``secret_path`` the path too. The scheme, host and port stay: where it goes."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{HIDDEN}@{netloc.rpartition('@')[2]}"
    pairs = (piece.partition("=") for piece in parts.query.split("&")) if parts.query else ()
    query = "&".join(f"{name}={HIDDEN}" if equals else HIDDEN for name, equals, _ in pairs)
    path = f"/{HIDDEN}" if secret_path and parts.path.strip("/") else parts.path
    fragment = HIDDEN if parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, path, query, fragment))
