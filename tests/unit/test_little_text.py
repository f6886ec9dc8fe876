"""LinkedIn's little text, escaped and read back: the linear implementations give exactly what
the per-character ones before them gave (tests/unit/little_text_reference.py), on tricky texts
and on texts drawn at random from the characters that matter."""

from __future__ import annotations

import random

import pytest

from drafts.text_rules.linkedin import escape_little
from scheduler.platforms.linkedin import read_little
from tests.unit import little_text_reference as before

TRICKY = [
    "",
    "plain text",
    "Q3 (draft) [v2] a_b #tag @me \\ ok",
    "a*b~c|d{e}f<g>h",
    "back\\slash and a last backslash \\",
    "\\",
    "\\\\#tag",
    "#hiring now, #my_tag, #tag_, #_tag, ##tag, #tag#other, #2024, #2024goals",
    "#채용 #개발자 #기후_행동 (#서울)",
    "C# and F#, issue#12, &#39;, #http://example.com",
    "https://example.com/page#section example.com/#anchor",
    "https://en.wikipedia.org/wiki/Primer_(film) and www.example.org/a_b~c",
    "@[Acme](urn:li:organization:1) and @[](urn:li:person:abc-1_2) and @[Acme](urn:li:x:1)",
    "{hashtag|\\#|news} {hashtag|\\#|} {hashtag|#|news}",
    "line one #one\nline two_two\r\n(three)\t~four~",
    "café\u0301 #e\u0301te\u0301 🇰🇷 #👍 👩‍👩‍👧 *bold* _it_",
    "@me@you [[x]] ((y)) <<z>> ||",
]

PIECES = [
    *"|{}@[]()<>#\\*_~",
    *"aZ7 가é\u0301&:/.\n",
    "#tag",
    "#채용",
    "_x",
    "https://",
    "example.com",
    "x.org/a_b",
    "@[Acme](urn:li:organization:1)",
    "{hashtag|\\#|go}",
    "🇰🇷",
]


def random_texts(count: int) -> list[str]:
    draw = random.Random(18)
    return ["".join(draw.choices(PIECES, k=draw.randrange(40))) for _ in range(count)]


TEXTS = TRICKY + random_texts(600)


@pytest.mark.parametrize("text", TRICKY)
def test_escaping_a_tricky_text_gives_what_it_gave_before(text: str) -> None:
    assert escape_little(text) == before.escape_little(text)


@pytest.mark.parametrize("text", TRICKY)
def test_reading_a_tricky_commentary_gives_what_it_gave_before(text: str) -> None:
    assert read_little(text) == before.read_little(text)
    assert read_little(escape_little(text)) == before.read_little(before.escape_little(text))


def test_random_texts_escape_and_read_as_before() -> None:
    for text in TEXTS:
        assert escape_little(text) == before.escape_little(text), text
        assert read_little(text) == before.read_little(text), text
        assert read_little(escape_little(text)) == before.read_little(escape_little(text)), text
