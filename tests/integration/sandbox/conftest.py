"""The sandbox's own tests share one sandbox per module, emptied before each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from scheduler.sandbox import RunningSandbox
from tests.integration.sandbox_fixtures import fresh, sandbox_and_client


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[RunningSandbox, httpx.Client]]:
    with sandbox_and_client() as pair:
        yield pair


@pytest.fixture
def sandbox(served: tuple[RunningSandbox, httpx.Client]) -> RunningSandbox:
    fresh(served[0])
    return served[0]


@pytest.fixture
def client(served: tuple[RunningSandbox, httpx.Client], sandbox: RunningSandbox) -> httpx.Client:
    return served[1]
