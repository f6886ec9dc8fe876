"""Emoji made of several code points: ZWJ sequences, skin tones, flags, keycaps.

X counts each emoji twemoji knows as 2, however many code points it takes (👨‍👩‍👧‍👦 is seven);
Threads counts an emoji by its UTF-8 bytes. Both need to know where an emoji starts and ends.

X's rule comes from twitter-text 3 (`parseTweet.js`, Copyright 2018 Twitter, Inc., Apache License
2.0), which asks twemoji-parser for emoji: a list of the emoji Unicode recommends (RGI), in their
qualified and unqualified spellings, matched longest first from the left. Here that list is the
`emoji` package's, which follows current Unicode where twitter-text's bundled twemoji stopped at
Emoji 11: newer sequences such as 🧑‍🤝‍🧑 count as one emoji here, as current fonts draw them, not
as their parts. What the list lacks falls apart as in twitter-text: 😀 ZWJ 😀 counts 2 + 1 + 2.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import regex

__all__ = ["presentation_spans", "sequence_spans"]

_END = ""  # marks, in the trie, that a known emoji ends at this node
_Trie = dict[str, "_Trie"]


def _trie_of(known: frozenset[str]) -> _Trie:
    trie: _Trie = {}
    for sequence in known:
        node = trie
        for char in sequence:
            node = node.setdefault(char, {})
        node[_END] = {}
    return trie


@functools.cache
def _known_trie() -> _Trie:
    """The known emoji as a trie, built on first use: importing the list and building this
    take some 50 ms, which every command that never measures a text would pay."""
    return _trie_of(_known_emoji())


def _known_emoji() -> frozenset[str]:
    """The RGI list in all its spellings, plus each variation sequence (⌚ + VS16) Unicode
    allows, which twemoji also takes as one emoji though the list leaves them out."""
    import emoji

    known = set(emoji.EMOJI_DATA)
    for sequence, data in emoji.EMOJI_DATA.items():
        if data.get("variant") and len(sequence) == 1:
            known.add(sequence + "\ufe0f")
    return frozenset(known)


_EMOJI_PRESENTATION = regex.compile(r"\p{Emoji_Presentation}")
# Every known emoji of more than one code point holds one of these: VS16, ZWJ, the keycap mark,
# a regional indicator, a skin-tone modifier or a tag character. Right after an emoji, they
# continue it rather than stand alone.
_SEQUENCE_MARKERS = re.compile(
    "[\ufe0f\u200d\u20e3\U0001f1e6-\U0001f1ff\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]"
)


def sequence_spans(text: str) -> list[tuple[int, int]]:
    """Spans (str indexes) of the multi-code-point emoji in `text` that count as one on X.

    Single code points are left out: X weighs them the same either way (2 beyond U+10FF, and ©
    or ® alone are plain text to twemoji too).
    """
    if not _SEQUENCE_MARKERS.search(text):
        return []
    return [(start, end) for start, end, known in _units(text, markers_only=True) if known]


def presentation_spans(text: str) -> list[tuple[int, int]]:
    """Spans of what shows as an emoji in `text`: every known sequence, and single code points
    of emoji presentation (😀, but not © or ™ without a variation selector). A stray modifier,
    variation selector or joiner right after an emoji belongs to it, as it would on screen."""
    spans: list[tuple[int, int]] = []
    for start, end, known in _units(text):
        if spans and spans[-1][1] == start and _SEQUENCE_MARKERS.match(text, start):
            spans[-1] = (spans[-1][0], end)
        elif known or _EMOJI_PRESENTATION.match(text, start):
            spans.append((start, end))
    return spans


def _units(text: str, *, markers_only: bool = False) -> Iterator[tuple[int, int, bool]]:
    """The code points of emoji runs, grouped into known multi-code-point emoji (longest first,
    from the left) and lone code points: (start, end, known) for each.

    With `markers_only`, runs without a sequence marker, which cannot hold a sequence, are
    skipped; code points outside the runs are never yielded.
    """
    for run in _runs().finditer(text):
        position, run_end = run.span()
        if run_end - position == 1:
            yield position, run_end, False  # a lone pictograph: nothing to look up
            continue
        if markers_only and not _SEQUENCE_MARKERS.search(text, position, run_end):
            continue
        while position < run_end:
            end = _longest_known(text, position, run_end)
            if end > position + 1:
                yield position, end, True
                position = end
            else:
                yield position, position + 1, False
                position += 1


def _longest_known(text: str, start: int, stop: int) -> int:
    """End of the longest known emoji at text[start:], before `stop`; `start` if none."""
    node = _known_trie()
    end = start
    for index in range(start, stop):
        child = node.get(text[index])
        if child is None:
            break
        node = child
        if _END in node:
            end = index + 1
    return end


@functools.cache
def _runs() -> re.Pattern[str]:
    """Runs of emoji material: pictographs, flags, keycaps and what joins or styles them.

    Built on first use (some 15 ms). The pictographs of the Basic Multilingual Plane are listed
    exactly (Emoji or Extended_Pictographic, less the digits, '#' and '*' that only keycaps make
    emoji); beyond it the emoji blocks are taken whole, as `_units` checks what it finds. A run
    opens with one class and a look back at it, not with a choice, so `re` can skip ahead in C.
    """
    basic_plane = "".join(map(chr, range(0x10000)))
    pictographs = "".join(
        f"{re.escape(run[0][0])}-{re.escape(run[0][-1])}" if len(run[0]) > 1 else re.escape(run[0])
        for run in regex.finditer(
            r"[[\p{Emoji}\p{Extended_Pictographic}]--[0-9#*]]+", basic_plane, flags=regex.V1
        )
    )
    pictograph = f"{pictographs}\U0001f000-\U0001faff"
    keycap = "(?=\ufe0f?\u20e3)"
    material = f"{pictograph}\ufe0f\u200d\u20e3\U000e0020-\U000e007f"
    return re.compile(
        f"[0-9#*{pictograph}](?:(?<=[{pictograph}])|{keycap})(?:[{material}]|[0-9#*]{keycap})*"
    )
