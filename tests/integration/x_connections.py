"""An X channel connected with tokens the sandbox issued (so the sandbox knows when they are
spent, expired or granted to another client), and what the vault and the sandbox say of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from drafts.config import Config, parse_config
from drafts.models import Connection
from drafts.storage import Database
from scheduler.connections import REFRESH, TOKEN, Grant, Tokens, save_connection
from scheduler.sandbox.oauth import Consent, account_for, issue_token, issued_token
from scheduler.sandbox.server import RunningSandbox
from scheduler.vault import Sealer, load_secret

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access")
TOKEN_PATH = "/2/oauth2/token"


def x_config(base_url: str, channel_extra: str = "") -> Config:
    return parse_config(
        f"""
[tidings]
timezone = "Asia/Seoul"
[oauth.x]
client_id_env = "TIDINGS_T_X_CLIENT_ID"
client_secret_env = "TIDINGS_T_X_CLIENT_SECRET"
[[channels]]
id = "x-en"
platform = "x"
languages = ["en"]
base_url = "{base_url}"
{channel_extra}
""",
        Path("config.toml"),
    )


def connect_x(
    database: Database,
    config: Config,
    sandbox: RunningSandbox,
    client_id: str,
    *,
    expires_at: datetime,
    access_ttl: timedelta = timedelta(hours=2),
    now: datetime = T0,
) -> Tokens:
    """Connect x-en at ``now`` with tokens the sandbox issued to ``client_id``: an access
    token living ``access_ttl`` there (the daemon believes ``expires_at``), a refresh token."""
    consent = Consent("x", client_id, SCOPES, account_for(sandbox.state, "x"))
    tokens = Tokens(
        issue_token(sandbox.state, consent, ttl=access_ttl),
        expires_at=expires_at,
        refresh=issue_token(sandbox.state, consent, kind="refresh", ttl=None),
        scopes=SCOPES,
    )
    with database.writing() as session:
        save_connection(
            session,
            Sealer.from_environment(),
            channel=config.channels[0],
            grant=Grant(tokens, account_id=consent.account.id, account_name="@tidings"),
            connected_by="hana",
            now=now,
        )
    return tokens


def stored(database: Database) -> tuple[Connection, str, str]:
    """x-en's connection row, its stored token and refresh token."""
    sealer = Sealer.from_environment()
    with database.reading() as session:
        row = session.get(Connection, "x-en")
        token = load_secret(session, sealer, "x-en", TOKEN)
        refresh = load_secret(session, sealer, "x-en", REFRESH)
    assert row is not None and token is not None and refresh is not None
    return row, token.value, refresh.value


def token_requests(sandbox: RunningSandbox) -> int:
    return len(sandbox.state.requests("x", path=TOKEN_PATH))


def live(sandbox: RunningSandbox, token: str) -> bool:
    """Whether ``token`` is one the sandbox issued and would accept now."""
    issued = issued_token(sandbox.state, token)
    return issued is not None and issued.failure(sandbox.state.now()) is None
