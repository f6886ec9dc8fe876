"""A working day in Chromium, end to end (issue 17, "Done when"): an author's day and a
reviewer's day, in English and in Korean, on a 1280 px laptop and on a 375 px phone.

The author logs in to a desk with nothing on it, composes an update from its template (the
template first, then the title, the channels and the fields, the Korean ones of their own),
gives X a shorter text of its own, saves and submits, and finds the draft in review on the
desk. The reviewer's comment then waits on the desk and on the draft page; she makes the
changes and submits again; once approved she schedules it in the next free slot from the draft
page, unschedules it, and publishes it now. A daemon's drain (in a thread: Playwright's event
loop holds this one) publishes each post once on the sandbox, and the desk shows the draft as
published this week.

The reviewer finds the inbox on top of the desk, opens the draft, reads each platform's
preview (X's t.co links, LinkedIn's "see more" fold), asks for changes with a comment, and once
the author has edited reads what changed since, each change once with the channels it touches,
and approves. What the other person does meanwhile is done through the services.

Each step is checked as ``test_phone_layout`` checks every page (its checks, imported): nothing
wider than the window and, in Korean, no English besides what people typed. Screenshots:
``tests/artifacts/day-<role>-<language>-<width>-<step>.png``.
"""

from __future__ import annotations

import re
import secrets
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
import tomli_w
from playwright.sync_api import Page, expect

from drafts.authoring import add_draft, draft_posts, edit_draft
from drafts.channels import PLATFORMS
from drafts.config import Config
from drafts.draft_file import read_draft_file
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.rendering import TemplateLibrary
from drafts.review import request_changes, submit
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from scheduler.sandbox import RunningSandbox
from tests.browser.conftest import CONFIG, Browsing, Drafts, screenshot
from tests.browser.test_phone_layout import (
    READ_TEXTS,
    SQUEEZED_CELLS,
    WIDER_THAN_THE_WINDOW,
    AsWritten,
    as_written,
    log_in,
    opened,
)
from tests.conftest import make_config
from tests.integration.publishing import drain
from tests.web.conftest import Person
from tidings.web.language_names import language_name
from tidings.web.session_key import VAULT_SECRET_VARIABLE

TEST_TIMEOUT_S = 90  # a whole day, where a browser test of a page or two has 30 s
# Each interface language at each width: about 60 s for the module on two busy cores (about
# 30 s with English at 1280 px and Korean at 375 px alone).
DAYS = [
    pytest.param(language, width, id=f"{language}-{width}")
    for language in ("en", "ko")
    for width in (1280, 375)
]
TOKENS = {
    "TIDINGS_TEST_LINKEDIN_TOKEN": "linkedin-day-token",
    "TIDINGS_TEST_X_TOKEN": "x-day-token",
}
LINK = "https://example.org/news/2026/riverside-park-reopens-with-new-paths-and-shade"
TITLE = "Riverside park reopens · 강변 공원 재개장"
# The update template's fields in each language, as typed (the points one a line; the hashtags
# and the link are the same in both languages).
FIELDS = {
    "en": {
        "headline": "Riverside park reopens",
        "intro": "The riverside park is open again after a year of works: new paths along the "
        "water, more shade and a playground for the under-tens.",
        "points": "Paths: two kilometres along the river, lit until midnight\n"
        "Trees: 120 plane trees for shade in summer\n"
        "Playground: open every day from 9:00 to 19:00",
    },
    "ko": {
        "headline": "강변 공원 재개장",
        "intro": "1년 동안의 공사를 마치고 강변 공원이 다시 문을 열었습니다. 물가를 따라 새 "
        "산책로와 그늘, 어린이 놀이터가 생겼습니다.",
        "points": "산책로: 강을 따라 2킬로미터, 자정까지 불을 밝힙니다\n"
        "나무: 여름 그늘을 위한 플라타너스 120그루\n"
        "놀이터: 매일 9시부터 19시까지",
    },
}
HASHTAGS = ["Riverside", "Parks"]
# What the reviewer asks for, and the intros that answer it.
OPENING = {"en": " The park opens at 7:00 every day.", "ko": " 공원은 매일 아침 7시에 엽니다."}
COMMENT = {
    "en": "Please say when the park opens each morning.",
    "ko": "공원이 아침 몇 시에 여는지 알려 주세요.",
}
X_TEXT = f"The riverside park is open again: new paths, shade and a playground. {LINK} #Riverside"
# What the pages say, in each interface language (tidings/web/locale/ko).
WORDS = {
    "en": {
        "in review": "in review",
        "changes requested": "changes requested",
        "approved": "approved",
        "scheduled": "scheduled",
        "see more": "…see more",
        "since": "Changed since joon asked for changes",
    },
    "ko": {
        "in review": "검토 중",
        "changes requested": "수정 요청됨",
        "approved": "승인됨",
        "scheduled": "예약됨",
        "see more": "…더 보기",
        "since": "joon 님이 수정을 요청한 뒤 바뀐 내용",
    },
}


@pytest.fixture
def config(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Config:
    """The browser tests' LinkedIn and X channels, posting to the sandbox."""
    for variable, token in TOKENS.items():
        monkeypatch.setenv(variable, token)
    at_sandbox = re.sub(
        r'(\nplatform = "(?:linkedin|x)"\n)', rf'\1base_url = "{sandbox.base_url}"\n', CONFIG
    )
    return make_config(at_sandbox)


@pytest.fixture
def allowed(config: Config, people: dict[str, Person]) -> AsWritten:
    """What a Korean page may show in Latin letters: ``test_phone_layout``'s names, the
    platforms' identifiers (a template's notes name them), the daemon and the host it ran on
    (a history line's actor), and what the author and the reviewer typed."""
    typed = [TITLE, X_TEXT, *COMMENT.values(), LINK, *HASHTAGS, *OPENING.values()]
    for tag, values in FIELDS.items():
        typed += [*values.values(), *values["points"].splitlines(), values["intro"] + OPENING[tag]]
    names = {*PLATFORMS, "daemon", *re.findall(r"[A-Za-z]+", socket.gethostname())}
    base = as_written(config, people, tuple(sorted(set(typed), key=len, reverse=True)))
    return AsWritten(base.names | names, base.typed)


@dataclass
class Day:
    """One person's browser through the day: each step is checked and photographed."""

    page: Page
    role: str
    language: str
    width: int
    allowed: AsWritten
    problems: list[str] = field(default_factory=list)
    steps: int = 0

    def step(self, name: str) -> None:
        """The page as it stands: wider than the window, English in a Korean page; and its
        screenshot, numbered in the day's order."""
        self.steps += 1
        page, where = self.page, f"{self.role} step {self.steps} {name}"
        inner = page.evaluate("window.innerWidth")
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > inner:
            culprits = "; ".join(page.evaluate(WIDER_THAN_THE_WINDOW)[:4])
            self.problems.append(f"{where} is {wide} px wide in {inner} px: {culprits}")
        if squeezed := page.evaluate(SQUEEZED_CELLS):
            self.problems.append(f"{where} squeezes table cells: {'; '.join(squeezed[:4])}")
        if self.language == "ko":
            self.problems += [
                f"{where}: English in {element}: {text!r}"
                for element, text in page.evaluate(READ_TEXTS)
                if self.allowed.english(text)
            ]
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, f"day-{self.role}-{self.language}-{self.width}-{self.steps:02}-{name}")

    def status(self) -> str:
        return self.page.locator(".draft-facts .status").inner_text()


def a_day(
    browsing: Browsing,
    person: Person,
    role: str,
    language: str,
    width: int,
    drafts: Drafts,
    allowed: AsWritten,
) -> Day:
    """``person``'s browser, logged in, in ``language`` (theirs) and ``width`` px wide."""
    drafts.set_language(person.name, language)
    day = Day(opened(browsing, language), role, language, width, allowed)
    day.page.set_viewport_size({"width": width, "height": 900})
    log_in(day.page, person)
    return day


def draft_id_in(page: Page) -> int:
    found = re.search(r"/drafts/(\d+)$", page.url)
    assert found, f"not on a draft page: {page.url}"
    return int(found[1])


def fill_field(page: Page, name: str, value: str, language: str | None = None) -> None:
    """A template field: the same in every language, or (``language``) its own value there,
    behind "Different in each language"."""
    if language is None:
        page.locator(f'[name="field:{name}"]').fill(value)
        return
    row = page.locator(f"#field-{name}")
    if row.locator("details.per-language").get_attribute("open") is None:
        row.locator("details.per-language > summary").click()
    row.locator(f'[name="field:{name}:{language}"]').fill(value)


def confirmed(day: Day, action: str) -> None:
    """A queue action from the draft page: the page that asks (photographed), then yes."""
    day.page.locator(f"#{action}").click()
    expect(day.page.locator("#confirm")).to_be_visible()
    day.step(f"{action}-asked")
    day.page.locator("#confirm").click()
    expect(day.page).to_have_url(re.compile(r"/drafts/\d+$"))


def drained(database: Database, config: Config) -> None:
    """One daemon run until nothing is due, in a thread (Playwright's loop holds this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(drain, database, config).result(timeout=20)


@pytest.mark.parametrize(("language", "width"), DAYS)
def test_an_authors_day(
    language: str,
    width: int,
    browsing: Browsing,
    people: dict[str, Person],
    drafts: Drafts,
    database: Database,
    config: Config,
    sandbox: RunningSandbox,
    allowed: AsWritten,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    words = WORDS[language]
    day = a_day(browsing, people["mina"], "author", language, width, drafts, allowed)
    page = day.page
    expect(page.locator("main section.desk-group")).to_have_count(0)
    day.step("desk-empty")

    # Compose: the template first, then the title, the channels and the fields; X's own text.
    page.locator("main .empty a[href='/compose']").click()
    show_fields = page.locator("#show-fields")  # the way without the page's script
    expect(show_fields).to_be_attached()
    expect(show_fields).to_be_hidden()  # the script is at work: a choice asks for its fields
    page.locator('select[name="kind"]').select_option("update:update")
    expect(page.locator("#field-headline")).to_be_visible()
    page.locator('input[name="title"]').fill(TITLE)
    page.locator('input[name="channel"][value="linkedin"]').check()
    page.locator('input[name="channel"][value="x-en"]').check()
    # The section the last choice asked for is in (it brings X's own text): no swap comes
    # later, under a fold being clicked open (Playwright would click it again, closing it).
    x_text = page.locator('textarea[name="channel_text:x-en:en"]')
    expect(x_text).to_be_attached()
    english, korean = FIELDS["en"], FIELDS["ko"]
    fill_field(page, "headline", english["headline"])
    fill_field(page, "intro", english["intro"])
    fill_field(page, "points", english["points"])
    fill_field(page, "hashtags", "\n".join(HASHTAGS))
    fill_field(page, "link", LINK)
    fill_field(page, "headline", korean["headline"], "ko")
    fill_field(page, "intro", korean["intro"], "ko")
    fill_field(page, "points", korean["points"], "ko")
    page.locator("details.channel-text", has=x_text).locator("summary").click()
    x_text.fill(X_TEXT)
    live = page.locator("#live-preview")
    expect(live.locator("article.post")).to_have_count(3)  # LinkedIn in both languages, X
    expect(live.locator('.platform-linkedin .post-text[lang="ko"]')).to_contain_text(
        korean["intro"]
    )
    expect(live.locator(".platform-x .post-text")).to_contain_text(X_TEXT[:40])  # not the intro
    day.step("compose")

    page.locator('button[name="action"][value="submit"]').click()
    expect(page).to_have_url(re.compile(r"/drafts/\d+$"))
    draft_id = draft_id_in(page)
    assert day.status() == words["in review"]
    day.step("submitted")
    page.goto("/")
    expect(page.locator(f'#desk-in_review [data-draft="{draft_id}"]')).to_be_visible()
    day.step("desk-in-review")

    # The reviewer asks for changes: the comment waits on the desk and on the draft page.
    with database.writing() as session:
        request_changes(
            session,
            draft_id=draft_id,
            reviewer=find_user(session, "joon"),
            comment=COMMENT[language],
            config=config,
        )
    page.goto("/")
    back = page.locator(f'#desk-changes_requested [data-draft="{draft_id}"]')
    expect(back.locator("blockquote")).to_have_text(COMMENT[language])
    day.step("desk-changes-requested")
    back.locator(f'a[href="/drafts/{draft_id}"]').click()
    expect(page.locator("section.review-comments blockquote")).to_have_text(COMMENT[language])
    assert day.status() == words["changes requested"]
    day.step("draft-changes-requested")

    # She adds the opening hours in both languages and submits again. The edit page shows the
    # intro in each language's own row (the field for both is empty), so she edits it there.
    page.locator("#edit-draft").click()
    expect(page.locator("section.review-comments blockquote")).to_have_text(COMMENT[language])
    for tag in ("en", "ko"):
        fill_field(page, "intro", FIELDS[tag]["intro"] + OPENING[tag], tag)
    day.step("edit")
    page.locator('button[name="action"][value="submit"]').click()
    expect(page).to_have_url(re.compile(rf"/drafts/{draft_id}$"))
    assert day.status() == words["in review"]
    for tag in ("en", "ko"):
        expect(page.locator(f'.platform-linkedin .post-text[lang="{tag}"]')).to_contain_text(
            OPENING[tag].strip()
        )
    day.step("resubmitted")

    # Approved: the next free slot; then not after all; then now.
    drafts.approve(draft_id, "joon")
    page.reload()
    assert day.status() == words["approved"]
    day.step("approved")
    page.locator('section.schedule button[value="next-slot"]').click()
    expect(page.locator(".draft-facts .status")).to_have_text(words["scheduled"])
    day.step("scheduled")
    confirmed(day, "unschedule")
    expect(page.locator(".draft-facts .status")).to_have_text(words["approved"])
    confirmed(day, "publish-now")
    expect(page.locator(".draft-facts .status")).to_have_text(words["scheduled"])
    day.step("due-now")

    # The daemon publishes each post once: a second drain finds nothing to send.
    monkeypatch.setenv(VAULT_SECRET_VARIABLE, secrets.token_urlsafe(32))  # X renews its token
    drained(database, config)
    drained(database, config)
    linkedin = [post.text for post in sandbox.state.posts("linkedin")]
    assert len(linkedin) == 2, linkedin
    assert all(any(opening.strip() in text for text in linkedin) for opening in OPENING.values())
    assert [post.text for post in sandbox.state.posts("x")] == [X_TEXT]
    with database.reading() as session:
        assert {p.status for p in draft_posts(session, draft_id)} == {PostStatus.PUBLISHED}
    assert drafts.status(draft_id) == DraftStatus.DONE
    page.goto("/")
    expect(page.locator(f'#desk-published [data-draft="{draft_id}"]')).to_be_visible()
    day.step("desk-published")
    page.locator(f'#desk-published a[href="/drafts/{draft_id}"]').click()
    links = page.locator(".post-facts a[href^='https://']")
    expect(links).to_have_count(3)  # each post's link on its platform
    day.step("draft-published")
    assert not day.problems, "\n".join(day.problems)


def update_file(opening: dict[str, str]) -> str:
    """mina's update as a draft file: each field in both languages, ``opening`` after the
    intro."""
    fields: dict[str, dict[str, object]] = {
        "headline": {tag: values["headline"] for tag, values in FIELDS.items()},
        "intro": {tag: values["intro"] + opening.get(tag, "") for tag, values in FIELDS.items()},
        "points": {tag: values["points"].splitlines() for tag, values in FIELDS.items()},
    }
    source = {
        "kind": "update",
        "template": "update",
        "title": TITLE,
        "channels": ["linkedin", "x-en"],
        "languages": ["en", "ko"],
        "fields": {**fields, "hashtags": HASHTAGS, "link": LINK},
    }
    return tomli_w.dumps(source)


@pytest.mark.parametrize(("language", "width"), DAYS)
def test_a_reviewers_day(
    language: str,
    width: int,
    browsing: Browsing,
    people: dict[str, Person],
    drafts: Drafts,
    database: Database,
    config: Config,
    library: TemplateLibrary,
    allowed: AsWritten,
) -> None:
    words = WORDS[language]
    with database.writing() as session:
        mina = find_user(session, "mina")
        content = read_draft_file(update_file({}), "update.toml", config, utcnow())
        draft = add_draft(session, content=content, author=mina, config=config, library=library)
        assert draft.id is not None
        draft_id = draft.id
        submit(session, draft_id=draft_id, actor=mina, config=config)

    day = a_day(browsing, people["joon"], "reviewer", language, width, drafts, allowed)
    page = day.page
    inbox = page.locator("main > section").first
    expect(inbox).to_have_id("review-inbox")
    expect(inbox.locator(f"#draft-{draft_id}")).to_contain_text("mina")
    day.step("desk-inbox")

    # Each platform's preview: X's links as t.co forms, LinkedIn's fold in both languages.
    inbox.locator(f'#draft-{draft_id} a[href="/drafts/{draft_id}"]').click()
    x_post = page.locator("article.platform-x")
    expect(x_post.locator(".post-text .run-link.shortened")).to_have_text(
        re.compile(r"^https://t\.co/\w{10}$")
    )
    expect(x_post.locator(".shortened-links .sent-url")).to_have_text(LINK)
    folds = page.locator("article.platform-linkedin .see-more")
    expect(folds).to_have_count(2)
    expect(folds.first).to_have_attribute("data-label", words["see more"])
    day.step("draft-previews")

    page.locator('form.changes textarea[name="comment"]').fill(COMMENT[language])
    page.locator("form.changes button").click()
    expect(page.locator(".draft-facts .status")).to_have_text(words["changes requested"])
    day.step("changes-requested")

    # mina adds the opening hours in both languages and submits again.
    with database.writing() as session:
        mina = find_user(session, "mina")
        content = read_draft_file(update_file(OPENING), "update.toml", config, utcnow())
        edit_draft(
            session,
            draft_id=draft_id,
            content=content,
            editor=mina,
            config=config,
            library=library,
        )
        submit(session, draft_id=draft_id, actor=mina, config=config)

    # Back on the desk: the draft waits again; what changed is told once per change.
    page.goto("/")
    inbox.locator(f'#draft-{draft_id} a[href="/drafts/{draft_id}"]').click()
    changes = page.locator("section.changes")
    expect(changes.get_by_role("heading")).to_contain_text(words["since"])
    # Each post's change once: X's short form leaves the points out, so its text differs.
    heads = changes.locator(".post-change-head")
    expect(heads).to_have_count(3)
    named = [language_name(tag, language) for tag in ("en", "en", "ko")]  # in her language
    expect(heads.locator(".post-lang")).to_have_text(named)
    expect(heads.locator(".post-channels")).to_have_text(["linkedin", "x-en", "linkedin"])
    expect(changes.locator('.diff[lang="ko"]')).to_contain_text(OPENING["ko"].strip())
    expect(changes.locator('.diff[lang="ko"] ins')).not_to_have_count(0)
    wider = changes.locator(".diff").evaluate_all(
        "diffs => diffs.filter((d) => d.scrollWidth > d.clientWidth).map((d) => d.innerText)"
    )
    assert not wider, f"a diff's text runs out of its box: {wider}"
    day.step("changes-since")

    page.locator("form.approve button").click()
    expect(page.locator(".draft-facts .status")).to_have_text(words["approved"])
    assert drafts.status(draft_id) == DraftStatus.APPROVED
    day.step("approved")
    assert not day.problems, "\n".join(day.problems)
