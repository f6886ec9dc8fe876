"""``--log-format json`` as real processes: ``tidings run --drain`` and ``tidings web`` write
one JSON object a line on stderr (time in UTC, level, event, and the post, channel, attempt and
worker an attempt's line names); a format it does not know is one line and exit status 1;
``tidings run --metrics-port`` serves the daemon's own /metrics while it runs."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from scheduler.sandbox.server import RunningSandbox
from tests.e2e.daemons import start_daemon, wait_until, write_config
from tests.integration.publishing import queue_posts, sandbox_config
from tidings.web.session_key import WEB_SECRET_VARIABLE

# The processes are the subject here; the storage is covered on both backends elsewhere.
SQLITE_ONLY = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def json_lines(stderr: str) -> list[dict[str, object]]:
    """Every line of ``stderr``, each of which must be one JSON object."""
    lines = [json.loads(line) for line in stderr.splitlines()]
    assert all(isinstance(line, dict) for line in lines)
    return lines


def in_utc(stamp: object) -> datetime:
    assert isinstance(stamp, str)
    when = datetime.fromisoformat(stamp)
    assert when.utcoffset() is not None and when.utcoffset() == UTC.utcoffset(when)
    return when


@SQLITE_ONLY
def test_a_json_drain_writes_one_object_a_line_with_each_attempts_facts(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    config = sandbox_config(sandbox.base_url, monkeypatch)
    post_ids = queue_posts(database, config, library, channels=["mastodon", "team-chat"])
    sandbox.state.faults.add("status", "mastodon", status=503, times=1)
    daemon = start_daemon(
        write_config(config, tmp_path, database.url), "--drain", "--log-format", "json"
    )
    out, errors = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, errors

    lines = json_lines(errors)
    attempts = [line for line in lines if line["event"] == "attempt"]
    assert {(a["post"], a["attempt"], a["outcome"]) for a in attempts} == {
        (post_ids[0], 1, "retry"),
        (post_ids[0], 2, "published"),
        (post_ids[1], 1, "published"),
    }
    worker = f"{socket.gethostname()}:{daemon.pid}"
    for line in attempts:
        assert line["level"] == "info" and line["logger"] == "tidings.attempts"
        assert line["worker"] == worker
        assert line["channel"] in {"mastodon", "team-chat"}
        assert (line["part"], line["parts"]) == (1, 1)  # a plain post: part 1 of its chain
        in_utc(line["time"])
    assert "Stopped. Attempts: 2 published, 1 retry." in out
    for name in ("TIDINGS_T_MASTODON", "TIDINGS_T_MASTODON_B", "TIDINGS_T_HOOK"):
        assert os.environ[name] not in errors


def test_an_unknown_log_format_is_one_line_and_exit_status_1(tmp_path: Path) -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "tidings", "run", "--log-format", "xml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=dict(os.environ),
    )
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert len(refused.stderr.splitlines()) == 1
    assert "'--log-format'" in refused.stderr and "'plain', 'json'" in refused.stderr
    assert list(tmp_path.iterdir()) == []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@SQLITE_ONLY
def test_json_web_logs_and_the_daemons_own_metrics(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    config = sandbox_config(sandbox.base_url, monkeypatch)
    path = write_config(config, tmp_path, database.url)
    metrics_port, web_port = free_port(), free_port()
    daemon = start_daemon(path, "--metrics-port", str(metrics_port))
    env = dict(os.environ) | {WEB_SECRET_VARIABLE: secrets.token_urlsafe(32)}
    command = ["web", "--config", str(path), "--port", str(web_port), "--log-format", "json"]
    web = subprocess.Popen(
        [sys.executable, "-m", "tidings", *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        origin = f"http://127.0.0.1:{web_port}"
        wait_until(lambda: _answers(f"{origin}/readyz", 200), 30, "the web app to be ready")
        metrics = f"http://127.0.0.1:{metrics_port}/metrics"
        wait_until(lambda: _answers(metrics, 200), 30, "the daemon's metrics")
        families = {f.name for f in text_string_to_metric_families(httpx.get(metrics).text)}
        assert {"tidings_posts", "tidings_attempts", "process_cpu_seconds"} <= families
    finally:
        for process in (web, daemon):
            process.send_signal(signal.SIGTERM)
        _, web_errors = web.communicate(timeout=30)
        daemon.communicate(timeout=30)
    lines = json_lines(web_errors)
    assert any(re.search(r'"GET /readyz HTTP/1\.1" 200', str(line["event"])) for line in lines)
    assert all(line["level"] in {"info", "warning"} for line in lines)
    assert {line["logger"] for line in lines} >= {"uvicorn.error", "uvicorn.access"}


def _answers(url: str, status: int) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == status
    except httpx.TransportError:
        return False


STARTING = """[tidings]
timezone = "UTC"
database = "{url}"
[scheduler]
lease_seconds = 30
[notifications]
smtp_url = "smtp://tidings@127.0.0.1:2525"
smtp_password_env = "TIDINGS_T_NO_SMTP_PASSWORD"
chat_webhook_env = "TIDINGS_T_NO_CHAT_HOOK"
"""
SMTP_UNSET = (
    "notifications.smtp_url logs in as tidings, but TIDINGS_T_NO_SMTP_PASSWORD is not set: "
    "no e-mail can be sent"
)
CHAT_UNSET = (
    "notifications.chat_webhook_env names TIDINGS_T_NO_CHAT_HOOK, which is not set: "
    "no chat message can be sent"
)


def run_starting(folder: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``tidings run --drain ARGS`` with a retired setting and notifications lacking their
    secrets in the environment."""
    path = folder / "config.toml"
    path.write_text(STARTING.format(url=database_url), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_T_NO_")}
    return subprocess.run(
        [sys.executable, "-m", "tidings", "run", "--config", str(path), "--drain", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@SQLITE_ONLY
def test_start_up_warnings_are_json_lines_in_json_and_plain_lines_in_plain(
    database: Database, tmp_path: Path
) -> None:
    started = run_starting(tmp_path, database.url, "--log-format", "json")
    assert started.returncode == 0, started.stderr
    warnings = [line for line in json_lines(started.stderr) if line["level"] == "warning"]
    events = [str(line["event"]) for line in warnings]
    assert "[scheduler] lease_seconds is no longer used (remove it)" in events[0]
    assert events[1:] == [SMTP_UNSET, CHAT_UNSET]
    for line in warnings:
        in_utc(line["time"])

    plain = run_starting(tmp_path, database.url)
    assert plain.returncode == 0, plain.stderr
    lines = plain.stderr.splitlines()
    assert lines[1:] == [f"warning: {SMTP_UNSET}", f"warning: {CHAT_UNSET}"]


def test_a_problem_that_stops_the_daemon_is_a_json_line_in_json(tmp_path: Path) -> None:
    (tmp_path / "empty.db").touch()
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    stopped = run_starting(tmp_path, empty, "--log-format", "json")
    assert stopped.returncode == 1
    *warnings, error = json_lines(stopped.stderr)
    assert [line["level"] for line in warnings] == ["warning"] * 3
    assert (
        error["level"] == "error"
        and error["event"] == f"database {empty} is empty: run `tidings init`"
    )

    plain = run_starting(tmp_path, empty)
    assert plain.returncode == 1
    assert plain.stderr.splitlines()[-1] == f"error: database {empty} is empty: run `tidings init`"
