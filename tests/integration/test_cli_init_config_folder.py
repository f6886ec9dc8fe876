"""``tidings init`` asked to write config.toml in a folder that does not exist (``--config`` or
``TIDINGS_CONFIG``): one line naming the folder, exit status 1, nothing made."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.command_line import fails, use_folder


@pytest.mark.parametrize("sandbox", [[], ["--sandbox"]], ids=["example", "sandbox"])
def test_init_names_a_config_folder_that_does_not_exist(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sandbox: list[str],
) -> None:
    use_folder(tmp_path, monkeypatch, config=None)

    line = fails(["--config", "newdir/x.toml", "init", *sandbox], capsys)

    assert line == "error: newdir/x.toml: cannot write: the folder newdir does not exist"
    assert list(tmp_path.iterdir()) == []


def test_init_names_the_folder_of_tidings_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_folder(tmp_path, monkeypatch, config=None)
    missing = tmp_path / "nonexistent" / "d"
    monkeypatch.setenv("TIDINGS_CONFIG", str(missing / "c.toml"))

    line = fails(["init"], capsys)

    assert line == f"error: {missing}/c.toml: cannot write: the folder {missing} does not exist"
    assert list(tmp_path.iterdir()) == []


def test_init_names_a_config_folder_that_is_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_folder(tmp_path, monkeypatch, config=None)
    (tmp_path / "notes").write_text("", encoding="utf-8")

    line = fails(["--config", "notes/x.toml", "init"], capsys)

    assert line == "error: notes/x.toml: cannot write: notes is not a folder"
