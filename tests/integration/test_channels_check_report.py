"""`tidings channels check` says, per channel, where its credential comes from: a connection
(as whom, by whom, when, scopes and the ones missing, expiry, whether it renews by itself and
how its last renewal went), an environment variable, or nothing; readable at 80 columns, and
the same in --json. Against the sandbox over loopback, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from drafts.config import Config, parse_config
from drafts.models import Attempt
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import show, utcnow
from scheduler.connections import record_renewal_failure
from scheduler.credentials import VAULT_KEY
from scheduler.sandbox import RunningSandbox
from scheduler.vault import Sealer
from tests.integration.command_line import run, use_folder
from tests.integration.connected import connect, connected_config_text
from tests.integration.publishing import drain, queue_posts
from tidings.cli import main

X_SCOPES = ("tweet.read", "tweet.write", "users.read", "media.write", "offline.access")


def config_text(database: Database, sandbox: RunningSandbox) -> str:
    """The connected X, Telegram and Mastodon channels, and LinkedIn, Threads and a second
    Mastodon channel, which uses an environment variable."""
    return (
        connected_config_text(database, sandbox.base_url)
        + f"""
[[channels]]
id = "linkedin"
platform = "linkedin"
languages = ["en"]
author = "urn:li:organization:2414183"
base_url = "{sandbox.base_url}"

[[channels]]
id = "threads"
platform = "threads"
languages = ["en"]
user_id = "17841400000000001"
base_url = "{sandbox.base_url}"

[[channels]]
id = "from-env"
platform = "mastodon"
languages = ["en"]
base_url = "{sandbox.base_url}"
token_env = "TIDINGS_T_MASTODON"
"""
    )


@pytest.fixture
def config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database: Database, sandbox: RunningSandbox
) -> Config:
    text = config_text(database, sandbox)
    use_folder(tmp_path, monkeypatch, text)
    monkeypatch.setenv(VAULT_KEY, secrets.token_urlsafe(32))
    monkeypatch.setenv("TIDINGS_T_MASTODON", secrets.token_urlsafe(24))
    monkeypatch.setenv("COLUMNS", "80")
    return parse_config(text, Path("config.toml"))


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(["channels", "check", *args])
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_each_channel_says_how_it_is_connected(
    config: Config, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    sealer = Sealer.from_environment()
    now = utcnow()
    connected_at = now - timedelta(days=1)
    x = connect(
        database, config.channel("x-en"), sealer=sealer, refresh=True,
        expires_at=now + timedelta(hours=2, minutes=30), scopes=X_SCOPES, now=connected_at,
    )  # fmt: skip
    assert x.refresh is not None
    connect(
        database, config.channel("linkedin"), sealer=sealer,
        expires_at=now + timedelta(days=3, hours=1), scopes=("w_organization_social",),
        account=("2414183", "Tidings City"), now=connected_at,
    )  # fmt: skip
    connect(
        database, config.channel("threads"), sealer=sealer, scopes=("threads_basic",),
        expires_at=now + timedelta(days=50, hours=1), account=("17841400000000001", "@city"),
        now=connected_at,
    )  # fmt: skip
    failed_at = now - timedelta(hours=1)
    with database.writing() as session:  # the platform quoted the refresh token back
        record_renewal_failure(
            session, channel="x-en", error=f"X refused {x.refresh}: reconnect", now=failed_at
        )
    when = show(connected_at, config.zone)

    code, out, err = check(capsys)

    assert code == 1, err  # tg and social are not connected
    assert all(len(line) <= 80 for line in out.splitlines()), out
    blocks = {block.split(" ")[0]: block for block in out.strip().split("\n\n")}
    assert blocks["x-en"].splitlines() == [
        "x-en (X): reachable",
        "  posts as @tidings_demo",
        "  connected as @tidings_demo (id 1700000000000000001)",
        f"  connected by hana on {when}",
        "  scopes: tweet.read tweet.write users.read media.write offline.access",
        "  the token expires in 2 hours; renews by itself",
        f"  last renewal failed {show(failed_at, config.zone)}: X refused [secret]: reconnect",
        # Renewing failed: the token lapses unless someone reconnects.
        "  warning: the token expires within 7 days: reconnect the account",
    ]
    assert blocks["linkedin"].splitlines()[2:] == [
        "  connected as Tidings City (id 2414183)",
        f"  connected by hana on {when}",
        "  scopes: w_organization_social",
        "  the token expires in 3 days; does not renew by itself: reconnect before then",
        "  warning: the token expires within 7 days: reconnect the account",
    ]
    assert blocks["threads"].splitlines()[2:] == [
        "  connected as @city (id 17841400000000001)",
        f"  connected by hana on {when}",
        "  scopes: threads_basic",
        "  missing scopes: threads_content_publish",
        "  the token expires in 50 days; renews by itself",
        "  warning: the connection lacks threads_content_publish: reconnect the account",
        "    and grant it",
    ]
    assert blocks["from-env"].splitlines() == [
        "from-env (Mastodon): reachable",
        "  posts as @demo",
        "  uses the environment variable TIDINGS_T_MASTODON",
    ]
    assert blocks["tg"].splitlines()[:2] == ["tg (Telegram): not reachable", "  not connected"]
    assert blocks["tg"].splitlines()[2].startswith("  problem: channel tg is not connected")
    assert x.refresh not in out + err and x.token not in out + err


def test_the_json_report_holds_the_same(
    config: Config, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    now = utcnow()
    expires_at = now + timedelta(days=3)
    connect(
        database, config.channel("linkedin"), sealer=Sealer.from_environment(),
        expires_at=expires_at, scopes=("r_basicprofile",), account=("2414183", "Tidings City"),
        now=now,
    )  # fmt: skip

    code, out, _ = check(capsys, "--json")

    assert code == 1
    rows = {row["channel"]: row for row in json.loads(out)}
    assert rows["linkedin"]["credential"] == {
        "source": "connected",
        "variable": None,
        "account_name": "Tidings City",
        "account_id": "2414183",
        "connected_by": "hana",
        "connected_at": now.isoformat(),
        "scopes": ["r_basicprofile"],
        "missing_scopes": ["w_organization_social"],
        "expires_at": expires_at.isoformat(),
        "refresh_expires_at": None,
        "renews": False,
        "refreshed_at": None,
        "refresh_failed_at": None,
        "refresh_error": None,
    }
    assert rows["linkedin"]["warning"] == (
        "the connection lacks w_organization_social: reconnect the account and grant it"
    )
    assert rows["from-env"]["credential"]["source"] == "environment"
    assert rows["from-env"]["credential"]["variable"] == "TIDINGS_T_MASTODON"
    assert rows["tg"]["credential"]["source"] == "none"
    assert not rows["tg"]["reachable"]


def test_each_channel_says_what_it_last_published_and_its_last_error(
    config: Config,
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """As the Channels page does: the latest published post and the latest error."""
    [published] = queue_posts(database, config, library, channels=["from-env"])
    drain(database, config)
    sandbox.state.faults.add("status", "mastodon", path="/api/v1/statuses", status=422, times=None)
    [refused] = queue_posts(database, config, library, channels=["from-env"])
    drain(database, config)
    with database.reading() as session:
        attempts = {
            a.post_id: a
            for a in session.exec(
                select(Attempt).where(col(Attempt.post_id).in_([published, refused]))
            )
        }
    sent, failed = attempts[published], attempts[refused]
    assert sent.finished_at is not None and failed.finished_at is not None
    assert sent.remote_url is not None and failed.error is not None

    code, out, err = check(capsys, "--channel", "from-env")

    assert code == 0, err
    assert all(len(line) <= 80 for line in out.splitlines()), out
    published_line, *error_lines = out.splitlines()[3:]
    assert published_line == (
        f"  last published {show(sent.finished_at, config.zone)} (post {published})"
    )
    assert " ".join(line.strip() for line in error_lines) == (
        f"last error {show(failed.finished_at, config.zone)} (post {refused}): {failed.error}"
    )
    code, out, err = check(capsys, "--json", "--channel", "from-env")
    [row] = json.loads(out)
    assert row["last_published"] == {
        "post_id": published,
        "at": sent.finished_at.isoformat(),
        "url": sent.remote_url,
    }
    assert row["last_error"] == {
        "post_id": refused,
        "at": failed.finished_at.isoformat(),
        "error": failed.error,
    }
    code, out, err = check(capsys, "--json", "--channel", "linkedin")  # never sent anything
    [row] = json.loads(out)
    assert (row["last_published"], row["last_error"]) == (None, None)


def test_the_channels_help_sums_up_each_command_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listing shows each command's first paragraph: a sentence, not the whole story."""
    monkeypatch.setenv("COLUMNS", "100")
    capsys.readouterr()
    run(["channels", "--help"])
    panel = capsys.readouterr().out.split("Commands")[1].splitlines()[1:]
    rows = [line for line in panel if line.startswith("│")]
    assert [row[2:].split()[0] for row in rows] == ["list", "check"], rows
