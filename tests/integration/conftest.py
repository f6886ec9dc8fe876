"""Fixtures for tests that talk to the sandbox over loopback HTTP.

A module that starts a sandbox of its own for each test defines its own ``sandbox``."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from drafts.config import Config, parse_config
from drafts.models import User
from drafts.storage import Database
from scheduler.sandbox import RunningSandbox, running_sandbox
from scheduler.vault import Sealer
from tests.integration.connected import connect
from tests.integration.drafting import add_author
from tests.integration.sandbox_fixtures import fresh
from tidings.demo.connecting import CONNECTED_CHANNELS
from tidings.demo.run import DEMO_SECRETS, _config_text


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[RunningSandbox]:
    """One sandbox serving a whole test module."""
    with running_sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(module_sandbox: RunningSandbox) -> RunningSandbox:
    """The module's sandbox, emptied and back to its default settings for this test."""
    fresh(module_sandbox)
    return module_sandbox


@pytest.fixture
def everywhere_text(
    sandbox: RunningSandbox, database: Database, monkeypatch: pytest.MonkeyPatch
) -> str:
    """The demo's configuration (a channel on each of the eight platforms) pointed at the
    sandbox, with fresh throwaway secrets in the environment; the channels the demo connects
    from the web app are connected in ``database`` as the web app stores them."""
    for name in DEMO_SECRETS:
        monkeypatch.setenv(name, secrets.token_urlsafe(24))
    monkeypatch.setenv("TIDINGS_DEMO_TELEGRAM_TOKEN", f"123456789:{secrets.token_urlsafe(24)}")
    key = secrets.token_urlsafe(32)
    monkeypatch.setenv("TIDINGS_SECRET_KEY", key)
    text = _config_text(sandbox.base_url, "202610", "http://127.0.0.1:8800")
    config = parse_config(text, Path("config.toml"))
    for channel in CONNECTED_CHANNELS:
        connect(database, config.channel(channel), sealer=Sealer(key))
    return text


@pytest.fixture
def everywhere(everywhere_text: str) -> Config:
    return parse_config(everywhere_text, Path("config.toml"))


@pytest.fixture
def mina(database: Database) -> User:
    """An author, added as ``tidings user add`` adds one."""
    return add_author(database)
