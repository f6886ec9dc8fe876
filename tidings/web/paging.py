"""The web's side of keyset pagination (``drafts.keyset``): a list page reads its place from
``?after=``, links to the next page with the token its last row gave, and back to the first.

A token the list did not make (a mangled or a hand-typed link) takes the visitor to the list's
first page, with one line saying why: kinder than a 400 page (the list is what they came for),
clearer than a first page shown without a word. Every list page does the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import RedirectResponse

from tidings.web.pages import flash
from tidings.web.translations import N_

AFTER = "after"
NOT_A_PLACE = N_("after: this link does not lead to a place in this list; here is its first page.")


@dataclass(frozen=True)
class Pager:
    """Where a list page's links go: the next page (None on the last) and the first (None on
    the first)."""

    next: str | None
    first: str | None


def asked_after(request: Request) -> str | None:
    """The token of the place the page starts after; None for the first page."""
    return request.query_params.get(AFTER) or None


def pager(request: Request, after: str | None) -> Pager:
    """The links of a page whose next page starts after ``after``, keeping the page's other
    query parameters (a desk group, the given-up notifications only)."""
    here = request.url.remove_query_params(AFTER)
    on_first = asked_after(request) is None
    return Pager(
        next=_local(here.include_query_params(**{AFTER: after})) if after is not None else None,
        first=None if on_first else _local(here),
    )


def same_page(request: Request, path: str) -> str:
    """``path`` at the place this request came from: where a form on a later page of a list
    goes back to, so that its rows are the ones the person was reading."""
    after = asked_after(request)
    return _local(URL(path).include_query_params(**{AFTER: after})) if after else path


def to_first_page(
    request: Request, gettext: Callable[[str], str], path: str | None = None
) -> RedirectResponse:
    """The list's first page (at ``path``, else this request's), told in one line (shown
    there) that the link's place was not one of this list's: what to do about a
    ``CursorError``."""
    flash(request, gettext(NOT_A_PLACE))
    first = path or _local(request.url.remove_query_params(AFTER))
    return RedirectResponse(first, status_code=303)


def _local(url: URL) -> str:
    """The path and query of ``url``: links and redirects stay on this site."""
    return f"{url.path}?{url.query}" if url.query else url.path
