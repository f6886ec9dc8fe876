"""Splitting a text too long for one post into a thread (``thread = "auto"``, PRODUCT.md's
"Threads and first comments").

A thread is read part by part, so each part should end where a reader would pause: the splitter
cuts at the last sentence end that lets the part fit, and only when a single sentence is too long
for a part does it cut between words. It never cuts anywhere else: every cut is a run of
whitespace, so a link, a hashtag or a mention (none holds a space) stays whole, and a run whose
edge would split a grapheme cluster (a space carrying a combining mark) is no cut. A word longer
than a whole part is refused (``WordTooLong``), never cut: the author decides how to shorten it.

Each part ends with its number, `` 2/5``, and the number is counted into the part's length, as
the platform will count it; how long a part may be is the caller's ``fits`` (the platform's own
counting: X's weighted length, Bluesky's graphemes and bytes, the instance's Mastodon limit).
The parts without their numbers, joined by the whitespace they were cut at, are the text.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import regex

__all__ = ["WordTooLong", "number_parts", "split_thread"]

Fits = Callable[[str], bool]

_WHITESPACE = regex.compile(r"\s+")
_CLUSTER = regex.compile(r"\X")
# A sentence ends with its punctuation, then any closing quotes or brackets: "Done." / 끝났다."
_SENTENCE_END = regex.compile(r"[.!?…。！？‼⁇⁈⁉][\"'”’」』)\]]*$")
# Parts are cut for a guessed count, whose width the numbers take; a wrong guess is corrected by
# cutting again for the count made. Each pass can only add parts, so a few passes settle it.
_PASSES = 6


class WordTooLong(ValueError):
    """A word (a run without whitespace) that does not fit in one part even alone."""

    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word


@dataclass(frozen=True)
class _Cut:
    """A run of whitespace the text may be cut at: the part before ends at ``start``, the next
    begins at ``end``. ``sentence`` says the text before it ends a sentence or a line."""

    start: int
    end: int
    sentence: bool


def split_thread(text: str, fits: Fits) -> tuple[str, ...]:
    """``text`` as the fewest parts that each fit with their number (see ``number_parts``),
    cut at sentence ends where possible; one part, unnumbered, when the whole text fits.

    Raises ``WordTooLong`` for a word that cannot fit in any part.
    """
    body = text.strip()
    if fits(body):
        return (body,)
    cuts = _cuts(body)
    total = 2
    for _ in range(_PASSES):
        parts = _greedy(body, cuts, fits, total)
        if len(parts) == total:
            break
        total = len(parts)
    return parts


def number_parts(parts: Sequence[str]) -> tuple[str, ...]:
    """The parts as they are posted: each followed by `` n/N``; a lone part as it is."""
    if len(parts) == 1:
        return (parts[0],)
    return tuple(_numbered(part, number, len(parts)) for number, part in enumerate(parts, 1))


def _numbered(part: str, number: int, total: int) -> str:
    return f"{part} {number}/{total}"


def _cuts(text: str) -> list[_Cut]:
    """Every run of whitespace that begins and ends on a grapheme cluster boundary."""
    boundaries = {match.end() for match in _CLUSTER.finditer(text)}
    cuts = []
    for run in _WHITESPACE.finditer(text):
        start, end = run.span()
        if start in boundaries and end in boundaries and start > 0 and end < len(text):
            ended = "\n" in run.group() or _SENTENCE_END.search(text, 0, start) is not None
            cuts.append(_Cut(start, end, ended))
    return cuts


def _greedy(text: str, cuts: Sequence[_Cut], fits: Fits, total: int) -> tuple[str, ...]:
    """Cut ``text`` part by part, each part as long as fits, numbered out of ``total``; the
    count of parts made may differ from ``total``, and then the caller tries again."""
    parts: list[str] = []
    start = 0
    while True:
        number = len(parts) + 1
        rest = text[start:]
        if fits(_numbered(rest, number, max(total, number))):
            parts.append(rest)
            return tuple(parts)
        cut = _last_fitting(text, start, cuts, partial(_fits_numbered, fits, number, total))
        parts.append(text[start : cut.start])
        start = cut.end


def _fits_numbered(fits: Fits, number: int, total: int, part: str) -> bool:
    return fits(_numbered(part, number, total))


def _last_fitting(text: str, start: int, cuts: Sequence[_Cut], fits: Fits) -> _Cut:
    """The cut ending the longest part from ``start`` that fits: the last sentence end that
    does, else the last word boundary. A part's length only grows with its end, so the last
    fitting cut is found by bisection among the cuts after ``start``."""
    ahead = cuts[bisect_right(cuts, start, key=lambda cut: cut.start) :]
    fitting = _bisect_fitting(ahead, lambda cut: fits(text[start : cut.start]))
    if fitting is None:  # the first word from ``start`` alone is too long
        raise WordTooLong(text[start : ahead[0].start if ahead else len(text)])
    sentence_ends = [cut for cut in ahead[: fitting + 1] if cut.sentence]
    return sentence_ends[-1] if sentence_ends else ahead[fitting]


def _bisect_fitting(cuts: Sequence[_Cut], fits: Callable[[_Cut], bool]) -> int | None:
    """The index of the last cut in ``cuts`` for which ``fits`` holds, or None if none does."""
    low, high = 0, len(cuts)
    while low < high:
        middle = (low + high) // 2
        if fits(cuts[middle]):
            low = middle + 1
        else:
            high = middle
    return low - 1 if low > 0 else None
