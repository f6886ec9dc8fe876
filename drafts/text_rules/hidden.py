"""Characters a reader cannot see that change what they read: a problem in any post.

A right-to-left override turns "Invoice \\u202efdp.exe" into "Invoice exe.pdf" on screen; a zero
width space splits a hashtag or a link without a trace; tag characters carry a whole hidden
sentence. Platforms count them all. What scripts need is left alone:

- zero width non-joiner (U+200C), which Persian and the Indic scripts write between letters;
- the left-to-right, right-to-left and Arabic letter marks (U+200E, U+200F, U+061C), with which
  right-to-left writing places punctuation and numbers: they move no letters;
- zero width joiner (U+200D) inside an emoji (👩‍💻) or beside a virama (Devanagari, Malayalam,
  Sinhala conjuncts), and tag characters inside an emoji (the flag of Scotland);
- variation selectors, which choose an emoji's or an ideograph's form.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from drafts.messages import N_, Said
from drafts.text_rules.emoji_sequences import presentation_spans
from drafts.text_rules.graphemes import count_graphemes

__all__ = [
    "HIDES",
    "HIDES_SEVERAL",
    "REORDERS",
    "REORDERS_SEVERAL",
    "HiddenCharacter",
    "hidden_characters",
]

# Embeddings, overrides and isolates: each reorders the text after it.
_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
# Soft hyphen, zero width space, word joiner, the invisible operators, the deprecated format
# characters, interlinear annotation, zero width no-break space (a BOM inside a text), and the
# Hangul fillers that show as blanks (no Korean text needs one alone).
_INVISIBLE = "\u00ad\u200b\u2060-\u2064\u206a-\u206f\ufff9-\ufffb\ufeff\u3164\uffa0"
_JOINER = "\u200d"
_TAGS = "\U000e0001\U000e0020-\U000e007f"
_SUSPECTS = re.compile(f"[{_BIDI_CONTROLS}{_INVISIBLE}{_JOINER}{_TAGS}]")
_BIDI = re.compile(f"[{_BIDI_CONTROLS}]")
_VIRAMA = 9  # the canonical combining class of every script's virama

# The problems, worded once; ``HiddenCharacter.words`` fills them in.
REORDERS = N_(
    "contains an invisible %(name)s (%(code)s) at character %(position)s, "
    "which changes the order readers see"
)
REORDERS_SEVERAL = N_(
    "contains an invisible %(name)s (%(code)s) at character %(position)s (%(count)s in all), "
    "which changes the order readers see"
)
HIDES = N_(
    "contains an invisible %(name)s (%(code)s) at character %(position)s, "
    "which readers do not see but platforms count"
)
HIDES_SEVERAL = N_(
    "contains an invisible %(name)s (%(code)s) at character %(position)s (%(count)s in all), "
    "which readers do not see but platforms count"
)


@dataclass(frozen=True)
class HiddenCharacter:
    """One hidden character of a text: where it first occurs (counted in characters as a reader
    counts them, from 1) and how many times it occurs."""

    char: str
    position: int
    count: int

    @property
    def reorders(self) -> bool:
        """True for a bidi control, which changes the order of the text after it."""
        return _BIDI.match(self.char) is not None

    @property
    def message(self) -> str:
        """The problem's wording, one of the four above, before ``words`` fill it in."""
        if self.reorders:
            return REORDERS if self.count == 1 else REORDERS_SEVERAL
        return HIDES if self.count == 1 else HIDES_SEVERAL

    @property
    def words(self) -> dict[str, str | int]:
        return {
            "name": unicodedata.name(self.char).lower(),
            "code": f"U+{ord(self.char):04X}",
            "position": self.position,
            "count": self.count,
        }

    def problem(self) -> str:
        """One line for the author, e.g. "contains an invisible right-to-left override (U+202E)
        at character 9, which changes the order readers see"."""
        return str(self.said())

    def said(self) -> Said:
        """``problem`` as a sentence, for a page to say in its reader's language."""
        return Said(self.message, self.words)


def hidden_characters(text: str) -> tuple[HiddenCharacter, ...]:
    """Each kind of hidden character in ``text``, in the order they first occur."""
    if not _SUSPECTS.search(text):
        return ()
    emoji = presentation_spans(text)
    found: dict[str, list[int]] = {}
    for suspect in _SUSPECTS.finditer(text):
        index = suspect.start()
        if not _part_of_writing(text, index, emoji):
            found.setdefault(suspect.group(), []).append(index)
    return tuple(
        HiddenCharacter(char, position=count_graphemes(text[: indexes[0]]) + 1, count=len(indexes))
        for char, indexes in found.items()
    )


def _part_of_writing(text: str, index: int, emoji: list[tuple[int, int]]) -> bool:
    """True for a joiner or tag character that an emoji or a script needs where it stands."""
    char = text[index]
    if char != _JOINER and not "\U000e0001" <= char <= "\U000e007f":
        return False
    if any(start <= index < end for start, end in emoji):
        return True
    neighbours = text[max(index - 1, 0) : index] + text[index + 1 : index + 2]
    return char == _JOINER and any(unicodedata.combining(c) == _VIRAMA for c in neighbours)
