"""Changing TIDINGS_SECRET_KEY with `tidings secrets rotate --old-key-env NAME`, and a wrong key
at start: SQLite and PostgreSQL, the command line in-process, the daemon against the sandbox.

A rotation re-seals every secret in one transaction or changes nothing; afterwards the daemon
publishes with the re-sealed tokens. A key that does not open the vault is one line and exit
status 1 from `tidings run`, `tidings channels check` and `tidings web`, before any request."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from drafts.lifecycle import PostStatus
from drafts.models import DaemonHeartbeat, OAuthState, StoredCredential
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from scheduler.connect.flow import begin
from scheduler.connections import REFRESH, TOKEN
from scheduler.credentials import VAULT_KEY
from scheduler.sandbox import RunningSandbox
from scheduler.vault import Sealer, save_secret
from tests.integration.command_line import fails, run, use_folder
from tests.integration.connected import bot_token, connect, connected_config, connected_config_text
from tests.integration.publishing import posts, queue_posts

OLD = "TIDINGS_OLD_SECRET_KEY"
WRONG_KEY_LINE = (
    "error: TIDINGS_SECRET_KEY does not open the stored {what} of channel {channel}: the key "
    "changed? (rotate with `tidings secrets rotate --old-key-env NAME`, NAME holding the old key)"
)


@pytest.fixture
def old_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = secrets.token_urlsafe(32)
    monkeypatch.setenv(VAULT_KEY, key)
    return key


@pytest.fixture
def folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database: Database, sandbox: RunningSandbox
) -> Path:
    """A working folder whose config.toml names the connected channels and this database."""
    return use_folder(tmp_path, monkeypatch, connected_config_text(database, sandbox.base_url))


def connect_all(database: Database, sandbox: RunningSandbox, key: str) -> dict[str, str]:
    """X (with a refresh token), Telegram and Mastodon connected under ``key``, and a connect
    flow under way; every secret stored, by channel and kind."""
    config = connected_config(database, sandbox.base_url)
    sealer = Sealer(key)
    soon = utcnow() + timedelta(hours=2)
    x = connect(database, config.channel("x-en"), sealer=sealer, refresh=True, expires_at=soon)
    tg = connect(database, config.channel("tg"), sealer=sealer, token=bot_token())
    social = connect(database, config.channel("social"), sealer=sealer)
    with database.writing() as session:
        begin(
            session, sealer, channel="x-en", session_key=secrets.token_urlsafe(16), user_id=1,
            redirect_uri="https://tidings.example.org/channels/x-en/callback", pkce=True,
            now=utcnow(),
        )  # fmt: skip
    assert x.refresh is not None
    return {
        "x-en/token": x.token,
        "x-en/refresh": x.refresh,
        "tg/token": tg.token,
        "social/token": social.token,
    }


def vault_rows(database: Database) -> dict[str, str]:
    """Every vault row's ciphertext, by channel and kind."""
    with database.reading() as session:
        rows = session.exec(select(StoredCredential)).all()
    return {f"{row.channel}/{row.kind}": row.ciphertext for row in rows}


def flows(database: Database) -> int:
    with database.reading() as session:
        return len(session.exec(select(OAuthState)).all())


def opened(database: Database, key: str) -> dict[str, str | None]:
    sealer = Sealer(key)
    return {
        name: sealer.try_open(ciphertext, channel=name.split("/")[0], kind=name.split("/")[1])
        for name, ciphertext in vault_rows(database).items()
    }


def test_a_rotation_reseals_every_secret_and_the_daemon_publishes_with_them(
    folder: Path,
    database: Database,
    sandbox: RunningSandbox,
    library: TemplateLibrary,
    old_key: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stored = connect_all(database, sandbox, old_key)
    new_key = secrets.token_urlsafe(32)
    monkeypatch.setenv(OLD, old_key)
    monkeypatch.setenv(VAULT_KEY, new_key)
    capsys.readouterr()

    run(["secrets", "rotate", "--old-key-env", OLD])

    said = capsys.readouterr()
    assert said.out.splitlines() == [
        "Re-sealed 4 secrets (3 channels) under the new TIDINGS_SECRET_KEY.",
        "Dropped 1 connect flow under way: connect again.",
        "Start the daemons and the web with the new key only.",
    ]
    assert opened(database, new_key) == stored
    assert set(opened(database, old_key).values()) == {None}
    assert flows(database) == 0
    for secret in (*stored.values(), old_key, new_key):
        assert secret not in said.out + said.err

    monkeypatch.delenv(OLD)
    config = connected_config(database, sandbox.base_url)
    post_ids = queue_posts(database, config, library, channels=["x-en", "tg", "social"])
    run(["run", "--drain"])

    assert {post.status for post in posts(database, post_ids)} == {PostStatus.PUBLISHED}
    assert {p.platform for p in sandbox.state.posts()} == {"x", "telegram", "mastodon"}
    # Each platform got the token as connected: its length is all the sandbox keeps of it.
    auth = {p.platform: p.auth for p in sandbox.state.posts()}
    assert auth["x"] == f"Bearer …({len(stored['x-en/token'])} chars)"
    assert auth["mastodon"] == f"Bearer …({len(stored['social/token'])} chars)"


def test_an_old_key_that_does_not_open_a_secret_changes_nothing(
    folder: Path,
    database: Database,
    sandbox: RunningSandbox,
    old_key: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    connect_all(database, sandbox, old_key)
    # One secret sealed under yet another key: the old key opens all the others.
    with database.writing() as session:
        save_secret(
            session, Sealer(secrets.token_urlsafe(32)), "tg", TOKEN, bot_token(), None
        )  # fmt: skip
    before = vault_rows(database)
    monkeypatch.setenv(OLD, old_key)
    monkeypatch.setenv(VAULT_KEY, secrets.token_urlsafe(32))

    line = fails(["secrets", "rotate", "--old-key-env", OLD], capsys)

    assert line == (
        f"error: the stored token of channel tg does not open with the key in {OLD}: is it the "
        "old key? Nothing was changed."
    )
    assert vault_rows(database) == before
    assert flows(database) == 1


def test_rotating_twice_says_the_secrets_open_with_the_new_key_already(
    folder: Path,
    database: Database,
    sandbox: RunningSandbox,
    old_key: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    connect_all(database, sandbox, old_key)
    monkeypatch.setenv(OLD, old_key)
    monkeypatch.setenv(VAULT_KEY, secrets.token_urlsafe(32))
    run(["secrets", "rotate", "--old-key-env", OLD])
    after = vault_rows(database)

    line = fails(["secrets", "rotate", "--old-key-env", OLD], capsys)

    assert line == (
        f"error: the stored token of channel social does not open with the key in {OLD}: is it "
        f"the old key? (it opens with {VAULT_KEY}: rotated already?) Nothing was changed."
    )
    assert vault_rows(database) == after


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("the same key", f"error: {OLD} and {VAULT_KEY} hold the same key: put the new key in"),
        ("no old key", f"error: --old-key-env: {OLD} is not set: it must hold the old key"),
        ("a short old key", f"error: {OLD}: shorter than 16 characters: no vault was sealed"),
        ("no new key", f"error: {VAULT_KEY}: not set: it must hold the new key"),
    ],
)
def test_keys_that_cannot_be_the_old_and_the_new_one_are_refused(
    folder: Path,
    database: Database,
    sandbox: RunningSandbox,
    old_key: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: str,
    expected: str,
) -> None:
    connect_all(database, sandbox, old_key)
    before = vault_rows(database)
    new_key = secrets.token_urlsafe(32)
    environment = {
        "the same key": {OLD: old_key, VAULT_KEY: old_key},
        "no old key": {OLD: None, VAULT_KEY: new_key},
        "a short old key": {OLD: "fifteen chars!!", VAULT_KEY: new_key},
        "no new key": {OLD: old_key, VAULT_KEY: None},
    }[case]
    for name, value in environment.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)

    assert fails(["secrets", "rotate", "--old-key-env", OLD], capsys).startswith(expected)
    assert vault_rows(database) == before


def test_a_rotation_waits_for_the_daemons_to_stop(
    folder: Path,
    database: Database,
    sandbox: RunningSandbox,
    old_key: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    connect_all(database, sandbox, old_key)
    before = vault_rows(database)
    now = utcnow()
    with database.writing() as session:  # a daemon on another host, beating
        session.add(
            DaemonHeartbeat(
                worker="elsewhere:4242", host="elsewhere", pid=4242, host_key="0" * 64,
                started_at=now - timedelta(minutes=5), beat_at=now,
            )
        )  # fmt: skip
    monkeypatch.setenv(OLD, old_key)
    monkeypatch.setenv(VAULT_KEY, secrets.token_urlsafe(32))

    line = fails(["secrets", "rotate", "--old-key-env", OLD], capsys)

    assert line == (
        "error: a daemon is running (elsewhere:4242): stop every `tidings run` and `tidings web`, "
        "rotate, then start them again with the new TIDINGS_SECRET_KEY"
    )
    assert vault_rows(database) == before

    with database.writing() as session:  # silent for longer than its heartbeats allow: dead
        row = session.get(DaemonHeartbeat, "elsewhere:4242")
        assert row is not None
        row.beat_at = now - timedelta(seconds=7)
        session.add(row)
    run(["secrets", "rotate", "--old-key-env", OLD])
    assert vault_rows(database) != before


@pytest.mark.parametrize(
    "command", [["run", "--drain"], ["channels", "check"], ["web", "--port", "9"]]
)
def test_a_key_that_does_not_open_the_vault_is_one_line_before_any_request(
    folder: Path,
    database: Database,
    sandbox: RunningSandbox,
    library: TemplateLibrary,
    old_key: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    connect_all(database, sandbox, old_key)
    post_ids = queue_posts(
        database, connected_config(database, sandbox.base_url), library, channels=["x-en"]
    )
    monkeypatch.setenv(VAULT_KEY, secrets.token_urlsafe(32))

    line = fails(command, capsys)

    assert line == WRONG_KEY_LINE.format(what="token", channel="social")
    assert sandbox.state.requests() == []
    assert [post.status for post in posts(database, post_ids)] == [PostStatus.SCHEDULED]


def test_every_stored_secret_is_opened_at_start_not_only_the_first(
    folder: Path,
    database: Database,
    sandbox: RunningSandbox,
    old_key: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A daemon left running with an older key after a rotation sealed X's refresh token with it.
    connect_all(database, sandbox, old_key)
    with database.writing() as session:
        save_secret(session, Sealer(secrets.token_urlsafe(32)), "x-en", REFRESH, "r" * 40, None)

    for command in (["run", "--drain"], ["channels", "check"]):
        line = fails(command, capsys)
        assert line == WRONG_KEY_LINE.format(what="refresh token", channel="x-en")
    assert sandbox.state.requests() == []


@pytest.mark.parametrize("command", [["run", "--drain"], ["web", "--port", "9"]])
def test_connected_channels_need_the_key_where_the_daemon_and_the_web_run(
    folder: Path,
    database: Database,
    sandbox: RunningSandbox,
    old_key: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    connect_all(database, sandbox, old_key)
    monkeypatch.delenv(VAULT_KEY)

    line = fails(command, capsys)

    # The daemon renews X's tokens even for a channel configured with environment variables;
    # here every channel is connected, and each is named.
    assert line == (
        "error: TIDINGS_SECRET_KEY: not set; channels x-en, tg, social keep tokens in the vault "
        "and need it"
    )
