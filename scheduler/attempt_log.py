"""One structured log line per attempt (JSON on the ``tidings.attempts`` logger).

Only ids, outcomes, statuses and the scrubbed reason: never text bodies or secrets.
"""

from __future__ import annotations

import json
import logging

from scheduler.attempt_data import Result

log = logging.getLogger("tidings.attempts")


def log_attempt(result: Result, worker: str) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    claim, decision = result.claim, result.decision
    line = {
        "event": "attempt",
        "post_id": claim.post_id,
        "channel": claim.channel,
        "platform": claim.platform,
        "number": claim.number,
        "outcome": str(decision.attempt_outcome),
        "status": str(decision.status),
        "http_status": result.http_status,
        "duration_ms": result.duration_ms,
        "retry_at": decision.retry_at.isoformat() if decision.retry_at else None,
        "remote_id": result.remote_id,
        "worker": worker,
        "reason": decision.reason,
    }
    log.info(json.dumps(line, ensure_ascii=False))
