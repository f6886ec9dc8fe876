"""Facebook first comments: ``POST /{post-id}/comments`` with the ``message`` (PLATFORMS.md §10.2).

A Page has no threads: a draft's parts reach it joined into one post, and its first comment is
the part after that post (``ReplyTo.comment``), published with the Page token as the Page's
comment on the post. The post is the chain's root: its remote id is the ``{page}_{post}`` id the
create answered. The answer is ``{"id": comment-id}`` (Graph API reference "/{object-id}/comments",
Publishing); the comment's page is the post's with ``?comment_id=`` (🟡 as facebook.com links a
comment).

The token travels in the body, as for posts. After an unknown outcome the post's comments are
listed (``GET /{post-id}/comments``, newest first) and one with exactly this message, created since
the last send and (when ``from`` is shown) by the Page, is the comment. The pages are followed
back to the last send (``graph_paging``): the first 25 alone missed a comment that 25 others
had followed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scheduler.outcomes import Outcome, Published, RetryLater, Unknown
from scheduler.platforms.base import (
    HttpRequest,
    HttpResponse,
    PostJob,
    commented_post,
    look_again,
)
from scheduler.platforms.graph_errors import graph_time, read_failure, refused_read
from scheduler.platforms.graph_paging import CLOCK_SKEW, LISTING_SIZE


def comment_request(job: PostJob, graph: str, secret: str) -> HttpRequest:
    """``POST {graph}/{post-id}/comments``: the message, and the Page token in the body."""
    body = {"message": job.text, "access_token": secret}
    return HttpRequest.with_json("POST", f"{graph}/{commented_post(job)}/comments", body)


def comments_listing(job: PostJob, graph: str) -> str:
    """The first page of the post's comments, newest first, with what a reconcile matches on."""
    return (
        f"{graph}/{commented_post(job)}/comments?fields=id,message,created_time,from"
        f"&filter=stream&order=reverse_chronological&limit={LISTING_SIZE}"
    )


def comment_url(post_link: str, comment_id: str) -> str:
    """The comment on facebook.com: its post's page (``post_link``), pointing at it."""
    return f"{post_link}?comment_id={comment_id.rpartition('_')[2]}"


def read_comment(
    response: HttpResponse, post_link: str, now: datetime, *, service: str, reconnect: str
) -> Outcome:
    """A ``POST /{post-id}/comments`` answer as an outcome."""
    body = response.json()
    if 200 <= response.status < 300 and isinstance(body, dict) and body.get("id"):
        comment_id = str(body["id"])
        return Published(comment_id, comment_url(post_link, comment_id), response.status)
    failure = read_failure(response, now, service=service, reconnect=reconnect)
    if isinstance(failure, RetryLater):  # a temporary error after sending: it may have posted
        return Unknown(f"{failure.reason}, so whether it commented is unclear", failure.http_status)
    return failure


def read_comments(
    response: HttpResponse,
    job: PostJob,
    *,
    page_id: str,
    post_link: str,
    since: datetime,
    now: datetime,
    service: str,
    reconnect: str,
) -> Outcome | None:
    """Whether the post's newest comments hold this one, created since ``since``; None when
    they do not (safe to send)."""
    body = response.json()
    if response.status != 200 or not isinstance(body, dict):
        return refused_read(
            response,
            now,
            service=service,
            reconnect=reconnect,
            reading="list the post's comments",
            unsettled="so whether the earlier attempt commented cannot be checked",
        )
    for item in body.get("data") or []:
        if _is_ours(item, job.text, page_id, since - CLOCK_SKEW):
            comment_id = str(item["id"])
            return Published(comment_id, comment_url(post_link, comment_id), response.status)
    return look_again(since, now, "Facebook", "comment")


def _is_ours(item: Any, text: str, page_id: str, earliest: datetime) -> bool:
    if not isinstance(item, dict) or item.get("message") != text or not item.get("id"):
        return False
    author = item.get("from")
    if isinstance(author, dict) and str(author.get("id")) != page_id:
        return False
    created = graph_time(item.get("created_time"))
    return created is not None and created >= earliest
