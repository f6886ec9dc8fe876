"""The daemon's HTTP clients: one for each channel's posts, made when the channel first sends,
and one for the rest (token renewals, news feeds).

With one client for every request, a busy daemon spent most of its processor time in the
client's connection pool, not in HTTP: each time a request starts or ends, httpx's pool
(httpcore) looks at each of its connections, counts all of them again for each idle one, and
asks the system whether each idle socket is still readable, so its cost grows with the square
of the connections it holds. At 32 requests at once over one pool that was some 2 ms of each
post's 2.9 ms (``bench/dispatch.py``: the same loop sent 350 posts a second over one client,
1,310 over a client for each of its 8 channels). A channel's client holds at most the
channel's own requests at once (its ``max_in_flight``, within the daemon's concurrency), and
a platform that stops answering ties up only its own channels' connections.

Every client carries the same request hooks (``hooks``: the heartbeat's check that the post
is still this daemon's before each request) and the same TLS settings, made once: made by
each client, they read the certificate authorities anew, 17 ms of the event loop at each
channel's first post. A client given to the daemon (tests) serves every channel as it is.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import httpx

from drafts.channels import ChannelBase

RequestHook = Callable[[httpx.Request], Awaitable[None]]


@dataclass
class ChannelClients:
    """The clients of one daemon's run; ``aclose`` closes those it made."""

    channels: Iterable[ChannelBase]
    timeout: httpx.Timeout
    concurrency: int
    hooks: list[RequestHook]
    given: httpx.AsyncClient | None = None
    _limits: dict[str, int] = field(init=False)
    _made: dict[str, httpx.AsyncClient] = field(init=False, default_factory=dict)
    _tls: ssl.SSLContext = field(init=False)
    shared: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self._limits = {
            channel.id: min(channel.max_in_flight, self.concurrency) for channel in self.channels
        }
        if self.given is not None:
            self.shared = self.given
            self._hooked(self.given)
        else:
            self._tls = httpx.create_ssl_context()  # as each client would make its own
            self.shared = self._client(self.concurrency)

    def of(self, channel: str) -> httpx.AsyncClient:
        """The client that sends ``channel``'s posts."""
        if self.given is not None:
            return self.given
        client = self._made.get(channel)
        if client is None:
            client = self._made[channel] = self._client(self._limits.get(channel, 1))
        return client

    async def aclose(self) -> None:
        if self.given is not None:
            return
        for client in [self.shared, *self._made.values()]:
            await client.aclose()

    def _client(self, connections: int) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            verify=self._tls,
            timeout=self.timeout,
            # As many kept open as may be used at once: above the pool's default (20) it
            # closed a connection each time one fell idle, and opened another for the next.
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )
        self._hooked(client)
        return client

    def _hooked(self, client: httpx.AsyncClient) -> None:
        hooks = client.event_hooks
        client.event_hooks = {**hooks, "request": [*hooks["request"], *self.hooks]}
