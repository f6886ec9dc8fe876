"""No token, refresh token, app password, client secret or PKCE verifier appears in clear (nor
base64- or URL-encoded) anywhere Tidings writes: SQLite's file bytes or a PostgreSQL dump, logs
captured at DEBUG, what the command line prints, the web app's pages.

Everything runs for real against the sandbox over loopback: X is connected through its consent
page (state and PKCE verifier in the database, the code exchanged for tokens), Telegram with a
bot token and Bluesky with an app password checked by their connectors, a Mastodon token saved
as the Channels page saves it; the daemon publishes to each, an X channel configured with
environment variables fails to renew its token, renewing the connected X token fails too;
`channels check` runs (text and JSON), `tidings log`, a refused command, and the Channels page
is read by an admin, checked and not. Every secret is made at run time."""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import select

from drafts.config import Config, parse_config
from drafts.lifecycle import PostStatus
from drafts.models import OAuthState
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role
from scheduler.connect import bluesky as bluesky_connect
from scheduler.connect import flow
from scheduler.connect import telegram as telegram_connect
from scheduler.connect import x as x_connect
from scheduler.connect.base import ConnectError, OAuthClient
from scheduler.connections import (
    TOKEN,
    Grant,
    Tokens,
    record_renewal_failure,
    save_connection,
)
from scheduler.credentials import VAULT_KEY
from scheduler.platforms.bluesky_sessions import SESSION_KIND
from scheduler.sandbox import RunningSandbox
from scheduler.sandbox.bluesky import add_account
from scheduler.sandbox.oauth import register_oauth_app, revoke_token
from scheduler.vault import Sealer, load_secret, save_secret
from tests.conftest import everything_stored
from tests.fakes import run_with_client
from tests.integration.command_line import use_folder
from tests.integration.connected import bot_token
from tests.integration.consent import answer_consent, redirected_query
from tests.integration.publishing import posts, queue_posts
from tests.web.conftest import add_people, csrf_token
from tidings.cli import main
from tidings.web.app import create_app
from tidings.web.in_thread import serving
from tidings.web.session_key import WEB_SECRET_VARIABLE

PUBLIC_URL = "https://tidings.example.org"
CALLBACK = f"{PUBLIC_URL}/channels/x-en/callback"
HANDLE = "tidings.test"
BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


@dataclass
class Secrets:
    """Every secret of the run, by what it is, and everything Tidings wrote or showed."""

    found: dict[str, str] = field(default_factory=dict)
    places: dict[str, str] = field(default_factory=dict)

    def add(self, what: str, value: str | None) -> None:
        assert value, f"{what}: no value"
        self.found[what] = value

    def saw(self, where: str, text: str) -> None:
        self.places[where] = self.places.get(where, "") + text + "\n"

    def leaks(self) -> list[str]:
        """``what`` in ``where``, for each secret found in clear or encoded somewhere."""
        return [
            f"{what} ({form}) in {where}"
            for what, value in self.found.items()
            for form, encoded in encodings(value).items()
            for where, text in self.places.items()
            if encoded in text
        ]


def encodings(value: str) -> dict[str, str]:
    """The forms a secret could be written in: as is, URL-encoded, base64 of each flavour
    (padding dropped, since it depends on what comes next), and JSON-escaped."""
    raw = value.encode()
    return {
        "clear": value,
        "url-encoded": quote(value, safe=""),
        "form-encoded": quote_plus(value),
        "base64": base64.b64encode(raw).decode().rstrip("="),
        "base64url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "json": value.replace("/", "\\/"),
    }


def app_password() -> str:
    return "-".join("".join(secrets.choice(BASE32) for _ in range(4)) for _ in range(4))


def config_text(database: Database, base_url: str) -> str:
    return f"""
[tidings]
timezone = "Asia/Seoul"
database = "{database.url}"

[web]
public_url = "{PUBLIC_URL}"

[oauth.x]
client_id_env = "TIDINGS_T_X_CLIENT_ID"
client_secret_env = "TIDINGS_T_X_CLIENT_SECRET"

[[channels]]
id = "x-en"
platform = "x"
languages = ["en"]
base_url = "{base_url}"

[[channels]]
id = "tg"
platform = "telegram"
languages = ["en"]
chat_id = "@tidings_news"
base_url = "{base_url}"

[[channels]]
id = "bsky"
platform = "bluesky"
languages = ["en"]
handle = "{HANDLE}"
base_url = "{base_url}"

[[channels]]
id = "social"
platform = "mastodon"
languages = ["en"]
base_url = "{base_url}"

[[channels]]
id = "x-env"
platform = "x"
languages = ["en"]
base_url = "{base_url}"
token_env = "TIDINGS_T_X_TOKEN"
refresh_token_env = "TIDINGS_T_X_REFRESH"
client_id_env = "TIDINGS_T_X_ENV_CLIENT"
"""


@pytest.fixture
def secrets_seen() -> Secrets:
    return Secrets()


@pytest.fixture
def config(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    database: Database,
    sandbox: RunningSandbox,
    secrets_seen: Secrets,
) -> Config:
    """The channels' configuration in a working folder, every secret in the environment made
    now; the X app registered with the sandbox, the Bluesky account made there."""
    environment = {
        VAULT_KEY: secrets.token_urlsafe(32),
        WEB_SECRET_VARIABLE: secrets.token_urlsafe(32),
        "TIDINGS_T_X_CLIENT_ID": "x-" + secrets.token_hex(8),
        "TIDINGS_T_X_CLIENT_SECRET": secrets.token_urlsafe(24),
        "TIDINGS_T_X_TOKEN": secrets.token_urlsafe(32),
        "TIDINGS_T_X_REFRESH": secrets.token_urlsafe(32),
        "TIDINGS_T_X_ENV_CLIENT": "x-" + secrets.token_hex(8),
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
        if "CLIENT_ID" not in name and "ENV_CLIENT" not in name:
            secrets_seen.add(name, value)
    text = config_text(database, sandbox.base_url)
    use_folder(tmp_path, monkeypatch, text)
    register_oauth_app(
        sandbox.state, platform="x", client_id=environment["TIDINGS_T_X_CLIENT_ID"],
        client_secret=environment["TIDINGS_T_X_CLIENT_SECRET"], redirect_uris=[CALLBACK],
    )  # fmt: skip
    basic = f"{environment['TIDINGS_T_X_CLIENT_ID']}:{environment['TIDINGS_T_X_CLIENT_SECRET']}"
    secrets_seen.add("the X client's Basic credentials", basic)
    return parse_config(text, Path("config.toml"))


def connect_x(database: Database, config: Config, secrets_seen: Secrets) -> Grant:
    """Connect x-en as the Channels page does: a flow begun (state, sealed PKCE verifier), the
    consent page answered, the state taken back, the code exchanged for tokens, all stored.

    The state and the code travel in URLs by OAuth's design (a browser's history, a proxy's
    log), so they are not scanned for; the state is kept only as a digest, the code not at all,
    and each works once."""
    sealer = Sealer.from_environment()
    channel = config.channel("x-en")
    client = OAuthClient(
        os.environ["TIDINGS_T_X_CLIENT_ID"], os.environ["TIDINGS_T_X_CLIENT_SECRET"]
    )
    web_session = secrets.token_urlsafe(32)
    with database.writing() as session:
        begun = flow.begin(
            session, sealer, channel="x-en", session_key=web_session, user_id=1,
            redirect_uri=CALLBACK, pkce=True, now=utcnow(),
        )  # fmt: skip
    secrets_seen.add("the PKCE verifier", verifier_of(database, "x-en", sealer))
    url = x_connect.CONNECTOR.authorization_url(
        channel, client, redirect_uri=CALLBACK, state=begun.state,
        code_challenge=begun.code_challenge,
    )  # fmt: skip
    with httpx.Client() as browser:
        back = redirected_query(answer_consent(browser, url))
    with database.writing() as session:
        consumed = flow.consume(
            session, sealer, state=back["state"], channel="x-en", session_key=web_session,
            now=utcnow(),
        )  # fmt: skip
    assert isinstance(consumed, flow.Consumed)
    grant = run_with_client(
        lambda http: x_connect.CONNECTOR.exchange(
            http, channel, client, code=back["code"], redirect_uri=CALLBACK,
            verifier=consumed.verifier, now=utcnow(),
        )
    )  # fmt: skip
    save(database, config, "x-en", grant)
    secrets_seen.add("X's access token", grant.tokens.token)
    secrets_seen.add("X's refresh token", grant.tokens.refresh)
    return grant


def verifier_of(database: Database, channel: str, sealer: Sealer) -> str:
    """The PKCE verifier of the flow under way for ``channel``, opened with the key."""
    with database.reading() as session:
        rows = session.exec(select(OAuthState).where(OAuthState.channel == channel)).all()
    waiting = [row for row in rows if row.used_at is None]
    return sealer.open(waiting[-1].verifier, channel=channel, kind=flow.VERIFIER_KIND)


def save(database: Database, config: Config, channel: str, grant: Grant) -> None:
    with database.writing() as session:
        save_connection(
            session, Sealer.from_environment(), channel=config.channel(channel), grant=grant,
            connected_by="hana", now=utcnow(),
        )  # fmt: skip


def connect_the_others(
    database: Database, config: Config, sandbox: RunningSandbox, secrets_seen: Secrets
) -> None:
    """Telegram and Bluesky through their connectors' checks, Mastodon as saved; and a second
    X flow begun and left waiting (its verifier sealed in the database)."""
    token = bot_token()
    secrets_seen.add("the Telegram bot token", token.partition(":")[2])
    save(database, config, "tg", verify(telegram_connect.CONNECTOR, config.channel("tg"), token))
    password = app_password()
    add_account(
        sandbox.state, HANDLE, password=secrets.token_urlsafe(16), app_passwords=(password,)
    )
    secrets_seen.add("the Bluesky app password", password)
    save(
        database,
        config,
        "bsky",
        verify(bluesky_connect.CONNECTOR, config.channel("bsky"), password),
    )
    mastodon = secrets.token_urlsafe(32)
    secrets_seen.add("the Mastodon token", mastodon)
    save(database, config, "social", Grant(Tokens(mastodon), account_id="1", account_name="@demo"))
    sealer = Sealer.from_environment()
    with database.writing() as session:
        flow.begin(
            session, sealer, channel="x-en", session_key=secrets.token_urlsafe(32), user_id=1,
            redirect_uri=CALLBACK, pkce=True, now=utcnow(),
        )  # fmt: skip
    secrets_seen.add("a waiting flow's PKCE verifier", verifier_of(database, "x-en", sealer))


def verify(connector: object, channel: object, secret: str) -> Grant:
    return run_with_client(
        lambda http: connector.verify(http, channel, secret, now=datetime.now(UTC))  # type: ignore[attr-defined]
    )


def fail_renewals(
    database: Database, config: Config, sandbox: RunningSandbox, grant: Grant
) -> None:
    """x-env's stored token has expired, so the daemon will renew it with the refresh token of
    its environment, which X refuses (400); the connected X channel's refresh token is revoked
    and its renewal fails as the daemon's would, recorded on the connection."""
    with database.writing() as session:
        save_secret(
            session, Sealer.from_environment(), "x-env", TOKEN, secrets.token_urlsafe(32),
            utcnow() - timedelta(minutes=5),
        )  # fmt: skip
    assert grant.tokens.refresh is not None
    assert revoke_token(sandbox.state, grant.tokens.refresh) is not None
    client = OAuthClient(
        os.environ["TIDINGS_T_X_CLIENT_ID"], os.environ["TIDINGS_T_X_CLIENT_SECRET"]
    )
    with pytest.raises(ConnectError) as refused:
        run_with_client(
            lambda http: x_connect.CONNECTOR.renew(
                http, config.channel("x-en"), client, token=grant.tokens.token,
                refresh=grant.tokens.refresh, now=utcnow(),
            )
        )  # fmt: skip
    with database.writing() as session:
        record_renewal_failure(session, channel="x-en", error=str(refused.value), now=utcnow())
    sandbox.state.faults.add("status", "x", path="/2/oauth2/token", status=400, times=None)


def command(secrets_seen: Secrets, capsys: pytest.CaptureFixture[str], *args: str) -> int:
    """``tidings ARGS`` in-process; what it printed is kept to be scanned."""
    capsys.readouterr()
    code: object = 0
    try:
        main(list(args))
    except SystemExit as exit_:
        code = exit_.code
    said = capsys.readouterr()
    secrets_seen.saw(f"the output of tidings {' '.join(args)}", said.out + said.err)
    return int(code or 0)


def read_pages(database: Database, config: Config, secrets_seen: Secrets, failed_post: int) -> None:
    """The Channels page (plain and checked) and a failed post's page, as an admin sees them."""
    admin = add_people(database, {"hana": Role.ADMIN})["hana"]
    app = create_app(config, database)
    with serving(app) as origin, httpx.Client(base_url=origin, timeout=30) as browser:
        login = browser.get("/login")
        signed_in = browser.post(
            "/login",
            data={
                "name": admin.name,
                "password": admin.password,
                "csrf_token": csrf_token(login.text),
            },
        )
        assert signed_in.status_code == 303, signed_in.text
        for path in ("/channels", "/channels?check=1", f"/posts/{failed_post}"):
            page = browser.get(path)
            assert page.status_code == 200, (path, page.status_code)
            secrets_seen.saw(f"the page {path}", page.text + str(page.headers))


def database_bytes(database: Database) -> str:
    """The database as stored: a SQLite file and its journal, byte for byte, or a PostgreSQL
    dump of every table; and every row as text."""
    url = make_url(database.url)
    if database.is_sqlite:
        path = Path(url.database or "")
        stored = b"".join(found.read_bytes() for found in sorted(path.parent.glob(path.name + "*")))
        dumped = stored.decode("latin-1")
    else:
        dumped = subprocess.run(
            ["pg_dump", "--data-only", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
             "-U", url.username or "postgres", url.database or ""],
            env={**os.environ, "PGPASSWORD": url.password or ""},
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout  # fmt: skip
    return dumped + "\n" + everything_stored(database)


def test_no_secret_appears_in_clear_anywhere(
    config: Config,
    database: Database,
    sandbox: RunningSandbox,
    library: TemplateLibrary,
    secrets_seen: Secrets,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    grant = connect_x(database, config, secrets_seen)
    connect_the_others(database, config, sandbox, secrets_seen)
    fail_renewals(database, config, sandbox, grant)
    published = queue_posts(database, config, library, channels=["x-en", "tg", "bsky", "social"])
    [failed] = queue_posts(database, config, library, channels=["x-env"])

    assert command(secrets_seen, capsys, "run", "--drain") == 0
    assert {post.status for post in posts(database, published)} == {PostStatus.PUBLISHED}
    assert posts(database, [failed])[0].status == PostStatus.FAILED
    with database.reading() as session:  # the Bluesky session the daemon made and keeps
        stored = load_secret(session, Sealer.from_environment(), "bsky", SESSION_KIND)
    assert stored is not None
    for name, value in json_fields(stored.value).items():
        if name.endswith("Jwt"):
            secrets_seen.add(f"the Bluesky session's {name}", value)

    assert command(secrets_seen, capsys, "channels", "check") == 1  # x-env's token is refused
    assert command(secrets_seen, capsys, "channels", "check", "--json") == 1
    assert command(secrets_seen, capsys, "log") == 0
    assert command(secrets_seen, capsys, "--json", "log") == 0
    read_pages(database, config, secrets_seen, failed)
    with pytest.MonkeyPatch.context() as patch:  # a wrong key: the one-line refusal
        patch.setenv(VAULT_KEY, secrets.token_urlsafe(32))
        assert command(secrets_seen, capsys, "run", "--drain") == 1
    secrets_seen.saw("the database", database_bytes(database))
    secrets_seen.saw(
        "the logs", caplog.text + "\n".join(str(record.__dict__) for record in caplog.records)
    )

    # The run did what it says: each place holds what a leak would be found in.
    assert (
        "renewing the access token" in secrets_seen.places["the output of tidings channels check"]
    )
    assert "@tidings_demo" in secrets_seen.places["the page /channels?check=1"]
    assert "@tidings_demo" in secrets_seen.places["the database"]
    assert len(secrets_seen.found) == 15
    leaks = secrets_seen.leaks()
    assert not leaks, "\n".join(leaks)


def json_fields(text: str) -> dict[str, str]:
    found = json.loads(text)
    return {key: value for key, value in found.items() if isinstance(value, str)}
