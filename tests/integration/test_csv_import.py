"""``tidings import FILE.csv``: one draft per row through the draft file's own checks, all of
them or none, every problem said at its row and column."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event

from drafts.authoring import draft_posts
from drafts.config import Config
from drafts.csv_import import CsvError, check_rows, read_table, store_drafts
from drafts.models import User
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from tests.integration.command_line import run, snapshot, use_folder
from tidings.cli import main

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
HEADER = "title,kind,channels,text:en,text:ko,publish_at"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with a database and the author mina."""
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    run(["user", "add", "mina", "--role", "author"])
    return tmp_path


def refused(args: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    """``tidings ARGS``, which must fail with exit status 1: the lines it wrote on stderr."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err.strip().splitlines()


def drafts_in(folder: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(folder / "tidings.db") as db:
        return db.execute("SELECT title, status FROM draft ORDER BY id").fetchall()


def plan(folder: Path, *rows: str, header: str = HEADER, name: str = "plan.csv") -> Path:
    path = folder / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("sample", ["quarter_plan.csv", "quarter_plan_bom.csv"])
def test_a_file_with_or_without_a_byte_order_mark_adds_a_draft_per_row(
    folder: Path, sample: str, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(SAMPLES / sample, folder / sample)
    run(["import", sample, "--as", "mina"])
    assert drafts_in(folder) == [
        ("Harbour clean-up volunteers", "draft"),
        ("Spring forum on shared bicycles", "draft"),
        ("Library hours this week", "draft"),
    ]
    assert "Added 3 drafts." in capsys.readouterr().out


def test_a_korean_row_keeps_its_korean_text_and_fields(folder: Path) -> None:
    shutil.copy(SAMPLES / "quarter_plan.csv", folder / "plan.csv")
    run(["import", "plan.csv", "--as", "mina"])
    with sqlite3.connect(folder / "tidings.db") as db:
        texts = dict(db.execute("SELECT channel || ':' || language, text FROM post").fetchall())
    assert "이번 주 시립 도서관은 수요일 저녁 9시까지 문을 엽니다." in texts["x-ko:ko"]
    forum_ko = texts["linkedin:ko"]
    assert "공유 자전거 포럼" in forum_ko and "영화의전당" in forum_ko
    assert "#Cycling #Cities" in forum_ko  # the hashtags cell: one item a line
    assert "Busan Cinema Center" in texts["linkedin:en"]


def test_an_unknown_column_is_named_with_the_others_in_one_problem(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(folder)
    plan(folder, "A,update,linkedin,Hi,,", header=f"{HEADER},colour,text en,title")
    lines = refused(["import", "plan.csv", "--as", "mina"], capsys)
    assert lines[0].startswith("row 1: unknown columns: 'colour', 'text en' (the columns are")
    assert lines[1] == "row 1: columns given twice: title"
    assert lines[-1] == "error: plan.csv: 2 problems; nothing was imported"
    assert snapshot(folder) == before


def test_bad_rows_in_the_middle_are_each_named_and_nothing_is_written(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(folder)
    plan(
        folder,
        "Park reopens,update,linkedin,The park is open.,공원이 열렸습니다.,2031-05-01 10:00",
        'Bad one,tweet,linkdin,"two\nlines",,yesterday',
        "Market day,update,linkedin,Market on Sunday.,,2031-05-02 10:00",
        "Empty Korean,update,x-ko,,,2031-05-03 10:00",
        "Fine again,post,mastodon,All good.,,2031-05-04 10:00",
    )
    lines = refused(["import", "plan.csv", "--as", "mina"], capsys)
    assert lines == [
        "row 3, column kind: 'tweet' is not a kind: update, hiring, event or post"
        " (did you mean event?)",
        "row 3, column channels: unknown channel 'linkdin' (did you mean linkedin?)",
        "row 3, column publish_at: 'yesterday' is not a time such as '2026-12-01 10:00',"
        " '2026-12-01T10:00+09:00' or '+2h'",
        "row 5, column text:<lang>: missing: give [text] per language, or a template with [fields]",
        "error: plan.csv: 4 problems; nothing was imported",
    ]
    assert snapshot(folder) == before


def test_a_row_numbered_as_a_spreadsheet_shows_it_after_a_cell_of_several_lines(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan(folder, 'A,update,linkedin,"one\ntwo\nthree",,', "B,update,linkedin,,,")
    lines = refused(["import", "plan.csv", "--as", "mina"], capsys)
    assert lines[0].startswith("row 3, column text:<lang>: missing")


def test_a_repeat_makes_a_series_as_a_draft_file_s_does(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan(
        folder,
        "Weekly,update,linkedin,Hi,,2031-03-03 09:00,FREQ=WEEKLY;BYDAY=MO;COUNT=4",
        header=f"{HEADER},repeat",
    )
    capsys.readouterr()
    run(["import", "plan.csv", "--json", "--as", "mina"])
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["repeat"] == "FREQ=WEEKLY;BYDAY=MO;COUNT=4"
    with sqlite3.connect(folder / "tidings.db") as db:
        stored = db.execute("SELECT repeat FROM draft").fetchall()
        occurrences = db.execute("SELECT occurrence FROM post ORDER BY occurrence").fetchall()
    assert stored == [("FREQ=WEEKLY;BYDAY=MO;COUNT=4",)]
    assert occurrences == [(1,), (2,), (3,), (4,)]  # a post per occurrence


def test_a_bad_repeat_is_named_at_its_row_and_column_and_nothing_is_written(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(folder)
    plan(
        folder,
        "Fine,update,linkedin,Hi,,2031-03-03 09:00,FREQ=WEEKLY;COUNT=2",
        "Endless,update,linkedin,Hi,,2031-03-03 09:00,FREQ=WEEKLY;BYDAY=MO",
        "Next slot,update,linkedin,Hi,,next-slot,FREQ=DAILY;COUNT=2",
        header=f"{HEADER},repeat",
    )
    lines = refused(["import", "plan.csv", "--as", "mina"], capsys)
    assert lines == [
        "row 3, column repeat: needs COUNT or UNTIL: a series must end",
        "row 4, column repeat: needs publish_at as a date and time, not next-slot",
        "error: plan.csv: 2 problems; nothing was imported",
    ]
    assert snapshot(folder) == before


def test_a_dry_run_lists_what_would_be_added_and_writes_nothing(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(SAMPLES / "quarter_plan.csv", folder / "plan.csv")
    before = snapshot(folder)
    capsys.readouterr()
    run(["import", "plan.csv", "--dry-run", "--as", "mina"])
    assert "3 drafts would be added. Nothing was written (--dry-run)." in capsys.readouterr().out
    run(["import", "plan.csv", "--dry-run", "--json", "--as", "mina"])
    listed = json.loads(capsys.readouterr().out)
    assert [(each["row"], each["id"], each["title"]) for each in listed][1] == (
        3,
        None,
        "Spring forum on shared bicycles",
    )
    assert listed[1]["publish_at"] == "2031-03-09T01:00:00+00:00"
    assert snapshot(folder) == before


def test_submit_sends_each_draft_to_review(folder: Path) -> None:
    plan(folder, "A,update,linkedin,Hello.,안녕하세요.,", "B,post,mastodon,Bye.,,")
    run(["import", "plan.csv", "--submit", "--as", "mina"])
    assert drafts_in(folder) == [("A", "in_review"), ("B", "in_review")]


def test_a_row_that_cannot_be_submitted_rolls_back_the_rows_added_before_it(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(folder)
    too_long = "word " * 80  # 400 characters: X takes 280
    plan(folder, "A,update,linkedin,Hello.,,", f"B,post,x-en,{too_long},,")
    lines = refused(["import", "plan.csv", "--submit", "--as", "mina"], capsys)
    assert lines[0].startswith("row 3: cannot be sent to review: x-en (en):")
    assert snapshot(folder) == before


def test_the_json_lists_each_row_and_its_draft(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan(folder, "A,update,linkedin,Hello.,,2031-01-05 09:00")
    capsys.readouterr()
    run(["import", "plan.csv", "--json", "--as", "mina"])
    assert '"row": 2' in capsys.readouterr().out


def test_many_rows_import_in_one_transaction(
    database: Database, mina: User, config: Config, library: TemplateLibrary
) -> None:
    """A smaller run of what bench/csv_import.py times with 10,000 rows, on both databases."""
    rows = [f"Notice {n},update,linkedin mastodon,Notice {n}.,공지 {n}.," for n in range(300)]
    table = read_table("\n".join([HEADER, *rows]).encode(), "many.csv")
    planned = check_rows(table, folder=None, config=config, library=library, now=utcnow())
    created = store_drafts(
        database, planned, name="many.csv", author=mina, config=config, library=library
    )
    assert [each.row for each in created] == list(range(2, 302))
    with database.reading() as session:
        assert len(draft_posts(session, created[-1].id or 0)) == 4


def statements_of_import(
    database: Database, mina: User, config: Config, library: TemplateLibrary, *, submit: bool
) -> list[str]:
    """Every SQL statement an import of 20 rows runs, as one line each."""
    rows = [f"Notice {n},update,linkedin mastodon,Notice {n}.,공지 {n}.," for n in range(20)]
    table = read_table("\n".join([HEADER, *rows]).encode(), "many.csv")
    planned = check_rows(table, folder=None, config=config, library=library, now=utcnow())
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(database.engine, "before_cursor_execute", seen)
    try:
        store_drafts(
            database,
            planned,
            name="many.csv",
            author=mina,
            config=config,
            library=library,
            submit=submit,
        )
    finally:
        event.remove(database.engine, "before_cursor_execute", seen)
    return statements


def test_an_import_reads_learned_limits_once_and_only_inserts(
    database: Database, mina: User, config: Config, library: TemplateLibrary
) -> None:
    """Adding new drafts has nothing stored to match: no DELETE, no read of posts or variants,
    and the channels' learned limits read once for the file, not once a row."""
    statements = statements_of_import(database, mina, config, library, submit=False)
    assert [each for each in statements if each.startswith("DELETE")] == []
    assert len([each for each in statements if "FROM channel_state" in each]) == 1
    reads = ("FROM post ", "FROM variant ")
    assert [each for each in statements if any(read in each + " " for read in reads)] == []


def test_an_import_sent_to_review_reads_learned_limits_once(
    database: Database, mina: User, config: Config, library: TemplateLibrary
) -> None:
    statements = statements_of_import(database, mina, config, library, submit=True)
    assert len([each for each in statements if "FROM channel_state" in each]) == 1


def test_an_uploaded_file_cannot_name_images(config: Config, library: TemplateLibrary) -> None:
    table = read_table(f"{HEADER},media\nA,update,linkedin,Hi,,,photo.jpg\n".encode(), "up.csv")
    with pytest.raises(CsvError) as error:
        check_rows(table, folder=None, config=config, library=library, now=utcnow())
    assert str(error.value.problems[0]).startswith("row 2, column media: an uploaded CSV brings")


def test_a_file_that_is_not_utf8_is_refused_naming_the_byte() -> None:
    data = f"{HEADER}\nCaf\xe9,update,linkedin,Hi,,\n".encode("latin-1")
    with pytest.raises(CsvError) as error:
        read_table(data, "latin.csv")
    assert str(error.value) == (
        "latin.csv: row 2: not UTF-8 text (byte 0xe9 at position 50); save it as UTF-8"
    )
