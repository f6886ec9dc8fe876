"""The Import CSV page: an upload previewed (what would be created, or every problem beside its
row) with nothing written, then one confirmation that imports once, however often it is sent."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlmodel import func, select

from drafts.models import Draft
from drafts.storage import Database
from tests.web.conftest import (
    SQLITE_ONLY,
    cells,
    csrf_token,
    elements,
    form_fields,
    parse,
    set_language,
    texts,
)

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]
SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "quarter_plan_bom.csv"
BAD = (
    "title,kind,channels,text:en,text:ko\n"
    "Fine,update,linkedin,Hello.,\n"
    "Bad,tweet,linkedin,Hi.,\n"
    "Empty,update,x-ko,,\n"
)


def drafts_count(database: Database) -> int:
    with database.reading() as session:
        return session.exec(select(func.count()).select_from(Draft)).one()


async def upload(
    browser: httpx.AsyncClient, data: bytes, *, submit: bool = False
) -> httpx.Response:
    token = csrf_token((await browser.get("/import")).text)
    fields = {"csrf_token": token, **({"submit": "yes"} if submit else {})}
    return await browser.post(
        "/import", data=fields, files=[("file", ("plan.csv", data, "text/csv"))]
    )


async def test_an_upload_is_previewed_then_imported_once(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    preview = await upload(as_mina, SAMPLE.read_bytes(), submit=True)
    assert preview.status_code == 200
    rows = elements(preview.text, "table.import-preview tbody tr")
    assert [cells(row)[0] for row in rows] == [
        "Harbour clean-up volunteers",
        "Spring forum on shared bicycles",
        "Library hours this week",
    ]
    assert drafts_count(database) == 0  # a preview writes nothing
    confirm = form_fields(preview.text, "/import/confirm")
    done = await as_mina.post("/import/confirm", data=confirm)
    assert done.status_code == 303 and done.headers["location"] == "/"
    desk = await as_mina.get("/")
    assert "Imported 3 drafts and sent them to review." in desk.text
    assert drafts_count(database) == 3
    again = await as_mina.post("/import/confirm", data=confirm)  # a double click, a reload
    assert again.status_code == 303
    assert "Nothing was imported again" in (await as_mina.get("/")).text
    assert drafts_count(database) == 3


async def test_every_problem_is_shown_beside_its_row_and_nothing_is_written(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    answer = await upload(as_mina, BAD.encode())
    assert answer.status_code == 400
    rows = [cells(row) for row in elements(answer.text, "table.import-problems tbody tr")]
    heads = texts(answer.text, "table.import-problems tbody th")
    assert heads == ["Row 3", "Row 4"]
    assert [row[0] for row in rows] == ["kind", "text:<lang>"]
    assert "'tweet' is not a kind" in rows[0][1]
    assert not form_fields(answer.text, "/import").get("token")
    assert drafts_count(database) == 0


async def test_the_problems_are_told_in_korean(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    set_language(database, "mina", "ko")
    answer = await upload(as_mina, BAD.encode())
    page = parse(answer.text)
    assert "CSV 가져오기" in page.title.get_text()  # type: ignore[union-attr]
    assert texts(answer.text, "table.import-problems tbody th")[0] == "3행"


async def test_a_reviewer_cannot_import(as_joon: httpx.AsyncClient) -> None:
    assert (await as_joon.get("/import")).status_code == 403
