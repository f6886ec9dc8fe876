"""Fault injection: make the sandbox slow, failing, rate-limited or unreliable on demand.

A fault names a platform (or ``None`` for every platform) and optionally a substring of the
request path; it applies to the next ``times`` matching requests (``None``: until cleared),
after letting the first ``after`` of them through (the third part of a thread: ``after=2``).
Kinds:

- ``latency``: wait ``ms`` milliseconds before answering.
- ``status``: answer ``status`` with the platform's own error body (and ``headers``), creating
  nothing; a 429 carries the platform's reset headers for ``reset_in`` seconds from now.
- ``rate_limit``: answer the platform's rate-limit refusal with its reset header for
  ``reset_at`` (or ``reset_in`` seconds from now) to *every* matching request until then.
  A client's first refusal is how it learns the reset; any later request from the same
  client (same credential) before the reset is logged as ``early``.
- ``drop_after_accept``: store the post, then cut the connection mid-response.
- ``slow_after_accept``: store the post, then wait ``seconds`` before answering.
- ``revoked`` / ``expired``: the platform's invalid-token or expired-token error.

Faults are set in-process with ``state.faults.add(...)`` or over HTTP with
``POST /_sandbox/faults`` (the same fields as JSON).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

from drafts.channels import PLATFORMS
from drafts.errors import SandboxError

FaultKind = Literal[
    "latency",
    "status",
    "rate_limit",
    "drop_after_accept",
    "slow_after_accept",
    "revoked",
    "expired",
]
FAULT_KINDS: frozenset[str] = frozenset(get_args(FaultKind))
Clock = Callable[[], datetime]

#: Faults decided before the platform handler runs; they create nothing.
BEFORE_KINDS: frozenset[FaultKind] = frozenset({"status", "revoked", "expired"})
#: Faults applied only to a request that stored a new post.
AFTER_ACCEPT_KINDS: frozenset[FaultKind] = frozenset({"drop_after_accept", "slow_after_accept"})


class FaultError(SandboxError):
    """A fault description that cannot be used (unknown kind, bad field)."""


@dataclass
class Fault:
    """One injected misbehaviour; see the module docstring for what each kind does."""

    kind: FaultKind
    platform: str | None = None
    path: str | None = None
    times: int | None = 1
    ms: float = 0.0
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    reset_at: datetime | None = None
    seconds: float = 0.0
    #: X only: ``"day"`` makes a rate limit the 24-hour posting cap instead of the 15-minute window.
    scope: Literal["window", "day"] = "window"
    #: How many matching requests to let through, answered normally, before the fault begins
    #: (``after=1``: the second post of a thread is the first one hit).
    after: int = 0
    id: int = 0
    #: How many requests this fault has answered so far.
    hits: int = 0
    #: rate_limit: when each client (a salted credential digest) was first refused.
    told: dict[str, datetime] = field(default_factory=dict)

    def matches(self, platform: str, path: str) -> bool:
        """Whether this fault concerns a request to ``path`` on ``platform``."""
        if self.platform is not None and self.platform != platform:
            return False
        return self.path is None or self.path in path

    def to_json(self) -> dict[str, Any]:
        """The fault as ``GET /_sandbox/faults`` shows it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "platform": self.platform,
            "path": self.path,
            "times": self.times,
            "ms": self.ms,
            "status": self.status,
            "headers": dict(self.headers),
            "reset_at": self.reset_at.isoformat() if self.reset_at else None,
            "seconds": self.seconds,
            "scope": self.scope,
            "after": self.after,
            "hits": self.hits,
        }


def fault_from_json(data: Mapping[str, Any], *, now: datetime) -> Fault:
    """Build a fault from the JSON accepted by ``POST /_sandbox/faults``; raises FaultError."""
    known = {
        "kind", "platform", "path", "times", "ms", "status", "headers",
        "reset_at", "reset_in", "seconds", "scope", "after",
    }  # fmt: skip
    unknown = sorted(set(data) - known)
    if unknown:
        raise FaultError(f"unknown fault field(s): {', '.join(unknown)}")
    kind = data.get("kind")
    if kind not in FAULT_KINDS:
        raise FaultError(f"kind must be one of {sorted(FAULT_KINDS)}, not {kind!r}")
    reset_at: datetime | None = None
    if data.get("reset_at") is not None:
        try:
            reset_at = datetime.fromisoformat(str(data["reset_at"]))
        except ValueError as exc:
            raise FaultError(f"reset_at is not an ISO 8601 time: {data['reset_at']!r}") from exc
        if reset_at.tzinfo is None:
            raise FaultError("reset_at needs a UTC offset")
    elif data.get("reset_in") is not None:
        reset_at = now + timedelta(seconds=_number(data, "reset_in"))
    headers = data.get("headers") or {}
    if not isinstance(headers, dict):
        raise FaultError("headers must be an object of strings")
    times = data.get("times", 1)
    if times is not None and (not isinstance(times, int) or times < 1):
        raise FaultError("times must be a positive integer or null (until cleared)")
    scope = data.get("scope", "window")
    if scope not in ("window", "day"):
        raise FaultError("scope must be 'window' or 'day'")
    after = data.get("after", 0)
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise FaultError("after must be a whole number of requests, 0 or more")
    fault = Fault(
        kind=kind,
        platform=_optional_str(data, "platform"),
        path=_optional_str(data, "path"),
        times=times,
        ms=_number(data, "ms") if "ms" in data else 0.0,
        status=int(_number(data, "status")) if "status" in data else 503,
        headers={str(k): str(v) for k, v in headers.items()},
        reset_at=reset_at,
        seconds=_number(data, "seconds") if "seconds" in data else 0.0,
        scope=scope,
        after=after,
    )
    check_fault(fault)
    return fault


def check_fault(fault: Fault) -> None:
    """Raise FaultError if the fault could never apply as meant."""
    if fault.kind not in FAULT_KINDS:
        raise FaultError(f"kind must be one of {sorted(FAULT_KINDS)}, not {fault.kind!r}")
    if fault.platform is not None and fault.platform not in PLATFORMS:
        raise FaultError(f"platform must be one of {', '.join(PLATFORMS)}, or None")
    if fault.times is not None and fault.times < 1:
        raise FaultError("times must be at least 1, or None (until cleared)")


def _number(data: Mapping[str, Any], key: str) -> float:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultError(f"{key} must be a number")
    return float(value)


def _optional_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise FaultError(f"{key} must be a string")
    return value


class FaultBook:
    """The thread-safe set of active faults; handlers consume them, tests add them."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next_id = 1
        self._clock: Clock = clock or (lambda: datetime.now(UTC))

    def add(
        self,
        kind: FaultKind | Fault,
        platform: str | None = None,
        *,
        path: str | None = None,
        times: int | None = 1,
        ms: float = 0.0,
        status: int = 503,
        headers: Mapping[str, str] | None = None,
        reset_in: float | None = None,
        reset_at: datetime | None = None,
        seconds: float = 0.0,
        scope: Literal["window", "day"] = "window",
        after: int = 0,
    ) -> Fault:
        """Register a fault and return it.

        ``state.faults.add("status", "mastodon", status=503, times=2)``;
        ``state.faults.add("rate_limit", "x", reset_in=1.5)``.
        """
        if isinstance(kind, Fault):
            fault = kind
        else:
            if reset_at is None and reset_in is not None:
                reset_at = self._clock() + timedelta(seconds=reset_in)
            fault = Fault(
                kind=kind,
                platform=platform,
                path=path,
                times=times,
                ms=ms,
                status=status,
                headers=dict(headers or {}),
                reset_at=reset_at,
                seconds=seconds,
                scope=scope,
                after=after,
            )
        check_fault(fault)
        if fault.kind == "rate_limit":
            # A rate limit lasts until its reset, however many requests it refuses.
            fault.times = None
            if fault.reset_at is None:
                fault.reset_at = self._clock() + timedelta(seconds=1)
        with self._lock:
            fault.id = self._next_id
            self._next_id += 1
            self._faults.append(fault)
        return fault

    def take(self, kinds: frozenset[FaultKind], platform: str, path: str) -> Fault | None:
        """Consume one use of the first active fault of one of ``kinds`` matching the request."""
        with self._lock:
            for fault in self._faults:
                if fault.kind in kinds and fault.matches(platform, path):
                    if fault.after > 0:  # still letting requests through
                        fault.after -= 1
                        continue
                    fault.hits += 1
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def active_rate_limit(
        self, platform: str, path: str, now: datetime, client: str
    ) -> tuple[Fault, bool] | None:
        """The rate limit refusing this request now, if any, and whether ``client`` is early.

        A client is early when this limit already refused it once: it was told the reset
        and came back before it. Limits past their reset are dropped.
        """
        with self._lock:
            self._faults = [
                f
                for f in self._faults
                if f.kind != "rate_limit" or (f.reset_at is not None and f.reset_at > now)
            ]
            for fault in self._faults:
                if fault.kind == "rate_limit" and fault.matches(platform, path):
                    fault.hits += 1
                    early = client in fault.told
                    fault.told.setdefault(client, now)
                    return fault, early
        return None

    def active(self) -> list[Fault]:
        """The faults still waiting to apply."""
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()
