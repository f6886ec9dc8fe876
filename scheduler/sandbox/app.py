"""The sandbox as one Starlette app: every platform's API on one origin, routed by path.

A Tidings channel whose ``base_url`` is the sandbox's origin sends its usual request paths
here; the paths of the platforms do not collide, so one server stands in for all of them.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route

from scheduler.sandbox import (
    bluesky,
    consent,
    control,
    facebook,
    linkedin,
    mastodon,
    page,
    telegram,
    threads,
    webhook,
    x,
)
from scheduler.sandbox.state import SandboxState

_ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# One module per platform, routed in this order: literal paths first, and Threads'
# /v1.0/... before Facebook's /{graph_version}/...
PLATFORM_MODULES = (mastodon, webhook, linkedin, bluesky, x, telegram, threads, facebook)


def create_app(state: SandboxState | None = None) -> Starlette:
    """Build the sandbox app around ``state`` (a fresh one when omitted)."""
    routes: list[BaseRoute] = [Route("/", page.index, methods=["GET"])]
    routes += control.routes()
    # The consent pages before the platforms: Facebook's /{graph_version}/... would take its path.
    routes += consent.routes()
    for module in PLATFORM_MODULES:
        routes += module.routes()
    # Last: post pages at the paths their APIs returned, and a logged 404 for anything else.
    routes.append(Route("/{path:path}", page.permalink, methods=_ANY_METHOD))
    app = Starlette(routes=routes)
    app.state.sandbox = state or SandboxState()
    return app
