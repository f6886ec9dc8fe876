"""How a Graph API edge's pages follow one another, newest first, back to a moment: the
``look_back`` of a reconcile on Facebook (a Page's posts, a post's comments).

Graph pages an edge by cursor (Graph API "Paginated Results"): each page's ``paging`` holds
``cursors.after``, and ``next`` on every page but the last (fewer items than ``limit`` does not
mean the last). The next page is asked for with ``after``; ``next`` itself is not followed,
since Graph writes the access token into it. What was published at ``since`` cannot be on a
page past one that reaches back before it, so there is no page after that one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

from scheduler.platforms.base import HttpResponse
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
