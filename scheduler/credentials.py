"""Secrets come from the environment variables a channel names (and the vault), are checked
when read, and never go anywhere else.

Every secret value the process reads is remembered, so that ``scrub`` can take it out of any
text that is stored or printed (an attempt's error, a post's reason, a log line, a channel
check), whatever put it there: a platform echoing a token back, or a library quoting a header.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping

from drafts.channels import ChannelBase, WebhookChannel
from drafts.errors import ConfigError
from drafts.messages import N_, Said, said

VAULT_KEY = "TIDINGS_SECRET_KEY"
# The vault kinds every platform shares (scheduler.connections): the token posts are sent with,
# and the refresh token that renews it.
TOKEN_KIND = "token"
REFRESH_KIND = "refresh"
MIN_VAULT_KEY_LENGTH = 16
REDACTED = "[secret]"
# Shorter values would scrub ordinary words; no platform issues tokens this short.
MIN_SCRUBBED_LENGTH = 4
# Why the vault key cannot open the vault, and who needs it: sentences the web tells in the
# viewer's language (tidings/web/locale/babel.cfg reads this module).
KEY_NOT_SET = N_("not set")
KEY_TOO_SHORT = N_("shorter than %(length)s characters")
KEY_NEEDED: dict[tuple[bool, bool], str] = {  # (several channels, connected ones among them)
    (False, False): N_(
        "%(variable)s: %(trouble)s; channel %(channels)s keeps refreshed tokens in the vault "
        "and needs it"
    ),
    (False, True): N_(
        "%(variable)s: %(trouble)s; channel %(channels)s keeps tokens in the vault and needs it"
    ),
    (True, False): N_(
        "%(variable)s: %(trouble)s; channels %(channels)s keep refreshed tokens in the vault "
        "and need it"
    ),
    (True, True): N_(
        "%(variable)s: %(trouble)s; channels %(channels)s keep tokens in the vault and need it"
    ),
}

_known: set[str] = set()
# ``_known`` longest first (a secret inside another goes last), rebuilt only when it grows:
# ``scrub`` runs for every attempt and every logged error.
_longest_first: tuple[str, ...] = ()
_known_lock = threading.Lock()  # the daemon reads the vault on its database thread


class MissingSecret(ConfigError):
    """The channel has no credential: not connected, and the variable it names (if any) unset."""


def secret_for(channel: ChannelBase) -> str:
    """The channel's secret (token, app password, signing key); webhooks may have none.

    ``ConfigError`` naming the variable when its value cannot be a secret (see ``checked``)."""
    name = channel.secret_variable
    if name is None:
        if isinstance(channel, WebhookChannel):
            return ""
        raise MissingSecret(
            f"channel {channel.id} is not connected: connect it on the Channels page "
            "(or name the environment variable holding its token in config.toml)"
        )
    value = checked(name, os.environ.get(name, ""))
    if not value and not isinstance(channel, WebhookChannel):
        raise MissingSecret(
            f"the environment variable {name} (channel {channel.id}) is not set: set it, "
            "or connect the channel on the Channels page"
        )
    return value


def token_place(channel: ChannelBase) -> str:
    """Where a person fixes the channel's token, for a refusal's message: its connection on the
    Channels page, or the environment variable it names (a connection wins when both exist)."""
    name = channel.secret_variable
    connection = f"channel {channel.id}'s connection on the Channels page"
    return f"{name} or {connection}" if name else connection


def checked(name: str, value: str) -> str:
    """``value``, read from the variable ``name``, remembered for scrubbing.

    A value with a control character (a line break copied along with a token) or with spaces
    around it is a ``ConfigError`` naming ``name`` and never showing the value: no platform
    issues such a secret, and HTTP refuses it in a header, quoting the header back."""
    remember(value)
    if any(ord(character) < 0x20 or 0x7F <= ord(character) < 0xA0 for character in value):
        raise ConfigError(f"{name}: holds a line break or another control character")
    if value != value.strip():
        raise ConfigError(f"{name}: begins or ends with a space")
    return value


def check_credentials(
    channels: Iterable[ChannelBase], environment: Mapping[str, str] = os.environ
) -> None:
    """Read every variable the channels name, so that a malformed secret, or a vault key that
    channels keeping tokens cannot do without, is a ``ConfigError`` before anything is claimed,
    and every secret is known to ``scrub`` from the start."""
    channels = list(channels)
    for channel in channels:
        for name in _variables(channel):
            checked(name, environment.get(name, ""))
    if problem := vault_key_problem(channels, environment):
        raise ConfigError(problem)


def vault_key_problem(
    channels: Iterable[ChannelBase],
    environment: Mapping[str, str] = os.environ,
    *,
    stored: Collection[str] = (),
) -> Said | None:
    """One sentence saying why ``TIDINGS_SECRET_KEY`` cannot open the vault and naming the channels
    among ``channels`` that keep tokens there (renewed by Tidings, or the channels in ``stored``,
    whose secrets are in the vault: connected ones); None when it can, or none of them needs it.

    Without it every post to those channels would fail when it is due, one by one."""
    keeping = [c.id for c in channels if c.keeps_tokens or c.id in stored]
    trouble = vault_key_trouble(environment)
    if not keeping or trouble is None:
        return None
    connected = any(channel in stored for channel in keeping)
    return said(
        KEY_NEEDED[len(keeping) > 1, connected],
        variable=VAULT_KEY,
        trouble=trouble,
        channels=", ".join(keeping),
    )


def vault_key_trouble(environment: Mapping[str, str] = os.environ) -> Said | None:
    """Why ``TIDINGS_SECRET_KEY`` cannot open the vault (``not set``, ``shorter than 16
    characters``), or None when it can."""
    key = environment.get(VAULT_KEY, "")
    if not key:
        return said(KEY_NOT_SET)
    if len(key) < MIN_VAULT_KEY_LENGTH:
        return said(KEY_TOO_SHORT, length=MIN_VAULT_KEY_LENGTH)
    return None


def _variables(channel: ChannelBase) -> Iterator[str]:
    """The environment variables a channel names (``token_env``, ``refresh_token_env``, ...)."""
    for key in type(channel).model_fields:
        name = getattr(channel, key)
        if key.endswith("_env") and isinstance(name, str):
            yield name


def remember(value: str) -> None:
    """Know ``value`` as a secret from now on, as written and as error messages quote it."""
    quoted = (json.dumps(value)[1:-1], repr(value)[1:-1], repr(value.encode("utf-8"))[2:-1])
    forms = {value, value.strip(), *quoted}
    global _longest_first
    with _known_lock:
        new = {form for form in forms if len(form) >= MIN_SCRUBBED_LENGTH} - _known
        if not new:
            return
        _known.update(new)
        _longest_first = tuple(sorted(_known, key=len, reverse=True))


def scrub(text: str) -> str:
    """``text`` with every secret this process has read replaced by ``[secret]``."""
    for secret in _longest_first:
        text = text.replace(secret, REDACTED)
    return text
