"""The viewer's preferences: the timezone times are shown in (kept in their session) and the
language of the interface (saved on their user, ``User.language``).

Every page shows a due time in the viewer's timezone and in the channel's; the viewer's
defaults to ``[tidings] timezone``. The interface language defaults to the browser's
``Accept-Language`` (English or Korean), else English.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from drafts.errors import TidingsError
from drafts.storage import Database
from drafts.times import zone
from drafts.users import set_language
from tidings.web.auth import TIMEZONE, Viewer, safe_next
from tidings.web.context import WebContext, off_loop
from tidings.web.pages import flash
from tidings.web.translations import LANGUAGE_NAMES, LANGUAGES, N_, parse_language, translations

# A zone asked for by name (``field`` is the form field or query parameter) that does not exist.
NOT_A_ZONE = N_("%(field)s: %(name)s is not an IANA timezone (like Asia/Seoul, Europe/Berlin)")
NOT_A_LANGUAGE = N_("language: %(text)s is not one of %(offered)s")


@cache
def timezone_names() -> tuple[str, ...]:
    return tuple(sorted(name for name in available_timezones() if "/" in name or name == "UTC"))


def save_language(database: Database, user_id: int, language: str) -> None:
    """Store ``language`` as the user's interface language."""
    with database.writing() as session:
        set_language(session, user_id=user_id, language=language)


def routes(web: WebContext) -> list[Route]:
    web.pages.use_database(web.database)  # where each viewer's chosen language is read

    def form_page(
        request: Request,
        *,
        status: int = 200,
        error: str | None = None,
        chosen: str | None = None,
        language: str | None = None,
    ) -> Response:
        return web.pages.render(
            request,
            "preferences.html",
            status=status,
            zones=timezone_names(),
            error=error,
            chosen=chosen,
            languages=tuple(LANGUAGE_NAMES.items()),
            chosen_language=language,  # None: the page's own language is shown as chosen
        )

    async def preferences(request: Request) -> Response:
        return form_page(request)

    async def save(request: Request) -> Response:
        viewer: Viewer = request.state.viewer
        form = await request.form()
        name = str(form.get("timezone", "")).strip()
        asked = form.get("language")
        typed_language = str(asked).strip() if asked is not None else None
        try:
            zone(name)
        except ValueError:
            problem = web.pages.gettext(request)(NOT_A_ZONE)
            return form_page(
                request,
                status=400,
                error=problem % {"field": "timezone", "name": repr(name)},
                chosen=name,
                language=typed_language,
            )
        language: str | None = None
        if typed_language is not None:
            try:
                language = parse_language(typed_language)
            except TidingsError:
                problem = web.pages.gettext(request)(NOT_A_LANGUAGE)
                offered = ", ".join(LANGUAGES)
                error = problem % {"text": repr(typed_language), "offered": offered}
                return form_page(request, status=400, error=error, chosen=name)
            await off_loop(save_language, web.database, viewer.id, language)
        request.session[TIMEZONE] = name
        _ = translations(language or web.pages.language(request)).gettext
        flash(request, _("Saved. Times are now shown in %(zone)s.") % {"zone": name})
        return RedirectResponse(safe_next(str(form.get("next", ""))), status_code=303)

    return [
        Route("/preferences", preferences, methods=["GET"]),
        Route("/preferences", save, methods=["POST"]),
    ]
