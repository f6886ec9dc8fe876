"""The notifications page, for admins: the latest deliveries newest first with the event in
words, to whom, status, tries and the last error; the given-up ones alone with ?failed=1; a
button that sends one again (a second press is refused in one line); Korean; any other role
gets 403. The Channels page counts the given-up ones for an admin and links to them."""

from __future__ import annotations

import pytest
from sqlmodel import select
from starlette.applications import Starlette

from drafts.models import NotificationDelivery
from drafts.storage import Database
from drafts.users import Role, find_user
from tests.integration.notifying import REFUSED, given_up_and_pending
from tests.web.conftest import (
    SQLITE_ONLY,
    Person,
    add_people,
    client,
    csrf_token,
    log_in,
    one,
    set_language,
    text,
    texts,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def sora(database: Database) -> Person:
    """An admin with an e-mail address, so a review request is mailed to her (after
    ``people`` where a test has both: once an admin exists, only an admin adds users)."""
    person = add_people(database, {"sora": Role.ADMIN})["sora"]
    with database.writing() as session:
        user = find_user(session, "sora")
        user.email = "sora@example.org"
        session.add(user)
    return person


def statuses(database: Database) -> dict[int, str]:
    with database.reading() as session:
        return {d.id or 0: d.status for d in session.exec(select(NotificationDelivery))}


@SQLITE_ONLY
async def test_an_admin_sees_the_deliveries_and_sends_a_given_up_one_again(
    app: Starlette, database: Database, sora: Person
) -> None:
    mail, chat = given_up_and_pending(database)
    async with client(app) as browser:
        assert (await log_in(browser, sora)).status_code == 303
        channels = await browser.get("/channels")
        every = await browser.get("/notifications")
        failed = await browser.get("/notifications?failed=1")
        token = csrf_token(failed.text)
        sent = await browser.post("/notifications/retry", data={"id": mail, "csrf_token": token})
        after = await browser.get(sent.headers["location"])
        again = await browser.post("/notifications/retry", data={"id": mail, "csrf_token": token})
        set_language(database, "sora", "ko")
        korean = await browser.get("/notifications")

    line = one(channels.text, "#notifications-failed")
    assert text(line).startswith("One notification could not be sent.")
    assert one(line, "a")["href"] == "/notifications?failed=1"

    assert [row["id"] for row in one(every.text, "tbody").select("tr")] == [
        f"notification-{chat}",
        f"notification-{mail}",
    ]
    row = one(every.text, f"#notification-{mail}")
    assert text(one(row, "th")).startswith("A draft waits for my review")
    assert texts(row, "td")[:2] == ["sora", "given up Send again"]
    assert REFUSED in text(row)
    assert texts(one(every.text, f"#notification-{chat}"), "td")[0] == "the team's chat"
    assert [row["id"] for row in one(failed.text, "tbody").select("tr")] == [f"notification-{mail}"]

    assert sent.status_code == 303
    assert f"Notification {mail} is waiting to be sent again." in after.text
    assert "No notification was given up." in after.text
    assert statuses(database) == {mail: "pending", chat: "pending"}
    assert again.status_code == 400
    assert f"notification {mail} is pending, not failed" in text(one(again.text, ".error"))

    assert text(one(korean.text, "h1")) == "알림"
    row = one(korean.text, f"#notification-{mail}")
    assert text(one(row, "th")).startswith("초안이 내 검토를 기다릴 때")
    assert texts(row, "td")[1] == "보낼 차례를 기다리는 중"
    assert texts(one(korean.text, f"#notification-{chat}"), "td")[0] == "팀 채팅"


@SQLITE_ONLY
async def test_other_roles_may_not_see_or_retry_notifications(
    app: Starlette, database: Database, people: dict[str, Person], sora: Person
) -> None:
    mail, _ = given_up_and_pending(database)
    async with client(app) as joon:
        assert (await log_in(joon, people["joon"])).status_code == 303
        page = await joon.get("/notifications")
        channels = await joon.get("/channels")
        token = csrf_token(channels.text)
        retried = await joon.post("/notifications/retry", data={"id": mail, "csrf_token": token})
    assert (page.status_code, retried.status_code) == (403, 403)
    assert "notifications-failed" not in channels.text
    assert statuses(database)[mail] == "failed"
