"""A new user's first hour on the command line, against `tidings sandbox`: the config that
`tidings init --sandbox` writes works as written (every channel checked, every post published),
`channels check` does not call a webhook reachable without trying it, and `tidings run --drain`
says when the next post is due, or that none is queued."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from drafts.config import load_config, parse_config
from drafts.lifecycle import PostStatus
from drafts.models import Post, User
from drafts.queueing import ScheduleRequest, schedule_draft
from drafts.storage import Database
from drafts.times import show, utcnow
from scheduler.sandbox import RunningSandbox
from tests.integration.command_line import fails, run, use_folder
from tidings.cli.sandbox_config import SAMPLE_TOKEN, TOKEN_VARIABLE, sandbox_config
from tidings.cli.setup_commands import example_config

EVERY_CHANNEL = """
kind = "update"
title = "Riverside park reopens"
channels = ["linkedin", "x-en", "mastodon", "bluesky", "facebook", "threads", "telegram",
            "team-chat"]
[text]
en = "🌳 The riverside park is open again. #Parks"
ko = "🌳 강변 공원이 다시 문을 열었습니다. #공원"
"""


def printed(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    run(list(args))
    return capsys.readouterr().out


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_folder(tmp_path, monkeypatch, config=None)
    for name in (TOKEN_VARIABLE, "TIDINGS_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_the_example_pointed_at_the_sandbox_names_no_other_origin() -> None:
    text = sandbox_config(example_config().read_text(encoding="utf-8"), "http://127.0.0.1:8900")
    config = parse_config(text, Path("config.toml"))
    for channel in config.channels:
        origin = str(getattr(channel, "base_url", None) or getattr(channel, "url", ""))
        assert origin.startswith("http://127.0.0.1:8900"), channel.id
        assert channel.secret_variable == TOKEN_VARIABLE, channel.id
    assert config.database_url.endswith("/tidings-sandbox.db")
    assert "are connected on the Channels page; the" not in text  # untrue here
    assert "[web]" in text and "[oauth.linkedin]" in text  # the rest is the example's


def test_init_sandbox_writes_a_config_that_publishes_to_every_platform(
    folder: Path,
    sandbox: RunningSandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said = printed(capsys, "init", "--sandbox-url", sandbox.base_url)
    port = sandbox.base_url.rsplit(":", 1)[1]
    assert f"tidings sandbox --port {port}" in said
    assert f"export {TOKEN_VARIABLE}={SAMPLE_TOKEN}" in said
    assert "export TIDINGS_SECRET_KEY=" in said
    monkeypatch.setenv(TOKEN_VARIABLE, SAMPLE_TOKEN)
    monkeypatch.setenv("TIDINGS_SECRET_KEY", secrets.token_urlsafe(32))

    health = {
        row["channel"]: row for row in json.loads(printed(capsys, "--json", "channels", "check"))
    }
    webhook = health.pop("team-chat")
    assert (webhook["reachable"], webhook["unchecked"]) == (
        None,
        "a webhook has no identity endpoint",
    )
    assert sandbox.state.requests("webhook") == []  # not even tried: it would be a post
    assert all(row["reachable"] for row in health.values()), health
    assert "team-chat (Webhook): not checked: a webhook has no identity endpoint" in printed(
        capsys, "channels", "check", "--channel", "team-chat"
    )

    run(["user", "add", "mina", "--role", "author"])
    run(["user", "add", "joon", "--role", "reviewer"])
    (folder / "park.toml").write_text(EVERY_CHANNEL, encoding="utf-8")
    run(["draft", "add", "park.toml", "--as", "mina"])
    run(["submit", "1", "--as", "mina"])
    run(["approve", "1", "--as", "joon"])
    due_now(folder, draft_id=1)

    drained = printed(capsys, "run", "--drain")

    posts = len(sandbox.state.posts())
    assert posts == 12  # the languages each of the eight channels takes
    assert f"Attempts: {posts} published." in drained
    assert "Nothing else is due, and no post is queued." in drained


def test_a_drain_with_nothing_due_says_when_the_next_post_is(
    folder: Path,
    sandbox: RunningSandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run(["init", "--sandbox-url", sandbox.base_url])
    monkeypatch.setenv(TOKEN_VARIABLE, SAMPLE_TOKEN)
    monkeypatch.setenv("TIDINGS_SECRET_KEY", secrets.token_urlsafe(32))
    assert "Nothing was due, and no post is queued." in printed(capsys, "run", "--drain")

    run(["user", "add", "mina", "--role", "author"])
    run(["user", "add", "joon", "--role", "reviewer"])
    (folder / "park.toml").write_text(EVERY_CHANNEL, encoding="utf-8")
    run(["draft", "add", "park.toml", "--as", "mina"])
    run(["submit", "1", "--as", "mina"])
    run(["approve", "1", "--as", "joon"])
    run(["schedule", "1", "--next-slot", "--as", "mina"])
    config = load_config(folder / "config.toml")
    database = Database(config.database_url)
    with database.reading() as session:
        first = session.exec(select(func.min(col(Post.due_at)))).one()
    database.dispose()
    assert first is not None

    drained = printed(capsys, "run", "--drain")

    assert "Attempts: none." in drained
    assert f"Nothing was due: the next post is due at {show(first, config.zone)}" in drained
    assert sandbox.state.posts() == []


def test_init_sandbox_leaves_an_existing_config_alone(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "config.toml").write_text("# mine\n", encoding="utf-8")
    line = fails(["init", "--sandbox"], capsys)
    assert line == (
        "error: config.toml exists and is left as it is: for the sandbox, name a new file "
        "(tidings --config sandbox.toml init --sandbox)"
    )
    assert (folder / "config.toml").read_text(encoding="utf-8") == "# mine\n"
    assert not (folder / "tidings-sandbox.db").exists()


def due_now(folder: Path, *, draft_id: int) -> None:
    """Queue the approved draft's posts as due a moment ago (the command line takes only times
    to come)."""
    config = load_config(folder / "config.toml")
    database = Database(config.database_url)
    before = utcnow() - timedelta(seconds=5)
    with database.writing() as session:
        author = session.exec(select(User).where(User.name == "mina")).one()
        schedule_draft(
            session,
            draft_id=draft_id,
            request=ScheduleRequest(at=before + timedelta(seconds=4)),
            actor=author,
            config=config,
            now=before,
        )
        assert all(post.status == PostStatus.SCHEDULED for post in session.exec(select(Post)).all())
    database.dispose()
