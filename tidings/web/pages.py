"""Server-rendered pages: the Jinja2 environment and what every page's template receives.

Autoescaping is on for every template, whatever its name: text from drafts is shown as text.
Interface strings go through ``_()`` (Jinja2's i18n extension, null translations until the
Babel catalogues exist), so they can be extracted and translated without touching templates.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from babel.dates import format_timedelta
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse

import drafts
from drafts.errors import ConfigError
from drafts.times import show
from drafts.timestamps import utcnow
from tidings.web.csrf import FIELD, csrf_token

FLASH = "flash"
UI_LANGUAGE = "en"


def web_templates() -> Path:
    """The folder of page templates, in a wheel (``drafts/templates``) or in a checkout."""
    package = Path(drafts.__file__).resolve().parent
    candidates = (package / "templates" / "web", package.parent / "templates" / "web")
    for folder in candidates:
        if folder.is_dir():
            return folder
    searched = ", ".join(str(folder) for folder in candidates)
    raise ConfigError(f"templates: web page templates not found (looked in {searched})")


class Pages:
    """Renders a named page template into an HTML response."""

    def __init__(self, folder: Path | None = None) -> None:
        self.env = Environment(
            loader=FileSystemLoader(folder or web_templates()),
            autoescape=True,
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
        self.env.filters["when"] = when
        self.env.filters["waited"] = waited

    def render(
        self, request: Request, template: str, /, *, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """The page ``template`` with ``context`` and what every page shows (viewer, token, flash)."""
        session = request.scope.get("session")  # absent only on a page for a failure outside it
        page = {
            "path": request.url.path,
            "viewer": getattr(request.state, "viewer", None),
            "csrf_field": FIELD,
            "csrf_token": csrf_token(session) if session is not None else "",
            "flash": session.pop(FLASH, None) if session is not None else None,
            "ui_language": UI_LANGUAGE,
            "now": utcnow(),
            **context,
        }
        html = self.env.get_template(template).render(page)
        return HTMLResponse(html, status_code=status)


def flash(request: Request, message: str) -> None:
    """A one-line message for the next page this visitor sees (after a redirect)."""
    request.session[FLASH] = message


def when(instant: datetime | None, zone: tzinfo) -> str:
    """``2026-12-01 10:00 KST``, or a dash for no time."""
    return show(instant, zone) if instant is not None else "–"


def waited(since: datetime, now: datetime) -> str:
    """How long ago ``since`` was, in words (``3 days``)."""
    return str(format_timedelta(now - since, locale=UI_LANGUAGE, threshold=1.0))
