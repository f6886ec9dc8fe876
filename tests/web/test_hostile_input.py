"""Hostile and clumsy input on the web: ids past what a column holds, times past the calendar,
NUL in a form or a query, and a bug. Each is a 4xx page that says what is wrong (a bug: the
500 page), never a traceback or SQL, and a 500 leaves the connection open."""

from __future__ import annotations

import http.client
import logging
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from drafts.authoring import list_drafts
from drafts.config import Config
from drafts.review import approve
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from tests.web.conftest import SQLITE_ONLY, Drafts, Person, client, csrf_token, one, text

pytestmark = pytest.mark.anyio

HUGE_IDS = ("99999999999999999999", str(2**63), str(2**31))
LEAKS = ("Traceback", "SELECT", "INSERT", "[SQL", "psycopg", "sqlite3")


def plain(response: httpx.Response) -> str:
    assert not any(leak in response.text for leak in LEAKS), response.text
    return response.text


async def test_an_id_past_any_column_is_not_found(
    as_mina: httpx.AsyncClient, as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    page = (await as_joon.get(f"/drafts/{drafts.add()}")).text
    writer = {"csrf_token": csrf_token((await as_mina.get("/compose")).text), "when": "next-slot"}
    reviewer = {"csrf_token": csrf_token(page), "comment": "Why?"}
    for huge in HUGE_IDS:
        asked = [
            await as_mina.get(f"/drafts/{huge}"),
            await as_mina.get(f"/drafts/{huge}/edit"),
            await as_mina.get(f"/posts/{huge}"),
            await as_mina.post(f"/drafts/{huge}/edit", data={**writer, "action": "save"}),
            await as_mina.post(f"/drafts/{huge}/schedule", data=writer),
            await as_mina.post(f"/posts/{huge}/retry", data=writer),
            await as_joon.post(f"/drafts/{huge}/approve", data=reviewer),
            await as_joon.post(f"/drafts/{huge}/request-changes", data=reviewer),
        ]
        for answer in asked:
            assert answer.status_code == 404, answer.url
            assert f"no draft {huge}" in plain(answer) or f"no post {huge}" in answer.text


async def test_a_time_past_the_calendar_on_the_schedule_form_is_refused(
    as_mina: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    draft_id = drafts.add()
    with database.writing() as session:
        joon = find_user(session, "joon")
        approve(session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=utcnow())
    token = csrf_token((await as_mina.get(f"/drafts/{draft_id}/edit")).text)
    for at, problem in (
        ("+99999999h", "'+99999999h' is past the year 9999"),
        ("9999-12-31T23:59", "9999-12-31 23:59+09:00 is out of range"),
    ):
        page = await as_mina.post(
            f"/drafts/{draft_id}/schedule", data={"csrf_token": token, "when": "at", "at": at}
        )
        assert page.status_code == 400
        assert problem in text(one(plain(page), "#schedule-error"))  # under the time field
    assert drafts.status(draft_id) == "approved"


async def test_compose_refuses_a_nul_or_an_escape_by_field(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    token = csrf_token((await as_mina.get("/compose")).text)
    form = {"csrf_token": token, "kind": "update", "channel": "linkedin", "action": "save"}
    escaped = await as_mina.post(
        "/compose", data={**form, "title": "Clear \x1b[2J", "text:en": "Hello"}
    )
    assert escaped.status_code == 400
    assert "title: holds the control character U+001B" in plain(escaped)
    nul = await as_mina.post("/compose", data={**form, "title": "Park", "text:en": "He\x00llo"})
    assert nul.status_code == 400
    assert "text:en: holds a NUL character" in plain(nul)
    with database.reading() as session:
        assert list_drafts(session) == []


async def test_a_nul_in_a_login_a_comment_or_a_query_is_refused_by_field(
    app: Starlette, people: dict[str, Person], as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    mina = people["mina"]
    async with client(app) as browser:
        token = csrf_token((await browser.get("/login")).text)
        for name, password, field in (
            (f"{mina.name}\x00", mina.password, "name"),
            (mina.name, f"{mina.password}\x00", "password"),
        ):
            refused = await browser.post(
                "/login", data={"name": name, "password": password, "csrf_token": token}
            )
            assert refused.status_code == 400
            assert f"{field}: holds a NUL character" in plain(refused)
        assert (await browser.get("/")).headers["location"] == "/login"
    draft_id = drafts.add()
    token = csrf_token((await as_joon.get(f"/drafts/{draft_id}")).text)
    comment = await as_joon.post(
        f"/drafts/{draft_id}/request-changes", data={"csrf_token": token, "comment": "No\x00"}
    )
    assert comment.status_code == 400
    assert "comment: holds a NUL character" in plain(comment)
    assert drafts.status(draft_id) == "in_review"
    query = await as_joon.get("/calendar?tz=Asia/Seoul%00")
    assert query.status_code == 400
    assert "tz: holds a NUL character" in plain(query)


@SQLITE_ONLY
def test_a_bug_answers_the_500_page_and_keeps_the_connection(
    server_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tidings.web import auth

    real = auth.safe_next
    calls: list[str | None] = []

    def broken_once(target: str | None) -> str:
        calls.append(target)
        if len(calls) == 1:
            raise RuntimeError("secret internals")
        return real(target)

    monkeypatch.setattr(auth, "safe_next", broken_once)
    address = urlsplit(server_url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port)
    with caplog.at_level(logging.ERROR, logger="tidings.web"):
        connection.request("GET", "/login")
        bug = connection.getresponse()
        page = bug.read().decode()
        assert bug.status == 500
        assert "Tidings hit an internal error" in page and "secret internals" not in page
        assert bug.getheader("connection") != "close"
        socket = connection.sock
        connection.request("GET", "/login")  # a dropped connection fails here
        again = connection.getresponse()
        again.read()
        assert again.status == 200
        assert connection.sock is socket
    connection.close()
    assert "internal error on GET /login" in caplog.text
