"""The calendar (a week per channel, in a chosen timezone), a post's outcomes (attempts in plain
words, settling a post that needs attention) and the channels page (with and without a check)."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import select

from drafts.config import Config
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Attempt, AuditEntry, Post
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role
from scheduler.sandbox.server import running_sandbox
from tests.conftest import TEST_CONFIG, make_config
from tests.web.conftest import (
    SQLITE_ONLY,
    Drafts,
    add_people,
    cells,
    client,
    csrf_token,
    elements,
    form_fields,
    has_form,
    log_in,
    one,
    parse,
    set_language,
    text,
    texts,
)
from tests.web.scheduling import (
    add_attempts,
    needs_attention_post,
    next_sunday_evening,
    scheduled,
    settle,
)
from tidings.web import channels_page
from tidings.web.app import create_app
from tidings.web.calendar import week_of

pytestmark = pytest.mark.anyio

LONDON, SEOUL = ZoneInfo("Europe/London"), ZoneInfo("Asia/Seoul")
WEBHOOK = """
[[channels]]
id = "chat"
platform = "webhook"
languages = ["en"]
url = "{url}"
"""


def day_of(html: str, channel: str, post_id: int) -> str | None:
    """The ``data-day`` of the calendar cell in ``channel``'s row that holds post ``post_id``."""
    days = [str(cell["data-day"]) for cell in elements(html, f"#channel-{channel} td[data-day]")]
    holding = [day for day in days if elements(html, f'td[data-day="{day}"] #entry-{post_id}')]
    return holding[0] if holding else None


def link(html: str, rel: str) -> str:
    """Where the page's link with ``rel`` goes."""
    return str(one(html, f'a[rel="{rel}"]')["href"])


def entry(html: str, post_id: int) -> tuple[str, str, str, str]:
    """Post ``post_id`` on the calendar: its time, its draft's link and title, its status."""
    found = one(html, f"#entry-{post_id}")
    draft = one(found, "a:has(bdi)")
    status = one(found, "a.status")
    assert status["href"] == f"/posts/{post_id}"
    return (
        text(one(found, "time")),
        f"{draft['href']} {text(draft)}",
        status["class"][1],
        text(status),
    )


def row_of(html: str, row_id: str) -> list[str]:
    """The cells of the table row ``row_id``."""
    return cells(one(html, f"tr#{row_id}"))


async def test_a_scheduled_post_sits_on_its_day_in_the_chosen_timezone(
    as_joon: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    due = next_sunday_evening()
    draft_id, posts = scheduled(drafts, database, config, due)
    linkedin = next(p for p in posts if p.channel == "linkedin")
    assert linkedin.id is not None
    london_week, seoul_week = week_of(due, LONDON), week_of(due, SEOUL)
    assert seoul_week.monday == london_week.monday + timedelta(weeks=1)

    # London: still Sunday, the last column of its week.
    page = await as_joon.get(f"/calendar?week={london_week.label}&tz=Europe/London")
    assert page.status_code == 200
    sunday = due.astimezone(LONDON).date()
    assert day_of(page.text, "linkedin", linkedin.id) == sunday.isoformat()
    assert entry(page.text, linkedin.id) == (
        f"{due.astimezone(LONDON):%H:%M}",
        f"/drafts/{draft_id} Riverside park reopens",
        "status-scheduled",
        "scheduled",
    )
    assert elements(page.text, "tr#channel-x-en") and elements(page.text, "tr#channel-mastodon")

    # Seoul: already Monday, the first column of the next week; its week before is empty.
    page = await as_joon.get(f"/calendar?week={london_week.label}&tz=Asia/Seoul")
    assert day_of(page.text, "linkedin", linkedin.id) is None
    assert "Nothing is scheduled or published in the week shown." in page.text
    page = await as_joon.get(link(page.text, "next"))
    assert text(one(page.text, "h1 .muted")) == seoul_week.label
    assert link(page.text, "prev").endswith("&tz=Asia/Seoul")  # the zone stays chosen
    monday = due.astimezone(SEOUL).date()
    assert monday == sunday + timedelta(days=1)
    assert day_of(page.text, "linkedin", linkedin.id) == monday.isoformat()
    assert entry(page.text, linkedin.id)[0] == f"{due.astimezone(SEOUL):%H:%M}"
    back = await as_joon.get(link(page.text, "prev"))
    assert day_of(back.text, "linkedin", linkedin.id) is None

    # Without tz, the viewer's zone (here config's, Asia/Seoul); published posts stay put.
    with database.writing() as session:
        stored = session.get(Post, linkedin.id)
        assert stored is not None
        stored.status, stored.remote_url = PostStatus.PUBLISHED, "https://example.org/p/1"
    page = await as_joon.get(f"/calendar?week={seoul_week.label}")
    assert "Times are shown in Asia/Seoul." in page.text
    assert day_of(page.text, "linkedin", linkedin.id) == monday.isoformat()
    assert entry(page.text, linkedin.id)[2] == "status-published"
    legend = texts(page.text, ".legend .status.status-needs_attention")
    assert legend == ["needs attention"]


@SQLITE_ONLY
async def test_the_calendar_refuses_a_week_or_zone_it_cannot_read(
    as_joon: httpx.AsyncClient,
) -> None:
    this_week = await as_joon.get("/calendar")
    assert this_week.status_code == 200
    assert f"{week_of(utcnow(), SEOUL).label}" in this_week.text
    for query, message in [
        ("week=2026-W60", "week: 2026 has no week 60"),
        ("week=next", "week: 'next' is not a week such as 2026-W49"),
        ("tz=Mars/Olympus", "tz: 'Mars/Olympus' is not an IANA timezone"),
    ]:
        page = await as_joon.get(f"/calendar?{query}")
        assert page.status_code == 400, query
        assert message in text(parse(page.text))
        assert "Traceback" not in page.text


@SQLITE_ONLY
async def test_a_post_shows_every_attempt_in_plain_words(
    as_joon: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    draft_id, posts = scheduled(drafts, database, config, next_sunday_evening())
    post_id = posts[0].id
    assert post_id is not None
    remote = "https://social.example/@city/1234"
    add_attempts(
        database,
        post_id,
        {"outcome": "retry", "http_status": 503, "duration_ms": 240, "error": "HTTP 503 <busy>"},
        {
            "outcome": "published",
            "http_status": 200,
            "duration_ms": 1500,
            "remote_id": "1234",
            "remote_url": remote,
        },
    )
    settle(database, post_id, PostStatus.PUBLISHED, "published")
    page = await as_joon.get(f"/posts/{post_id}")
    assert page.status_code == 200
    draft = one(page.text, f'a[href="/drafts/{draft_id}"]')
    assert text(one(draft, "bdi")) == "Riverside park reopens"
    number, _, took, summary, status, _, error = row_of(page.text, "attempt-1")
    assert (number, took, status, error) == (
        "1",
        "240 ms",
        "503 Service Unavailable",
        "HTTP 503 <busy>",
    )
    assert summary == "did not go through; was tried again (see the next attempt)"
    number, _, took, summary, status, where, error = row_of(page.text, "attempt-2")
    assert (number, took, summary, status, where, error) == (
        "2",
        "1.5 s",
        "published",
        "200 OK",
        remote,
        "–",
    )
    published = one(page.text, "tr#attempt-2 a")
    assert (published["href"], published["rel"]) == (remote, ["noopener", "noreferrer"])
    assert "A person needs to check" not in page.text
    assert not has_form(page.text, f"/posts/{post_id}/retry")  # nothing to settle

    # The last attempt of a retrying post says when the next one comes.
    retry_at = utcnow() + timedelta(minutes=5)
    with database.writing() as session:
        post = session.get(Post, post_id)
        assert post is not None
        post.status, post.attempt_at = PostStatus.RETRYING, retry_at
        attempt = session.exec(
            select(Attempt).where(Attempt.post_id == post_id, Attempt.number == 2)
        ).one()
        attempt.outcome, attempt.remote_url, attempt.http_status = "retry", None, 429
    page = await as_joon.get(f"/posts/{post_id}")
    _, _, _, summary, status, _, _ = row_of(page.text, "attempt-2")
    local = retry_at.astimezone(SEOUL)
    assert f"will try again at {local:%Y-%m-%d %H:%M} KST" in summary
    assert status == "429 Too Many Requests"


def post_row(database: Database, post_id: int) -> Post:
    with database.reading() as session:
        post = session.get(Post, post_id)
        assert post is not None
        return post


@SQLITE_ONLY
async def test_a_post_that_needs_attention_is_marked_published_with_its_address(
    as_joon: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    _, post_id = needs_attention_post(drafts, database, config)
    listed = await as_joon.get("/attention")
    listed_link = one(listed.text, f'tr#attention-{post_id} a[href="/posts/{post_id}"]')
    assert text(listed_link) == f"Post {post_id}"

    page = await as_joon.get(f"/posts/{post_id}")
    banner = text(one(page.text, 'section[aria-labelledby="check-heading"]'))
    assert "A person needs to check this post" in banner
    assert "Open the linkedin channel on linkedin" in banner
    assert "The library opens late on Sundays" in banner
    assert "read timed out after sending" in banner
    assert "no clear answer: it may or may not have been posted, so a person must check" in (
        page.text
    )
    token = csrf_token(page.text)

    bad = await as_joon.post(
        f"/posts/{post_id}/mark-published", data={"csrf_token": token, "url": "javascript:x"}
    )
    assert bad.status_code == 400
    assert "address: give the post's address, starting with https://" in texts(bad.text, ".error")
    kept = form_fields(bad.text, f"/posts/{post_id}/mark-published")
    assert kept["url"] == "javascript:x"  # kept for correcting
    assert post_row(database, post_id).status == PostStatus.NEEDS_ATTENTION

    url = "https://www.linkedin.com/feed/update/urn:li:share:1"
    done = await as_joon.post(
        f"/posts/{post_id}/mark-published", data={"csrf_token": token, "url": url}
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/posts/{post_id}"
    post = post_row(database, post_id)
    assert (post.status, post.remote_url) == (PostStatus.PUBLISHED, url)
    after = await as_joon.get(f"/posts/{post_id}")
    assert f"Post {post_id} is marked published at {url}." in after.text
    assert "A person needs to check" not in after.text
    assert "joon marked it published" in after.text
    assert elements((await as_joon.get("/attention")).text, f"#attention-{post_id}") == []

    again = await as_joon.post(f"/posts/{post_id}/retry", data={"csrf_token": token})
    assert again.status_code == 403
    assert "only a post that needs attention or failed can be settled" in again.text
    with database.reading() as session:
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.post_id == post_id)).all()
    assert actions.count("post.mark-published") == 1


@SQLITE_ONLY
async def test_retry_queues_a_post_that_needs_attention_again(
    as_mina: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    draft_id, post_id = needs_attention_post(drafts, database, config)
    page = await as_mina.get(f"/posts/{post_id}")
    assert "sending it again could post it twice" in page.text
    response = await as_mina.post(
        f"/posts/{post_id}/retry", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 303
    post = post_row(database, post_id)
    assert post.status == PostStatus.SCHEDULED
    assert post.reason == "retry requested by mina"
    assert post.attempt_at is not None and post.attempt_at <= utcnow()
    assert drafts.status(draft_id) == DraftStatus.SCHEDULED
    after = await as_mina.get(f"/posts/{post_id}")
    assert f"Post {post_id} is queued again" in after.text
    assert "Next try" in after.text


@SQLITE_ONLY
async def test_settling_without_the_csrf_token_is_refused(
    as_joon: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    _, post_id = needs_attention_post(drafts, database, config)
    refused = [
        await as_joon.post(
            f"/posts/{post_id}/mark-published", data={"url": "https://example.org/p/1"}
        ),
        await as_joon.post(f"/posts/{post_id}/retry"),
        await as_joon.post(f"/posts/{post_id}/retry", data={"csrf_token": "forged"}),
    ]
    assert [response.status_code for response in refused] == [403, 403, 403]
    assert post_row(database, post_id).status == PostStatus.NEEDS_ATTENTION
    assert (await as_joon.get("/posts/999999")).status_code == 404


@SQLITE_ONLY
async def test_the_channels_page_is_fast_and_does_not_check_unasked(
    as_mina: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the plain channels page must not call the platforms")

    monkeypatch.setattr(channels_page, "check_channels", no_network)
    page = await as_mina.get("/channels")
    assert page.status_code == 200
    platform, languages, slots, zone, health, _ = row_of(page.text, "channel-x-en")
    assert (platform, languages, slots, zone) == ("X", "English", "Mon–Fri 10:00", "Europe/London")
    assert health == "not checked yet"
    _, languages, slots, zone, _, _ = row_of(page.text, "channel-linkedin")
    assert (languages, slots) == ("English, Korean", "Mon–Fri 09:30, Mon–Fri 14:00")
    assert zone == "Asia/Seoul (default)"
    assert row_of(page.text, "channel-mastodon")[2] == "every day 11:00"
    assert elements(page.text, 'a[href="/channels?check=1"]') == []  # only admins check


@SQLITE_ONLY
async def test_the_channels_page_in_korean(
    as_mina: httpx.AsyncClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_language(database, "mina", "ko")
    monkeypatch.delenv("TIDINGS_SECRET_KEY", raising=False)
    page = await as_mina.get("/channels")
    _, languages, slots, *_ = row_of(page.text, "channel-linkedin")
    assert (languages, slots) == ("영어, 한국어", "월–금 09:30, 월–금 14:00")
    assert row_of(page.text, "channel-mastodon")[2] == "매일 11:00"
    notes = row_of(page.text, "channel-bluesky")[-1]
    assert notes == (
        "TIDINGS_SECRET_KEY: 설정되지 않음. bluesky 채널은 갱신된 토큰을 보관함에 두므로 이 키가 "
        "필요합니다"
    )
    assert "not set" not in page.text


@SQLITE_ONLY
async def test_a_webhook_is_named_in_the_viewers_language(
    database: Database, web_secret: str
) -> None:
    mina = add_people(database, {"mina": Role.AUTHOR})["mina"]
    config = make_config(TEST_CONFIG + WEBHOOK.format(url="http://127.0.0.1:9/hook"))
    for language, name in (("en", "Webhook"), ("ko", "웹훅")):
        set_language(database, "mina", language)
        async with client(create_app(config, database)) as browser:
            assert (await log_in(browser, mina)).status_code == 303
            page = (await browser.get("/channels")).text
            calendar = (await browser.get("/calendar")).text
            compose = (await browser.get("/compose")).text
        assert row_of(page, "channel-chat")[0] == name
        assert f"chat {name}" in texts(page, "h3:has(.connection-channel)")
        assert texts(calendar, "tr#channel-chat th")[0] == f"chat {name}"
        assert text(one(compose, 'label:has(input[value="chat"])')).startswith(f"chat {name} · ")


async def test_the_channels_page_says_a_missing_vault_key_without_a_check(
    as_mina: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TIDINGS_SECRET_KEY", raising=False)
    page = await as_mina.get("/channels")
    for channel in ("x-en", "x-ko", "bluesky"):
        *_, health, notes = row_of(page.text, f"channel-{channel}")
        assert health == "not checked yet"
        assert notes == (
            f"TIDINGS_SECRET_KEY: not set; channel {channel} keeps refreshed tokens in the vault "
            "and needs it"
        )
    assert row_of(page.text, "channel-mastodon")[-1] == ""  # it keeps no tokens
    monkeypatch.setenv("TIDINGS_SECRET_KEY", secrets.token_urlsafe(32))
    page = await as_mina.get("/channels")
    assert row_of(page.text, "channel-x-en")[-1] == ""


@SQLITE_ONLY
async def test_checking_the_channels_asks_the_sandbox(
    database: Database,
    web_secret: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = add_people(database, {"hana": Role.ADMIN})["hana"]
    monkeypatch.setenv("TIDINGS_WEB_T_MASTODON", secrets.token_urlsafe(24))
    for name in ("LINKEDIN_TOKEN", "X_TOKEN", "X_KO_TOKEN", "BLUESKY_PASSWORD"):
        monkeypatch.delenv(f"TIDINGS_TEST_{name}", raising=False)  # only the sandbox is asked
    with running_sandbox() as sandbox:
        text = TEST_CONFIG.replace(
            'base_url = "http://127.0.0.1:9"', f'base_url = "{sandbox.base_url}"'
        )
        text = text.replace("TIDINGS_TEST_MASTODON_TOKEN", "TIDINGS_WEB_T_MASTODON")
        text += WEBHOOK.format(url=f"{sandbox.base_url}/webhook")
        config = make_config(text)
        async with client(create_app(config, database)) as browser:
            assert (await log_in(browser, admin)).status_code == 303
            page = await browser.get("/channels?check=1")
    assert page.status_code == 200
    assert "Checked at" in page.text
    assert texts(page.text, "tr#channel-mastodon .fits") == ["yes"]
    assert "@demo" in row_of(page.text, "channel-mastodon")
    assert texts(page.text, "tr#channel-x-en span.problem") == ["no"]
    assert "TIDINGS_TEST_X_TOKEN" in row_of(page.text, "channel-x-en")[-1]
    assert "cannot be reached" in page.text
    assert "not checked yet" not in page.text
    # Nothing is sent to a webhook to check it: it is not said to be reachable.
    assert texts(page.text, "tr#channel-chat td .unchecked") == ["not checked"]
    assert texts(page.text, "tr#channel-chat .fits") == []
    assert "One channel was not checked" in texts(page.text, "p.summary:not(#daemon-seen)")[0]


def test_week_navigation_crosses_years() -> None:
    week = week_of(datetime(2026, 12, 31, 12, tzinfo=UTC), SEOUL)
    assert week.label == "2026-W53"
    following = week.step(1)
    assert following is not None and following.label == "2027-W01"
    assert following.monday == date(2027, 1, 4)
    assert week.start == datetime(2026, 12, 27, 15, tzinfo=UTC)  # Monday 00:00 KST
    assert week.end - week.start == timedelta(days=7)
    assert len(week.days) == 7
