"""The daemon as a process: SIGTERM finishes in-flight requests; `tidings log` shows every
attempt; no secret reaches the log lines, the attempts or the audit log."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from scheduler.sandbox.server import RunningSandbox
from tests.e2e.daemons import start_daemon, wait_until, write_config
from tests.integration.publishing import queue_posts, sandbox_config

SECRETS = ("TIDINGS_T_MASTODON", "TIDINGS_T_MASTODON_B", "TIDINGS_T_HOOK")


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    from tests.conftest import sqlite_database

    database = sqlite_database(sqlite_template, tmp_path)
    yield database
    database.dispose()


def test_sigterm_finishes_in_flight_requests_and_records_them(
    sqlite_db: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    config = sandbox_config(sandbox.base_url, monkeypatch)
    queue_posts(sqlite_db, config, library, channels=["mastodon"], count=3)
    sandbox.state.faults.add("latency", "mastodon", ms=1500, times=None)
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    path = write_config(config, tmp_path, url)
    daemon = start_daemon(path)
    wait_until(lambda: len(sandbox.state.requests("mastodon")) == 3, 20, "three requests in flight")
    daemon.send_signal(signal.SIGTERM)
    out, errors = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, errors
    assert "Stopped. Attempts: 3 published." in out
    with sqlite3.connect(tmp_path / "tidings.db") as db:
        statuses = db.execute("SELECT status, lease_owner FROM post").fetchall()
        outcomes = db.execute("SELECT outcome FROM attempt").fetchall()
    assert statuses == [("published", None)] * 3
    assert outcomes == [("published",)] * 3


def test_log_shows_attempts_and_no_secret_appears_anywhere(
    sqlite_db: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    config = sandbox_config(sandbox.base_url, monkeypatch)
    queue_posts(sqlite_db, config, library, channels=["mastodon", "team-chat"], count=2)
    sandbox.state.faults.add("status", "mastodon", status=503, times=1)
    sandbox.state.faults.add("revoked", "webhook", times=1)
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    path = write_config(config, tmp_path, url)
    daemon = start_daemon(path, "--drain")
    out, log_lines = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, log_lines

    lines = [json.loads(line) for line in log_lines.splitlines() if line.startswith("{")]
    assert {line["outcome"] for line in lines} >= {"published", "retry", "failed"}
    assert all(line["event"] == "attempt" and line["worker"] for line in lines)

    shown = subprocess.run(
        [sys.executable, "-m", "tidings", "log", "--json", "--config", str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ),
    )
    attempts = json.loads(shown.stdout)
    assert len(attempts) == len(lines)
    assert {
        "post_id",
        "number",
        "outcome",
        "http_status",
        "error",
        "started_at",
        "finished_at",
        "worker",
    } <= set(attempts[0])
    assert attempts == sorted(attempts, key=lambda a: (a["started_at"], a["id"]), reverse=True)
    table = subprocess.run(
        [sys.executable, "-m", "tidings", "log", "--config", str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ) | {"COLUMNS": "200"},
    ).stdout

    with sqlite3.connect(tmp_path / "tidings.db") as db:
        stored = "\n".join(
            str(row)
            for table_name in ("attempt", "audit_log", "post", "credential", "channel_state")
            for row in db.execute(f"SELECT * FROM {table_name}")
        )
    everything = "\n".join([out, log_lines, shown.stdout, table, stored])
    for name in SECRETS:
        assert os.environ[name] not in everything
