"""How ``tidings run`` and ``tidings web`` write their log on stderr (``--log-format``).

``plain``, the default, is for a person at a terminal: each attempt as the line it has always
been, and warnings and errors as their message. ``json`` is for a log collector: one JSON
object a line with ``time`` (ISO 8601, UTC), ``level``, ``logger`` and ``event`` (the message,
or the name a structured record gives itself, such as ``attempt``), then ``post``, ``channel``,
``attempt`` and ``worker`` when the record carries them (``extra=``; a daemon stamps its worker
on every record) and a structured record's other facts. Every text is scrubbed of the secrets
this process has read, and control characters are escaped, as on the terminal.

What a command says about itself while it starts (a setting it ignores, a problem that stops
it) goes the same way: ``warning`` and ``errors_logged`` write the terminal's ``warning:`` and
``error:`` lines in plain, and a record of their level in JSON, so a log collector never meets a
line it cannot parse.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum

from drafts.errors import TidingsError
from scheduler.credentials import scrub
from tidings.cli.console import InertLogFormatter, inert_json, warn

log = logging.getLogger("tidings.cli")

# What a record may carry about the work it is about, in this order on a JSON line.
CONTEXT = ("post", "channel", "attempt", "worker")


class LogFormat(StrEnum):
    PLAIN = "plain"
    JSON = "json"


class JsonLines(logging.Formatter):
    """One JSON object a line; see the module's docstring for its keys."""

    def format(self, record: logging.LogRecord) -> str:
        event = getattr(record, "event", None) or record.getMessage()
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": scrub(str(event)),
        }
        for key in CONTEXT:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        details = getattr(record, "details", None)
        if isinstance(details, Mapping):
            for key, value in details.items():
                line.setdefault(str(key), scrub(value) if isinstance(value, str) else value)
        if record.exc_info:
            line["error"] = scrub(self.formatException(record.exc_info))
        return inert_json(json.dumps(line, ensure_ascii=False, default=str))


class StampWorker(logging.Filter):
    """Names the daemon on every record that does not name a worker itself."""

    def __init__(self, worker: str) -> None:
        super().__init__()
        self.worker = worker

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "worker", None) is None:
            record.worker = self.worker
        return True


def log_to_stderr(log_format: LogFormat) -> logging.Handler:
    """Send the process's log to stderr in ``log_format``; the handler, for a daemon to stamp.

    Plain writes the attempts (``tidings.attempts``) and leaves warnings and errors to
    Python's last-resort handler, as before. JSON takes everything at warning and above, and
    Tidings' own records from info up (never a library's info lines: httpx's name every URL).
    """
    handler = logging.StreamHandler(sys.stderr)
    if log_format is LogFormat.PLAIN:
        handler.setFormatter(InertLogFormatter("%(message)s"))
        attempts = logging.getLogger("tidings.attempts")
        attempts.addHandler(handler)
        attempts.setLevel(logging.INFO)
        attempts.propagate = False
        return handler
    handler.setFormatter(JsonLines())
    logging.getLogger().addHandler(handler)
    logging.getLogger("tidings").setLevel(logging.INFO)
    return handler


def warning(log_format: LogFormat, message: str) -> None:
    """Something that will go wrong later, said as the log is written; nothing stops."""
    if log_format is LogFormat.JSON:
        log.warning(message)
    else:
        warn(message)


@contextmanager
def errors_logged(log_format: LogFormat) -> Iterator[None]:
    """In JSON, a problem that stops the command becomes an error record and exit status 1;
    in plain it is left to the command line, which says it in one line too."""
    if log_format is LogFormat.PLAIN:
        yield
        return
    try:
        yield
    except TidingsError as error:
        log.error(str(error))
        raise SystemExit(1) from None
