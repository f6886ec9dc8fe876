"""LinkedIn first comments: ``POST /rest/socialActions/{post URN}/comments`` (PLATFORMS.md §10.2).

LinkedIn has no threads: a draft's parts reach it joined into one post, and its first comment
is the part after that post (``ReplyTo.comment``), published as a comment by the channel's
author on the post. The post is the chain's root: its remote id is the URN the create answered
in ``x-restli-id`` (``urn:li:share:…`` or ``urn:li:ugcPost:…``), URL-encoded in the path and
named again as the body's ``object``.

The comment's ``message.text`` is plain text, not little text: it goes exactly as written.
Escaping it as a post's commentary must be escaped shows the backslashes on LinkedIn (a peer
did, postiz#1847), so the preview shows it verbatim too.

The answer (201, Microsoft Learn "Comments API", Create a Comment) is the created comment:
its URN is ``commentUrn`` (or ``$URN``), ``urn:li:comment:({object},{id})``; its page is the
post's with ``?commentUrn=`` (🟡 as linkedin.com links a comment).

LinkedIn has no idempotency key for comments either. After an unknown outcome the post's
comments are listed (``GET`` on the same path, ``LISTING_SIZE`` a page) and one by the same
actor with exactly this text, created since the last send (``PostJob.last_sent_at``), is the
comment. Microsoft Learn does not say in which order comments are listed, so the pages are
read until the comment is found or none is left, up to ``LISTED_AT_MOST``; past that a person
is asked, and nothing is sent again (a first page alone missed a comment under a post that
others had answered fifty times). Listing needs
``r_organization_social`` for a page, and the restricted ``r_member_social`` for a member:
without it nobody can tell, and a person is asked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

import httpx

from drafts.channels import LinkedInChannel
from scheduler.outcomes import Failed, Outcome, Published, RetryLater, Unknown
from scheduler.platforms.base import (
    HttpRequest,
    HttpResponse,
    PostJob,
    api_origin,
    commented_post,
    look_again,
)
from scheduler.platforms.linkedin_rest import (
    API,
    CLOCK_SKEW,
    error_message,
    next_start,
    post_url,
    refused_anywhere,
    response_header,
    rest_headers,
)
from scheduler.platforms.look_back import comments_under, look_back

COMMENT_URN = "urn:li:comment:"
LISTING_SIZE = 50
LISTED_AT_MOST = 1000  # comments a reconcile looks through before it asks a person


def comment_request(job: PostJob, channel: LinkedInChannel, secret: str) -> HttpRequest:
    """The comment, by the channel's author, on the post its part follows; its text as is."""
    post = commented_post(job)
    body = {"actor": channel.author, "object": post, "message": {"text": job.text}}
    return HttpRequest.with_json(
        "POST", comments_url(channel, post), body, headers=rest_headers(channel, secret)
    )


def comments_listing(
    channel: LinkedInChannel, post: str, secret: str, start: int = 0
) -> HttpRequest:
    """``GET`` a page of the post's comments, from the ``start``-th."""
    url = f"{comments_url(channel, post)}?start={start}&count={LISTING_SIZE}"
    return HttpRequest("GET", url, rest_headers(channel, secret))


def comments_url(channel: LinkedInChannel, post: str) -> str:
    return f"{api_origin(channel, API)}/rest/socialActions/{quote(post, safe='')}/comments"


def comment_url(post: str, comment: str) -> str:
    """The comment on linkedin.com: its post's page, pointing at it."""
    return f"{post_url(post)}?commentUrn={quote(comment, safe='')}"


def read_comment(
    response: HttpResponse,
    channel: LinkedInChannel,
    post: str,
    now: datetime,
    *,
    throttled_before: bool = False,
) -> Outcome:
    """A ``POST …/comments`` answer as an outcome."""
    status = response.status
    body = response.json()
    if 200 <= status < 300:
        urn = comment_urn(body, response)
        if urn is None:
            return Unknown(f"LinkedIn answered {status} without the comment's URN", status)
        return Published(urn, comment_url(post, urn), status)
    refused = refused_anywhere(response, channel, now, throttled_before=throttled_before)
    if refused is not None:
        return refused
    message, codes = error_message(body, response)
    if status == 404:
        return Failed(
            f"LinkedIn has no post {post} to comment on ({message}): was it deleted? The "
            "comment was not sent",
            status,
        )
    if status == 403:
        return Failed(
            f"LinkedIn denied the comment ({message}): commenting as {channel.author} needs "
            "w_organization_social (a page, whose ADMINISTRATOR, DIRECT_SPONSORED_CONTENT_POSTER "
            "or RECRUITING_POSTER the member must be) or w_member_social (a member)",
            status,
        )
    if status >= 500:
        return Unknown(f"LinkedIn answered {status} to the comment ({message})", status)
    label = " ".join([str(status), *codes[:1]])
    return Failed(f"LinkedIn refused the comment ({label}): {message}", status)


async def find_comment(
    client: httpx.AsyncClient,
    job: PostJob,
    channel: LinkedInChannel,
    secret: str,
    since: datetime,
    now: datetime,
) -> Outcome | None:
    """After an unknown outcome: the comment, if the post's comments hold it (``read_comments``),
    read a page at a time (``look_back``) until it is found or none is left; None when it is
    not there (safe to send)."""
    post = commented_post(job)
    return await look_back(
        client,
        lambda start: comments_listing(channel, post, secret, start or 0),
        lambda page: read_comments(page, channel, job, since, now),
        lambda page, start: next_start(page, start or 0, LISTING_SIZE),
        pages=LISTED_AT_MOST // LISTING_SIZE,
        size=LISTING_SIZE,
        service="LinkedIn",
        listed=comments_under(post),
    )


def read_comments(
    response: HttpResponse,
    channel: LinkedInChannel,
    job: PostJob,
    since: datetime,
    now: datetime,
) -> Outcome | None:
    """Whether the post's comments hold this one: by the channel's author, with exactly this
    text, created since ``since``. None when they do not (safe to send)."""
    post = commented_post(job)
    body = response.json()
    if response.status == 200 and isinstance(body, dict):
        earliest = (since - CLOCK_SKEW).timestamp() * 1000
        for element in body.get("elements") or []:
            if _is_ours(element, channel.author, job.text, earliest):
                urn = comment_urn(element, None)
                if urn is not None:
                    return Published(urn, comment_url(post, urn), response.status)
        return look_again(since, now, "LinkedIn", "comment")
    refused = read_comment(response, channel, post, now)
    if isinstance(refused, Failed) and response.status not in (401, 404, 426):
        message, _ = error_message(body, response)
        return Unknown(
            f"LinkedIn would not list the post's comments ({response.status}: {message}), so "
            "whether the earlier attempt commented cannot be checked: look under the post "
            f"{post}, then mark the comment published or retry it",
            response.status,
        )
    if isinstance(refused, Unknown | Published):
        return RetryLater(f"could not list the post's comments ({response.status})")
    return refused


def comment_urn(body: Any, response: HttpResponse | None) -> str | None:
    """The comment's URN in an answer or a listed comment: ``commentUrn``, ``$URN``, built
    from ``object`` and ``id``, or (an answer) an ``x-restli-id`` that is one."""
    if isinstance(body, dict):
        for key in ("commentUrn", "$URN"):
            value = body.get(key)
            if isinstance(value, str) and value.startswith(COMMENT_URN):
                return value
        if body.get("id") and isinstance(body.get("object"), str):
            return f"{COMMENT_URN}({body['object']},{body['id']})"
    header = response_header(response, "x-restli-id") if response is not None else None
    if header and unquote(header).startswith(COMMENT_URN):
        return unquote(header)
    return None


def _is_ours(element: Any, author: str, text: str, earliest: float) -> bool:
    if not isinstance(element, dict):
        return False
    message = element.get("message")
    created = element.get("created")
    time = created.get("time") if isinstance(created, dict) else None
    return (
        element.get("actor") == author
        and isinstance(message, dict)
        and message.get("text") == text
        and isinstance(time, int)
        and time >= earliest
    )
