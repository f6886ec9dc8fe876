"""``--json`` on commands that act rather than list: ``tidings token revoke`` and ``tidings run
--drain`` print one JSON object on stdout, and nothing else."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from pathlib import Path

import pytest

from drafts.times import utcnow
from scheduler.sandbox import RunningSandbox
from tests.integration.command_line import GOOD, run, use_folder
from tidings.cli.sandbox_config import SAMPLE_TOKEN, TOKEN_VARIABLE


def printed_json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    capsys.readouterr()
    run([*args, "--json"])
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox) -> Path:
    """Channels on the sandbox; mina (author) and joon (reviewer); draft 1 approved."""
    use_folder(tmp_path, monkeypatch, config=None)
    run(["init", "--sandbox-url", sandbox.base_url])
    monkeypatch.setenv(TOKEN_VARIABLE, SAMPLE_TOKEN)
    monkeypatch.setenv("TIDINGS_SECRET_KEY", secrets.token_urlsafe(32))
    run(["user", "add", "mina", "--role", "author"])
    run(["user", "add", "joon", "--role", "reviewer"])
    (tmp_path / "good.toml").write_text(GOOD, encoding="utf-8")
    run(["draft", "add", "good.toml", "--as", "mina"])
    run(["submit", "1", "--as", "mina"])
    run(["approve", "1", "--as", "joon"])
    return tmp_path


@pytest.mark.usefixtures("workdir")
def test_token_revoke_prints_what_it_revoked(capsys: pytest.CaptureFixture[str]) -> None:
    run(["token", "create", "job-board", "--as", "mina"])

    revoked = printed_json(capsys, "token", "revoke", "job-board", "--as", "mina")

    assert revoked == {"user": "mina", "name": "job-board", "revoked": True}
    assert printed_json(capsys, "token", "list", "--as", "mina") == []


@pytest.mark.usefixtures("workdir")
def test_a_drain_prints_its_attempts_and_what_comes_next(
    capsys: pytest.CaptureFixture[str], sandbox: RunningSandbox
) -> None:
    nothing = printed_json(capsys, "run", "--drain")
    assert isinstance(nothing, dict) and nothing["worker"]
    assert {k: v for k, v in nothing.items() if k != "worker"} == {
        "attempts": {},
        "next_due_at": None,
        "waiting_parts": 0,
    }

    run(["schedule", "1", "--at", "now", "--as", "mina"])
    drained = printed_json(capsys, "run", "--drain")
    assert isinstance(drained, dict)
    assert drained["attempts"] == {"published": 2}  # linkedin, in English and in Korean
    assert (drained["next_due_at"], drained["waiting_parts"]) == (None, 0)
    assert len(sandbox.state.posts()) == 2

    run(["draft", "add", "good.toml", "--as", "mina"])
    run(["submit", "2", "--as", "mina"])
    run(["approve", "2", "--as", "joon"])
    run(["schedule", "2", "--at", "+1h", "--as", "mina"])
    later = printed_json(capsys, "run", "--drain")
    assert isinstance(later, dict) and later["attempts"] == {}
    assert datetime.fromisoformat(str(later["next_due_at"])) > utcnow()
