"""The vault: tokens an admin connected and tokens the daemon obtains (refreshed OAuth tokens,
Bluesky sessions), stored encrypted with AES-GCM under a key derived from ``TIDINGS_SECRET_KEY``.

Each value is sealed with a fresh 96-bit nonce and bound to its channel and kind as associated
data, so a ciphertext copied to another row does not decrypt. A key that does not open the
vault is said once, at start (``check_vault_key``), never discovered post by post; changing
the key is ``scheduler.key_rotation``.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import datetime
from functools import cache, partial
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Select, String
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from drafts.channels import ChannelBase
from drafts.errors import ConfigError, StorageUnavailable
from drafts.models import Connection, StoredCredential
from drafts.row_batches import one_of
from drafts.storage import Database
from drafts.times import utcnow
from scheduler.credentials import (
    MIN_VAULT_KEY_LENGTH,
    REFRESH_KIND,
    TOKEN_KIND,
    VAULT_KEY,
    remember,
    vault_key_problem,
    vault_key_trouble,
)
from scheduler.holding import sending_for
from scheduler.platforms.base import StoredSecret

_NONCE_BYTES = 12
credential_table = StoredCredential.__table__  # type: ignore[attr-defined]


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
        """The sealed value; ``ConfigError`` when this key does not open it."""
        plain = self.try_open(ciphertext, channel=channel, kind=kind)
        if plain is None:
            raise ConfigError(wrong_key(channel, kind))
        return plain

    def try_open(self, ciphertext: str, *, channel: str, kind: str) -> str | None:
        """The sealed value, or None when this key (or this row) is not the one it was sealed
        with: a changed key, or a ciphertext moved to another row."""
        try:
            raw = base64.b64decode(ciphertext, validate=True)
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(channel, kind))
        except (InvalidTag, ValueError):  # ValueError: not base64, or too short for a nonce
            return None
        return plain.decode("utf-8")


def _aad(channel: str, kind: str) -> bytes:
    return f"{channel}\x00{kind}".encode()


# How each kind of vault secret is named to a person.
_KIND_WORDS = {
    TOKEN_KIND: "token",
    REFRESH_KIND: "refresh token",
    "bluesky_session": "Bluesky session",
    "mastodon_app": "Mastodon app",
}


def secret_words(channel: str, kind: str) -> str:
    """``the stored token of channel x-en``: a vault row as a person reads it."""
    return f"the stored {_KIND_WORDS.get(kind, kind)} of channel {channel}"


def wrong_key(channel: str, kind: str) -> str:
    """The one line for a ``TIDINGS_SECRET_KEY`` that does not open a stored secret."""
    return (
        f"{VAULT_KEY} does not open {secret_words(channel, kind)}: the key changed? "
        f"(rotate with `tidings secrets rotate --old-key-env NAME`, NAME holding the old key)"
    )


def check_vault_key(
    database: Database,
    channels: Sequence[ChannelBase],
    environment: Mapping[str, str] = os.environ,
    *,
    renews: bool = True,
) -> None:
    """Refuse to start (``ConfigError``, one line) when ``TIDINGS_SECRET_KEY`` is missing or
    too short and channels need it, or does not open a secret the vault keeps for one of
    ``channels``: a post would otherwise fail when it is due, or a platform be sent garbage.

    Connected channels need the key; so do the channels whose tokens Tidings renews when this
    process ``renews`` them (the daemon; not the web). Every stored secret is opened, not just
    one: a daemon left running with the old key during a rotation may have sealed a renewed
    token with it. Each value opened is known to ``scrub`` from then on. A database that
    cannot be read for now is not a reason to stop (the daemon waits it out); the first
    secret it opens then says what is wrong."""
    ids = [channel.id for channel in channels]
    try:
        with database.reading() as session:
            rows = session.exec(
                select(StoredCredential)
                .where(col(StoredCredential.channel).in_(ids))
                .order_by(col(StoredCredential.channel), col(StoredCredential.kind))
            ).all()
            connected = set(
                session.exec(select(Connection.channel).where(col(Connection.channel).in_(ids)))
            )
    except StorageUnavailable:
        return
    needing = [c for c in channels if c.id in connected or (renews and c.keeps_tokens)]
    if problem := vault_key_problem(needing, environment, stored=connected):
        raise ConfigError(problem)
    if vault_key_trouble(environment) is not None:
        return  # no key to open anything with, and nothing here needs one
    key = environment[VAULT_KEY]
    remember(key)
    sealer = Sealer(key)
    for row in rows:
        value = sealer.try_open(row.ciphertext, channel=row.channel, kind=row.kind)
        if value is None:
            raise ConfigError(wrong_key(row.channel, row.kind))
        remember(value)


def load_secret(session: Session, sealer: Sealer, channel: str, kind: str) -> StoredSecret | None:
    row = session.get(StoredCredential, (channel, kind))
    if row is None:
        return None
    return StoredSecret(sealer.open(row.ciphertext, channel=channel, kind=kind), row.expires_at)


Sealed = tuple[str, datetime | None]  # a vault row as stored: its ciphertext, when it expires
_Key = tuple[str, str]  # (channel, kind)


def _sealed_rows(session: Session, keys: Collection[_Key]) -> dict[_Key, Sealed]:
    """The stored rows among ``keys``, in one statement."""
    connection = session.connection()
    rows = connection.execute(
        _sealed_query(connection.dialect.name == "postgresql"),
        {
            "channels": list({channel for channel, _ in keys}),
            "kinds": list({kind for _, kind in keys}),
        },
    )
    return {(ch, kind): (text, at) for ch, kind, text, at in rows if (ch, kind) in keys}


@cache
def _sealed_query(postgres: bool) -> Select[Any]:
    """The rows of the channels ``:channels`` of the kinds ``:kinds``: built once for each
    backend, each list one array on PostgreSQL (``drafts.row_batches.one_of``), so that the
    daemon's read of a claim's tokens is one statement text whatever the claim's channels."""
    c = credential_table.c
    return core_select(c.channel, c.kind, c.ciphertext, c.expires_at).where(
        one_of(c.channel, "channels", String(), postgres),
        one_of(c.kind, "kinds", String(), postgres),
    )


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
    transaction off the event loop); the key is read when a token is first needed.

    Every attempt loads its channel's token just before it sends. The daemon reads the tokens
    of a claim's posts in the claim's own transaction (``read_along``): each post's first load
    of it, in its attempt, is answered from there, so the requests go out at once instead of
    waiting for a read behind the daemon's other transactions on its one database thread. Any
    other load (a second in the attempt, as a renewal checks what another daemon stored) reads
    the database: the loads asked for while a read is on its way are answered together by the
    next read, one transaction for them all instead of one each."""

    def __init__(self, db: Callable[[Callable[[Session], Any]], Awaitable[Any]]) -> None:
        self._db = db
        self._sealer: Sealer | None = None
        self._wanted: dict[_Key, list[asyncio.Future[Sealed | None]]] = {}
        self._reading: asyncio.Task[None] | None = None
        self._read_along: dict[int, tuple[_Key, Sealed | None]] = {}

    def read_along(self, session: Session, channels: Mapping[int, str]) -> None:
        """Read the token of each claimed post's channel (``channels``, by post id) in the
        claim's transaction, for that post's first load of it (``sending_for``). Run on the
        database thread; the posts of the claim before are forgotten (their loads are done,
        or read the database)."""
        keys = {(channel, TOKEN_KIND) for channel in channels.values()}
        found = _sealed_rows(session, keys)
        self._read_along = {
            post_id: ((channel, TOKEN_KIND), found.get((channel, TOKEN_KIND)))
            for post_id, channel in channels.items()
        }

    def _key(self) -> Sealer:
        if self._sealer is None:
            self._sealer = Sealer.from_environment()
        return self._sealer

    async def load(self, channel: str, kind: str) -> StoredSecret | None:
        """The stored secret, or None; the key is needed only when there is one to open."""
        row = await self._sealed(channel, kind)
        if row is None:
            return None
        ciphertext, expires_at = row
        value = self._key().open(ciphertext, channel=channel, kind=kind)
        remember(value)
        return StoredSecret(value, expires_at)

    async def _sealed(self, channel: str, kind: str) -> Sealed | None:
        """The row as stored: read along with the claim, for a post's first load of its
        token; else read after this call with the others asked for meanwhile."""
        post_id = sending_for.get()
        read = self._read_along  # the database thread replaces it whole, never changes it
        along = read.get(post_id) if post_id is not None else None
        if post_id is not None and along is not None and along[0] == (channel, kind):
            read.pop(post_id, None)
            return along[1]
        answer: asyncio.Future[Sealed | None] = asyncio.get_running_loop().create_future()
        self._wanted.setdefault((channel, kind), []).append(answer)
        if self._reading is None or self._reading.done():
            self._reading = asyncio.create_task(self._read_wanted())
        return await answer

    async def _read_wanted(self) -> None:
        """Read what is wanted, one transaction at a time, until nothing more is."""
        while self._wanted:
            wanted, self._wanted = self._wanted, {}
            try:
                found = await self._db(partial(_sealed_rows, keys=set(wanted)))
            except asyncio.CancelledError:
                for answers in wanted.values():
                    for answer in answers:
                        answer.cancel()
                raise
            except Exception as error:  # each load raises it, as it did on its own
                for answers in wanted.values():
                    _answer(answers, error=error)
                continue
            for key, answers in wanted.items():
                _answer(answers, found.get(key))

    async def save(self, channel: str, kind: str, value: str, expires_at: datetime | None) -> None:
        remember(value)
        self._forget_read_along((channel, kind))
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
        self._forget_read_along((channel, kind))  # a claim may have read it before the save

    def _forget_read_along(self, key: _Key) -> None:
        self._read_along = {
            post: along for post, along in self._read_along.items() if along[0] != key
        }


def _answer(
    answers: list[asyncio.Future[Sealed | None]],
    row: Sealed | None = None,
    *,
    error: Exception | None = None,
) -> None:
    for answer in answers:
        if answer.done():  # the load asking for it was cancelled
            continue
        if error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(row)
