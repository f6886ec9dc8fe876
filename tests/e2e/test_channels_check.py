"""`tidings channels check` against the sandbox: one channel per platform."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from drafts.config import load_config
from drafts.storage import Database
from scheduler.sandbox.server import RunningSandbox
from scheduler.vault import Sealer
from tests.integration.connected import connect
from tidings.demo.run import DEMO_SECRETS, _config_text

# The demo's channels connected from the web app rather than named variables.
CONNECTED = ("linkedin", "facebook", "threads")


def demo_environment(folder: Path, sandbox: RunningSandbox) -> dict[str, str]:
    """Write the demo's config.toml for the sandbox into ``folder``; return an environment with
    every demo secret and the vault key made now, and no other TIDINGS_ variable."""
    (folder / "config.toml").write_text(
        _config_text(sandbox.base_url, "202610", "http://127.0.0.1:8800")
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    env |= {name: secrets.token_urlsafe(24) for name in DEMO_SECRETS}
    env["TIDINGS_DEMO_TELEGRAM_TOKEN"] = f"123456789:{secrets.token_urlsafe(24)}"
    env["TIDINGS_SECRET_KEY"] = secrets.token_urlsafe(32)
    return env


def init(folder: Path, env: dict[str, str], *, connecting: bool = True) -> None:
    """Create the database, and connect the channels the demo connects from the web app, as a
    connection stores them (tokens made now, sealed with the environment's key)."""
    subprocess.run(
        [sys.executable, "-m", "tidings", "init"],
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
    )
    if not connecting:
        return
    config = load_config(folder / "config.toml")
    database = Database(config.database_url)
    for channel in CONNECTED:
        connect(database, config.channel(channel), sealer=Sealer(env["TIDINGS_SECRET_KEY"]))
    database.dispose()


def check(folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tidings", "channels", "check", "--json"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_platform_is_reachable_and_says_who_it_posts_as(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    env = demo_environment(tmp_path, sandbox)
    init(tmp_path, env)
    sandbox.state.settings.bluesky_refresh_ttl = timedelta(days=3)

    done = check(tmp_path, env)
    assert done.returncode == 0, done.stderr
    health = {row["channel"]: row for row in json.loads(done.stdout)}
    assert set(health) == {
        "linkedin",
        "x-en",
        "mastodon",
        "bluesky",
        "facebook",
        "threads",
        "telegram",
        "team-chat",
    }
    webhook = health.pop("team-chat")  # nothing to ask, and a test message would be a post
    assert (webhook["reachable"], webhook["unchecked"]) == (
        None,
        "a webhook has no identity endpoint",
    )
    assert all(row["reachable"] for row in health.values()), health
    assert all(row["posts_as"] for row in health.values())
    assert health["mastodon"]["posts_as"].startswith("@")
    assert "expires within 7 days" in (health["bluesky"]["warning"] or "")
    for value in env.values():
        if len(value) > 20:
            assert value not in done.stdout + done.stderr

    del env["TIDINGS_DEMO_MASTODON_TOKEN"]
    missing = check(tmp_path, env)
    assert missing.returncode == 1
    rows = {row["channel"]: row for row in json.loads(missing.stdout)}
    assert rows["mastodon"]["reachable"] is False
    assert "TIDINGS_DEMO_MASTODON_TOKEN" in rows["mastodon"]["problem"]


def test_channels_that_keep_tokens_say_the_vault_key_is_missing_before_asking_the_platform(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    env = demo_environment(tmp_path, sandbox)
    init(tmp_path, env, connecting=False)
    del env["TIDINGS_SECRET_KEY"]

    done = check(tmp_path, env)
    assert done.returncode == 1
    rows = {row["channel"]: row for row in json.loads(done.stdout)}
    for channel in ("x-en", "bluesky"):
        assert rows[channel]["reachable"] is False
        assert rows[channel]["problem"] == (
            f"TIDINGS_SECRET_KEY: not set; channel {channel} keeps refreshed tokens in the "
            "vault and needs it"
        )
    for channel in CONNECTED:
        assert rows[channel]["problem"].startswith(f"channel {channel} is not connected")
    for platform in ("x", "bluesky", *CONNECTED):
        assert sandbox.state.requests(platform) == [], platform
    needing = ("x-en", "bluesky", *CONNECTED)
    assert rows.pop("team-chat")["reachable"] is None  # a webhook is not checked
    assert all(row["reachable"] for name, row in rows.items() if name not in needing)


def test_connected_channels_without_the_vault_key_stop_the_check_before_any_request(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    env = demo_environment(tmp_path, sandbox)
    init(tmp_path, env)
    del env["TIDINGS_SECRET_KEY"]

    done = check(tmp_path, env)

    assert done.returncode == 1
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("error: TIDINGS_SECRET_KEY: not set;"), line
    assert all(channel in line for channel in CONNECTED), line
    assert sandbox.state.requests() == []


def test_a_mastodon_instance_limit_learned_by_the_check_is_used_for_counting(
    sandbox: RunningSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tidings.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIDINGS_T_TOKEN", secrets.token_urlsafe(24))
    (tmp_path / "config.toml").write_text(
        f'[[channels]]\nid = "social"\nplatform = "mastodon"\nlanguages = ["en"]\n'
        f'base_url = "{sandbox.base_url}"\ntoken_env = "TIDINGS_T_TOKEN"\n'
    )
    long_text = "🌊 " + "The new sea wall walk is open. " * 20  # 623 graphemes
    (tmp_path / "long.toml").write_text(
        f'kind = "post"\ntitle = "Sea wall"\nchannels = ["social"]\n[text]\nen = "{long_text}"\n'
    )

    def run(*args: str) -> str:
        capsys.readouterr()
        with contextlib.suppress(SystemExit):  # typer exits 0 on success; failures fail below
            main([*args])
        captured = capsys.readouterr()
        assert not captured.err, captured.err
        return captured.out

    run("init")
    run("user", "add", "mina", "--role", "author")
    added = json.loads(run("draft", "add", "long.toml", "--as", "mina", "--json"))
    assert added["posts"][0]["limit"] == 500
    assert added["posts"][0]["problems"]

    sandbox.state.settings.mastodon_max_characters = 1000
    run("channels", "check")
    shown = json.loads(run("draft", "show", str(added["id"]), "--json"))
    assert (shown["posts"][0]["limit"], shown["posts"][0]["problems"]) == (1000, [])
    run("submit", str(added["id"]), "--as", "mina")
    again = json.loads(run("draft", "add", "long.toml", "--as", "mina", "--json"))
    assert again["posts"][0]["limit"] == 1000
