"""Images in a real browser (Debian's Chromium, driven by Playwright), in English and in Korean
(the people's interface language): an author adds a phone photo to a draft with the file field,
and another by dropping it on the drop zone (then removes that one), writes its alt text in
English and Korean, and sends the draft to review on LinkedIn, X, Bluesky and Telegram. The
reviewer sees the photo on every platform's card with the alt text of that card's language
(Telegram's card says it shows none) and approves; the author then replaces the photo, the
draft is back in review, and the reviewer sees the photo replaced in "changed since the last
approval".

Screenshots of the compose page, the review page and the changes, 1280 and 375 pixels wide,
go to ``tests/artifacts/`` (``images-<page>-<language>-<width>.png``). At both widths no page
is wider than the window.
"""

from __future__ import annotations

import base64
import io
import re

import pytest
import tomli_w
from PIL import Image, ImageDraw
from playwright.sync_api import BrowserContext, FilePayload, Page, expect

from drafts.authoring import add_draft, draft_posts
from drafts.config import Config
from drafts.draft_file import read_draft_file
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.media_store import clean, keep
from drafts.review import submit
from drafts.times import utcnow
from drafts.users import find_user
from scheduler.platforms.uploads import state_key
from tests.browser.conftest import CONFIG, Browsing, Drafts, log_in, screenshot
from tests.conftest import make_config
from tests.web.conftest import Person
from tests.web.scheduling import add_attempts, settle

GPS_IFD, MAKE = 0x8825, 0x010F
PLANTING = (40, 110, 60)  # the first photo's colour
WIDTHS = (1280, 375)
TITLE = "Riverside planting day · 강변 나무 심기"
TEXT = {
    "en": "Neighbours planted forty young trees along the river path on Saturday.",
    "ko": "토요일에 이웃들이 강변 산책로를 따라 어린 나무 마흔 그루를 심었습니다.",
}
ALT = {
    "en": "Two volunteers in green gloves setting a young maple into fresh soil",
    "ko": "초록 장갑을 낀 자원봉사자 두 명이 어린 단풍나무를 새 흙에 심는 모습",
}
NEW_ALT = {
    "en": "The planted riverside path at dusk, a row of young trees along the water",
    "ko": "해 질 녘 나무를 심은 강변 산책로, 물가를 따라 늘어선 어린 나무들",
}
CHANNELS = ("linkedin", "x-en", "bluesky", "telegram")
LINKEDIN_IMAGE = "urn:li:image:D4E10AQFplanting"
# Every card: LinkedIn, Bluesky and Telegram in both languages, X in English.
CARDS = 7
# What the pages say, in each interface language (tidings/web/locale/ko).
WORDS = {
    "en": {
        "telegram": "Telegram shows no alt text",
        "changes": "Changed since joon approved it",
        "replaced": "replaced",
        "bytes": "UTF-8 bytes",
    },
    "ko": {
        "telegram": "Telegram에서는 대체 텍스트가 보이지 않습니다",
        "changes": "joon 님이 승인한 뒤 바뀐 내용",
        "replaced": "교체됨",
        "bytes": "UTF-8 바이트",
    },
}
CHANNELS_CONFIG = """
[[channels]]
id = "bluesky"
platform = "bluesky"
languages = ["en", "ko"]
handle = "tidings.test"
password_env = "TIDINGS_TEST_BLUESKY_PASSWORD"

[[channels]]
id = "telegram"
platform = "telegram"
languages = ["en", "ko"]
chat_id = "@tidings_news"
token_env = "TIDINGS_TEST_TELEGRAM_TOKEN"
"""


@pytest.fixture
def config() -> Config:
    """The browser tests' LinkedIn and X channels, with Bluesky and Telegram besides."""
    return make_config(CONFIG + CHANNELS_CONFIG)


def phone_photo(colour: tuple[int, int, int], width: int = 1200, height: int = 800) -> bytes:
    """A JPEG as a phone makes it: the camera's make and a GPS position in its EXIF."""
    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 60):
        draw.rectangle((x, height // 2, x + 20, height), fill=(230, 200, 60))
    exif = image.getexif()
    exif[MAKE] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (37.0, 31.0, 12.0), 3: "E", 4: (127.0, 0.0, 9.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88, exif=exif)
    return out.getvalue()


def drop_file(page: Page, target: str, name: str, data: bytes) -> None:
    """Drop a file on ``target`` as a person dragging it from their desktop does: a drag over
    it, then a drop whose DataTransfer holds the file."""
    transfer = page.evaluate_handle(
        """([name, encoded]) => {
            const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: "image/jpeg" }));
            return transfer;
        }""",
        [name, base64.b64encode(data).decode()],
    )
    page.dispatch_event(target, "dragover", {"dataTransfer": transfer})
    expect(page.locator(target)).to_have_class(re.compile(r"\bdragging\b"))
    page.dispatch_event(target, "drop", {"dataTransfer": transfer})


# Every image of the page brought near the window in turn (a lazy one loads only then); true
# once each has been read and has pixels.
EVERY_IMAGE_SHOWN = """() => {
    const images = [...document.querySelectorAll("main img")];
    images.forEach((img) => img.scrollIntoView({ block: "nearest" }));
    return images.every((img) => img.complete && img.naturalWidth > 0);
}"""


def shots(page: Page, name: str, language: str) -> None:
    """The page at each width, full length, into tests/artifacts, every image shown; none
    wider than the window."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{name} at {width} px is {wide} px wide: it scrolls sideways"
        page.wait_for_function(EVERY_IMAGE_SHOWN)
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, f"images-{name}-{language}-{width}")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def signed_in(browsing: Browsing, person: Person) -> Page:
    """A browser of one's own (cookies, tabs), logged in."""
    context: BrowserContext = browsing.open()
    page = context.new_page()
    page.goto("/login")
    log_in(page, person)
    return page


def choose_file(page: Page, name: str, data: bytes) -> None:
    """Choose a file in the images field, as the file dialog does."""
    chosen: FilePayload = {"name": name, "mimeType": "image/jpeg", "buffer": data}
    page.set_input_files("#image-files", files=[chosen])


def approved_draft_with_photo(drafts: Drafts) -> tuple[int, str]:
    """A draft like the one composed above, with the planting photo stored as an upload is,
    added by mina and approved by joon: its id, and where the photo is read."""
    with drafts.database.writing() as session:
        photo = keep(session, clean(phone_photo(PLANTING), "planting.jpg"))
        mina = find_user(session, "mina")
        source = tomli_w.dumps(
            {
                "kind": "event",
                "title": TITLE,
                "channels": list(CHANNELS),
                "text": TEXT,
                "media": [{"sha256": photo.sha256, "alt": ALT}],
            }
        )
        content = read_draft_file(source, "browser.toml", drafts.config, utcnow())
        draft = add_draft(
            session, content=content, author=mina, config=drafts.config, library=drafts.library
        )
        assert draft.id is not None
        submit(session, draft_id=draft.id, actor=mina, config=drafts.config)
    drafts.approve(draft.id, "joon")
    assert drafts.status(draft.id) == DraftStatus.APPROVED
    return draft.id, f"/drafts/images/{photo.sha256}"


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_photo_with_alt_text_is_reviewed_on_every_platform_card(
    language: str, browsing: Browsing, people: dict[str, Person], drafts: Drafts
) -> None:
    drafts.set_language("mina", language)
    drafts.set_language("joon", language)
    mina = signed_in(browsing, people["mina"])
    joon = signed_in(browsing, people["joon"])

    # mina writes the text, then adds a photo with the file field: it is stored at once.
    mina.goto("/compose")
    mina.locator('input[name="title"]').fill(TITLE)
    for channel in CHANNELS:
        mina.locator(f'input[name="channel"][value="{channel}"]').check()
    for tag, body in TEXT.items():
        mina.locator(f'textarea[name="text:{tag}"]').fill(body)
    choose_file(mina, "planting.jpg", phone_photo(PLANTING))
    first = mina.locator("#image-1")
    expect(first).to_contain_text("1200×800 JPEG")
    thumbnail = str(first.locator("img").get_attribute("src"))
    with Image.open(io.BytesIO(mina.request.get(thumbnail).body())) as stored:
        assert stored.size == (1200, 800)
        assert stored.getexif().get_ifd(GPS_IFD) == {}  # no position left in what was stored
    expect(mina.locator("#compose-images textarea")).to_have_count(2)  # one per language
    mina.locator("#alt-1-en").fill(ALT["en"])
    mina.locator("#alt-1-ko").fill(ALT["ko"])

    # A second photo dropped on the drop zone is added too; removed, the first keeps its alt text.
    drop_file(mina, "#image-drop", "crowd.jpg", phone_photo((150, 60, 40), 800, 1000))
    expect(mina.locator("#image-2")).to_contain_text("800×1000 JPEG")
    expect(mina.locator("#alt-1-ko")).to_have_value(ALT["ko"])
    mina.locator("#remove-image-2").click()
    expect(mina.locator("#image-2")).to_have_count(0)
    expect(mina.locator("#alt-1-en")).to_have_value(ALT["en"])
    expect(mina.locator("#alt-1-ko")).to_have_value(ALT["ko"])
    expect(mina.locator("#upload-error")).to_have_count(0)
    # The previews follow: every card shows the photo, with its language's alt text.
    expect(mina.locator("#live-preview article.post")).to_have_count(CARDS)
    korean_alt = mina.locator(f'#live-preview .post-image img[alt="{ALT["ko"]}"]')
    expect(korean_alt).to_have_count(3)  # LinkedIn, Bluesky and Telegram in Korean
    expect(mina.locator('#live-preview a[href^="/posts/"]')).to_have_count(0)  # none stored yet
    shots(mina, "compose", language)

    mina.locator('button[name="action"][value="submit"]').click()
    expect(mina).to_have_url(re.compile(r"/drafts/\d+$"))
    draft_id = int(mina.url.rsplit("/", 1)[1])
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW

    # joon sees the photo on every platform's card with that card's alt text, and approves.
    joon.goto(f"/drafts/{draft_id}")
    cards = joon.locator("section.posts article.post")
    expect(cards).to_have_count(CARDS)
    for card in cards.all():
        image = joon.locator(f"#{card.get_attribute('id')}-image-1 img")
        expect(image).to_have_attribute(
            "alt", ALT[str(card.locator(".post-text").get_attribute("lang"))]
        )
        expect(image).to_have_attribute("src", thumbnail)
        expect(card.locator(".image-facts")).to_contain_text("1200×800")
    telegram = joon.locator("article.platform-telegram .image-note")
    expect(telegram).to_have_count(2)
    for note in telegram.all():
        expect(note).to_contain_text(WORDS[language]["telegram"])
    expect(joon.locator("article.post:not(.platform-telegram) .image-note")).to_have_count(0)
    for counts in joon.locator("article.platform-bluesky .counts").all():
        expect(counts).to_contain_text(WORDS[language]["bytes"])  # the interface's language
    shots(joon, "review", language)
    joon.locator("form.approve button").click()
    expect(joon.locator(".flash")).to_contain_text(str(draft_id))
    assert drafts.status(draft_id) == DraftStatus.APPROVED


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_replaced_photo_sends_the_draft_back_to_review_showing_the_change(
    language: str, browsing: Browsing, people: dict[str, Person], drafts: Drafts
) -> None:
    draft_id, before = approved_draft_with_photo(drafts)
    drafts.set_language("mina", language)
    drafts.set_language("joon", language)
    mina = signed_in(browsing, people["mina"])
    joon = signed_in(browsing, people["joon"])

    # mina replaces the photo and describes the new one: the draft goes back to review.
    mina.goto(f"/drafts/{draft_id}/edit")
    expect(mina.locator("#alt-1-ko")).to_have_value(ALT["ko"])
    mina.locator("#remove-image-1").click()
    expect(mina.locator("#image-1")).to_have_count(0)
    choose_file(mina, "dusk.jpg", phone_photo((200, 120, 60)))
    expect(mina.locator("#image-1")).to_contain_text("1200×800 JPEG")
    after = str(mina.locator("#image-1 img").get_attribute("src"))
    assert after != before
    mina.locator("#alt-1-en").fill(NEW_ALT["en"])
    mina.locator("#alt-1-ko").fill(NEW_ALT["ko"])
    mina.locator('button[name="action"][value="save"]').click()
    expect(mina.locator(".flash")).to_contain_text(str(draft_id))
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW
    shots(mina, "edit", language)

    # joon sees the photo replaced, before → after, with the alt text's change: said once per
    # language for the posts it changed (seven posts in English and Korean).
    joon.goto(f"/drafts/{draft_id}")
    changes = joon.locator("section.changes")
    expect(changes.get_by_role("heading", level=2)).to_contain_text(WORDS[language]["changes"])
    replaced = changes.locator("li.image-change")
    expect(replaced).to_have_count(2)
    for change in replaced.all():
        expect(change).to_contain_text(WORDS[language]["replaced"])
        expect(change.locator("img.was")).to_have_attribute("src", before)
        expect(change.locator("img:not(.was)")).to_have_attribute("src", after)
    expect(changes.locator('.diff[lang="ko"] ins').first).to_contain_text("산책로")
    expect(joon.locator("section.posts .post-image img")).to_have_count(CARDS)
    for image in joon.locator("section.posts .post-image img").all():
        expect(image).to_have_attribute("src", after)
    shots(joon, "changes", language)


def test_a_published_post_shows_its_photo_and_the_platforms_id_for_it(
    browsing: Browsing, people: dict[str, Person], drafts: Drafts
) -> None:
    draft_id, photo = approved_draft_with_photo(drafts)
    with drafts.database.writing() as session:
        post = next(p for p in draft_posts(session, draft_id) if p.channel == "linkedin")
        post.publish_state = {state_key(photo.rsplit("/", 1)[1]): LINKEDIN_IMAGE}
    assert post.id is not None
    add_attempts(drafts.database, post.id, {"outcome": "published", "http_status": 201})
    settle(drafts.database, post.id, PostStatus.PUBLISHED, "published")
    joon = signed_in(browsing, people["joon"])

    joon.goto(f"/posts/{post.id}")
    image = joon.locator("#image-1")
    expect(image.locator("img")).to_have_attribute("src", photo)
    expect(image.locator(".image-pixels")).to_have_text("1200×800")
    expect(image.locator(".image-remote-id")).to_have_text(LINKEDIN_IMAGE)
    shots(joon, "outcome", "en")
