"""The calendar: one week of posts per channel (Monday to Sunday), in a chosen timezone.

``GET /calendar?week=2026-W49&tz=Europe/London&page=2``. The week and the zone default to the
viewer's (their preference, else ``[tidings] timezone``). A page shows ``CHANNEL_ROWS`` channels
(configured order, then channels no longer configured that have posts that week), so a network
of many accounts costs a page what a few do. ``?channel=ID`` (the form's "Go to channel": the
browser's find no longer finds a row on another page) redirects to the page holding that
channel's row, at the row.

Two queries read the week (``drafts.queueing``): how many posts each cell (a channel's day)
holds, for every channel (``calendar_counts``), then of the posts whose ``due_at`` falls in the
week's UTC range, the first ``CELL_CAP`` of each cell of the page's channels, with their drafts'
titles (``calendar_cells``). A cell holding more says "+N more", a link to ``/calendar/day``,
that channel's day ``DAY_PAGE`` posts a page (keyset paging: ``?after=``). A published post is
shown at its due time too, so an entry stays where it was planned. A post still to be sent
whose channel cannot send it then (not connected, a token ending first, a scope missing:
``drafts.credential_problems``) is marked, with the problem as the mark's title and a few words
that stay visible on a phone. A post of a repeating draft says its occurrence of the series
(``3/8``: ``series_labels``). A thread and its first comment are one entry, their first part's;
a later part is an entry of its own only where it failed or needs a person, saying which part
it is. Dates, status words and problems are in the viewer's interface language.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_interval, format_skeleton
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from drafts.attention import SETTLEABLE
from drafts.config import Config
from drafts.credential_problems import STILL_TO_SEND, CredentialCheck
from drafts.errors import TidingsError
from drafts.keyset import Page
from drafts.lifecycle import PostStatus
from drafts.queueing import PlannedPost, calendar_cells, calendar_counts, channel_day_posts
from drafts.storage import Database
from drafts.times import utcnow, zone
from scheduler.connections import connections
from tidings.web.auth import Viewer
from tidings.web.context import WebContext, off_loop
from tidings.web.pages import UI_LANGUAGE, when
from tidings.web.post_cards import credential_line
from tidings.web.preferences import NOT_A_ZONE, timezone_names
from tidings.web.series_labels import occurrence_labels
from tidings.web.translations import babel_locale
from tidings.web.vocabulary import POST_STATUS_WORDS, translated

# What the calendar shows, in the order its legend lists them.
SHOWN_STATUSES: tuple[PostStatus, ...] = (
    PostStatus.SCHEDULED,
    PostStatus.PUBLISHING,
    PostStatus.RETRYING,
    PostStatus.PUBLISHED,
    PostStatus.FAILED,
    PostStatus.NEEDS_ATTENTION,
)
STATUS_WORDS: dict[str, str] = {status: POST_STATUS_WORDS[status] for status in SHOWN_STATUSES}
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
FIRST_YEAR, LAST_YEAR = 1970, 9998
# The entries a cell (a channel's day) shows; "+N more" opens the day's list of the rest.
CELL_CAP = 3
# The entries a page of a channel's day shows.
DAY_PAGE = 50
# The channels (rows) a page of the calendar shows.
CHANNEL_ROWS = 20


@dataclass(frozen=True)
class Week:
    """An ISO week (Monday to Sunday) read in ``zone``."""

    monday: date
    zone: ZoneInfo

    @property
    def label(self) -> str:
        year, number, _ = self.monday.isocalendar()
        return f"{year}-W{number:02d}"

    @property
    def days(self) -> tuple[date, ...]:
        return tuple(self.monday + timedelta(days=n) for n in range(7))

    @property
    def start(self) -> datetime:
        """The week's first instant, in UTC."""
        return _midnight(self.monday, self.zone)

    @property
    def end(self) -> datetime:
        """The next week's first instant, in UTC (the range is ``[start, end)``)."""
        return _midnight(self.monday + timedelta(days=7), self.zone)

    def step(self, weeks: int) -> Week | None:
        """The week ``weeks`` away, or None past the years the calendar shows."""
        monday = self.monday + timedelta(weeks=weeks)
        if not FIRST_YEAR <= monday.isocalendar()[0] <= LAST_YEAR:
            return None
        return Week(monday, self.zone)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    # fold=0: where clocks skip midnight, the day starts at the jump; where midnight repeats,
    # at its first occurrence. Either way every instant of the day falls after it.
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def week_of(instant: datetime, tz: ZoneInfo) -> Week:
    """The week ``instant`` falls in, in ``tz``."""
    local = instant.astimezone(tz).date()
    return Week(local - timedelta(days=local.weekday()), tz)


def parse_week(text: str, tz: ZoneInfo, gettext: Callable[[str], str]) -> Week:
    """``2026-W49`` as a ``Week``; ``TidingsError`` (one line, in ``gettext``'s language)
    when it names none."""
    found = _WEEK.match(text.strip())
    if found is None:
        message = gettext("week: %(text)s is not a week such as 2026-W49")
        raise TidingsError(message % {"text": repr(text)})
    year, number = int(found[1]), int(found[2])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        message = gettext("week: %(text)s is outside %(first)s–%(last)s")
        raise TidingsError(message % {"text": repr(text), "first": FIRST_YEAR, "last": LAST_YEAR})
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError:
        message = gettext("week: %(year)s has no week %(number)s")
        raise TidingsError(message % {"year": year, "number": number}) from None
    return Week(monday, tz)


def parse_zone(text: str, gettext: Callable[[str], str]) -> ZoneInfo:
    """The zone named in ``?tz=``; ``TidingsError`` (in ``gettext``'s language) otherwise."""
    try:
        return zone(text.strip())
    except ValueError:
        raise TidingsError(gettext(NOT_A_ZONE) % {"field": "tz", "name": repr(text)}) from None


@dataclass(frozen=True)
class Entry:
    """One post in the calendar."""

    post_id: int
    draft_id: int
    title: str
    channel: str
    language: str
    status: str
    due_at: datetime
    local: datetime  # due_at in the calendar's zone
    # Formatted once here: hundreds of entries a week make per-entry template filters costly.
    due_iso: str
    due_shown: str
    clock: str
    credential_problem: str | None = None  # its channel cannot send it when it is due
    occurrence: str | None = None  # ``3/8``: its occurrence of a repeating draft
    part: int = 1  # of its chain: a later part is an entry only when it stopped the chain
    parts: int = 1


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    platform: str
    configured: bool
    days: tuple[tuple[Entry, ...], ...]  # seven, Monday first, each at most CELL_CAP
    more: tuple[int, ...] = (0,) * 7  # how many more each day holds than it shows


@dataclass(frozen=True)
class CalendarView:
    week: Week
    previous: Week | None
    next: Week | None
    current: Week  # the week of today, in the calendar's zone
    today: date
    rows: tuple[ChannelRow, ...]  # this page's
    posts: int  # the week's, on every page
    page: int = 1  # of the week's rows, CHANNEL_ROWS a page
    pages: int = 1
    first_row: int = 1  # the number of this page's first row, of ``channels``
    channels: tuple[str, ...] = ()  # the channels of every page's rows, in their order


def load_calendar(
    database: Database,
    config: Config,
    week: Week,
    now: datetime,
    gettext: Callable[[str], str],
    page: int = 1,
) -> CalendarView:
    """Page ``page`` (past the last: the last) of the week's rows (``_week_rows``),
    ``CHANNEL_ROWS`` a page. Each post still to be sent comes with its channel's credential
    problem (in ``gettext``'s language)."""
    bounds = _bounds(week)
    configured = {channel.id for channel in config.channels}
    with database.reading() as session:
        channels, counts = _week_rows(session, config, bounds)
        pages = max(1, -(-len(channels) // CHANNEL_ROWS))
        number = min(page, pages)
        first_row = (number - 1) * CHANNEL_ROWS
        shown = channels[first_row : first_row + CHANNEL_ROWS]
        found = calendar_cells(
            session,
            bounds=bounds,
            statuses=SHOWN_STATUSES,
            later_parts=SETTLEABLE,
            cap=CELL_CAP,
            channels=shown,
        )
        posts = [post for _, post in found]
        check = CredentialCheck(config, connections(session), os.environ, now)
        labels = occurrence_labels(session, posts, config.zone)
    tz = week.zone
    cells: dict[str, list[list[Entry]]] = {channel: [[] for _ in range(7)] for channel in shown}
    platforms: dict[str, str] = {channel.id: channel.platform for channel in config.channels}
    entry = partial(_entry, check=check, labels=labels, gettext=gettext, tz=tz)
    for day, post in found:
        platforms.setdefault(post.channel, post.platform)
        cells[post.channel][day].append(entry(post))
    channel_rows = tuple(
        ChannelRow(
            channel=channel,
            # A channel no longer configured is known by its posts shown; on PostgreSQL
            # they may have gone between the counts and the cells (two statements).
            platform=platforms.get(channel, ""),
            configured=channel in configured,
            days=tuple(tuple(day) for day in cells[channel]),
            more=tuple(
                counts.get((channel, n), 0) - len(day) for n, day in enumerate(cells[channel])
            ),
        )
        for channel in shown
    )
    return CalendarView(
        week=week,
        previous=week.step(-1),
        next=week.step(1),
        current=week_of(now, tz),
        today=now.astimezone(tz).date(),
        rows=channel_rows,
        posts=sum(counts.values()),
        page=number,
        pages=pages,
        first_row=first_row + 1,
        channels=tuple(channels),
    )


def _bounds(week: Week) -> list[datetime]:
    """The week's days as the calendar's queries take them: each day's start, then the end."""
    return [_midnight(day, week.zone) for day in week.days] + [week.end]


def _week_rows(
    session: Session, config: Config, bounds: list[datetime]
) -> tuple[list[str], dict[tuple[str, int], int]]:
    """The week's rows (a row per configured channel, in the configuration's order, then one
    per channel no longer configured that still has posts in the week), and how many posts
    each cell holds (``calendar_counts``)."""
    counts = calendar_counts(
        session, bounds=bounds, statuses=SHOWN_STATUSES, later_parts=SETTLEABLE
    )
    configured = [channel.id for channel in config.channels]
    gone = sorted({channel for channel, _ in counts} - set(configured))
    return [*configured, *gone], counts


def page_of_channel(database: Database, config: Config, week: Week, channel: str) -> int | None:
    """The page of the week's rows holding ``channel``'s (None: it has none that week)."""
    with database.reading() as session:
        channels, _ = _week_rows(session, config, _bounds(week))
    return channels.index(channel) // CHANNEL_ROWS + 1 if channel in channels else None


def parse_page(text: str, gettext: Callable[[str], str]) -> int:
    """``2`` as a page's number; ``TidingsError`` naming ``page`` for anything else."""
    number = int(text) if text.isascii() and text.isdecimal() and len(text) <= 6 else 0
    if number < 1:
        raise TidingsError(
            gettext("page: %(text)s is not a page number such as 2") % {"text": repr(text)}
        )
    return number


def _entry(
    post: PlannedPost,
    *,
    check: CredentialCheck,
    labels: dict[int, str],
    gettext: Callable[[str], str],
    tz: ZoneInfo,
) -> Entry:
    local = post.due_at.astimezone(tz)
    problem = check.problem(post.channel, post.due_at) if post.status in STILL_TO_SEND else None
    return Entry(
        post_id=post.id,
        draft_id=post.draft_id,
        title=post.title,
        channel=post.channel,
        language=post.language,
        status=post.status,
        due_at=post.due_at,
        local=local,
        due_iso=post.due_at.isoformat(),
        due_shown=when(post.due_at, local.tzinfo or UTC),
        clock=f"{local.hour:02d}:{local.minute:02d}",
        credential_problem=credential_line(problem, gettext, tz),
        occurrence=labels.get(post.id),
        part=post.part,
        parts=post.parts,
    )


@dataclass(frozen=True)
class DayView:
    """A page of one channel's posts on one day (what a calendar cell holds, past its cap)."""

    channel: str
    day: date
    week: Week
    entries: tuple[Entry, ...]
    after: str | None  # the token of the next page; None: the last


def load_channel_day(
    database: Database,
    config: Config,
    channel: str,
    day: date,
    tz: ZoneInfo,
    now: datetime,
    gettext: Callable[[str], str],
    after: str | None = None,
) -> DayView:
    """A page of ``DAY_PAGE`` of ``channel``'s posts on ``day`` in ``tz``, as the calendar shows
    them, after the place ``after`` names."""
    start, end = _midnight(day, tz), _midnight(day + timedelta(days=1), tz)
    with database.reading() as session:
        page: Page[PlannedPost] = channel_day_posts(
            session,
            channel=channel,
            start=start,
            end=end,
            statuses=SHOWN_STATUSES,
            later_parts=SETTLEABLE,
            size=DAY_PAGE,
            after=after,
        )
        check = CredentialCheck(config, connections(session), os.environ, now)
        labels = occurrence_labels(session, page.rows, config.zone)
    entry = partial(_entry, check=check, labels=labels, gettext=gettext, tz=tz)
    entries = tuple(entry(post) for post in page.rows)
    return DayView(channel, day, week_of(start, tz), entries, page.after)


def parse_day(text: str, gettext: Callable[[str], str]) -> date:
    """``2026-12-02`` as a date; ``TidingsError`` naming ``day`` otherwise."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        day = None
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        message = gettext("day: %(text)s is not a date such as 2026-12-02")
        raise TidingsError(message % {"text": repr(text)})
    return day


def day_link(channel: str, day: date, chosen_zone: str | None, after: str | None = None) -> str:
    query = {
        "channel": channel,
        "day": day.isoformat(),
        **({"tz": chosen_zone} if chosen_zone else {}),
        **({"after": after} if after else {}),
    }
    return "/calendar/day?" + urlencode(query, safe="/")


def day_heading(day: date, language: str = UI_LANGUAGE) -> str:
    """The day as a column heads it, in ``language``: ``Mon, Nov 30``, ``11월 30일 (월)``."""
    return str(format_skeleton("MMMEd", day, locale=babel_locale(language)))


def week_title(week: Week, language: str = UI_LANGUAGE) -> str:
    """The week's dates, in ``language``: ``Nov 30 – Dec 6, 2026``, ``2026년 11월 30일~12월 6일``."""
    return str(format_interval(week.days[0], week.days[-1], "yMMMd", locale=babel_locale(language)))


def week_link(
    week: Week, chosen_zone: str | None, page: int = 1, channel: str | None = None
) -> str:
    """The calendar's ``week`` in the zone chosen, at a page of its rows or at a channel's."""
    query = {
        "week": week.label,
        **({"tz": chosen_zone} if chosen_zone else {}),
        **({"page": str(page)} if page > 1 else {}),
        **({"channel": channel} if channel else {}),
    }
    return "/calendar?" + urlencode(query, safe="/")


def routes(web: WebContext) -> list[Route]:
    async def calendar(request: Request) -> Response:
        viewer: Viewer = request.state.viewer
        _ = web.pages.gettext(request)
        asked_zone = request.query_params.get("tz", "").strip()
        tz = parse_zone(asked_zone, _) if asked_zone else viewer.zone
        asked_week = request.query_params.get("week", "").strip()
        now = utcnow()
        week = parse_week(asked_week, tz, _) if asked_week else week_of(now, tz)
        chosen_zone = tz.key if asked_zone else None
        channel = request.query_params.get("channel", "").strip()
        if channel:  # to the page holding its row, at its row
            held = await off_loop(page_of_channel, web.database, web.config, week, channel)
            place = f"#channel-{quote(channel)}" if held else ""
            return RedirectResponse(week_link(week, chosen_zone, held or 1) + place, 303)
        asked_page = request.query_params.get("page", "").strip()
        page = parse_page(asked_page, _) if asked_page else 1
        view = await off_loop(load_calendar, web.database, web.config, week, now, _, page)
        language = web.pages.language(request)
        return web.pages.render(
            request,
            "calendar.html",
            view=view,
            zone=tz,
            chosen_zone=chosen_zone,
            zones=timezone_names(),
            statuses=SHOWN_STATUSES,
            # Translated once a page: a week can hold hundreds of entries.
            status_words=translated(STATUS_WORDS, _),
            week_title=week_title(week, language),
            day_heading=partial(day_heading, language=language),
            week_link=week_link,
            day_link=day_link,
        )

    async def channel_day(request: Request) -> Response:
        viewer: Viewer = request.state.viewer
        _ = web.pages.gettext(request)
        asked_zone = request.query_params.get("tz", "").strip()
        tz = parse_zone(asked_zone, _) if asked_zone else viewer.zone
        day = parse_day(request.query_params.get("day", ""), _)
        channel = request.query_params.get("channel", "").strip()
        after = request.query_params.get("after") or None
        now = utcnow()
        view = await off_loop(
            load_channel_day, web.database, web.config, channel, day, tz, now, _, after
        )
        language = web.pages.language(request)
        chosen_zone = tz.key if asked_zone else None
        return web.pages.render(
            request,
            "calendar_day.html",
            view=view,
            zone=tz,
            chosen_zone=chosen_zone,
            status_words=translated(STATUS_WORDS, _),
            day_title=day_heading(day, language),
            week_href=week_link(view.week, chosen_zone, channel=channel),  # lands at its row
            next_href=day_link(channel, day, chosen_zone, view.after) if view.after else None,
        )

    return [
        Route("/calendar", calendar, methods=["GET"]),
        Route("/calendar/day", channel_day, methods=["GET"]),
    ]
