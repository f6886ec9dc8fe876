"""`tidings channels check` against the sandbox: one channel per platform."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from scheduler.sandbox.server import RunningSandbox, running_sandbox
from tidings.cli.demo_command import DEMO_SECRETS, _config_text


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox() as running:
        yield running


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
    (tmp_path / "config.toml").write_text(_config_text(sandbox.base_url, "202610"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    env |= {name: secrets.token_urlsafe(24) for name in DEMO_SECRETS}
    env["TIDINGS_DEMO_TELEGRAM_TOKEN"] = f"123456789:{secrets.token_urlsafe(24)}"
    subprocess.run(
        [sys.executable, "-m", "tidings", "init"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
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
