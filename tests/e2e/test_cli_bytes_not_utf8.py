"""The ``tidings`` process given bytes that are not UTF-8, as a shell passes them: in an
argument, in ``TIDINGS_USER``, in a password on stdin. One line naming where they came from,
exit status 1, and nothing changed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.command_line import a_draft_in_review, snapshot

NOT_TEXT = "error: {}: is not UTF-8 text\n"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return a_draft_in_review(tmp_path, monkeypatch)


def tidings(
    folder: Path, *args: bytes, stdin: bytes = b"", user: bytes | None = None
) -> tuple[int, str, str]:
    """``tidings ARGS`` as a process in ``folder``: its exit status, stdout and stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    if user is not None:
        env["TIDINGS_USER"] = os.fsdecode(user)
    done = subprocess.run(
        [sys.executable, "-m", "tidings", *args],
        cwd=folder,
        env=env,
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def test_bytes_that_are_not_utf8_are_named_where_they_came_from(workdir: Path) -> None:
    before = snapshot(workdir)

    comment = tidings(workdir, b"approve", b"1", b"--as", b"joon", b"--comment", b"ok\xff")
    as_user = tidings(workdir, b"--as", b"mi\xff", b"submit", b"1")
    from_environment = tidings(workdir, b"submit", b"1", user=b"mi\xff")
    add = (b"user", b"add", b"ara", b"--role", b"reviewer", b"--password-stdin", b"--as", b"hana")
    password = tidings(workdir, *add, stdin=b"abc\xffdefghijkl\n")

    assert comment == (1, "", NOT_TEXT.format("--comment"))
    assert as_user == (1, "", NOT_TEXT.format("--as"))
    assert from_environment == (1, "", NOT_TEXT.format("TIDINGS_USER"))
    assert password == (1, "", NOT_TEXT.format("stdin"))
    assert snapshot(workdir) == before
