"""Issue 10 end to end: one draft with a photo, in English and Korean, through review and the
daemon to all eight platforms in the sandbox, with `tidings web` serving the signed links
Threads fetches.

Each platform gets exactly the bytes the reviewer approved (the version its limits call for,
decided at compose time) with the alt text of the post's language; nothing that arrives
carries EXIF or GPS; Bluesky's blob stays under 1,000,000 bytes with its true aspect ratio.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlmodel import select

from drafts.authoring import add_draft, draft_posts
from drafts.config import Config, MediaSettings
from drafts.draft_file import read_draft_file
from drafts.lifecycle import PostStatus
from drafts.media import PostImage, StoredImage
from drafts.media_files import read_media
from drafts.models import Post, PostMedia
from drafts.post_media import images_by_post
from drafts.queueing import ScheduleRequest, schedule_draft
from drafts.rendering import TemplateLibrary
from drafts.review import approve, submit
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role, add_user
from scheduler.media_links import media_link_key, signed_url
from scheduler.sandbox.server import RunningSandbox
from tests.integration.publishing import drain
from tidings.demo.photo import draw_photo
from tidings.web.app import create_app
from tidings.web.in_thread import serving

CHANNELS = [
    "linkedin",
    "x-en",
    "mastodon",
    "bluesky",
    "facebook",
    "threads",
    "telegram",
    "team-chat",
]
ALT = {
    "en": "A row of volunteers with spades on a green riverbank at sunrise",
    "ko": "해 뜰 무렵 초록 강둑에서 삽을 든 자원봉사자들이 줄지어 선 모습",
}
DRAFT = f"""
kind = "event"
title = "Planting day recap"
channels = {CHANNELS!r}

[text]
en = "🌱 Our planting day by the river: 480 shrubs in the ground. Thank you, volunteers! #RiverCare"
ko = "🌱 강변 식재의 날: 관목 480그루를 심었습니다. 자원봉사자 여러분 고맙습니다! #하천돌봄"

[[media]]
file = "planting.jpg"
alt = {{ en = "{ALT["en"]}", ko = "{ALT["ko"]}" }}
""".replace("'", '"')


def soon() -> datetime:
    """The daemon's clock: a little ahead, so the draft scheduled a second from now is due."""
    return utcnow() + timedelta(seconds=2)


def publish_photo_draft(
    database: Database, config: Config, library: TemplateLibrary, folder: Path
) -> dict[int, list[PostImage]]:
    """Add, approve and schedule the photo draft; each post's approved images, by post id."""
    draw_photo(folder / "planting.jpg")
    content = read_draft_file(DRAFT, "recap.toml", config, utcnow())
    content, images = read_media(content, folder, "recap.toml")
    with database.writing() as session:
        author = add_user(session, name="mina", role=Role.AUTHOR, password_hash=None, actor=None)
        reviewer = add_user(
            session, name="joon", role=Role.REVIEWER, password_hash=None, actor=None
        )
        draft = add_draft(
            session, content=content, author=author, config=config, library=library, images=images
        )
        assert draft.id is not None
        submit(session, draft_id=draft.id, actor=author, config=config)
        approve(
            session, draft_id=draft.id, reviewer=reviewer, comment="", config=config, now=utcnow()
        )
        schedule_draft(
            session,
            draft_id=draft.id,
            request=ScheduleRequest(at=utcnow() + timedelta(seconds=1)),
            actor=author,
            config=config,
            now=utcnow(),
        )
        posts = draft_posts(session, draft.id)
        return images_by_post(session, [post.id or 0 for post in posts])


@dataclass(frozen=True)
class Published:
    web: str  # where `tidings web` serves, still running
    approved: dict[int, list[PostImage]]  # each post's approved images, by post id


@pytest.fixture
def published(
    database: Database, library: TemplateLibrary, everywhere: Config, tmp_path: Path
) -> Iterator[Published]:
    """The photo draft published everywhere by the daemon, Threads fetching from `tidings web`."""
    with serving(create_app(everywhere, database)) as web:
        config = everywhere.model_copy(update={"media": MediaSettings(public_url=f"{web}/media")})
        approved = publish_photo_draft(database, config, library, tmp_path)
        drain(database, config, now=soon, request_timeout=10.0)
        yield Published(web, approved)


def test_every_platform_gets_the_approved_bytes_with_the_alt_text_of_its_language(
    database: Database, sandbox: RunningSandbox, published: Published
) -> None:
    approved = published.approved

    with database.reading() as session:
        stored = list(session.exec(select(Post)))
    assert {post.status for post in stored} == {PostStatus.PUBLISHED}, [
        (post.channel, post.reason) for post in stored if post.status != PostStatus.PUBLISHED
    ]
    assert {post.platform for post in stored} == {
        "linkedin",
        "x",
        "mastodon",
        "bluesky",
        "facebook",
        "threads",
        "telegram",
        "webhook",
    }
    received = {image.sha256: image for image in sandbox.state.images()}
    assert received, "no platform received an image"
    for arrival in received.values():
        assert arrival.metadata == (), (arrival.platform, arrival.metadata)  # no EXIF, GPS or XMP
    for post in stored:
        (sent,) = approved[post.id or 0]
        assert sent.alt == ALT[post.language]
        (arrived,) = [p for p in sandbox.state.posts(post.platform) if p.text == post.text]
        (shown,) = arrived.details["images"]
        assert shown["sha256"] == sent.image.sha256, post.channel  # the approved bytes, exactly
        if post.platform != "telegram":  # Telegram shows no alt text
            assert shown["alt"] == ALT[post.language], post.channel
        if post.platform != "webhook":  # a webhook is sent a link and a digest, not the bytes
            assert sent.image.sha256 in received, post.channel

    bluesky = [each for p in stored if p.platform == "bluesky" for each in approved[p.id or 0]]
    for sent in bluesky:
        assert sent.image.bytes <= 1_000_000
        assert sent.image.width / sent.image.height == pytest.approx(3000 / 2000, rel=0.01)
        assert sent.change is not None  # the 3000×2000 photo was re-encoded for Bluesky
    threads = [each for p in stored if p.platform == "threads" for each in approved[p.id or 0]]
    for sent in threads:
        assert sent.image.width <= 1440
        fetched = received[sent.image.sha256]  # by the sandbox, from the signed link
        with Image.open(io.BytesIO(fetched.data)) as decoded:
            assert decoded.format == "JPEG"


def test_a_signed_link_serves_only_approved_images_and_expires(
    sandbox: RunningSandbox, published: Published
) -> None:
    """An approved image is served under a fresh signature; an expired, missing or tampered
    signature, or an image nobody approved, is 404."""
    media = f"{published.web}/media"
    image = next(iter(published.approved.values()))[0].image
    key = media_link_key()
    fresh = signed_url(media, image, utcnow() + timedelta(minutes=5), key)
    assert httpx.get(fresh).status_code == 200
    assert httpx.get(fresh).content == sandbox.state.image(image.sha256).data  # type: ignore[union-attr]
    stale = signed_url(media, image, utcnow() - timedelta(seconds=1), key)
    assert httpx.get(stale).status_code == 404
    assert httpx.get(fresh.split("?")[0]).status_code == 404  # unsigned
    # Tampered: the last character changed, always (replaced by "00", it once was "00" already).
    changed = "B" if fresh[-1] == "A" else "A"
    assert httpx.get(fresh[:-1] + changed).status_code == 404
    stray = StoredImage(hashlib.sha256(b"never approved").hexdigest(), "image/jpeg", 10, 10, 100)
    never = signed_url(media, stray, utcnow() + timedelta(minutes=5), key)
    assert httpx.get(never).status_code == 404


@pytest.mark.parametrize("tamper", ["nothing", "alt", "bytes"])
def test_images_changed_behind_the_approval_are_not_sent(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    everywhere: Config,
    tmp_path: Path,
    tamper: str,
) -> None:
    """Guarantee 1 for images: the daemon re-checks the approved hash, image bytes and alt text
    included, before it sends anything; a stored image row changed without an edit (so without
    a new review) keeps the whole draft from going out, and an untouched one goes."""
    with serving(create_app(everywhere, database)) as web:
        config = everywhere.model_copy(update={"media": MediaSettings(public_url=f"{web}/media")})
        approved = publish_photo_draft(database, config, library, tmp_path)
        if tamper != "nothing":
            _change_behind_review(database, approved, tamper)
        drain(database, config, now=soon, request_timeout=10.0)
    with database.reading() as session:
        stored = list(session.exec(select(Post)))
    if tamper == "nothing":
        assert {post.status for post in stored} == {PostStatus.PUBLISHED}
        return
    assert {post.status for post in stored} == {PostStatus.FAILED}
    assert all("not approved as it stands" in (post.reason or "") for post in stored)
    assert sandbox.state.posts() == []
    assert sandbox.state.images() == []


def _change_behind_review(
    database: Database, approved: dict[int, list[PostImage]], what: str
) -> None:
    """Change one post's stored image row directly, as no edit would."""
    post_id = next(iter(approved))
    with database.writing() as session:
        row = session.get(PostMedia, (post_id, 0))
        assert row is not None
        if what == "alt":
            row.alt = "A caption nobody reviewed"
        else:
            row.sha256 = next(
                sent.image.sha256
                for images in approved.values()
                for sent in images
                if sent.image.sha256 != row.sha256
            )
        session.add(row)
