"""The length Mastodon checks against an instance's `max_characters`.

Mastodon's StatusLengthValidator (app/validators/status_length_validator.rb) counts the grapheme
clusters of the status after rewriting two kinds of entity, found with its twitter-text based
extractor: every URL *with* a protocol becomes a run of `characters_reserved_per_url` characters
(23 unless the instance says otherwise), and a mention of a remote account, ``@user@remote.domain``,
counts as ``@user``. Bare domains (example.com) count in full, character by character.
The content warning (spoiler text) counts toward the same limit; callers measuring one should
measure it together with the status.
"""

from __future__ import annotations

import regex

from drafts.text_rules.graphemes import count_graphemes
from drafts.text_rules.urls import MASTODON, extract_urls

__all__ = ["countable_length"]

# Mastodon's Account::MENTION_RE: an @ not glued to a word, '=' or '/', a username, and maybe
# "@domain". [[:word:]] is Unicode letters, marks, numbers and connectors, as `regex`'s \w.
_MENTION = regex.compile(
    r"(?<![=/\w])@(?P<name>(?P<user>[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@\w+(?:[.-]+\w+)*)?)",
    regex.IGNORECASE,
)
# twitter-text's end_mention_match: a mention followed by one of these is something else.
_NOT_A_MENTION_AFTER = regex.compile(
    "[@＠\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263"
    "\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff]|://"
)


def countable_length(text: str, characters_reserved_per_url: int) -> int:
    """Grapheme clusters Mastodon counts for `text`, URLs and remote mentions rewritten."""
    return count_graphemes(countable_text(text, characters_reserved_per_url))


def countable_text(text: str, characters_reserved_per_url: int) -> str:
    """`text` as Mastodon counts it: URLs as placeholders, remote mentions without domain.

    Entities are taken from the left; one overlapping an earlier one is dropped (twitter-text's
    remove_overlapping_entities), so a mention inside a URL stays part of the URL.
    """
    placeholder = "x" * characters_reserved_per_url
    entities = sorted(
        [
            (url.start, url.end, placeholder)
            for url in extract_urls(text, without_protocol=False, syntax=MASTODON)
        ]
        + _mentions(text)
    )
    pieces: list[str] = []
    position = 0
    for start, end, replacement in entities:
        if start < position:
            continue
        pieces += [text[position:start], replacement]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _mentions(text: str) -> list[tuple[int, int, str]]:
    """Mentions as (start, end, what Mastodon counts instead): "@user" for "@user@domain"."""
    if "@" not in text:
        return []
    return [
        (mention.start(), mention.end(), "@" + mention["user"])
        for mention in _MENTION.finditer(text)
        if not _NOT_A_MENTION_AFTER.match(text, mention.end())
    ]
