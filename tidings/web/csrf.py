"""Cross-site request forgery: every state-changing request carries the session's token.

Each session holds one random token; every form sends it back as the hidden field
``csrf_token`` (scripts may send the ``X-CSRF-Token`` header instead), masked anew on each page
(``csrf_token``). The middleware checks
every unsafe request before any route sees it, so a route cannot forget: a missing or wrong
token gets 403. Forms are URL-encoded, or multipart when they carry images (compose); other
bodies must use the header.

A URL-encoded body is read into memory, up to ``MAX_FORM_BYTES``. A multipart one may hold
``MAX_IMAGES`` photos, so it is spooled to a temporary file instead (up to
``MAX_UPLOAD_BYTES``), read once for its text fields (the token; ``form_text`` checks them for
NUL), and replayed from the file.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from collections.abc import AsyncIterator, MutableMapping
from tempfile import SpooledTemporaryFile
from typing import IO, Any
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from drafts.media import MAX_IMAGES
from drafts.media_store import MAX_FILE_BYTES

FIELD = "csrf_token"
HEADER = b"x-csrf-token"
SESSION_KEY = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_PREFIX = "/api/"
MAX_FORM_BYTES = 1024 * 1024
# A compose form with as many images as a draft holds, each as large as the store takes.
MAX_UPLOAD_BYTES = MAX_IMAGES * MAX_FILE_BYTES + MAX_FORM_BYTES
FORM_TYPE = b"application/x-www-form-urlencoded"
MULTIPART_TYPE = b"multipart/form-data"
# Where a multipart body's text fields are left for the middlewares after this one.
TEXT_FIELDS = "tidings.text_fields"
_CHUNK = 64 * 1024


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's token as a page carries it: masked anew for every page (a random pad,
    then the token XOR the pad, in base64), so that no two pages hold the same characters.
    A page compressed on its way (a proxy's gzip) that also shows something a visitor typed
    would otherwise let someone watching the encrypted sizes guess the token a character at a
    time (BREACH). The session's own token is made on first use."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    secret = token.encode()
    pad = secrets.token_bytes(len(secret))
    return base64.urlsafe_b64encode(pad + _xor(pad, secret)).decode()


def _unmasked(given: str, length: int) -> bytes | None:
    """The token a page's masked ``given`` carries (a token of ``length`` bytes); None for
    anything else (a page shown before tokens were masked is refused, and asks to be
    reloaded)."""
    try:
        masked = base64.urlsafe_b64decode(given.encode())
    except ValueError:  # binascii.Error is one
        return None
    if len(masked) != 2 * length:
        return None
    return _xor(masked[:length], masked[length:])


def _xor(left: bytes, right: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(left, right, strict=True))


class CsrfMiddleware:
    """Passes safe requests through; lets an unsafe one through only with the right token.

    ``refuse`` answers a request without it (a 403 page); ``too_large`` one whose body is over
    ``MAX_FORM_BYTES``. The body is read here and replayed to the app unchanged.
    """

    def __init__(self, app: ASGIApp, *, refuse: ASGIApp, too_large: ASGIApp) -> None:
        self.app = app
        self.refuse = refuse
        self.too_large = too_large

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or _is_api(scope):
            await self.app(scope, receive, send)
            return
        if content_type(scope) == MULTIPART_TYPE:
            await self._multipart(scope, receive, send)
            return
        body = await read_body(receive)
        if body is None:
            await self.too_large(scope, receive, send)
            return
        if not _matches(scope, _token_in(scope, body)):
            await self.refuse(scope, receive, send)
            return
        await self.app(scope, replay(body, receive), send)

    async def _multipart(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _expected(scope) is None:  # no form of ours was shown: refused before reading
            await self.refuse(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
            await self.too_large(scope, receive, send)
            return
        spool = await spool_body(receive, MAX_UPLOAD_BYTES)
        if spool is None:
            await self.too_large(scope, receive, send)
            return
        with spool:
            fields = await _text_fields(scope, spool)
            values = [value for name, value in fields or () if name == FIELD]
            given = _header_token(scope) or (values[0] if len(values) == 1 else None)
            if fields is None or not _matches(scope, given):
                await self.refuse(scope, receive, send)
                return
            scope[TEXT_FIELDS] = fields
            await self.app(scope, replay_file(spool, receive), send)


def _expected(scope: Scope) -> str | None:
    """The session's token, if it has one."""
    token = scope["session"].get(SESSION_KEY)
    return token if isinstance(token, str) and token else None


def _matches(scope: Scope, given: str | None) -> bool:
    """Whether the session has a token and ``given`` is it."""
    expected = _expected(scope)
    if expected is None or not given:
        return False
    secret = expected.encode()
    token = _unmasked(given, len(secret))
    return token is not None and hmac.compare_digest(secret, token)


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None once it passes ``MAX_FORM_BYTES``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def spool_body(receive: Receive, limit: int) -> IO[bytes] | None:
    """The whole request body in a temporary file (in memory while small), or None once it
    passes ``limit``."""
    spool: IO[bytes] = SpooledTemporaryFile(max_size=MAX_FORM_BYTES)  # noqa: SIM115 (returned)
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            spool.close()
            return None
        spool.write(chunk)
        if not message.get("more_body", False):
            break
    spool.seek(0)
    return spool


async def _text_fields(scope: Scope, spool: IO[bytes]) -> list[tuple[str, str]] | None:
    """The multipart body's text fields (names and values, files left out), or None when it
    is not a readable multipart body."""

    async def chunks() -> AsyncIterator[bytes]:
        while chunk := spool.read(_CHUNK):
            yield chunk

    parser = MultiPartParser(Headers(scope=scope), chunks())  # type: ignore[arg-type]
    try:
        form = await parser.parse()
    except MultiPartException:
        return None
    finally:
        spool.seek(0)
    await form.close()
    return [(name, value) for name, value in form.multi_items() if isinstance(value, str)]


def replay_file(spool: IO[bytes], receive: Receive) -> Receive:
    """``receive`` for the app: the spooled body again, in chunks, then the client's own."""
    spool.seek(0, 2)
    remaining = spool.tell()
    spool.seek(0)
    done = False

    async def replay() -> Message:
        nonlocal remaining, done
        if done:
            return await receive()
        chunk = spool.read(_CHUNK)
        remaining -= len(chunk)
        done = remaining <= 0
        return {"type": "http.request", "body": chunk, "more_body": not done}

    return replay


def _header_token(scope: Scope) -> str | None:
    headers: dict[bytes, bytes] = dict(scope["headers"])
    return headers[HEADER].decode("latin-1") if HEADER in headers else None


def _token_in(scope: Scope, body: bytes) -> str | None:
    if (header := _header_token(scope)) is not None:
        return header
    if not is_form(scope):
        return None
    try:
        values = parse_qs(body.decode("utf-8"), keep_blank_values=True).get(FIELD, [])
    except UnicodeDecodeError:
        return None
    return values[0] if len(values) == 1 else None


def is_form(scope: Scope) -> bool:
    """Whether the request's body is a URL-encoded form."""
    return content_type(scope) == FORM_TYPE


def content_type(scope: Scope) -> bytes:
    """The request body's media type, lower case, without parameters."""
    headers: dict[bytes, bytes] = dict(scope["headers"])
    return headers.get(b"content-type", b"").split(b";")[0].strip().lower()


def replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _is_api(scope: Scope) -> bool:
    """The API takes no cookie (a bearer token each request), so no other site can make a
    browser call it with someone's login: there is nothing for a form token to prove."""
    return str(scope["path"]).startswith(API_PREFIX)
