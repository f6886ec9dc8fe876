"""``tidings web``: the review and queue web app, served by uvicorn."""

from __future__ import annotations

import gc
from typing import Annotated, Any

import typer

from drafts.config import WebSettings
from tidings.cli.console import say
from tidings.cli.context import app_context
from tidings.cli.listening import check_address
from tidings.cli.log_format import LogFormat, log_to_stderr
from tidings.cli.publish_commands import LOG_FORMAT_HELP


def web(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8800,
    secure_cookies: Annotated[
        bool,
        typer.Option(
            "--secure-cookies",
            help="Send the session cookie over HTTPS only, and HSTS (behind TLS).",
        ),
    ] = False,
    log_format: Annotated[
        LogFormat, typer.Option("--log-format", help=LOG_FORMAT_HELP)
    ] = LogFormat.PLAIN,
) -> None:
    """Serve the web app for reviewers and comms staff (needs TIDINGS_WEB_SECRET or
    TIDINGS_SECRET_KEY to sign session cookies), with /healthz, /readyz and /metrics."""
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from scheduler.vault import check_vault_key
    from tidings.web.app import create_app
    from tidings.web.post_cards import warm_up

    context = app_context(ctx)
    log_to_stderr(log_format)
    # Connecting and checking channels open the vault: a missing or wrong key is said now.
    check_vault_key(context.database(), context.config.channels, renews=False)
    check_address(host, port)  # before the pages compile: a port in use is said at once
    app = create_app(context.config, context.database(), https_only=secure_cookies)
    app.state.pages.compile_all()  # the first visitor of each page waits for no compiling
    warm_up(context.config)
    say(f"Tidings web on http://{host}:{port}/ (Ctrl-C stops it)")
    # Everything loaded so far lives as long as the server: keep it out of the collector's
    # full passes, which otherwise walk it during requests (the calendar's p95 tail).
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        # JSON: uvicorn's records go to the JSON handler like ours, not to its own formatters.
        log_config=None if log_format is LogFormat.JSON else LOGGING_CONFIG,
        server_header=False,
        **forwarding(context.config.web),
    )


def forwarding(settings: WebSettings) -> dict[str, Any]:
    """uvicorn's options for ``X-Forwarded-For`` and ``-Proto``: believed from the configured
    ``trusted_proxies`` only. Left to itself uvicorn believes any client on 127.0.0.1 (or
    ``$FORWARDED_ALLOW_IPS``), and a forged address escapes the login throttle."""
    proxies = list(settings.trusted_proxies)
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": proxies}
