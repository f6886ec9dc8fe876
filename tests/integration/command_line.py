"""Running ``tidings`` in-process, as the command-line tests do: a folder of its own with a
config.toml, a run that must succeed, a run that must fail in one line, and what the SQLite
database holds (to show that a refusal changed nothing)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_CONFIG
from tidings.cli import main

# The test configuration, its database a SQLite file in the working folder.
LOCAL_CONFIG = TEST_CONFIG.replace("sqlite:///unused.db", "sqlite:///tidings.db")

# A draft file every channel and check accepts.
GOOD = """
kind = "update"
title = "Riverside park reopens"
channels = ["linkedin"]
[text]
en = "🌳 The riverside park is open again. #Parks"
ko = "🌳 강변 공원이 다시 문을 열었습니다. #공원"
"""


def use_folder(
    folder: Path, monkeypatch: pytest.MonkeyPatch, config: str | None = LOCAL_CONFIG
) -> Path:
    """Make ``folder`` the working folder, holding ``config`` as config.toml (None: none), with
    no ``TIDINGS_CONFIG`` or ``TIDINGS_USER`` from the environment to choose another."""
    for name in ("TIDINGS_CONFIG", "TIDINGS_USER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(folder)
    if config is not None:
        (folder / "config.toml").write_text(config, encoding="utf-8")
    return folder


def run(args: list[str]) -> None:
    """``tidings ARGS``, which must succeed."""
    try:
        main(args)
    except SystemExit as exit_:
        if exit_.code not in (0, None):
            raise


def fails(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """``tidings ARGS``, which must fail with exit status 1 and one line on stderr: that line."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


def snapshot(folder: Path) -> tuple[object, ...]:
    """Every row of the tables a command could change, in the folder's tidings.db."""
    with sqlite3.connect(folder / "tidings.db") as db:
        return tuple(
            db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
            for table in ("user", "draft", "variant", "post", "review", "audit_log")
        )


def a_draft_in_review(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``folder`` set up: users hana (admin), mina (author) and joon (reviewer); draft 1, from
    ``GOOD``, in review."""
    use_folder(folder, monkeypatch)
    run(["init"])
    run(["user", "add", "hana", "--role", "admin"])
    run(["user", "add", "mina", "--role", "author", "--as", "hana"])
    run(["user", "add", "joon", "--role", "reviewer", "--as", "hana"])
    (folder / "good.toml").write_text(GOOD, encoding="utf-8")
    run(["draft", "add", "good.toml", "--as", "mina"])
    run(["submit", "1", "--as", "mina"])
    return folder


def approved_draft(folder: Path) -> None:
    """In ``folder``'s database (initialised, no users yet): mina (author) and joon (reviewer),
    and draft 1, from ``GOOD``, approved."""
    run(["user", "add", "mina", "--role", "author"])
    run(["user", "add", "joon", "--role", "reviewer"])
    (folder / "good.toml").write_text(GOOD, encoding="utf-8")
    run(["draft", "add", "good.toml", "--as", "mina"])
    run(["submit", "1", "--as", "mina"])
    run(["approve", "1", "--as", "joon"])


def printed(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """What ``tidings ARGS`` printed, which must succeed."""
    capsys.readouterr()
    run(args)
    return capsys.readouterr().out


def as_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> Any:
    """What ``tidings ARGS --json`` printed, read back."""
    return json.loads(printed([*args, "--json"], capsys))
