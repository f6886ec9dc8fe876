"""Answering the sandbox's consent page (``consent``) the way a browser would, with plain httpx:
what the demo does to connect its channels, and what tests do to drive the OAuth flows.

``answer_consent`` opens an authorization URL, reads the form the page shows (its hidden
fields and ticked scope boxes), and presses Allow or Deny; the answer is the platform's
redirect back to the app (or an error page), never followed.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx


class ConsentForm(HTMLParser):
    """The consent page's form: its action and the fields a browser would send."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: list[tuple[str, str]] = []
        self.scopes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.action = found.get("action", "")
        elif tag == "input" and found.get("type") == "hidden":
            self.fields.append((found["name"], found.get("value", "")))
        elif tag == "input" and found.get("type") == "checkbox" and "checked" in found:
            self.scopes.append(found.get("value", ""))


def read_form(page: str) -> ConsentForm:
    """The form of a consent page's HTML."""
    form = ConsentForm()
    form.feed(page)
    return form


def answer_consent(
    client: httpx.Client,
    authorization_url: str,
    *,
    decision: str = "allow",
    grant: list[str] | None = None,
) -> httpx.Response:
    """Open ``authorization_url`` and press Allow or Deny, granting the ticked scopes (all of
    them, or only ``grant``). Returns the page itself when it shows an error instead of a form."""
    page = client.get(authorization_url)
    if page.status_code != 200:
        return page
    form = read_form(page.text)
    scopes = form.scopes if grant is None else grant
    data = [*form.fields, *(("grant", s) for s in scopes), ("decision", decision)]
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    return client.post(page.url.join(form.action), content=urlencode(data), headers=form_type)


def redirected_query(response: httpx.Response) -> dict[str, str]:
    """The query of the redirect a consent answer sent the browser to (one value per name);
    ``ValueError`` when the answer is no redirect (an error page, whose text it quotes)."""
    if response.status_code != 302:
        raise ValueError(f"no redirect but {response.status_code}: {response.text[:300]}")
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return {name: values[0] for name, values in query.items()}
