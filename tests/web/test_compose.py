"""Compose: authors write drafts in the browser through the CLI's own path, preview, submit
and edit them (an approved draft is scheduled on its draft page: tests/web/test_draft_actions);
refusals come back as the form with what was typed."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import tomli_w

from drafts.authoring import draft_posts, list_drafts
from drafts.config import Config
from drafts.lifecycle import DraftStatus
from drafts.models import Post
from drafts.review import approve
from drafts.storage import Database
from drafts.template_fields import TemplateField
from drafts.times import utcnow
from drafts.users import find_user
from tests.web.conftest import (
    SQLITE_ONLY,
    Drafts,
    client,
    csrf_token,
    elements,
    form_fields,
    has_form,
    one,
    parse,
    post_form,
    set_language,
    text,
    texts,
)
from tidings.web.compose_form import ComposeForm, FieldInput, draft_source

pytestmark = pytest.mark.anyio

DEADLINE = (utcnow() + timedelta(days=30)).date().isoformat()
HIRING: dict[str, Any] = {
    "kind": "hiring:hiring",
    "title": "Communications officer, Seoul office",
    "channel": ["linkedin", "x-en"],
    "template_shown": "hiring",
    "language": ["ko", "en"],
    "field:position:en": "Communications Officer",
    "field:position:ko": "커뮤니케이션 담당관",
    "field:location:en": "Seoul, Republic of Korea",
    "field:location:ko": "대한민국 서울",
    "field:deadline": DEADLINE,
    "field:link": "https://example.org/jobs/communications-officer",
    "field:summary:en": "You will tell our member cities' climate stories.",
    "field:summary:ko": "회원 도시들의 기후 이야기를 전하는 일을 맡게 됩니다.",
    "field:hashtags": "Hiring\nSeoul",
}


def platforms(html: str) -> list[str]:
    """The platform of each post card on the page, in page order."""
    return [
        str(card["class"][1]).removeprefix("platform-") for card in elements(html, "article.post")
    ]


def counts(html: str, kind: str = "") -> list[str]:
    """Each post card's length against its limit; ``kind`` "over" or "fits" keeps those."""
    return texts(html, f".counts li{'.' + kind if kind else ''}")


def checked(html: str, name: str) -> list[str]:
    """The values of the boxes named ``name`` that are ticked."""
    return [str(box["value"]) for box in elements(html, f'input[name="{name}"][checked]')]


def stored_drafts(database: Database) -> list[tuple[int, str]]:
    with database.reading() as session:
        return [(draft.id or 0, draft.status) for draft in list_drafts(session)]


def posts_of(database: Database, draft_id: int) -> list[Post]:
    with database.reading() as session:
        return draft_posts(session, draft_id)


async def test_an_author_composes_previews_and_submits_a_bilingual_hiring_draft(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    blank = await as_mina.get("/compose")
    assert blank.status_code == 200
    current = one(blank.text, 'nav a[aria-current="page"]')
    assert (current["href"], text(current)) == ("/compose", "Compose")
    linkedin = one(blank.text, 'input[name="channel"][value="linkedin"]')
    assert linkedin["data-languages"] == "en ko"
    assert "X · English" in blank.text  # each channel shows its platform and the languages it takes
    assert "Hiring (template)" in texts(blank.text, 'select[name="kind"] option')

    chosen = {key: HIRING[key] for key in ("kind", "title", "channel")}
    fields = await post_form(as_mina, "/compose", "refresh", chosen)
    assert fields.status_code == 200
    deadline = one(fields.text, '[name="field:deadline"]')
    assert (deadline.name, deadline["type"], deadline["value"]) == ("input", "date", "")
    assert elements(fields.text, '[name="field:position:ko"]')
    hashtags = one(fields.text, '[name="field:hashtags"]')
    assert (hashtags.name, hashtags["rows"], hashtags["dir"], text(hashtags)) == (
        "textarea",
        "3",
        "auto",
        "",
    )
    assert {"en", "ko"} <= set(checked(fields.text, "language"))

    preview = await post_form(as_mina, "/compose", "preview", HIRING)
    assert preview.status_code == 200, preview.text
    assert sorted(platforms(preview.text)) == ["linkedin", "linkedin", "x"]
    assert len(counts(preview.text, "fits")) == 3
    assert "커뮤니케이션 담당관 포지션에 함께할 분을 모십니다." in preview.text
    assert "Join us as our new Communications Officer." in preview.text
    assert any(count.endswith("weighted characters") for count in counts(preview.text))  # X
    assert stored_drafts(database) == []  # a preview saves nothing

    submitted = await post_form(as_mina, "/compose", "submit", HIRING)
    assert submitted.status_code == 303, submitted.text
    [(draft_id, status)] = stored_drafts(database)
    assert submitted.headers["location"] == f"/drafts/{draft_id}"
    assert status == DraftStatus.IN_REVIEW
    posts = {(post.channel, post.language): post.text for post in posts_of(database, draft_id)}
    assert sorted(posts) == [("linkedin", "en"), ("linkedin", "ko"), ("x-en", "en")]
    assert "근무지: 대한민국 서울" in posts["linkedin", "ko"]
    assert "기후 이야기" in posts["linkedin", "ko"]
    assert "climate stories" not in posts["x-en", "en"]  # the template leaves it out on X
    assert posts["x-en", "en"].endswith("#Hiring #Seoul")
    page = await as_mina.get(submitted.headers["location"])
    assert text(one(page.text, "p.flash")) == (  # one sentence says both: added, and sent
        f"Added draft {draft_id}: \u2068Communications officer, Seoul office\u2069 (3 posts), "
        "and sent it to review."
    )

    edit = await as_mina.get(f"/drafts/{draft_id}/edit")
    assert edit.status_code == 200
    shown = form_fields(edit.text, f"/drafts/{draft_id}/edit")
    assert shown["field:position:ko"] == "커뮤니케이션 담당관"
    assert shown["field:deadline"] == DEADLINE
    assert shown["field:hashtags"] == "Hiring\nSeoul"
    assert len(platforms(edit.text)) == 3


@SQLITE_ONLY
async def test_a_date_that_is_none_is_said_beside_its_field_in_the_viewers_language(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    """A browser without a date picker sends what was typed: the template's date filter
    could not say which field held it, the check of the field's kind does."""
    typed = {**HIRING, "field:deadline": "next Friday"}
    set_language(database, "mina", "ko")
    response = await post_form(as_mina, "/compose", "preview", typed)
    assert response.status_code == 400
    said = text(one(response.text, "#field-deadline #problem-field-deadline"))
    assert said == "2027-03-01 같은 날짜여야 합니다"
    assert stored_drafts(database) == []


@SQLITE_ONLY
async def test_a_line_of_two_hashtags_is_said_beside_the_field(as_mina: httpx.AsyncClient) -> None:
    typed = {**HIRING, "field:hashtags": "Hiring\n#Seoul #Jobs"}
    response = await post_form(as_mina, "/compose", "preview", typed)
    assert response.status_code == 400
    said = text(one(response.text, "#field-hashtags #problem-field-hashtags"))
    assert said == "'#Seoul #Jobs' is not a hashtag: one word each, such as ZeroWaste"


@SQLITE_ONLY
async def test_a_missing_template_field_is_named_and_the_typed_values_stay(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    typed = {key: value for key, value in HIRING.items() if not key.startswith("field:position")}
    for action in ("preview", "save"):
        response = await post_form(as_mina, "/compose", action, typed)
        assert response.status_code == 400
        problem = one(response.text, "#field-position #problem-field-position")  # its own row
        assert text(problem) == "required by template hiring (ko)"
        described = one(response.text, '[name="field:position"]')["aria-describedby"]
        assert "problem-field-position" in str(described).split()
        assert elements(response.text, "#problem-fields") == []  # not under every field
        kept = form_fields(response.text, "/compose")
        assert kept["field:location:ko"] == "대한민국 서울"
        assert kept["field:deadline"] == DEADLINE
        assert kept["title"] == "Communications officer, Seoul office"
        assert "Traceback" not in response.text
    assert "Nothing was saved." in response.text
    assert stored_drafts(database) == []
    assert one(response.text, 'script[src="/static/compose.js"]').has_attr("defer")
    script = await as_mina.get("/static/compose.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]


@SQLITE_ONLY
async def test_a_reviewer_may_not_compose(
    as_joon: httpx.AsyncClient, drafts: Drafts, database: Database
) -> None:
    draft_id = drafts.add()
    assert elements((await as_joon.get("/")).text, 'a[href="/compose"]') == []
    for path in ("/compose", f"/drafts/{draft_id}/edit"):
        page = await as_joon.get(path)
        assert page.status_code == 403
        assert "joon is a reviewer and may not write drafts" in page.text
    token = csrf_token((await as_joon.get("/")).text)
    refused = await as_joon.post("/compose", data={**HIRING, "action": "save", "csrf_token": token})
    assert refused.status_code == 403
    assert "may not write drafts" in refused.text
    assert [status for _, status in stored_drafts(database)] == [DraftStatus.IN_REVIEW]


@SQLITE_ONLY
async def test_a_form_without_the_csrf_token_is_refused(
    as_mina: httpx.AsyncClient, drafts: Drafts, database: Database
) -> None:
    draft_id = drafts.add(review=False)
    refused = [
        await as_mina.post("/compose", data={**HIRING, "action": "save"}),
        await as_mina.post("/compose", data={**HIRING, "action": "save", "csrf_token": "x"}),
        await as_mina.post(f"/drafts/{draft_id}/edit", data={**HIRING, "action": "save"}),
        await as_mina.post(f"/drafts/{draft_id}/schedule", data={"when": "next-slot"}),
    ]
    assert [response.status_code for response in refused] == [403] * 4
    assert stored_drafts(database) == [(draft_id, DraftStatus.DRAFT)]


@SQLITE_ONLY
async def test_editing_an_approved_draft_sends_it_back_to_review(
    as_mina: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    draft_id = drafts.add({"en": "The park opens on Monday."})
    with database.writing() as session:
        joon = find_user(session, "joon")
        approve(session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=utcnow())
    edit = await as_mina.get(f"/drafts/{draft_id}/edit")
    assert edit.status_code == 200
    assert form_fields(edit.text, f"/drafts/{draft_id}/edit")["text:en"] == (
        "The park opens on Monday."
    )
    assert "sends this draft back to review" in edit.text
    assert elements(edit.text, '[value="submit"]') == []  # an approved draft is not submitted
    # It is scheduled on its draft page: the edit page has one "When", the draft file's.
    assert not has_form(edit.text, f"/drafts/{draft_id}/schedule")
    assert texts(edit.text, "fieldset.timing legend") == ["When times in Asia/Seoul"]
    assert has_form((await as_mina.get(f"/drafts/{draft_id}")).text, f"/drafts/{draft_id}/schedule")

    typed = {
        "kind": "update",
        "title": "Riverside park reopens",
        "channel": ["linkedin", "x-en"],
        "text:en": "The park opens on Tuesday.",
    }
    saved = await post_form(as_mina, f"/drafts/{draft_id}/edit", "save", typed)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/drafts/{draft_id}/edit"
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW
    assert {post.text for post in posts_of(database, draft_id)} == {"The park opens on Tuesday."}
    page = await as_mina.get(saved.headers["location"])
    assert f"Draft {draft_id} changed: back in review; its earlier approvals no longer count." in (
        page.text
    )
    assert not has_form(page.text, f"/drafts/{draft_id}/schedule")


@SQLITE_ONLY
async def test_korean_over_the_limit_on_x_is_shown_and_not_sent_to_review(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    typed = {
        "kind": "update",
        "title": "공원 소식",
        "channel": ["linkedin", "x-ko"],
        "text:ko": "가" * 150,  # Hangul counts 2 on X: 300 weighted characters
    }
    preview = await post_form(as_mina, "/compose", "preview", typed)
    assert preview.status_code == 200
    assert "300 / 280 weighted characters" in counts(preview.text, "over")
    assert "300 weighted characters, over X's limit of 280 by 20" in texts(
        preview.text, "p.problem"
    )
    assert "150 / 3,000 characters" in counts(preview.text, "fits")

    refused = await post_form(as_mina, "/compose", "submit", typed)
    [(draft_id, status)] = stored_drafts(database)
    assert refused.status_code == 303  # saved: its edit page says why it was not sent
    assert refused.headers["location"] == f"/drafts/{draft_id}/edit"
    page = await as_mina.get(refused.headers["location"])
    assert (
        f"draft {draft_id} cannot be submitted: x-ko (ko): 300 weighted characters, "
        "over X's limit of 280 by 20"
    ) in text(one(page.text, "#compose-error"))
    assert (
        f"Added draft {draft_id}: \u2068공원 소식\u2069 (2 posts). It was not sent to review."
        in page.text
    )
    assert has_form(page.text, f"/drafts/{draft_id}/edit")  # another try edits it
    assert status == DraftStatus.DRAFT


@SQLITE_ONLY
async def test_a_hidden_override_is_shown_in_the_preview_and_refused_at_submit(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    typed = {
        "kind": "update",
        "title": "Invoice",
        "channel": ["linkedin"],
        "text:en": "Our invoice: \u202efdp.exe",  # reads "Our invoice: exe.pdf"
    }
    problem = (
        "contains an invisible right-to-left override (U+202E) at character 14, "
        "which changes the order readers see"
    )
    preview = await post_form(as_mina, "/compose", "preview", typed)
    assert problem in texts(preview.text, "p.problem")

    refused = await post_form(as_mina, "/compose", "submit", typed)
    [(draft_id, status)] = stored_drafts(database)
    page = await as_mina.get(refused.headers["location"])
    assert f"draft {draft_id} cannot be submitted: linkedin (en): {problem}" in page.text
    assert status == DraftStatus.DRAFT


@SQLITE_ONLY
async def test_times_are_read_in_the_viewers_timezone(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    token = csrf_token((await as_mina.get("/preferences")).text)
    await as_mina.post("/preferences", data={"csrf_token": token, "timezone": "America/New_York"})
    year = utcnow().year + 1
    typed = {
        "kind": "update",
        "title": "Spring clean",
        "channel": ["x-en"],
        "text:en": "Spring clean in the park",
        "publish_at": f"{year}-03-14T02:30",  # the hour New York skips
    }
    gap = await post_form(as_mina, "/compose", "save", typed)
    assert gap.status_code == 400
    assert text(one(gap.text, "#publish_at-error")) == (  # beside its field, which it names
        f"{year}-03-14 02:30 does not exist in America/New_York (clocks go forward)"
    )
    assert form_fields(gap.text, "/compose")["publish_at"] == f"{year}-03-14T02:30"

    typed |= {"publish_at": f"{year}-06-01T09:00", "expires_at": f"{year}-06-30T18:00"}
    saved = await post_form(as_mina, "/compose", "save", typed)
    assert saved.status_code == 303
    [(draft_id, _)] = stored_drafts(database)
    with database.reading() as session:
        draft = list_drafts(session)[0]
    assert draft.publish_at == datetime(year, 6, 1, 13, 0, tzinfo=UTC)  # 9:00 EDT
    assert draft.expires_at == datetime(year, 6, 30, 22, 0, tzinfo=UTC)
    edit = await as_mina.get(f"/drafts/{draft_id}/edit")
    shown = form_fields(edit.text, f"/drafts/{draft_id}/edit")
    assert shown["publish_at"] == f"{year}-06-01T09:00"
    assert "times in America/New_York" in edit.text

    typed |= {"next_slot": "1", "publish_at": ""}
    await post_form(as_mina, f"/drafts/{draft_id}/edit", "save", typed)
    with database.reading() as session:
        draft = list_drafts(session)[0]
    assert draft.publish_next_slot
    assert draft.publish_at is None


def test_the_draft_file_writer_round_trips_what_forms_hold() -> None:
    """tomli-w, which ``compose_form.draft_source`` writes with, and tomllib agree."""
    data: dict[str, Any] = {
        "kind": "update",
        "title": 'Quotes " and \\ back\tslash\nnew line \x7f \x00 """',
        "channels": ["linkedin", "x-en"],
        "publish_at": "2026-12-01 10:00 Asia/Seoul",
        "expires_at": datetime(2026, 12, 31, 23, 59, tzinfo=ZoneInfo("Asia/Seoul")),
        "fields": {
            "deadline": date(2026, 12, 15),
            "count": 12,
            "ratio": 0.5,
            "points": ["one", "두 번째"],
            "empty": [],
            "position": {"en": "Officer", "ko": "담당관", "zh-Hant": "專員"},
            "key with space": True,
        },
    }
    assert tomllib.loads(tomli_w.dumps(data)) == data


def test_the_form_becomes_the_draft_file_it_stands_for() -> None:
    title = 'Quotes " and \\ back\tslash \x7f """'
    form = ComposeForm(
        kind="hiring",
        title=f"  {title} ",
        channels=["linkedin", "x-en"],
        template="hiring",
        languages=["en", "zh-Hant"],
        fields={
            "position": FieldInput(shared="Officer", per_language={"zh-Hant": "專員"}),
            "deadline": FieldInput(shared="2026-12-15"),
            "hashtags": FieldInput(shared="Hiring\n\nSeoul\n"),
            "count": FieldInput(shared="12"),
            "unread": FieldInput(shared="left out: the template does not read it"),
        },
        expires_at="2026-12-31T23:59",
    )
    wanted = [
        TemplateField("position", "text", True),
        TemplateField("deadline", "date", True),
        TemplateField("hashtags", "list", False),
        TemplateField("count", "number", False),
        TemplateField("link", "text", True),
    ]
    source = draft_source(form, wanted, [], ZoneInfo("Asia/Seoul"))
    assert tomllib.loads(source) == {
        "kind": "hiring",
        "title": title,
        "template": "hiring",
        "channels": ["linkedin", "x-en"],
        "languages": ["en", "zh-Hant"],
        "expires_at": "2026-12-31 23:59 Asia/Seoul",
        "fields": {
            "position": {"en": "Officer", "zh-Hant": "專員"},
            "deadline": date(2026, 12, 15),
            "hashtags": ["Hiring", "Seoul"],
            "count": 12,
        },
    }


async def live_preview(browser: httpx.AsyncClient, fields: dict[str, Any]) -> httpx.Response:
    """What htmx sends as the author types: the whole form, to /compose/preview."""
    token = csrf_token((await browser.get("/compose")).text)
    return await browser.post(
        "/compose/preview", data={**fields, "csrf_token": token}, headers={"HX-Request": "true"}
    )


@SQLITE_ONLY
async def test_the_live_preview_counts_each_post_as_typed_and_stores_nothing(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    page = (await as_mina.get("/compose")).text
    assert one(page, "form.compose-form")["hx-post"] == "/compose/preview"
    assert one(page, 'script[src="/static/vendor/htmx.org/htmx.min.js"]').has_attr("defer")
    typed = {
        "kind": "update",
        "title": "공원 소식",
        "channel": ["linkedin", "x-ko"],
        "text:ko": "가" * 150,  # Hangul counts 2 on X: 300 weighted characters
    }
    answer = await live_preview(as_mina, typed)
    assert answer.status_code == 200
    assert elements(answer.text, "html, head, body") == []  # the previews alone, for the page
    assert platforms(answer.text) == ["linkedin", "x"]
    assert "300 / 280 weighted characters" in counts(answer.text, "over")
    assert "300 weighted characters, over X's limit of 280 by 20" in texts(answer.text, "p.problem")
    assert "150 / 3,000 characters" in counts(answer.text, "fits")

    shorter = await live_preview(as_mina, {**typed, "text:ko": "가" * 20})
    assert "40 / 280 weighted characters" in counts(shorter.text, "fits")
    assert stored_drafts(database) == []


@SQLITE_ONLY
async def test_the_live_preview_says_what_is_missing(as_mina: httpx.AsyncClient) -> None:
    untitled = await live_preview(  # a title names the draft: the posts show without one
        as_mina, {"kind": "update", "title": " ", "channel": ["linkedin"], "text:en": "Hello"}
    )
    assert untitled.status_code == 200
    assert elements(untitled.text, "#preview-error") == []
    assert platforms(untitled.text) == ["linkedin"]
    assert "untitled" not in text(parse(untitled.text))

    textless = await live_preview(as_mina, {"kind": "update", "channel": ["linkedin"]})
    assert text(one(textless.text, "p.error#preview-error")).startswith("text:")

    chosen = {key: HIRING[key] for key in ("kind", "title", "channel")}
    unshown = await live_preview(as_mina, chosen)  # the template's fields are not on the form yet
    assert "Fill in the template's fields to see its posts." in text(parse(unshown.text))


@SQLITE_ONLY
async def test_the_live_preview_is_for_writers_with_a_session(
    as_joon: httpx.AsyncClient, app: Any
) -> None:
    token = csrf_token((await as_joon.get("/")).text)
    typed = {"kind": "update", "title": "Hi", "channel": ["linkedin"], "text:en": "Hello"}
    refused = await as_joon.post("/compose/preview", data={**typed, "csrf_token": token})
    assert refused.status_code == 403

    async with client(app) as anonymous:  # a session that ended while its page was open
        asked = await anonymous.post("/compose/preview", data={**typed, "csrf_token": token})
        assert asked.status_code == 403  # htmx swaps no 4xx answer in: the page stays as typed


@SQLITE_ONLY
async def test_htmx_is_served_from_the_app(as_mina: httpx.AsyncClient) -> None:
    script = await as_mina.get("/static/vendor/htmx.org/htmx.min.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert "htmx" in script.text
