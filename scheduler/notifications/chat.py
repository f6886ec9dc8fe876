"""The team's chat: one short line and the link, POSTed to an incoming webhook.

The webhook's address is a secret (whoever has it can post to the channel): it is read from
the environment variable ``chat_webhook_env`` names, remembered as a secret, and never said in
an error or a log line. The JSON follows each chat's documented shape:

- Slack: ``{"text": …}`` (https://api.slack.com/messaging/webhooks);
- Mattermost: the same (https://developers.mattermost.com/integrate/webhooks/incoming/);
- Microsoft Teams: a message carrying a minimal Adaptive Card, as the Workflows webhooks that
  replace Office 365 connectors take it (https://learn.microsoft.com/en-us/microsoftteams/
  platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-using-an-incoming-webhook).
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from scheduler.credentials import remember, scrub
from scheduler.notifications.messages import Message

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


class ChatError(Exception):
    """The chat did not take the message; the words are safe to log."""


def chat_webhook(variable: str | None) -> str | None:
    """The webhook address the variable holds (None when not configured or not set)."""
    url = os.environ.get(variable, "").strip() if variable else ""
    if not url:
        return None
    remember(url)
    return url


def chat_text(message: Message) -> str:
    return f"{message.subject}: {message.link}"


def chat_payload(message: Message, chat_format: str) -> dict[str, Any]:
    """The JSON the chat's incoming webhook takes for ``message``."""
    text = chat_text(message)
    if chat_format != "teams":
        return {"text": text}
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.2",
        "body": [{"type": "TextBlock", "text": text, "wrap": True}],
    }
    return {"type": "message", "attachments": [{"contentType": ADAPTIVE_CARD, "content": card}]}


def post_to_chat(url: str, payload: dict[str, Any], *, timeout: float) -> None:
    """POST ``payload`` to the webhook; ``ChatError`` says why it was not taken."""
    try:
        response = httpx.post(url, json=payload, timeout=timeout)
    except httpx.HTTPError as error:
        raise ChatError(f"the chat webhook is unreachable ({type(error).__name__})") from None
    if not response.is_success:
        said = " ".join(response.text.split())[:200]
        raise ChatError(scrub(f"the chat webhook answered {response.status_code}: {said}"))
