"""The Channels page's line about the daemon, in Chromium: when and where the daemon last
reported in, and, once it has been silent too long, shown as a problem; in English and in
Korean, at 1280 and 375 px, nothing wider than the window (tests/artifacts/daemon-seen-*.png)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from scheduler.heartbeat import Worker, beat
from tests.browser.conftest import Browsing, log_in, screenshot
from tests.web.conftest import Person

# Seconds counted on the real clock while the page loads: any number of them.
SAID = {
    "en": (re.compile(r"^Daemon last seen \d+ seconds ago on relay-1:4242\.$"), "3 hours ago"),
    "ko": (re.compile(r"^데몬이 \d+초 전 relay-1:4242에서 마지막으로 보고했습니다\.$"), "3시간 전"),
}


def report_in(database: Database, ago: timedelta) -> None:
    at = utcnow() - ago
    with database.writing() as session:
        worker = Worker("relay-1:4242", "relay-1", 4242, "key", at)
        beat(session, worker=worker, post_ids=(), now=at, lease=timedelta(seconds=6))


def wider_than_the_window(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_channels_page_says_when_the_daemon_last_reported_in(
    browsing: Browsing, people: dict[str, Person], database: Database, language: str
) -> None:
    page = browsing.open().new_page()
    log_in(page, people["mina"])
    if language == "ko":
        with database.writing() as session:
            find_user(session, "mina").language = "ko"
    fresh, stale = SAID[language]
    report_in(database, timedelta(seconds=30))
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/channels")
        line = page.locator("#daemon-seen")
        expect(line).to_have_text(fresh)
        expect(line).not_to_have_class("summary problem")
        assert not wider_than_the_window(page)
        screenshot(page, f"daemon-seen-{language}-{width}")
    report_in(database, timedelta(hours=3))
    page.goto("/channels")
    expect(page.locator("#daemon-seen")).to_contain_text(stale)
    expect(page.locator("#daemon-seen")).to_have_class("summary problem")
    screenshot(page, f"daemon-seen-silent-{language}")
