"""``tidings draft list --status`` takes a draft status, and refuses anything else with the
statuses there are, rather than listing no drafts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.command_line import GOOD, fails, run, use_folder

STATUSES = "'draft', 'in_review', 'changes_requested', 'approved', 'scheduled', 'done', 'cancelled'"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    run(["user", "add", "mina", "--role", "author"])
    (tmp_path / "good.toml").write_text(GOOD, encoding="utf-8")
    run(["draft", "add", "good.toml", "--as", "mina"])
    return tmp_path


@pytest.mark.usefixtures("workdir")
@pytest.mark.parametrize("json_flag", [[], ["--json"]], ids=["plain", "json"])
def test_an_unknown_status_is_refused_with_the_statuses(
    capsys: pytest.CaptureFixture[str], json_flag: list[str]
) -> None:
    line = fails(["draft", "list", "--status", "bogus", *json_flag], capsys)

    assert line == (
        f"error: tidings draft list: Invalid value for '--status': 'bogus' is not one of "
        f"{STATUSES}. (see tidings draft list --help)"
    )


@pytest.mark.usefixtures("workdir")
def test_a_status_lists_the_drafts_in_it(capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    run(["draft", "list", "--status", "draft", "--json"])
    assert [d["id"] for d in json.loads(capsys.readouterr().out)] == [1]
    run(["draft", "list", "--status", "in_review", "--json"])
    assert json.loads(capsys.readouterr().out) == []
