"""Login throttling: after too many failed logins for one name, or from one client address,
within a window, further attempts for that name or address are refused before any password is
checked, until the oldest counted failure leaves the window. A successful login clears the
name's count (not the address's: one right password does not excuse a run of guesses).

Counts live in memory, per process: a restart forgets them, and each ``tidings web`` process
counts on its own. The address is the one uvicorn reports: the connection's, or, when the
connection comes from one of ``[web] trusted_proxies``, the client address that proxy put in
``X-Forwarded-For`` (``tidings web`` has uvicorn believe no one else's). Behind a proxy that is
not trusted, every visitor shares the proxy's address and its count.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

NAME_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = 15 * 60.0  # seconds


class LoginThrottle:
    """Counts failed logins per name and per address over a sliding window.

    An admitted attempt counts as failed at once, until ``succeeded`` says otherwise: attempts
    sent side by side cannot all pass before the first failure is counted. ``clock`` gives
    seconds on a monotonic scale (``time.monotonic``; tests pass their own). Not thread-safe:
    call it from the event loop.
    """

    def __init__(
        self,
        *,
        name_limit: int = NAME_LIMIT,
        address_limit: int = ADDRESS_LIMIT,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = {"name": name_limit, "address": address_limit}
        self.window = window
        self.clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._swept = clock()

    def admit(self, name: str, address: str) -> float:
        """0 if an attempt for ``name`` from ``address`` may be checked now (and it is counted),
        else the seconds until one may (and nothing is counted)."""
        now = self.clock()
        self._sweep(now)
        keys = (("name", name), ("address", address))
        wait = max(self._wait(key, now) for key in keys)
        if wait > 0:
            return wait
        for key in keys:
            self._failures.setdefault(key, deque()).append(now)
        return 0.0

    def succeeded(self, name: str, address: str) -> None:
        """The admitted attempt succeeded: forget the name's failures, uncount the address's."""
        self._failures.pop(("name", name), None)
        failures = self._failures.get(("address", address))
        if failures:
            failures.pop()

    def _wait(self, key: tuple[str, str], now: float) -> float:
        failures = self._failures.get(key)
        if not failures:
            return 0.0
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        limit = self.limits[key[0]]
        if len(failures) < limit:
            return 0.0
        return failures[len(failures) - limit] + self.window - now

    def _sweep(self, now: float) -> None:
        # Names and addresses seen once would otherwise stay for the life of the process.
        if now - self._swept < self.window:
            return
        self._swept = now
        stale = [
            key
            for key, times in self._failures.items()
            if not times or times[-1] <= now - self.window
        ]
        for key in stale:
            del self._failures[key]
