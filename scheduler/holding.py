"""The daemon's heartbeat in the process: reporting in, and sending only for posts it holds.

Every ``heartbeat_seconds`` the daemon reports in and renews the leases of the posts it is
sending (``scheduler.heartbeat``). A daemon paused past its heartbeats (SIGSTOP, a frozen VM,
a stalled disk) may wake to find that another daemon took its posts over, so the HTTP client
asks ``Heartbeat.before_request`` before every request an attempt sends: when the last beat is
too old to vouch for the lease, it beats again first, and a request for a post another daemon
holds now is not sent (``LeaseLost``). After each answer, the recording checks again
(``scheduler.recording``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol, TypeVar

import httpx
from sqlmodel import Session

from drafts.errors import StorageUnavailable
from scheduler.heartbeat import Worker, beat, leave
from scheduler.storage_outage import StorageOutage

T = TypeVar("T")


class InTransaction(Protocol):
    """Runs ``work`` in a transaction of the daemon's, on its database thread."""

    def __call__(self, work: Callable[[Session], T], /) -> Awaitable[T]: ...


# The post whose attempt the current task runs, for the client's request hook.
sending_for: ContextVar[int | None] = ContextVar("sending_for", default=None)


class LeaseLost(Exception):
    """Raised instead of sending a request for a post this daemon no longer holds; the daemon
    notes it on the attempt and never shows it as an error of its own."""


class Heartbeat:
    """Reports ``worker`` in every ``every`` seconds, renewing the leases of the posts in
    flight for ``every`` × ``missed_beats``, and vouches for those leases before requests."""

    def __init__(
        self,
        *,
        worker: Worker,
        every: float,
        missed_beats: int,
        db: InTransaction,
        in_flight: Callable[[], Collection[int]],
        now: Callable[[], datetime],
        outage: StorageOutage,
        wake: Callable[[], None],
    ) -> None:
        self.worker = worker
        self.every = every
        self.lease = timedelta(seconds=every * missed_beats)
        # A beat this recent leaves the posts it renewed at least one more beat of lease.
        self._trusted_for = every * (missed_beats - 1)
        self._db, self._in_flight, self._now = db, in_flight, now
        self._outage, self._wake = outage, wake
        self._last_beat: float | None = None  # time.monotonic() when the last good beat began
        self._lost: dict[int, str] = {}  # post id: what to note on its attempt
        self._beating = asyncio.Lock()
        self.ended: frozenset[str] = frozenset()  # daemons on this host whose processes ended

    async def keep_beating(self) -> None:
        """Beat every ``every`` seconds until cancelled; a refused beat is tried at the next."""
        while True:
            await asyncio.sleep(self.every)
            try:
                await self.beat()
            except StorageUnavailable as error:
                self._outage.failed(error)

    async def beat(self) -> None:
        """Report in now, unless a beat that began after this call was made did so meanwhile."""
        asked = time.monotonic()
        async with self._beating:
            if self._last_beat is not None and self._last_beat >= asked:
                return
            began = time.monotonic()
            found = await self._db(
                partial(
                    beat,
                    worker=self.worker,
                    post_ids=list(self._in_flight()),
                    now=self._now(),
                    lease=self.lease,
                )
            )
            silent = began - (self._last_beat or began)
            self._last_beat = began
            for post_id, where in found.lost.items():
                self._lost.setdefault(
                    post_id,
                    f"{self.worker.name} resumed after {silent:.0f} s without a heartbeat, "
                    f"found the post taken over ({where}), and sent nothing more",
                )
            if found.ended - self.ended:
                self._wake()  # a neighbour's posts can be taken over now
            self.ended = found.ended

    async def leave(self) -> None:
        """A clean stop: the daemon's row goes, as it holds nothing any more."""
        await self._db(partial(leave, worker=self.worker, now=self._now()))

    async def before_request(self, request: httpx.Request) -> None:
        """The client's request hook: ``LeaseLost`` instead of a request for a post another
        daemon holds now. A request outside an attempt (``sending_for`` unset) goes as it is."""
        post_id = sending_for.get()
        if post_id is None:
            return
        waited = 0.0
        while self._stale():
            try:
                await self.beat()
            except StorageUnavailable as error:
                wait = self._outage.failed(error)
                waited += wait
                if waited > self.lease.total_seconds():  # another daemon may hold it by now
                    raise LeaseLost(
                        f"{self.worker.name} could not confirm with the database that it "
                        "still held the post, and sent nothing more"
                    ) from None
                await asyncio.sleep(wait)
        if post_id in self._lost:
            raise LeaseLost(self._lost[post_id])

    def done(self, post_id: int) -> None:
        """The attempt at ``post_id`` ended: nothing more to vouch for."""
        self._lost.pop(post_id, None)

    def _stale(self) -> bool:
        last = self._last_beat
        return last is None or time.monotonic() - last > self._trusted_for
