"""Escape sequences in a draft reach a reviewer's terminal inert: the `tidings` command runs on
a pseudo-terminal, as a person runs it, and what it writes there is read back byte for byte."""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from tests.conftest import TEST_CONFIG

# CSI "erase the screen", OSC 0 "set the window title", an OSC 8 hyperlink and the one-byte C1 CSI.
EVIL = r"""
kind = "update"
title = "Minutes \u001b[2J of \u001b]0;owned\u0007 the board"
channels = ["linkedin"]
[text]
en = "Read \u001b]8;;https://evil.example/\u001b\\the minutes\u001b]8;;\u001b\\ then \u009b2J done"
"""
# What rich itself writes on a colour terminal: SGR styles (bold, colours), nothing else.
RICH_STYLES = re.compile(r"\x1b\[[0-9;]*m")
C1_CONTROLS = re.compile("[\x80-\x9f]")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "config.toml").write_text(
        TEST_CONFIG.replace("sqlite:///unused.db", "sqlite:///tidings.db"), encoding="utf-8"
    )
    (tmp_path / "evil.toml").write_text(EVIL, encoding="utf-8")
    for args in (["init"], ["user", "add", "mina", "--role", "author"]):
        subprocess.run(tidings(*args), cwd=tmp_path, env=environment(), check=True, timeout=60)
    return tmp_path


def tidings(*args: str) -> list[str]:
    return [sys.executable, "-m", "tidings", *args]


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    env.pop("NO_COLOR", None)
    return {**env, "TERM": "xterm-256color"}


def on_terminal(folder: Path, *args: str) -> str:
    """What `tidings ARGS` writes to a 200-column terminal (stdout and stderr)."""
    controller, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    process = subprocess.Popen(
        tidings(*args),
        cwd=folder,
        env=environment(),
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    written = bytearray()
    try:
        while select.select([controller], [], [], 60)[0]:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the command ended and closed the terminal
                break
            if not chunk:
                break
            written += chunk
        assert process.wait(timeout=60) == 0, written.decode("utf-8", "replace")
    finally:
        process.kill()
        os.close(controller)
    return written.decode("utf-8")


def test_escape_sequences_in_a_draft_are_shown_inert_at_a_terminal(folder: Path) -> None:
    for args in (
        ["draft", "add", "evil.toml", "--as", "mina"],
        ["draft", "list"],
        ["draft", "show", "1"],
    ):
        written = on_terminal(folder, *args)
        without_styles = RICH_STYLES.sub("", written)
        assert "\x1b" not in without_styles, (args, written)
        assert not C1_CONTROLS.search(written), (args, written)
        assert "Minutes ␛[2J of ␛]0;owned␇ the board" in without_styles, args
        if args[1] != "list":
            assert (
                "Read ␛]8;;https://evil.example/␛\\the minutes␛]8;;␛\\ then \\x9b2J done"
                in without_styles
            ), args


def test_json_escapes_c1_controls_too(folder: Path) -> None:
    subprocess.run(
        tidings("draft", "add", "evil.toml", "--as", "mina", "--json"),
        cwd=folder,
        env=environment(),
        check=True,
        capture_output=True,
        timeout=60,
    )
    shown = subprocess.run(
        tidings("draft", "show", "1", "--json"),
        cwd=folder,
        env=environment(),
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout.decode("utf-8")
    assert "\x1b" not in shown
    assert not C1_CONTROLS.search(shown)
    assert "\\u009b2J" in shown
    assert json.loads(shown)["posts"][0]["text"].endswith(" then \x9b2J done")
