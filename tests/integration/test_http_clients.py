"""The daemon's HTTP clients (``scheduler.http_clients``): each channel sends over a client of
its own, which opens no more connections than the channel may have requests at once and keeps
them open; every client carries the daemon's request hooks; a client given to the daemon serves
every channel and is left open. Over real HTTP to a server on loopback that counts connections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx

from drafts.channels import WebhookChannel
from scheduler.http_clients import ChannelClients

TIMEOUT = httpx.Timeout(5.0)


class CountingServer:
    """Answers every request after a short wait; counts the connections opened, and the most
    open at once."""

    def __init__(self) -> None:
        self.opened = 0
        self.open = 0
        self.most_open = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.opened += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                await asyncio.sleep(0.02)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open -= 1
            writer.close()


@asynccontextmanager
async def serving() -> AsyncIterator[tuple[CountingServer, str]]:
    counting = CountingServer()
    listening = await asyncio.start_server(counting.handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    async with listening:
        yield counting, f"http://127.0.0.1:{port}/"


def against_server(body: Callable[[CountingServer, str], Awaitable[None]]) -> None:
    async def run() -> None:
        async with serving() as (counting, url):
            await body(counting, url)

    asyncio.run(run())


def channel(channel_id: str, max_in_flight: int) -> WebhookChannel:
    return WebhookChannel(
        id=channel_id,
        platform="webhook",
        languages=["en"],
        url="https://hooks.example.org/tidings",
        max_in_flight=max_in_flight,
    )


def test_a_channel_opens_no_more_connections_than_its_requests_at_once_and_keeps_them() -> None:
    against_server(_channel_clients)


async def _channel_clients(counting: CountingServer, url: str) -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    clients = ChannelClients(
        [channel("slow", 2), channel("wide", 50)], timeout=TIMEOUT, concurrency=8, hooks=[hook]
    )
    slow = clients.of("slow")
    assert clients.of("slow") is slow
    assert clients.of("wide") is not slow
    assert clients.shared not in (slow, clients.of("wide"))

    for _ in range(2):  # a second round reuses the connections the first opened
        await asyncio.gather(*(slow.get(url) for _ in range(6)))
    assert counting.most_open == 2
    assert counting.opened == 2
    assert len(seen) == 12  # the hooks ran before every request

    await asyncio.gather(*(clients.of("wide").get(url) for _ in range(12)))
    # The daemon's concurrency bounds a channel's connections (beside slow's two, kept open).
    assert counting.most_open == 2 + 8

    await clients.aclose()
    assert slow.is_closed and clients.shared.is_closed


def test_a_given_client_serves_every_channel_and_stays_open() -> None:
    against_server(_given_client)


async def _given_client(_: CountingServer, url: str) -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.method)

    async with httpx.AsyncClient(timeout=TIMEOUT) as given:
        clients = ChannelClients(
            [channel("a", 2), channel("b", 2)],
            timeout=TIMEOUT,
            concurrency=4,
            hooks=[hook],
            given=given,
        )
        assert clients.of("a") is given and clients.of("b") is given and clients.shared is given
        await given.get(url)
        assert seen == ["GET"]
        await clients.aclose()
        assert not given.is_closed
