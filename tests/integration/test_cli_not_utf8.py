"""Bytes that are not UTF-8 in an argument, in ``--as`` or ``TIDINGS_USER``, or in a password
on stdin: one line naming where they came from, exit status 1, nothing changed. Python hands
such bytes on as lone surrogates (``os.fsdecode``), as these tests pass them; a file name is
not text, and keeps working whatever its bytes."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from tests.integration.command_line import GOOD, a_draft_in_review, fails, run, snapshot

NOT_UTF8 = os.fsdecode(b"\xff")  # "\udcff", as in sys.argv


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return a_draft_in_review(tmp_path, monkeypatch)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        pytest.param(
            ["approve", "1", "--as", "joon", "--comment", f"ok{NOT_UTF8}"],
            "--comment",
            id="approve",
        ),
        pytest.param(
            ["request-changes", "1", "--as", "joon", f"--comment=ok{NOT_UTF8}"],
            "--comment",
            id="request-changes",
        ),
        pytest.param(["draft", "list", "--after", NOT_UTF8], "--after", id="draft list"),
        pytest.param(
            ["user", "add", f"ara{NOT_UTF8}", "--role", "reviewer", "--as", "hana"],
            "name",
            id="user add",
        ),
        pytest.param(["token", "create", f"job{NOT_UTF8}", "--as", "mina"], "name", id="token"),
        pytest.param(["--as", f"mi{NOT_UTF8}", "cancel", "1"], "--as", id="as before"),
        pytest.param(["cancel", "1", "--as", f"mi{NOT_UTF8}"], "--as", id="as after"),
    ],
)
def test_an_argument_that_is_not_utf8_is_named(
    workdir: Path, capsys: pytest.CaptureFixture[str], args: list[str], field: str
) -> None:
    before = snapshot(workdir)
    assert fails(args, capsys) == f"error: {field}: is not UTF-8 text"
    assert snapshot(workdir) == before


def test_a_status_that_is_not_utf8_is_refused_with_the_statuses(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = fails(["draft", "list", "--status", NOT_UTF8], capsys)
    assert line.startswith("error: tidings draft list: Invalid value for '--status'")
    assert "'in_review'" in line


def test_tidings_user_that_is_not_utf8_is_named(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIDINGS_USER", f"mi{NOT_UTF8}")
    before = snapshot(workdir)
    assert fails(["cancel", "1"], capsys) == "error: TIDINGS_USER: is not UTF-8 text"
    assert snapshot(workdir) == before


@pytest.mark.parametrize("errors", ["strict", "surrogateescape"])  # a UTF-8 locale; the C locale
@pytest.mark.parametrize(
    "args",
    [
        ["user", "add", "ara", "--role", "reviewer", "--password-stdin", "--as", "hana"],
        ["user", "passwd", "mina", "--as", "hana"],
    ],
    ids=["add", "passwd"],
)
def test_a_password_on_stdin_that_is_not_utf8_is_refused(
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    errors: str,
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"abc\xffdefghijkl\n"), encoding="utf-8", errors=errors)
    monkeypatch.setattr("sys.stdin", stdin)
    before = snapshot(workdir)
    assert fails(args, capsys) == "error: stdin: is not UTF-8 text"
    assert snapshot(workdir) == before


def test_a_file_name_that_is_not_utf8_is_still_read(workdir: Path) -> None:
    (workdir / f"good{NOT_UTF8}.toml").write_text(GOOD, encoding="utf-8")
    (workdir / f"config{NOT_UTF8}.toml").write_bytes((workdir / "config.toml").read_bytes())
    before = snapshot(workdir)
    run(
        [
            "--config",
            f"config{NOT_UTF8}.toml",
            "draft",
            "add",
            f"good{NOT_UTF8}.toml",
            "--as",
            "mina",
        ]
    )
    assert snapshot(workdir) != before  # draft 2, added
