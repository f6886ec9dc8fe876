"""No token, refresh token, app password, client secret or PKCE verifier appears in clear (nor
base64- or URL-encoded) anywhere Tidings writes: SQLite's file bytes or a PostgreSQL dump, logs
captured at DEBUG, what the command line prints, the web app's pages.

Everything runs for real, the web app served over loopback and the sandbox beside it: an admin
connects X and Mastodon from the Channels page through the sandbox's consent page (Mastodon's
app registered on the instance first), Telegram and Bluesky with their forms (a bot token, an
app password), and leaves a second connect flow waiting; the daemon publishes to each, an X
channel configured with environment variables fails to renew its token, and so does the
daemon's renewal of the connected one ahead of its expiry; `channels check` runs (text and JSON), `tidings log`, a run with a wrong key,
and the Channels page is read, checked and not. Every secret is made at run time."""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, quote_plus, urlsplit

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import select

from drafts.config import Config, parse_config
from drafts.lifecycle import PostStatus
from drafts.models import Connection, OAuthState
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role
from scheduler.connect import flow
from scheduler.connect.mastodon import stored_app
from scheduler.connections import MASTODON_APP, REFRESH, TOKEN
from scheduler.credentials import VAULT_KEY
from scheduler.platforms.bluesky_sessions import SESSION_KIND
from scheduler.sandbox import RunningSandbox
from scheduler.sandbox.bluesky import add_account
from scheduler.sandbox.consent_client import answer_consent
from scheduler.sandbox.oauth import register_oauth_app, revoke_token
from scheduler.vault import Sealer, load_secret, save_secret
from tests.conftest import everything_stored
from tests.integration.command_line import use_folder
from tests.integration.connected import bot_token
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


@contextmanager
def signed_in(database: Database, origin: str) -> Iterator[httpx.Client]:
    """An admin's browser on the web app at ``origin``, signed in."""
    admin = add_people(database, {"hana": Role.ADMIN})["hana"]
    with httpx.Client(base_url=origin, timeout=30) as browser:
        form = browser.get("/login")
        signed = browser.post(
            "/login",
            data={
                "name": admin.name,
                "password": admin.password,
                "csrf_token": csrf_token(form.text),
            },
        )
        assert signed.status_code == 303, signed.text
        yield browser


def press_connect(browser: httpx.Client, channel: str, secrets_seen: Secrets) -> str:
    """Press Connect on an OAuth channel's card; where it sends the admin (the consent page)."""
    page = browser.get("/channels")
    started = browser.post(
        f"/channels/{channel}/connect", data={"csrf_token": csrf_token(page.text)}
    )
    secrets_seen.saw(f"the page /channels/{channel}/connect", started.text + str(started.headers))
    assert started.status_code == 303, started.text
    return started.headers["location"]


def connect_oauth(
    browser: httpx.Client, database: Database, channel: str, secrets_seen: Secrets
) -> None:
    """Connect ``channel`` from the Channels page: Connect, the sandbox's consent page, back to
    the callback. The state and the code travel in URLs by OAuth's design (a browser's history,
    a proxy's log), so they are not scanned for; the state is stored only as a digest."""
    consent = press_connect(browser, channel, secrets_seen)
    secrets_seen.add(f"{channel}'s PKCE verifier", verifier_of(database, channel))
    with httpx.Client() as elsewhere:  # the platform's page, on its own origin
        back = answer_consent(elsewhere, consent)
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["location"])
    assert f"{callback.scheme}://{callback.netloc}" == PUBLIC_URL
    came_back = browser.get(f"{callback.path}?{callback.query}")
    secrets_seen.saw(f"the page {callback.path}", came_back.text + str(came_back.headers))
    assert came_back.status_code == 303, came_back.text


def connect_with_secret(
    browser: httpx.Client, channel: str, secret: str, secrets_seen: Secrets
) -> None:
    """Connect ``channel`` with its form: a bot token or an app password, checked first."""
    form = browser.get(f"/channels/{channel}/connect")
    sent = browser.post(
        f"/channels/{channel}/connect", data={"csrf_token": csrf_token(form.text), "secret": secret}
    )
    secrets_seen.saw(f"the page /channels/{channel}/connect", form.text + sent.text)
    assert sent.status_code == 303, sent.text


def verifier_of(database: Database, channel: str) -> str:
    """The PKCE verifier of the flow under way for ``channel``, opened with the key."""
    with database.reading() as session:
        rows = session.exec(select(OAuthState).where(OAuthState.channel == channel)).all()
    waiting = max((row for row in rows if row.used_at is None), key=lambda row: row.created_at)
    return Sealer.from_environment().open(
        waiting.verifier, channel=channel, kind=flow.VERIFIER_KIND
    )


def connect_everything(
    browser: httpx.Client, database: Database, config: Config, sandbox: RunningSandbox,
    secrets_seen: Secrets,
) -> None:  # fmt: skip
    """X and Mastodon through their consent pages (Mastodon's app registered on the instance
    first), Telegram and Bluesky with their forms; a second X flow begun and left waiting."""
    connect_oauth(browser, database, "x-en", secrets_seen)
    connect_oauth(browser, database, "social", secrets_seen)
    token = bot_token()
    secrets_seen.add("the Telegram bot token", token.partition(":")[2])
    connect_with_secret(browser, "tg", token, secrets_seen)
    password = app_password()
    add_account(
        sandbox.state, HANDLE, password=secrets.token_urlsafe(16), app_passwords=(password,)
    )
    secrets_seen.add("the Bluesky app password", password)
    connect_with_secret(browser, "bsky", password, secrets_seen)
    press_connect(browser, "x-en", secrets_seen)
    secrets_seen.add("a waiting flow's PKCE verifier", verifier_of(database, "x-en"))
    sealer = Sealer.from_environment()
    with database.reading() as session:
        stored = {
            (channel, kind): load_secret(session, sealer, channel, kind)
            for channel, kind in (("x-en", TOKEN), ("x-en", REFRESH), ("social", TOKEN),
                                  ("social", MASTODON_APP))
        }  # fmt: skip
    for (channel, kind), secret in stored.items():
        assert secret is not None, (channel, kind)
        if kind != MASTODON_APP:
            secrets_seen.add(f"{channel}'s {kind} token", secret.value)
    app = stored_app(
        stored[("social", MASTODON_APP)].value,  # type: ignore[union-attr]
        config.channel("social"),  # type: ignore[arg-type]
        redirect_uri=f"{PUBLIC_URL}/channels/social/callback",
    )
    assert app is not None
    secrets_seen.add("the app Mastodon registered: its client secret", app.secret)


def fail_renewals(database: Database, sandbox: RunningSandbox) -> None:
    """Renewals the daemon will try and X will refuse: x-env's stored token has expired (it
    renews with the refresh token of its environment), and the connected x-en's token expires
    within the quarter hour (renewed ahead, with its refresh token, now revoked)."""
    soon = utcnow() + timedelta(minutes=10)
    with database.writing() as session:
        sealer = Sealer.from_environment()
        save_secret(
            session, sealer, "x-env", TOKEN, secrets.token_urlsafe(32),
            utcnow() - timedelta(minutes=5),
        )  # fmt: skip
        token, refresh = (load_secret(session, sealer, "x-en", kind) for kind in (TOKEN, REFRESH))
        assert token is not None and refresh is not None
        save_secret(session, sealer, "x-en", TOKEN, token.value, soon)
        connected = session.get(Connection, "x-en")
        assert connected is not None
        connected.expires_at = soon
        session.add(connected)
    assert revoke_token(sandbox.state, refresh.value) is not None
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


def use_an_api_token(browser: httpx.Client, secrets_seen: Secrets) -> None:
    """An API token made on the Tokens page (the one page that shows it, once), then used:
    the API's answers, the Tokens page after, and whatever the requests left stored."""
    page = browser.get("/tokens")
    made = browser.post(
        "/tokens",
        data={"name": "intranet", "scopes": "admin", "csrf_token": csrf_token(page.text)},
    )
    assert made.status_code == 200, made.text
    (token,) = set(re.findall(r"tdg_[A-Za-z0-9_-]{20,}", made.text))
    secrets_seen.add("the API token", token)
    bearer = {"Authorization": f"Bearer {token}"}
    for path in ("/api/v1/posts", "/api/v1/channels", "/api/v1/drafts"):
        answer = browser.get(path, headers=bearer)
        assert answer.status_code == 200, (path, answer.text)
        secrets_seen.saw(f"the API's answer to {path}", answer.text + str(answer.headers))
    listed = browser.get("/tokens")
    assert "intranet" in listed.text
    secrets_seen.saw("the page /tokens", listed.text)


def read_pages(browser: httpx.Client, secrets_seen: Secrets, failed_post: int) -> None:
    """The Channels page (plain and checked) and a failed post's page, as an admin sees them."""
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


def run_everything(
    database: Database,
    secrets_seen: Secrets,
    capsys: pytest.CaptureFixture[str],
    published: list[int],
    failed: int,
) -> None:
    """The daemon publishes (x-env's renewal refused), then `channels check`, `tidings log`
    and a run with a wrong key; the Bluesky session the daemon made joins the secrets."""
    assert command(secrets_seen, capsys, "run", "--drain") == 0
    assert {post.status for post in posts(database, published)} == {PostStatus.PUBLISHED}
    assert posts(database, [failed])[0].status == PostStatus.FAILED
    with database.reading() as session:  # the daemon's renewal of x-en was refused
        connected = session.get(Connection, "x-en")
    assert connected is not None and connected.refresh_error
    with database.reading() as session:
        stored = load_secret(session, Sealer.from_environment(), "bsky", SESSION_KIND)
    assert stored is not None
    for name, value in json.loads(stored.value).items():
        if name.endswith("Jwt"):
            secrets_seen.add(f"the Bluesky session's {name}", value)
    assert command(secrets_seen, capsys, "channels", "check") == 1  # x-env's token is refused
    assert command(secrets_seen, capsys, "channels", "check", "--json") == 1
    assert command(secrets_seen, capsys, "log") == 0
    assert command(secrets_seen, capsys, "--json", "log") == 0
    with pytest.MonkeyPatch.context() as patch:  # a wrong key: the one-line refusal
        patch.setenv(VAULT_KEY, secrets.token_urlsafe(32))
        assert command(secrets_seen, capsys, "run", "--drain") == 1


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
    # Queued first: once the admin exists, only an admin adds users.
    published = queue_posts(database, config, library, channels=["x-en", "tg", "bsky", "social"])
    [failed] = queue_posts(database, config, library, channels=["x-env"])
    with serving(create_app(config, database)) as origin, signed_in(database, origin) as browser:
        connect_everything(browser, database, config, sandbox, secrets_seen)
        fail_renewals(database, sandbox)
        run_everything(database, secrets_seen, capsys, published, failed)
        read_pages(browser, secrets_seen, failed)
        use_an_api_token(browser, secrets_seen)
    secrets_seen.saw("the database", database_bytes(database))
    secrets_seen.saw(
        "the logs", caplog.text + "\n".join(str(record.__dict__) for record in caplog.records)
    )

    # The run did what it says: each place holds what a leak would be found in.
    check = secrets_seen.places["the output of tidings channels check"]
    assert "renewing the access token" in check and "connected as @tidings_demo" in check
    assert "@tidings_demo" in secrets_seen.places["the page /channels?check=1"]
    assert "@tidings_demo" in secrets_seen.places["the database"]
    assert len(secrets_seen.found) == 18, sorted(secrets_seen.found)
    leaks = secrets_seen.leaks()
    assert not leaks, "\n".join(leaks)
