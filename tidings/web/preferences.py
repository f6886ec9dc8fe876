"""The viewer's preferences, kept in their session: the timezone times are shown in.

Every page shows a due time in the viewer's timezone and in the channel's; the viewer's
defaults to ``[tidings] timezone``.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from drafts.timezones import zone
from tidings.web.auth import TIMEZONE, safe_next
from tidings.web.context import WebContext
from tidings.web.pages import flash


@cache
def timezone_names() -> tuple[str, ...]:
    return tuple(sorted(name for name in available_timezones() if "/" in name or name == "UTC"))


def routes(web: WebContext) -> list[Route]:
    async def preferences(request: Request) -> Response:
        return web.pages.render(
            request, "preferences.html", zones=timezone_names(), error=None, chosen=None
        )

    async def save(request: Request) -> Response:
        form = await request.form()
        name = str(form.get("timezone", "")).strip()
        try:
            zone(name)
        except ValueError as error:
            return web.pages.render(
                request,
                "preferences.html",
                status=400,
                zones=timezone_names(),
                error=f"timezone: {error}",
                chosen=name,
            )
        request.session[TIMEZONE] = name
        flash(request, f"Times are now shown in {name}.")
        return RedirectResponse(safe_next(str(form.get("next", ""))), status_code=303)

    return [
        Route("/preferences", preferences, methods=["GET"]),
        Route("/preferences", save, methods=["POST"]),
    ]
