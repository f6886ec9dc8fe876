"""The key that signs session cookies must be long and random enough that nobody forges a
session; a weak one stops the app with one line naming the variable, never its value."""

from __future__ import annotations

import secrets

import pytest

from drafts.errors import ConfigError
from tidings.web.session_key import VAULT_SECRET_VARIABLE, WEB_SECRET_VARIABLE, session_key

MAKE_ONE = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


@pytest.mark.parametrize(
    ("weak", "problem"),
    [
        ("aaaaaaaaaaaaaaaa", "shorter than 32 characters"),
        ("a" * 32, "too few different characters to be random"),
        ("ab" * 32, "too few different characters to be random"),
        ("tidings!" * 4, "too few different characters to be random"),
    ],
)
def test_a_weak_web_secret_is_refused(weak: str, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        session_key({WEB_SECRET_VARIABLE: weak})
    message = str(raised.value)
    assert message.startswith(
        f"{WEB_SECRET_VARIABLE}: too weak to sign session cookies ({problem})"
    )
    assert MAKE_ONE in message
    assert weak not in message


def test_a_weak_vault_key_asks_for_a_web_secret_rather_than_a_new_vault_key() -> None:
    with pytest.raises(ConfigError) as raised:
        session_key({VAULT_SECRET_VARIABLE: "z" * 40})
    assert str(raised.value).startswith(f"{VAULT_SECRET_VARIABLE}: too weak")
    assert f"set {WEB_SECRET_VARIABLE}" in str(raised.value)


def test_random_keys_as_the_message_suggests_are_taken() -> None:
    for _ in range(200):
        key = secrets.token_urlsafe(32)
        assert session_key({WEB_SECRET_VARIABLE: key}) == key
        assert session_key({WEB_SECRET_VARIABLE: secrets.token_hex(16)})  # openssl rand -hex 16
