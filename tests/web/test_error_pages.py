"""An error page's way back names the page it leads to as the navigation names it: a person's
desk (``/``), which an author has too, not the review inbox only reviewers have."""

from __future__ import annotations

import httpx
import pytest

from drafts.storage import Database
from tests.web.conftest import SQLITE_ONLY, one, set_language, text

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]


@pytest.mark.parametrize(
    ("language", "back"), [("en", "Back to My desk"), ("ko", "내 작업 페이지로 돌아가기")]
)
async def test_the_way_back_from_an_error_is_named_as_the_navigation_names_it(
    as_mina: httpx.AsyncClient, database: Database, language: str, back: str
) -> None:
    set_language(database, "mina", language)
    for path, status in (("/nowhere", 404), ("/users", 403), ("/drafts/999", 404)):
        page = await as_mina.get(path)
        assert page.status_code == status, path
        way_back = one(page.text, "main a[href='/']")
        desk = text(one(page.text, "nav a[href='/']"))
        assert text(way_back) == back
        assert desk in text(way_back), path
