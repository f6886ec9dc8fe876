"""Grapheme counting: `regex`'s ``\\X`` against the hand-written shortcut Tidings used to count with.

    python bench/graphemes.py
    python bench/graphemes.py --repeat 2000

For each realistic post (a Korean hiring post, emoji with ZWJ sequences, skin tones and flags, a
long English update, a Hindi post whose joiners are everywhere) it prints the microseconds one
count takes each way, their ratio, what measuring the same text for Bluesky and Mastodon
(``drafts.text_rules.measure``) costs in all, and how many such posts one process must count before
the shortcut's pattern (built once per process, its cost printed first) has paid for itself. Both ways must agree on every text; nothing else is
asserted: it prints figures.

The shortcut (``shortcut_count`` below, drafts/text_rules/graphemes.py until these figures
retired it) segments only the stretches around characters that can join a cluster.
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path

import regex

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from drafts.text_rules import measure  # noqa: E402
from drafts.text_rules.graphemes import count_graphemes  # noqa: E402

_CLUSTER = regex.compile(r"\X")
# Characters that may share a cluster with a neighbour: between two characters neither of which
# is one of these, UAX #29 always breaks (CR is here for CR LF).
_JOINING_PROPERTIES = regex.compile(
    r"[\p{Grapheme_Cluster_Break=Extend}\p{Grapheme_Cluster_Break=ZWJ}"
    r"\p{Grapheme_Cluster_Break=SpacingMark}\p{Grapheme_Cluster_Break=Prepend}"
    r"\p{Grapheme_Cluster_Break=L}\p{Grapheme_Cluster_Break=V}\p{Grapheme_Cluster_Break=T}"
    r"\p{Grapheme_Cluster_Break=Regional_Indicator}\r]+"
)
# Past one run of joiners per this many characters, segmenting the whole text is quicker.
_DENSE_RUNS = 8


def shortcut_count(text: str) -> int:
    """The number of extended grapheme clusters in ``text``, segmenting only around joiners.

    Every pair of characters that share a cluster holds a joining character, and a cluster
    always starts at a character that is not one, so each stretch (a run of joiners with one
    other character either side, merged with its neighbours where they share that character)
    counts its joins once.
    """
    runs: list[tuple[int, int]] = []
    for run in _joiner_runs().finditer(text):
        runs.append(run.span())
        if len(runs) >= _DENSE_RUNS and len(runs) * _DENSE_RUNS > run.end():
            return len(_CLUSTER.findall(text))  # joiners everywhere (Indic scripts): one pass
    if not runs:
        return len(text)
    joins = 0
    stretch_start, stretch_end = max(runs[0][0] - 1, 0), runs[0][1] + 1
    for run_start, run_end in runs[1:]:
        if run_start - 1 < stretch_end:  # the character between two runs is shared
            stretch_end = run_end + 1
            continue
        joins += _joins(text[stretch_start:stretch_end])
        stretch_start, stretch_end = run_start - 1, run_end + 1
    return len(text) - joins - _joins(text[stretch_start:stretch_end])


def _joins(stretch: str) -> int:
    return len(stretch) - len(_CLUSTER.findall(stretch))


@functools.cache
def _joiner_runs() -> re.Pattern[str]:
    """Runs of (possible) joiners: those of the Basic Multilingual Plane listed exactly, every
    character beyond it taken as one, so that the class is one `re` tests in constant time."""
    basic_plane = "".join(map(chr, range(0x10000)))
    joiners = "".join(
        f"{re.escape(run[0][0])}-{re.escape(run[0][-1])}" if len(run[0]) > 1 else re.escape(run[0])
        for run in _JOINING_PROPERTIES.finditer(basic_plane)
    )
    return re.compile(f"[{joiners}\U00010000-\U0010ffff]+")


KOREAN = (
    "[채용] 타이딩스 백엔드 개발자 모집\n"
    "서울 또는 부산 사무소에서 함께 일할 백엔드 개발자를 찾습니다. 파이썬과 데이터베이스에 익숙하고 "
    "여러 언어로 된 콘텐츠를 다루는 일에 관심이 있는 분이면 좋겠습니다. 지원 마감은 12월 18일입니다. "
    "자세한 내용은 https://example.org/jobs/backend 에서 확인해 주세요!\n"
    "#채용 #개발자"
)
EMOJI = (
    "🎉 Our team 👩‍💻👨🏽‍💻🧑🏿‍🔬 met partners from 🇰🇷 🇫🇷 🇧🇷 🇯🇵 🏴󠁧󠁢󠁳󠁣󠁴󠁿 at the riverside forum. "
    "👨‍👩‍👧‍👦 families came too ❤️‍🔥 👍🏻👍🏼👍🏽👍🏾👍🏿 Thank you all! 🙌🏽✨ #CitiesForum 🌍"
)
ENGLISH = (
    "City case study: how Riverside turned an old freight line into a 4 km park. "
    "The city council worked with residents for two years, held 31 public meetings and "
    "changed the plan three times after hearing from the people who live along the line. "
    "The result opened last week: a walking and cycling path, a community garden, two "
    "playgrounds and a small market on Saturdays. Read the full case study, with the budget "
    "and what the team would do differently, at https://example.org/case-studies/riverside "
)
HINDI = (
    "सियोल में हमारे क्षेत्रीय सचिवालय ने नदी किनारे के पार्क पर शहरों के साथ एक कार्यशाला आयोजित की। "
    "प्रतिभागियों ने स्थानीय समुदायों की भागीदारी और हरित स्थानों के प्रबंधन पर अनुभव साझा किए।"
)

POSTS = {
    "Korean hiring post": KOREAN,
    "emoji: ZWJ, skin tones, flags": EMOJI,
    "English update": ENGLISH,
    "English update x5": ENGLISH * 5,
    "Hindi (joiners everywhere)": HINDI,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=1000, help="counts per timing")
    args = parser.parse_args()
    started = time.perf_counter()
    _joiner_runs()
    built_ms = (time.perf_counter() - started) * 1e3
    count_graphemes("warm up")
    print(f"the shortcut's pattern, built once per process: {built_ms:.1f} ms")
    print(
        f"{'post':30} {'chars':>5} {'graphemes':>9} {'shortcut µs':>11} {'regex µs':>8}"
        f" {'ratio':>5} {'measure µs':>10} {'break-even':>10}"
    )
    for name, text in POSTS.items():
        if shortcut_count(text) != count_graphemes(text):
            raise SystemExit(f"{name}: the two counts differ")
        shortcut = _microseconds(functools.partial(shortcut_count, text), args.repeat)
        library = _microseconds(functools.partial(count_graphemes, text), args.repeat)
        measured = _microseconds(functools.partial(_measure_both, text), args.repeat)
        # How many such posts one process must count before the shortcut has paid for its build.
        saved = library - shortcut
        break_even = f"{built_ms * 1e3 / saved:,.0f}" if saved > 0 else "never"
        print(
            f"{name:30} {len(text):5} {count_graphemes(text):9} {shortcut:11.1f} {library:8.1f}"
            f" {library / shortcut:5.1f} {measured:10.1f} {break_even:>10}"
        )


def _measure_both(text: str) -> None:
    measure("bluesky", text)
    measure("mastodon", text)


def _microseconds(call: Callable[[], object], repeat: int) -> float:
    """The best of five timings of ``repeat`` calls, per call."""
    return min(timeit.repeat(call, number=repeat, repeat=5)) / repeat * 1e6


if __name__ == "__main__":
    main()
