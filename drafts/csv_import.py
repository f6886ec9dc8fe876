"""CSV import: one draft per row of a spreadsheet, all of them or none.

Each row becomes the draft file an author would have written (with tomli-w) and is read by
``read_draft_file``, its images by ``read_media`` and its posts stored by ``add_draft``: every
check and every message is that of ``tidings draft add``, said at the row and column it came
from (``row 7, column text:ko: the ko text is empty``). Rows are numbered as a spreadsheet shows
them: the header is row 1.

Columns (the header names them, in any order; a cell left empty leaves its key out):
``title``, ``kind``, ``template``, ``channels`` and ``languages`` (ids separated by spaces),
``publish_at``, ``expires_at`` (a date alone is the end of that day), ``text:<lang>``,
``field:<name>`` and ``field:<name>:<lang>`` (typed as the template reads the field: a list one
item a line), ``media`` (image files beside the CSV, separated by spaces), ``alt:<lang>`` (the
images' alt text: one line per image when there are several), ``repeat`` (an RRULE, as a draft
file's: the draft repeats from ``publish_at``).

Nothing is written unless every row passes: the header is checked first (every unknown,
repeated or missing column in one problem), then every row, then the drafts are added in one
transaction, which a problem found while adding (a template that cannot render a row's fields,
a post too long to submit) rolls back whole. A rehearsal (``--dry-run``) adds them and rolls
back, so it finds what the import would.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import tomli_w
from sqlmodel import Session

from drafts.authoring import add_draft
from drafts.config import Config
from drafts.draft_file import DraftContent, read_draft_file
from drafts.errors import DraftError, ReviewError, TidingsError
from drafts.learned_limits import LearnedLimits, learned_limits
from drafts.media_files import read_media
from drafts.media_store import CleanImage
from drafts.messages import N_, Item, Problem, Problems, Said, said
from drafts.models import User
from drafts.rendering import TemplateLibrary
from drafts.review import submit as submit_draft
from drafts.storage import Database
from drafts.template_fields import DATE, FieldKind, field_value, template_fields

PLAIN_COLUMNS = (
    "title",
    "kind",
    "template",
    "channels",
    "languages",
    "publish_at",
    "expires_at",
    "media",
    "repeat",
)
PREFIXED_COLUMNS = ("text:<lang>", "field:<name>", "field:<name>:<lang>", "alt:<lang>")
REQUIRED_COLUMNS = ("title", "kind", "channels")
# 10,000 rows of a few hundred characters each, with room to spare; far more than a quarter's plan.
MAX_CSV_BYTES = 16 * 1024 * 1024
_NAME = "row"  # what read_draft_file's own lines are prefixed with, taken off again
_KEYED_LINE = re.compile(r"^(?P<key>[a-z_]+(?:\[\d+\])?(?:\.[^\s:]+)*): (?P<rest>.+)$", re.DOTALL)

Step = Callable[[], None]


def _no_step() -> None:
    """Nothing to show: no progress bar is watching."""


@dataclass(frozen=True)
class RowProblem:
    """What is wrong at one row and column (``column`` empty: the row as a whole)."""

    row: int
    column: str
    problem: Said | str

    @property
    def sentence(self) -> Said:
        if self.column:
            at_cell = N_("row %(row)s, column %(column)s: %(problem)s")
            return said(at_cell, row=self.row, column=self.column, problem=self.problem)
        return said(N_("row %(row)s: %(problem)s"), row=self.row, problem=self.problem)

    def __str__(self) -> str:
        return str(self.sentence)


class CsvError(DraftError):
    """A CSV file that cannot be imported; ``problems`` holds every one, in row order."""

    def __init__(self, name: str, problems: Sequence[RowProblem]) -> None:
        self.name = name
        self.problems = tuple(sorted(problems, key=lambda found: found.row))
        super().__init__(Problems(name, tuple(found.sentence for found in self.problems)))


@dataclass(frozen=True)
class CsvTable:
    """A CSV file's rows under a checked header: each row's number and its cells by column."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[int, Mapping[str, str]], ...]


@dataclass(frozen=True)
class PlannedDraft:
    """One row, checked: the draft it makes and the cleaned images it names."""

    row: int
    content: DraftContent
    images: tuple[CleanImage, ...]


@dataclass(frozen=True)
class CreatedDraft:
    """A draft an import added (or, rehearsed, would add): ``id`` is None in a rehearsal."""

    row: int
    id: int | None
    title: str
    channels: tuple[str, ...]
    languages: tuple[str, ...]
    publish_at: datetime | None
    next_slot: bool
    status: str
    repeat: str | None = None  # the RRULE of a repeating draft, publish_at its first occurrence


def read_table(data: bytes, name: str) -> CsvTable:
    """The rows of a UTF-8 CSV file (with or without a byte-order mark) under its header; a
    CsvError naming every header problem, or the row the file stops being CSV at."""
    if len(data) > MAX_CSV_BYTES:
        too_large = N_("%(size)s bytes; a CSV file may hold at most %(limit)s")
        sizes = {"size": f"{len(data):,}", "limit": f"{MAX_CSV_BYTES:,}"}
        raise CsvError(name, [RowProblem(1, "", said(too_large, **sizes))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        byte = f"0x{error.object[error.start]:02x}"
        not_utf8 = N_("not UTF-8 text (byte %(byte)s at position %(position)s); save it as UTF-8")
        sentence = said(not_utf8, byte=byte, position=error.start)
        line = data[: error.start].count(b"\n") + 1  # a line, as near a row as undecoded bytes go
        raise CsvError(name, [RowProblem(line, "", sentence)]) from None
    records = _records(text, name)
    if not records or not any(cell.strip() for cell in records[0][1]):
        empty = N_("the first row must name the columns (title, kind, channels, ...)")
        raise CsvError(name, [RowProblem(1, "", said(empty))])
    columns = tuple(cell.strip() for cell in records[0][1])
    _check_header(name, columns)
    rows, found = [], []
    for number, cells in records[1:]:
        if not any(cell.strip() for cell in cells):
            continue  # a blank line, or a row of empty cells a spreadsheet left behind
        if len(cells) > len(columns):
            too_many = N_("%(count)s cells, but the first row names %(columns)s columns")
            words = {"count": len(cells), "columns": len(columns)}
            found.append(RowProblem(number, "", said(too_many, **words)))
            continue
        rows.append((number, dict(zip(columns, cells, strict=False))))
    if found:
        raise CsvError(name, found)
    return CsvTable(name=name, columns=columns, rows=tuple(rows))


def _records(text: str, name: str) -> list[tuple[int, list[str]]]:
    """Every record, numbered from 1 as a spreadsheet numbers its rows (a cell holding line
    breaks is still one row)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            records.append((len(records) + 1, cells))
    except csv.Error as error:
        not_csv = N_("not CSV from here on (%(reason)s)")
        found = RowProblem(len(records) + 1, "", said(not_csv, reason=str(error)))
        raise CsvError(name, [found]) from None
    return records


def _check_header(name: str, columns: tuple[str, ...]) -> None:
    found = []
    unknown = [column for column in columns if not _known(column)]
    if unknown:
        listed = ", ".join(repr(column) for column in unknown)
        known = ", ".join((*PLAIN_COLUMNS, *PREFIXED_COLUMNS))
        not_known = N_("unknown columns: %(columns)s (the columns are %(known)s)")
        found.append(RowProblem(1, "", said(not_known, columns=listed, known=known)))
    twice = sorted({column for column in columns if columns.count(column) > 1})
    if twice:
        repeated = N_("columns given twice: %(columns)s")
        found.append(RowProblem(1, "", said(repeated, columns=", ".join(twice))))
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        absent = N_("missing columns: %(columns)s (every row needs them)")
        found.append(RowProblem(1, "", said(absent, columns=", ".join(missing))))
    if found:
        raise CsvError(name, found)


def _known(column: str) -> bool:
    if column in PLAIN_COLUMNS:
        return True
    prefix, _, rest = column.partition(":")
    parts = rest.split(":")
    if prefix in {"text", "alt"}:
        return len(parts) == 1 and bool(parts[0])
    return prefix == "field" and len(parts) in {1, 2} and all(parts)


def check_rows(
    table: CsvTable,
    *,
    folder: Path | None,
    config: Config,
    library: TemplateLibrary,
    now: datetime,
    step: Step = _no_step,
) -> list[PlannedDraft]:
    """Every row read as a draft file and its images cleaned; a CsvError naming every problem
    of every row. ``folder`` holds the images the ``media`` column names (None: an upload,
    which brings none)."""
    kinds = _FieldKinds(library)
    planned: list[PlannedDraft] = []
    found: list[RowProblem] = []
    for number, cells in table.rows:
        row_found, data = _draft_data(number, cells, folder, config, kinds)
        plan: PlannedDraft | None = None
        try:
            plan = _plan(number, data, folder, config, now)
        except DraftError as error:
            row_found += _at_columns(number, error, cells)
        if plan is not None and not row_found:
            planned.append(plan)
        found += row_found
        step()
    if found:
        raise CsvError(table.name, found)
    return planned


def _plan(
    number: int, data: dict[str, Any], folder: Path | None, config: Config, now: datetime
) -> PlannedDraft:
    content = read_draft_file(tomli_w.dumps(data), _NAME, config, now)
    images: list[CleanImage] = []
    if content.media and folder is not None:
        content, images = read_media(content, folder, _NAME)
    return PlannedDraft(row=number, content=content, images=tuple(images))


class _FieldKinds:
    """How each template reads its fields, looked up once per template for the whole file."""

    def __init__(self, library: TemplateLibrary) -> None:
        self.library = library
        self._known: dict[str, dict[str, FieldKind]] = {}

    def of(self, template: str, name: str) -> FieldKind:
        if template not in self._known:
            fields = template_fields(self.library, template)
            self._known[template] = {each.name: each.kind for each in fields}
        return self._known[template].get(name, "text")


def _draft_data(
    number: int,
    cells: Mapping[str, str],
    folder: Path | None,
    config: Config,
    kinds: _FieldKinds,
) -> tuple[list[RowProblem], dict[str, Any]]:
    """The draft file a row stands for, and the problems only a CSV can have."""
    filled = {column: value for column, value in cells.items() if value.strip()}
    found = []
    data: dict[str, Any] = {}
    for key in ("kind", "title", "template", "publish_at", "repeat"):
        if key in filled:
            data[key] = filled[key].strip()
    for key in ("channels", "languages"):
        if key in filled:
            data[key] = filled[key].split()
    if "expires_at" in filled:
        expires = filled["expires_at"].strip()
        data["expires_at"] = date.fromisoformat(expires) if DATE.match(expires) else expires
    text = {column[5:]: value for column, value in filled.items() if column.startswith("text:")}
    if text:
        data["text"] = text
    fields = _fields(filled, data, config, kinds)
    if fields:
        data["fields"] = fields
    media, media_found = _media(number, filled, folder)
    found += media_found
    if media:
        data["media"] = media
    return found, data


def _fields(
    filled: Mapping[str, str], data: Mapping[str, Any], config: Config, kinds: _FieldKinds
) -> dict[str, Any]:
    """The row's ``field:`` cells, each typed as its template reads it, per language where
    some cells are."""
    shared: dict[str, str] = {}
    own: dict[str, dict[str, str]] = {}
    for column, value in filled.items():
        prefix, _, rest = column.partition(":")
        if prefix != "field":
            continue
        name, _, language = rest.partition(":")
        if language:
            own.setdefault(name, {})[language] = value
        else:
            shared[name] = value
    template = data.get("template", "")
    written_in = data.get("languages") or sorted({tag for each in own.values() for tag in each})
    return {
        name: field_value(
            shared.get(name, ""),
            own.get(name, {}),
            kinds.of(template, name) if template else "text",
            written_in,
            config.zone,
        )
        for name in dict.fromkeys([*shared, *own])
    }


def _media(
    number: int, filled: Mapping[str, str], folder: Path | None
) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    """The row's ``[[media]]`` entries: each file with its alt text per language."""
    files = filled.get("media", "").split()
    alts = {column[4:]: value for column, value in filled.items() if column.startswith("alt:")}
    if not files:
        if alts:
            no_images = N_("gives alt text, but the row names no image in media")
            return [], [RowProblem(number, f"alt:{tag}", said(no_images)) for tag in sorted(alts)]
        return [], []
    if folder is None:
        no_files = N_(
            "an uploaded CSV brings no image files: import it with `tidings import` beside its "
            "images, or add them on the draft's page"
        )
        return [], [RowProblem(number, "media", said(no_files))]
    by_image: list[dict[str, str]] = [{} for _ in files]
    found = []
    for language, text in alts.items():
        lines = [line.strip() for line in text.splitlines()] if len(files) > 1 else [text]
        if len(lines) != len(files):
            per_image = N_("%(lines)s lines for %(images)s images: give one line per image")
            words = {"lines": len(lines), "images": len(files)}
            found.append(RowProblem(number, f"alt:{language}", said(per_image, **words)))
            continue
        for entry, line in zip(by_image, lines, strict=True):
            entry[language] = line
    media = [
        {"file": file, "alt": alt} if alt else {"file": file}
        for file, alt in zip(files, by_image, strict=True)
    ]
    return media, found


def _at_columns(number: int, error: TidingsError, cells: Mapping[str, str]) -> list[RowProblem]:
    """A draft file's problems, each at the column its key came from."""
    made = error.message
    items: Sequence[Item] = made.items if isinstance(made, Problems) else (made,)
    return [_at_column(number, item, cells) for item in items]


def _at_column(number: int, item: Item, cells: Mapping[str, str]) -> RowProblem:
    if isinstance(item, str):
        line = item.removeprefix(f"{_NAME}: ")
        keyed = _KEYED_LINE.match(line)
        if keyed is None:
            return RowProblem(number, "", line)
        item = Problem(keyed["key"], keyed["rest"])
    if not isinstance(item, Problem) or not item.field:
        return RowProblem(number, "", item.said if isinstance(item, Problem) else item)
    return RowProblem(number, _column(item.field, cells), item.said)


def _column(key: str, cells: Mapping[str, str]) -> str:
    """The column a draft-file key (``text.ko``, ``fields.venue.en``, ``media[1].alt.ko``)
    came from."""
    top, _, rest = key.partition(".")
    top = top.split("[", 1)[0]
    if top == "text":
        return f"text:{rest}" if rest else "text:<lang>"
    if top == "fields":
        name, _, language = rest.partition(".")
        per_language = f"field:{name}:{language}"
        if language and per_language in cells:
            return per_language
        return f"field:{name}" if name else "field:<name>"
    if top == "media":
        _, _, language = rest.partition("alt.")
        return f"alt:{language}" if language else "media"
    return top


def store_drafts(
    database: Database,
    planned: Sequence[PlannedDraft],
    *,
    name: str,
    author: User,
    config: Config,
    library: TemplateLibrary,
    submit: bool = False,
    rehearse: bool = False,
    step: Step = _no_step,
) -> list[CreatedDraft]:
    """Add a draft for each planned row in one transaction (and send each to review with
    ``submit``); a CsvError naming every row that could not be added, and nothing written.
    ``rehearse`` adds them all and rolls back: what the import would create, nothing written."""
    try:
        with database.writing() as session:
            created = _add_all(session, planned, name, author, config, library, submit, step)
            if rehearse:
                raise _Rehearsed(created)
    except _Rehearsed as rehearsed:
        return [replace(each, id=None) for each in rehearsed.created]
    return created


class _Rehearsed(Exception):
    """Ends a rehearsal's transaction: raised through ``Database.writing``, it rolls back."""

    def __init__(self, created: list[CreatedDraft]) -> None:
        super().__init__()
        self.created = created


def _add_all(
    session: Session,
    planned: Sequence[PlannedDraft],
    name: str,
    author: User,
    config: Config,
    library: TemplateLibrary,
    submit: bool,
    step: Step,
) -> list[CreatedDraft]:
    created: list[CreatedDraft] = []
    found: list[RowProblem] = []
    learned = learned_limits(session)  # the same for every row of the one transaction
    for each in planned:
        try:
            created.append(_add_one(session, each, author, config, library, learned, submit))
        except ReviewError as error:
            found.append(RowProblem(each.row, "", _not_submitted(error)))
        except TidingsError as error:
            found += _at_columns(each.row, error, {})
        step()
    if found:
        raise CsvError(name, found)
    return created


def _not_submitted(error: ReviewError) -> Said | str:
    """Why a row's draft cannot go to review, without the number of a draft never kept."""
    made = error.message
    if isinstance(made, Said) and "problems" in made.words:
        return said(N_("cannot be sent to review: %(problems)s"), problems=made.words["problems"])
    return str(error)


def _add_one(
    session: Session,
    planned: PlannedDraft,
    author: User,
    config: Config,
    library: TemplateLibrary,
    learned: LearnedLimits,
    submit: bool,
) -> CreatedDraft:
    content = planned.content
    draft = add_draft(
        session,
        content=content,
        author=author,
        config=config,
        library=library,
        images=planned.images,
        learned=learned,
    )
    assert draft.id is not None
    if submit:
        draft = submit_draft(
            session, draft_id=draft.id, actor=author, config=config, learned=learned
        )
    created = CreatedDraft(
        row=planned.row,
        id=draft.id,
        title=content.title,
        channels=content.channels,
        languages=content.languages,
        publish_at=content.publish_at,
        next_slot=content.publish_next_slot,
        status=draft.status,
        repeat=content.repeat,
    )
    # Every row stays in the transaction, but not in the session: a flush looks through every
    # object the session holds, so thousands of drafts held would make each row slower.
    session.flush()
    session.expunge_all()
    return created
