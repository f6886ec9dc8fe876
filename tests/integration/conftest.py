"""Fixtures for tests that talk to the sandbox over loopback HTTP.

A module that starts a sandbox of its own for each test defines its own ``sandbox``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drafts.models import User
from drafts.storage import Database
from scheduler.sandbox import RunningSandbox, running_sandbox
from tests.integration.drafting import add_author
from tests.integration.sandbox_fixtures import fresh


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
def mina(database: Database) -> User:
    """An author, added as ``tidings user add`` adds one."""
    return add_author(database)
