"""A token copied with its line break (``TOKEN=$'…\\r\\n'``) is a clear configuration error
naming the variable, from `tidings channels check` and `tidings run` as processes; the token is
nowhere afterwards: not in any output, log line or table."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from drafts.config import load_config
from drafts.lifecycle import PostStatus
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from scheduler.sandbox.server import RunningSandbox
from tests.conftest import everything_stored
from tests.integration.publishing import posts, queue_posts

TOKEN_VARIABLE = "TIDINGS_E2E_MASTODON_TOKEN"
PROBLEM = f"{TOKEN_VARIABLE}: holds a line break or another control character"


def tidings(folder: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tidings", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_token_with_a_line_break_is_a_config_error_and_never_shown(
    sandbox: RunningSandbox, tmp_path: Path, library: TemplateLibrary
) -> None:
    (tmp_path / "config.toml").write_text(
        f'[[channels]]\nid = "social"\nplatform = "mastodon"\nlanguages = ["en"]\n'
        f'base_url = "{sandbox.base_url}"\ntoken_env = "{TOKEN_VARIABLE}"\n'
        f'[[channels]]\nid = "team-chat"\nplatform = "webhook"\nlanguages = ["en"]\n'
        f'url = "{sandbox.base_url}/hooks/comms"\nsecret_env = "TIDINGS_E2E_HOOK"\n'
    )
    token = secrets.token_urlsafe(24)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    env |= {TOKEN_VARIABLE: f"{token}\r\n", "TIDINGS_E2E_HOOK": secrets.token_urlsafe(24)}
    outputs: list[subprocess.CompletedProcess[str]] = [tidings(tmp_path, env, "init")]
    config = load_config(tmp_path / "config.toml")
    database = Database(config.database_url)
    post_ids = queue_posts(database, config, library, channels=["social", "team-chat"])

    checked = tidings(tmp_path, env, "channels", "check", "--json")
    outputs.append(checked)
    assert checked.returncode == 1
    health = {row["channel"]: row for row in json.loads(checked.stdout)}
    assert (health["social"]["reachable"], health["social"]["problem"]) == (False, PROBLEM)
    assert (
        health["team-chat"]["reachable"] is None
    )  # a webhook is not checked: no identity endpoint

    refused = tidings(tmp_path, env, "run", "--drain")
    outputs.append(refused)
    assert refused.returncode == 1
    assert PROBLEM in refused.stderr and "Traceback" not in refused.stderr
    assert [post.status for post in posts(database, post_ids)] == [PostStatus.SCHEDULED] * 2
    attempts = tidings(tmp_path, env, "log", "--json")
    outputs.append(attempts)
    assert json.loads(attempts.stdout) == []  # nothing was tried, nothing changed

    env[TOKEN_VARIABLE] = secrets.token_urlsafe(24)  # set again, without the line break
    published = tidings(tmp_path, env, "run", "--drain")
    outputs.append(published)
    assert published.returncode == 0, published.stderr
    assert [post.status for post in posts(database, post_ids)] == [PostStatus.PUBLISHED] * 2

    shown = "\n".join(done.stdout + done.stderr for done in outputs)
    assert token not in shown
    assert token not in everything_stored(database)
    database.engine.dispose()
