"""A draft's refusals and its images' problems in the viewer's language (issue 17): an action
the draft is past (submit, approve, request changes, publish now, unschedule), a reviewer who
may not review or approved already, an approval of content that changed, a channel without
posting slots, and an image without alt text or in a shape its platform refuses, on the draft
page, the pages that ask before a queue action, post cards and at submit. The command line keeps its one English line
(tests/integration/test_cli_errors.py).

Each test runs for a Korean and an English viewer, so a refusal that is only ever English fails.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC

import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette

from drafts.authoring import add_draft, edit_draft, get_draft
from drafts.config import Config
from drafts.draft_file import read_draft_file
from drafts.errors import ReviewError
from drafts.rendering import TemplateLibrary
from drafts.review import approve, submit
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role, find_user
from tests.conftest import make_config
from tests.web.conftest import (
    SQLITE_ONLY,
    Drafts,
    Person,
    add_people,
    client,
    csrf_token,
    form_fields,
    log_in,
    one,
    set_language,
    text,
    texts,
)
from tests.web.test_draft_actions import approved
from tests.web.test_media_compose import TEXT, WITH_TELEGRAM, photo, typed, upload, with_alt
from tidings.web.sentences import Teller
from tidings.web.translations import translations

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]

LANGUAGES = ("ko", "en")
KOREAN = Teller(translations("ko").gettext, UTC)


@pytest.fixture
def config() -> Config:
    """The test channels and a Telegram channel (the web fixtures' app is made with it)."""
    return make_config(WITH_TELEGRAM)


@pytest.fixture(params=LANGUAGES)
def language(request: pytest.FixtureRequest) -> str:
    """The language mina and joon read Tidings in."""
    return str(request.param)


@asynccontextmanager
async def reading(
    app: Starlette, database: Database, person: Person, language: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser logged in as ``person``, who reads Tidings in ``language``."""
    set_language(database, person.name, language)
    async with client(app) as browser:
        assert (await log_in(browser, person)).status_code == 303
        yield browser


@pytest.fixture
async def as_mina(
    app: Starlette, people: dict[str, Person], database: Database, language: str
) -> AsyncIterator[httpx.AsyncClient]:
    """mina (an author)."""
    async with reading(app, database, people["mina"], language) as browser:
        yield browser


@pytest.fixture
async def as_joon(
    app: Starlette, people: dict[str, Person], database: Database, language: str
) -> AsyncIterator[httpx.AsyncClient]:
    """joon (a reviewer)."""
    async with reading(app, database, people["joon"], language) as browser:
        yield browser


def the_error(html: str) -> str:
    """What the page says went wrong, above its content."""
    return text(one(html, 'p.error[role="alert"]'))


def seen(database: Database, draft_id: int) -> str:
    """The draft's content hash: what a reviewer's page says they read."""
    with database.reading() as session:
        return get_draft(session, draft_id).content_hash


async def press(browser: httpx.AsyncClient, draft_id: int, action: str, **form: str) -> str:
    """Send the draft page's ``action`` form (as a page opened before the draft moved on
    would): the page that answers."""
    token = csrf_token((await browser.get(f"/drafts/{draft_id}")).text)
    answer = await browser.post(f"/drafts/{draft_id}/{action}", data={**form, "csrf_token": token})
    assert answer.status_code in {403, 409}, answer.status_code
    return answer.text


# --- an action the draft is past ------------------------------------------------------------


async def test_an_action_the_draft_is_past_is_refused_in_the_viewers_language(
    as_mina: httpx.AsyncClient,
    as_joon: httpx.AsyncClient,
    drafts: Drafts,
    database: Database,
    config: Config,
    language: str,
) -> None:
    written = drafts.add(review=False)
    in_review = drafts.add()
    approved_id = approved(drafts, database, config)

    submitted = the_error(await press(as_mina, approved_id, "submit"))
    approved_again = the_error(
        await press(as_joon, approved_id, "approve", comment="ok", seen=seen(database, approved_id))
    )
    sent_back = the_error(await press(as_joon, written, "request-changes", comment="Shorter."))
    asked_now = await as_mina.get(f"/drafts/{in_review}/publish-now")
    asked_out = await as_mina.get(f"/drafts/{in_review}/unschedule")
    assert (asked_now.status_code, asked_out.status_code) == (403, 403)

    said = [submitted, approved_again, sent_back, the_error(asked_now.text)]
    said.append(the_error(asked_out.text))
    assert (
        said
        == {
            "ko": [
                f"초안 {approved_id}: 지금 승인됨 상태입니다. ‘검토 요청’ 작업은 수정 요청됨 또는 초안 "
                "상태인 초안에만 할 수 있습니다",
                f"초안 {approved_id}: 지금 승인됨 상태입니다. ‘승인’ 작업은 검토 중 상태인 초안에만 할 수 "
                "있습니다",
                f"초안 {written}: 지금 초안 상태입니다. ‘수정 요청’ 작업은 승인됨 또는 검토 중 또는 예약됨 "
                "상태인 초안에만 할 수 있습니다",
                f"초안 {in_review}: 지금 검토 중 상태입니다. ‘예약’ 작업은 승인됨 또는 예약됨 상태인 초안에만 "
                "할 수 있습니다",
                f"초안 {in_review}: 지금 검토 중 상태입니다. ‘예약 해제’ 작업은 예약됨 상태인 초안에만 할 수 "
                "있습니다",
            ],
            "en": [
                f"draft {approved_id} is approved; submit needs a draft that is changes_requested or "
                "draft",
                f"draft {approved_id} is approved; approve needs a draft that is in_review",
                f"draft {written} is draft; request-changes needs a draft that is approved or "
                "in_review or scheduled",
                f"draft {in_review} is in_review; schedule needs a draft that is approved or scheduled",
                f"draft {in_review} is in_review; unschedule needs a draft that is scheduled",
            ],
        }[language]
    )


# --- who may review, and what -----------------------------------------------------------------


async def test_a_reviewer_who_edited_the_draft_is_refused_in_their_language(
    app: Starlette,
    drafts: Drafts,
    database: Database,
    config: Config,
    library: TemplateLibrary,
    language: str,
) -> None:
    [hana] = add_people(database, {"hana": Role.ADMIN}).values()
    draft_id = drafts.add()
    edited = drafts.content({"en": "The riverside park opens at nine."}, "Riverside park", None)
    with database.writing() as session:
        editor = find_user(session, "hana")
        edit_draft(
            session,
            draft_id=draft_id,
            content=edited,
            editor=editor,
            config=config,
            library=library,
        )
    async with reading(app, database, hana, language) as as_hana:
        read = seen(database, draft_id)
        refused = the_error(await press(as_hana, draft_id, "approve", comment="ok", seen=read))
    assert (
        refused
        == {
            "ko": f"hana 님은 초안 {draft_id}의 작성자이거나 편집자라서 검토할 수 없습니다"
            "([review] allow_self_approval 설정이 꺼져 있습니다)",
            "en": f"hana wrote or edited draft {draft_id} and may not review it "
            "([review] allow_self_approval is off)",
        }[language]
    )


async def test_an_approval_of_content_that_changed_is_refused_in_the_reviewers_language(
    as_joon: httpx.AsyncClient, drafts: Drafts, database: Database, language: str
) -> None:
    draft_id = drafts.add({"en": "Donations help the park: see the notice board."})
    opened = await as_joon.get(f"/drafts/{draft_id}")
    form = form_fields(opened.text, f"/drafts/{draft_id}/approve")
    drafts.edit(draft_id, {"en": "Donations help the park: ask at the gate."})
    now, before = seen(database, draft_id)[:16], form["seen"][:16]

    refused = await as_joon.post(f"/drafts/{draft_id}/approve", data=form | {"comment": "ok"})
    assert refused.status_code == 409
    assert (
        the_error(refused.text)
        == {
            "ko": f"초안 {draft_id}의 내용이 페이지를 연 뒤에 바뀌었습니다(보신 내용 {before}, 지금 내용 "
            f"{now}). 승인하기 전에 다시 읽어 보세요",
            "en": f"draft {draft_id} changed since you opened it (you saw {before}, it is now {now}): "
            "read it again before approving",
        }[language]
    )


# --- the queue ------------------------------------------------------------------------------


def approved_for_telegram(database: Database, config: Config, library: TemplateLibrary) -> int:
    """A draft for the Telegram channel, which has no posting slots, that joon approved."""
    source = 'kind = "update"\ntitle = "Late opening"\nchannels = ["telegram"]\n'
    source += '[text]\nen = "The library opens late on Sundays."\n'
    content = read_draft_file(source, "web.toml", config, utcnow())
    with database.writing() as session:
        mina, joon = find_user(session, "mina"), find_user(session, "joon")
        draft = add_draft(session, content=content, author=mina, config=config, library=library)
        assert draft.id is not None
        submit(session, draft_id=draft.id, actor=mina, config=config)
        approve(session, draft_id=draft.id, reviewer=joon, comment="", config=config, now=utcnow())
        return draft.id


async def test_a_channel_without_slots_is_said_beside_the_time_in_the_viewers_language(
    as_mina: httpx.AsyncClient,
    database: Database,
    config: Config,
    library: TemplateLibrary,
    language: str,
) -> None:
    draft_id = approved_for_telegram(database, config, library)
    page = (await as_mina.get(f"/drafts/{draft_id}")).text
    form = form_fields(page, f"/drafts/{draft_id}/schedule") | {"when": "next-slot"}

    refused = await as_mina.post(f"/drafts/{draft_id}/schedule", data=form)
    assert refused.status_code == 400
    said = text(one(refused.text, "p#schedule-error"))
    assert (
        said
        == {
            "ko": "telegram 채널에는 config.toml에 정해진 게시 시간대가 없습니다. 게시 시각을 직접 "
            "지정하세요",  # the web has a time field, not the command line's --at
            "en": "channel telegram has no slots in config.toml; use --at TIME",
        }[language]
    )


# --- images -------------------------------------------------------------------------------


def banner() -> bytes:
    """A JPEG 21 times as wide as it is high: no platform's scaling fixes Telegram's 20."""
    out = io.BytesIO()
    Image.new("RGB", (4200, 200), (30, 90, 160)).save(out, "JPEG", quality=80)
    return out.getvalue()


async def previewed(browser: httpx.AsyncClient, fields: dict[str, object]) -> str:
    token = csrf_token((await browser.get("/compose")).text)
    answer = await browser.post(
        "/compose", data={**fields, "action": "preview", "csrf_token": token}
    )
    assert answer.status_code == 200
    return answer.text


async def test_an_images_problems_on_a_card_are_in_the_viewers_language(
    as_mina: httpx.AsyncClient, language: str
) -> None:
    added = await upload(as_mina, [("riverside.jpg", photo())], typed({"en": TEXT["en"]}))
    no_alt = await previewed(as_mina, with_alt(added.text, {"en": ""}))
    wide = await upload(as_mina, [("banner.jpg", banner())], typed({"en": TEXT["en"]}))
    too_wide = await previewed(as_mina, with_alt(wide.text))

    assert texts(no_alt, "article.platform-linkedin .problem") == [
        {
            "ko": "이미지 1에 대체 텍스트가 없습니다([media] require_alt)",
            "en": "image 1 has no alt text ([media] require_alt)",
        }[language]
    ]
    assert texts(too_wide, "article.platform-telegram .problem") == [
        {
            "ko": "이미지 1: 긴 변이 짧은 변의 21.0배(4200×200): Telegram에서는 긴 변이 짧은 변의 "
            "20배 이하인 이미지만 받습니다",
            "en": "image 1: one side is 21.0 times the other (4200×200); Telegram takes one side "
            "at most 20 times the other",
        }[language]
    ]


async def test_a_draft_whose_image_has_no_alt_text_is_not_submitted_in_the_viewers_language(
    as_mina: httpx.AsyncClient, language: str
) -> None:
    added = await upload(as_mina, [("riverside.jpg", photo())], typed({"en": TEXT["en"]}))
    token = csrf_token((await as_mina.get("/compose")).text)
    fields = with_alt(added.text, {"en": ""}) | {"action": "save", "csrf_token": token}
    fields["channel"] = ["linkedin"]
    saved = await as_mina.post("/compose", data=fields)
    assert saved.status_code == 303
    draft_id = int(saved.headers["location"].split("/")[2])

    refused = the_error(await press(as_mina, draft_id, "submit"))
    assert (
        refused
        == {
            "ko": f"초안 {draft_id}의 검토를 요청할 수 없습니다. linkedin (en): 이미지 1에 대체 "
            "텍스트가 없습니다([media] require_alt)",
            "en": f"draft {draft_id} cannot be submitted: linkedin (en): image 1 has no alt text "
            "([media] require_alt)",
        }[language]
    )


def test_a_second_approval_by_the_same_reviewer_is_a_sentence_of_the_catalogue(
    drafts: Drafts, database: Database
) -> None:
    two = make_config(WITH_TELEGRAM.replace("required_approvals = 1", "required_approvals = 2"))
    draft_id = drafts.add()

    def approve_as_joon() -> None:
        with database.writing() as session:
            joon = find_user(session, "joon")
            approve(session, draft_id=draft_id, reviewer=joon, comment="", config=two, now=utcnow())

    approve_as_joon()
    with pytest.raises(ReviewError) as refused:
        approve_as_joon()
    assert (KOREAN(refused.value.message), str(refused.value)) == (
        f"joon 님은 초안 {draft_id}의 지금 내용을 이미 승인했습니다",
        f"joon has already approved draft {draft_id} as it stands",
    )
