"""The desk, everyone's home page (issue 17 point 1): an author's own drafts by what happens
next, with the reviewer's comment on those sent back; for reviewers and admins the review inbox
on top; and the reviewer's comment on the draft page and the edit page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest
from bs4 import Tag
from starlette.applications import Starlette

from drafts.authoring import draft_posts
from drafts.config import Config
from drafts.lifecycle import PostStatus
from drafts.review import approve
from drafts.storage import Database
from drafts.times import show, utcnow
from drafts.users import Role, find_user
from tests.web.conftest import (
    SQLITE_ONLY,
    Drafts,
    Person,
    add_people,
    client,
    elements,
    form_fields,
    heading,
    log_in,
    one,
    set_language,
    text,
    texts,
)
from tests.web.scheduling import next_sunday_evening, scheduled
from tests.web.test_pages import counting_queries
from tidings.web import desk

pytestmark = pytest.mark.anyio

COMMENT = "Please shorten the Korean text and add the opening hours."


def group(html: str, name: str) -> Tag:
    """The desk's section for the group ``name`` (``changes_requested``, ``scheduled``, ...)."""
    return one(html, f"section#desk-{name}")


def listed(section: Tag) -> list[int]:
    """The drafts a desk group lists, in its order."""
    return [int(str(entry["data-draft"])) for entry in elements(section, "li[data-draft]")]


def groups_on(html: str) -> list[str]:
    """The sections of the desk, top to bottom, by id."""
    return [str(section["id"]) for section in elements(html, "main > section")]


async def request_changes(browser: httpx.AsyncClient, draft_id: int, comment: str) -> None:
    """A reviewer asks for changes from the draft page, as a person would."""
    page = await browser.get(f"/drafts/{draft_id}")
    form = form_fields(page.text, f"/drafts/{draft_id}/request-changes")
    sent = await browser.post(
        f"/drafts/{draft_id}/request-changes", data=form | {"comment": comment}
    )
    assert sent.status_code == 303


def went_out(database: Database, draft_id: int, status: PostStatus, at: datetime) -> None:
    """Every post of the draft ended ``status`` at ``at``, as the daemon records it."""
    with database.writing() as session:
        for post in draft_posts(session, draft_id):
            post.status, post.updated_at = status, at


@pytest.fixture
async def as_hana(
    app: Starlette, database: Database, people: dict[str, Person]
) -> AsyncIterator[httpx.AsyncClient]:
    """An admin, added after the others (once an admin exists, only an admin adds users)."""
    hana = add_people(database, {"hana": Role.ADMIN})["hana"]
    async with client(app) as browser:
        assert (await log_in(browser, hana)).status_code == 303
        yield browser


async def test_an_author_finds_a_draft_sent_back_with_the_reviewers_comment(
    as_mina: httpx.AsyncClient, as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add(title="Riverside park reopens")
    before = await as_mina.get("/")
    assert heading(before.text) == "My desk"
    assert listed(group(before.text, "in_review")) == [draft_id]

    await request_changes(as_joon, draft_id, COMMENT)

    page = await as_mina.get("/")
    sent_back = group(page.text, "changes_requested")
    assert listed(sent_back) == [draft_id]
    assert elements(page.text, "section#desk-in_review") == []  # no longer in review
    entry = one(sent_back, f'li[data-draft="{draft_id}"]')
    assert text(one(entry, ".review-comment blockquote")) == COMMENT
    assert "joon asked for changes" in text(one(entry, ".review-comment figcaption"))
    assert one(entry, f'a[href="/drafts/{draft_id}/edit"]')  # where she makes the changes
    assert "Changes requested 1" in text(one(sent_back, "h2"))


async def test_a_reviewer_sees_the_review_inbox_on_top(
    as_joon: httpx.AsyncClient, as_mina: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add(title="Riverside park reopens")
    page = await as_joon.get("/")
    assert groups_on(page.text)[0] == "review-inbox"
    inbox = one(page.text, "section#review-inbox")
    assert "Review inbox" in text(one(inbox, "h2"))
    row = one(inbox, f"#draft-{draft_id}")
    assert one(row, f'a[href="/drafts/{draft_id}"]')
    assert "by mina" in text(row)
    # The author has no inbox on her desk: her own draft is under "in review".
    mine = await as_mina.get("/")
    assert elements(mine.text, "section#review-inbox") == []
    assert groups_on(mine.text) == ["desk-in_review"]


@SQLITE_ONLY
async def test_an_admin_sees_the_inbox_above_their_own_drafts(
    as_hana: httpx.AsyncClient, drafts: Drafts
) -> None:
    waiting = drafts.add(title="Waiting for a reviewer")
    page = await as_hana.get("/")
    assert groups_on(page.text) == ["review-inbox"]  # hana wrote nothing yet
    assert one(page.text, f"#draft-{waiting}")


async def test_published_in_the_last_seven_days(
    as_mina: httpx.AsyncClient, drafts: Drafts, database: Database
) -> None:
    now = utcnow()
    this_week = drafts.add({"en": "Out on Tuesday"}, title="Out on Tuesday")
    yesterday = drafts.add({"en": "Out yesterday"}, title="Out yesterday")
    long_ago = drafts.add({"en": "Out last month"}, title="Out last month")
    went_out(database, this_week, PostStatus.PUBLISHED, now - timedelta(days=3))
    went_out(database, yesterday, PostStatus.PUBLISHED, now - timedelta(days=1))
    went_out(database, long_ago, PostStatus.PUBLISHED, now - timedelta(days=30))

    page = await as_mina.get("/")
    published = group(page.text, "published")
    assert listed(published) == [yesterday, this_week]  # the latest first; not last month's
    entry = one(published, f'li[data-draft="{yesterday}"]')
    assert "2 posts published" in text(entry)  # linkedin and x-en


async def test_each_published_post_links_to_where_its_platform_shows_it(
    as_mina: httpx.AsyncClient, drafts: Drafts, database: Database
) -> None:
    draft_id = drafts.add({"en": "Out on Tuesday"}, title="Out on Tuesday")
    went_out(database, draft_id, PostStatus.PUBLISHED, utcnow() - timedelta(hours=2))
    with database.writing() as session:
        linkedin, x = sorted(draft_posts(session, draft_id), key=lambda post: post.channel)
        linkedin.remote_url = "https://www.linkedin.com/feed/update/urn:li:share:7"
        x.remote_url = "javascript:alert(1)"  # never a link
        shown = {linkedin.channel: linkedin.id, x.channel: x.id}

    page = await as_mina.get("/")
    entry = one(group(page.text, "published"), f'li[data-draft="{draft_id}"]')
    assert len(elements(entry, "ul.desk-published li")) == 2
    out = one(entry, f'ul.desk-published li[data-post="{shown["linkedin"]}"]')
    assert one(out, "a")["href"] == "https://www.linkedin.com/feed/update/urn:li:share:7"
    assert text(out).startswith("linkedin · English ·")
    unlinked = one(entry, f'ul.desk-published li[data-post="{shown["x-en"]}"]')
    assert one(unlinked, "a")["href"] == f"/posts/{shown['x-en']}"


async def test_scheduled_drafts_say_when_their_next_post_goes(
    as_mina: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    due = next_sunday_evening()
    draft_id, _ = scheduled(drafts, database, config, due)
    page = await as_mina.get("/")
    entry = one(group(page.text, "scheduled"), f'li[data-draft="{draft_id}"]')
    assert f"next post {show(due, config.zone)}" in text(entry)
    assert elements(page.text, "section#desk-in_review") == []


async def test_posts_that_need_a_person_are_on_the_authors_desk(
    as_mina: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    draft_id, posts = scheduled(drafts, database, config, next_sunday_evening())
    went_out(database, draft_id, PostStatus.NEEDS_ATTENTION, utcnow())
    page = await as_mina.get("/")
    entry = one(group(page.text, "attention"), f'li[data-draft="{draft_id}"]')
    assert "2 posts failed or need a person" in text(entry)
    first = min(post.id for post in posts if post.id is not None)
    assert one(entry, f'a[href="/posts/{first}"]')


@SQLITE_ONLY
async def test_each_group_lists_the_newest_first_and_pages_through_the_rest(
    as_mina: httpx.AsyncClient, drafts: Drafts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(desk, "ON_DESK", 2)
    monkeypatch.setattr(desk, "PAGE_SIZE", 2)
    ids = [drafts.add({"en": f"Draft {n}"}, title=f"Draft {n}", review=False) for n in range(3)]
    drafts.edit(ids[0], {"en": "Draft 0, edited last"}, title="Draft 0")
    page = await as_mina.get("/")
    written = group(page.text, "draft")
    assert listed(written) == [ids[0], ids[2]]
    assert one(written, 'a[href="/?group=draft"]')  # "See all 3"
    first = await as_mina.get("/?group=draft")
    assert heading(first.text) == "Being written 3"
    assert listed(one(first.text, "main")) == [ids[0], ids[2]]
    older = str(one(first.text, 'a[rel="next"]')["href"])
    assert older.startswith("/?group=draft&after=")
    second = await as_mina.get(older)
    assert heading(second.text) == "Being written 3"
    assert listed(one(second.text, "main")) == [ids[1]]
    assert elements(second.text, 'a[rel="next"]') == []  # the last page


async def test_the_reviewers_comment_is_on_the_draft_page_and_the_edit_page(
    as_mina: httpx.AsyncClient, as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add()
    await request_changes(as_joon, draft_id, COMMENT)
    for path in (f"/drafts/{draft_id}", f"/drafts/{draft_id}/edit"):
        page = await as_mina.get(path)
        assert page.status_code == 200
        said = one(page.text, "section.review-comments")
        assert texts(said, "blockquote") == [COMMENT], path
        assert "joon asked for changes" in text(said), path


@SQLITE_ONLY
async def test_an_approval_comment_replaces_the_old_request_on_the_draft_page(
    as_mina: httpx.AsyncClient,
    as_joon: httpx.AsyncClient,
    drafts: Drafts,
    database: Database,
    config: Config,
) -> None:
    draft_id = drafts.add()
    await request_changes(as_joon, draft_id, COMMENT)
    drafts.edit(draft_id, {"en": "Shorter.", "ko": "짧게."})
    drafts.submit(draft_id)
    with database.writing() as session:
        joon = find_user(session, "joon")
        approve(
            session,
            draft_id=draft_id,
            reviewer=joon,
            comment="Thank you!",
            config=config,
            now=utcnow(),
        )
    page = await as_mina.get(f"/drafts/{draft_id}")
    said = one(page.text, "section.review-comments")
    assert texts(said, "blockquote") == ["Thank you!"]
    assert "joon approved it" in text(said)


async def test_the_desk_costs_the_same_queries_for_few_drafts_and_many(
    as_mina: httpx.AsyncClient, as_joon: httpx.AsyncClient, drafts: Drafts, database: Database
) -> None:
    sent_back = drafts.add({"en": "One"}, title="One")
    await request_changes(as_joon, sent_back, COMMENT)
    drafts.add({"en": "Two"}, title="Two", review=False)
    drafts.add({"en": "Three"}, title="Three")  # in review: the inbox counts its posts
    with counting_queries(database) as few:
        assert (await as_mina.get("/")).status_code == 200
    with counting_queries(database) as few_reviewing:
        assert (await as_joon.get("/")).status_code == 200
    for n in range(6):
        more = drafts.add({"en": f"More {n}"}, title=f"More {n}", review=n % 2 == 0)
        if n % 4 == 0:
            await request_changes(as_joon, more, f"Comment {n}")
    with counting_queries(database) as many:
        assert (await as_mina.get("/")).status_code == 200
    with counting_queries(database) as many_reviewing:
        assert (await as_joon.get("/")).status_code == 200
    assert len(many) == len(few)
    assert len(many_reviewing) == len(few_reviewing)


@SQLITE_ONLY
async def test_the_desk_in_korean(
    as_mina: httpx.AsyncClient, as_joon: httpx.AsyncClient, drafts: Drafts, database: Database
) -> None:
    sent_back = drafts.add(title="강변 공원")
    await request_changes(as_joon, sent_back, "한국어 문장을 줄여 주세요.")
    drafts.add({"en": "Still writing"}, title="Still writing", review=False)
    set_language(database, "mina", "ko")
    page = await as_mina.get("/")
    assert heading(page.text) == "내 작업"
    assert texts(page.text, "main h2") == ["작성 중 1", "수정 요청 1"]
    said = one(group(page.text, "changes_requested"), ".review-comment figcaption")
    assert "joon 님이 수정을 요청했습니다" in text(said)
    assert "Changes requested" not in page.text
    assert "last change" not in page.text
