"""One OAuth connect flow's ``state`` and PKCE verifier, from the Connect button to the callback.

``begin`` makes a ``state`` (RFC 6749 §10.12: it binds the callback to the browser that asked)
and, where the platform takes PKCE, a code verifier and its S256 challenge (RFC 7636 §4.1–4.2).
Only the state's SHA-256 is stored, with the hash of the admin's web session, the verifier
sealed in the vault's way (``Sealer``, kind ``pkce``) and the redirect URI; the flow lasts
``LIFETIME``.

``consume`` takes a state back exactly once: one conditional UPDATE sets ``used_at`` only on an
unused, unexpired row for this channel and this session, so two callbacks racing with the same
state cannot both pass (the database serialises the update). Anything else is a
``StateProblem``, said to the admin, and the row is left as it was.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from drafts.models import OAuthState
from scheduler.vault import Sealer

LIFETIME = timedelta(minutes=10)
# Spent and expired flows are deleted a while after they end, so that a late callback is still
# told its flow expired or was used rather than that it is unknown.
KEPT_AFTER_EXPIRY = timedelta(days=1)
VERIFIER_KIND = "pkce"
# 64 characters from RFC 7636's unreserved set (token_urlsafe's alphabet): 384 random bits,
# within the 43-128 characters §4.1 allows.
_VERIFIER_BYTES = 48
_STATE_BYTES = 32


class StateProblem(StrEnum):
    """Why a callback's ``state`` was refused."""

    MISSING = "missing"  # the callback carried none
    UNKNOWN = "unknown"  # never issued here (forged, or long gone)
    OTHER_CHANNEL = "other_channel"  # issued for connecting another channel
    OTHER_SESSION = (
        "other_session"  # issued to another login (another browser, or logged out since)
    )
    USED = "used"  # its callback came already
    EXPIRED = "expired"  # older than LIFETIME


@dataclass(frozen=True)
class Pkce:
    """A PKCE code verifier and its S256 challenge."""

    verifier: str
    challenge: str


@dataclass(frozen=True)
class Begun:
    """A flow begun: the ``state`` and the challenge (None without PKCE) for the consent URL."""

    state: str
    code_challenge: str | None


@dataclass(frozen=True)
class Consumed:
    """A state taken back: what the token exchange needs from the flow's start."""

    user_id: int
    redirect_uri: str
    verifier: str | None


def new_pkce() -> Pkce:
    """A fresh verifier; challenge = BASE64URL(SHA256(verifier)) without padding (RFC 7636 §4.2)."""
    verifier = secrets.token_urlsafe(_VERIFIER_BYTES)
    return Pkce(verifier, s256(verifier))


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def begin(
    session: Session,
    sealer: Sealer,
    *,
    channel: str,
    session_key: str,
    user_id: int,
    redirect_uri: str,
    pkce: bool,
    now: datetime,
) -> Begun:
    """Store a new flow for ``channel``, bound to the web session ``session_key``; flows ended
    more than ``KEPT_AFTER_EXPIRY`` ago, anyone's, are deleted on the way."""
    session.execute(delete(OAuthState).where(col(OAuthState.expires_at) <= now - KEPT_AFTER_EXPIRY))
    state = secrets.token_urlsafe(_STATE_BYTES)
    made = new_pkce() if pkce else None
    verifier = (
        sealer.seal(made.verifier, channel=channel, kind=VERIFIER_KIND) if made is not None else ""
    )
    session.add(
        OAuthState(
            state_hash=_digest(state),
            channel=channel,
            session_hash=_digest(session_key),
            user_id=user_id,
            verifier=verifier,
            redirect_uri=redirect_uri,
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    return Begun(state, made.challenge if made is not None else None)


def consume(
    session: Session,
    sealer: Sealer,
    *,
    state: str,
    channel: str,
    session_key: str,
    now: datetime,
) -> Consumed | StateProblem:
    """The flow ``state`` began, marked used; or why it cannot be used (nothing changed then)."""
    if not state:
        return StateProblem.MISSING
    digest, bound_to = _digest(state), _digest(session_key)
    taken = session.execute(
        update(OAuthState)
        .where(
            col(OAuthState.state_hash) == digest,
            col(OAuthState.channel) == channel,
            col(OAuthState.session_hash) == bound_to,
            col(OAuthState.used_at).is_(None),
            col(OAuthState.expires_at) > now,
        )
        .values(used_at=now)
    )
    row = session.exec(
        select(OAuthState)
        .where(OAuthState.state_hash == digest)
        .execution_options(populate_existing=True)
    ).first()
    if taken.rowcount != 1 or row is None:  # type: ignore[attr-defined]
        return _refusal(row, channel=channel, bound_to=bound_to, now=now)
    verifier = (
        sealer.open(row.verifier, channel=channel, kind=VERIFIER_KIND) if row.verifier else None
    )
    return Consumed(user_id=row.user_id, redirect_uri=row.redirect_uri, verifier=verifier)


def _refusal(row: OAuthState | None, *, channel: str, bound_to: str, now: datetime) -> StateProblem:
    if row is None:
        return StateProblem.UNKNOWN
    if row.channel != channel:
        return StateProblem.OTHER_CHANNEL
    if row.session_hash != bound_to:
        return StateProblem.OTHER_SESSION
    if row.used_at is not None:
        return StateProblem.USED
    return StateProblem.EXPIRED


def _digest(value: str) -> str:
    # Both are 256 random bits: a plain SHA-256 suffices, no salt or stretching needed.
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
