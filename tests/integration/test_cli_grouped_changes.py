"""`tidings draft show` says a change made to many posts once: one changed English text on four
channels is one line naming the language and the channels, and one diff, not four."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.command_line import run, use_folder

DRAFT = """
kind = "update"
title = "Riverside park reopens"
channels = ["linkedin", "x-en", "x-ko", "mastodon", "bluesky"]

[text]
en = "The riverside park opens on Monday."
ko = "강변 공원이 월요일에 문을 엽니다."
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    run(["user", "add", "mina", "--role", "author"])
    run(["user", "add", "joon", "--role", "reviewer"])
    (tmp_path / "draft.toml").write_text(DRAFT, encoding="utf-8")
    return tmp_path


def test_one_change_to_the_posts_of_a_language_is_shown_once_with_its_channels(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["draft", "add", "draft.toml", "--as", "mina"])
    run(["submit", "1", "--as", "mina"])
    run(["approve", "1", "--as", "joon"])
    (workdir / "draft.toml").write_text(DRAFT.replace("Monday", "Tuesday"), encoding="utf-8")
    run(["draft", "edit", "1", "draft.toml", "--as", "mina"])
    capsys.readouterr()

    run(["draft", "show", "1"])
    shown = capsys.readouterr().out
    changes = shown[shown.index("Changed since joon approved it") :].splitlines()[1:]
    head, diff = (line.strip() for line in changes)  # the Korean posts read as approved
    language, _, rest = head.partition(" · ")
    channels, _, what = rest.partition(": ")
    assert (language, what) == ("en", "text changed")
    assert sorted(channels.split(", ")) == ["bluesky", "linkedin", "mastodon", "x-en"]
    assert diff == "The riverside park opens on [-Monday-]{+Tuesday+}."
    assert shown.count("[-Monday-]{+Tuesday+}") == 1  # not once per post
