"""The example configuration pointed at ``tidings sandbox``, for ``tidings init --sandbox``: a new
user's first config that works as written against the platforms' stand-in on this machine.

It is the commented example, changed only where the sandbox needs it: every channel's
``base_url`` (a webhook's ``url``) is the sandbox, the Facebook page is the sandbox's, every
channel reads its token from one variable, ``TIDINGS_SANDBOX_TOKEN`` (the sandbox takes any
token it did not issue itself), nothing is renewed, and the database is a file of its own.
"""

from __future__ import annotations

import re

DEFAULT_URL = "http://127.0.0.1:8900"  # where `tidings sandbox` listens unless told otherwise
TOKEN_VARIABLE = "TIDINGS_SANDBOX_TOKEN"
# Any value serves every platform in the sandbox, if it is shaped as a Telegram bot token is.
SAMPLE_TOKEN = "123456789:sandbox"
DATABASE = "sqlite:///tidings-sandbox.db"

_SECRET_KEYS = ("token_env", "password_env", "secret_env")
_RENEWAL_KEYS = ("refresh_token_env", "client_id_env", "client_secret_env")
_KEY = re.compile(r"^(?P<key>[a-z_]+)\s*=")
# What the example says of its channels, and what is true of them here instead.
_CONNECTED = (
    "# The LinkedIn, Facebook and Threads channels below are connected on the Channels page; the\n"
    "# others read their token from the environment variable they name.\n"
)
_SANDBOXED = (
    "# Here every channel reads its token from TIDINGS_SANDBOX_TOKEN; with real accounts, the\n"
    "# LinkedIn, Facebook and Threads channels are connected on the Channels page instead.\n"
)


def heading(url: str) -> str:
    """The comment that opens the file: what it is, and how to leave the sandbox."""
    return (
        f"# Written by `tidings init --sandbox`: every channel posts to `tidings sandbox` at\n"
        f"# {url}, a stand-in for the platforms on this machine, and reads its token from\n"
        f"# {TOKEN_VARIABLE} (the sandbox takes any, e.g. {SAMPLE_TOKEN}). For real accounts, run\n"
        "# `tidings init` in another folder, or give each channel its own *_env variables and\n"
        "# remove its base_url.\n\n"
    )


def sandbox_config(example: str, url: str) -> str:
    """``example`` (the text of the shipped config.toml) with every channel pointed at the
    sandbox at ``url``."""
    url = url.rstrip("/")
    head, *blocks = re.split(r"(?m)^(?=\[\[channels\]\]$)", example)
    head = re.sub(r'(?m)^database = "[^"]*"', f'database = "{DATABASE}"', head, count=1)
    head = head.replace(_CONNECTED, _SANDBOXED)
    return heading(url) + head + "".join(_channel(block, url) for block in blocks)


def _channel(block: str, url: str) -> str:
    """One ``[[channels]]`` block pointed at the sandbox."""
    from scheduler.sandbox.state import Settings  # the sandbox loads only for `init --sandbox`

    lines = block.splitlines(keepends=True)
    keys = [found["key"] for line in lines if (found := _KEY.match(line))]
    channel_id = _value(block, "id")
    platform = _value(block, "platform")
    added = [f'token_env = "{TOKEN_VARIABLE}"\n'] if not set(keys) & set(_SECRET_KEYS) else []
    if platform != "webhook":
        added.append(f'base_url = "{url}"\n')
    shown: list[str] = []
    for line in lines:
        key = found["key"] if (found := _KEY.match(line)) else None
        if key in _RENEWAL_KEYS or key == "base_url":
            continue
        if key in _SECRET_KEYS:
            line = f'{key} = "{TOKEN_VARIABLE}"\n'
        elif key == "url" and platform == "webhook":
            line = f'url = "{url}/hooks/{channel_id}"\n'
        elif key == "page_id":
            line = f'page_id = "{Settings().facebook_page_id}"      # the sandbox\'s page\n'
        shown.append(line)
        if key == "platform":
            shown.extend(added)
    return "".join(shown)


def _value(block: str, key: str) -> str:
    found = re.search(rf'(?m)^{key} = "([^"]*)"', block)
    return found[1] if found else ""
