"""What connecting an account takes, per platform: a ``Connector``.

OAuth platforms (LinkedIn, X, Facebook, Threads, Mastodon) send the admin to the platform's
consent page (``authorization_url``), and exchange the code that comes back to the callback
for a ``Grant`` (``exchange``): the token, its expiry, the refresh token, the scopes and the
account it posts as. Platforms whose tokens can be renewed say how (``renew``). Bluesky and
Telegram take a secret typed into a form instead (``SecretConnector.verify``).

Every request goes to the channel's ``base_url`` when it has one (the sandbox serves the
consent pages and token endpoints too), else to the platform's own hosts; consent pages and
token endpoints often live on other hosts than the API (PLATFORMS.md §10.3).

A connector raises ``ConnectError`` with one line for a person: what went wrong and what to do,
never quoting a token or a response body that may hold one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Generic, TypeVar

import httpx

from drafts.channels import ChannelBase
from drafts.errors import PlatformError
from scheduler.connections import Grant, Tokens

C = TypeVar("C", bound=ChannelBase)


class ConnectError(PlatformError):
    """A connect or renew step failed. ``retry``: a later try may work (the platform was
    unreachable, rate-limited or answered 5xx); otherwise someone has to reconnect."""

    def __init__(self, message: str, *, retry: bool = False) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class OAuthClient:
    """The app's OAuth client: from ``[oauth.<platform>]``, or registered on a Mastodon
    instance. ``secret`` is empty for a public client."""

    id: str
    secret: str = ""


class Connector(ABC, Generic[C]):
    """Connecting one platform's accounts. ``channel_type`` is the channel model it takes."""

    platform: ClassVar[str]
    channel_type: type[C]

    async def renew(
        self,
        http: httpx.AsyncClient,
        channel: C,
        client: OAuthClient | None,
        *,
        token: str,
        refresh: str | None,
        now: datetime,
    ) -> Tokens:
        """Fresh tokens in place of ``token`` (with ``refresh`` where there is one).
        Platforms whose tokens cannot be renewed keep this refusal."""
        raise ConnectError(f"{self.platform} tokens cannot be renewed: reconnect the account")

    def renewable(self, *, refresh: str | None) -> bool:
        """Whether ``renew`` can work for a credential holding ``refresh``."""
        return False


class OAuthConnector(Connector[C]):
    """A platform connected through OAuth 2.0's authorization code flow."""

    pkce: ClassVar[bool]  # whether the platform takes a PKCE S256 code challenge
    # What Tidings asks for: at least drafts.credential_problems.required_scopes(channel).
    scopes: ClassVar[tuple[str, ...]]
    # Mastodon: the app is registered on each instance first (``register``), not configured.
    registers_app: ClassVar[bool] = False

    @abstractmethod
    def authorization_url(
        self,
        channel: C,
        client: OAuthClient,
        *,
        redirect_uri: str,
        state: str,
        code_challenge: str | None,
    ) -> str:
        """The consent page to send the admin to (``code_challenge`` given when ``pkce``)."""

    @abstractmethod
    async def exchange(
        self,
        http: httpx.AsyncClient,
        channel: C,
        client: OAuthClient,
        *,
        code: str,
        redirect_uri: str,
        verifier: str | None,
        now: datetime,
    ) -> Grant:
        """The credential the authorization ``code`` is worth, and the account it posts as
        (for Facebook, the token of the channel's ``page_id``)."""

    async def register(
        self, http: httpx.AsyncClient, channel: C, *, redirect_uri: str
    ) -> OAuthClient:
        """Register Tidings as an app on the channel's instance (``registers_app``)."""
        raise NotImplementedError(f"{self.platform} apps are configured, not registered")


class SecretConnector(Connector[C]):
    """A platform connected by typing a secret into a form: Bluesky (an app password for the
    channel's handle), Telegram (a bot token, which must be an admin of the channel's chat)."""

    secret_label: ClassVar[str]  # the form field's label, in English ("App password")

    @abstractmethod
    async def verify(
        self, http: httpx.AsyncClient, channel: C, secret: str, *, now: datetime
    ) -> Grant:
        """``secret`` checked with the platform (a session created, ``getMe`` and ``getChat``),
        as the credential to store."""
