"""The README's tour, as a new user runs it: the `tidings` command as a process, on SQLite."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_CONFIG

HIRING = """
kind = "hiring"
title = "Programme officer, Seoul"
template = "hiring"
channels = ["linkedin", "x-en"]
languages = ["ko", "en"]
expires_at = 2099-12-31

[fields]
position = { en = "Programme Officer", ko = "프로그램 오피서" }
location = { en = "Seoul, Republic of Korea", ko = "대한민국 서울" }
deadline = 2099-12-18
link = "https://example.org/jobs/programme-officer"
"""


class Tidings:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}

    def __call__(self, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "tidings", *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == code, (result.stdout, result.stderr)
        return result

    def json(self, *args: str) -> object:
        return json.loads(self(*args, "--json").stdout)


@pytest.fixture
def tidings(tmp_path: Path) -> Tidings:
    (tmp_path / "config.toml").write_text(
        TEST_CONFIG.replace("sqlite:///unused.db", "sqlite:///tidings.db"), encoding="utf-8"
    )
    (tmp_path / "hiring.toml").write_text(HIRING, encoding="utf-8")
    return Tidings(tmp_path)


def seen_hash(shown: str) -> str:
    """The content hash ``tidings draft show`` prints for ``approve --seen``."""
    found = re.search(r"^content: ([0-9a-f]{16}) ", shown, re.MULTILINE)
    assert found, shown
    return found[1]


def test_the_tour_from_the_readme(tidings: Tidings) -> None:
    assert "Created the database" in tidings("init").stdout
    tidings("user", "add", "mina", "--role", "author")
    tidings("user", "add", "joon", "--role", "reviewer")

    added = tidings.json("draft", "add", "hiring.toml", "--as", "mina")
    assert isinstance(added, dict)
    draft_id = str(added["id"])
    assert added["status"] == "draft"
    assert [(p["channel"], p["language"]) for p in added["posts"]] == [
        ("linkedin", "ko"),
        ("linkedin", "en"),
        ("x-en", "en"),
    ]
    shown = tidings("draft", "show", draft_id).stdout
    assert "weighted characters" in shown and "/ 280" in shown
    first_seen = seen_hash(shown)

    tidings("--as", "mina", "submit", draft_id)
    refused = tidings("approve", draft_id, "--as", "mina", code=1)
    assert refused.stderr.count("\n") == 1 and "may not review" in refused.stderr
    assert "approved" in tidings("approve", draft_id, "--as", "joon").stdout

    (tidings.folder / "hiring.toml").write_text(HIRING.replace("2099-12-18", "2099-12-17"))
    edited = tidings("draft", "edit", draft_id, "hiring.toml", "--as", "mina").stdout
    assert "back in review" in edited
    changed = tidings("draft", "show", draft_id).stdout
    assert "Changed since joon approved it" in changed
    # The deadline, said once per language for the posts it changed (three posts, two languages).
    assert changed.count("[-18-]{+17+}") == 2
    # A reviewer who read the draft before the edit cannot approve the new text by mistake.
    stale = tidings("approve", draft_id, "--as", "joon", "--seen", first_seen, code=1)
    assert stale.stdout == ""
    assert stale.stderr.count("[-18-]{+17+}") == 2
    assert stale.stderr.splitlines()[-1].startswith(
        f"error: draft {draft_id} changed since you opened it"
    )
    now_seen = seen_hash(changed)
    approved = tidings("approve", draft_id, "--as", "joon", "--seen", now_seen).stdout
    assert f"You approved content {now_seen} of draft {draft_id}." in approved
    tidings("schedule", draft_id, "--next-slot", "--as", "mina")

    queue = tidings.json("queue")
    assert isinstance(queue, list)
    assert {(p["channel"], p["status"]) for p in queue} == {
        ("linkedin", "scheduled"),
        ("x-en", "scheduled"),
    }
    assert all(p["due_at"].endswith("+00:00") for p in queue)
    assert "linkedin" in tidings("queue").stdout
