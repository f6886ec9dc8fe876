"""How X says what went wrong: problem+json bodies (RFC 7807, PLATFORMS.md §2), or the
v1-style ``errors`` list some endpoints still answer with."""

from __future__ import annotations

from scheduler.platforms.base import HttpResponse


def is_duplicate(body: object) -> bool:
    """Whether a 403 problem says the text duplicates an existing post."""
    if not isinstance(body, dict):
        return False
    texts = [body.get("detail"), body.get("title")]
    errors = body.get("errors")
    if isinstance(errors, list):
        texts += [error.get("message") for error in errors if isinstance(error, dict)]
    return any(isinstance(text, str) and "duplicate" in text.lower() for text in texts)


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
