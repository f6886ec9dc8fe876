"""``--json`` on commands that act rather than list: ``tidings token revoke`` and ``tidings run
--drain`` print one JSON object on stdout, and nothing else."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

import pytest

from drafts.times import utcnow
from scheduler.sandbox import RunningSandbox
from tests.integration.command_line import approved_draft, as_json, run, use_folder
from tidings.cli.sandbox_config import SAMPLE_TOKEN, TOKEN_VARIABLE


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox) -> Path:
    """Channels on the sandbox; mina (author) and joon (reviewer); draft 1 approved."""
    use_folder(tmp_path, monkeypatch, config=None)
    run(["init", "--sandbox-url", sandbox.base_url])
    monkeypatch.setenv(TOKEN_VARIABLE, SAMPLE_TOKEN)
    monkeypatch.setenv("TIDINGS_SECRET_KEY", secrets.token_urlsafe(32))
    approved_draft(tmp_path)
    return tmp_path


@pytest.mark.usefixtures("workdir")
def test_token_revoke_prints_what_it_revoked(capsys: pytest.CaptureFixture[str]) -> None:
    run(["token", "create", "job-board", "--as", "mina"])

    revoked = as_json(["token", "revoke", "job-board", "--as", "mina"], capsys)

    assert revoked == {"user": "mina", "name": "job-board", "revoked": True}
    assert as_json(["token", "list", "--as", "mina"], capsys) == []


@pytest.mark.usefixtures("workdir")
def test_a_drain_prints_its_attempts_and_what_comes_next(
    capsys: pytest.CaptureFixture[str], sandbox: RunningSandbox
) -> None:
    nothing = as_json(["run", "--drain"], capsys)
    assert isinstance(nothing, dict) and nothing["worker"]
    assert {k: v for k, v in nothing.items() if k != "worker"} == {
        "attempts": {},
        "next_due_at": None,
        "waiting_parts": 0,
    }

    run(["schedule", "1", "--at", "now", "--as", "mina"])
    drained = as_json(["run", "--drain"], capsys)
    assert isinstance(drained, dict)
    assert drained["attempts"] == {"published": 2}  # linkedin, in English and in Korean
    assert (drained["next_due_at"], drained["waiting_parts"]) == (None, 0)
    assert len(sandbox.state.posts()) == 2

    run(["draft", "add", "good.toml", "--as", "mina"])
    run(["submit", "2", "--as", "mina"])
    run(["approve", "2", "--as", "joon"])
    run(["schedule", "2", "--at", "+1h", "--as", "mina"])
    later = as_json(["run", "--drain"], capsys)
    assert isinstance(later, dict) and later["attempts"] == {}
    assert datetime.fromisoformat(str(later["next_due_at"])) > utcnow()
