"""``tidings channels check`` says, as a problem (exit status 1), a ``[notifications]`` secret
the environment lacks: the mail server's password for the user ``smtp_url`` logs in as, and the
chat's webhook; in ``--json`` beside the JSON, never in it. With both set it says nothing of
them. (``tidings run`` warns of the same at start: tests/e2e/test_log_format.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.command_line import LOCAL_CONFIG, run, use_folder
from tidings.cli import main

NOTIFYING = (
    LOCAL_CONFIG
    + """
[notifications]
smtp_url = "smtp://tidings@127.0.0.1:2525"
smtp_password_env = "TIDINGS_T_SMTP_PASSWORD"
chat_webhook_env = "TIDINGS_T_CHAT_HOOK"

[[channels]]
id = "team-hook"
platform = "webhook"
languages = ["en"]
url = "http://127.0.0.1:9/hook"
"""
)
PROBLEMS = [
    "problem: notifications.smtp_url logs in as tidings, but TIDINGS_T_SMTP_PASSWORD is not "
    "set: no e-mail can be sent",
    "problem: notifications.chat_webhook_env names TIDINGS_T_CHAT_HOOK, which is not set: no "
    "chat message can be sent",
]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_folder(tmp_path, monkeypatch, NOTIFYING)
    for name in ("TIDINGS_T_SMTP_PASSWORD", "TIDINGS_T_CHAT_HOOK"):
        monkeypatch.delenv(name, raising=False)
    run(["init"])
    return tmp_path


def check(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``tidings ARGS channels check --channel team-hook``: its exit status, stdout and stderr."""
    capsys.readouterr()
    try:
        main([*args, "channels", "check", "--channel", "team-hook"])
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_unset_notification_secrets_are_problems_of_the_check(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = check([], capsys)
    assert code == 1
    assert [line for line in out.splitlines() if line.startswith("problem:")] == PROBLEMS

    code, out, err = check(["--json"], capsys)
    assert code == 1
    assert [health["channel"] for health in json.loads(out)] == ["team-hook"]
    assert err.splitlines() == PROBLEMS

    monkeypatch.setenv("TIDINGS_T_SMTP_PASSWORD", "a mail password")
    monkeypatch.setenv("TIDINGS_T_CHAT_HOOK", "http://127.0.0.1:9/chat")
    code, out, err = check([], capsys)
    assert (code, err) == (0, "")
    assert "problem" not in out and "a mail password" not in out
