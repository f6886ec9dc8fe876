"""The preferences page's notifications: the e-mail address, the timezone saved on the user, and a
box for each event the viewer's role receives; a bad address is refused beside its field, in
the viewer's language, and nothing is saved."""

from __future__ import annotations

import httpx
import pytest

from drafts.models import User
from drafts.storage import Database
from drafts.users import Role, find_user
from tests.web.conftest import (
    SQLITE_ONLY,
    Person,
    add_people,
    client,
    csrf_token,
    elements,
    form_fields,
    log_in,
    one,
    parse,
    set_language,
    text,
    texts,
)

pytestmark = pytest.mark.anyio


def stored(database: Database, name: str) -> User:
    with database.reading() as session:
        return find_user(session, name)


def boxes(html: str) -> dict[str, bool]:
    """Each event box on the page, and whether it is checked."""
    return {
        str(box["value"]): box.has_attr("checked")
        for box in elements(html, 'form[action="/preferences"] input[name=events]')
    }


async def test_the_form_saves_the_address_the_timezone_and_the_events(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    page = (await as_mina.get("/preferences")).text
    assert boxes(page) == {"changes_requested": True, "approved": True, "post_failed": True}
    assert texts(page, ".notify-events label.check") == [
        "A reviewer asks for changes to my draft",
        "My draft is approved",
        "A post failed or needs attention",
    ]
    fields = form_fields(page, "/preferences") | {
        "email": "mina@example.org",
        "timezone": "Europe/Berlin",
    }
    del fields["events"]  # the form sends a checked box's value for each: only post_failed now
    saved = await as_mina.post(
        "/preferences", data={**fields, "events": ["post_failed"]}, follow_redirects=False
    )
    assert saved.status_code == 303

    mina = stored(database, "mina")
    assert (mina.email, mina.timezone, mina.muted_events) == (
        "mina@example.org",
        "Europe/Berlin",
        ["approved", "changes_requested"],
    )
    again = (await as_mina.get("/preferences")).text
    assert one(again, "input[name=email]")["value"] == "mina@example.org"
    assert boxes(again) == {"changes_requested": False, "approved": False, "post_failed": True}


async def test_a_form_without_the_notification_fields_leaves_them_alone(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    with database.writing() as session:
        mina = find_user(session, "mina")
        mina.email, mina.muted_events = "mina@example.org", ["approved"]
        session.add(mina)
    token = csrf_token((await as_mina.get("/preferences")).text)
    saved = await as_mina.post("/preferences", data={"csrf_token": token, "timezone": "UTC"})
    assert saved.status_code == 303
    mina = stored(database, "mina")
    assert (mina.email, mina.timezone, mina.muted_events) == (
        "mina@example.org",
        "UTC",
        ["approved"],
    )


async def test_each_role_is_offered_the_events_it_receives(
    app: object, database: Database, as_joon: httpx.AsyncClient
) -> None:
    assert boxes((await as_joon.get("/preferences")).text) == {"review_requested": True}
    (hana,) = add_people(database, {"hana": Role.ADMIN}).values()
    async with client(app) as browser:  # type: ignore[arg-type]
        assert (await log_in(browser, hana)).status_code == 303
        assert list(boxes((await browser.get("/preferences")).text)) == [
            "review_requested",
            "changes_requested",
            "approved",
            "post_failed",
            "credential_expiring",
            "credential_refresh_failed",
        ]


async def test_an_event_the_role_does_not_receive_is_refused(
    as_joon: httpx.AsyncClient, database: Database
) -> None:
    fields = form_fields((await as_joon.get("/preferences")).text, "/preferences")
    fields |= {"timezone": "UTC", "events": "post_failed"}  # a box no page offers joon
    refused = await as_joon.post("/preferences", data=fields)
    assert refused.status_code == 400
    assert text(one(refused.text, ".error")).startswith(
        "notifications: reviewer users do not receive post_failed"
    )
    assert stored(database, "joon").muted_events == []


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("language", "beside", "above"),
    [
        (
            "ko",
            "'mina at example': 이메일 주소 형식이 아닙니다(@ 하나, 공백 없이: name@example.org)",
            "각 문제는 해당 입력란 옆에 표시됩니다.",
        ),
        (
            "en",
            "'mina at example' is not an e-mail address (one @ and no spaces: name@example.org)",
            "Each problem is shown next to its field below.",
        ),
    ],
)
async def test_a_bad_address_is_refused_beside_its_field_in_the_viewers_language(
    app: object,
    database: Database,
    people: dict[str, Person],
    language: str,
    beside: str,
    above: str,
) -> None:
    set_language(database, "mina", language)
    async with client(app) as browser:  # type: ignore[arg-type]
        assert (await log_in(browser, people["mina"])).status_code == 303
        fields = form_fields((await browser.get("/preferences")).text, "/preferences")
        fields |= {"email": "mina at example", "timezone": "Asia/Tokyo"}
        refused = await browser.post("/preferences", data=fields)
    assert refused.status_code == 400
    page = parse(refused.text)
    assert text(one(page, "#problem-email")).startswith(beside)
    assert one(page, "input[name=email]")["aria-describedby"] == "problem-email"
    assert one(page, "input[name=email]")["value"] == "mina at example"  # kept as typed
    assert text(one(page, ".error")) == above
    mina = stored(database, "mina")
    assert (mina.email, mina.timezone) == (None, None)  # nothing saved, not even the zone
