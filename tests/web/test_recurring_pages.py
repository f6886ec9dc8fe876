"""Recurring posts in the web app (issue 14): the compose form's Repeat control writes the draft
file's ``repeat`` and shows it back, the core's problems with it stand beside it in the viewer's
language; a repeating draft's page says its rule in words and lists its occurrences (each with
its time, status and posts' cards); an occurrence still to come is skipped there with a form;
the calendar labels each post with its occurrence of the series."""

from __future__ import annotations

import tomllib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from drafts.audit import DAEMON, Entry, record_batch
from drafts.authoring import draft_posts, get_draft, list_drafts
from drafts.config import Config
from drafts.lifecycle import PostStatus
from drafts.review import approve
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from tests.web.conftest import (
    SQLITE_ONLY,
    csrf_token,
    elements,
    form_fields,
    one,
    post_form,
    set_language,
    text,
    texts,
)

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]

SEOUL = ZoneInfo("Asia/Seoul")  # the test config's zone, and so mina's


def monday_ahead(weeks: int = 3) -> datetime:
    """A Monday at 09:00 in Seoul some weeks ahead."""
    day = datetime.now(SEOUL).date() + timedelta(weeks=weeks)
    day += timedelta(days=(7 - day.weekday()) % 7)
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=SEOUL)


FIRST = monday_ahead()
WEEKLY = {
    "kind": "update",
    "title": "City of the week",
    "channel": ["linkedin"],
    "text:en": "This week's city: come and see the riverside.",
    "publish_at": FIRST.strftime("%Y-%m-%dT%H:%M"),
    "repeat_every": "WEEKLY",
    "repeat_ends": "count",
    "repeat_count": "8",
}


def the_draft(database: Database) -> int:
    with database.reading() as session:
        (draft,) = list_drafts(session)
        assert draft.id is not None
        return draft.id


def stored_repeat(database: Database, draft_id: int) -> tuple[str | None, object]:
    """The stored rule, and the draft file's ``repeat``."""
    with database.reading() as session:
        draft = get_draft(session, draft_id)
        return draft.repeat, tomllib.loads(draft.source).get("repeat")


def approved(database: Database, config: Config, draft_id: int) -> None:
    with database.writing() as session:
        joon = find_user(session, "joon")
        approve(session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=utcnow())


async def approved_series(as_mina: httpx.AsyncClient, database: Database, config: Config) -> int:
    """The weekly series, composed and submitted by mina and approved by joon: its draft's id."""
    assert (await post_form(as_mina, "/compose", "submit", WEEKLY)).status_code == 303
    draft_id = the_draft(database)
    approved(database, config, draft_id)
    return draft_id


def statuses(database: Database, draft_id: int) -> dict[int, set[str]]:
    with database.reading() as session:
        found: dict[int, set[str]] = {}
        for post in draft_posts(session, draft_id):
            found.setdefault(post.occurrence, set()).add(post.status)
        return found


async def test_a_weekly_series_composed_with_the_form_is_the_draft_files_repeat(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    answer = await post_form(as_mina, "/compose", "submit", WEEKLY)
    assert answer.status_code == 303, answer.text
    draft_id = the_draft(database)
    assert stored_repeat(database, draft_id) == ("FREQ=WEEKLY;COUNT=8", "FREQ=WEEKLY;COUNT=8")
    assert set(statuses(database, draft_id)) == set(range(1, 9))

    edit = (await as_mina.get(f"/drafts/{draft_id}/edit")).text
    shown = form_fields(edit, f"/drafts/{draft_id}/edit")
    assert (shown["repeat_ends"], shown["repeat_count"]) == ("count", "8")
    assert one(edit, 'select[name="repeat_every"] option[selected]')["value"] == "WEEKLY"


async def test_an_end_date_and_an_own_rule_are_written_and_shown_back(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    last = (FIRST + timedelta(days=70)).date().isoformat()
    until = {**WEEKLY, "repeat_every": "MONTHLY", "repeat_ends": "until", "repeat_until": last}
    assert (await post_form(as_mina, "/compose", "save", until)).status_code == 303
    draft_id = the_draft(database)
    day = last.replace("-", "")
    assert stored_repeat(database, draft_id) == (f"FREQ=MONTHLY;UNTIL={day}",) * 2
    edit = (await as_mina.get(f"/drafts/{draft_id}/edit")).text
    assert form_fields(edit, f"/drafts/{draft_id}/edit")["repeat_until"] == last
    assert one(edit, 'input[name="repeat_ends"][checked]')["value"] == "until"

    own = {**WEEKLY, "repeat_every": "rule", "repeat_rule": "freq=weekly;byday=mo,th;count=4"}
    token = csrf_token(edit)
    saved = await as_mina.post(
        f"/drafts/{draft_id}/edit", data={**own, "action": "save", "csrf_token": token}
    )
    assert saved.status_code == 303
    assert stored_repeat(database, draft_id)[0] == "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=4"
    edit = (await as_mina.get(f"/drafts/{draft_id}/edit")).text
    assert one(edit, 'select[name="repeat_every"] option[selected]')["value"] == "rule"
    assert one(edit, "details.repeat-rule").has_attr("open")
    shown = form_fields(edit, f"/drafts/{draft_id}/edit")["repeat_rule"]
    assert shown == "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=4"


REFUSED = [
    (
        {"repeat_count": ""},
        "give how many times, or the date it ends",
        "반복 횟수나 끝나는 날을 입력하세요",
    ),
    (
        {"repeat_every": "rule", "repeat_rule": "FREQ=HOURLY;COUNT=3"},
        "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY",
        "FREQ는 DAILY, WEEKLY, MONTHLY, YEARLY 중 하나여야 합니다",
    ),
    (
        {"repeat_count": "400", "repeat_every": "DAILY"},
        "yields more than 366 occurrences",
        "반복 횟수가 366회를 넘습니다",
    ),
]


@pytest.mark.parametrize(("typed", "english", "korean"), REFUSED)
async def test_a_problem_with_repeat_stands_beside_it_in_the_viewers_language(
    as_mina: httpx.AsyncClient,
    database: Database,
    typed: dict[str, str],
    english: str,
    korean: str,
) -> None:
    for language, said in ((None, english), ("ko", korean)):
        set_language(database, "mina", language)
        answer = await post_form(as_mina, "/compose", "save", {**WEEKLY, **typed})
        assert answer.status_code == 400
        beside = one(one(answer.text, "#compose-repeat"), "p#problem-repeat")
        assert text(beside) == said
        kept = form_fields(answer.text, "/compose")
        assert kept["repeat_count"] == {**WEEKLY, **typed}["repeat_count"]
    with database.reading() as session:
        assert list_drafts(session) == []


async def test_a_series_that_sends_one_text_twice_to_x_is_refused_at_submit_with_the_fix(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    to_x = {**WEEKLY, "channel": ["x-en"]}
    set_language(database, "mina", "ko")
    answer = await post_form(as_mina, "/compose", "submit", to_x)
    assert answer.status_code == 303  # saved, not sent
    page = (await as_mina.get(answer.headers["location"])).text
    said = text(one(page, "#compose-error"))
    assert "1회차와 2회차가 같은 글을 보내게 되는데" in said
    assert "{{ occurrence }}" in said


async def test_a_repeating_drafts_page_says_its_rule_and_lists_its_occurrences(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    assert (await post_form(as_mina, "/compose", "submit", WEEKLY)).status_code == 303
    draft_id = the_draft(database)
    page = (await as_mina.get(f"/drafts/{draft_id}")).text
    first = FIRST.strftime("%Y-%m-%d 09:00 KST")
    assert text(one(page, "#series-rule")) == f"Every week on Monday, 8 times, from {first}"
    heads = texts(page, ".occurrence h3")
    assert len(heads) == 8
    assert heads[0] == f"1/8 {first}"
    assert heads[2] == f"3/8 {(FIRST + timedelta(weeks=2)).strftime('%Y-%m-%d 09:00 KST')}"
    folds = elements(page, "details.occurrence-posts")
    assert [fold.has_attr("open") for fold in folds] == [True] + [False] * 7
    assert texts(page, "#occurrence-3 .occurrence-label") == ["3/8", "3/8"]  # head and card
    assert elements(page, "form.skip-occurrence") == []  # in review: nothing to skip yet

    set_language(database, "mina", "ko")
    page = (await as_mina.get(f"/drafts/{draft_id}")).text
    assert text(one(page, "#series-rule")) == f"매주 월요일, 8회, {first}부터"


async def test_an_occurrence_is_skipped_from_the_draft_page(
    as_mina: httpx.AsyncClient, database: Database, config: Config
) -> None:
    draft_id = await approved_series(as_mina, database, config)
    page = (await as_mina.get(f"/drafts/{draft_id}")).text
    forms = elements(page, "form.skip-occurrence")
    assert len(forms) == 8
    # A series goes out at its occurrences: neither moved nor published now from its page.
    assert elements(page, f'form[action="/drafts/{draft_id}/schedule"]') == []
    assert elements(page, f'a[href="/drafts/{draft_id}/publish-now"]') == []
    third = one(page, "#occurrence-3 form.skip-occurrence")
    day = (FIRST + timedelta(weeks=2)).date().isoformat()
    assert one(third, 'input[name="on"]')["value"] == day

    token = csrf_token(page)
    answer = await as_mina.post(f"/drafts/{draft_id}/skip", data={"on": day, "csrf_token": token})
    assert answer.status_code == 303
    assert statuses(database, draft_id)[3] == {PostStatus.SKIPPED}
    assert statuses(database, draft_id)[4] == {PostStatus.SCHEDULED}
    page = (await as_mina.get(f"/drafts/{draft_id}")).text
    expected = (
        f"Draft {draft_id}: the occurrence on {day} is skipped; the rest of the series goes on."
    )
    assert expected in texts(page, ".flash")
    assert texts(page, "#occurrence-3 .occurrence-head .status") == ["skipped"]
    assert elements(page, "#occurrence-3 form.skip-occurrence") == []
    assert len(elements(page, "form.skip-occurrence")) == 7

    again = await as_mina.post(f"/drafts/{draft_id}/skip", data={"on": day, "csrf_token": token})
    assert again.status_code == 303
    page = (await as_mina.get(f"/drafts/{draft_id}")).text
    assert f"Draft {draft_id}: the occurrence on {day} was already skipped; nothing changed." in (
        texts(page, ".flash")
    )


async def test_the_history_names_the_occurrence_a_posts_entry_is_of(
    as_mina: httpx.AsyncClient, database: Database, config: Config
) -> None:
    draft_id = await approved_series(as_mina, database, config)
    with database.writing() as session:
        (second,) = [p.id for p in draft_posts(session, draft_id) if p.occurrence == 2]
        published = Entry(draft_id, second, "post.published", "attempt 1: published")
        record_batch(session, [published], actor=DAEMON, at=utcnow())
    page = (await as_mina.get(f"/drafts/{draft_id}")).text
    assert texts(page, "section.history li")[-1].endswith(
        "daemon published it (linkedin · English · Occurrence 2 of 8): attempt 1: published"
    )
    assert one(page, "a.history-post")["href"] == f"/posts/{second}"


REFUSALS = [
    (
        "tuesday",
        "date: draft {id} has no occurrence on {day}",
        "날짜: 초안 {id}은(는) {day}에 반복되지 않습니다",
    ),
    ("not-a-date", "date: 'not-a-date' is not a date such as 2027-03-22", None),
]


@pytest.mark.parametrize(("asked", "english", "korean"), REFUSALS)
async def test_a_refused_skip_is_one_line_in_the_viewers_language(
    as_mina: httpx.AsyncClient,
    database: Database,
    config: Config,
    asked: str,
    english: str,
    korean: str | None,
) -> None:
    draft_id = await approved_series(as_mina, database, config)
    day = (FIRST + timedelta(days=1)).date().isoformat() if asked == "tuesday" else asked
    words = {"id": draft_id, "day": day}
    for language, said in ((None, english), ("ko", korean)):
        if said is None:
            continue
        set_language(database, "mina", language)
        token = csrf_token((await as_mina.get(f"/drafts/{draft_id}")).text)
        answer = await as_mina.post(
            f"/drafts/{draft_id}/skip", data={"on": day, "csrf_token": token}
        )
        assert answer.status_code in {400, 404, 409}
        assert texts(answer.text, "main p.error") == [said.format(**words)]
    assert all(found == {PostStatus.SCHEDULED} for found in statuses(database, draft_id).values())


async def test_the_calendar_labels_each_post_with_its_occurrence(
    as_mina: httpx.AsyncClient, database: Database, config: Config
) -> None:
    await approved_series(as_mina, database, config)
    third: date = (FIRST + timedelta(weeks=2)).date()
    week = f"{third.isocalendar()[0]}-W{third.isocalendar()[1]:02d}"
    page = (await as_mina.get(f"/calendar?week={week}")).text
    entries = elements(page, "#channel-linkedin .entry")
    assert len(entries) == 1
    assert texts(entries[0], ".occurrence-label") == ["3/8"]


async def test_the_preview_of_a_series_folds_each_occurrence_under_its_time(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    token = csrf_token((await as_mina.get("/compose")).text)
    answer = await as_mina.post("/compose/preview", data={**WEEKLY, "csrf_token": token})
    assert answer.status_code == 200
    folds = elements(answer.text, "details.occurrence-posts")
    assert [fold.has_attr("open") for fold in folds] == [True] + [False] * 7
    third = (FIRST + timedelta(weeks=2)).strftime("%Y-%m-%d 09:00 KST")
    assert text(one(folds[2], "summary")) == f"Occurrence 3 of 8 · {third}"
    assert texts(folds[2], ".post .occurrence-label") == ["3/8"]
    assert texts(folds[2], ".post-facts dd time")[0] == third


async def test_a_series_with_an_occurrence_skipped_is_still_edited_and_keeps_it_skipped(
    as_mina: httpx.AsyncClient, database: Database, config: Config
) -> None:
    draft_id = await approved_series(as_mina, database, config)
    day = (FIRST + timedelta(weeks=2)).date().isoformat()
    token = csrf_token((await as_mina.get(f"/drafts/{draft_id}")).text)
    await as_mina.post(f"/drafts/{draft_id}/skip", data={"on": day, "csrf_token": token})

    page = (await as_mina.get(f"/drafts/{draft_id}")).text
    assert elements(page, f'a[href="/drafts/{draft_id}/edit"]') != []
    edit = (await as_mina.get(f"/drafts/{draft_id}/edit")).text
    typed = {**WEEKLY, "text:en": "This week's city: the harbour, and its new ferry."}
    answer = await as_mina.post(
        f"/drafts/{draft_id}/edit", data={**typed, "action": "save", "csrf_token": csrf_token(edit)}
    )
    assert answer.status_code == 303
    found = statuses(database, draft_id)
    assert found[3] == {PostStatus.SKIPPED}
    assert all(found[n] == {PostStatus.PENDING} for n in (1, 2, 4, 5, 6, 7, 8))


async def test_the_import_page_names_the_repeat_column_and_shows_each_rows_rule(
    as_mina: httpx.AsyncClient,
) -> None:
    page = (await as_mina.get("/import")).text
    assert "repeat" in text(one(page, ".import-columns code")).split(", ")
    at = FIRST.strftime("%Y-%m-%d %H:%M")
    data = (
        "title,kind,channels,publish_at,repeat,text:en\n"
        f"City of the week,update,linkedin,{at},FREQ=WEEKLY;COUNT=8,This week's city.\n"
    ).encode()
    token = csrf_token(page)
    answer = await as_mina.post(
        "/import", data={"csrf_token": token}, files=[("file", ("plan.csv", data, "text/csv"))]
    )
    assert answer.status_code == 200
    assert texts(answer.text, ".import-repeat") == ["repeats: FREQ=WEEKLY;COUNT=8"]
