"""Every page on a 375 px phone and a 1280 px laptop, in English and in Korean (issue 17 point 7).

An author, a reviewer and an admin each visit every page they can open (the desk and its
groups, the inbox, compose, each draft's page in every state, edit, the confirmations of
publish now, unschedule and cancel, the calendar and a day of it, what needs attention, a post's outcome, the
channels and their connect pages, the users, preferences, a draft that does not exist), and a
visitor who is not logged in the login page and the error pages, over a working week's data:
drafts in every state, posts scheduled, published, failed and needing a person, a photo. Each
page is opened once and read at both widths (the window resized). On each page:

- nothing is wider than the window (``scrollWidth <= innerWidth``); a failure names the
  outermost elements that stick out and how wide they are; no table squeezes its text into
  columns a few letters wide (a week's seven columns on a phone), and at 1280 px no day of the
  calendar's week is narrower than a title's long word;
- in Korean, no text a person reads (text, tooltips, placeholders, labels) is English, except
  what people and platforms wrote (titles, comments, alt text, a platform's reply: the test
  knows them), text inside ``translate="no"`` or inside an element whose ``lang`` is another
  language, and names (brands, platforms, users, channel ids, URLs, timezones, variables).

The pages only read the week, so one week serves the whole module: its database, the app and
each person's login are made once (a test sets its person's language, then opens a fresh
browser context with their cookies).

Screenshots: ``tests/artifacts/phone-<role>-<page>-<language>-<width>.png``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import tomli_w
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, StorageState, expect

from drafts.authoring import add_draft, draft_posts
from drafts.config import Config
from drafts.draft_file import read_draft_file
from drafts.lifecycle import PostStatus
from drafts.media_store import clean, keep
from drafts.models import Post
from drafts.queueing import cancel_draft
from drafts.rendering import TemplateLibrary
from drafts.review import approve, request_changes, submit
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role, find_user
from tests.browser.conftest import CONFIG, Browsing, app_served, browsing_only, screenshot
from tests.conftest import make_config, sqlite_database
from tests.web.conftest import Person, add_people
from tests.web.scheduling import add_attempts, settle
from tidings.web.calendar import day_link

WIDTHS = (375, 1280)
PARTS = ("drafts", "more-drafts", "actions", "lists", "settings")
LANGUAGES = ("en", "ko")
ROLES = {"author": "mina", "reviewer": "joon", "admin": "hana"}
MORE_CHANNELS = """
[[channels]]
id = "bluesky"
platform = "bluesky"
languages = ["en", "ko"]
handle = "riverside-community-garden.bsky.social"
password_env = "TIDINGS_TEST_BLUESKY_PASSWORD"
slots = ["mon-fri 09:00", "mon-fri 12:30", "sat 10:00"]

[[channels]]
id = "telegram-ko"
platform = "telegram"
languages = ["ko"]
chat_id = "@riverside_community_news"
token_env = "TIDINGS_TEST_TELEGRAM_TOKEN"
timezone = "Asia/Seoul"
"""
TEXT = {
    "en": "The riverside park is open again: new paths, more shade and a playground. "
    "Details and the map: https://example.org/news/2026/riverside-park-reopens-with-new-paths",
    "ko": "강변 공원이 다시 문을 열었습니다. 새 산책로와 그늘, 놀이터가 생겼습니다. "
    "자세한 안내: https://example.org/news/2026/riverside-park-reopens-with-new-paths",
}
TITLES = {
    "draft": "Summer reading club: sign-ups open on Monday",
    "in-review": "Library opening hours change over the holidays, from 24 December to 2 January",
    "changes": "Volunteer day at the riverside",
    "approved": "Council meeting minutes are online",
    "scheduled": "Farmers' market moves to the square",
    "published": "Riverside park reopens",
    "cancelled": "Concert in the park (called off for rain)",
    "photo": "Riverside planting day · 강변 나무 심기",
    "waiting": "Road works on Elm Street: the number 12 bus takes a detour for two weeks",
}
COMMENT = "Please add the meeting point and say whether children may come."
ALT = {
    "en": "Volunteers in green gloves setting a young maple into fresh soil",
    "ko": "초록 장갑을 낀 자원봉사자들이 어린 단풍나무를 심는 모습",
}
PLATFORM_SAID = "403 Forbidden: You are not permitted to perform this action"  # X's own words
REMOTE_ID = "urn:li:share:7213459981234567890"

# Words a Korean page may show in Latin letters: names and abbreviations, not English (user
# names, channel ids and the channels' languages are added per test).
NAMES = {
    *("Tidings", "LinkedIn", "X", "Bluesky", "Mastodon", "Facebook", "Threads", "Telegram"),
    *("Webhook", "OAuth", "WebP", "ms"),
}
# Typed text a page isolates (U+2068 … U+2069, as in a page's title), addresses, handles and
# identifiers, timezone names, environment variables, commands and names in code (an error's
# class, ReadTimeout): shown as they are.
AS_THEY_ARE = re.compile(
    r"\u2068[^\u2069]*\u2069|\b(?:https?://|www\.|urn:)\S*|@[\w.]+|\b[\w.-]+\.(?:social|org|com|net|co)\b"
    r"|\b[A-Z][A-Za-z_]+(?:/[A-Za-z0-9_+-]+)+|\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|\btidings [a-z]+"
    r"|\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b"
)
ABBREVIATION = re.compile(r"[A-Z]{2,5}")  # KST, UTC, HTTP, JPEG, KB, ...
WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")

# The outermost elements sticking out of the window: each one whose parent fits, not the
# children that stick out with it; skipped inside a box that scrolls or clips on its own.
WIDER_THAN_THE_WINDOW = """() => {
    const limit = document.documentElement.clientWidth;
    const clipped = (el) => {
        for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
            if (getComputedStyle(up).overflowX !== "visible") return true;
        }
        return false;
    };
    const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + [...el.classList].map((c) => "." + c).join("");
    const path = (el) => {
        const parts = [];
        for (let at = el; at && at !== document.body; at = at.parentElement) parts.unshift(name(at));
        return parts.slice(-4).join(" > ");
    };
    const sticksOut = (el) => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && (box.right > limit + 0.5 || box.left < -0.5);
    };
    const found = [];
    for (const el of document.body.querySelectorAll("*")) {
        if (!sticksOut(el) || clipped(el)) continue;
        if (el.parentElement !== document.body && sticksOut(el.parentElement)) continue;
        const box = el.getBoundingClientRect();
        found.push(`${path(el)} (${Math.round(box.left)}..${Math.round(box.right)} px)`);
    }
    return found;
}"""

# Table cells too narrow to read: some text in a column narrower than two or three letters (as a
# week of seven columns is on a phone).
SQUEEZED_CELLS = """() => {
    const found = [];
    for (const cell of document.querySelectorAll("main td, main th")) {
        const box = cell.getBoundingClientRect();
        const text = cell.innerText.trim();
        if (box.width > 0 && box.width < 36 && text.length > 3) {
            found.push(`${cell.tagName.toLowerCase()} ${JSON.stringify(text.slice(0, 30))} `
                + `(${Math.round(box.width)} px)`);
        }
    }
    return found;
}"""

# A laptop's week: a day's column narrower than a title's long word ("Communications", about
# 120 px) breaks the word inside itself. The days' headings, each with its width.
NARROW_DAYS = """() => [...document.querySelectorAll("table.calendar thead th[class^='day-']")]
    .map((day) => [day.innerText.trim(), Math.round(day.getBoundingClientRect().width)])
    .filter(([, width]) => width < 150)
    .map(([text, width]) => `${text} (${width} px)`)"""

# Every text a person reads on the page, with where it is: text nodes and the attributes shown
# as text (a tooltip, a placeholder, what a screen reader says), except user content.
READ_TEXTS = """() => {
    const page = document.documentElement.lang;
    const skipped = (el) => el.closest("script, style, [translate='no']")
        || (el.closest("[lang]") && !el.closest("[lang]").lang.startsWith(page));
    const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + [...el.classList].slice(0, 2).map((c) => "." + c).join("");
    const found = [];
    const walker = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent.trim();
        if (text && !skipped(node.parentElement)) found.push([name(node.parentElement), text]);
    }
    const shown = ["title", "placeholder", "aria-label", "alt", "data-label"];
    for (const el of document.querySelectorAll(shown.map((a) => `[${a}]`).join(", "))) {
        if (skipped(el)) continue;
        for (const attribute of shown) {
            const text = (el.getAttribute(attribute) || "").trim();
            if (text) found.push([`${name(el)}[${attribute}]`, text]);
        }
    }
    return found;
}"""


@dataclass(frozen=True)
class Week:
    """A working week's drafts and posts: each page the test opens is named after what it shows."""

    drafts: dict[str, int]  # the draft in each state, and the one with a photo
    posts: dict[str, int]  # a post published, one failed, one that needs a person
    day: str  # the calendar's day page of a scheduled post's channel
    typed: tuple[str, ...]  # what people and platforms wrote: shown as written, in any language


@pytest.fixture(scope="module")
def config() -> Config:
    """The browser tests' LinkedIn and X channels, with Bluesky and a Korean Telegram besides."""
    return make_config(CONFIG + MORE_CHANNELS)


@pytest.fixture(scope="module")
def database(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The week's database, migrated, for the whole module."""
    db = sqlite_database(sqlite_template, tmp_path_factory.mktemp("phone-layout"))
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def people(database: Database) -> dict[str, Person]:
    """An author (mina), two reviewers (joon, ara) and an admin (hana)."""
    return add_people(
        database,
        {"mina": Role.AUTHOR, "joon": Role.REVIEWER, "ara": Role.REVIEWER, "hana": Role.ADMIN},
    )


def photo() -> bytes:
    """A JPEG with something in it, as a phone would make."""
    image = Image.new("RGB", (1200, 800), (40, 110, 60))
    draw = ImageDraw.Draw(image)
    for x in range(0, 1200, 60):
        draw.rectangle((x, 400, x + 20, 800), fill=(230, 200, 60))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@dataclass(frozen=True)
class Authoring:
    """mina writes drafts through the service layer; joon reviews them."""

    database: Database
    config: Config
    library: TemplateLibrary

    def draft(self, title: str, **more: object) -> int:
        """A new draft on every channel, in English and Korean; not yet sent to review."""
        source = tomli_w.dumps(
            {
                "kind": "update",
                "title": title,
                "channels": [channel.id for channel in self.config.channels],
                "text": TEXT,
                **more,
            }
        )
        content = read_draft_file(source, "phone.toml", self.config, utcnow())
        with self.database.writing() as session:
            draft = add_draft(
                session,
                content=content,
                author=find_user(session, "mina"),
                config=self.config,
                library=self.library,
            )
            assert draft.id is not None
            return draft.id

    def submitted(self, title: str, **more: object) -> int:
        draft_id = self.draft(title, **more)
        with self.database.writing() as session:
            submit(session, draft_id=draft_id, actor=find_user(session, "mina"), config=self.config)
        return draft_id

    def approved(self, title: str, **more: object) -> int:
        draft_id = self.submitted(title, **more)
        with self.database.writing() as session:
            joon = find_user(session, "joon")
            approve(
                session,
                draft_id=draft_id,
                reviewer=joon,
                comment="",
                config=self.config,
                now=utcnow(),
            )
        return draft_id

    def sent_back(self, title: str, comment: str) -> int:
        draft_id = self.submitted(title)
        with self.database.writing() as session:
            joon = find_user(session, "joon")
            request_changes(
                session, draft_id=draft_id, reviewer=joon, comment=comment, config=self.config
            )
        return draft_id

    def cancelled(self, title: str) -> int:
        draft_id = self.submitted(title)
        with self.database.writing() as session:
            cancel_draft(session, draft_id=draft_id, actor=find_user(session, "hana"))
        return draft_id

    def with_photo(self, title: str) -> int:
        with self.database.writing() as session:
            stored = keep(session, clean(photo(), "planting.jpg"))
        return self.submitted(title, media=[{"sha256": stored.sha256, "alt": ALT}])

    def post(self, draft_id: int, channel: str, language: str) -> int:
        with self.database.reading() as session:
            posts = draft_posts(session, draft_id)
        post = next(p for p in posts if p.channel == channel and p.language == language)
        assert post.id is not None
        return post.id


def went_out(database: Database, post_id: int, status: PostStatus, reason: str) -> None:
    """The post tried an hour ago by the daemon and left in ``status``."""
    with database.writing() as session:
        post = session.get(Post, post_id)
        assert post is not None
        post.due_at = utcnow() - timedelta(hours=1)
        if status == PostStatus.PUBLISHED:
            post.remote_id = REMOTE_ID
    settle(database, post_id, status, reason)


@pytest.fixture(scope="module")
def week(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, Person]
) -> Week:
    """Drafts in every state, posts in every outcome, and a photo."""
    write = Authoring(database, config, library)
    soon = (utcnow() + timedelta(hours=2)).isoformat(timespec="seconds")
    drafts = {
        "draft": write.draft(TITLES["draft"]),
        "in-review": write.submitted(TITLES["in-review"]),
        "changes": write.sent_back(TITLES["changes"], COMMENT),
        "approved": write.approved(TITLES["approved"]),
        "scheduled": write.approved(TITLES["scheduled"], publish_at=soon),
        "published": write.approved(TITLES["published"], publish_at=soon),
        "cancelled": write.cancelled(TITLES["cancelled"]),
        "photo": write.with_photo(TITLES["photo"]),
    }
    for _ in range(3):
        write.submitted(TITLES["waiting"])
    published = write.post(drafts["published"], "linkedin", "en")
    failed = write.post(drafts["published"], "x-en", "en")
    attention = write.post(drafts["published"], "bluesky", "ko")
    add_attempts(
        database,
        published,
        {
            "outcome": "published",
            "http_status": 201,
            "duration_ms": 840,
            "remote_id": REMOTE_ID,
        },
    )
    went_out(database, published, PostStatus.PUBLISHED, "published")
    add_attempts(
        database,
        failed,
        {
            "outcome": "failed",
            "http_status": 403,
            "duration_ms": 310,
            "error": f"refused ({PLATFORM_SAID})",
        },
    )
    went_out(database, failed, PostStatus.FAILED, f"refused ({PLATFORM_SAID})")
    timed_out = "no answer in time after sending (ReadTimeout)"
    add_attempts(
        database, attention, {"outcome": "unknown", "duration_ms": 30000, "error": timed_out}
    )
    went_out(
        database,
        attention,
        PostStatus.NEEDS_ATTENTION,
        f"{timed_out}; the post may or may not be live and the platform offers no way to tell, "
        "so it was not sent again: check the channel, then mark it published or retry it",
    )
    with database.reading() as session:
        assert {p.status for p in draft_posts(session, drafts["scheduled"])} == {
            PostStatus.SCHEDULED
        }
        first = draft_posts(session, drafts["scheduled"])[0]
    assert first.due_at is not None
    day = day_link(first.channel, first.due_at.astimezone(config.zone).date(), None)
    posts = {"published": published, "failed": failed, "attention": attention}
    typed = (*TITLES.values(), COMMENT, *ALT.values(), PLATFORM_SAID, REMOTE_ID)
    return Week(drafts, posts, day, tuple(sorted(typed, key=len, reverse=True)))


@pytest.fixture(scope="module")
def server_url(config: Config, database: Database) -> Iterator[str]:
    """The app over the week, for the whole module."""
    with pytest.MonkeyPatch.context() as patch, app_served(config, database, patch) as origin:
        yield origin


@pytest.fixture(scope="module")
def signed_in(
    chromium: Browser, server_url: str, people: dict[str, Person]
) -> dict[str, StorageState]:
    """Each role's person logged in once, through the login page: their cookies, by role."""
    with browsing_only(chromium, server_url) as browsing:
        states = {}
        for role, name in ROLES.items():
            page = browsing.open().new_page()
            log_in(page, people[name])
            states[role] = page.context.storage_state()
    return states


def pages_for(role: str, week: Week) -> dict[str, dict[str, str]]:
    """Every page ``role`` can open, by name, in parts of about the same length (one test each):
    the drafts' pages in two, the pages that act on a draft, the lists, the settings.
    ``/users`` is refused to all but the admin (the error page), compose and edit to the
    reviewer."""
    shown = {f"draft-{state}": f"/drafts/{draft_id}" for state, draft_id in week.drafts.items()}
    names = list(shown)
    scheduled = week.drafts["scheduled"]
    actions = {
        f"confirm-{action}": f"/drafts/{scheduled}/{action}"
        for action in ("publish-now", "unschedule", "cancel")
    }
    if role != "reviewer":
        actions |= {
            "compose": "/compose",
            "edit": f"/drafts/{week.drafts['changes']}/edit",
            "edit-photo": f"/drafts/{week.drafts['photo']}/edit",
        }
    lists = {
        "desk": "/",
        "desk-changes": "/?group=changes_requested",
        "desk-published": "/?group=published",
        "inbox": "/inbox",
        "calendar": "/calendar",
        "calendar-day": week.day,
        "attention": "/attention",
        **{f"post-{name}": f"/posts/{post_id}" for name, post_id in week.posts.items()},
    }
    settings = {
        "channels": "/channels",
        "preferences": "/preferences",
        "users": "/users",
        "not-found": "/drafts/999999",
    }
    if role == "admin":
        settings |= {
            "connect-form": "/channels/bluesky/connect",
            "connect-oauth": "/channels/linkedin/connect",
        }
    return {
        "drafts": {name: shown[name] for name in names[:4]},
        "more-drafts": {name: shown[name] for name in names[4:]},
        "actions": actions,
        "lists": lists,
        "settings": settings,
    }


@dataclass(frozen=True)
class AsWritten:
    """What a Korean page may show in Latin letters without it being English: names (brands,
    platforms, users, the words of channel ids, language tags) and what people and platforms
    typed."""

    names: frozenset[str]
    typed: tuple[str, ...] = ()  # longest first, so a title is taken before a word of it

    def english(self, text: str) -> bool:
        for written in self.typed:
            text = text.replace(written, " ")
        text = AS_THEY_ARE.sub(" ", text)
        words = WORD.findall(text)
        return any(
            len(word) > 1 and word not in self.names and not ABBREVIATION.fullmatch(word)
            for word in words
        )


def as_written(config: Config, people: dict[str, Person], typed: tuple[str, ...] = ()) -> AsWritten:
    ids = {part for channel in config.channels for part in re.split(r"[-_]", channel.id)}
    languages = {language for channel in config.channels for language in channel.languages}
    return AsWritten(frozenset(NAMES | set(people) | ids | languages), typed)


def check(page: Page, name: str, language: str, allowed: AsWritten) -> list[str]:
    """The page as it is now at each width: what is wrong with it (too wide, squeezed, English),
    and a screenshot."""
    problems = []
    if language == "ko":
        problems += [
            f"{name}: English in {where}: {text!r}"
            for where, text in page.evaluate(READ_TEXTS)
            if allowed.english(text)
        ]
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > width:
            culprits = "; ".join(page.evaluate(WIDER_THAN_THE_WINDOW)[:4])
            problems.append(f"{name} is {wide} px wide in a {width} px window: {culprits}")
        if squeezed := page.evaluate(SQUEEZED_CELLS):
            problems.append(f"{name} at {width} px squeezes table cells: {'; '.join(squeezed[:4])}")
        if width >= 1280 and (narrow := page.evaluate(NARROW_DAYS)):
            problems.append(f"{name} at {width} px has narrow days: {'; '.join(narrow[:3])}")
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, f"phone-{name}-{language}-{width}")
    return problems


def log_in(page: Page, person: Person) -> None:
    """Log in through the login page, in whichever language it speaks."""
    page.goto("/login")
    page.locator('input[name="name"]').fill(person.name)
    page.locator('input[name="password"]').fill(person.password)
    page.locator('button[type="submit"]').click()
    expect(page.locator(".who")).to_contain_text(person.name)


def opened(browsing: Browsing, language: str, cookies: StorageState | None = None) -> Page:
    """A browser whose every request asks for ``language`` (the context's locale would send
    its own with a navigation), with ``cookies`` (someone logged in) or none."""
    page = browsing.open(storage_state=cookies).new_page()
    page.route(
        "**/*",
        lambda route: route.fallback(
            headers={**route.request.headers, "accept-language": language}
        ),
    )
    return page


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_fits_the_window_and_speaks_the_language(
    role: str,
    language: str,
    part: str,
    browsing: Browsing,
    people: dict[str, Person],
    week: Week,
    signed_in: dict[str, StorageState],
    config: Config,
    database: Database,
) -> None:
    with database.writing() as session:
        find_user(session, ROLES[role]).language = language
    page = opened(browsing, language, signed_in[role])
    allowed = as_written(config, people, week.typed)
    problems = []
    for page_name, path in pages_for(role, week)[part].items():
        page.goto(path)
        expect(page.locator("main")).to_be_visible()
        expect(page.locator(".who")).to_contain_text(ROLES[role])  # still logged in
        problems += check(page, f"{role}-{page_name}", language, allowed)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_login_and_error_pages_fit_the_window_and_speak_the_language(
    language: str, browsing: Browsing, people: dict[str, Person], config: Config
) -> None:
    page = opened(browsing, language)
    allowed = as_written(config, people)
    problems = []
    page.goto("/login")
    problems += check(page, "visitor-login", language, allowed)
    page.locator('input[name="name"]').fill("mina")
    page.locator('input[name="password"]').fill("not her password")
    page.locator('button[type="submit"]').click()
    expect(page.locator(".error")).to_be_visible()
    problems += check(page, "visitor-login-refused", language, allowed)
    page.goto("/no-such-page")
    problems += check(page, "visitor-not-found", language, allowed)
    assert not problems, "\n".join(problems)
