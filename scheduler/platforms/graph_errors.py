"""Reading Meta Graph API answers, shared by Facebook Pages and Threads (PLATFORMS.md §5.2, §6):
errors, refused reads and identity checks, and Graph's times.

Graph errors are ``{"error": {message, type, code, error_subcode, fbtrace_id}}`` and the HTTP
status says little (throttling usually comes as 400), so outcomes follow ``error.code``:

    190, 102, 104          the token is dead or missing           Failed: reconnect
    4, 17, 32, 613, 341,   throttled                              RetryAt the usage header's
    80001                                                          ``estimated_time_to_regain_access``
    1, 2                   unknown or temporary trouble            RetryLater
    368                    blocked for policy reasons              Failed: a person looks first
    506                    same message as the previous post       Failed
    10, 200-299            permission missing                      Failed
    anything else          validation and the like                 Failed, with Meta's message

A 5xx without a Graph error body came from somewhere before or after Meta decided, so it is
``Unknown`` for a request that creates a post; for one that posts nothing (an image upload, a
media container) it is only a reason to try again (``refused_upload``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from scheduler.outcomes import Failed, NotPublished, Outcome, RetryAt, RetryLater, Unknown
from scheduler.platforms.base import DEFAULT_RATE_LIMIT_WAIT, HttpResponse
from scheduler.rate_limits import reset_time

RECONNECT_CODES = frozenset({102, 104, 190})
THROTTLE_CODES = frozenset({4, 17, 32, 341, 613, 80001})
TEMPORARY_CODES = frozenset({1, 2})
POLICY_BLOCK_CODE = 368
DUPLICATE_CODE = 506
USAGE_HEADER = "x-business-use-case-usage"


@dataclass(frozen=True)
class GraphError:
    """The fields of a Graph error body that decide what happens next."""

    code: int
    subcode: int | None
    message: str

    def describe(self) -> str:
        """``code 190/460: message``, as attempt logs show it."""
        code = f"{self.code}/{self.subcode}" if self.subcode is not None else str(self.code)
        return f"code {code}: {self.message}"


def parse_error(body: object) -> GraphError | None:
    """The Graph error in ``body``, or None when it is not one."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    error = body["error"]
    code = _int_or_none(error.get("code"))
    if code is None:
        return None
    message = error.get("message") or error.get("error_user_msg") or "no message"
    return GraphError(code, _int_or_none(error.get("error_subcode")), str(message))


def classify(
    error: GraphError, response: HttpResponse, now: datetime, *, service: str, reconnect: str
) -> NotPublished:
    """What a Graph error means for the post; ``service`` names the platform in reasons."""
    status = response.status
    code = error.code
    if code in RECONNECT_CODES:
        return Failed(f"{service} refused the token ({error.describe()}); {reconnect}", status)
    if code in THROTTLE_CODES:
        at = throttled_until(response.headers, now)
        return RetryAt(at, f"{service} rate limit ({error.describe()})", status)
    if code in TEMPORARY_CODES:
        return RetryLater(f"{service} had a temporary problem ({error.describe()})", status)
    if code == POLICY_BLOCK_CODE:
        # Retrying during a policy block can lengthen it; someone should read the page's
        # support inbox before anything is sent again.
        return Failed(
            f"{service} has temporarily blocked this account from posting for a policy "
            f"violation ({error.describe()}); Tidings will not retry on its own: check the "
            "account's support inbox, then retry the post",
            status,
        )
    if code == DUPLICATE_CODE:
        return Failed(
            f"{service} refuses a post identical to the previous one ({error.describe()}); "
            "change the text",
            status,
        )
    if code == 10 or 200 <= code <= 299:
        return Failed(
            f"{service} denied permission ({error.describe()}); reconnect with the "
            "publishing permissions",
            status,
        )
    return Failed(f"{service} refused the request ({error.describe()})", status)


def read_failure(
    response: HttpResponse, now: datetime, *, service: str, reconnect: str
) -> NotPublished:
    """A non-success answer to a request that creates something."""
    error = parse_error(response.json())
    if error is not None:
        return classify(error, response, now, service=service, reconnect=reconnect)
    message = response.text(200) or "no message"
    if response.status == 429:
        return RetryAt(
            throttled_until(response.headers, now), f"{service} rate limit: {message}", 429
        )
    if response.status >= 500 or 200 <= response.status < 300:
        return Unknown(
            f"{service} answered {response.status} without saying what happened ({message})",
            response.status,
        )
    return Failed(f"{service} refused the request ({response.status}): {message}", response.status)


def refused_upload(
    response: HttpResponse, now: datetime, *, service: str, reconnect: str, what: str
) -> NotPublished:
    """A refused request that posts nothing (an image upload, a media container), with the
    reason saying what was refused (``what``: "uploading image 2"): read as ``read_failure``
    reads it, except that an unclear answer is a retry, since nothing can have been posted."""
    outcome = read_failure(response, now, service=service, reconnect=reconnect)
    if isinstance(outcome, Unknown):
        return RetryLater(f"{what}: {outcome.reason}; nothing was posted", outcome.http_status)
    return replace(outcome, reason=f"{what}: {outcome.reason}")


def refused_read(
    response: HttpResponse,
    now: datetime,
    *,
    service: str,
    reconnect: str,
    reading: str,
    unsettled: str,
) -> Outcome:
    """What a refused read (a listing, a status: it creates nothing) means: a token, throttle
    or temporary Graph error as ``classify`` has it, a 5xx without one a retry, and anything
    else ``Unknown``, saying what could not be read (``reading``) and what that leaves open."""
    error = parse_error(response.json())
    if error is not None and error.code in RECONNECT_CODES | THROTTLE_CODES | TEMPORARY_CODES:
        return classify(error, response, now, service=service, reconnect=reconnect)
    if error is None and response.status >= 500:
        return RetryLater(f"{service} could not {reading} ({response.status})")
    detail = error.describe() if error else f"{response.status}: {response.text(200)}"
    return Unknown(f"{service} would not {reading} ({detail}), {unsettled}", response.status)


def refused_identity(response: HttpResponse) -> str:
    """Why an identity check (``GET /me``) was refused, for ``channels check``."""
    error = parse_error(response.json())
    return f"refused ({response.status}): {error.describe() if error else response.text(200)}"


def graph_time(value: object) -> datetime | None:
    """Graph's ``2026-11-29T17:06:46+0000``, or None when ``value`` is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def throttled_until(headers: Mapping[str, str], now: datetime) -> datetime:
    """When a throttled token may call again: the latest time any header names, else a default."""
    candidates = [
        moment
        for moment in (regain_access(headers, now), reset_time(headers, now))
        if moment is not None
    ]
    return max(candidates, default=now + DEFAULT_RATE_LIMIT_WAIT)


def regain_access(headers: Mapping[str, str], now: datetime) -> datetime | None:
    """``estimated_time_to_regain_access`` (minutes) from ``X-Business-Use-Case-Usage``.

    The header maps business ids to lists of usage entries; the longest wait wins.
    """
    raw = next((value for name, value in headers.items() if name.lower() == USAGE_HEADER), None)
    if raw is None:
        return None
    try:
        usage = json.loads(raw)
    except ValueError:
        return None
    minutes = [
        _int_or_none(entry.get("estimated_time_to_regain_access"))
        for entries in (usage.values() if isinstance(usage, dict) else ())
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
    ]
    longest = max((m for m in minutes if m is not None), default=0)
    return now + timedelta(minutes=longest) if longest > 0 else None


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
