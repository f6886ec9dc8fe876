"""Every list page comes a page at a time, each page after the last one's last row (``?after=``,
``drafts.keyset``): followed from the first page, the pages list every row once, in the list's
order, rows that share a time included; the last page has no link onward; a later page links
back to the first; a link whose place the list did not make leads to the first page, with one
line saying so (in the viewer's language)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import httpx
import pytest
from sqlmodel import col, select
from starlette.applications import Starlette

from drafts.authoring import draft_posts
from drafts.keyset import token
from drafts.lifecycle import PostStatus
from drafts.models import NotificationDelivery, NotificationEvent, Post
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role
from tests.web.conftest import (
    SQLITE_ONLY,
    Drafts,
    Person,
    add_people,
    client,
    csrf_token,
    elements,
    log_in,
    one,
    set_language,
    text,
)
from tidings.web import desk, inbox, notifications_page, outcomes, users_page
from tidings.web.paging import NOT_A_PLACE

pytestmark = pytest.mark.anyio
Rows = Callable[[str], list[str]]


def ids_of(selector: str, prefix: str) -> Rows:
    """The rows a page lists, in its order: the ids of the elements ``selector`` matches."""
    return lambda html: [str(row["id"]).removeprefix(prefix) for row in elements(html, selector)]


def desk_entries(html: str) -> list[str]:
    return [str(entry["data-draft"]) for entry in elements(html, "main li[data-draft]")]


async def every_page(browser: httpx.AsyncClient, path: str, rows: Rows) -> list[list[str]]:
    """The rows of each page from ``path`` on, following each page's link to the next; checks
    that every later page links back to ``path``."""
    pages, here = [], path
    while True:
        page = await browser.get(here)
        assert page.status_code == 200, here
        pages.append(rows(page.text))
        if here != path:
            assert one(page.text, "nav.pages a.first-page")["href"] == path
        onward = elements(page.text, 'nav.pages a[rel="next"]')
        if not onward:
            return pages
        here = str(onward[0]["href"])
        assert here.startswith(path), here
        assert len(pages) < 20, "the pages never end"


async def lands_on_the_first_page(
    browser: httpx.AsyncClient, path: str, first: list[str], rows: Rows
) -> None:
    """A link to ``path`` with a place the list did not make leads to its first page, told."""
    join = "&" if "?" in path else "?"
    for bad in ("nonsense", token(1, 2, 3), "%ff%fe", "A" * 500):
        answer = await browser.get(f"{path}{join}after={bad}")
        assert answer.status_code == 303, bad
        assert answer.headers["location"] == path
        page = await browser.get(path)
        assert text(one(page.text, "p.flash")) == NOT_A_PLACE
        assert rows(page.text) == first


@pytest.fixture
async def as_hana(
    app: Starlette, database: Database, people: dict[str, Person]
) -> AsyncIterator[httpx.AsyncClient]:
    """An admin, added after the others (once an admin exists, only an admin adds users)."""
    hana = add_people(database, {"hana": Role.ADMIN})["hana"]
    async with client(app) as browser:
        assert (await log_in(browser, hana)).status_code == 303
        yield browser


async def test_the_inbox_pages_through_every_draft_waiting(
    as_joon: httpx.AsyncClient, drafts: Drafts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox, "PAGE_SIZE", 2)
    ids = [str(drafts.add({"en": f"Update {n}"}, title=f"Update {n}")) for n in range(5)]
    rows = ids_of("tr[id^=draft-]", "draft-")
    assert await every_page(as_joon, "/inbox", rows) == [ids[:2], ids[2:4], ids[4:]]
    await lands_on_the_first_page(as_joon, "/inbox", ids[:2], rows)


async def test_the_attention_list_pages_through_posts_that_stopped_at_the_same_time(
    as_joon: httpx.AsyncClient, drafts: Drafts, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outcomes, "PAGE_SIZE", 5)
    now = utcnow()
    stopped = [now - timedelta(hours=2), now - timedelta(hours=1), now - timedelta(hours=1)]
    ids = [drafts.add(title=f"Stopped {n}") for n in range(len(stopped))]
    with database.writing() as session:
        for draft_id, at in zip(ids, stopped, strict=True):  # two drafts' at one time
            for post in draft_posts(session, draft_id):  # four posts a draft
                post.status, post.updated_at = PostStatus.NEEDS_ATTENTION, at
    with database.reading() as session:
        newest_first = session.exec(
            select(Post.id).order_by(col(Post.updated_at).desc(), col(Post.id).desc())
        ).all()
    expected = [str(post_id) for post_id in newest_first]
    assert len(expected) == 12
    rows = ids_of("tr[id^=attention-]", "attention-")
    pages = await every_page(as_joon, "/attention", rows)
    assert pages == [expected[:5], expected[5:10], expected[10:]]
    await lands_on_the_first_page(as_joon, "/attention", expected[:5], rows)


@SQLITE_ONLY
async def test_a_desk_group_pages_through_the_authors_drafts(
    as_mina: httpx.AsyncClient, drafts: Drafts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(desk, "PAGE_SIZE", 2)
    ids = [
        str(drafts.add({"en": f"Draft {n}"}, title=f"Draft {n}", review=False)) for n in range(5)
    ]
    newest_first = ids[::-1]
    pages = await every_page(as_mina, "/?group=draft", desk_entries)
    assert pages == [newest_first[:2], newest_first[2:4], newest_first[4:]]
    await lands_on_the_first_page(as_mina, "/?group=draft", newest_first[:2], desk_entries)


async def test_the_published_group_pages_through_drafts_published_at_the_same_time(
    as_mina: httpx.AsyncClient, drafts: Drafts, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(desk, "PAGE_SIZE", 2)
    at = utcnow() - timedelta(hours=3)
    ids = [drafts.add({"en": f"Out {n}"}, title=f"Out {n}") for n in range(3)]
    with database.writing() as session:
        for draft_id in ids:
            for post in draft_posts(session, draft_id):
                post.status, post.updated_at = PostStatus.PUBLISHED, at
    newest_first = [str(draft_id) for draft_id in sorted(ids, reverse=True)]
    pages = await every_page(as_mina, "/?group=published", desk_entries)
    assert pages == [newest_first[:2], newest_first[2:]]


@SQLITE_ONLY
async def test_the_notifications_page_through_every_delivery(
    as_hana: httpx.AsyncClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notifications_page, "PAGE_SIZE", 3)
    now = utcnow()
    with database.writing() as session:
        for n in range(7):
            event = NotificationEvent(key=f"draft:{n}:review", event="review_requested")
            session.add(event)
            session.flush()
            assert event.id is not None
            session.add(  # two by two at the same time
                NotificationDelivery(
                    event_id=event.id,
                    recipient="chat",
                    status="failed" if n else "sent",
                    next_try_at=now,
                    created_at=now - timedelta(minutes=n // 2),
                )
            )
    with database.reading() as session:
        rows = session.exec(
            select(NotificationDelivery.id, NotificationDelivery.status).order_by(
                col(NotificationDelivery.created_at).desc(), col(NotificationDelivery.id).desc()
            )
        ).all()
    every = [str(delivery_id) for delivery_id, _ in rows]
    failed = [str(delivery_id) for delivery_id, status in rows if status == "failed"]
    listed = ids_of("tr[id^=notification-]", "notification-")
    assert await every_page(as_hana, "/notifications", listed) == [every[:3], every[3:6], every[6:]]
    given_up = await every_page(as_hana, "/notifications?failed=1", listed)
    assert given_up == [failed[:3], failed[3:]]  # each link keeps ?failed=1
    await lands_on_the_first_page(as_hana, "/notifications?failed=1", failed[:3], listed)


@SQLITE_ONLY
async def test_the_users_page_through_every_name_in_korean_too(
    app: Starlette, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users_page, "PAGE_SIZE", 3)
    names = [f"user{n}" for n in range(5)]
    add_people(database, dict.fromkeys(names, Role.AUTHOR))
    admin = add_people(database, {"ara": Role.ADMIN})["ara"]
    rows = ids_of("tr[id^=user-]", "user-")
    async with client(app) as browser:
        assert (await log_in(browser, admin)).status_code == 303
        pages = await every_page(browser, "/users", rows)
        assert pages == [["ara", "user0", "user1"], ["user2", "user3", "user4"]]
        await lands_on_the_first_page(browser, "/users", ["ara", "user0", "user1"], rows)
        set_language(database, "ara", "ko")
        first = await browser.get("/users")
        assert text(one(first.text, 'nav.pages a[rel="next"]')) == "다음 페이지"
        second = await browser.get(str(one(first.text, 'nav.pages a[rel="next"]')["href"]))
        assert text(one(second.text, "nav.pages a.first-page")) == "첫 페이지"
        refused = await browser.get("/users?after=nonsense", follow_redirects=True)
        assert text(one(refused.text, "p.flash")).startswith("after: 이 링크가")


@SQLITE_ONLY
async def test_a_form_on_a_later_users_page_comes_back_to_that_page(
    app: Starlette, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users_page, "PAGE_SIZE", 3)
    add_people(database, dict.fromkeys([f"user{n}" for n in range(5)], Role.AUTHOR))
    admin = add_people(database, {"ara": Role.ADMIN})["ara"]
    rows = ids_of("tr[id^=user-]", "user-")
    async with client(app) as browser:
        assert (await log_in(browser, admin)).status_code == 303
        first = await browser.get("/users")
        second_path = str(one(first.text, 'nav.pages a[rel="next"]')["href"])
        second = await browser.get(second_path)
        email = one(second.text, "#user-user3 form.user-email")
        fields = {"name": "user3", "csrf_token": csrf_token(second.text)}
        refused = await browser.post(str(email["action"]), data={**fields, "email": "not mail"})
        assert refused.status_code == 400
        assert rows(refused.text) == ["user2", "user3", "user4"]
        assert one(refused.text, "#user-user3 #problem-email")  # beside the field typed in
        saved = await browser.post(str(email["action"]), data={**fields, "email": "u3@example.org"})
        assert saved.status_code == 303
        assert saved.headers["location"] == second_path
