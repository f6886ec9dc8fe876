"""Calling LinkedIn's versioned REST API: the headers every call takes, reading its error
answers, the refusals any call can get, and when a 429 lifts (PLATFORMS.md §1).

Shared by the post (``linkedin``), the image upload (``linkedin_images``) and the first comment
(``linkedin_comments``).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from drafts.channels import LinkedInChannel
from scheduler.outcomes import Failed, NotPublished, RetryAt
from scheduler.platforms.base import HttpResponse, bearer, rate_limited_until
from scheduler.rate_limits import reset_time

API = "https://api.linkedin.com"
WEB = "https://www.linkedin.com"
RESTLI_PROTOCOL = "2.0.0"
# Our clock and LinkedIn's disagree a little: a post or comment this much older than the
# request that may have made it is still taken for its own.
CLOCK_SKEW = timedelta(minutes=2)


def rest_headers(channel: LinkedInChannel, secret: str) -> dict[str, str]:
    """The bearer token, the channel's ``LinkedIn-Version`` and the Rest.li protocol."""
    return {
        **bearer(secret),
        "LinkedIn-Version": channel.version,
        "X-Restli-Protocol-Version": RESTLI_PROTOCOL,
    }


def error_message(body: Any, response: HttpResponse) -> tuple[str, list[str]]:
    """LinkedIn's error message, and its codes: the top-level one and each input error's."""
    if not isinstance(body, dict):
        return response.text(200) or "no message", []
    codes = [str(body["code"])] if body.get("code") else []
    details = body.get("errorDetails")
    if isinstance(details, dict):
        for error in details.get("inputErrors") or []:
            if isinstance(error, dict) and error.get("code"):
                codes.append(str(error["code"]))
    message = body.get("message") or " ".join(codes) or response.text(200) or "no message"
    return str(message), codes


def response_header(response: HttpResponse, name: str) -> str | None:
    """A header of the answer, whatever its case (``name`` in lower case)."""
    return next((v for k, v in response.headers.items() if k.lower() == name), None)


def throttled_until(
    response: HttpResponse, message: str, now: datetime, *, throttled_before: bool
) -> datetime:
    """When to try again after a 429: what a header says, else midnight UTC for a daily
    limit or a repeated refusal, else the default wait."""
    if throttled_before or "DAY limit" in message:
        midnight = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(), UTC)
        return reset_time(response.headers, now) or midnight
    return rate_limited_until(response.headers, now)


def refused_anywhere(
    response: HttpResponse, channel: LinkedInChannel, now: datetime, *, throttled_before: bool
) -> NotPublished | None:
    """What a refusal any versioned call can get means, whatever the call: a retired
    ``LinkedIn-Version`` (426), a dead token (401), a rate limit (429); None for the others."""
    status = response.status
    if status not in (401, 426, 429):
        return None
    message, _ = error_message(response.json(), response)
    if status == 426:
        return Failed(
            f"LinkedIn no longer serves API version {channel.version} ({message}): set "
            "`version` for this channel in config.toml to a recent month (YYYYMM)",
            status,
        )
    if status == 401:
        return Failed(
            f"LinkedIn refused the token ({message}); reconnect the channel: LinkedIn "
            "access tokens last 60 days",
            status,
        )
    at = throttled_until(response, message, now, throttled_before=throttled_before)
    return RetryAt(at, f"LinkedIn rate limit: {message}", status)


def post_url(urn: str) -> str:
    """The post's page on linkedin.com."""
    return f"{WEB}/feed/update/{urn}/"


def next_start(response: HttpResponse, start: int, size: int) -> int | None:
    """Where the page after a listing's page (from ``start``, ``size`` asked for) begins; None
    when it was the last: fewer elements than asked for, or ``paging.total`` reached."""
    body = response.json()
    if response.status != 200 or not isinstance(body, dict):
        return None
    elements = body.get("elements")
    if not isinstance(elements, list) or len(elements) < size:
        return None
    paging = body.get("paging")
    total = paging.get("total") if isinstance(paging, dict) else None
    after = start + len(elements)
    return None if isinstance(total, int) and after >= total else after
