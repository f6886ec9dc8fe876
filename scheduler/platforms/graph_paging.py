"""Reading a Graph API edge newest first, a page at a time, back to a moment: how a reconcile
looks for what an earlier attempt may have published (a Page's posts, a post's comments).

Graph pages an edge by cursor (Graph API "Paginated Results"): each page's ``paging`` holds
``cursors.after``, and ``next`` on every page but the last (fewer items than ``limit`` does not
mean the last). The next page is asked for with ``after``; ``next`` itself is not followed,
since Graph writes the access token into it. What was published at ``since`` cannot be on a
page past one that reaches back before it, so the search stops there, and after
``LISTED_PAGES`` pages a person is asked rather than the item sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import quote

import httpx

from scheduler.outcomes import Outcome, Published, RetryLater, Unknown
from scheduler.platforms.base import HttpRequest, HttpResponse, bearer, send
from scheduler.platforms.graph_errors import graph_time

# Our clock and Meta's disagree a little; an older identical item is not ours.
CLOCK_SKEW = timedelta(minutes=2)
LISTING_SIZE = 25
LISTED_PAGES = 40  # 1,000 items: how far a reconcile looks before it asks a person


def after_cursor(url: str, after: str | None) -> str:
    """``url`` (a listing with its query) for the page after the cursor ``after``."""
    return url if after is None else f"{url}&after={quote(after, safe='')}"


def next_cursor(response: HttpResponse, since: datetime) -> str | None:
    """The cursor of the page after this listing's, when what was sent at ``since`` could
    still be there: the page holds nothing created before it (newest first, the rest are older
    still) and it is not the last (it has ``next``). None otherwise."""
    body = response.json()
    if response.status != 200 or not isinstance(body, dict):
        return None
    earliest = since - CLOCK_SKEW
    for item in body.get("data") or []:
        created = graph_time(item.get("created_time")) if isinstance(item, dict) else None
        if created is not None and created < earliest:
            return None
    paging = body.get("paging")
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, dict) else None
    return after if isinstance(after, str) and after else None


async def look_back(
    client: httpx.AsyncClient,
    listing: str,
    secret: str,
    since: datetime,
    read: Callable[[HttpResponse], Outcome | None],
    *,
    listed: str,
) -> Outcome | None:
    """Read the edge at ``listing`` (its first page's URL) a page at a time, each page as
    ``read`` says (the item found, or not there), until the item is found or ``next_cursor``
    says no later page can hold what was sent at ``since``. ``listed`` names what is listed
    (``the post's comments``) for a person to look through when the pages run past
    ``LISTED_PAGES``."""
    after: str | None = None
    for _ in range(LISTED_PAGES):
        request = HttpRequest("GET", after_cursor(listing, after), bearer(secret))
        response = await send(client, request)
        if not isinstance(response, HttpResponse):
            return RetryLater(f"could not list {listed} to look for it: {response.reason}")
        outcome = read(response)
        after = None if isinstance(outcome, Published) else next_cursor(response, since)
        if after is None:
            return outcome
    return Unknown(
        f"Facebook lists more than {LISTED_PAGES * LISTING_SIZE} of {listed} since the earlier "
        "attempt and none is what it sent, so whether it was published cannot be checked: look "
        f"through {listed}, then mark it published or retry it",
        200,
    )
