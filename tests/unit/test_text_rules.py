"""Channel text rules: each platform's count and limit, on tables of texts counted by hand.

Every expected number below is worked out in the comments (characters counted, weights added),
not taken from the code under test.
"""

from __future__ import annotations

import random

import pytest

from drafts.text_rules import DEFAULT_RULES, PLATFORMS, Measurement, TextRules, measure
from drafts.text_rules.graphemes import count_graphemes
from drafts.text_rules.linkedin import RESERVED_CHARACTERS, escape_little
from drafts.text_rules.mastodon import countable_text
from drafts.text_rules.urls import MASTODON, TWITTER, UrlSyntax, _fold_case, _matches, extract_urls

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦: 4 emoji, 3 ZWJ
# UTF-8: four 4-byte emoji and three 3-byte ZWJs = 25 bytes; UTF-16: 4 x 2 + 3 = 11 units.

# A Korean hiring post of 190 characters: 127 Hangul syllables and 63 others (spaces, ASCII
# letters, punctuation, 2 newlines), line by line:
#   "[채용] 타이딩스 백엔드 개발자 모집"   20 = 14 Hangul + 6 others ([ ] and 4 spaces)
#   "서울 또는 ... 부탁드립니다!"        160 = 108 Hangul + 52 others
#   "#채용 #개발자"                     8 = 5 Hangul + 3 others (# space #)
#   plus the 2 newlines.
KOREAN_POST = (
    "[채용] 타이딩스 백엔드 개발자 모집\n"
    "서울 또는 원격으로 일할 백엔드 개발자를 찾습니다. 파이썬과 PostgreSQL 경험이 있으면 좋습니다. "
    "작은 팀에서 다국어 소셜 미디어 예약 도구를 함께 만들어 갈 동료를 기다립니다. "
    "지원서는 이메일로 보내 주세요. 서류 검토 후 일주일 안에 연락드리겠습니다. 많은 관심 부탁드립니다!\n"
    "#채용 #개발자"
)


def lengths(platform: str, text: str, rules: TextRules = DEFAULT_RULES) -> list[int]:
    return [measurement.length for measurement in measure(platform, text, rules)]


def problems(platform: str, text: str, rules: TextRules = DEFAULT_RULES) -> list[str | None]:
    return [measurement.problem() for measurement in measure(platform, text, rules)]


def test_korean_post_is_counted_per_platform() -> None:
    assert len(KOREAN_POST) == 190
    # X: Hangul weighs 2, the rest 1: 127 x 2 + 63 = 317.
    assert lengths("x", KOREAN_POST) == [317]
    assert problems("x", KOREAN_POST) == ["317 weighted characters, over X's limit of 280 by 37"]
    # LinkedIn: 190 UTF-16 units, plus a backslash for "[" and "]"; both "#" open hashtags.
    assert lengths("linkedin", KOREAN_POST) == [192]
    assert problems("linkedin", KOREAN_POST) == [None]
    # Bluesky: 190 graphemes; 127 x 3 + 63 x 1 = 444 UTF-8 bytes.
    assert lengths("bluesky", KOREAN_POST) == [190, 444]
    # No URL, mention or emoji: every other platform counts the 190 characters.
    for platform in ("mastodon", "facebook", "telegram", "webhook"):
        assert lengths(platform, KOREAN_POST) == [190]
    assert lengths("threads", KOREAN_POST) == [190, 0]
    assert all(measurement.fits for measurement in measure("threads", KOREAN_POST))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello", 5),
        # "Apply at " 9 + URL 23 + " " 1 + 🚀 2
        ("Apply at https://jobs.example.com/backend?ref=li 🚀", 35),
        # "see " 4 + bare domain 23
        ("see example.com/jobs", 27),
        # one emoji, however many code points: ZWJ family, skin tone + ZWJ, flag, keycap, VS16
        (FAMILY, 2),
        ("\U0001f469\U0001f3fd\u200d\U0001f4bb", 2),  # 👩🏽‍💻
        ("\U0001f1f0\U0001f1f7", 2),  # 🇰🇷
        ("1\ufe0f\u20e3", 2),  # 1️⃣
        ("1\u20e3", 2),  # unqualified keycap, twitter-text 3.1.0's fix #300
        ("\u2764\ufe0f", 2),  # ❤️
        # Emoji 12, newer than twitter-text's twemoji (which counted 2 + 1 + 2 + 1 + 2)
        ("\U0001f9d1\u200d\U0001f91d\u200d\U0001f9d1", 2),  # 🧑‍🤝‍🧑
        # no such emoji: 😀 2 + ZWJ 1 + 😀 2
        ("\U0001f600\u200d\U0001f600", 5),
        ("\u00a9", 1),  # © alone is text, inside U+0000-U+10FF
        ("e\u0301", 1),  # NFC makes one é
        ("日本語", 6),
        ("\uff21\uff22\uff23", 6),  # fullwidth ＡＢＣ: outside the light ranges
        ("\u2014", 1),  # em dash, U+2010-U+201F
        ("\u2026", 2),  # ellipsis U+2026: outside every light range
        ("a" * 280, 280),
    ],
)
def test_x_weighted_length(text: str, expected: int) -> None:
    assert lengths("x", text) == [expected]


def test_x_limit_and_invalid_characters() -> None:
    assert problems("x", "a" * 280) == [None]
    assert problems("x", "a" * 281) == ["281 weighted characters, over X's limit of 280 by 1"]
    assert problems("x", "Hello\ufeffworld\ufffe") == ["contains U+FEFF, U+FFFE, which X rejects"]


@pytest.mark.parametrize(
    ("text", "rules", "expected"),
    [
        # "Read " 5 + a URL with protocol, whatever its length, 23
        ("Read https://example.com/a/very/long/path/that/goes/on", TextRules(), 28),
        # a bare domain counts in full: 28 characters
        ("example.com/a/very/long/path", TextRules(), 28),
        # the instance's URL allowance: 5 + 30
        ("Read https://example.com/x", TextRules(characters_reserved_per_url=30), 35),
        # Mastodon's own protocols count too
        ("gemini://example.org/page", TextRules(), 23),
        # Mastodon's paths run to the next space: URL 23 + " ok" 3
        ("https://example.com/日本語 ok", TextRules(), 26),
        # a remote mention counts as its local part: "@alice hi"
        ("@alice@social.example.org hi", TextRules(), 9),
        ("@alice hi", TextRules(), 9),
        # graphemes: the family is one, é written as e + U+0301 is one
        (FAMILY + " e\u0301", TextRules(), 3),
    ],
)
def test_mastodon_length(text: str, rules: TextRules, expected: int) -> None:
    assert lengths("mastodon", text, rules) == [expected]


def test_mastodon_limit_is_the_instance_one() -> None:
    assert problems("mastodon", "Hello Mastodon", TextRules(max_characters=10)) == [
        "14 characters, over Mastodon's limit of 10 by 4"
    ]
    assert problems("mastodon", "a" * 500) == [None]
    assert problems("mastodon", "a" * 501) == ["501 characters, over Mastodon's limit of 500 by 1"]


def test_mastodon_countable_text() -> None:
    text = "cc @bob@example.net, see https://example.com/@bob@example.net/1 and @carol"
    assert countable_text(text, 23) == "cc @bob, see " + "x" * 23 + " and @carol"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # URLs count in full: "Read " 5 + 8 + 11 + 17 = 41 graphemes and bytes
        ("Read https://example.com/a/very/long/path", [41, 41]),
        # 300 Hangul syllables: 300 graphemes, 3 bytes each
        ("가" * 300, [300, 900]),
        # two flags: 2 graphemes of two 4-byte regional indicators each
        ("\U0001f1f0\U0001f1f7\U0001f1ef\U0001f1f5", [2, 16]),
        # e + U+0301: 1 grapheme, 1 + 2 bytes
        ("e\u0301", [1, 3]),
        (FAMILY, [1, 25]),
    ],
)
def test_bluesky_graphemes_and_bytes(text: str, expected: list[int]) -> None:
    assert lengths("bluesky", text) == expected


def test_bluesky_limits() -> None:
    # Korean reaches the grapheme limit first: 301 graphemes are only 903 bytes.
    assert problems("bluesky", "가" * 301) == [
        "301 graphemes, over Bluesky's limit of 300 by 1",
        None,
    ]
    # Korean alone never reaches the byte limit first (300 graphemes x 3 bytes = 900 < 3,000);
    # it takes more than 10 bytes a grapheme, as in ZWJ emoji: 121 families are 3,025 bytes.
    assert problems("bluesky", FAMILY * 121) == [
        None,
        "3,025 UTF-8 bytes, over Bluesky's limit of 3,000 by 25",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 33 characters, 7 of them escaped: ( ) [ ] _ @ and the backslash
        ("Q3 (draft) [v2] a_b #tag @me \\ ok", 40),
        # 𝕏 is two UTF-16 units
        ("\U0001d54f post", 7),
        ("(" * 1500, 3000),
    ],
)
def test_linkedin_counts_the_escaped_text(text: str, expected: int) -> None:
    assert lengths("linkedin", text) == [expected]


def test_linkedin_limit() -> None:
    assert problems("linkedin", "(" * 1501) == [
        "3,002 characters, over LinkedIn's limit of 3,000 by 2"
    ]
    assert problems("linkedin", "a" * 3001) == [
        "3,001 characters, over LinkedIn's limit of 3,000 by 1"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi \U0001f44b", 7),  # "Hi " 3 + 👋 4 bytes
        ("\u2764\ufe0f", 6),  # ❤ 3 bytes + VS16 3 bytes
        (FAMILY, 25),
        ("\U0001f44d\U0001f3fd", 8),  # 👍🏽: two 4-byte code points
        ("\U0001f1f0\U0001f1f7", 8),  # 🇰🇷
        ("안녕하세요", 5),  # code points
        ("\u00a9", 1),  # © without VS16 shows as text
        ("\u00a9\ufe0f", 5),  # ©️: 2 + 3 bytes
        ("\u2122", 1),  # ™
        ("\U0001f600" * 125, 500),
    ],
)
def test_threads_counts_emoji_by_bytes(text: str, expected: int) -> None:
    assert lengths("threads", text)[0] == expected


def test_threads_limits() -> None:
    assert problems("threads", "\U0001f600" * 126) == [
        "504 characters, over Threads' limit of 500 by 4",
        None,
    ]
    five = "a.com b.com c.com d.com https://e.com/x"
    assert lengths("threads", five)[1] == 5
    assert problems("threads", five + " f.com") == [None, "6 links, over Threads' limit of 5 by 1"]


def test_telegram_facebook_and_webhook_count_utf16_units() -> None:
    assert lengths("telegram", "\U0001f44d" * 2048) == [4096]
    assert problems("telegram", "\U0001f44d" * 2049) == [
        "4,098 characters, over Telegram's limit of 4,096 by 2"
    ]
    assert lengths("facebook", "\U0001d54f") == [2]
    assert problems("facebook", "a" * 63_207) == [
        "63,207 characters, over Facebook's limit of 63,206 by 1"
    ]
    [webhook] = measure("webhook", "a" * 100_000)
    assert (webhook.length, webhook.limit, webhook.fits) == (100_000, None, True)


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("text", ["", "  \n\t"])
def test_empty_text_is_a_problem_everywhere(platform: str, text: str) -> None:
    found = measure(platform, text)
    assert found
    assert all(measurement.problem() == "empty text" for measurement in found)
    assert not any(measurement.fits for measurement in found)


def test_every_platform_is_known_and_others_are_refused() -> None:
    assert set(PLATFORMS) == {
        "linkedin",
        "x",
        "mastodon",
        "bluesky",
        "facebook",
        "threads",
        "telegram",
        "webhook",
    }
    with pytest.raises(ValueError, match="unknown platform 'myspace'"):
        measure("myspace", "hello")


def test_measurement_reports_one_problem_blank_first() -> None:
    over = Measurement(312, 280, "weighted characters", "X")
    assert over.problem() == "312 weighted characters, over X's limit of 280 by 32"
    assert not over.fits
    assert Measurement(280, 280, "weighted characters", "X").fits
    rejected = Measurement(3, 280, "weighted characters", "X", rejected=("\uffff",))
    assert rejected.problem() == "contains U+FFFF, which X rejects"
    blank = Measurement(0, 280, "weighted characters", "X", rejected=("\uffff",), blank=True)
    assert blank.problem() == "empty text"


def test_text_rules_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="max_characters"):
        TextRules(max_characters=0)
    with pytest.raises(ValueError, match="characters_reserved_per_url"):
        TextRules(characters_reserved_per_url=-1)


# --- escape_little ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain text", "plain text"),
        ("", ""),
        ("Q3 (draft) [v2] a_b #tag @me \\ ok", r"Q3 \(draft\) \[v2\] a\_b #tag \@me \\ ok"),
        ("a*b~c|d{e}f<g>h", r"a\*b\~c\|d\{e\}f\<g\>h"),
        ("back\\slash", r"back\\slash"),
        # hashtags stay clickable; their own reserved characters are still escaped
        ("#hiring now", "#hiring now"),
        ("#2024goals", "#2024goals"),
        ("#채용 #개발자", "#채용 #개발자"),
        ("(#tag)", r"\(#tag\)"),
        ("#my_tag", r"#my\_tag"),
        ("#tag_", r"#tag\_"),
        ("\\#tag", r"\\#tag"),
        # not hashtags: inside a word, only digits, no letter after it, glued to another #
        ("C# and F#", r"C\# and F\#"),
        ("issue#12", r"issue\#12"),
        ("#2024", r"\#2024"),
        ("#_tag", r"\#\_tag"),
        ("# heading", r"\# heading"),
        ("##tag", r"\##tag"),
        ("#tag#other", r"\#tag\#other"),
        ("&#39;", r"&\#39;"),
        ("#http://example.com", r"\#http://example.com"),
        # inside URLs, with or without protocol, everything reserved is escaped
        ("https://example.com/page#section", r"https://example.com/page\#section"),
        ("example.com/#anchor", r"example.com/\#anchor"),
        (
            "https://en.wikipedia.org/wiki/Primer_(film)",
            r"https://en.wikipedia.org/wiki/Primer\_\(film\)",
        ),
        # a mention element is plain text to escape_little
        ("@[Acme](urn:li:organization:1)", r"\@\[Acme\]\(urn:li:organization:1\)"),
    ],
)
def test_escape_little(text: str, escaped: str) -> None:
    assert escape_little(text) == escaped


@pytest.mark.parametrize("char", sorted(RESERVED_CHARACTERS))
def test_every_reserved_character_is_escaped_inside_a_word(char: str) -> None:
    assert escape_little(f"x{char}y") == f"x\\{char}y"


# --- URLs -------------------------------------------------------------------------------------


def test_url_spans_give_bluesky_byte_offsets() -> None:
    # The example of Bluesky's posts guide (bsky-docs posts.md): the link facet spans bytes 74-108.
    text = (
        "✨ example mentioning @atproto.com to share the URL "
        "\U0001f468\u200d\u2764\ufe0f\u200d\U0001f468 https://en.wikipedia.org/wiki/CBOR."
    )
    [url] = extract_urls(text)
    assert url.url == "https://en.wikipedia.org/wiki/CBOR"  # the full stop stays out
    assert text[url.start : url.end] == url.url
    assert (len(text[: url.start].encode()), len(text[: url.end].encode())) == (74, 108)


def test_urls_with_protocol_only() -> None:
    text = "example.com and https://example.org/x"
    assert [url.url for url in extract_urls(text)] == ["example.com", "https://example.org/x"]
    assert [url.url for url in extract_urls(text, without_protocol=False)] == [
        "https://example.org/x"
    ]
    found = extract_urls("ipfs://example.org/x y", without_protocol=False, syntax=MASTODON)
    assert [(url.url, url.has_protocol) for url in found] == [("ipfs://example.org/x", True)]


def _random_texts(seed: int, count: int, pieces: list[str], longest: int) -> list[str]:
    chooser = random.Random(seed)
    return [
        "".join(chooser.choice(pieces) for _ in range(chooser.randint(0, longest)))
        for _ in range(count)
    ]


URL_PIECES = [*"abcmotxnh.-_/:@#$ ?=()日本語한ü", "http://", "https://", ".com", ".co", ".jp"]
URL_PIECES += ["xn--", "t.co/", "gemini://", "\u3002", "\u202a", "\n", ".ελ", ".РФ", "İ", "＠"]


@pytest.mark.parametrize("syntax", [TWITTER, MASTODON], ids=lambda syntax: syntax.name)
def test_url_search_shortcut_finds_what_a_full_scan_finds(syntax: UrlSyntax) -> None:
    # extract_urls only tries the pattern where a match can start; trying it at every position
    # (finditer) must give the same matches.
    for text in _random_texts(7, 2000, URL_PIECES, 40):
        folded = _fold_case(text)
        quick = [match.span() for match in _matches(folded, syntax.pattern)]
        assert quick == [match.span() for match in syntax.pattern.finditer(folded)], text


# --- graphemes --------------------------------------------------------------------------------

# Lines of Unicode's GraphemeBreakTest.txt (UAX #29), one for each rule a post meets, written as
# the clusters the file's ÷ marks cut the text into.
GRAPHEME_BREAK_TEST = [
    ["\r\n"],  # GB3: CR × LF
    ["\n", "\u0301"],  # GB4: ÷ after a control
    ["a\u0308"],  # GB9: × Extend
    ["a\u200d"],  # GB9: × ZWJ
    ["a\u0903"],  # GB9a: × SpacingMark
    ["\u0600 "],  # GB9b: Prepend ×
    ["\u1100\u1100"],  # GB6: L × L
    ["\u1100\uac00"],  # GB6: L × LV
    ["\uac00\u11a8"],  # GB7: LV × T
    ["\uac01\u11a8"],  # GB8: LVT × T
    ["\u11a8", "\u1100"],  # GB999: T ÷ L
    ["\U0001f1e6\U0001f1e7", "\U0001f1e8"],  # GB12/13: regional indicators in pairs
    ["\U0001f476\U0001f3ff\u0308\u200d\U0001f476\U0001f3ff"],  # GB11: emoji ZWJ emoji
    ["\U0001f6d1\u200d\U0001f6d1"],  # GB11
    ["a\u200d", "\U0001f6d1"],  # GB11 needs a pictograph before the ZWJ
    ["\u0915\u094d\u0924"],  # GB9c: an Indic conjunct
    ["\u0915\u094d\u200d\u0924"],  # GB9c
]


@pytest.mark.parametrize("clusters", GRAPHEME_BREAK_TEST, ids=ascii)
def test_grapheme_break_conformance(clusters: list[str]) -> None:
    assert count_graphemes("".join(clusters)) == len(clusters)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("abc", 3),
        ("e\u0301", 1),
        ("\r\n", 1),
        (FAMILY, 1),
        ("한국어", 3),
        ("\u1100\u1161\u11a8", 1),
    ],
)
def test_grapheme_examples(text: str, expected: int) -> None:
    assert count_graphemes(text) == expected
