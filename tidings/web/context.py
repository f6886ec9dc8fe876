"""What every route shares: the configuration, the database and the page renderer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

from drafts.config import Config
from drafts.storage import Database
from tidings.web.pages import Pages

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class WebContext:
    config: Config
    database: Database
    pages: Pages


async def off_loop(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking work (the database, password hashing) in a worker thread."""
    return await run_in_threadpool(function, *args, **kwargs)
