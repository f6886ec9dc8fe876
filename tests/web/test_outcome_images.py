"""A post's outcome page shows each image the post sends, as its platform gets it: a thumbnail
for signed-in people only, its pixels and bytes, its alt text, and the id the platform gave it
on upload (a Bluesky blob by its content id), or why there is none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomli_w
from bs4 import Tag
from starlette.applications import Starlette

from drafts.authoring import add_draft, draft_posts
from drafts.config import Config
from drafts.draft_file import read_draft_file
from drafts.lifecycle import PostStatus
from drafts.media import PostImage
from drafts.media_files import read_media
from drafts.media_store import clean, keep
from drafts.models import Post
from drafts.post_media import images_by_post
from drafts.rendering import TemplateLibrary
from drafts.review import approve, submit
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from scheduler.platforms.uploads import state_key
from tests.conftest import TEST_CONFIG, make_config
from tests.integration.photos import phone_photo
from tests.web.conftest import (
    SQLITE_ONLY,
    Person,
    client,
    elements,
    log_in,
    one,
    set_language,
    text,
    texts,
)
from tests.web.scheduling import add_attempts, next_sunday_evening, settle

pytestmark = pytest.mark.anyio

ALT = {
    "en": "A ferry leaving the pier at dawn, gulls over the wake",
    "ko": "새벽에 부두를 떠나는 여객선과 물살 위의 갈매기들",
}
SECOND_ALT = {"en": "The ferry timetable board by the gate", "ko": "선착장 입구의 여객선 시간표"}
LINKEDIN_URN = "urn:li:image:D4E10AQHk2ferry"
BLOB_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
# The test channels, with Telegram, which shows no alt text and keeps no upload ids.
CONFIG = (
    TEST_CONFIG
    + """
[[channels]]
id = "telegram"
platform = "telegram"
languages = ["en", "ko"]
chat_id = "@tidings_ferry"
token_env = "TIDINGS_TEST_TELEGRAM_TOKEN"
"""
)


@pytest.fixture
def config() -> Config:
    """The web fixtures' app (tests/web/conftest.py) is made with this configuration."""
    return make_config(CONFIG)


def photo_draft(
    database: Database, config: Config, library: TemplateLibrary, folder: Path
) -> dict[tuple[str, str], Post]:
    """A draft with two photos (one a file beside the draft, one already stored, as an upload
    is) on LinkedIn, Bluesky and Telegram, approved and scheduled: its posts by channel and
    language."""
    (folder / "ferry.jpg").write_bytes(phone_photo(640, 480, rotated=False))
    with database.writing() as session:
        board = keep(session, clean(phone_photo(300, 500, rotated=False), "board.jpg"))
        source = tomli_w.dumps(
            {
                "kind": "update",
                "title": "Ferry timetable",
                "channels": ["linkedin", "bluesky", "telegram"],
                "publish_at": next_sunday_evening().isoformat(),
                "text": {
                    "en": "The island ferry runs every hour from Monday.",
                    "ko": "월요일부터 섬 여객선이 매시간 다닙니다.",
                },
                "media": [
                    {"file": "ferry.jpg", "alt": ALT},
                    {"sha256": board.sha256, "alt": SECOND_ALT},
                ],
            }
        )
        content = read_draft_file(source, "ferry.toml", config, utcnow())
        content, images = read_media(content, folder, "ferry.toml")
        mina, joon = find_user(session, "mina"), find_user(session, "joon")
        draft = add_draft(
            session, content=content, author=mina, config=config, library=library, images=images
        )
        assert draft.id is not None
        submit(session, draft_id=draft.id, actor=mina, config=config)
        approve(session, draft_id=draft.id, reviewer=joon, comment="", config=config, now=utcnow())
        return {(post.channel, post.language): post for post in draft_posts(session, draft.id)}


def sent(database: Database, post: Post) -> list[PostImage]:
    assert post.id is not None
    with database.reading() as session:
        return images_by_post(session, [post.id])[post.id]


def keep_uploads(database: Database, post: Post, ids: dict[str, str]) -> None:
    """The publish state an adapter leaves after uploading: each image's id by its SHA-256."""
    with database.writing() as session:
        stored = session.get(Post, post.id)
        assert stored is not None
        stored.publish_state = {state_key(sha256): remote for sha256, remote in ids.items()}


def image_rows(html: str) -> list[Tag]:
    return elements(html, "section.sent-images li.sent-image")


def facts(row: Tag) -> dict[str, str]:
    """An image's facts on the page, by their class (``image-pixels``: ``640×480``)."""
    return {str(dd["class"][0]): text(dd) for dd in elements(row, "dd")}


@SQLITE_ONLY
async def test_a_retrying_post_shows_the_image_uploaded_and_the_one_not_yet(
    app: Starlette,
    people: dict[str, Person],
    database: Database,
    config: Config,
    library: TemplateLibrary,
    tmp_path: Path,
) -> None:
    posts = photo_draft(database, config, library, tmp_path)
    linkedin = posts["linkedin", "en"]
    ferry, board = sent(database, linkedin)
    # The first attempt uploaded the first photo, then LinkedIn was busy: it will try again.
    keep_uploads(database, linkedin, {ferry.image.sha256: LINKEDIN_URN})
    assert linkedin.id is not None
    add_attempts(
        database,
        linkedin.id,
        {"outcome": "retry", "http_status": 503, "error": "image 2: LinkedIn answered 503"},
    )
    settle(database, linkedin.id, PostStatus.RETRYING, "image 2: LinkedIn answered 503")

    async with client(app) as browser:
        await log_in(browser, people["joon"])
        page = await browser.get(f"/posts/{linkedin.id}")
        assert page.status_code == 200
        first, second = image_rows(page.text)
        assert facts(first) == {
            "image-name": "1. ferry.jpg",
            "image-pixels": "640×480",
            "image-bytes": f"{ferry.image.bytes:,} JPEG",
            "image-alt-text": ALT["en"],
            "image-remote-id": LINKEDIN_URN,
        }
        assert facts(second) == {
            "image-name": f"2. {board.image.sha256[:12]}",  # stored as an upload: no file name
            "image-pixels": "300×500",
            "image-bytes": f"{board.image.bytes:,} JPEG",
            "image-alt-text": SECOND_ALT["en"],
            "image-remote-id": "not uploaded yet",
        }
        # Each thumbnail is the very version sent, read from the login-protected route.
        thumbnail = one(first, "img")
        assert thumbnail["src"] == f"/drafts/images/{ferry.image.sha256}"
        assert thumbnail["alt"] == ALT["en"]
        served = await browser.get(str(thumbnail["src"]))
        assert served.status_code == 200
        assert len(served.content) == ferry.image.bytes
        assert "shows no alt text" not in text(one(page.text, "section.sent-images"))
    async with client(app) as stranger:
        assert (await stranger.get(str(thumbnail["src"]))).status_code == 303  # to the login


@SQLITE_ONLY
async def test_a_bluesky_blob_shows_by_its_content_id_and_telegram_says_it_keeps_no_id(
    app: Starlette,
    people: dict[str, Person],
    database: Database,
    config: Config,
    library: TemplateLibrary,
    tmp_path: Path,
) -> None:
    posts = photo_draft(database, config, library, tmp_path)
    bluesky, telegram = posts["bluesky", "ko"], posts["telegram", "ko"]
    ferry = sent(database, bluesky)[0]
    blob = {"$type": "blob", "ref": {"$link": BLOB_CID}, "mimeType": "image/jpeg", "size": 1}
    keep_uploads(database, bluesky, {ferry.image.sha256: json.dumps(blob)})
    for post in (bluesky, telegram):
        assert post.id is not None
        add_attempts(database, post.id, {"outcome": "published", "http_status": 200})
        settle(database, post.id, PostStatus.PUBLISHED, "published")
    set_language(database, "joon", "ko")

    async with client(app) as browser:
        await log_in(browser, people["joon"])
        page = await browser.get(f"/posts/{bluesky.id}")
        first, second = image_rows(page.text)
        assert facts(first)["image-remote-id"] == BLOB_CID  # the blob's CID, not its JSON
        assert facts(first)["image-alt-text"] == ALT["ko"]
        assert facts(second)["image-remote-id"] == "없음: 게시물과 함께 보냄"
        assert texts(page.text, "section.sent-images dt")[:5] == [
            "이미지",
            "픽셀",
            "바이트",
            "대체 텍스트",
            "플랫폼 ID",
        ]

        page = await browser.get(f"/posts/{telegram.id}")
        rows = image_rows(page.text)
        assert [facts(row)["image-alt-text"] for row in rows] == [ALT["ko"], SECOND_ALT["ko"]]
        assert all(facts(row)["image-remote-id"] == "없음: 게시물과 함께 보냄" for row in rows)
        note = text(one(page.text, "section.sent-images p"))
        assert note.startswith("Telegram에서는 대체 텍스트가 보이지 않습니다")


@SQLITE_ONLY
async def test_a_post_without_images_has_no_images_section(
    app: Starlette,
    people: dict[str, Person],
    database: Database,
    config: Config,
    library: TemplateLibrary,
) -> None:
    with database.writing() as session:
        source = tomli_w.dumps(
            {
                "kind": "update",
                "title": "No photo",
                "channels": ["linkedin"],
                "text": {"en": "Text."},
            }
        )
        content = read_draft_file(source, "plain.toml", config, utcnow())
        mina = find_user(session, "mina")
        draft = add_draft(session, content=content, author=mina, config=config, library=library)
        assert draft.id is not None
        (post,) = draft_posts(session, draft.id)
    async with client(app) as browser:
        await log_in(browser, people["joon"])
        page = await browser.get(f"/posts/{post.id}")
        assert page.status_code == 200
        assert elements(page.text, "section.sent-images") == []
