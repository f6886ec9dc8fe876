"""What an admin is told while connecting a channel: each sentence once, in English with named
placeholders, translated where it is shown (``Refusal.said``).

A connector's own ``ConnectError`` and a configuration error are shown as raised (in English,
like every service-layer refusal), scrubbed of any secret. A word may be a sentence itself (why
the vault key cannot be used: ``scheduler.credentials``), said in the same language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC

from drafts.messages import Said, Word
from scheduler.connect.flow import StateProblem
from scheduler.credentials import scrub
from tidings.web.sentences import Teller
from tidings.web.translations import N_

NO_PUBLIC_URL = N_(
    "Connecting %(platform)s needs the address the platform sends you back to: set "
    "public_url under [web] in config.toml (the callback is public_url/channels/%(channel)s/callback)."
)
NO_OAUTH_APP = N_(
    "Connecting %(name)s needs your %(name)s app: add [oauth.%(platform)s] with "
    "client_id_env (and client_secret_env) to config.toml."
)
NO_CLIENT_ID = N_(
    "%(variable)s is not set where tidings web runs: it holds the client id of your "
    "%(name)s app ([oauth.%(platform)s] client_id_env)."
)
NO_CLIENT_SECRET = N_(
    "%(variable)s is not set where tidings web runs: it holds the client secret of your "
    "%(name)s app ([oauth.%(platform)s] client_secret_env)."
)
NO_VAULT_KEY = N_(
    "Connecting needs TIDINGS_SECRET_KEY where tidings web runs, to encrypt the credential "
    "(%(trouble)s); set the same key for tidings web and tidings run."
)
APP_GONE = N_(
    "The app Tidings registered on %(instance)s is no longer stored: connect %(channel)s again."
)
DENIED = N_("Consent was denied on %(platform)s; nothing was connected.")
PLATFORM_REFUSED = N_("%(platform)s did not grant access (%(error)s); nothing was connected.")
NO_CODE = N_("%(platform)s sent no authorization code back; nothing was connected.")
STATE_PROBLEMS: dict[StateProblem, str] = {
    StateProblem.MISSING: N_(
        "This answer from %(platform)s carries no state, so it cannot be matched to a Connect "
        "button pressed here; nothing was connected."
    ),
    StateProblem.UNKNOWN: N_(
        "This answer from %(platform)s does not match any Connect button pressed here (forged, or "
        "long expired); nothing was connected."
    ),
    StateProblem.OTHER_CHANNEL: N_(
        "This answer from %(platform)s belongs to connecting another channel, not %(channel)s; "
        "nothing was connected."
    ),
    StateProblem.OTHER_SESSION: N_(
        "This answer from %(platform)s belongs to another login (another browser, or before you "
        "logged in again); press Connect again here. Nothing was connected."
    ),
    StateProblem.USED: N_(
        "This answer from %(platform)s was already used once; press Connect again to connect "
        "anew. Nothing more was stored."
    ),
    StateProblem.EXPIRED: N_(
        "Connecting took longer than 10 minutes, so this answer from %(platform)s has expired; "
        "press Connect again. Nothing was connected."
    ),
}
CONNECTED = N_("%(channel)s is connected as %(account)s.")
DISCONNECTED = N_("%(channel)s is disconnected; its stored credential was deleted.")
NOT_CONNECTED = N_("%(channel)s was not connected; nothing was deleted.")
EMPTY_SECRET = N_("%(label)s: type it in.")
# The connectors' ``secret_label``s, in English there, for the catalogue (translated in the form).
SECRET_LABELS = (N_("App password"), N_("Bot token"))


@dataclass(frozen=True)
class Refusal:
    """Why a connect step stopped, for the page: a sentence above (``N_``) and its words, or,
    with ``translated`` False, a message raised in English (a ``ConnectError``)."""

    message: str
    words: Mapping[str, Word] = field(default_factory=dict)
    translated: bool = True

    @classmethod
    def raised(cls, error: Exception) -> Refusal:
        """A service's error as it was raised, with any secret this process knows scrubbed."""
        return cls(scrub(str(error)), translated=False)

    def said(self, gettext: Callable[[str], str]) -> str:
        if not self.translated:
            return self.message
        return scrub(Teller(gettext, UTC).sentence(Said(self.message, self.words)))
