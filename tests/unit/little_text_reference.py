"""LinkedIn's little-text escaper and reader as they were before issue 18: one Python call per
reserved character, one loop turn per character. Slow on long texts, but their output is the
reference the fast ones (``drafts.text_rules.linkedin.escape_little``,
``scheduler.platforms.linkedin.read_little``) must match exactly; ``bench/escaping.py`` times
both. Where a hashtag starts is shared with the fast escaper: that part did not change."""

from __future__ import annotations

import re

from drafts.text_rules.linkedin import hashtags

_RESERVED = re.compile(r"[|{}@\[\]()<>#\\*_~]")
_READ_RESERVED = frozenset("|{}@[]()<>#*_~\\")
_HASHTAG = re.compile(r"#[^\W_]+")
_HASHTAG_TEMPLATE = re.compile(r"\{hashtag\|\\#\|([^}|]+)\}")
_MENTION = re.compile(r"@\[([^\]]*)\]\(urn:li:(?:person|organization):[A-Za-z0-9_-]+\)")


def escape_little(text: str) -> str:
    kept = {start for start, _ in hashtags(text)}
    return _RESERVED.sub(lambda m: m[0] if m.start() in kept else "\\" + m[0], text)


def read_little(commentary: str) -> str:
    shown: list[str] = []
    i = 0
    while i < len(commentary):
        char = commentary[i]
        if char == "\\" and i + 1 < len(commentary):
            shown.append(commentary[i + 1])
            i += 2
            continue
        element = _element(commentary, i)
        if element is not None:
            text, i = element
            shown.append(text)
            continue
        if char in _READ_RESERVED:
            break
        shown.append(char)
        i += 1
    return "".join(shown)


def _element(commentary: str, at: int) -> tuple[str, int] | None:
    char = commentary[at]
    if char == "#" and (tag := _HASHTAG.match(commentary, at)):
        return tag.group(0), tag.end()
    if char == "{" and (template := _HASHTAG_TEMPLATE.match(commentary, at)):
        return "#" + template.group(1), template.end()
    if char == "@" and (mention := _MENTION.match(commentary, at)):
        return mention.group(1), mention.end()
    return None
