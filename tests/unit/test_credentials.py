"""Secrets are checked when read, and scrubbed from any text that quotes them."""

from __future__ import annotations

import secrets

import pytest

from drafts.channels import BlueskyChannel, MastodonChannel, XChannel
from drafts.errors import ConfigError
from scheduler.credentials import (
    REDACTED,
    check_credentials,
    checked,
    remember,
    scrub,
    vault_key_problem,
)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("{token}\r\n", "holds a line break or another control character"),
        ("{token}\n", "holds a line break or another control character"),
        ("Bearer\t{token}", "holds a line break or another control character"),
        ("{token}\x7f", "holds a line break or another control character"),
        (" {token}", "begins or ends with a space"),
        ("{token} ", "begins or ends with a space"),
    ],
)
def test_a_malformed_secret_is_a_config_error_naming_the_variable_not_the_value(
    value: str, problem: str
) -> None:
    token = secrets.token_urlsafe(24)
    with pytest.raises(ConfigError) as raised:
        checked("TIDINGS_MASTODON_TOKEN", value.format(token=token))
    assert str(raised.value) == f"TIDINGS_MASTODON_TOKEN: {problem}"


def test_every_variable_a_channel_names_is_checked() -> None:
    channel = XChannel(
        id="x-en",
        platform="x",
        languages=("en",),
        token_env="X_TOKEN",
        refresh_token_env="X_REFRESH",
        client_id_env="X_CLIENT",
    )
    fine = {
        "X_TOKEN": secrets.token_urlsafe(24),
        "X_CLIENT": "client-id",
        "TIDINGS_SECRET_KEY": secrets.token_urlsafe(32),
    }
    check_credentials([channel], fine)
    with pytest.raises(ConfigError, match=r"^X_REFRESH: holds a line break"):
        check_credentials([channel], {**fine, "X_REFRESH": secrets.token_urlsafe(24) + "\n"})


def test_channels_that_keep_tokens_need_the_vault_key_before_the_daemon_starts() -> None:
    x = XChannel(id="x-en", platform="x", languages=("en",), token_env="X_TOKEN")
    bluesky = BlueskyChannel(
        id="bluesky",
        platform="bluesky",
        languages=("en",),
        handle="a.bsky.social",
        password_env="BSKY",
    )
    mastodon = MastodonChannel(
        id="social",
        platform="mastodon",
        languages=("en",),
        base_url="https://m.example",
        token_env="M_TOKEN",
    )
    check_credentials([mastodon], {})  # nothing keeps tokens: no key needed
    check_credentials([x, bluesky, mastodon], {"TIDINGS_SECRET_KEY": "sixteen chars!!!"})
    with pytest.raises(ConfigError) as raised:
        check_credentials([x, mastodon, bluesky], {})
    assert str(raised.value) == (
        "TIDINGS_SECRET_KEY: not set; channels x-en, bluesky keep refreshed tokens in the vault "
        "and need it"
    )
    assert str(vault_key_problem([bluesky], {"TIDINGS_SECRET_KEY": "fifteen chars!!"})) == (
        "TIDINGS_SECRET_KEY: shorter than 16 characters; channel bluesky keeps refreshed tokens "
        "in the vault and needs it"
    )


def test_an_error_quoting_a_secret_is_scrubbed_however_it_is_quoted() -> None:
    token = secrets.token_urlsafe(24) + "\r\n"
    remember(token)
    quoting = [
        f"refused: {token}",
        f"Illegal header value {f'Bearer {token}'.encode()!r}",  # as h11 quotes a header
        f'{{"token": "{token.strip()}"}}',  # a platform echoing the token without the break
        f"{token!r}",
    ]
    for message in quoting:
        cleaned = scrub(message)
        assert REDACTED in cleaned
        assert token.strip() not in cleaned, cleaned


def test_text_without_secrets_is_left_alone() -> None:
    remember(secrets.token_urlsafe(24))
    assert scrub("refused (401): the access token is invalid") == (
        "refused (401): the access token is invalid"
    )
