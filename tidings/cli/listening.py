"""Whether ``tidings sandbox`` and ``tidings web`` can listen where they are asked to, found out
before uvicorn starts: uvicorn's own refusal is a log line and exit status 3."""

from __future__ import annotations

import errno
import socket

from drafts.errors import ConfigError


def check_address(host: str, port: int) -> None:
    """Bind ``host``:``port`` as uvicorn will (``SO_REUSEADDR``; IPv6 for an address with a
    colon) and let it go again; a ConfigError naming ``--host`` or ``--port`` if that fails."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except socket.gaierror as error:
            raise ConfigError(f"--host: {host} is not an address ({error.strerror})") from None
        except TypeError:  # a name Python cannot encode (a NUL, bytes that are not UTF-8)
            raise ConfigError(f"--host: {host!r} is not an address") from None
        except OSError as error:
            raise ConfigError(_refusal(host, port, error)) from None


def _refusal(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"--port: {port} is in use on {host}"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"--host: {host} is not an address of this machine"
    return f"--port: cannot listen on {host}:{port} ({error.strerror or error})"
