"""`tidings log` names the images of each post its attempts belong to: one line an image with its
file (or SHA-256 prefix, for an image stored from the web app), pixels, bytes and the id the
platform gave it on upload (a Bluesky blob by its content id), or why there is none. The posts'
state is set as an adapter leaves it (the upload flows themselves are tested over loopback)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from drafts.lifecycle import PostStatus
from drafts.media_store import clean, keep
from drafts.models import Attempt, Post
from drafts.post_media import images_by_post
from drafts.storage import Database
from drafts.times import utcnow
from scheduler.platforms.uploads import state_key
from tests.integration.command_line import run, use_folder
from tests.integration.photos import phone_photo

LINKEDIN_URN = "urn:li:image:D4E10AQHk2lantern"
BLOB_CID = "bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hzu"


def draft_file(board_sha256: str) -> str:
    return f"""
kind = "event"
title = "Lantern walk"
channels = ["linkedin", "bluesky", "x-en"]

[text]
en = "The lantern walk starts at the old bridge at seven."
ko = "등불 행진은 일곱 시에 옛 다리에서 시작합니다."

[[media]]
file = "photos/lanterns.jpg"
alt = {{ en = "Paper lanterns hanging over a stone bridge", ko = "돌다리 위에 걸린 종이 등불" }}
channels = ["linkedin", "bluesky"]

[[media]]
sha256 = "{board_sha256}"
alt = {{ en = "The route map at the bridge", ko = "다리 옆의 행진 경로 지도" }}
channels = ["linkedin", "bluesky"]
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    run(["user", "add", "mina", "--role", "author"])
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "lanterns.jpg").write_bytes(phone_photo(800, 600, rotated=False))
    return tmp_path


@pytest.fixture
def database(workdir: Path) -> Database:
    return Database(f"sqlite:///{workdir / 'tidings.db'}")


def tried(database: Database, post: Post, status: PostStatus, *outcomes: str) -> None:
    """Attempts at ``post``, a minute apart, that came to ``outcomes``, leaving it in
    ``status``."""
    assert post.id is not None
    started = utcnow() - timedelta(minutes=10)
    with database.writing() as session:
        for number, outcome in enumerate(outcomes, start=1):
            at = started + timedelta(minutes=number)
            session.add(
                Attempt(
                    post_id=post.id,
                    number=number,
                    worker="log-test",
                    started_at=at,
                    finished_at=at + timedelta(seconds=1),
                    outcome=outcome,
                )
            )
        stored = session.get(Post, post.id)
        assert stored is not None
        stored.status = status


def uploaded(database: Database, post: Post, ids: dict[str, str]) -> None:
    """The publish state an adapter leaves after uploading: each image's id by its SHA-256."""
    with database.writing() as session:
        stored = session.get(Post, post.id)
        assert stored is not None
        stored.publish_state = {state_key(sha256): remote for sha256, remote in ids.items()}


def logged(args: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The lines ``tidings log ARGS`` prints after its attempts: from the first image heading."""
    capsys.readouterr()
    run(["log", *args])
    printed = capsys.readouterr().out.splitlines()
    first = next((n for n, line in enumerate(printed) if line.startswith("Images of post")), None)
    return [] if first is None else printed[first:]


def test_log_lists_each_posts_images_with_the_platforms_id(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    with database.writing() as session:
        board = keep(session, clean(phone_photo(300, 500, rotated=False), "board.jpg"))
    (workdir / "draft.toml").write_text(draft_file(board.sha256), encoding="utf-8")
    run(["draft", "add", "draft.toml", "--as", "mina"])
    with database.reading() as session:
        posts = {(p.channel, p.language): p for p in session.exec(select(Post))}
        sent = images_by_post(session, [p.id for p in posts.values() if p.id is not None])
    linkedin, bluesky, plain = posts["linkedin", "en"], posts["bluesky", "ko"], posts["x-en", "en"]
    assert linkedin.id is not None and bluesky.id is not None
    lanterns, route = sent[linkedin.id]
    # LinkedIn took the first photo, then was busy: the second is still to upload.
    uploaded(database, linkedin, {lanterns.image.sha256: LINKEDIN_URN})
    tried(database, linkedin, PostStatus.RETRYING, "retry", "retry")
    # Bluesky keeps each blob whole; people see its content id.
    blobs = {
        each.image.sha256: json.dumps({"$type": "blob", "ref": {"$link": f"{BLOB_CID}{n}"}})
        for n, each in enumerate(sent[bluesky.id], start=1)
    }
    uploaded(database, bluesky, blobs)
    tried(database, bluesky, PostStatus.PUBLISHED, "published")
    tried(database, plain, PostStatus.PUBLISHED, "published")

    assert logged(["--post", str(linkedin.id)], capsys) == [
        f"Images of post {linkedin.id} (linkedin):",
        f"  1. photos/lanterns.jpg · 800×600 · {lanterns.image.bytes:,} bytes"
        f" · remote id {LINKEDIN_URN}",
        f"  2. {route.image.sha256[:12]} · 300×500 · {route.image.bytes:,} bytes"
        " · not uploaded yet",
    ]
    # Every post once, however many attempts it had; a post without images has no lines.
    everything = logged([], capsys)
    assert everything.count(f"Images of post {linkedin.id} (linkedin):") == 1
    assert f"Images of post {bluesky.id} (bluesky):" in everything
    assert not any(line.startswith(f"Images of post {plain.id} ") for line in everything)
    at = everything.index(f"Images of post {bluesky.id} (bluesky):")
    assert everything[at + 1].endswith(f" · remote id {BLOB_CID}1")
    assert everything[at + 2].endswith(f" · remote id {BLOB_CID}2")
