"""The vault: tokens the daemon obtains (refreshed OAuth tokens, Bluesky sessions), stored
encrypted with AES-GCM under a key derived from ``TIDINGS_SECRET_KEY``.

Each value is sealed with a fresh 96-bit nonce and bound to its channel and kind as associated
data, so a ciphertext copied to another row does not decrypt.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlmodel import Session

from drafts.errors import ConfigError
from drafts.models import StoredCredential
from drafts.times import utcnow
from scheduler.credentials import MIN_VAULT_KEY_LENGTH, VAULT_KEY, remember
from scheduler.platforms.base import StoredSecret

_NONCE_BYTES = 12


class Sealer:
    """Encrypts and decrypts vault values with one key."""

    def __init__(self, passphrase: str) -> None:
        if len(passphrase) < MIN_VAULT_KEY_LENGTH:
            raise ConfigError(f"{VAULT_KEY}: use at least {MIN_VAULT_KEY_LENGTH} characters")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"tidings-vault-v1", info=b"aes-gcm")
        self._aead = AESGCM(key.derive(passphrase.encode("utf-8")))

    @classmethod
    def from_environment(cls) -> Sealer:
        passphrase = os.environ.get(VAULT_KEY, "")
        if not passphrase:
            raise ConfigError(
                f"{VAULT_KEY} is not set: it encrypts the tokens Tidings stores "
                '(make one with: python -c "import secrets; print(secrets.token_urlsafe(32))")'
            )
        remember(passphrase)
        return cls(passphrase)

    def seal(self, value: str, *, channel: str, kind: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), _aad(channel, kind))
        return base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, ciphertext: str, *, channel: str, kind: str) -> str:
        raw = base64.b64decode(ciphertext)
        try:
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(channel, kind))
        except InvalidTag:
            raise ConfigError(
                f"stored {kind} for channel {channel} does not decrypt: {VAULT_KEY} changed?"
            ) from None
        return plain.decode("utf-8")


def _aad(channel: str, kind: str) -> bytes:
    return f"{channel}\x00{kind}".encode()


def load_secret(session: Session, sealer: Sealer, channel: str, kind: str) -> StoredSecret | None:
    row = session.get(StoredCredential, (channel, kind))
    if row is None:
        return None
    return StoredSecret(sealer.open(row.ciphertext, channel=channel, kind=kind), row.expires_at)


def _sealed(session: Session, channel: str, kind: str) -> tuple[str, datetime | None] | None:
    row = session.get(StoredCredential, (channel, kind))
    return None if row is None else (row.ciphertext, row.expires_at)


def save_secret(
    session: Session,
    sealer: Sealer,
    channel: str,
    kind: str,
    value: str,
    expires_at: datetime | None,
) -> None:
    row = session.get(StoredCredential, (channel, kind)) or StoredCredential(
        channel=channel, kind=kind, ciphertext=""
    )
    row.ciphertext = sealer.seal(value, channel=channel, kind=kind)
    row.expires_at, row.updated_at = expires_at, utcnow()
    session.add(row)


class DatabaseVault:
    """The vault in the Tidings database, reached through ``db`` (which runs work in a
    transaction off the event loop); the key is read when a token is first needed."""

    def __init__(self, db: Callable[[Callable[[Session], Any]], Awaitable[Any]]) -> None:
        self._db = db
        self._sealer: Sealer | None = None

    def _key(self) -> Sealer:
        if self._sealer is None:
            self._sealer = Sealer.from_environment()
        return self._sealer

    async def load(self, channel: str, kind: str) -> StoredSecret | None:
        """The stored secret, or None; the key is needed only when there is one to open."""
        row = await self._db(partial(_sealed, channel=channel, kind=kind))
        if row is None:
            return None
        ciphertext, expires_at = row
        value = self._key().open(ciphertext, channel=channel, kind=kind)
        remember(value)
        return StoredSecret(value, expires_at)

    async def save(self, channel: str, kind: str, value: str, expires_at: datetime | None) -> None:
        remember(value)
        sealer = self._key()
        await self._db(
            partial(
                save_secret,
                sealer=sealer,
                channel=channel,
                kind=kind,
                value=value,
                expires_at=expires_at,
            )
        )
