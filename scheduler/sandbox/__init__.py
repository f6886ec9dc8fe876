"""The sandbox: a local server that speaks the supported platforms' APIs on loopback.

One server stands in for every platform (channels point their ``base_url`` at it), records
what it accepted, shows it at ``/``, and misbehaves on demand for tests::

    from scheduler.sandbox import running_sandbox

    with running_sandbox() as sandbox:
        sandbox.state.faults.add("status", "mastodon", status=503)
        ...  # publish to sandbox.base_url
        [post] = sandbox.state.posts("mastodon")

Modules: ``state`` (what was received), ``faults`` (injection), ``exchange`` (the request
wrapper every platform shares), one module per platform (and ``*_oauth`` for its token
endpoints), ``oauth`` (the authorization server they share: apps, codes, issued tokens),
``consent`` (the consent page every platform's authorization path shows), ``consent_client``
(answers that page as a browser would, for the demo and tests), ``page`` (HTML), ``control``
(``/_sandbox/`` JSON routes), ``app`` and ``server``.
"""

from drafts.channels import PLATFORMS
from scheduler.sandbox.app import create_app
from scheduler.sandbox.faults import Fault, FaultBook, FaultError, FaultKind
from scheduler.sandbox.server import RunningSandbox, SandboxStartError, running_sandbox, serve
from scheduler.sandbox.state import ReceivedPost, RequestRecord, SandboxState, Settings

__all__ = [
    "PLATFORMS",
    "Fault",
    "FaultBook",
    "FaultError",
    "FaultKind",
    "ReceivedPost",
    "RequestRecord",
    "RunningSandbox",
    "SandboxStartError",
    "SandboxState",
    "Settings",
    "create_app",
    "running_sandbox",
    "serve",
]
