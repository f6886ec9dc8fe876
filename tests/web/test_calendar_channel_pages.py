"""A network of many accounts (issue 16): the calendar shows a page of channels at a time, in
the configured order, then the channels no longer configured that have posts that week; the
week's links keep the page, and a channel's day leads back to the page holding its row."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import insert

from drafts.config import Config
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Draft, Post, Variant
from drafts.storage import Database
from drafts.users import find_user
from tests.conftest import TEST_CONFIG, make_config
from tests.web.conftest import SQLITE_ONLY, elements, one, parse, set_language, text, texts
from tidings.web.calendar import CHANNEL_ROWS, week_of

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]

DUE = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)  # a Wednesday
WEEK = week_of(DUE, UTC).label  # type: ignore[arg-type]
CITIES = [f"city-{number:02d}" for number in range(1, 21)]
# linkedin, x-en, x-ko, mastodon, bluesky, then the cities: 25 configured, and one retired.
ROWS = ["linkedin", "x-en", "x-ko", "mastodon", "bluesky", *CITIES, "retired"]


@pytest.fixture
def config() -> Config:
    cities = "".join(
        f'\n[[channels]]\nid = "{city}"\nplatform = "mastodon"\nlanguages = ["en"]\n'
        f'base_url = "http://127.0.0.1:9"\ntoken_env = "TIDINGS_TEST_MASTODON_TOKEN"\n'
        for city in CITIES
    )
    return make_config(TEST_CONFIG + cities)


def add_posts(database: Database, channels: list[str]) -> None:
    """A published post on each of ``channels`` on ``DUE``, titled after its channel."""
    with database.reading() as session:
        author = find_user(session, "joon").id
    with database.writing() as session:
        connection = session.connection()
        for number, channel in enumerate(channels, start=1):
            row = {"id": number, "created_at": DUE, "updated_at": DUE}
            connection.execute(
                insert(Draft),
                {
                    **row,
                    "kind": "post",
                    "title": f"news of {channel}",
                    "status": str(DraftStatus.DONE),
                    "author_id": author,
                    "content_hash": "0" * 64,
                },
            )
            connection.execute(
                insert(Variant), {"id": number, "draft_id": number, "language": "en", "text": "hi"}
            )
            connection.execute(
                insert(Post),
                {
                    **row,
                    "draft_id": number,
                    "author_id": author,
                    "channel": channel,
                    "platform": "mastodon",
                    "language": "en",
                    "text": "hi",
                    "length": 2,
                    "status": str(PostStatus.PUBLISHED),
                    "due_at": DUE,
                },
            )


def rows(html: str) -> list[str]:
    return [str(row["id"]).removeprefix("channel-") for row in elements(html, "tbody tr")]


def pages_line(html: str) -> list[str]:
    return texts(html, "nav.channel-pages .muted")


def link(html: str, kind: str) -> str | None:
    """Where the page's ``previous-channels`` or ``next-channels`` links lead: the same above
    the table and below it (None: there are none)."""
    found = {str(each["href"]) for each in elements(html, f"nav.channel-pages a.{kind}")}
    assert len(found) <= 1, found
    return found.pop() if found else None


async def test_the_calendar_shows_a_page_of_channels_at_a_time(
    as_joon: httpx.AsyncClient, database: Database
) -> None:
    add_posts(database, ["linkedin", "city-20", "retired"])
    first = await as_joon.get(f"/calendar?week={WEEK}&tz=UTC")
    assert first.status_code == 200
    assert rows(first.text) == ROWS[:CHANNEL_ROWS]
    assert pages_line(first.text) == [f"Channels 1–{CHANNEL_ROWS} of {len(ROWS)}"] * 2
    assert texts(first.text, ".entry bdi") == ["news of linkedin"]
    assert link(first.text, "previous-channels") is None
    following = str(link(first.text, "next-channels"))
    assert following == f"/calendar?week={WEEK}&tz=UTC&page=2"

    second = await as_joon.get(following)
    assert rows(second.text) == ROWS[CHANNEL_ROWS:]
    assert pages_line(second.text)[0] == f"Channels {CHANNEL_ROWS + 1}–26 of 26"
    assert texts(second.text, ".entry bdi") == ["news of city-20", "news of retired"]
    assert "no longer configured" in text(one(second.text, "#channel-retired th"))
    assert link(second.text, "next-channels") is None
    assert link(second.text, "previous-channels") == f"/calendar?week={WEEK}&tz=UTC"
    # The weeks' links and the week form keep the page.
    earlier = str(one(second.text, 'nav a[rel="prev"]')["href"])
    assert earlier.endswith("&tz=UTC&page=2")
    assert one(second.text, 'form.calendar-choose input[name="page"]')["value"] == "2"
    # A week without the retired channel's post has one page fewer: page 2 is its last.
    other = await as_joon.get(earlier)
    assert rows(other.text) == ROWS[CHANNEL_ROWS:-1]

    # Past the last page: the last.
    assert rows((await as_joon.get(f"/calendar?week={WEEK}&page=9")).text) == ROWS[CHANNEL_ROWS:]

    set_language(database, "joon", "ko")
    korean = await as_joon.get(following)
    assert texts(korean.text, "a.previous-channels") == ["이전 채널"] * 2
    assert pages_line(korean.text)[0] == f"채널 {CHANNEL_ROWS + 1}–26 / 26"
    assert "채널로 이동" in text(one(korean.text, "form.calendar-choose"))


async def test_the_week_form_goes_to_a_channels_row_on_its_page(
    as_joon: httpx.AsyncClient, database: Database
) -> None:
    """Paged, the browser's find no longer finds a channel on another page: the week's form
    lists every row's channel, and going to one opens its page at its row."""
    add_posts(database, ["retired"])
    first = await as_joon.get(f"/calendar?week={WEEK}&tz=UTC")
    choices = texts(first.text, 'form.calendar-choose select[name="channel"] option')
    assert choices == ["—", *ROWS]
    held = await as_joon.get(f"/calendar?week={WEEK}&tz=UTC&channel=retired&page=1")
    assert held.status_code == 303
    assert held.headers["location"] == f"/calendar?week={WEEK}&tz=UTC&page=2#channel-retired"
    arrived = await as_joon.get(held.headers["location"])
    assert "retired" in rows(arrived.text)
    on_first = await as_joon.get(f"/calendar?week={WEEK}&channel=x-ko")
    assert on_first.headers["location"] == f"/calendar?week={WEEK}#channel-x-ko"
    # A channel without a row that week: its first page, at no row.
    unknown = await as_joon.get(f"/calendar?week={WEEK}&channel=nowhere&page=2")
    assert unknown.headers["location"] == f"/calendar?week={WEEK}"


async def test_a_channel_day_leads_back_to_the_page_holding_its_row(
    as_joon: httpx.AsyncClient, database: Database
) -> None:
    day = await as_joon.get(f"/calendar/day?channel=city-19&day={DUE.date().isoformat()}&tz=UTC")
    back = str(one(day.text, 'a[rel="up"]')["href"])
    assert back == f"/calendar?week={WEEK}&tz=UTC&channel=city-19"
    held = await as_joon.get(back)
    assert held.headers["location"] == f"/calendar?week={WEEK}&tz=UTC&page=2#channel-city-19"
    week = await as_joon.get(held.headers["location"])
    assert "city-19" in rows(week.text) and "linkedin" not in rows(week.text)


async def test_a_page_that_is_not_a_number_is_refused(as_joon: httpx.AsyncClient) -> None:
    for asked in ["0", "two", "-1", "1.5", "١"]:
        page = await as_joon.get("/calendar", params={"page": asked})
        assert page.status_code == 400, asked
        message = f"page: {asked!r} is not a page number such as 2"
        assert message in text(parse(page.text)), asked
