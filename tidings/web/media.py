"""Images over HTTP: the signed links platforms fetch, and the images signed-in people see.

``GET /media/<sha256>.<ext>?expires=…&signature=…`` needs no login (Meta's fetcher has none):
it serves an image only with a good, unexpired signature (``scheduler.media_links``) and only
while an approved post sends it (``drafts.approved_media``). Anything else under ``/media/`` is
the same plain 404, so a stranger learns nothing about which images exist. The bytes never
change, so a cache may keep them, but no longer than the link lives.

``GET /drafts/images/<sha256>`` serves any stored image to a signed-in person (the login
check covers it like every page): the compose page's thumbnails and the post cards. Private
to the browser's cache, which may keep it for good: an image's name is its hash.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from drafts.approved_media import approved_image
from drafts.media import StoredImage
from drafts.media_store import image_bytes, stored_image
from drafts.storage import Database
from drafts.times import utcnow
from scheduler.media_links import verify
from tidings.web.context import WebContext, off_loop

PUBLIC_PREFIX = "/media/"
_NAME = re.compile(r"^([0-9a-f]{64})\.([a-z]{3,4})$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
PRIVATE_CACHE = "private, max-age=31536000, immutable"


def not_found() -> Response:
    """The one answer for every link that does not serve an image."""
    return Response("Not found\n", status_code=404, media_type="text/plain")


def image_url(sha256: str) -> str:
    """Where a signed-in person's browser reads a stored image."""
    return f"/drafts/images/{sha256}"


def _approved(database: Database, sha256: str) -> tuple[StoredImage, bytes] | None:
    with database.reading() as session:
        image = approved_image(session, sha256)
        data = image_bytes(session, sha256) if image is not None else None
    return None if image is None or data is None else (image, data)


def _stored(database: Database, sha256: str) -> tuple[StoredImage, bytes] | None:
    with database.reading() as session:
        image = stored_image(session, sha256)
        data = image_bytes(session, sha256) if image is not None else None
    return None if image is None or data is None else (image, data)


def routes(web: WebContext, link_key: bytes) -> list[Route]:
    async def signed(request: Request) -> Response:
        name: str = request.path_params["name"]
        expires = request.query_params.get("expires", "")
        signature = request.query_params.get("signature", "")
        now = utcnow()
        found = _NAME.match(name)
        if found is None or not verify(name, expires, signature, link_key, now):
            return not_found()
        sha256, extension = found.groups()
        served = await off_loop(_approved, web.database, sha256)
        if served is None or served[0].extension != extension:
            return not_found()
        image, data = served
        lives = int(expires) - int(now.timestamp())
        headers = {"Cache-Control": f"public, max-age={lives}, immutable", "ETag": f'"{sha256}"'}
        return Response(data, media_type=image.content_type, headers=headers)

    async def private(request: Request) -> Response:
        sha256: str = request.path_params["sha256"]
        served = await off_loop(_stored, web.database, sha256) if _SHA256.match(sha256) else None
        if served is None:
            return not_found()
        image, data = served
        headers = {"Cache-Control": PRIVATE_CACHE, "ETag": f'"{sha256}"'}
        return Response(data, media_type=image.content_type, headers=headers)

    return [
        Route(PUBLIC_PREFIX + "{name:path}", signed, methods=["GET"]),
        Route("/drafts/images/{sha256}", private, methods=["GET"]),
    ]
