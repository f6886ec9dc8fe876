"""Running the sandbox: in a background thread for tests and the demo, or in the foreground.

``with running_sandbox() as sandbox:`` serves on 127.0.0.1 and a free port until the block
ends; ``sandbox.base_url`` is what channels take as ``base_url``, and ``sandbox.state`` is
what the server received. ``serve(host, port)`` is what ``tidings sandbox`` runs.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from drafts.errors import SandboxError
from scheduler.sandbox.app import create_app
from scheduler.sandbox.exchange import ConnectionDropped
from scheduler.sandbox.state import SandboxState, page_path

_STARTUP_TIMEOUT_SECONDS = 10.0


class SandboxStartError(SandboxError):
    """The sandbox server did not come up."""


@dataclass(frozen=True)
class RunningSandbox:
    """A sandbox serving in the background."""

    base_url: str
    state: SandboxState
    host: str
    port: int

    def url(self, path: str) -> str:
        """An absolute URL on the sandbox (``sandbox.url("/api/v1/statuses")``)."""
        return self.base_url + path

    def page_for(self, remote_url: str) -> str:
        """The sandbox's page of the post a platform links at ``remote_url``."""
        return self.url(page_path(remote_url, self.base_url))


class _HideDeliberateDrops(logging.Filter):
    """Keep uvicorn from logging a traceback for a connection the sandbox cut on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


def _quiet_deliberate_drops() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _HideDeliberateDrops) for f in logger.filters):
        logger.addFilter(_HideDeliberateDrops())


def _config(state: SandboxState, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(state),
        host=host,
        port=port,
        # h11 and plain asyncio: the connection-cutting faults rely on their behaviour.
        http="h11",
        loop="asyncio",
        lifespan="off",
        log_level=log_level,
        access_log=False,
        # A slow_after_accept answer may still be sleeping at shutdown; do not wait long.
        timeout_graceful_shutdown=1,
    )


@contextmanager
def running_sandbox(
    state: SandboxState | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[RunningSandbox]:
    """Serve the sandbox in a background thread (port 0: a free one) for the ``with`` block."""
    state = state or SandboxState()
    _quiet_deliberate_drops()
    # proto must say TCP: asyncio only sets TCP_NODELAY on sockets that do, and without it
    # every answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    server = uvicorn.Server(_config(state, host, bound_port, "warning"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="tidings-sandbox", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + _STARTUP_TIMEOUT_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise SandboxStartError(f"the sandbox did not start on {host}:{bound_port}")
            time.sleep(0.005)
        yield RunningSandbox(f"http://{host}:{bound_port}", state, host, bound_port)
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=5)
        sock.close()


def serve(host: str = "127.0.0.1", port: int = 8900, state: SandboxState | None = None) -> None:
    """Serve the sandbox in the foreground until interrupted (``tidings sandbox``)."""
    _quiet_deliberate_drops()
    server = uvicorn.Server(_config(state or SandboxState(), host, port, "info"))
    server.run()
