"""The review preview: built by the same code that builds the request (guarantee 4).

A reviewer sees the text the platform will show, read back out of the exact request the
adapter would send; secrets are replaced by a placeholder that never leaves this module.

A part after the first replies to (or, the first comment, comments on) parts not published
yet: where their ids go, the request says ``<the post's id>`` or ``<part N's id>`` (and
``<part N's cid>`` for any other id the adapter keeps), readable in the URL too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from drafts.channels import ChannelBase, WebhookChannel
from drafts.media import PostImage
from scheduler.platforms import adapter_for
from scheduler.platforms.base import HttpRequest, JobImage, PostJob, PublishedPart, ReplyTo

PLACEHOLDER = "<secret>"
REDACTED = "<redacted>"
HIDDEN = "***"
_SECRET_HEADERS = frozenset({"authorization"})
# A placeholder the adapter URL-encoded into a path (``%3Cpart%201%27s%20id%3E``).
_ENCODED_PLACEHOLDER = re.compile(r"%3C[A-Za-z0-9%]*?%3E")


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
        url = _ENCODED_PLACEHOLDER.sub(lambda found: unquote(found[0]), self.request.url)
        return {
            "method": self.request.method,
            "url": redact_url(url.replace(PLACEHOLDER, REDACTED), self.secret_path),
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
    part: int = 1,
    parts: int = 1,
) -> Preview:
    """The request the daemon would send for this post, part ``part`` of ``parts`` (the first
    comment is part ``parts + 1``). Images not uploaded yet: where an uploaded id will go, the
    request says ``<image N>``; the parts before not published yet: ``<part N's id>``."""
    adapter = adapter_for(channel)
    job = PostJob(
        post_id=post_id,
        text=text,
        language=language,
        idempotency_key="preview",
        images=images,
        reply_to=unpublished_reply(part, parts),
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


def unpublished_reply(part: int, parts: int) -> ReplyTo | None:
    """What part ``part`` of ``parts`` replies to (or comments on) before anything is
    published: the parts before it, by placeholder; None for the first part."""
    if part <= 1:
        return None
    parent, root = _unpublished(part - 1, parts), _unpublished(1, parts)
    return ReplyTo(parent=parent, root=root, comment=part > parts)


class _Unpublished(Mapping[str, str]):
    """The ids an adapter kept for a part not published yet: a placeholder for any it asks."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getitem__(self, key: str) -> str:
        return f"<{self.name}'s {key}>"

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _unpublished(part: int, parts: int) -> PublishedPart:
    name = "the post" if part == 1 and parts == 1 else f"part {part}"
    return PublishedPart(remote_id=f"<{name}'s id>", state=_Unpublished(name))


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
