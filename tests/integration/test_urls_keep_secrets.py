"""URLs in config.toml carry no credentials, and a webhook's URL (its token) is never printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.command_line import use_folder
from tidings.cli import main

WEBHOOK_TOKEN = "wh-query-token-5f1d2c"
PATH_TOKEN = "B07PATH-TOKEN-93ac"
PASSWORD = "hunter2-in-the-url"

DRAFT = """
kind = "update"
title = "Harbour walk"
channels = ["team-chat"]
[text]
en = "The harbour walk opens on Saturday."
"""


def config_text(channel: str) -> str:
    return f'[tidings]\ndatabase = "sqlite:///tidings.db"\n[[channels]]\n{channel}'


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(args)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_folder(tmp_path, monkeypatch, config=None)  # each test writes its own


def test_draft_show_and_channels_list_never_print_a_webhooks_token(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"https://hooks.example.org/services/T01/{PATH_TOKEN}?token={WEBHOOK_TOKEN}"
    (workdir / "config.toml").write_text(
        config_text(f'id = "team-chat"\nplatform = "webhook"\nlanguages = ["en"]\nurl = "{url}"\n')
    )
    (workdir / "draft.toml").write_text(DRAFT)
    assert run(["init"], capsys)[0] == 0
    assert run(["user", "add", "mina", "--role", "author"], capsys)[0] == 0
    code, out, err = run(["draft", "add", "draft.toml", "--as", "mina", "--json"], capsys)
    assert code == 0, err
    draft_id = json.loads(out)["id"]

    shown = [run(["draft", "show", str(draft_id), "--json"], capsys)]
    shown += [run(["draft", "show", str(draft_id)], capsys)]
    shown += [run(["channels", "list", "--json"], capsys), run(["channels", "list"], capsys)]

    assert [code for code, _, _ in shown] == [0, 0, 0, 0]
    request = json.loads(shown[0][1])["posts"][0]["request"]
    assert request["url"] == "https://hooks.example.org/***?token=***"
    for _, out, err in shown:
        assert WEBHOOK_TOKEN not in out + err
        assert PATH_TOKEN not in out + err


@pytest.mark.parametrize(
    ("channel", "field"),
    [
        (
            'id = "social"\nplatform = "mastodon"\nlanguages = ["en"]\ntoken_env = "T"\n'
            f'base_url = "https://ops:{PASSWORD}@mastodon.example"\n',
            "channels[0] (social).base_url",
        ),
        (
            'id = "bot"\nplatform = "telegram"\nlanguages = ["en"]\nchat_id = "@tidings_news"\n'
            f'token_env = "T"\nbase_url = "http://{PASSWORD}@127.0.0.1:9"\n',
            "channels[0] (bot).base_url",
        ),
        (
            'id = "team-chat"\nplatform = "webhook"\nlanguages = ["en"]\n'
            f'url = "https://ops:{PASSWORD}@hooks.example.org/in"\n',
            "channels[0] (team-chat).url",
        ),
    ],
)
def test_a_url_with_a_user_name_or_password_is_refused_without_echoing_it(
    workdir: Path, capsys: pytest.CaptureFixture[str], channel: str, field: str
) -> None:
    (workdir / "config.toml").write_text(config_text(channel))
    code, out, err = run(["channels", "list"], capsys)
    assert code == 1
    assert f"{field}: holds a user name or password" in " ".join(err.split())
    assert PASSWORD not in out + err
