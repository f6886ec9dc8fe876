"""Channel text rules: how long a text is on each platform, and whether it fits.

`measure` answers for one platform with every count that platform applies (Bluesky has two);
the review screen shows the first and flags any `problem`. Counting follows PLATFORMS.md; the
modules below hold one rule each:

- `twitter`: X's weighted length (twitter-text v3);
- `urls`: URLs found as twitter-text finds them, with their spans (`tlds` lists the TLDs);
- `emoji_sequences`: where a multi-code-point emoji starts and ends;
- `graphemes`: grapheme clusters (Bluesky, Mastodon);
- `hidden`: characters readers cannot see (bidi controls, zero width characters);
- `mastodon`: Mastodon's countable text (URLs and remote mentions rewritten);
- `linkedin`: LinkedIn's little-format escaping;
- `platforms`: the count and limit of each platform, as `measurement.Measurement`s.

`platforms`, and with it every module above, is imported when a text is first measured (or
`PLATFORMS` first read): their patterns and the `regex` module cost a command that measures
nothing, such as `tidings queue` on an empty database, some 15 ms.
"""

from __future__ import annotations

from drafts.text_rules.measurement import Measurement, TextRules

__all__ = ["DEFAULT_RULES", "PLATFORMS", "Measurement", "TextRules", "measure"]

DEFAULT_RULES = TextRules()


def __getattr__(name: str) -> tuple[str, ...]:
    """``PLATFORMS``: the platforms of drafts.channels.PLATFORMS, each with its measures (a test
    checks they agree)."""
    if name == "PLATFORMS":
        from drafts.text_rules.platforms import MEASURES

        return tuple(MEASURES)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def measure(
    platform: str, text: str, rules: TextRules = DEFAULT_RULES, *, comment: bool = False
) -> tuple[Measurement, ...]:
    """Every measurement `platform` applies to `text` (a first comment's, with ``comment``:
    LinkedIn counts a comment otherwise than a post); the first is the one shown to users.

    `platform` is one of `PLATFORMS`; any other name raises ValueError.
    """
    from drafts.text_rules.platforms import COMMENT_MEASURES, MEASURES

    if comment and platform in COMMENT_MEASURES:
        return COMMENT_MEASURES[platform](text, rules)

    try:
        measure_on_platform = MEASURES[platform]
    except KeyError:
        known = ", ".join(MEASURES)
        raise ValueError(f"unknown platform {platform!r} (known: {known})") from None
    return measure_on_platform(text, rules)
