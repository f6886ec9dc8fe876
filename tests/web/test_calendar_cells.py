"""A busy calendar (issue 16): a cell (a channel's day) shows its first few posts and says how
many more it holds, a link to that day's list of them all, a page at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import insert

from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Draft, Post, Variant
from drafts.storage import Database
from drafts.users import find_user
from tests.web.conftest import elements, one, parse, set_language, text, texts
from tidings.web.calendar import CELL_CAP, DAY_PAGE, week_of

pytestmark = pytest.mark.anyio

DAY = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)  # a Wednesday
CHAINS = 55  # chains of two parts on linkedin that day; one's second part failed


def add_chains(database: Database) -> None:
    """``CHAINS`` two-part threads on linkedin on ``DAY``, a minute apart: each first part
    published, each second scheduled but the first chain's, which failed; two posts on x-en."""
    drafts, variants, posts = [], [], []
    with database.reading() as session:
        author = find_user(session, "joon").id
    for number in range(1, CHAINS + 3):
        due = DAY + timedelta(minutes=number)
        drafts.append(
            {
                "id": 1000 + number,
                "kind": "post",
                "title": f"busy {number:02d}",
                "status": str(DraftStatus.SCHEDULED),
                "author_id": author,
                "content_hash": "0" * 64,
                "created_at": due,
                "updated_at": due,
            }
        )
        variants.append(
            {"id": 1000 + number, "draft_id": 1000 + number, "language": "en", "text": "hi"}
        )
        channel = "linkedin" if number <= CHAINS else "x-en"
        parts = 2 if channel == "linkedin" else 1
        for part in range(1, parts + 1):
            if part == 1:
                status = PostStatus.PUBLISHED
            else:
                status = PostStatus.FAILED if number == 1 else PostStatus.SCHEDULED
            posts.append(
                {
                    "id": 1000 + number * 2 + part,
                    "draft_id": 1000 + number,
                    "author_id": author,
                    "channel": channel,
                    "platform": channel.split("-")[0],
                    "language": "en",
                    "part": part,
                    "parts": parts,
                    "text": "hi",
                    "length": 2,
                    "status": str(status),
                    "due_at": due,
                    "created_at": due,
                    "updated_at": due,
                }
            )
    with database.writing() as session:
        connection = session.connection()
        for table, rows in ((Draft, drafts), (Variant, variants), (Post, posts)):
            connection.execute(insert(table), rows)


def titles(html: str, scope: str) -> list[str]:
    return texts(html, f"{scope} .entry bdi")


async def test_a_busy_day_shows_its_first_posts_and_how_many_more(
    as_joon: httpx.AsyncClient, database: Database
) -> None:
    add_chains(database)
    week = week_of(DAY, ZoneInfo("UTC"))
    page = await as_joon.get(f"/calendar?week={week.label}&tz=UTC")
    assert page.status_code == 200
    cell = f'#channel-linkedin td[data-day="{DAY.date().isoformat()}"]'
    # The first CELL_CAP of the day in time order: the first chain's failed part beside its first.
    shown = ["busy 01", "busy 01", *(f"busy {n:02d}" for n in range(2, CELL_CAP))]
    assert titles(page.text, cell) == shown
    assert texts(page.text, f"{cell} .post-part") == ["part 2 of 2"]
    # 55 first parts and the failed second: 56, six shown. Scheduled later parts are not counted.
    more = one(page.text, f"{cell} a.more")
    assert text(more) == f"+{CHAINS + 1 - CELL_CAP} more"
    others = f'#channel-x-en td[data-day="{DAY.date().isoformat()}"]'
    assert titles(page.text, others) == ["busy 56", "busy 57"]
    assert not elements(page.text, f"{others} a.more")
    assert not elements(page.text, "#channel-mastodon a.more")
    # Five channels are one page: no pages to go through, and no channel to go to.
    assert not elements(page.text, "nav.channel-pages, select[name='channel']")

    # The day's list, a page at a time, in the cell's order; then back to the week.
    day = await as_joon.get(str(more["href"]))
    assert day.status_code == 200, day.text
    first = titles(day.text, ".calendar-day")
    assert len(first) == DAY_PAGE and first[:CELL_CAP] == shown
    later = one(day.text, 'a[rel="next"]')["href"]
    rest = await as_joon.get(str(later))
    assert titles(rest.text, ".calendar-day") == [
        f"busy {n:02d}" for n in range(DAY_PAGE, CHAINS + 1)
    ]
    assert not elements(rest.text, 'a[rel="next"]')
    back = str(one(rest.text, 'a[rel="up"]')["href"])
    assert back == f"/calendar?week={week.label}&tz=UTC&channel=linkedin"

    set_language(database, "joon", "ko")
    korean = await as_joon.get(f"/calendar?week={week.label}&tz=UTC")
    assert text(one(korean.text, f"{cell} a.more")) == f"+{CHAINS + 1 - CELL_CAP}개 더 보기"


async def test_the_day_list_refuses_a_day_or_place_it_cannot_read(
    as_joon: httpx.AsyncClient,
) -> None:
    for query, message in [
        ("channel=linkedin&day=Wednesday", "day: 'Wednesday' is not a date such as 2026-12-02"),
        ("channel=linkedin&day=2026-12-09&after=nope", "after: 'nope' is not a place"),
        ("channel=linkedin&day=2026-12-09&tz=Mars/Olympus", "tz: 'Mars/Olympus'"),
        ("channel=linkedin%00&day=2026-12-09", "channel: holds a NUL character"),
    ]:
        page = await as_joon.get(f"/calendar/day?{query}")
        assert page.status_code == 400, query
        assert message in text(parse(page.text))
        assert "Traceback" not in page.text
    empty = await as_joon.get("/calendar/day?channel=linkedin&day=2026-12-09")
    assert "Nothing is scheduled or published this day." in empty.text
    long = await as_joon.get(f"/calendar/day?channel={'c' * 300}&day=2026-12-09")
    assert long.status_code == 200 and not elements(long.text, ".entry")


async def test_a_day_of_the_calendar_marks_the_calendar_in_the_menu(
    as_joon: httpx.AsyncClient,
) -> None:
    week = await as_joon.get("/calendar")
    assert one(week.text, "nav a[aria-current]")["aria-current"] == "page"
    day = await as_joon.get("/calendar/day?channel=linkedin&day=2026-12-09")
    current = one(day.text, "nav a[aria-current]")
    assert (current["href"], current["aria-current"]) == ("/calendar", "true")
    desk = await as_joon.get("/")
    assert one(desk.text, "nav a[aria-current]")["href"] == "/"  # not every page's section
