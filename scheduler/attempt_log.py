"""One structured log line per attempt (JSON on the ``tidings.attempts`` logger).

Only ids, outcomes, statuses and the scrubbed reason: never text bodies or secrets. The record
also carries its facts as ``extra=`` (``attempt_context`` and ``details``), which
``--log-format json`` writes as keys of its own line instead of this one.
"""

from __future__ import annotations

import json
import logging

from scheduler.attempt_data import Claim, Result

log = logging.getLogger("tidings.attempts")


def attempt_context(claim: Claim) -> dict[str, object]:
    """What a log record about ``claim`` carries (``extra=``): its post, channel and attempt."""
    return {"post": claim.post_id, "channel": claim.channel, "attempt": claim.number}


def log_attempt(result: Result, worker: str) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    claim, decision = result.claim, result.decision
    details = {
        "platform": claim.platform,
        "part": claim.part,  # of its chain: a thread's part, or parts + 1 for the first comment
        "parts": claim.parts,
        "outcome": str(decision.attempt_outcome),
        "status": str(decision.status),
        "http_status": result.http_status,
        "duration_ms": result.duration_ms,
        "retry_at": decision.retry_at.isoformat() if decision.retry_at else None,
        "remote_id": result.remote_id,
        "reason": decision.reason,
    }
    line = {
        "event": "attempt",
        "post_id": claim.post_id,
        "channel": claim.channel,
        "number": claim.number,
        **details,
        "worker": worker,
    }
    log.info(
        json.dumps(line, ensure_ascii=False),
        extra={**attempt_context(claim), "worker": worker, "event": "attempt", "details": details},
    )
