"""Images on the compose page and the post cards: uploads cleaned and stored at once (no EXIF,
no GPS), a bad file one clear line with nothing stored, alt text per language round-tripped
into the draft file as ``[[media]]``, each platform's card showing the version it sends, and a
replaced image sending an approved draft back to review with the change shown."""

from __future__ import annotations

import io
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
import tomli_w
from bs4 import Tag
from PIL import Image
from sqlmodel import select
from starlette.applications import Starlette

from drafts.authoring import add_draft, get_draft
from drafts.config import Config
from drafts.draft_file import read_draft_file
from drafts.lifecycle import DraftStatus
from drafts.media_files import read_media
from drafts.models import MediaBlob
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from tests.conftest import TEST_CONFIG, make_config
from tests.web.conftest import (
    SQLITE_ONLY,
    Person,
    client,
    csrf_token,
    elements,
    form_fields,
    log_in,
    one,
    parse,
    text,
    texts,
)

pytestmark = pytest.mark.anyio

GPS_IFD = 0x8825
ALT = {
    "en": "Volunteers in yellow vests planting shrubs on a riverbank",
    "ko": "노란 조끼를 입은 자원봉사자들이 강둑에 관목을 심는 모습",
}
TEXT = {
    "en": "🌿 Forty neighbours planted shrubs along the river on Saturday. Thank you!",
    "ko": "🌿 토요일에 이웃 마흔 명이 강가에 관목을 심었습니다. 고맙습니다!",
}
# The test channels and a Telegram channel, whose card says it shows no alt text.
WITH_TELEGRAM = (
    TEST_CONFIG
    + """
[[channels]]
id = "telegram"
platform = "telegram"
languages = ["en", "ko"]
chat_id = "@tidings_news"
token_env = "TIDINGS_TEST_TELEGRAM_TOKEN"
"""
)


def photo(
    width: int = 900, height: int = 600, *, colour: tuple[int, int, int] = (40, 120, 60)
) -> bytes:
    """A JPEG as a phone makes it: EXIF with the camera's make and a GPS position."""
    image = Image.new("RGB", (width, height), colour)
    for x in range(0, width, 30):
        image.paste((200, 180, 40), (x, 0, x + 8, height))
    exif = image.getexif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (37.0, 33.0, 5.0), 3: "E", 4: (126.0, 58.0, 7.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


@pytest.fixture
def config() -> Config:
    """The web fixtures' app (tests/web/conftest.py) is made with this configuration."""
    return make_config(WITH_TELEGRAM)


def blobs(database: Database) -> list[bytes]:
    with database.reading() as session:
        return list(session.exec(select(MediaBlob.data)).all())


def compose_fields(html: str, path: str = "/compose") -> dict[str, Any]:
    """What a browser sends from the compose form posting to ``path``: every named input,
    text area and selected option, a name with several values (ticked channels) as a list;
    no file chosen yet."""
    form = parse(html).find("form", attrs={"action": path})
    assert isinstance(form, Tag), f"no form posting to {path}"
    sent: dict[str, Any] = {}
    for field in form.find_all(["input", "textarea", "select"]):
        name = field.get("name")
        kind = field.get("type")
        if not isinstance(name, str) or kind in {"file", "submit"}:
            continue
        if kind in {"checkbox", "radio"} and not field.has_attr("checked"):
            continue
        if field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            value = chosen.get("value", chosen.get_text()) if isinstance(chosen, Tag) else ""
        elif field.name == "textarea":
            value = field.get_text()
        else:
            value = field.get("value", "")
        if name in sent and kind == "checkbox":
            sent[name] = [*([sent[name]] if isinstance(sent[name], str) else sent[name]), value]
        else:
            sent[name] = str(value)
    return sent


async def upload(
    browser: httpx.AsyncClient,
    files: list[tuple[str, bytes]],
    fields: dict[str, Any] | None = None,
    *,
    path: str = "/compose",
    action: str = "upload",
) -> httpx.Response:
    """Send the compose form at ``path`` as a browser without scripts does: multipart, the
    chosen files with the other fields, pressing ``action``."""
    page = await browser.get(path)
    data = {**compose_fields(page.text, path), **(fields or {}), "action": action}
    data["csrf_token"] = csrf_token(page.text)
    data.pop("images", None)
    chosen = [("images", (name, content, "image/jpeg")) for name, content in files]
    return await browser.post(path, data=data, files=chosen)


def typed(text: dict[str, str] = TEXT) -> dict[str, Any]:
    return {
        "kind": "event",
        "title": "Volunteer day at the riverside",
        "channel": ["linkedin", "x-en", "bluesky", "telegram"],
        **{f"text:{tag}": body for tag, body in text.items()},
    }


def with_alt(html: str, alt: dict[str, str] = ALT, path: str = "/compose") -> dict[str, Any]:
    """The form as the page shows it, each image's alt text typed in."""
    fields = compose_fields(html, path)
    for name in list(fields):
        if name.startswith("image:") and ":alt:" in name:
            fields[name] = alt.get(name.rsplit(":", 1)[1], "")
    return fields


@SQLITE_ONLY
async def test_an_uploaded_photo_is_stored_without_its_gps_position(
    app: Starlette, as_mina: httpx.AsyncClient, database: Database
) -> None:
    response = await upload(as_mina, [("riverside.jpg", photo())], typed())
    assert response.status_code == 200
    (entry,) = elements(response.text, "#compose-images .image-entry")
    assert "900×600 JPEG" in text(entry)
    (stored,) = blobs(database)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (900, 600)
        assert len(image.getexif()) == 0  # no EXIF at all, the GPS position least of all
        assert image.getexif().get_ifd(GPS_IFD) == {}
    # The thumbnail is the stored image, for signed-in people only.
    thumbnail = one(entry, "img")["src"]
    assert (await as_mina.get(str(thumbnail))).content == stored
    async with client(app) as stranger:
        assert (await stranger.get(str(thumbnail))).status_code == 303
    # One alt text field per language of the draft, each labelled.
    labels = texts(entry, "label")
    assert labels == ["Alt text (English)", "Alt text (Korean)"]


@SQLITE_ONLY
async def test_a_broken_file_is_one_line_naming_it_and_nothing_is_stored(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    truncated = photo()[:700]
    response = await upload(as_mina, [("good.jpg", photo()), ("holiday.jpg", truncated)], typed())
    assert response.status_code == 400
    (line,) = texts(response.text, "#upload-error li")
    assert line.startswith("holiday.jpg: ")
    assert "good.jpg" not in line
    assert blobs(database) == []  # not even the good one
    assert elements(response.text, "#compose-images .image-entry") == []
    # What was typed is still there.
    assert compose_fields(response.text)["text:en"] == TEXT["en"]


@SQLITE_ONLY
async def test_a_fifth_image_is_refused(as_mina: httpx.AsyncClient, database: Database) -> None:
    files = [(f"p{n}.jpg", photo(colour=(n * 40, 80, 80))) for n in range(5)]
    response = await upload(as_mina, files, typed())
    assert response.status_code == 400
    (line,) = texts(response.text, "#upload-error li")
    assert "at most 4 images" in line
    assert blobs(database) == []


@SQLITE_ONLY
async def test_the_images_section_alone_answers_the_page_script(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    page = await as_mina.get("/compose")
    data = {**compose_fields(page.text), **typed(), "action": "upload"}
    response = await as_mina.post(
        "/compose/images",
        data=data,
        files=[("images", ("a.png", png(), "image/png"))],
    )
    assert response.status_code == 200
    section = parse(response.text).find("fieldset")
    assert isinstance(section, Tag) and section["id"] == "compose-images"
    assert len(elements(response.text, ".image-entry")) == 1
    # Removing it answers the section without it; the stored image stays (it never changes).
    fields = compose_fields(f"<form action='x'>{response.text}</form>", "x")
    removed = await as_mina.post(
        "/compose/images", data={**data, **fields, "action": "remove-image:0"}
    )
    assert elements(removed.text, ".image-entry") == []
    assert len(blobs(database)) == 1
    # A broken file: the section says so (a 200, which a browser's console takes quietly).
    broken = await as_mina.post(
        "/compose/images", data=data, files=[("images", ("scan.png", b"\x89PNG\r\n", "image/png"))]
    )
    assert broken.status_code == 200
    (line,) = texts(broken.text, "#upload-error li")
    assert line.startswith("scan.png: ")
    assert len(blobs(database)) == 1


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (300, 500), (20, 40, 200, 255)).save(out, "PNG")
    return out.getvalue()


@SQLITE_ONLY
async def test_a_draft_with_an_image_and_alt_text_shows_it_on_every_card(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    added = await upload(as_mina, [("riverside.jpg", photo())], typed())
    fields = with_alt(added.text)
    page = await as_mina.get("/compose")
    saved = await as_mina.post(
        "/compose", data={**fields, "action": "save", "csrf_token": csrf_token(page.text)}
    )
    assert saved.status_code == 303, parse(saved.text).select_one(".error")
    draft_id = int(saved.headers["location"].split("/")[2])

    # The draft file has the image by its SHA-256 with the alt text in each language.
    with database.reading() as session:
        source = tomllib.loads(get_draft(session, draft_id).source)
    (media,) = source["media"]
    assert media["alt"] == ALT
    assert len(media["sha256"]) == 64

    draft_page = await as_mina.get(f"/drafts/{draft_id}")
    cards = elements(draft_page.text, "article.post")
    assert len(cards) == 7  # linkedin, bluesky and telegram in en and ko; x-en in en
    for card in cards:
        (image,) = elements(card, ".post-images img")
        language = str(one(card, ".post-text")["lang"])
        assert image["alt"] == ALT[language]
        facts = text(one(card, ".post-image figcaption"))
        assert "900×600 JPEG" in facts
        assert ALT[language] in facts
    telegram = [card for card in cards if "platform-telegram" in card["class"]]
    assert telegram
    for card in telegram:
        assert "Telegram shows no alt text" in text(one(card, ".image-note"))
    others = [card for card in cards if "platform-telegram" not in card["class"]]
    assert all(not elements(card, ".image-note") for card in others)

    # Editing it shows the image again, with the alt text as saved.
    edit = await as_mina.get(f"/drafts/{draft_id}/edit")
    alts = {
        str(area["lang"]): area.get_text() for area in elements(edit.text, ".image-alt textarea")
    }
    assert alts == ALT


@SQLITE_ONLY
async def test_a_missing_alt_text_is_a_problem_on_the_card(as_mina: httpx.AsyncClient) -> None:
    added = await upload(as_mina, [("riverside.jpg", photo())], typed({"en": TEXT["en"]}))
    fields = with_alt(added.text, {"en": ""})
    page = await as_mina.get("/compose")
    preview = await as_mina.post(
        "/compose", data={**fields, "action": "preview", "csrf_token": csrf_token(page.text)}
    )
    problems = texts(preview.text, "article.platform-linkedin .problem")
    assert any("no alt text" in problem for problem in problems)
    # Telegram shows none, so none is asked there.
    assert not any("alt" in p for p in texts(preview.text, "article.platform-telegram .problem"))


@SQLITE_ONLY
async def test_a_replaced_image_sends_an_approved_draft_back_to_review(
    app: Starlette, people: dict[str, Person], database: Database
) -> None:
    async with client(app) as mina, client(app) as joon:
        await log_in(mina, people["mina"])
        await log_in(joon, people["joon"])
        added = await upload(mina, [("riverside.jpg", photo())], typed({"en": TEXT["en"]}))
        fields = with_alt(added.text)
        page = await mina.get("/compose")
        submitted = await mina.post(
            "/compose",
            data={**fields, "action": "submit", "csrf_token": csrf_token(page.text)},
        )
        assert submitted.status_code == 303, parse(submitted.text).select_one(".error")
        draft_id = int(submitted.headers["location"].split("/")[2])
        review = await joon.get(f"/drafts/{draft_id}")
        approved = await joon.post(
            f"/drafts/{draft_id}/approve",
            data=form_fields(review.text, f"/drafts/{draft_id}/approve"),
        )
        assert approved.status_code == 303
        assert status(database, draft_id) == DraftStatus.APPROVED

        # mina removes the photo and adds another in its place, keeping the alt text.
        edit_path = f"/drafts/{draft_id}/edit"
        edit = await mina.get(edit_path)
        kept = compose_fields(edit.text, edit_path)
        removed = await mina.post(edit_path, data={**kept, "action": "remove-image:0"})
        other = photo(colour=(160, 40, 40))
        again = await upload_to(mina, edit_path, removed.text, [("sunset.jpg", other)])
        fields = with_alt(again.text, path=edit_path)
        saved = await mina.post(edit_path, data={**fields, "action": "save"})
        assert saved.status_code == 303, parse(saved.text).select_one(".error")
        assert status(database, draft_id) == DraftStatus.IN_REVIEW

        shown = await joon.get(f"/drafts/{draft_id}")
        section = one(shown.text, "section.changes")
        assert "Changed since joon approved it" in text(section)
        changes = elements(section, ".image-change")
        assert changes and all("replaced" in text(change) for change in changes)
        assert all(len(elements(change, "img")) == 2 for change in changes)  # before → after


async def upload_to(
    browser: httpx.AsyncClient, path: str, html: str, files: list[tuple[str, bytes]]
) -> httpx.Response:
    """Send the form on ``html`` (posting to ``path``) with ``files`` chosen, to add them."""
    data = {**compose_fields(html, path), "action": "upload"}
    chosen = [("images", (name, content, "image/jpeg")) for name, content in files]
    return await browser.post(path, data=data, files=chosen)


def status(database: Database, draft_id: int) -> str:
    with database.reading() as session:
        return get_draft(session, draft_id).status


@SQLITE_ONLY
async def test_a_draft_added_with_a_photo_file_is_edited_by_its_stored_image(
    as_mina: httpx.AsyncClient,
    database: Database,
    config: Config,
    library: TemplateLibrary,
    tmp_path: Path,
) -> None:
    """``tidings draft add`` reads ``file = ...`` beside the draft; the web app names the same
    image by its SHA-256, and saving the form unchanged changes nothing."""
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "steps.jpg").write_bytes(photo())
    source = tomli_w.dumps(
        {
            "kind": "event",
            "title": "Harbour clean-up",
            "channels": ["linkedin"],
            "text": {"en": "Sixty people cleared the harbour steps on Sunday."},
            "media": [{"file": "photos/steps.jpg", "alt": "People in gloves on stone steps"}],
        }
    )
    content, images = read_media(
        read_draft_file(source, "clean-up.toml", config, utcnow()), tmp_path, "clean-up.toml"
    )
    with database.writing() as session:
        draft = add_draft(
            session,
            content=content,
            author=find_user(session, "mina"),
            config=config,
            library=library,
            images=images,
        )
        assert draft.id is not None
        draft_id, digest = draft.id, draft.content_hash
    path = f"/drafts/{draft_id}/edit"
    page = await as_mina.get(path)
    (entry,) = elements(page.text, "#compose-images .image-entry")
    assert one(entry, 'input[name="image:0:sha256"]')["value"] == images[0].stored.sha256
    assert one(entry, "#alt-1-en").get_text() == "People in gloves on stone steps"
    saved = await as_mina.post(path, data={**compose_fields(page.text, path), "action": "save"})
    assert saved.status_code == 303
    with database.reading() as session:
        assert get_draft(session, draft_id).content_hash == digest


@SQLITE_ONLY
async def test_an_upload_passes_the_csrf_and_nul_checks_like_any_form(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    page = await as_mina.get("/compose")
    fields = {**compose_fields(page.text), **typed(), "action": "upload"}
    chosen = [("images", ("riverside.jpg", photo(), "image/jpeg"))]
    forged = await as_mina.post("/compose", data={**fields, "csrf_token": "x"}, files=chosen)
    assert forged.status_code == 403
    missing = {name: value for name, value in fields.items() if name != "csrf_token"}
    assert (await as_mina.post("/compose/images", data=missing, files=chosen)).status_code == 403
    nul = await as_mina.post("/compose", data={**fields, "title": "Riverside\0"}, files=chosen)
    assert nul.status_code == 400
    assert "title: holds a NUL character" in text(one(nul.text, "p.error"))
    assert blobs(database) == []
