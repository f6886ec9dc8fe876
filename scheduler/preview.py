"""The review preview: built by the same code that builds the request (guarantee 4).

A reviewer sees the text the platform will show, read back out of the exact request the
adapter would send; secrets are replaced by a placeholder that never leaves this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drafts.channels import ChannelBase
from scheduler.platforms import adapter_for
from scheduler.platforms.base import HttpRequest, PostJob

PLACEHOLDER = "<secret>"
_SECRET_HEADERS = frozenset({"authorization"})


@dataclass(frozen=True)
class Preview:
    """What the platform will receive and what it will show."""

    request: HttpRequest
    displayed: str

    def request_json(self) -> dict[str, Any]:
        """The request with every secret masked, for people and JSON output."""
        headers = {
            name: ("<redacted>" if name.lower() in _SECRET_HEADERS else value)
            for name, value in self.request.headers.items()
        }
        return {
            "method": self.request.method,
            "url": self.request.url.replace(PLACEHOLDER, "<redacted>"),
            "headers": headers,
            "body": self.request.json(),
        }


def preview(*, post_id: int, text: str, language: str, channel: ChannelBase) -> Preview | None:
    """The request the daemon would send for this post, or None if no adapter exists yet."""
    adapter = adapter_for(channel.platform)
    if adapter is None:
        return None
    job = PostJob(post_id=post_id, text=text, language=language, idempotency_key="preview")
    request = adapter.build(job, channel, PLACEHOLDER)
    return Preview(request=request, displayed=adapter.displayed_text(request))
