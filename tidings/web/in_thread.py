"""Serving a Starlette app from a thread of this process, on a free loopback port: the demo
serves ``tidings web``'s media links this way for the sandbox's Threads to fetch, and tests
serve the whole app."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette


@contextmanager
def serving(app: Starlette, **options: Any) -> Iterator[str]:
    """``app`` behind uvicorn (given ``options``) on a free loopback port, in a thread of its
    own, for the ``with`` block: the origin to reach it at. uvicorn offers no event to await
    for having started, so its flag is polled, for ten seconds at most."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    settings = {**options, "log_level": "warning", "lifespan": "off", "ws": "none"}
    server = uvicorn.Server(uvicorn.Config(app, **settings))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start serving")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
