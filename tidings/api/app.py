"""The API app: FastAPI (OpenAPI 3.1 at ``/api/v1/openapi.json``, its docs at
``/api/v1/docs``), mounted by the web app at ``/api/v1``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib.metadata import version

from fastapi import FastAPI

from drafts.config import Config
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from tidings.api import drafts_api, errors, posts_api
from tidings.api.auth import calling

PREFIX = "/api/v1"


def create_api(
    config: Config, database: Database, *, now: Callable[[], datetime] = utcnow
) -> FastAPI:
    api = FastAPI(
        title="Tidings",
        version=version("tidings"),
        summary="Drafts, review, scheduling and publishing, for scripts and tools.",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    errors.install(api)
    caller = calling(database, now)
    library = TemplateLibrary.default(config.template_folders)
    api.include_router(
        drafts_api.router(database, config, library, caller, now), responses=errors.RESPONSES
    )
    api.include_router(posts_api.router(database, config, caller), responses=errors.RESPONSES)
    return api
