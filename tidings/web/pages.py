"""Server-rendered pages: the Jinja2 environments and what every page's template receives.

Autoescaping is on for every template, whatever its name: text from drafts is shown as text.
Interface strings go through ``_()`` and ``{% trans %}`` (Jinja2's i18n extension) and are
translated from the Babel catalogues in ``tidings/web/locale`` (``translations``). There is one
environment per interface language, each with its catalogue installed, so concurrent requests
in different languages never share a catalogue; a request gets the viewer's language
(``User.language``, read with one primary-key query per page, so a choice made in another
browser shows at once), else the browser's ``Accept-Language``, else English.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, tzinfo
from functools import partial
from pathlib import Path
from typing import Any

from babel.dates import format_timedelta
from babel.numbers import format_decimal
from jinja2 import BaseLoader, Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import HTMLResponse

from drafts.errors import StorageError
from drafts.media_limits import PLATFORM_NAMES
from drafts.shipped import shipped_path
from drafts.storage import Database
from drafts.times import show, utcnow
from drafts.users import chosen_language
from tidings.web.chains import chains_of
from tidings.web.csrf import FIELD, csrf_token
from tidings.web.message_filters import message_filters
from tidings.web.translations import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    accepted_language,
    babel_locale,
    interface_language,
    translations,
)
from tidings.web.vocabulary import (
    DRAFT_STATUS_WORDS,
    POST_STATUS_WORDS,
    ROLE_WORDS,
    shown,
    translated,
)

FLASH = "flash"
SESSION_USER = "user"  # auth.USER: the logged-in user's id (auth imports this module)
UI_LANGUAGE = DEFAULT_LANGUAGE  # the source language of the interface strings
LANGUAGE_STATE = "ui_language"  # where ``Pages.language`` keeps its answer for the request
_NOT_LOADED = object()

log = logging.getLogger("tidings.web")


def web_templates() -> Path:
    """The folder of page templates, in a wheel (beside this package) or in a checkout."""
    here = Path(__file__).resolve().parent
    return shipped_path(
        here, in_wheel="templates", in_checkout="templates/web", what="web page templates"
    )


def page_environment(loader: BaseLoader, language: str) -> Environment:
    """The environment that renders pages in ``language``, its catalogue installed."""
    env = Environment(
        loader=loader,
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    catalogue = translations(language)
    env.install_gettext_translations(catalogue, newstyle=True)  # type: ignore[attr-defined]
    env.filters["when"] = when
    env.filters["isolated"] = isolated
    env.filters["waited"] = partial(waited, language=language)
    env.filters["number"] = partial(format_decimal, locale=babel_locale(language))  # 21,280
    # Stored values (``scheduled``, ``in_review``, ``reviewer``; a platform, ``linkedin``:
    # LinkedIn) in words of this language.
    env.filters["post_status"] = shown(translated(POST_STATUS_WORDS, catalogue.gettext))
    env.filters["draft_status"] = shown(translated(DRAFT_STATUS_WORDS, catalogue.gettext))
    env.filters["role"] = shown(translated(ROLE_WORDS, catalogue.gettext))
    env.filters["platform"] = shown(translated(PLATFORM_NAMES, catalogue.gettext))
    env.filters["chains"] = partial(chains_of, gettext=catalogue.gettext)  # post cards as chains
    # Messages made by the services and reasons recorded by the daemon, in this language.
    env.filters.update(message_filters(language, catalogue.gettext))
    return env


class Pages:
    """Renders a named page template into an HTML response, in the request's language.

    ``database`` (or ``use_database``) is where a viewer's chosen language is read; without
    one, every page follows the browser's ``Accept-Language``.
    """

    def __init__(self, folder: Path | None = None, *, database: Database | None = None) -> None:
        loader = FileSystemLoader(folder or web_templates())
        self.environments = {language: page_environment(loader, language) for language in LANGUAGES}
        self.env = self.environments[DEFAULT_LANGUAGE]
        self.database = database

    def compile_all(self) -> None:
        """Compiles every page template in every language now, so no visitor waits for it."""
        for env in self.environments.values():
            for name in env.list_templates(extensions=["html"]):
                env.get_template(name)

    def use_database(self, database: Database) -> None:
        self.database = database

    def language(self, request: Request) -> str:
        """The interface language for this request (one of ``translations.LANGUAGES``); found
        once per request (a route's messages and its page ask again)."""
        found = getattr(request.state, LANGUAGE_STATE, None)
        if not isinstance(found, str):
            found = self._language(request)
            setattr(request.state, LANGUAGE_STATE, found)
        return found

    def _language(self, request: Request) -> str:
        viewer = getattr(request.state, "viewer", None)
        # A viewer loaded with its language saves the query; ``Viewer`` does not carry it yet.
        chosen = getattr(viewer, "language", _NOT_LOADED)
        if chosen is _NOT_LOADED:
            session = request.scope.get("session")
            # Without a viewer (a page refused before the login check), the session's user.
            user_id = viewer.id if viewer is not None else (session or {}).get(SESSION_USER)
            chosen = self.chosen_language(user_id) if isinstance(user_id, int) else None
        language = interface_language(chosen if isinstance(chosen, str) else None)
        return language or accepted_language(request.headers.get("accept-language"))

    def chosen_language(self, user_id: int) -> str | None:
        """The language tag the user chose, if any (one primary-key read)."""
        if self.database is None:
            return None
        try:
            with self.database.reading() as db:
                return chosen_language(db, user_id=user_id)
        except (StorageError, SQLAlchemyError):
            # An error page still renders, in the browser's language.
            log.warning("web: could not read the interface language of user %s", user_id)
            return None

    def gettext(self, request: Request) -> Callable[[str], str]:
        """``gettext`` in this request's language, for messages made in Python (flashes, error
        pages, words put together by a route); placeholders are named: ``%(id)s``."""
        return translations(self.language(request)).gettext

    def render(
        self, request: Request, template: str, /, *, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """The page ``template`` with ``context`` and what every page shows (viewer, token, flash)."""
        session = request.scope.get("session")  # absent only on a page for a failure outside it
        language = self.language(request)
        page = {
            "path": request.url.path,
            "viewer": getattr(request.state, "viewer", None),
            "csrf_field": FIELD,
            "csrf_token": csrf_token(session) if session is not None else "",
            "flash": session.pop(FLASH, None) if session is not None else None,
            "ui_language": language,
            "now": utcnow(),
            **context,
        }
        html = self.environments[language].get_template(template).render(page)
        return HTMLResponse(html, status_code=status)


def flash(request: Request, message: str) -> None:
    """A one-line message for the next page this visitor sees (after a redirect)."""
    request.session[FLASH] = message


def isolated(text: str) -> str:
    """``text`` between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE (U+2068, U+2069), for
    text a person typed set where no ``<bdi>`` can go (a page's title, a sentence made in
    Python): its direction, and any override in it, stays inside and reorders nothing around."""
    return f"\u2068{text}\u2069"


def when(instant: datetime | None, zone: tzinfo) -> str:
    """``2026-12-01 10:00 KST``, or a dash for no time."""
    return show(instant, zone) if instant is not None else "–"


def waited(since: datetime, now: datetime, language: str = UI_LANGUAGE) -> str:
    """How long ago ``since`` was, in words (``3 days``, ``3일``)."""
    return str(format_timedelta(now - since, locale=babel_locale(language), threshold=1.0))
