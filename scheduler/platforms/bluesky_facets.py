"""Bluesky facets: where the links and hashtags of a post's text are, in UTF-8 bytes.

Bluesky links nothing by itself: a URL or ``#tag`` is plain text unless the record carries a
facet naming its byte span (``byteStart`` inclusive, ``byteEnd`` exclusive, counted in the
UTF-8 encoding) and what it points at (PLATFORMS.md §4.2). Detection follows Bluesky's own
composer (atproto ``packages/api/src/rich-text/detection.ts``), so a post scheduled here links
what the same text typed into the app would:

- a link runs to the next space (the ``MASTODON`` URL syntax measures that span, trailing
  punctuation left out); a bare domain links too, and its facet gets ``https://``, since a
  facet needs a complete URL;
- a hashtag starts with ``#`` or ``＃`` at the start of the text or after a space, runs to the
  next space less any trailing punctuation, is not all digits, and has at most 64 graphemes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import regex

from drafts.text_rules.graphemes import count_graphemes
from drafts.text_rules.urls import MASTODON, extract_urls

__all__ = ["Facet", "find_facets"]

LINK = "app.bsky.richtext.facet#link"
TAG = "app.bsky.richtext.facet#tag"
# Lexicon app.bsky.richtext.facet#tag: maxGraphemes 64, maxLength 640 (bytes).
MAX_TAG_GRAPHEMES = 64
MAX_TAG_BYTES = 640

# Soft hyphen, word joiner, hair space, zero-width space/joiners, enclosing keycap: invisible
# characters that end a tag as a space does (Bluesky's TAG_REGEX).
_INVISIBLE = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
# \ufe0f right after '#' is the keycap emoji #️⃣, not a tag.
_HASHTAG = regex.compile(
    rf"(?:^|(?<=\s))[#＃](?!\ufe0f)"
    rf"(?P<tag>[^\s{_INVISIBLE}]*[^\d\s\p{{P}}{_INVISIBLE}][^\s{_INVISIBLE}]*)"
)
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+$")


@dataclass(frozen=True)
class Facet:
    """One linked span of a post: ``text.encode()[byte_start:byte_end]`` is what shows."""

    byte_start: int
    byte_end: int
    kind: Literal["link", "tag"]
    value: str  # the full URL of a link, the tag without its '#'

    def to_json(self) -> dict[str, Any]:
        """The facet as the record carries it."""
        feature = (
            {"$type": LINK, "uri": self.value}
            if self.kind == "link"
            else {"$type": TAG, "tag": self.value}
        )
        return {
            "index": {"byteStart": self.byte_start, "byteEnd": self.byte_end},
            "features": [feature],
        }


def find_facets(text: str) -> tuple[Facet, ...]:
    """Every link and hashtag in ``text``, in order of position."""
    offsets = _ByteOffsets(text)
    links = [
        Facet(
            offsets.at(url.start),
            offsets.at(url.end),
            "link",
            url.url if url.has_protocol else "https://" + url.url,
        )
        for url in extract_urls(text, syntax=MASTODON)
    ]
    tags = [
        tag
        for tag in _hashtags(text, offsets)
        if not any(
            tag.byte_start < link.byte_end and link.byte_start < tag.byte_end for link in links
        )
    ]
    return tuple(sorted(links + tags, key=lambda facet: facet.byte_start))


def _hashtags(text: str, offsets: _ByteOffsets) -> list[Facet]:
    found = []
    for match in _HASHTAG.finditer(text):
        tag = _TRAILING_PUNCTUATION.sub("", match["tag"])
        if count_graphemes(tag) > MAX_TAG_GRAPHEMES or len(tag.encode()) > MAX_TAG_BYTES:
            continue  # Bluesky's composer leaves an over-long tag as plain text
        start = match.start()
        end = match.start("tag") + len(tag)
        found.append(Facet(offsets.at(start), offsets.at(end), "tag", tag))
    return found


class _ByteOffsets:
    """Turns indexes into a ``str`` into offsets into its UTF-8 encoding."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._ascii = text.isascii()

    def at(self, index: int) -> int:
        if self._ascii:
            return index
        return len(self._text[:index].encode("utf-8"))
