"""The interface in English and Korean: the catalogues are complete and compiled, each user sees
their own language, the preferences page switches it, and a browser's Accept-Language decides
for anyone who has not chosen."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette
from starlette.requests import Request

from drafts.models import User
from drafts.storage import Database
from drafts.users import find_user
from tests.integration.command_line import run, use_folder
from tests.web.conftest import (
    SQLITE_ONLY,
    Drafts,
    Person,
    client,
    csrf_token,
    elements,
    heading,
    log_in,
    one,
    parse,
    set_language,
    text,
    texts,
)
from tidings.cli import main
from tidings.web.pages import Pages
from tidings.web.translations import LOCALE_FOLDER, accepted_language, translations

ROOT = Path(__file__).resolve().parents[2]
PO = LOCALE_FOLDER / "ko" / "LC_MESSAGES" / "messages.po"
MO = LOCALE_FOLDER / "ko" / "LC_MESSAGES" / "messages.mo"
POT = LOCALE_FOLDER / "messages.pot"
KOREAN = "ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7"

pytestmark = pytest.mark.anyio


# --- the catalogues ----------------------------------------------------------------------


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file) if path.suffix in {".po", ".pot"} else read_mo(file)


def extracted_ids() -> set[str | tuple[str, ...]]:
    """Every message in the source, extracted as ``babel.cfg`` says (as pybabel would)."""
    with (LOCALE_FOLDER / "babel.cfg").open(encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)
    found: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map
    ):
        found.add(tuple(message) if isinstance(message, list | tuple) else message)
    return found


def message_ids(catalog: Catalog) -> set[str | tuple[str, ...]]:
    return set(entries(catalog))


def entries(catalog: Catalog) -> dict[str | tuple[str, ...], tuple[str, ...]]:
    """Each message's id (singular, or singular and plural) and its translations."""
    return {
        message.id if isinstance(message.id, str) else tuple(message.id): (
            (message.string,) if isinstance(message.string, str) else tuple(message.string)
        )
        for message in catalog
        if message.id
    }


def test_every_message_in_the_source_is_in_the_catalogues() -> None:
    extracted = extracted_ids()
    assert "Review inbox" in extracted  # the extraction reads the templates
    assert (
        "Saved. Times are shown in %(zone)s, the pages in %(language)s." in extracted
    )  # and the Python modules
    missing_from_po = extracted - message_ids(read_catalog(PO))
    assert not missing_from_po, f"not in messages.po (see locale/README.md): {missing_from_po}"
    assert message_ids(read_catalog(POT)) == extracted, "messages.pot is stale: extract again"


def test_every_message_is_translated_and_consistent() -> None:
    catalog = read_catalog(PO)
    assert catalog.locale is not None and str(catalog.locale) == "ko"
    assert not catalog.obsolete, f"obsolete entries in messages.po: {list(catalog.obsolete)}"
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, f"fuzzy: {message.id!r}"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {message.id!r}"
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert problems == []  # placeholders (python-format) match between msgid and msgstr


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    po, mo = read_catalog(PO), read_catalog(MO)
    stale = "messages.mo is stale: run pybabel compile (see locale/README.md)"
    assert entries(mo) == entries(po), stale
    assert mo.plural_forms == po.plural_forms == "nplurals=1; plural=0;", stale


def test_the_korean_catalogue_loads() -> None:
    korean = translations("ko")
    assert korean.gettext("Review inbox") == "검토함"
    assert (
        korean.ngettext(
            "One post needs a person.", "%(count)s posts need a person, the most recent first.", 3
        )
        == "확인이 필요한 게시물 %(count)s개 (최근 순)"
    )
    assert translations("en").gettext("Review inbox") == "Review inbox"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (KOREAN, "ko"),
        ("en-US,en;q=0.9,ko;q=0.8", "en"),
        ("fr-FR,fr;q=0.9,ko;q=0.5", "ko"),
        ("fr-FR,fr;q=0.9", "en"),
        ("ko;q=0, en;q=0.1", "en"),
        ("de;q=0.5, ko-KR;q=0.7", "ko"),
        ("", "en"),
        (None, "en"),
        ("*", "en"),
        ("ko;q=x", "en"),
    ],
)
def test_accept_language_picks_the_best_offered_language(header: str | None, language: str) -> None:
    assert accepted_language(header) == language


@dataclass(frozen=True)
class LoadedViewer:
    """A viewer that carries its language (as ``auth.Viewer`` may, loaded with the user)."""

    id: int
    language: str | None


@dataclass(frozen=True)
class PlainViewer:
    """A viewer without its language, as ``auth.Viewer`` is now: the page reads it."""

    id: int


def request_for(viewer: object | None, accept: str | None = None) -> Request:
    headers = [(b"accept-language", accept.encode())] if accept else []
    scope = {"type": "http", "method": "GET", "path": "/", "headers": headers, "session": {}}
    scope["state"] = {"viewer": viewer} if viewer is not None else {}
    return Request(scope)


def test_the_language_comes_from_the_viewer_then_the_browser_then_english() -> None:
    pages = Pages()  # no database: nothing to read a choice from
    assert pages.language(request_for(LoadedViewer(1, "ko"))) == "ko"
    assert pages.language(request_for(LoadedViewer(1, "ko-KR"), "en")) == "ko"
    assert pages.language(request_for(LoadedViewer(1, None), KOREAN)) == "ko"
    assert pages.language(request_for(LoadedViewer(1, "fr"), "en-GB")) == "en"
    assert pages.language(request_for(None, KOREAN)) == "ko"
    assert pages.language(request_for(None)) == "en"


@SQLITE_ONLY
def test_a_database_failure_falls_back_to_the_browser(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = Pages(database=database)

    @contextmanager
    def broken() -> Iterator[None]:
        raise OperationalError("SELECT", {}, Exception("the database is down"))
        yield

    monkeypatch.setattr(database, "reading", broken)
    assert pages.language(request_for(PlainViewer(1), KOREAN)) == "ko"


# --- pages in each language --------------------------------------------------------------


def page_language(html: str) -> str:
    """The language the page says it is in."""
    return str(one(html, "html")["lang"])


def languages_offered(html: str) -> list[tuple[str, str, bool]]:
    """The preferences' interface languages: each tag, its name (in that language, which the
    option says it is in) and whether it is the one chosen."""
    options = elements(html, 'select[name="language"] option')
    assert all(option["lang"] == option["value"] for option in options)
    return [(str(o["value"]), text(o), o.has_attr("selected")) for o in options]


def stored_language(database: Database, name: str) -> str | None:
    with database.reading() as session:
        return find_user(session, name).language


@pytest.fixture
async def korean_joon(
    app: Starlette, people: dict[str, Person], database: Database
) -> AsyncIterator[httpx.AsyncClient]:
    set_language(database, "joon", "ko")
    async with client(app) as browser:
        assert (await log_in(browser, people["joon"])).status_code == 303
        yield browser


async def test_a_korean_user_sees_the_inbox_and_draft_page_in_korean(
    korean_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add()
    inbox = await korean_joon.get("/inbox")
    assert inbox.status_code == 200
    assert page_language(inbox.text) == "ko"
    assert heading(inbox.text) == "검토함"
    assert "검토를 기다리는 초안 1개 (오래 기다린 순)" in inbox.text
    assert "작성자" in texts(inbox.text, "th")
    assert "로그아웃" in texts(inbox.text, "button")
    assert "Review inbox" not in inbox.text

    page = await korean_joon.get(f"/drafts/{draft_id}")
    assert page.status_code == 200
    assert "이 초안 편집" not in page.text  # a reviewer is offered no edit
    assert "초안 취소…" in texts(page.text, "a")
    assert "승인 0/1" in page.text
    assert {"승인", "수정 요청"} <= set(texts(page.text, "button"))
    assert "기록" in texts(page.text, "h2")
    assert "강변 공원" in page.text  # the draft's own text is never translated
    assert "Request changes" not in page.text


@SQLITE_ONLY
async def test_an_english_user_sees_english(as_mina: httpx.AsyncClient, drafts: Drafts) -> None:
    draft_id = drafts.add()
    inbox = await as_mina.get("/inbox", headers={"Accept-Language": KOREAN})
    assert page_language(inbox.text) == "ko"  # mina chose nothing yet: her browser asks Korean
    token = csrf_token(inbox.text)
    saved = await as_mina.post(
        "/preferences", data={"csrf_token": token, "timezone": "Asia/Seoul", "language": "en"}
    )
    assert saved.status_code == 303
    inbox = await as_mina.get("/inbox", headers={"Accept-Language": KOREAN})  # her choice wins
    assert page_language(inbox.text) == "en"
    assert heading(inbox.text) == "Review inbox"
    assert "One draft waits for review." in inbox.text
    assert "Author" in texts(inbox.text, "th")
    assert "검토함" not in inbox.text
    page = await as_mina.get(f"/drafts/{draft_id}", headers={"Accept-Language": KOREAN})
    assert "Edit this draft" in page.text
    assert "History" in texts(page.text, "h2")
    assert "이 초안 편집" not in page.text


@SQLITE_ONLY
async def test_without_a_choice_or_header_the_interface_is_english(
    as_joon: httpx.AsyncClient,
) -> None:
    inbox = await as_joon.get("/")
    assert page_language(inbox.text) == "en"
    assert "Nothing is waiting for review." in inbox.text


@SQLITE_ONLY
async def test_switching_language_in_preferences(
    app: Starlette, as_joon: httpx.AsyncClient, people: dict[str, Person], database: Database
) -> None:
    form = await as_joon.get("/preferences")
    assert languages_offered(form.text) == [("en", "English", True), ("ko", "한국어", False)]

    saved = await as_joon.post(
        "/preferences",
        data={"csrf_token": csrf_token(form.text), "timezone": "Asia/Seoul", "language": "ko"},
    )
    assert saved.status_code == 303
    assert stored_language(database, "joon") == "ko"
    inbox = await as_joon.get("/")
    assert "저장했습니다. 시간은 Asia/Seoul 기준으로 표시합니다. 화면 언어: 한국어." in inbox.text
    assert heading(inbox.text) == "내 작업"
    form = await as_joon.get("/preferences")
    assert heading(form.text) == "환경 설정"
    assert languages_offered(form.text) == [("en", "English", False), ("ko", "한국어", True)]

    async with client(app) as elsewhere:  # a new login reads the choice from the user
        await log_in(elsewhere, people["joon"])
        assert heading((await elsewhere.get("/")).text) == "내 작업"

    back = await as_joon.post(
        "/preferences",
        data={"csrf_token": csrf_token(form.text), "timezone": "Asia/Seoul", "language": "en"},
    )
    assert back.status_code == 303
    assert stored_language(database, "joon") == "en"
    inbox = await as_joon.get("/")
    assert "Saved. Times are shown in Asia/Seoul, the pages in English." in inbox.text
    assert heading(inbox.text) == "My desk"


@SQLITE_ONLY
async def test_a_language_not_offered_is_refused(
    as_joon: httpx.AsyncClient, database: Database
) -> None:
    token = csrf_token((await as_joon.get("/preferences")).text)
    refused = await as_joon.post(
        "/preferences", data={"csrf_token": token, "timezone": "Asia/Seoul", "language": "fr"}
    )
    assert refused.status_code == 400
    assert "language: 'fr' is not one of en, ko" in text(parse(refused.text))
    assert stored_language(database, "joon") is None


@SQLITE_ONLY
async def test_the_language_is_not_changed_without_the_csrf_token(
    as_joon: httpx.AsyncClient, database: Database
) -> None:
    refused = await as_joon.post("/preferences", data={"timezone": "Asia/Seoul", "language": "ko"})
    assert refused.status_code == 403
    assert stored_language(database, "joon") is None


@SQLITE_ONLY
async def test_accept_language_decides_for_visitors_and_users_without_a_choice(
    app: Starlette, people: dict[str, Person], database: Database
) -> None:
    async with client(app) as browser:
        login = await browser.get("/login", headers={"Accept-Language": KOREAN})
        assert page_language(login.text) == "ko"
        assert heading(login.text) == "로그인"
        assert "비밀번호" in texts(login.text, "label")
        english = await browser.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
        assert heading(english.text) == "Log in"

        await log_in(browser, people["ara"])
        inbox = await browser.get("/", headers={"Accept-Language": KOREAN})
        assert heading(inbox.text) == "내 작업"
        inbox = await browser.get("/", headers={"Accept-Language": "fr"})
        assert heading(inbox.text) == "My desk"

    set_language(database, "ara", "en")
    async with client(app) as browser:
        await log_in(browser, people["ara"])
        inbox = await browser.get("/", headers={"Accept-Language": KOREAN})
        assert heading(inbox.text) == "My desk"


@SQLITE_ONLY
async def test_other_pages_answer_in_korean(korean_joon: httpx.AsyncClient, drafts: Drafts) -> None:
    drafts.add()
    expected = {
        "/calendar": "이 주에는 예약되거나 게시된 게시물이 없습니다.",
        "/attention": "확인할 게시물이 없습니다.",
        "/channels": "아직 확인하지 않음",  # "not checked yet": only admins may check
        "/nowhere": "내 작업 페이지로 돌아가기",
    }
    for path, words in expected.items():
        page = await korean_joon.get(path)
        assert words in page.text, path


# --- the command line --------------------------------------------------------------------


def test_user_add_takes_the_interface_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    run(["user", "add", "sora", "--role", "author", "--language", "ko"])
    assert "Added sora (author, ko)." in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        main(["user", "add", "yuna", "--role", "author", "--language", "fr"])
    assert refused.value.code == 1
    assert "language: 'fr' is not one of en, ko" in capsys.readouterr().err
    with sqlite3.connect(tmp_path / "tidings.db") as db:
        rows = db.execute(
            f"SELECT name, language FROM {User.__tablename__} ORDER BY name"
        ).fetchall()
    assert rows == [("sora", "ko")]
