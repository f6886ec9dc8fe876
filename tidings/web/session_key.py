"""The key that signs session cookies: ``TIDINGS_WEB_SECRET``, else one derived from
``TIDINGS_SECRET_KEY`` (so a deployment that already has a vault key needs nothing more).

The derivation uses its own HKDF label, so the cookie key never equals the vault key.
"""

from __future__ import annotations

import base64
import math
import os
from collections.abc import Mapping

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
_MAKE_ONE = "make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


def session_key(environ: Mapping[str, str] = os.environ) -> str:
    """The cookie-signing key; ``ConfigError`` (one line, never the value) when neither
    variable is set or the one used is too weak to keep anyone from forging a session."""
    own = environ.get(WEB_SECRET_VARIABLE, "")
    if own:
        if problem := weakness(own):
            raise ConfigError(
                f"{WEB_SECRET_VARIABLE}: too weak to sign session cookies ({problem}); {_MAKE_ONE}"
            )
        return own
    vault = environ.get(VAULT_SECRET_VARIABLE, "")
    if vault:
        if problem := weakness(vault):  # changing the vault key would lose the stored tokens
            raise ConfigError(
                f"{VAULT_SECRET_VARIABLE}: too weak to sign session cookies ({problem}); "
                f"set {WEB_SECRET_VARIABLE} for them ({_MAKE_ONE})"
            )
        return _derive(vault)
    raise ConfigError(
        f"{WEB_SECRET_VARIABLE} is not set (nor {VAULT_SECRET_VARIABLE}): it signs the web "
        f"app's session cookies ({_MAKE_ONE})"
    )


def weakness(key: str) -> str | None:
    """Why ``key`` is too weak to sign cookies, or None."""
    if len(key) < MIN_SECRET_LENGTH:
        return f"shorter than {MIN_SECRET_LENGTH} characters"
    if estimated_bits(key) < MIN_SECRET_BITS:
        return "too few different characters to be random"
    return None


def estimated_bits(key: str) -> float:
    """The most randomness ``key`` could hold, judged by its characters alone."""
    return len(key) * math.log2(len(set(key)))


def _derive(passphrase: str) -> str:
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"tidings-web-v1", info=b"session")
    return base64.urlsafe_b64encode(kdf.derive(passphrase.encode("utf-8"))).decode("ascii")
