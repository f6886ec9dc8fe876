"""Changing ``TIDINGS_SECRET_KEY``: every secret in the vault re-sealed from the old key to the
new one, in one transaction, or nothing changed at all.

A secret the old key does not open stops the rotation before anything is written: re-sealing
only some rows would leave a vault that no key opens whole. A connect flow under way keeps a
PKCE verifier sealed under the old key; its state row is deleted (the admin starts connecting
again), since nobody can finish that flow once the web restarts with the new key.

The rotation cannot see a ``tidings web`` that is running, but it refuses while a daemon is
(its last heartbeat is recent): a daemon renewing a token under the old key meanwhile would
seal it with a key nobody has any more.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from drafts.errors import ConfigError
from drafts.models import DaemonHeartbeat, OAuthState, StoredCredential
from scheduler.credentials import MIN_VAULT_KEY_LENGTH, VAULT_KEY, remember, vault_key_trouble
from scheduler.heartbeat import host_key, process_ended
from scheduler.vault import Sealer, secret_words


@dataclass(frozen=True)
class Keys:
    """The key the vault is sealed with now (``old``, from the variable ``old_variable``) and
    the one it is to be sealed with (``TIDINGS_SECRET_KEY``)."""

    old_variable: str
    old: Sealer
    new: Sealer


@dataclass(frozen=True)
class Rotation:
    """What a rotation did: how many secrets of how many channels it re-sealed, and how many
    connect flows under way it dropped."""

    secrets: int
    channels: int
    dropped_flows: int


def rotation_keys(old_variable: str, environment: Mapping[str, str]) -> Keys:
    """Both keys, read from the environment and checked; ``ConfigError`` naming the variable
    when one is missing or short, or when both are the same key."""
    if old_variable == VAULT_KEY:
        raise ConfigError(
            f"--old-key-env: name the variable holding the old key, not {VAULT_KEY} "
            "(which holds the new one)"
        )
    old = environment.get(old_variable, "")
    if not old:
        raise ConfigError(f"--old-key-env: {old_variable} is not set: it must hold the old key")
    if len(old) < MIN_VAULT_KEY_LENGTH:
        raise ConfigError(
            f"{old_variable}: shorter than {MIN_VAULT_KEY_LENGTH} characters: "
            "no vault was sealed with it"
        )
    if trouble := vault_key_trouble(environment):
        raise ConfigError(f"{VAULT_KEY}: {trouble}: it must hold the new key")
    new = environment[VAULT_KEY]
    remember(old)
    remember(new)
    if old == new:
        raise ConfigError(
            f"{old_variable} and {VAULT_KEY} hold the same key: put the new key in {VAULT_KEY} "
            f"and the old one in {old_variable}"
        )
    return Keys(old_variable, Sealer(old), Sealer(new))


def running_daemons(session: Session, *, now: datetime, lease: timedelta) -> list[str]:
    """The daemons alive now: a heartbeat within ``lease``, and, on this host, a process that
    has not ended (a daemon killed a moment ago does not hold the rotation up)."""
    here = host_key(socket.gethostname())
    alive = []
    for row in session.exec(select(DaemonHeartbeat).where(DaemonHeartbeat.beat_at > now - lease)):
        if not (row.host_key == here and process_ended(row.pid)):
            alive.append(row.worker)
    return sorted(alive)


def rotate(session: Session, keys: Keys, *, now: datetime, lease: timedelta) -> Rotation:
    """Re-seal every vault secret from ``keys.old`` to ``keys.new`` in ``session``'s
    transaction. ``ConfigError``, having written nothing (the caller's transaction rolls back),
    naming the first secret the old key does not open, or the daemons still running (a
    heartbeat within ``lease`` of ``now``)."""
    if running := running_daemons(session, now=now, lease=lease):
        raise ConfigError(
            f"a daemon is running ({', '.join(running)}): stop every `tidings run` and "
            f"`tidings web`, rotate, then start them again with the new {VAULT_KEY}"
        )
    rows = session.exec(
        select(StoredCredential)
        .order_by(col(StoredCredential.channel), col(StoredCredential.kind))
        .with_for_update()  # PostgreSQL: nobody renews a token under the old key meanwhile
    ).all()
    opened = [(row, _open(row, keys)) for row in rows]
    for row, value in opened:
        row.ciphertext = keys.new.seal(value, channel=row.channel, kind=row.kind)
        session.add(row)
    dropped = session.connection().execute(delete(OAuthState)).rowcount
    session.flush()
    return Rotation(
        secrets=len(opened), channels=len({row.channel for row in rows}), dropped_flows=dropped
    )


def _open(row: StoredCredential, keys: Keys) -> str:
    value = keys.old.try_open(row.ciphertext, channel=row.channel, kind=row.kind)
    if value is None:
        already = keys.new.try_open(row.ciphertext, channel=row.channel, kind=row.kind)
        hint = f" (it opens with {VAULT_KEY}: rotated already?)" if already is not None else ""
        raise ConfigError(
            f"{secret_words(row.channel, row.kind)} does not open with the key in "
            f"{keys.old_variable}: is it the old key?{hint} Nothing was changed."
        )
    remember(value)
    return value
