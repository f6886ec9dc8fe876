"""Noticing that another process changed the queue, so the daemon's clock is re-armed.

SQLite: ``PRAGMA data_version`` on a connection of our own changes whenever any other
connection commits; polling it costs microseconds. PostgreSQL: ``LISTEN`` for the
notification that scheduling sends on commit.
"""

from __future__ import annotations

import asyncio
import sqlite3

import psycopg
from sqlalchemy.engine import make_url

from drafts.storage import QUEUE_CHANNEL, Database


async def watch_queue(database: Database, wake: asyncio.Event, interval: float) -> None:
    """Set ``wake`` whenever another process commits a change; runs until cancelled."""
    if database.is_sqlite:
        await _watch_sqlite(database, wake, interval)
    else:
        await _watch_postgres(database, wake, interval)


async def _watch_sqlite(database: Database, wake: asyncio.Event, interval: float) -> None:
    path = make_url(database.url).database
    if not path or path == ":memory:":
        return
    connection = sqlite3.connect(path)
    try:
        last = connection.execute("PRAGMA data_version").fetchone()[0]
        while True:
            await asyncio.sleep(interval)
            version = connection.execute("PRAGMA data_version").fetchone()[0]
            if version != last:
                last = version
                wake.set()
    finally:
        connection.close()


async def _watch_postgres(database: Database, wake: asyncio.Event, interval: float) -> None:
    url = make_url(database.url).set(drivername="postgresql")
    conninfo = url.render_as_string(hide_password=False)
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                await conn.execute(f"LISTEN {QUEUE_CHANNEL}")
                wake.set()  # anything scheduled while we were not listening
                async for _ in conn.notifies():
                    wake.set()
        except psycopg.OperationalError:
            await asyncio.sleep(max(interval, 1.0))  # the sweep covers us until we reconnect
