"""The harness side of the sandbox under ``/_sandbox/``: what was received, faults, reset.

These routes are for tests, the demo and benchmarks; they are not logged as requests.

- ``GET /_sandbox/posts[?platform=x]``: accepted posts, oldest first.
- ``GET /_sandbox/images[?platform=x]``: ``{"images": [...]}``, every image received (once per
  SHA-256), as ``ReceivedImage.to_json``: format, pixels, bytes and any metadata found.
- ``GET /_sandbox/images/{sha256}``: that image's bytes, as received.
- ``GET /_sandbox/requests[?platform=x&path=substring]``: the request log, oldest first.
- ``GET|POST|DELETE /_sandbox/faults``: list, add (one object or a list), clear faults.
- ``GET|PATCH /_sandbox/settings``: read or change ``Settings`` fields.
- ``GET|POST /_sandbox/oauth/apps``: list or register OAuth apps (``oauth.register_oauth_app``):
  ``{"platform", "client_id", "client_secret" (optional), "redirect_uris": [...], "name",
  "programmatic_refresh" (LinkedIn: the app gets refresh tokens)}``.
- ``POST /_sandbox/reset``: forget posts, requests, faults and sessions (settings stay).
"""

from __future__ import annotations

import json
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from drafts.media import EXTENSIONS
from scheduler.sandbox.exchange import json_response, sandbox_state
from scheduler.sandbox.faults import FaultError, fault_from_json
from scheduler.sandbox.oauth import OAuthStore, register_oauth_app
from scheduler.sandbox.state import ReceivedImage


async def posts(request: Request) -> Response:
    """Every accepted post as JSON."""
    state = sandbox_state(request)
    platform = request.query_params.get("platform")
    return json_response({"posts": [p.to_json() for p in state.posts(platform)]})


async def images(request: Request) -> Response:
    """Every received image as JSON (not its bytes)."""
    found = sandbox_state(request).images(request.query_params.get("platform"))
    return json_response({"images": [image.to_json() for image in found]})


async def image(request: Request) -> Response:
    """One received image's bytes, or 404."""
    sha256 = request.path_params["sha256"]
    found = sandbox_state(request).image(sha256)
    if found is None:
        return json_response({"error": f"The sandbox received no image {sha256}"}, 404)
    return Response(
        found.data, media_type=served_type(found), headers={"X-Content-Type-Options": "nosniff"}
    )


def served_type(image: ReceivedImage) -> str:
    """The content type its upload declared when it is an image type Tidings sends and the
    bytes decoded; else bytes that no browser should render (a page of the sandbox's own
    origin must not run what a client uploaded)."""
    if image.format is not None and image.content_type in EXTENSIONS:
        return image.content_type
    return "application/octet-stream"


async def requests(request: Request) -> Response:
    """The request log as JSON."""
    state = sandbox_state(request)
    found = state.requests(
        request.query_params.get("platform"), path=request.query_params.get("path")
    )
    return json_response({"requests": [r.to_json() for r in found]})


async def faults(request: Request) -> Response:
    """List (GET), add (POST) or clear (DELETE) faults."""
    state = sandbox_state(request)
    if request.method == "DELETE":
        state.faults.clear()
        return json_response({"faults": []})
    if request.method == "POST":
        try:
            data = json.loads(await request.body())
            items = data if isinstance(data, list) else [data]
            built = [fault_from_json(item, now=state.now()) for item in items]
        except (FaultError, ValueError, TypeError, AttributeError) as exc:
            return json_response({"error": str(exc)}, 400)
        added = [state.faults.add(fault) for fault in built]
        return json_response({"faults": [f.to_json() for f in added]}, 201)
    return json_response({"faults": [f.to_json() for f in state.faults.active()]})


async def settings(request: Request) -> Response:
    """Read (GET) or change (PATCH) the sandbox settings."""
    state = sandbox_state(request)
    if request.method == "PATCH":
        try:
            data = json.loads(await request.body())
            if not isinstance(data, dict):
                raise ValueError("settings must be a JSON object")
            with state.lock:
                # Validate on a copy first so a bad field changes nothing.
                replace(state.settings).update(data)
                state.settings.update(data)
        except (ValueError, TypeError) as exc:
            return json_response({"error": str(exc)}, 400)
    return json_response(state.settings.to_json())


async def oauth_apps(request: Request) -> Response:
    """List (GET) or register (POST) OAuth apps; secrets are never shown."""
    state = sandbox_state(request)
    if request.method == "POST":
        try:
            data = json.loads(await request.body())
            app = register_oauth_app(
                state,
                platform=str(data["platform"]),
                client_id=str(data["client_id"]),
                client_secret=str(data.get("client_secret") or ""),
                redirect_uris=[str(uri) for uri in data["redirect_uris"]],
                name=str(data.get("name") or "Tidings"),
                programmatic_refresh=data.get("programmatic_refresh") is True,
            )
        except KeyError as exc:
            return json_response({"error": f"an OAuth app needs {exc.args[0]!r}"}, 400)
        except (ValueError, TypeError) as exc:
            return json_response({"error": f"cannot register the app: {exc}"}, 400)
        return json_response(app.to_json(), 201)
    with state.lock:
        apps = list(state.store(OAuthStore).apps.values())
    return json_response({"apps": [app.to_json() for app in apps]})


async def reset(request: Request) -> Response:
    """Forget everything received."""
    sandbox_state(request).reset()
    return json_response({"reset": True})


def routes() -> list[BaseRoute]:
    """The ``/_sandbox/`` routes."""
    return [
        Route("/_sandbox/posts", posts, methods=["GET"]),
        Route("/_sandbox/images", images, methods=["GET"]),
        Route("/_sandbox/images/{sha256}", image, methods=["GET"]),
        Route("/_sandbox/requests", requests, methods=["GET"]),
        Route("/_sandbox/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sandbox/settings", settings, methods=["GET", "PATCH"]),
        Route("/_sandbox/oauth/apps", oauth_apps, methods=["GET", "POST"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
    ]
