"""The Import CSV page, for authors and admins: the file ``tidings import`` takes, uploaded.

An upload is checked and rehearsed at once (``drafts.csv_import``: every row through the draft
file's checks, every draft added and rolled back), and the page shows what would be created, or
every problem beside its row. Nothing is written until the viewer confirms; the file waits for
that in memory under a one-time token (the last ``KEPT`` uploads, per process, as
``compose_once`` keeps its forms). Confirming takes the token away before anything else, so the
same confirmation sent twice (a double click, a reload) imports once: the second finds no file
and says so. Then post/redirect/get to the desk.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from drafts.csv_import import (
    MAX_CSV_BYTES,
    CreatedDraft,
    CsvError,
    check_rows,
    read_table,
    store_drafts,
)
from drafts.models import User
from drafts.rendering import TemplateLibrary
from drafts.times import utcnow
from drafts.users import Capability, require
from tidings.web.context import WebContext, off_loop
from tidings.web.pages import flash
from tidings.web.translations import N_

KEPT = 16  # uploads awaiting confirmation; each may be up to MAX_CSV_BYTES
NO_FILE = N_("Choose a CSV file to import.")
TOO_LARGE = N_("This file has %(size)s bytes; a CSV file may have at most %(most)s.")
GONE = N_("Nothing was imported again: this file was already imported, or its preview expired.")
IMPORTED = N_("Imported %(count)s drafts.")
IMPORTED_AND_SENT = N_("Imported %(count)s drafts and sent them to review.")


@dataclass(frozen=True)
class Upload:
    """A checked file awaiting its author's confirmation."""

    name: str
    data: bytes
    submit: bool


class AwaitingUploads:
    """Checked uploads by their user and one-time token. Call it from the event loop."""

    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self._waiting: OrderedDict[tuple[int, str], Upload] = OrderedDict()

    def keep(self, user_id: int, upload: Upload) -> str:
        token = secrets.token_urlsafe(16)
        self._waiting[(user_id, token)] = upload
        while len(self._waiting) > self.kept:
            self._waiting.popitem(last=False)
        return token

    def take(self, user_id: int, token: str) -> Upload | None:
        """The upload, once: a second take of the same token finds nothing."""
        return self._waiting.pop((user_id, token), None)


def routes(web: WebContext) -> list[Route]:
    awaiting = AwaitingUploads()
    library = TemplateLibrary.default(web.config.template_folders)

    def writer(request: Request) -> User:
        user: User = request.state.viewer.user
        require(user, Capability.WRITE)  # a reviewer gets the 403 page
        return user

    def show(request: Request, status: int = 200, **shown: Any) -> Response:
        """The page: the upload form, after a preview (``created``, ``token``) or a refusal
        (``error``, or ``problems`` of the file ``name``)."""
        values = {"error": None, "name": "", "problems": (), "created": (), "token": ""}
        return web.pages.render(request, "import.html", status=status, **{**values, **shown})

    async def page(request: Request) -> Response:
        writer(request)
        return show(request)

    async def upload(request: Request) -> Response:
        author = writer(request)
        _ = web.pages.gettext(request)
        async with request.form() as form:
            chosen = form.get("file")
            submit = form.get("submit") == "yes"
            if not isinstance(chosen, UploadFile) or not chosen.filename:
                return show(request, status=400, error=_(NO_FILE))
            if chosen.size is not None and chosen.size > MAX_CSV_BYTES:
                sizes = {"size": f"{chosen.size:,}", "most": f"{MAX_CSV_BYTES:,}"}
                return web.pages.render(
                    request, "import.html", status=400, error=_(TOO_LARGE) % sizes
                )
            taken = Upload(name=chosen.filename, data=await chosen.read(), submit=submit)
        try:
            created = await off_loop(_store, web, library, taken, author, rehearse=True)
        except CsvError as error:
            return show(request, status=400, name=taken.name, problems=error.problems)
        token = awaiting.keep(author.id or 0, taken)
        return show(request, name=taken.name, created=created, token=token, submit=submit)

    async def confirm(request: Request) -> Response:
        author = writer(request)
        _ = web.pages.gettext(request)
        async with request.form() as form:
            token = str(form.get("token", ""))
        taken = awaiting.take(author.id or 0, token)
        if taken is None:
            flash(request, _(GONE))
            return RedirectResponse("/", status_code=303)
        try:
            created = await off_loop(_store, web, library, taken, author, rehearse=False)
        except CsvError as error:  # the channels or templates changed since the preview
            return show(request, status=400, name=taken.name, problems=error.problems)
        words = {"count": len(created)}
        flash(request, _(IMPORTED_AND_SENT if taken.submit else IMPORTED) % words)
        return RedirectResponse("/", status_code=303)

    return [
        Route("/import", page, methods=["GET"]),
        Route("/import", upload, methods=["POST"]),
        Route("/import/confirm", confirm, methods=["POST"]),
    ]


def _store(
    web: WebContext, library: TemplateLibrary, upload: Upload, author: User, *, rehearse: bool
) -> list[CreatedDraft]:
    table = read_table(upload.data, upload.name)
    planned = check_rows(table, folder=None, config=web.config, library=library, now=utcnow())
    return store_drafts(
        web.database,
        planned,
        name=upload.name,
        author=author,
        config=web.config,
        library=library,
        submit=upload.submit,
        rehearse=rehearse,
    )
