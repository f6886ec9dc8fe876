"""X's weighted length: twitter-text v3, the count X's 280-character limit is about.

Ported from twitter/twitter-text, JavaScript 3.1.0 (`js/src/parseTweet.js`,
`js/src/lib/getCharacterWeight.js`, `js/src/hasInvalidCharacters.js`, `config/v3.json`),
Copyright 2018 Twitter, Inc., Apache License 2.0.

The text is NFC-normalised; each URL (with or without protocol, as `urls.extract_urls` finds them)
counts 23; each emoji, however many code points, counts 2; any other code point counts 1 in the
ranges of `config/v3.json` (Latin, Greek, Cyrillic, Hebrew, Arabic... up to U+10FF, and some
General Punctuation) and 2 elsewhere (CJK, Hangul, astral planes).

Where twitter-text's JavaScript and Java disagree, this follows the Java, which its
TwitterTextParser says Twitter's backend uses: a URL counts over its span (the JavaScript skips
only the length of the URL's text, which it shortens for a bare domain such as "x.рф.org/path"),
and an emoji is one code point, never two UTF-16 halves that could each play a part in a URL. Emoji are those of the current Unicode list
(see `emoji_sequences`), where twitter-text's bundled twemoji stopped at Emoji 11.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from drafts.text_rules.emoji_sequences import sequence_spans
from drafts.text_rules.urls import extract_urls

__all__ = [
    "EMOJI_WEIGHT",
    "INVALID_CHARACTERS",
    "MAX_WEIGHTED_LENGTH",
    "URL_WEIGHT",
    "WeightedText",
    "parse",
    "weighted_length",
]

# config/v3.json, in whole characters (its weights are these times its scale of 100).
MAX_WEIGHTED_LENGTH = 280
URL_WEIGHT = 23  # transformedURLLength
EMOJI_WEIGHT = 2  # defaultWeight, which emoji get whatever their length
# Code points of weight 1 (config/v3.json "ranges"); every other one weighs 2.
_LIGHT_RUNS = re.compile("[\x00-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]+")
# twitter-text's invalidChars: a post holding one of these is refused whatever its length.
INVALID_CHARACTERS = frozenset("\ufffe\ufeff\uffff")
_INVALID = re.compile(f"[{''.join(sorted(INVALID_CHARACTERS))}]")


@dataclass(frozen=True)
class WeightedText:
    """What twitter-text's parseTweet says about a text, as far as Tidings needs it."""

    weighted_length: int
    invalid_characters: tuple[str, ...]  # distinct, in order of first appearance

    @property
    def valid(self) -> bool:
        """twitter-text's `valid`: not empty, within 280, and free of invalid characters."""
        return 0 < self.weighted_length <= MAX_WEIGHTED_LENGTH and not self.invalid_characters


def weighted_length(text: str) -> int:
    """The length X counts for `text` against its limit of 280."""
    return parse(text).weighted_length


def parse(text: str) -> WeightedText:
    """Weighted length and invalid characters of `text`, as twitter-text's parseTweet finds them.

    Each URL and emoji is weighed whole from where it starts; one that starts inside an earlier
    one is part of it and not counted again (twitter-text walks the text once, skipping what it
    has weighed). A URL wins over an emoji starting at the same place.
    """
    normalized = unicodedata.normalize("NFC", text)
    entities = sorted(
        [(url.start, url.end, URL_WEIGHT) for url in extract_urls(normalized)]
        + [(start, end, EMOJI_WEIGHT) for start, end in sequence_spans(normalized)],
        key=lambda entity: (entity[0], entity[2] != URL_WEIGHT),
    )
    total = 0
    position = 0
    for start, end, weight in entities:
        if start < position:
            continue
        total += _plain_weight(normalized[position:start]) + weight
        position = end
    total += _plain_weight(normalized[position:])
    invalid = tuple(dict.fromkeys(_INVALID.findall(normalized)))
    return WeightedText(total, invalid)


def _plain_weight(text: str) -> int:
    """Weight of code points counted one by one: 1 in the light ranges, 2 elsewhere."""
    heavy = len(_LIGHT_RUNS.sub("", text))
    return len(text) + heavy
