"""Draft files and their values have a size limit: past it, one line naming the file or the
field and the limit, exit status 1, nothing stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from drafts.draft_file import MAX_FILE_BYTES, MAX_TEXT_CHARACTERS
from tests.integration.command_line import fails, run, snapshot, use_folder

PARAGRAPH = "The riverside park is open again, with a new boardwalk. #Parks\n"


def free_text(en: str, title: str = "Riverside park reopens") -> str:
    return f'kind = "update"\ntitle = "{title}"\nchannels = ["linkedin"]\n[text]\nen = """{en}"""\n'


def hiring(summary_ko: str) -> str:
    return (
        'kind = "hiring"\ntitle = "Officer"\ntemplate = "hiring"\nchannels = ["linkedin"]\n'
        'languages = ["en", "ko"]\n[fields]\nposition = "Officer"\nlocation = "Seoul"\n'
        'deadline = 2099-12-01\nlink = "https://example.org/jobs"\n'
        f'summary = {{ en = "Short.", ko = "{summary_ko}" }}\n'
    )


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    run(["user", "add", "mina", "--role", "author"])
    return tmp_path


OVERSIZED = [
    (
        free_text(PARAGRAPH * 5000),  # 315,092 bytes, in lines of a few words
        f"error: big.toml: 315,092 bytes; a draft file may hold at most {MAX_FILE_BYTES:,} "
        "(256 KiB)",
    ),
    (
        free_text("a" * (MAX_TEXT_CHARACTERS + 1)),
        "error: big.toml: text.en: 50,001 characters; a text or field may hold at most 50,000",
    ),
    (
        hiring("가" * 60_000),
        "error: big.toml: fields.summary.ko: 60,000 characters; a text or field may hold at "
        "most 50,000",
    ),
    (free_text("Short.", title="T" * 201), "error: big.toml: title: "),
]


@pytest.mark.parametrize(("source", "said"), OVERSIZED, ids=["file", "text", "field", "title"])
def test_an_oversized_draft_is_refused_naming_what_is_too_long(
    workdir: Path, capsys: pytest.CaptureFixture[str], source: str, said: str
) -> None:
    before = snapshot(workdir)
    (workdir / "big.toml").write_text(source, encoding="utf-8")
    line = fails(["draft", "add", "big.toml", "--as", "mina"], capsys)
    assert line.startswith(said)
    assert snapshot(workdir) == before


def test_a_text_at_the_limit_is_taken(workdir: Path) -> None:
    text = (PARAGRAPH * 1000)[:MAX_TEXT_CHARACTERS]
    (workdir / "long.toml").write_text(free_text(text), encoding="utf-8")
    run(["draft", "add", "long.toml", "--as", "mina"])
    assert len(snapshot(workdir)[1]) == 1
