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

# RFC 5646 4.4.1: a field of 35 characters holds every tag in practice; the columns are that size.
MAX_TAG_LENGTH = 35


def check_language_tag(tag: str) -> str:
    """Return ``tag`` if it is a well-formed BCP 47 language tag, else raise ``ValueError``."""
    if len(tag) > MAX_TAG_LENGTH:
        raise ValueError(f"a tag of {len(tag)} characters is too long (at most {MAX_TAG_LENGTH})")
    if not _LANGTAG.fullmatch(tag):  # match would let "$" pass a final line break
        raise ValueError(f"{tag!r} is not a BCP 47 language tag (like en, ko, zh-Hans, pt-BR)")
    return tag


def primary_language(tag: str) -> str:
    """The primary language subtag, lower-cased: what ISO 639-1 fields such as Mastodon's take."""
    return tag.split("-", 1)[0].lower()
