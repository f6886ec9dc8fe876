"""The key that signs session cookies: ``TIDINGS_WEB_SECRET`` itself, else one derived from
``TIDINGS_SECRET_KEY`` (``scheduler.web_secret`` says which and refuses a weak one).

The derivation uses its own HKDF label, so the cookie key never equals the vault key.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping

from scheduler.web_secret import VAULT_SECRET_VARIABLE, WEB_SECRET_VARIABLE, web_secret

__all__ = ["VAULT_SECRET_VARIABLE", "WEB_SECRET_VARIABLE", "session_key"]


def session_key(environ: Mapping[str, str] = os.environ) -> str:
    """The cookie-signing key; ``ConfigError`` (one line, never the value) when neither
    variable is set or the one used is too weak to keep anyone from forging a session."""
    secret = web_secret(environ, "sign session cookies")
    if secret.variable == WEB_SECRET_VARIABLE:
        return secret.value
    derived = secret.derive(b"tidings-web-v1", b"session")
    return base64.urlsafe_b64encode(derived).decode("ascii")
