"""Escape sequences reach a reviewer's terminal inert: the `tidings` command runs on a
pseudo-terminal, as a person runs it, and what it writes there is read back byte for byte.

Draft files refuse control characters as they are read; text can still hold them from elsewhere
(a platform's error, a database written before that check, a template), so the draft and the
attempt here get theirs written to the database directly.
"""

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
from sqlmodel import select as query

from drafts.models import Attempt, Draft, Post
from drafts.storage import Database
from tests.conftest import TEST_CONFIG

# CSI "erase the screen", OSC 0 "set the window title", an OSC 8 hyperlink and the one-byte C1 CSI;
# a right-to-left override ("board.pdf" would read "fdp.draob").
TITLE = "Minutes \x1b[2J of \x1b]0;owned\x07 the \u202eboard.pdf"
TEXT = "Read \x1b]8;;https://evil.example/\x1b\\the minutes\x1b]8;;\x1b\\ then \x9b2J done"
SHOWN_TITLE = "Minutes ␛[2J of ␛]0;owned␇ the \\u202eboard.pdf"
SHOWN_TEXT = "Read ␛]8;;https://evil.example/␛\\the minutes␛]8;;␛\\ then \\x9b2J done"
CLEAN = """
kind = "update"
title = "Minutes of the board"
channels = ["linkedin"]
[text]
en = "Read the minutes."
"""
EVIL = r"""
kind = "update"
title = "Minutes \u001b[2J of the board"
channels = ["linkedin"]
[text]
en = "Read the minutes."
"""
# What rich itself writes on a colour terminal: SGR styles (bold, colours), nothing else.
RICH_STYLES = re.compile(r"\x1b\[[0-9;]*m")
C1_CONTROLS = re.compile("[\x80-\x9f]")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "config.toml").write_text(
        TEST_CONFIG.replace("sqlite:///unused.db", "sqlite:///tidings.db"), encoding="utf-8"
    )
    (tmp_path / "clean.toml").write_text(CLEAN, encoding="utf-8")
    (tmp_path / "evil.toml").write_text(EVIL, encoding="utf-8")
    for args in (
        ["init"],
        ["user", "add", "mina", "--role", "author"],
        ["draft", "add", "clean.toml", "--as", "mina"],
    ):
        subprocess.run(
            tidings(*args),
            cwd=tmp_path,
            env=environment(),
            check=True,
            capture_output=True,
            timeout=60,
        )
    database = Database(f"sqlite:///{tmp_path / 'tidings.db'}")
    with database.writing() as session:
        draft = session.exec(query(Draft)).one()
        draft.title = TITLE
        post = session.exec(query(Post)).one()
        post.text = TEXT
        assert post.id is not None
        session.add_all([draft, post, Attempt(post_id=post.id, number=1, worker="w", error=TEXT)])
    database.dispose()
    return tmp_path


def tidings(*args: str) -> list[str]:
    return [sys.executable, "-m", "tidings", *args]


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    env.pop("NO_COLOR", None)
    # The terminal's own size, as a person's shell leaves it (pytest-xdist's workers export
    # COLUMNS=80 and LINES=24, which rich would take over the terminal's 200 columns).
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    return {**env, "TERM": "xterm-256color"}


def on_terminal(folder: Path, *args: str, code: int = 0) -> str:
    """What `tidings ARGS` writes to a 200-column terminal (stdout and stderr), without the
    styles rich writes; every escape sequence left in it came from elsewhere."""
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
        assert process.wait(timeout=60) == code, written.decode("utf-8", "replace")
    finally:
        process.kill()
        os.close(controller)
    text = written.decode("utf-8")
    assert not C1_CONTROLS.search(text), (args, text)
    without_styles = RICH_STYLES.sub("", text)
    assert "\x1b" not in without_styles, (args, text)
    return without_styles


def test_escape_sequences_are_shown_inert_at_a_terminal(folder: Path) -> None:
    assert SHOWN_TITLE in on_terminal(folder, "draft", "list")
    shown = on_terminal(folder, "draft", "show", "1")
    assert SHOWN_TITLE in shown
    assert SHOWN_TEXT in shown
    assert SHOWN_TEXT in on_terminal(folder, "log")  # a platform's words
    refused = on_terminal(folder, "draft", "add", "evil.toml", "--as", "mina", code=1)
    assert "U+001B" in refused


def test_json_escapes_c1_controls_too(folder: Path) -> None:
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
    assert json.loads(shown)["posts"][0]["text"] == TEXT
