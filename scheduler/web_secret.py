"""The secret ``tidings web`` signs with: ``TIDINGS_WEB_SECRET``, else ``TIDINGS_SECRET_KEY`` (so
a deployment that already has a vault key needs nothing more).

The web app signs its session cookies with it (``tidings.web.session_key``); the daemon and the
web app both derive the key of the media links Threads fetches from it
(``scheduler.media_links``), so the two processes must see the same variables. Each use derives
its own key under its own HKDF label: no key equals another, or the vault's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from drafts.errors import ConfigError

WEB_SECRET_VARIABLE = "TIDINGS_WEB_SECRET"
VAULT_SECRET_VARIABLE = "TIDINGS_SECRET_KEY"
MIN_SECRET_LENGTH = 32
# Estimated as length x log2(distinct characters): token_urlsafe(32) gives about 200 bits, a
# 32-digit hex string about 120, "aaaa…" none. A guess, not a measure: it refuses the obviously
# weak keys (one letter repeated, a short cycle) and says how to make a good one.
MIN_SECRET_BITS = 100
MAKE_ONE = "make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


@dataclass(frozen=True)
class WebSecret:
    """The secret, and the variable it came from."""

    variable: str
    value: str

    def derive(self, salt: bytes, label: bytes) -> bytes:
        """A 32-byte key for one use, named by ``label``."""
        kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=label)
        return kdf.derive(self.value.encode("utf-8"))


def web_secret(environ: Mapping[str, str], use: str) -> WebSecret:
    """The secret, to ``use`` (``sign session cookies``); ``ConfigError`` (one line naming the
    variable, never its value) when neither variable is set or the one used is too weak to keep
    anyone from forging what it signs."""
    own = environ.get(WEB_SECRET_VARIABLE, "")
    if own:
        if problem := weakness(own):
            raise ConfigError(f"{WEB_SECRET_VARIABLE}: too weak to {use} ({problem}); {MAKE_ONE}")
        return WebSecret(WEB_SECRET_VARIABLE, own)
    vault = environ.get(VAULT_SECRET_VARIABLE, "")
    if vault:
        if problem := weakness(vault):  # changing the vault key would lose the stored tokens
            raise ConfigError(
                f"{VAULT_SECRET_VARIABLE}: too weak to {use} ({problem}); "
                f"set {WEB_SECRET_VARIABLE} for it ({MAKE_ONE})"
            )
        return WebSecret(VAULT_SECRET_VARIABLE, vault)
    raise ConfigError(
        f"{WEB_SECRET_VARIABLE} is not set (nor {VAULT_SECRET_VARIABLE}): it is needed to {use} "
        f"({MAKE_ONE})"
    )


def weakness(key: str) -> str | None:
    """Why ``key`` is too weak to sign with, or None."""
    if len(key) < MIN_SECRET_LENGTH:
        return f"shorter than {MIN_SECRET_LENGTH} characters"
    if estimated_bits(key) < MIN_SECRET_BITS:
        return "too few different characters to be random"
    return None


def estimated_bits(key: str) -> float:
    """The most randomness ``key`` could hold, judged by its characters alone."""
    return len(key) * math.log2(len(set(key)))
