"""``/api/v1/docs``: the API's reference page, written from its OpenAPI document on this
server. FastAPI's own page loads Swagger UI from a CDN, which the web app's content policy (and
a machine without the internet) refuses; this one needs nothing but the app's own stylesheet."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

METHODS = ("get", "post", "put", "patch", "delete")


def docs_page(schema: Callable[[], dict[str, Any]]) -> Callable[[Request], Awaitable[HTMLResponse]]:
    """The route answering the page, written from ``schema()`` (the OpenAPI document)."""

    async def page(_: Request) -> HTMLResponse:
        return HTMLResponse(render(schema()))

    return page


def render(document: dict[str, Any]) -> str:
    info = document.get("info", {})
    operations = [
        _operation(method, path, spec[method])
        for path, spec in document.get("paths", {}).items()
        for method in METHODS
        if method in spec
    ]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(info.get('title', 'API'))} API</title>"
        '<link rel="stylesheet" href="/static/tidings.css"></head><body><main>'
        f"<h1>{escape(info.get('title', 'API'))} API {escape(info.get('version', ''))}</h1>"
        f"<p>{escape(info.get('summary', ''))}</p>"
        "<p>Every request names a token: <code>Authorization: Bearer &lt;token&gt;</code> "
        "(<code>tidings token create</code>, or the Tokens page under Preferences). "
        'The machine-readable document: <a href="/api/v1/openapi.json">openapi.json</a>.</p>'
        + "".join(operations)
        + "</main></body></html>"
    )


def _operation(method: str, path: str, spec: dict[str, Any]) -> str:
    parameters = "".join(
        f"<li><code>{escape(p['name'])}</code> ({escape(p['in'])}"
        f"{', required' if p.get('required') else ''})"
        f"{': ' + escape(p['description']) if p.get('description') else ''}</li>"
        for p in spec.get("parameters", [])
    )
    body = spec.get("requestBody", {}).get("content", {}).get("application/json", {})
    body_line = f"<p>Body: <code>{escape(_schema_name(body.get('schema', {})))}</code></p>"
    answers = ", ".join(escape(code) for code in spec.get("responses", {}))
    return (
        f'<section id="{escape(spec.get("operationId", ""))}">'
        f"<h2><code>{method.upper()} /api/v1{escape(path)}</code></h2>"
        f"<p>{escape(spec.get('summary', ''))}</p>"
        f"<p>{escape(spec.get('description', ''))}</p>"
        + (f"<ul>{parameters}</ul>" if parameters else "")
        + (body_line if body else "")
        + f"<p>Answers: {answers}</p></section>"
    )


def _schema_name(schema: dict[str, Any]) -> str:
    reference = str(schema.get("$ref", ""))
    return reference.rsplit("/", 1)[-1] if reference else str(schema.get("type", "JSON"))
