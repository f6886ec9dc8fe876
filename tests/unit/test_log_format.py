"""``--log-format json`` lines: one object each, the record's context as keys, the daemon's
worker on every record, and never a secret or a raw control character."""

from __future__ import annotations

import io
import json
import logging
import secrets
from collections.abc import Iterator
from datetime import datetime

import pytest

from scheduler.credentials import remember
from tidings.cli.log_format import JsonLines, StampWorker


@pytest.fixture
def written() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger of its own whose records are written as the daemon's JSON log is."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    handler.addFilter(StampWorker("relay-1:4242"))
    logger = logging.getLogger(f"tidings.test.{secrets.token_hex(4)}")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_record_about_an_attempt_names_it_and_the_worker(
    written: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = written
    logger.warning(
        "post %s: attempt %s: %s",
        12,
        2,
        "held by relay-2:77",
        extra={"post": 12, "channel": "mastodon", "attempt": 2},
    )
    logger.info("round done", extra={"worker": "relay-9:1"})
    first, second = lines(stream)
    assert {k: v for k, v in first.items() if k != "time"} == {
        "level": "warning",
        "logger": logger.name,
        "event": "post 12: attempt 2: held by relay-2:77",
        "post": 12,
        "channel": "mastodon",
        "attempt": 2,
        "worker": "relay-1:4242",
    }
    assert isinstance(first["time"], str)
    assert datetime.fromisoformat(first["time"]).utcoffset() is not None
    assert second["worker"] == "relay-9:1"  # a record's own worker is kept


def test_a_structured_record_gives_its_event_and_facts(
    written: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = written
    details = {"outcome": "retry", "http_status": 503, "event": "not this"}
    logger.info('{"event": "attempt"}', extra={"event": "attempt", "details": details})
    (line,) = lines(stream)
    assert (line["event"], line["outcome"], line["http_status"]) == ("attempt", "retry", 503)


def test_secrets_and_control_characters_never_reach_the_line(
    written: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = written
    secret = secrets.token_urlsafe(24)
    remember(secret)
    try:
        raise RuntimeError(f"refused token {secret}")
    except RuntimeError:
        logger.exception("failed with %s \x1b[2J\x9b", secret, extra={"details": {"why": secret}})
    raw = stream.getvalue()
    assert secret not in raw
    assert "\x1b" not in raw and "\x9b" not in raw
    (line,) = lines(stream)
    assert line["event"] == "failed with [secret] \x1b[2J\x9b"  # escaped on the line, not lost
    assert line["why"] == "[secret]"
    assert isinstance(line["error"], str) and "refused token [secret]" in line["error"]
