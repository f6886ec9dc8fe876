"""LinkedIn's `little` text format: what the commentary of a post must escape.

LinkedIn reads a post's commentary as `little` markup, in which ``| { } @ [ ] ( ) < > # \\ * _ ~``
are reserved. A reserved character left unescaped may cut the post short without an error, so
`escape_little` puts a backslash before every one of them, with one exception: a hashtag start, so
``#hiring`` stays a clickable hashtag (a HashtagElement in the little grammar).

What counts as a hashtag start here, modelled on twitter-text's hashtag rule:

- a ``#`` followed by a letter or digit, where the run of letters, marks, digits and underscores
  after it holds at least one letter (``#2024`` alone is a number, not a tag);
- at the start of the text or after anything but a word character or ``&`` (so ``C#``,
  ``issue#12`` and the ``&#`` of an HTML entity stay escaped; ``(#tag)`` and ``.#tag`` are tags);
- not followed by another ``#`` or by ``://`` (``#http://x.com`` is no tag);
- not inside a URL (twitter-text's URL rules, with or without protocol), so the ``#`` of
  ``example.com/page#section`` is escaped.

Characters inside a hashtag are still escaped (``#my_tag`` becomes ``#my\\_tag``), and so are
reserved characters inside URLs: whether LinkedIn still links such a URL is unconfirmed, while an
unescaped one is known to risk truncation, so the escape wins.
"""

from __future__ import annotations

import re

import regex

from drafts.text_rules.urls import extract_urls

__all__ = ["RESERVED_CHARACTERS", "escape_little", "hashtags"]

RESERVED_CHARACTERS = frozenset("|{}@[]()<>#\\*_~")
# The backslash first, so that the backslashes the other escapes add are not escaped again.
_ESCAPE_ORDER = ("\\", *sorted(RESERVED_CHARACTERS - {"\\"}))
_HASHTAG = regex.compile(r"(?<![\w&])#(?=[\p{L}\p{Nd}])([\p{L}\p{M}\p{Nd}_]+)")
_NOT_A_HASHTAG_AFTER = re.compile("[#＃]|://")
_LETTER = regex.compile(r"\p{L}")


def escape_little(text: str) -> str:
    """`text` with every little-reserved character backslash-escaped, hashtag starts excepted.

    A backslash is escaped exactly once whatever follows it (``\\`` becomes ``\\\\``).
    Linear in the text's length, and without a Python step per character: the stretches
    between hashtag starts are escaped by ``str.replace``, one reserved character at a time.
    """
    pieces: list[str] = []
    start = 0
    for at, _ in hashtags(text):
        pieces += (_escape_every_reserved(text[start:at]), "#")
        start = at + 1
    pieces.append(_escape_every_reserved(text[start:]))
    return "".join(pieces)


def _escape_every_reserved(text: str) -> str:
    for char in _ESCAPE_ORDER:
        if char in text:
            text = text.replace(char, "\\" + char)
    return text


def hashtags(text: str) -> list[tuple[int, int]]:
    """Where the hashtags are (see the module docstring), as ``(start, end)`` in order: each
    from its '#' to the end of its run of letters, marks, digits and underscores."""
    if "#" not in text:
        return []
    found = [
        tag.span()
        for tag in _HASHTAG.finditer(text)
        if _LETTER.search(tag[1]) and not _NOT_A_HASHTAG_AFTER.match(text, tag.end())
    ]
    if not found:
        return found
    in_urls: set[int] = set()
    for url in extract_urls(text):
        in_urls.update(range(url.start, url.end))
    return [(start, end) for start, end in found if start not in in_urls]
