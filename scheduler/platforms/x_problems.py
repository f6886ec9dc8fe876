"""How X says what went wrong: problem+json bodies (RFC 7807, PLATFORMS.md §2), or the
v1-style ``errors`` list some endpoints still answer with."""

from __future__ import annotations

from scheduler.platforms.base import HttpResponse


def is_duplicate(body: object) -> bool:
    """Whether a 403 problem says the text duplicates an existing post."""
    return any("duplicate" in text for text in _messages(body))


def is_unseen_parent(body: object) -> bool:
    """Whether a 403 problem says the post replied to is deleted or not visible ("You attempted
    to reply to a Tweet that is deleted or not visible to you.", v1.1's code 385)."""
    return any("reply to a tweet that is deleted" in text for text in _messages(body))


def _messages(body: object) -> list[str]:
    """A problem's texts, lowercased: its detail and title and each error's message."""
    if not isinstance(body, dict):
        return []
    texts = [body.get("detail"), body.get("title")]
    errors = body.get("errors")
    if isinstance(errors, list):
        texts += [error.get("message") for error in errors if isinstance(error, dict)]
    return [text.lower() for text in texts if isinstance(text, str)]


def problem_message(body: object, response: HttpResponse) -> str:
    """The most specific message in a problem+json (or v1-style ``errors``) body."""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0].get("message")
            if isinstance(first, str) and first:
                return first
        for key in ("detail", "title"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
    return response.text(200) or "no message"
