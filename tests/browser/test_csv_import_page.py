"""The Import CSV page in a browser, at 375 and 1280 px, in English and in Korean: a preview of
the drafts a file would add, and a file's problems beside their rows.

Each page must fit the window (nothing wider than it, no table squeezed into narrow columns)
and, in Korean, say nothing in English but what the file itself holds (its name, titles, column
names, a kind the file got wrong) and the values and keys a problem tells it to use. The checks and the screenshots are those of
``test_phone_layout`` (``tests/artifacts/phone-import-<page>-<language>-<width>.png``).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import FilePayload, Page, expect

from drafts.config import Config
from drafts.storage import Database
from drafts.users import find_user
from tests.browser.conftest import Browsing
from tests.browser.test_phone_layout import AsWritten, as_written, check, log_in, opened
from tests.web.conftest import Person

NAME = "spring-plan.csv"
PLAN = (
    "title,kind,channels,text:en,text:ko,publish_at\n"
    "Riverside park reopens with new paths and a playground,update,linkedin x-en,"
    '"The riverside park is open again: https://example.org/news/2026/riverside-park",'
    '"강변 공원이 다시 열렸습니다: 새 산책로와 놀이터가 생겼습니다.",2031-04-02 10:00\n'
    "Library hours this week,update,linkedin,The library opens until 9 pm on Wednesday.,"
    '"이번 주 도서관은 수요일 저녁 9시까지 엽니다.",\n'
)
PROBLEMS = (
    "title,kind,channels,text:en,text:ko\n"
    "Fine,update,linkedin,Hello.,\n"
    "Harbour clean-up volunteers wanted for Saturday morning,tweet,linkedin,Hi.,\n"
    "Empty,update,x-en,,\n"
    "Nowhere,update,mastodon-somewhere-far-away,Hi.,\n"
)
TYPED = (
    NAME,
    "Riverside park reopens with new paths and a playground",
    "Harbour clean-up volunteers wanted for Saturday morning",
    "Library hours this week",
    "mastodon-somewhere-far-away",
    "tweet",
)
# Values and keys a problem tells the file to use, as they must be written: the kinds a row may
# have, and the draft file's keys that the message shared with `tidings draft add` names.
AS_WRITTEN_IN_A_FILE = frozenset({"update", "hiring", "event", "post", "text", "fields"})


def uploaded(page: Page, data: str) -> None:
    """Choose ``data`` as the CSV file and ask for its check, as a person would."""
    page.goto("/import")
    chosen: FilePayload = {"name": NAME, "mimeType": "text/csv", "buffer": data.encode()}
    page.locator('input[type="file"]').set_input_files(files=chosen)
    page.locator('form[action="/import"] button[type="submit"]').click()


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_import_page_fits_the_window_and_speaks_the_language(
    language: str,
    browsing: Browsing,
    people: dict[str, Person],
    config: Config,
    database: Database,
) -> None:
    with database.writing() as session:
        find_user(session, "mina").language = language
    page = opened(browsing, language)
    log_in(page, people["mina"])
    typed = as_written(config, people, tuple(sorted(TYPED, key=len, reverse=True)))
    allowed = AsWritten(typed.names | AS_WRITTEN_IN_A_FILE, typed.typed)

    uploaded(page, PLAN)
    expect(page.locator("table.import-preview tbody tr")).to_have_count(2)
    problems = check(page, "import-preview", language, allowed)

    uploaded(page, PROBLEMS)
    expect(page.locator("table.import-problems tbody tr")).to_have_count(3)
    problems += check(page, "import-problems", language, allowed)
    assert not problems, "\n".join(problems)
