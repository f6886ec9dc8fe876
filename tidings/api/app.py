"""The API app: FastAPI (OpenAPI 3.1 at ``/api/v1/openapi.json``, its docs at
``/api/v1/docs``), mounted by the web app at ``/api/v1``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib.metadata import version
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from drafts.config import Config
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from tidings.api import drafts_api, errors, idempotency, posts_api, rate_limits
from tidings.api.auth import calling
from tidings.api.docs_page import docs_page

PREFIX = "/api/v1"


def create_api(
    config: Config, database: Database, *, now: Callable[[], datetime] = utcnow
) -> ASGIApp:
    """The API, within its rate limits (``tidings.api.rate_limits``, around everything, so
    that every answer tells them) and with ``Idempotency-Key`` on POST."""
    api = FastAPI(
        title="Tidings",
        version=version("tidings"),
        summary="Drafts, review, scheduling and publishing, for scripts and tools.",
        openapi_url="/openapi.json",
        docs_url=None,  # FastAPI's page loads Swagger UI from a CDN: docs_page instead
        redoc_url=None,
    )
    errors.install(api)
    caller = calling(database, now)
    library = TemplateLibrary.default(config.template_folders)
    api.include_router(
        drafts_api.router(database, config, library, caller, now), responses=errors.RESPONSES
    )
    api.include_router(posts_api.router(database, config, caller, now), responses=errors.RESPONSES)
    api.add_middleware(idempotency.Idempotency, database=database, now=now)
    document(api)
    api.add_route("/docs", docs_page(api.openapi), include_in_schema=False)
    return rate_limits.RateLimits(api, config.api.requests_per_minute, now)


def document(api: FastAPI) -> None:
    """The OpenAPI document with what the middlewares add: the header on POST, the limits."""
    made = api.openapi

    def openapi() -> dict[str, Any]:
        schema = api.openapi_schema
        if schema is None:
            schema = made()  # kept by FastAPI as api.openapi_schema: amended once
            idempotency.document(schema)
            rate_limits.document(schema)
        return schema

    api.openapi = openapi  # type: ignore[method-assign]
