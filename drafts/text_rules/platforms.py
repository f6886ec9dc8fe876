"""Each platform's count and limit, as PLATFORMS.md documents them (sections 0 to 7).

Where PLATFORMS.md marks a rule as unconfirmed (❓), the reading chosen is the one that can only
make Tidings warn too early, never let a post through that the platform would refuse; each such
place says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from drafts.messages import N_
from drafts.text_rules import twitter
from drafts.text_rules.emoji_sequences import presentation_spans
from drafts.text_rules.graphemes import count_graphemes
from drafts.text_rules.linkedin import escape_little
from drafts.text_rules.mastodon import countable_length
from drafts.text_rules.measurement import Measurement, TextRules
from drafts.text_rules.urls import extract_urls

__all__ = [
    "BLUESKY_BYTE_LIMIT",
    "BLUESKY_GRAPHEME_LIMIT",
    "COMMENT_MEASURES",
    "FACEBOOK_LIMIT",
    "LINKEDIN_COMMENT_LIMIT",
    "LINKEDIN_LIMIT",
    "MEASURES",
    "TELEGRAM_LIMIT",
    "THREADS_LIMIT",
    "THREADS_LINK_LIMIT",
    "Measure",
]

Measure = Callable[[str, TextRules], tuple[Measurement, ...]]

LINKEDIN_LIMIT = 3_000
# ⚠ Secondary sources (no Microsoft page states it): a comment's text is at most 1,250.
LINKEDIN_COMMENT_LIMIT = 1_250
BLUESKY_GRAPHEME_LIMIT = 300
BLUESKY_BYTE_LIMIT = 3_000
FACEBOOK_LIMIT = 63_206
THREADS_LIMIT = 500
THREADS_LINK_LIMIT = 5
TELEGRAM_LIMIT = 4_096


def _linkedin(text: str, rules: TextRules) -> tuple[Measurement, ...]:
    # ❓ The unit of LinkedIn's 3,000 is undocumented, and so is whether escapes count. Counting
    # UTF-16 code units of the escaped text (what LinkedIn receives) is the larger reading.
    length = _utf16_length(escape_little(text))
    return (Measurement(length, LINKEDIN_LIMIT, "characters", "LinkedIn", blank=_blank(text)),)


def _linkedin_comment(text: str, rules: TextRules) -> tuple[Measurement, ...]:
    # A comment's text is sent as written, not as little text: nothing is escaped, so nothing
    # extra counts.
    length = _utf16_length(text)
    return (
        Measurement(length, LINKEDIN_COMMENT_LIMIT, "characters", "LinkedIn", blank=_blank(text)),
    )


def _x(text: str, rules: TextRules) -> tuple[Measurement, ...]:
    weighed = twitter.parse(text)
    return (
        Measurement(
            weighed.weighted_length,
            twitter.MAX_WEIGHTED_LENGTH,
            "weighted characters",
            "X",
            rejected=weighed.invalid_characters,
            blank=_blank(text),
        ),
    )


def _mastodon(text: str, rules: TextRules) -> tuple[Measurement, ...]:
    length = countable_length(text, rules.characters_reserved_per_url)
    return (
        Measurement(length, rules.max_characters, "characters", "Mastodon", blank=_blank(text)),
    )


def _bluesky(text: str, rules: TextRules) -> tuple[Measurement, ...]:
    # Both limits of app.bsky.feed.post's text; URLs count in full, as sent.
    blank = _blank(text)
    return (
        Measurement(
            count_graphemes(text), BLUESKY_GRAPHEME_LIMIT, "graphemes", "Bluesky", blank=blank
        ),
        Measurement(_utf8_length(text), BLUESKY_BYTE_LIMIT, "UTF-8 bytes", "Bluesky", blank=blank),
    )


def _facebook(text: str, rules: TextRules) -> tuple[Measurement, ...]:
    # 🟡 63,206 is a secondary source's number; its unit is taken as UTF-16 code units, the
    # larger of the usual readings for text beyond the Basic Multilingual Plane.
    return (
        Measurement(
            _utf16_length(text), FACEBOOK_LIMIT, "characters", "Facebook", blank=_blank(text)
        ),
    )


def _threads(text: str, rules: TextRules) -> tuple[Measurement, ...]:
    # "Text posts are limited to 500 characters" and "Emojis are counted as the number of UTF-8
    # bytes": code points, except that whatever shows as an emoji counts its bytes. ❓ Which
    # characters Meta takes for emoji is unsaid; here, what displays as one (see
    # emoji_sequences.presentation_spans). More than 5 links fails too; ❓ how Meta finds links is
    # unsaid, so bare domains count as well as URLs with a protocol.
    length = len(text) + sum(
        _utf8_length(text[start:end]) - (end - start) for start, end in presentation_spans(text)
    )
    blank = _blank(text)
    return (
        Measurement(length, THREADS_LIMIT, "characters", "Threads", blank=blank),
        Measurement(len(extract_urls(text)), THREADS_LINK_LIMIT, "links", "Threads", blank=blank),
    )


def _telegram(text: str, rules: TextRules) -> tuple[Measurement, ...]:
    # ❓ "1-4096 characters after entities parsing", unit unsaid; Telegram's entity offsets are
    # UTF-16 code units, the larger reading. Tidings sends no parse_mode, so nothing is parsed.
    return (
        Measurement(
            _utf16_length(text), TELEGRAM_LIMIT, "characters", "Telegram", blank=_blank(text)
        ),
    )


def _webhook(text: str, rules: TextRules) -> tuple[Measurement, ...]:
    # A webhook takes any length; the count is there for display.
    return (
        Measurement(_utf16_length(text), None, "characters", N_("Webhook"), blank=_blank(text)),
    )


MEASURES: Mapping[str, Measure] = {
    "linkedin": _linkedin,
    "x": _x,
    "mastodon": _mastodon,
    "bluesky": _bluesky,
    "facebook": _facebook,
    "threads": _threads,
    "telegram": _telegram,
    "webhook": _webhook,
}
# Where a first comment is counted otherwise than a post (elsewhere it is a post: a reply).
COMMENT_MEASURES: Mapping[str, Measure] = {"linkedin": _linkedin_comment}


def _blank(text: str) -> bool:
    return not text.strip()


def _utf16_length(text: str) -> int:
    """Length in UTF-16 code units, JavaScript's and most APIs' "characters"."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _utf8_length(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))
