"""``tidings sandbox`` and ``tidings web`` on a port already in use, or on a host that is not
an address of this machine: one line naming ``--port`` or ``--host``, exit status 1, and no
server log."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.command_line import fails, run, use_folder

TEST_NET = "192.0.2.1"  # RFC 5737: for documentation, never an address of this machine


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port another program listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    return tmp_path


@pytest.mark.usefixtures("workdir")
@pytest.mark.parametrize("command", ["sandbox", "web"])
def test_a_port_in_use_is_named(
    command: str, taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    line = fails([command, "--port", str(taken_port)], capsys)
    assert line == f"error: --port: {taken_port} is in use on 127.0.0.1"


@pytest.mark.usefixtures("workdir")
@pytest.mark.parametrize("command", ["sandbox", "web"])
def test_a_host_that_is_not_an_address_is_named(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    line = fails([command, "--host", "999.1.1.1"], capsys)
    assert line.startswith("error: --host: 999.1.1.1 is not an address (")

    line = fails([command, "--host", TEST_NET], capsys)
    assert line == f"error: --host: {TEST_NET} is not an address of this machine"
