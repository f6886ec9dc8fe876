"""Looking back through a platform's listing, a page at a time, for what an earlier attempt may
have published (a page's posts, a post's comments): after an unknown outcome, a platform
without an idempotency key is asked this before anything is sent again.

Each platform says how its pages follow one another (Graph by cursor: ``graph_paging``;
LinkedIn by offset: ``linkedin_rest.next_start``) and when no later page can hold the item
(it lists newest first, or by last change, and a page reached back before the last send).
A single page is not enough: posts or comments made meanwhile push the item off the first,
and a reconcile that answered "not there" would send it again. Past ``pages`` pages a person
is asked, and nothing is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import httpx

from scheduler.outcomes import Outcome, Published, RetryLater, Unknown
from scheduler.platforms.base import HttpRequest, HttpResponse, send

Place = TypeVar("Place")  # where a page begins: a cursor, an offset


async def look_back(
    client: httpx.AsyncClient,
    request: Callable[[Place | None], HttpRequest],
    read: Callable[[HttpResponse], Outcome | None],
    following: Callable[[HttpResponse, Place | None], Place | None],
    *,
    pages: int,
    size: int,
    service: str,
    listed: str,
) -> Outcome | None:
    """Ask for the listing's pages (``request`` of a page's place; None: the first), each read
    as ``read`` says (the item found, or not there: None or a later look), until the item is
    found or ``following`` names no page after this one. ``listed`` names what is listed
    (``the comments under post …``) for a person to look through after ``pages`` pages of
    ``size``."""
    place: Place | None = None
    for _ in range(pages):
        response = await send(client, request(place))
        if not isinstance(response, HttpResponse):
            return RetryLater(not_listed(listed, response.reason))
        outcome = read(response)
        place = None if isinstance(outcome, Published) else following(response, place)
        if place is None:
            return outcome
    return Unknown(too_many(service, pages * size, listed), 200)


# What a reconcile records (one English line each; tidings.web.reasons tells them in the
# reader's language), and what ``listed`` names.


def not_listed(listed: str, reason: str) -> str:
    return f"could not list {listed} to look for it: {reason}"


def too_many(service: str, count: int, listed: str) -> str:
    return (
        f"{service} lists more than {count} of {listed} since the earlier attempt and none is "
        f"what it sent, so whether it was published cannot be checked: look through {listed}, "
        "then mark it published or retry it"
    )


def page_posts(page: str) -> str:
    return f"the posts of page {page}"


def comments_under(post: str) -> str:
    return f"the comments under post {post}"


def posts_of(author: str) -> str:
    return f"the posts of {author}"
