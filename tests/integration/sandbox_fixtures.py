"""Helpers for tests that talk to the sandbox over loopback HTTP with plain httpx.

Requests here are built by hand from PLATFORMS.md, not by Tidings' adapters, so the
sandbox is checked against the contract rather than against the code it will test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from scheduler.sandbox import RunningSandbox, SandboxState, Settings, running_sandbox

TOKEN = "sandbox-test-token-0123456789"
OTHER_TOKEN = "another-test-token-9876543210"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ORG = "urn:li:organization:2414183"
# A valid TID rkey, as a client would generate and persist it before sending.
RKEY = "3lbxzxbmhy22c"


@contextmanager
def sandbox_and_client(
    state: SandboxState | None = None,
) -> Iterator[tuple[RunningSandbox, httpx.Client]]:
    """One sandbox (serving ``state``, default a fresh one) and one client talking to it."""
    with (
        running_sandbox(state) as sandbox,
        httpx.Client(base_url=sandbox.base_url, timeout=5.0) as client,
    ):
        yield sandbox, client


def fresh(sandbox: RunningSandbox) -> None:
    """Forget everything and go back to default settings between tests."""
    sandbox.state.settings = Settings()
    sandbox.state.reset()


def linkedin_headers(version: str = "202610") -> dict[str, str]:
    """The headers every versioned LinkedIn call needs."""
    return {**AUTH, "LinkedIn-Version": version, "X-Restli-Protocol-Version": "2.0.0"}


def linkedin_body(commentary: str, author: str = ORG) -> dict[str, Any]:
    """A text-only organisation post, as in PLATFORMS.md §1.3."""
    return {
        "author": author,
        "commentary": commentary,
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }


def bluesky_login(client: httpx.Client, handle: str = "tidings.test") -> dict[str, Any]:
    """Create a Bluesky session and return its JSON."""
    response = client.post(
        "/xrpc/com.atproto.server.createSession",
        json={"identifier": handle, "password": "app-pass-word-1234"},
    )
    assert response.status_code == 200, response.text
    session: dict[str, Any] = response.json()
    return session


def bluesky_create(
    client: httpx.Client, session: dict[str, Any], record: dict[str, Any], rkey: str | None = RKEY
) -> httpx.Response:
    """Send createRecord for a post record with the session's access token."""
    body: dict[str, Any] = {
        "repo": session["did"],
        "collection": "app.bsky.feed.post",
        "record": {
            "$type": "app.bsky.feed.post",
            "createdAt": "2026-11-29T09:00:00.000Z",
            **record,
        },
    }
    if rkey is not None:
        body["rkey"] = rkey
    return client.post(
        "/xrpc/com.atproto.repo.createRecord",
        json=body,
        headers={"Authorization": f"Bearer {session['accessJwt']}"},
    )
