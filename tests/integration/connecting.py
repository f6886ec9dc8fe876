"""Connecting accounts through the sandbox, as the connect tests do: an OAuth app registered for
a platform, a PKCE pair, the consent page answered as a browser would, the callback's code
exchanged and a credential renewed with a connector, and an origin where nothing listens."""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
from datetime import datetime
from typing import TypeVar

import httpx

from drafts.channels import ChannelBase
from scheduler.connect.base import OAuthClient, OAuthConnector
from scheduler.connections import Grant, Tokens
from scheduler.sandbox import RunningSandbox
from scheduler.sandbox.consent_client import answer_consent, redirected_query
from scheduler.sandbox.oauth import register_oauth_app
from tests.fakes import run_with_client

C = TypeVar("C", bound=ChannelBase)


def registered_client(
    sandbox: RunningSandbox,
    platform: str,
    *,
    redirect_uri: str,
    confidential: bool = True,
    programmatic_refresh: bool = False,
) -> OAuthClient:
    """A new OAuth client of ``platform``, registered with the sandbox for ``redirect_uri``;
    with a secret made now when ``confidential``."""
    client = OAuthClient(
        f"{platform}-{secrets.token_hex(8)}", secrets.token_urlsafe(24) if confidential else ""
    )
    register_oauth_app(
        sandbox.state, platform=platform, client_id=client.id, client_secret=client.secret,
        redirect_uris=[redirect_uri], programmatic_refresh=programmatic_refresh,
    )  # fmt: skip
    return client


def pkce() -> tuple[str, str]:
    """A verifier and its S256 challenge, by RFC 7636 §4.1–4.2 (worked out here, not by the
    code under test)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def consented(
    authorization_url: str, *, decision: str = "allow", grant: list[str] | None = None
) -> dict[str, str]:
    """The query the consent page at ``authorization_url`` redirects back with once Allow or
    Deny is pressed (``code`` and ``state``, or ``error``)."""
    with httpx.Client() as browser:
        answered = answer_consent(browser, authorization_url, decision=decision, grant=grant)
    return redirected_query(answered)


def exchanged(
    connector: OAuthConnector[C],
    channel: C,
    client: OAuthClient,
    code: str,
    *,
    redirect_uri: str,
    verifier: str | None = None,
    now: datetime,
) -> Grant:
    """What ``connector`` makes of the code the callback brought, over loopback."""
    return run_with_client(
        lambda http: connector.exchange(
            http, channel, client, code=code, redirect_uri=redirect_uri, verifier=verifier,
            now=now,
        )
    )  # fmt: skip


def renewed(
    connector: OAuthConnector[C],
    channel: C,
    client: OAuthClient | None,
    *,
    token: str,
    refresh: str | None,
    now: datetime,
) -> Tokens:
    """What ``connector`` renews a connected credential into, over loopback."""
    return run_with_client(
        lambda http: connector.renew(http, channel, client, token=token, refresh=refresh, now=now)
    )


def closed_origin() -> str:
    """A loopback origin where nothing listens: a platform that cannot be reached."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"
