"""Images on the command line: a draft file names photos beside it; `draft show` and `--json`
show each post's image as its platform gets it; a broken image is one clear line naming the
file and stores nothing; alt text is required at submit; a new image sends an approved draft
back to review."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from tests.integration.command_line import fails, run, snapshot, use_folder

PHOTO_DRAFT = """
kind = "event"
title = "Volunteer day at the riverside"
channels = ["linkedin", "bluesky"]

[text]
en = "🌿 Forty neighbours planted 300 shrubs along the river on Saturday. Thank you all!"
ko = "🌿 토요일에 이웃 마흔 명이 강가에 관목 300그루를 심었습니다. 모두 고맙습니다!"

[[media]]
file = "photos/planting.jpg"
alt = { en = "Volunteers in green vests planting shrubs on a riverbank", ko = "초록 조끼를 입은 자원봉사자들이 강둑에 관목을 심는 모습" }
"""


def photo(width: int = 1200, height: int = 800, *, gps: bool = True) -> bytes:
    """A JPEG with a camera's EXIF, GPS position included."""
    image = Image.new("RGB", (width, height), (40, 120, 60))
    for x in range(0, width, 40):  # some detail, so the encoder has work to do
        image.paste((200, 180, 40), (x, 0, x + 10, height))
    exif = image.getexif()
    exif[0x010F] = "PhoneMaker"  # Make
    if gps:
        exif.get_ifd(0x8825).update({1: "N", 2: (37.0, 33.0, 5.0), 3: "E", 4: (126.0, 58.0, 7.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    run(["user", "add", "mina", "--role", "author"])
    run(["user", "add", "joon", "--role", "reviewer"])
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "planting.jpg").write_bytes(photo())
    (tmp_path / "draft.toml").write_text(PHOTO_DRAFT, encoding="utf-8")
    return tmp_path


def stored_images(folder: Path) -> list[tuple[str, bytes]]:
    with sqlite3.connect(folder / "tidings.db") as db:
        return db.execute("SELECT sha256, data FROM media_blob ORDER BY sha256").fetchall()


def show_json(draft_id: int, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    run(["draft", "show", str(draft_id), "--json"])
    shown: dict[str, object] = json.loads(capsys.readouterr().out)
    return shown


def test_a_photo_beside_the_draft_is_stored_clean_and_shown_per_post(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["draft", "add", "draft.toml", "--as", "mina"])
    printed = capsys.readouterr().out
    assert "photos/planting.jpg" in printed
    assert "Volunteers in green vests" in printed

    shown = show_json(1, capsys)
    posts = shown["posts"]
    assert isinstance(posts, list)
    assert len(posts) == 4  # linkedin and bluesky, each in en and ko
    for post in posts:
        (media,) = post["media"]
        assert media["content_type"] == "image/jpeg"
        assert (media["width"], media["height"]) == (1200, 800)
        assert media["file"] == "photos/planting.jpg"
        assert media["remote_id"] is None
        expected_alt = {"en": "Volunteers in green", "ko": "초록 조끼"}[post["language"]]
        assert media["alt"].startswith(expected_alt)
    (blob,) = stored_images(workdir)
    with Image.open(io.BytesIO(blob[1])) as stored:
        assert len(stored.getexif()) == 0  # no EXIF at all, GPS least of all
    # The preview of each request says where the uploaded image's id will go.
    linkedin_en = next(p for p in posts if p["channel"] == "linkedin" and p["language"] == "en")
    assert "<image 1>" in json.dumps(linkedin_en["request"])


def test_the_content_hash_covers_the_image_and_its_alt_text(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["draft", "add", "draft.toml", "--as", "mina"])
    first = show_json(1, capsys)["content_hash"]
    (workdir / "draft.toml").write_text(
        PHOTO_DRAFT.replace("Volunteers in green vests", "Volunteers in bright vests"),
        encoding="utf-8",
    )
    run(["draft", "edit", "1", "draft.toml", "--as", "mina"])
    second = show_json(1, capsys)["content_hash"]
    (workdir / "photos" / "planting.jpg").write_bytes(photo(1000, 800))
    run(["draft", "edit", "1", "draft.toml", "--as", "mina"])
    third = show_json(1, capsys)["content_hash"]
    assert len({first, second, third}) == 3


def test_a_new_image_sends_an_approved_draft_back_to_review(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["draft", "add", "draft.toml", "--as", "mina"])
    run(["submit", "1", "--as", "mina"])
    run(["approve", "1", "--as", "joon"])
    assert show_json(1, capsys)["status"] == "approved"
    (workdir / "photos" / "planting.jpg").write_bytes(photo(900, 600))
    run(["draft", "edit", "1", "draft.toml", "--as", "mina"])
    assert show_json(1, capsys)["status"] == "in_review"


def test_an_image_without_alt_text_keeps_the_draft_from_review(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "draft.toml").write_text(
        PHOTO_DRAFT.replace("alt = {", "# alt = {"), encoding="utf-8"
    )
    run(["draft", "add", "draft.toml", "--as", "mina"])
    line = fails(["submit", "1", "--as", "mina"], capsys)
    assert "image 1 has no alt text" in line
    assert "linkedin (en)" in line


def broken_images() -> list[tuple[str, bytes | None, str]]:
    good = photo()
    return [
        ("photos/empty.jpg", b"", "the file is empty"),
        ("photos/cut.jpg", good[: len(good) // 2], "photos/cut.jpg"),
        ("photos/notes.jpg", b"these are notes, not a photo", "not an image"),
        ("photos/scan.bmp", _bmp(), "BMP"),
        ("photos/missing.jpg", None, "no such file"),
        ("../outside.jpg", good, "outside the draft's folder"),
    ]


def _bmp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(out, "BMP")
    return out.getvalue()


@pytest.mark.parametrize(("name", "data", "expected"), broken_images())
def test_a_broken_image_is_one_line_naming_the_file_and_nothing_is_stored(
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    data: bytes | None,
    expected: str,
) -> None:
    if data is not None:  # ../outside.jpg lands beside the test's folder: there, but outside
        (workdir / name).write_bytes(data)
    source = PHOTO_DRAFT + f'\n[[media]]\nfile = "{name}"\nalt = "A second picture"\n'
    (workdir / "two.toml").write_text(source, encoding="utf-8")
    before = snapshot(workdir)
    line = fails(["draft", "add", "two.toml", "--as", "mina"], capsys)
    assert line.startswith("error: two.toml: media[1].file: ")
    assert name in line
    assert expected in line
    assert snapshot(workdir) == before
    assert stored_images(workdir) == []  # not even the good first image


def test_draft_show_says_which_image_changed_since_the_approval(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["draft", "add", "draft.toml", "--as", "mina"])
    run(["submit", "1", "--as", "mina"])
    run(["approve", "1", "--as", "joon"])
    (workdir / "photos" / "planting.jpg").write_bytes(photo(900, 600))
    (workdir / "draft.toml").write_text(
        PHOTO_DRAFT.replace("Volunteers in green vests", "Neighbours in green vests"),
        encoding="utf-8",
    )
    run(["draft", "edit", "1", "draft.toml", "--as", "mina"])
    capsys.readouterr()
    run(["draft", "show", "1"])
    shown = capsys.readouterr().out
    assert "en · linkedin, bluesky: images changed" in shown  # one change, said once
    assert "text changed" not in shown  # the texts read the same
    assert "image 1: replaced (" in shown
    assert "[-Volunteers-]{+Neighbours+}" in shown
