"""Signed media links: the daemon signs, ``tidings web`` verifies.

Threads takes no upload: Meta fetches each image from a public address (``image_url`` on the
container, PRODUCT.md "Images"). ``[media] public_url`` is where ``tidings web`` serves images,
and a link is only good with a signature made with a key both processes derive from the web
secret (``scheduler.web_secret``) under a label of their own:

    <public_url>/<sha256>.<ext>?expires=<unix seconds>&signature=<HMAC-SHA256, base64url>

The signature covers the file name and the expiry, so neither can be changed. It proves only
that the daemon asked for the image; the web app also checks, on every fetch, that an approved
post still sends it.

A link lives ``LINK_LIFETIME``, one hour from when the daemon builds the post's job, inside
its lease. Meta fetches the image when the container is made ("We will cURL your image using
the URL provided", developers.facebook.com/docs/threads/posts) and processes it for about 30
seconds (the same page, step 2, as quoted by a secondary source); it advises polling a
container's status once a minute for no more than 5 minutes
(developers.facebook.com/docs/threads/troubleshooting). An hour covers that many times over, a
slow fetch, and clocks a few minutes apart on two hosts. The container's own 24 hours (after
which it is ``EXPIRED``, same page) do not call for a longer link: a container holds the image
once fetched, and a later attempt that needs a new container builds a new job with new links. A shorter life keeps a leaked link (a proxy's log, a receiving webhook's) from
being good for long.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from urllib.parse import urlencode

from drafts.media import StoredImage
from scheduler.web_secret import web_secret

LINK_LIFETIME = timedelta(hours=1)
_SALT = b"tidings-media-links-v1"
_LABEL = b"media-link"


def media_link_key(environ: Mapping[str, str] = os.environ) -> bytes:
    """The key that signs and verifies media links; ``ConfigError`` naming the variable when
    neither ``TIDINGS_WEB_SECRET`` nor ``TIDINGS_SECRET_KEY`` is set (or it is too weak)."""
    return web_secret(environ, "sign media links").derive(_SALT, _LABEL)


def signed_url(public_url: str, image: StoredImage, expires: datetime, key: bytes) -> str:
    """The link to ``image`` under ``public_url`` (``[media] public_url``), good until
    ``expires`` (an aware time; ``LINK_LIFETIME`` from now, as the daemon signs)."""
    name = f"{image.sha256}.{image.extension}"
    until = _unix(expires)
    query = urlencode({"expires": until, "signature": _signature(name, until, key)})
    return f"{public_url.rstrip('/')}/{name}?{query}"


def verify(name: str, expires: str, signature: str, key: bytes, now: datetime) -> bool:
    """Whether ``signature`` is the one for ``name`` (``<sha256>.<ext>``) until ``expires``
    (the query's text), and that time is still ahead of ``now``. Compared in constant time."""
    if not expires.isdigit() or len(expires) > 12:
        return False
    until = int(expires)
    if until <= _unix(now):
        return False
    expected = _signature(name, until, key)
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))


def _signature(name: str, until: int, key: bytes) -> str:
    message = f"{name}\n{until}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _unix(when: datetime) -> int:
    if when.tzinfo is None:
        raise ValueError("a media link's expiry must be an aware time")
    return int(when.timestamp())
