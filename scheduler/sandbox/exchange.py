"""One request to a platform route: its log entry, its faults, and the platform's error dialect.

Platform modules write plain handlers ``async def handler(call: Call) -> Response`` and
register them with ``route(dialect, path, handler)``. The wrapper here does what every
platform shares: read the body once, log the request (secrets redacted), apply latency,
rate-limit, status and auth faults before the handler, the after-accept faults once the
handler stored a post, and the platform's rate-limit headers on every answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from scheduler.sandbox.faults import AFTER_ACCEPT_KINDS, BEFORE_KINDS, Fault
from scheduler.sandbox.state import JSON, ReceivedPost, SandboxState, WindowStatus, fingerprint

logger = logging.getLogger(__name__)

AuthFailure = Literal["missing", "revoked", "expired"]

#: Query or form fields that carry credentials; recorded as ``<redacted>`` or dropped.
SECRET_FIELDS = frozenset(
    {
        "access_token",
        "refresh_token",
        "client_secret",
        "password",
        "input_token",
        "code",
        "fb_exchange_token",
    }
)
# Headers that carry credentials or only describe the transport.
_UNRECORDED_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "x-api-key",
        "host",
        "content-length",
        "connection",
        "accept-encoding",
        "transfer-encoding",
    }
)


def reason(status: int) -> str:
    """The standard reason phrase for an HTTP status ("Service Unavailable")."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A compact UTF-8 JSON answer, the way platform APIs send them."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status, headers=headers, media_type="application/json; charset=utf-8")


class Dialect:
    """How one platform answers when things go wrong; each platform module subclasses it."""

    platform = ""

    def error(self, status: int, message: str | None = None) -> Response:
        """The platform's error answer for ``status`` (a ``status`` fault, a bad request)."""
        return json_response({"error": message or reason(status)}, status)

    def auth_failed(self, failure: AuthFailure, path: str = "") -> Response:
        """The platform's answer to a missing, revoked or expired credential on ``path``."""
        return self.error(401, "Unauthorized")

    def rate_limited(self, call: Call, window: WindowStatus, fault: Fault | None) -> Response:
        """The platform's rate-limit refusal, with its own reset header for ``window.reset_at``."""
        return self.error(429, "Too Many Requests")

    def window(self, call: Call) -> WindowStatus | None:
        """Count this request against the platform's rate window, if it reports one."""
        return None

    def limit_headers(self, call: Call, window: WindowStatus) -> dict[str, str]:
        """Rate-limit headers the platform sends on every answer."""
        return {}

    def redact_path(self, path: str) -> str:
        """The path as logged; platforms with a token in the path hide it here."""
        return path

    def client_key(self, call: Call) -> str:
        """Who is asking, as a salted digest of the credential (rate limits are per client)."""
        token = call.bearer() or call.params().get("access_token") or ""
        return call.state.token_digest(str(token))


class Call:
    """One request as a platform handler sees it: body, credentials, and where to record."""

    def __init__(
        self, request: Request, state: SandboxState, dialect: Dialect, body: bytes
    ) -> None:
        self.request = request
        self.state = state
        self.dialect = dialect
        self.body = body
        self.accepted: ReceivedPost | None = None
        #: Platform scratch space for one request (e.g. X's 24-hour window).
        self.extra: dict[str, Any] = {}

    @property
    def base_url(self) -> str:
        """The sandbox origin the client used, e.g. ``http://127.0.0.1:8900``."""
        return str(self.request.base_url).rstrip("/")

    @property
    def path(self) -> str:
        """The logged (redacted) request path."""
        return self.dialect.redact_path(self.request.url.path)

    def payload(self) -> JSON | None:
        """The body as a JSON object or form fields; ``None`` when it is neither."""
        content_type = self.request.headers.get("content-type", "")
        if "application/x-www-form-urlencoded" in content_type:
            return dict(parse_qsl(self.body.decode(errors="replace"), keep_blank_values=True))
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def params(self) -> JSON:
        """Query parameters overlaid by body fields, as Graph-style APIs read them."""
        merged: JSON = dict(self.request.query_params)
        merged.update(self.payload() or {})
        return merged

    def bearer(self) -> str | None:
        """The bearer token, or ``None`` when none (or an empty one) was sent."""
        header = self.request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()

    def auth_fingerprint(self) -> str | None:
        """How the credential of this request is recorded (never its value)."""
        token = self.bearer()
        if token is not None:
            return fingerprint("Bearer", token)
        access = self.params().get("access_token")
        if isinstance(access, str) and access:
            return fingerprint("access_token", access)
        return None

    def recorded_headers(self) -> dict[str, str]:
        """The request headers worth recording: everything but credentials and transport."""
        return {k: v for k, v in self.request.headers.items() if k not in _UNRECORDED_HEADERS}

    def record_post(
        self,
        *,
        channel: str,
        remote_id: str,
        url: str,
        text: str,
        body: JSON,
        details: JSON | None = None,
        auth: str | None = None,
        reply_to: str | None = None,
        comment: bool = False,
    ) -> ReceivedPost:
        """Store the post this request created, seen at ``url`` (its public URL, or one on the
        sandbox), replying to (or, ``comment``, commenting on) the post ``reply_to`` names;
        after-accept faults then apply to it."""
        post = self.state.record_post(
            platform=self.dialect.platform,
            channel=channel,
            remote_id=remote_id,
            base_url=self.base_url,
            url=url,
            text=text,
            body={k: v for k, v in body.items() if k not in SECRET_FIELDS},
            headers=self.recorded_headers(),
            auth=auth if auth is not None else self.auth_fingerprint(),
            details=details,
            reply_to=reply_to,
            comment=comment,
        )
        self.accepted = post
        return post


Handler = Callable[[Call], Awaitable[Response]]


class ConnectionDropped(Exception):
    """Raised on purpose after the response headers so the server cuts the connection."""


class DroppedResponse(Response):
    """Sends the status and headers of ``inner``, then fails before any of the promised body."""

    def __init__(self, inner: Response) -> None:
        super().__init__(status_code=inner.status_code)
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Promise at least one byte, so even an empty-bodied answer (LinkedIn's 201) is cut short.
        promised = str(max(len(self.inner.body), 1)).encode()
        headers = [(k, v) for k, v in self.inner.raw_headers if k != b"content-length"]
        headers.append((b"content-length", promised))
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        raise ConnectionDropped("sandbox fault drop_after_accept")


async def _pause_unless_gone(request: Request, seconds: float) -> None:
    """Wait ``seconds``, or less if the client hangs up: nobody is left to answer then."""

    async def disconnected() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(disconnected(), timeout=seconds)


def redact_query(params: Any) -> dict[str, str]:
    """Query parameters as logged, token values replaced."""
    return {k: ("<redacted>" if k in SECRET_FIELDS else v) for k, v in params.items()}


def _before_fault(call: Call, fault: Fault) -> Response:
    dialect = call.dialect
    if fault.kind == "revoked":
        response = dialect.auth_failed("revoked", call.path)
    elif fault.kind == "expired":
        response = dialect.auth_failed("expired", call.path)
    elif fault.status == 429:
        reset_at = fault.reset_at or call.state.now()
        limit = dialect.window(call)
        window = WindowStatus(limit.limit if limit else 0, 0, reset_at)
        response = dialect.rate_limited(call, window, fault)
    else:
        response = dialect.error(fault.status)
    # A status fault answers exactly that HTTP status, even where the platform would not
    # (Graph throttles with a 400); the body keeps the platform's shape.
    if fault.kind == "status":
        response.status_code = fault.status
    for name, value in fault.headers.items():
        response.headers[name] = value
    return response


async def _answer(call: Call, handler: Handler) -> tuple[Response, str | None, bool]:
    """Run the faults and the handler; returns the answer, the fault kind used, and earliness."""
    state, dialect, path = call.state, call.dialect, call.path
    platform = dialect.platform
    fault_used: str | None = None
    delay_ms = state.settings.default_latency_ms
    latency = state.faults.take(frozenset({"latency"}), platform, path)
    if latency is not None:
        delay_ms += latency.ms
        fault_used = "latency"
    if delay_ms > 0:
        await asyncio.sleep(delay_ms / 1000)

    limited = state.faults.active_rate_limit(platform, path, state.now(), dialect.client_key(call))
    if limited is not None and limited[0].reset_at is not None:
        limit, early = limited
        counted = dialect.window(call)
        refusal = WindowStatus(counted.limit if counted else 0, 0, limited[0].reset_at)
        return dialect.rate_limited(call, refusal, limit), "rate_limit", early

    before = state.faults.take(BEFORE_KINDS, platform, path)
    if before is not None:
        return _before_fault(call, before), before.kind, False

    window = dialect.window(call)
    if window is not None and window.exhausted and state.settings.enforce_rate_limits:
        return dialect.rate_limited(call, window, None), None, False

    response = await handler(call)
    if window is not None:
        for name, value in dialect.limit_headers(call, window).items():
            response.headers.setdefault(name, value)
    if call.accepted is not None:
        after = state.faults.take(AFTER_ACCEPT_KINDS, platform, path)
        if after is not None and after.kind == "drop_after_accept":
            return DroppedResponse(response), after.kind, False
        if after is not None:
            await _pause_unless_gone(call.request, after.seconds)
            return response, after.kind, False
    return response, fault_used, False


def endpoint(dialect: Dialect, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a platform handler into a Starlette endpoint with logging and faults."""

    async def run(request: Request) -> Response:
        state = sandbox_state(request)
        call = Call(request, state, dialect, await request.body())
        record = state.log_request(
            method=request.method,
            path=call.path,
            query=redact_query(request.query_params),
            platform=dialect.platform,
        )
        try:
            response, fault, early = await _answer(call, handler)
        except Exception:
            # A sandbox bug must not look like a platform outage without a trace.
            logger.exception("sandbox handler failed for %s %s", request.method, call.path)
            response, fault, early = dialect.error(500), None, False
        state.finish_request(record, response.status_code, fault=fault, early=early)
        return response

    return run


def route(dialect: Dialect, path: str, handler: Handler, methods: list[str]) -> Route:
    """A Starlette route for a platform handler."""
    return Route(path, endpoint(dialect, handler), methods=methods)


def sandbox_state(request: Request) -> SandboxState:
    """The state the app was created with."""
    state = request.app.state.sandbox
    assert isinstance(state, SandboxState)
    return state


def epoch(moment: datetime) -> str:
    """Unix seconds, rounded up so a client that waits until then is never early."""
    whole = int(moment.timestamp())
    return str(whole if whole == moment.timestamp() else whole + 1)
