"""CSV import benchmark: 10,000 rows into a fresh SQLite database (issue 14, point 2).

    python bench/csv_import.py                 # 10,000 rows
    python bench/csv_import.py --rows 2000 --template
    python bench/csv_import.py --rows 2000 --submit    # each draft sent to review too

The file is written in a temporary folder, a mix of free-text rows in English and Korean on two
channels (four posts each), or with ``--template`` rows of the event template with per-language
fields. The import runs as ``tidings import FILE.csv`` runs it, in this process: the header and
every row checked (``check_rows``), then every draft added in one transaction
(``store_drafts``). It prints the time of each phase, the total, and rows per second; the
target is under 30 s for 10,000 rows on the development machine. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from drafts.config import parse_config  # noqa: E402
from drafts.csv_import import check_rows, read_table, store_drafts  # noqa: E402
from drafts.rendering import TemplateLibrary  # noqa: E402
from drafts.storage import Database  # noqa: E402
from drafts.times import utcnow  # noqa: E402
from drafts.users import Role, add_user  # noqa: E402

CONFIG = """
[tidings]
timezone = "Asia/Seoul"
database = "sqlite:///%(path)s"

[[channels]]
id = "linkedin"
platform = "linkedin"
languages = ["en", "ko"]
author = "urn:li:organization:2414183"
token_env = "TIDINGS_BENCH_LINKEDIN_TOKEN"

[[channels]]
id = "mastodon"
platform = "mastodon"
languages = ["en", "ko"]
base_url = "http://127.0.0.1:9"
token_env = "TIDINGS_BENCH_MASTODON_TOKEN"
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--template", action="store_true", help="rows of the event template")
    parser.add_argument("--submit", action="store_true", help="send each draft to review")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder), args.rows, template=args.template, submit=args.submit)


def write_plan(path: Path, rows: int, *, template: bool) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        out = csv.writer(file)
        out.writerow(TEMPLATE_COLUMNS if template else TEXT_COLUMNS)
        for n in range(rows):
            when = f"2031-{1 + n % 12:02d}-{1 + n % 28:02d} 10:00"
            out.writerow(_event_row(n, when) if template else _text_row(n, when))


TEXT_COLUMNS = ["title", "kind", "channels", "publish_at", "text:en", "text:ko"]
TEMPLATE_COLUMNS = [
    *("title", "kind", "template", "channels", "languages", "publish_at"),
    *("field:name", "field:name:ko", "field:date", "field:venue"),
    *("field:summary", "field:summary:ko", "field:hashtags"),
]


def _text_row(n: int, when: str) -> list[str]:
    texts = [
        f"Notice {n}: the riverside path is open again.",
        f"공지 {n}: 강변길이 다시 열렸습니다.",
    ]
    return [f"Notice {n}", "update", "linkedin mastodon", when, *texts]


def _event_row(n: int, when: str) -> list[str]:
    names = [f"Walking tour {n}", f"걷기 투어 {n}"]
    summaries = [f"Walk number {n} through the old town.", f"구시가지 걷기 {n}번째."]
    return [
        *(f"Walking tour {n}", "event", "event", "linkedin mastodon", "en ko", when),
        *(*names, "2031-12-20", "City Hall", *summaries, "Walks\nCities"),
    ]


def run(folder: Path, rows: int, *, template: bool, submit: bool) -> None:
    database_path = folder / "tidings.db"
    config = parse_config(CONFIG % {"path": database_path}, folder / "config.toml")
    database = Database(config.database_url)
    database.migrate()
    with database.writing() as session:
        author = add_user(session, name="mina", role=Role.AUTHOR, password_hash=None, actor=None)
    library = TemplateLibrary.default(config.template_folders)
    plan = folder / "plan.csv"
    write_plan(plan, rows, template=template)

    started = time.perf_counter()
    table = read_table(plan.read_bytes(), str(plan))
    planned = check_rows(table, folder=folder, config=config, library=library, now=utcnow())
    checked = time.perf_counter()
    created = store_drafts(
        database,
        planned,
        name=str(plan),
        author=author,
        config=config,
        library=library,
        submit=submit,
    )
    stored = time.perf_counter()
    database.dispose()

    total = stored - started
    kind = ("event-template" if template else "free-text") + (", submitted" if submit else "")
    print(f"{len(created):,} {kind} rows ({plan.stat().st_size:,} bytes) into fresh SQLite")
    print(f"  check every row:   {checked - started:6.1f} s")
    print(f"  add every draft:   {stored - checked:6.1f} s (one transaction)")
    print(
        f"  total:             {total:6.1f} s ({len(created) / total:,.0f} rows/s; target < 30 s)"
    )


if __name__ == "__main__":
    main()
