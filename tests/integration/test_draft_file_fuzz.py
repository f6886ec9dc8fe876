"""Fuzzing draft files: hundreds of mutated files through `tidings draft add` and `draft edit`.

Valid draft files (free text and templates, Korean and English) are mutated with a fixed seed:
bytes flipped, files cut short, lines dropped, doubled or swapped, values swapped or replaced by
values of the wrong type, huge numbers, times off the calendar, deep nesting, control
characters, invalid UTF-8, unknown keys and wrong names. Each file must be added (or edited in)
or refused with one line on stderr, exit status 1 and the database untouched; anything else (a
traceback, "internal error", SQL) is counted as an internal error, and there must be none.
"""

from __future__ import annotations

import functools
import random
import sqlite3
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import tomli_w
import typer.main

from tests.integration.command_line import use_folder
from tidings.cli import main

SEED = 20261203
FILES = 300
LEAKS = ("internal error", "Traceback", "[SQL", "SELECT ", "INSERT ", "UPDATE ")

SEEDS = [
    """
kind = "update"
title = "Riverside park reopens"
channels = ["linkedin", "mastodon", "bluesky"]
publish_at = "next-slot"
[text]
en = \"\"\"🌳 The riverside park is open again: new paths, more shade and a playground.
Read how the city did it: https://example.org/cases/riverside #Parks #LivableCities\"\"\"
ko = \"\"\"🌳 강변 공원이 다시 문을 열었습니다. 새 산책로와 그늘, 놀이터가 생겼습니다.
자세한 내용: https://example.org/cases/riverside #공원 #살기좋은도시\"\"\"
""",
    """
kind = "hiring"
title = "Programme officer, Seoul"
template = "hiring"
channels = ["linkedin", "x-en", "x-ko"]
languages = ["ko", "en"]
expires_at = 2099-12-20

[fields]
position = { en = "Programme Officer", ko = "프로그램 오피서" }
organisation = { en = "the city network secretariat", ko = "도시 네트워크 사무국" }
location = { en = "Seoul, Republic of Korea", ko = "대한민국 서울" }
deadline = 2099-12-18
link = "https://example.org/jobs/programme-officer"
hashtags = ["Hiring", "Seoul"]
""",
    """
kind = "event"
title = "Forum on climate adaptation"
template = "event"
channels = ["linkedin", "mastodon"]
languages = ["en", "ko"]
publish_at = "2099-11-02 09:30"

[fields]
name = { en = "Forum on Climate Adaptation", ko = "기후 적응 포럼" }
date = 2099-11-20T14:00:00+09:00
venue = { en = "Seoul City Hall", ko = "서울시청" }
summary = { en = "Member cities share what worked.", ko = "회원 도시들이 성과를 나눕니다." }
points = ["Rain gardens", "Cool roofs"]
hashtags = ["ClimateAction"]
link = "https://example.org/events/forum"
""",
    """
kind = "update"
title = "도시 사례: 빗물 정원"
template = "update"
channels = ["x-ko", "linkedin"]
languages = ["ko"]

[fields]
headline = "트램 옆 빗물 정원"
intro = "한 해안 도시가 트램 선로 옆 아스팔트를 빗물 정원으로 바꿨습니다."
points = ["침수된 교차로가 11곳에서 2곳으로 줄었습니다", "토종 식물 41종이 자랍니다"]
hashtags = ["기후적응", "자연기반해법"]
emoji = "🌧️"
""",
]

OTHER_VALUES: list[Any] = [
    "",
    " ",
    "x" * 5000,
    "한" * 3000,
    "a\x00b",
    "\x1b[2J\x1b]0;owned\x07",
    "\x7f\x85\x9b",
    "Invoice \u202efdp.exe",
    "👩‍👩‍👧‍👦" * 40,
    "{{ 7 * 7 }}",
    "{% for x in range(3) %}x{% endfor %}",
    "../../etc/passwd",
    0,
    -1,
    2**63,
    -(2**63) - 1,
    10**40,
    1.5,
    True,
    [],
    [1, "a", True],
    ["linkedin", "linkedin"],
    {},
    {"en": "x"},
    {"ko": "서울", "ja": "ソウル"},
    {"en": {"en": {"en": "deep"}}},
    "upd",
    "HIRING",
    "post",
    "xx-INVALID-TAG",
    "zh-Hans",
    "i-klingon",
    "x-en",
    "nope",
]
TIME_VALUES: list[Any] = [
    date(1, 1, 1),
    date(9999, 12, 31),
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-12))),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(2099, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=1))),
    "next-slot",
    "+1h",
    "+0m",
    "+99999999h",
    "+99999999999999999999d",
    "2020-01-01 10:00",
    "2020-01-01 10:00\n",
    "\n2099-12-01 10:00\t",
    "2099-12-01 10:00 Mars/Olympus",
    "2099-03-29 02:30 Europe/Paris",
    "2099-10-25 02:30 Europe/Paris",
    "tomorrow",
    date(2099, 12, 1),
    datetime(2099, 12, 1, 10, 0, tzinfo=UTC),
    "9999-12-30 10:00",
    "0001-01-02T00:00Z",
]
NASTY_VALUES = OTHER_VALUES + TIME_VALUES
TIME_KEYS = {"publish_at", "expires_at", "deadline", "date"}
ODD_TEXTS = [
    "x" * 2000,
    "한" * 1000,
    "Invoice \u202efdp.exe and a zero\u200bwidth space",
    "👩‍👩‍👧‍👦🏳️‍🌈" * 30,
    "{{ 7 * 7 }} {% if true %}not a template{% endif %}",
    "<script>alert(1)</script> &amp; [/] :warning: **bold** _it_",
    "https://example.org/" + "a" * 300,
    "#" * 50 + " @everyone #Seoul#서울",
    "tab\there, windows\r\nline ends, a lone\rreturn",
    "\u0301\u0301 combining marks first",
    "   padded   ",
]
NASTY_LINES = [
    'colour = "red"',
    "[fields]",
    "[text]",
    'en = "again"',
    'ja = "日本語"',
    'publish_at = "next-slot"',
    "languages = []",
    'channels = ["linkedin", "linkedin"]',
    'template = "hiring"',
    "[[media]]",
    'thread = "auto"',
    "x = 1979-05-27T07:32:00Z",
    "x = inf",
    "x = nan",
    "x = 0xDEADBEEF",
    "x = 1e400",
    "x = 99999999999999999999999999999",
    "x = '''",
    'x = """',
    'title = "dup"',
    "[fields.a.b.c]",
    'en = "\\u0000"',
    'ko = "\\u001b[31m"',
    '"\\u0000" = 1',
]
BAD_BYTES = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x00", b"\x1b", b"\r"]


# --- mutations ----------------------------------------------------------------------------


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``value``, itself excluded."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        found.append((*prefix, key))
        if isinstance(item, dict | list) and item:
            found.extend(_paths(item, (*prefix, key)))
    return found


def _parent(data: dict[str, Any], path: tuple[Any, ...]) -> Any:
    node: Any = data
    for step in path[:-1]:
        node = node[step]
    return node


def replace_value(data: dict[str, Any], rng: random.Random) -> None:
    path = rng.choice(_paths(data))
    _parent(data, path)[path[-1]] = rng.choice(NASTY_VALUES)


def replace_draft_key(data: dict[str, Any], rng: random.Random) -> None:
    """A key drafts have (or one of their fields or texts) set to a value of any kind; a time
    key most often to a time, which the calendar or the timezone may not hold."""
    tables = [name for name in ("fields", "text") if isinstance(data.get(name), dict)]
    if tables and rng.random() < 0.5:
        table = data[rng.choice(tables)]
        key = rng.choice([*table, "ko", "en", "deadline", "date", "hashtags", "points"])
    else:
        table = data
        key = rng.choice(
            ["kind", "title", "template", "channels", "languages", "publish_at", "expires_at"]
        )
    timely = key in TIME_KEYS and rng.random() < 0.7
    table[key] = rng.choice(TIME_VALUES if timely else NASTY_VALUES)


def odd_text(data: dict[str, Any], rng: random.Random) -> None:
    """A string a draft holds (the title, a text, a field) made odd but still text."""
    paths = [path for path in _paths(data) if isinstance(_parent(data, path)[path[-1]], str)]
    path = rng.choice([p for p in paths if p[0] in {"title", "text", "fields"}])
    _parent(data, path)[path[-1]] = rng.choice(ODD_TEXTS)


def delete_key(data: dict[str, Any], rng: random.Random) -> None:
    path = rng.choice(_paths(data))
    del _parent(data, path)[path[-1]]


def add_unknown_key(data: dict[str, Any], rng: random.Random) -> None:
    tables = [data, *(v for v in data.values() if isinstance(v, dict))]
    rng.choice(tables)[
        rng.choice(["colour", "titel", "postion", "Kind", "ko", "en-GB", "en\n", "a\tb"])
    ] = rng.choice(NASTY_VALUES)


def swap_values(data: dict[str, Any], rng: random.Random) -> None:
    first, second = rng.choice(_paths(data)), rng.choice(_paths(data))
    if first[: len(second)] == second or second[: len(first)] == first:
        return  # one holds the other
    a, b = _parent(data, first), _parent(data, second)
    a[first[-1]], b[second[-1]] = b[second[-1]], a[first[-1]]


def change_type(data: dict[str, Any], rng: random.Random) -> None:
    path = rng.choice(_paths(data))
    parent = _parent(data, path)
    value = parent[path[-1]]
    parent[path[-1]] = rng.choice(
        [[value], str(value), {"en": value, "ko": value}, {"zz": value}, len(str(value))]
    )


STRUCTURAL: list[Callable[[dict[str, Any], random.Random], None]] = [
    replace_draft_key,
    replace_draft_key,
    replace_draft_key,
    replace_value,
    delete_key,
    add_unknown_key,
    swap_values,
    change_type,
]


def flip_byte(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + bytes([rng.randrange(256)]) + data[at + 1 :]


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))]


def _lines(data: bytes, rng: random.Random) -> tuple[list[bytes], int]:
    lines = data.split(b"\n")
    return lines, rng.randrange(len(lines))


def delete_line(data: bytes, rng: random.Random) -> bytes:
    lines, at = _lines(data, rng)
    return b"\n".join(lines[:at] + lines[at + 1 :])


def duplicate_line(data: bytes, rng: random.Random) -> bytes:
    lines, at = _lines(data, rng)
    return b"\n".join(lines[: at + 1] + lines[at:])


def swap_lines(data: bytes, rng: random.Random) -> bytes:
    lines, at = _lines(data, rng)
    other = rng.randrange(len(lines))
    lines[at], lines[other] = lines[other], lines[at]
    return b"\n".join(lines)


def insert_line(data: bytes, rng: random.Random) -> bytes:
    lines, at = _lines(data, rng)
    return b"\n".join([*lines[:at], rng.choice(NASTY_LINES).encode(), *lines[at:]])


def nest_deeply(data: bytes, rng: random.Random) -> bytes:
    depth = rng.choice([5, 31, 33, 100, 300, 400, 600, 2000])
    key = rng.choice([b"nest", b"publish_at", b"title", b"points", b"position"])
    value = rng.choice(
        [b"[" * depth + b"1" + b"]" * depth, b"{ a = " * depth + b"1" + b" }" * depth]
    )
    if rng.random() < 0.3:  # a table header of dotted keys, as deep
        return data + b"\n[fields." + b".".join([b"a"] * depth) + b"]\nx = 1\n"
    lines, at = _lines(data, rng)
    return b"\n".join([*lines[:at], key + b" = " + value, *lines[at:]])


def insert_bytes(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + rng.choice(BAD_BYTES) + data[at:]


def escape_in_string(data: bytes, rng: random.Random) -> bytes:
    quotes = [i for i, byte in enumerate(data) if byte == ord('"')]
    if not quotes:
        return data
    at = rng.choice(quotes) + 1
    escape = rng.choice([b"\\u0000", b"\\u001b", b"\\u007f", b"\\u0085", b"\\b", b"\\f", b"\\t"])
    return data[:at] + escape + data[at:]


TEXTUAL: list[Callable[[bytes, random.Random], bytes]] = [
    flip_byte,
    truncate,
    delete_line,
    duplicate_line,
    swap_lines,
    insert_line,
    nest_deeply,
    insert_bytes,
    escape_in_string,
]


def mutated_files(rng: random.Random, count: int) -> list[bytes]:
    """``count`` draft files, each a seed with one to four mutations."""
    files = []
    for _ in range(count):
        seed = rng.choice(SEEDS)
        data = seed.encode()
        kind = rng.random()
        if kind < 0.7:  # values: these files parse, and most reach the checks behind the parser
            parsed = tomllib.loads(seed)
            mutations = [odd_text] if kind < 0.3 else rng.choices(STRUCTURAL, k=rng.randint(1, 2))
            for mutate in mutations:
                mutate(parsed, rng)
            data = tomli_w.dumps(parsed).encode()
        if kind >= 0.7 or rng.random() < 0.15:  # text: the parser's turn
            for _ in range(rng.randint(1, 2)):
                if data:
                    data = rng.choice(TEXTUAL)(data, rng)
        files.append(data)
    return files


# --- running them -------------------------------------------------------------------------


@dataclass
class Tally:
    accepted: int = 0
    refused: int = 0
    internal: list[str] = field(default_factory=list)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_folder(tmp_path, monkeypatch)
    # typer builds the command tree on every call, once per process for a real `tidings`; built
    # once here, the same tree serves the test's hundreds of calls in one process.
    monkeypatch.setattr(typer.main, "get_command", functools.cache(typer.main.get_command))
    for args in (["init"], ["user", "add", "mina", "--role", "author"]):
        main(args)
    (tmp_path / "seed.toml").write_text(SEEDS[0], encoding="utf-8")
    main(["draft", "add", "seed.toml", "--as", "mina"])
    return tmp_path


def run_one(args: list[str], capsys: pytest.CaptureFixture[str], changes: Callable[[], int]) -> str:
    """``accepted``, ``refused``, or what went wrong."""
    capsys.readouterr()
    before = changes()
    try:
        main(args)
        code: object = 0
    except SystemExit as exit_:
        code = exit_.code or 0
    except Exception as error:  # main let something through: that is the bug
        return f"escaped {type(error).__name__}: {error}"
    captured = capsys.readouterr()
    if code == 0:
        return "accepted"
    lines = captured.err.strip().splitlines()
    if code != 1 or len(lines) != 1 or not lines[0].startswith("error: ") or captured.out:
        return f"exit {code}, stderr {captured.err!r}, stdout {captured.out[:200]!r}"
    if any(leak in lines[0] for leak in LEAKS):
        return lines[0]
    if changes() != before:
        return f"refused but the database changed: {lines[0]}"
    return "refused"


def test_no_mutated_draft_file_meets_an_internal_error(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = mutated_files(random.Random(SEED), FILES)
    # PRAGMA data_version moves when another connection commits, and only then.
    watcher = sqlite3.connect(workdir / "tidings.db")

    def changes() -> int:
        return int(watcher.execute("PRAGMA data_version").fetchone()[0])

    tallies = {"add": Tally(), "edit": Tally()}
    for number, data in enumerate(files):
        path = workdir / f"fuzz-{number}.toml"
        path.write_bytes(data)
        for command, args in (
            ("add", ["draft", "add", path.name, "--as", "mina"]),
            ("edit", ["draft", "edit", "1", path.name, "--as", "mina"]),
        ):
            outcome = run_one(args, capsys, changes)
            tally = tallies[command]
            if outcome == "accepted":
                tally.accepted += 1
            elif outcome == "refused":
                tally.refused += 1
            else:
                tally.internal.append(f"{path.name} ({command}): {outcome}")
    watcher.close()
    internal = [problem for tally in tallies.values() for problem in tally.internal]
    assert not internal, f"{len(internal)} internal errors:\n" + "\n".join(internal[:20])
    for tally in tallies.values():  # the mutations reach both the checks and the storage
        assert tally.accepted >= FILES // 10 and tally.refused >= FILES // 2, tallies
