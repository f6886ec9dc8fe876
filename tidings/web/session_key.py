"""The key that signs session cookies: ``TIDINGS_WEB_SECRET``, else one derived from
``TIDINGS_SECRET_KEY`` (so a deployment that already has a vault key needs nothing more).

The derivation uses its own HKDF label, so the cookie key never equals the vault key.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from drafts.errors import ConfigError

WEB_SECRET_VARIABLE = "TIDINGS_WEB_SECRET"
VAULT_SECRET_VARIABLE = "TIDINGS_SECRET_KEY"
MIN_SECRET_LENGTH = 16
_MAKE_ONE = 'make one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'


def session_key(environ: Mapping[str, str] = os.environ) -> str:
    """The cookie-signing key; ``ConfigError`` (one line) when neither variable is set."""
    own = environ.get(WEB_SECRET_VARIABLE, "")
    if own:
        _check_length(WEB_SECRET_VARIABLE, own)
        return own
    vault = environ.get(VAULT_SECRET_VARIABLE, "")
    if vault:
        _check_length(VAULT_SECRET_VARIABLE, vault)
        return _derive(vault)
    raise ConfigError(
        f"{WEB_SECRET_VARIABLE} is not set (nor {VAULT_SECRET_VARIABLE}): it signs the web "
        f"app's session cookies ({_MAKE_ONE})"
    )


def _check_length(variable: str, value: str) -> None:
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(f"{variable}: use at least {MIN_SECRET_LENGTH} characters ({_MAKE_ONE})")


def _derive(passphrase: str) -> str:
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"tidings-web-v1", info=b"session")
    return base64.urlsafe_b64encode(kdf.derive(passphrase.encode("utf-8"))).decode("ascii")
