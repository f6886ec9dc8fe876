"""``tidings draft show`` says a waiting post's credential problem under the post, as the
review page does, and ``--json`` gives it as each post's ``credential_problem``; a draft not
yet submitted is not checked."""

from __future__ import annotations

import json
import re
import secrets
from datetime import timedelta
from pathlib import Path

import pytest

from drafts.storage import Database
from drafts.times import utcnow
from scheduler.connections import Grant, Tokens, save_connection
from scheduler.credentials import VAULT_KEY
from scheduler.vault import Sealer
from tests.conftest import make_config
from tests.integration.command_line import GOOD, LOCAL_CONFIG, run, use_folder

MISSING = "linkedin was connected without w_organization_social: reconnect and allow it"


def show(capsys: pytest.CaptureFixture[str], *json_flag: str) -> str:
    capsys.readouterr()
    run(["draft", "show", "1", *json_flag])
    return capsys.readouterr().out


def credential_problems(capsys: pytest.CaptureFixture[str]) -> list[str | None]:
    shown = json.loads(show(capsys, "--json"))
    return [post["credential_problem"] for post in shown["posts"]]


def connect_linkedin(folder: Path, key: str, scopes: tuple[str, ...]) -> None:
    database = Database(f"sqlite:///{folder / 'tidings.db'}")
    now = utcnow()
    tokens = Tokens(
        token=secrets.token_urlsafe(32), expires_at=now + timedelta(days=60), scopes=scopes
    )
    with database.writing() as session:
        save_connection(
            session,
            Sealer(key),
            channel=make_config(LOCAL_CONFIG).channel("linkedin"),
            grant=Grant(tokens, account_id="2414183", account_name="Tidings"),
            connected_by="root",
            now=now,
        )
    database.dispose()


def test_draft_show_says_the_channels_credential_problem_under_each_post(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_folder(tmp_path, monkeypatch)
    key = secrets.token_urlsafe(32)
    monkeypatch.setenv(VAULT_KEY, key)
    monkeypatch.delenv("TIDINGS_TEST_LINKEDIN_TOKEN", raising=False)
    run(["init"])
    run(["user", "add", "mina", "--role", "author"])
    (tmp_path / "draft.toml").write_text(GOOD, encoding="utf-8")
    run(["draft", "add", "draft.toml", "--as", "mina"])
    assert credential_problems(capsys) == [None, None]  # not submitted: not on its way yet

    run(["submit", "1", "--as", "mina"])
    unset = (
        "linkedin is not connected and TIDINGS_TEST_LINKEDIN_TOKEN is not set: "
        "an admin connects it on the Channels page"
    )
    assert credential_problems(capsys) == [unset, unset]  # English and Korean

    connect_linkedin(tmp_path, key, ("w_member_social",))
    assert credential_problems(capsys) == [MISSING, MISSING]
    plain = re.sub(r"\s+", " ", show(capsys))
    assert plain.count(f"! {MISSING}") == 2

    connect_linkedin(tmp_path, key, ("w_organization_social",))
    assert credential_problems(capsys) == [None, None]
    assert "connected without" not in show(capsys)
