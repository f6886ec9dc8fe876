"""What every command shares: the configuration, the database, the acting user, the output mode.

Loaded lazily, so ``--help`` and ``init`` work before anything exists.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from drafts.errors import ReviewError
from tidings.cli.text_input import check_arguments, utf8

if TYPE_CHECKING:  # the heavy modules load on first use, so --help stays quick
    from sqlmodel import Session

    from drafts.config import Config
    from drafts.models import User
    from drafts.rendering import TemplateLibrary
    from drafts.storage import Database


@dataclass
class AppContext:
    config_option: str | None
    user_option: str | None
    json: bool
    _database: Database | None = field(default=None, repr=False)

    @cached_property
    def config_path(self) -> Path:
        from drafts.config import config_path

        return config_path(self.config_option)

    @cached_property
    def config(self) -> Config:
        from drafts.config import load_config

        return load_config(self.config_path)

    @cached_property
    def library(self) -> TemplateLibrary:
        from drafts.rendering import TemplateLibrary

        return TemplateLibrary.default(self.config.template_folders)

    def database(self, *, check: bool = True) -> Database:
        from drafts.storage import Database

        if self._database is None:
            self._database = Database(self.config.database_url)
            if check:
                self._database.check_schema()
        return self._database

    @contextmanager
    def writing(self) -> Iterator[Session]:
        with self.database().writing() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self.database().reading() as session:
            yield session

    @property
    def user_name(self) -> str | None:
        if self.user_option:
            return utf8("--as", self.user_option)
        from_environment = os.environ.get("TIDINGS_USER")
        return utf8("TIDINGS_USER", from_environment) if from_environment else None

    def actor(self, session: Session) -> User:
        """The user this command acts as (``--as`` or ``$TIDINGS_USER``)."""
        from drafts.users import find_user

        name = self.user_name
        if not name:
            raise ReviewError("as: say who you are with --as NAME or TIDINGS_USER=NAME")
        return find_user(session, name)

    def optional_actor(self, session: Session) -> User | None:
        return self.actor(session) if self.user_name else None

    def now(self) -> datetime:
        from drafts.times import utcnow

        return utcnow()

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()


def app_context(ctx: typer.Context) -> AppContext:
    """The shared context that the top-level callback put on the typer context, once the
    command's own arguments are known to be text (``check_arguments``)."""
    check_arguments(ctx)
    root = ctx.find_root()
    assert isinstance(root.obj, AppContext)
    return root.obj
