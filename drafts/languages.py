"""Language tags (BCP 47) as drafts, variants and channels use them."""

from __future__ import annotations

import re

# RFC 5646 "langtag" as used in practice: a 2-3 letter language, [-script][-region](-variant)*;
# no extensions or private use (no platform takes them).
_LANGTAG = re.compile(
    r"""^
    (?P<language>[A-Za-z]{2,3})
    (?:-(?P<script>[A-Za-z]{4}))?
    (?:-(?P<region>[A-Za-z]{2}|\d{3}))?
    (?:-(?:[A-Za-z0-9]{5,8}|\d[A-Za-z0-9]{3}))*
    $""",
    re.VERBOSE,
)


def check_language_tag(tag: str) -> str:
    """Return ``tag`` if it is a well-formed BCP 47 language tag, else raise ``ValueError``."""
    if not _LANGTAG.match(tag):
        raise ValueError(f"{tag!r} is not a BCP 47 language tag (like en, ko, zh-Hans, pt-BR)")
    return tag


def primary_language(tag: str) -> str:
    """The primary language subtag, lower-cased: what ISO 639-1 fields such as Mastodon's take."""
    return tag.split("-", 1)[0].lower()
