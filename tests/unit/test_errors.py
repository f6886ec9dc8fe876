"""Every error a user can meet is a TidingsError, and drafts/errors.py draws each one."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import drafts
import drafts.errors
import scheduler
import tidings
from drafts.errors import TidingsError

# Exceptions that never reach a user, with why.
INTERNAL = {
    # raised inside the sandbox's server to cut a connection on purpose; uvicorn swallows it
    "scheduler.sandbox.exchange.ConnectionDropped",
    # raised by the daemon's request hook instead of sending for a post another daemon took
    # over; the daemon catches it around the attempt and notes it on the attempt
    "scheduler.holding.LeaseLost",
    # a CSV import's dry run ends its transaction with it, to roll back what it added
    "drafts.csv_import._Rehearsed",
    # a notification not delivered: the notifier records it on the delivery and tries again later
    "scheduler.notifications.chat.ChatError",
    "scheduler.notifications.smtp.MailError",
    "scheduler.notifications.hooks.HookError",
    # the API's refusal before any service function runs; its handler answers it as JSON
    "tidings.api.errors.Refused",
    # the thread splitter's caller turns a word longer than a part into the draft's problem
    "drafts.text_rules.thread_split.WordTooLong",
    # a news feed that cannot be read: the feed reader keeps it as the feed's problem
    "scheduler.news_feeds.FeedProblem",
    # `tidings feeds check` ends each rehearsed item's transaction with it, to roll back
    "scheduler.news_feeds._RolledBack",
}


def _exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for package in (drafts, scheduler, tidings):
        for module_info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" in module_info.name or module_info.name.endswith("__main__"):
                continue  # alembic's scripts; the command line, which runs when imported
            module = importlib.import_module(module_info.name)
            for _, value in inspect.getmembers(module, inspect.isclass):
                if issubclass(value, BaseException) and value.__module__ == module.__name__:
                    found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


def test_every_exception_a_user_can_meet_is_a_tidings_error() -> None:
    classes = _exception_classes()
    assert "scheduler.credentials.MissingSecret" in classes  # the walk reached the scheduler
    outside = sorted(name for name, cls in classes.items() if not issubclass(cls, TidingsError))
    assert outside == sorted(INTERNAL)


def test_the_tree_in_the_docstring_names_every_tidings_error() -> None:
    drawing = drafts.errors.__doc__ or ""
    unnamed = sorted(
        name
        for name, cls in _exception_classes().items()
        if issubclass(cls, TidingsError)
        and not re.search(rf"^[ │├└─]*{cls.__name__} ", drawing, re.MULTILINE)
    )
    assert unnamed == []
