"""Grapheme clusters: what a reader takes for one character.

Bluesky caps posts at 300 graphemes and Mastodon counts its limit in them, so "👨‍👩‍👧" and
"é" written as e + U+0301 are one each. Segmentation is Unicode's extended grapheme clusters
(UAX #29) as the `regex` module implements them (`\\X`); bench/graphemes.py shows why nothing
faster is worth its code.
"""

from __future__ import annotations

import regex

__all__ = ["count_graphemes"]

_CLUSTER = regex.compile(r"\X")


def count_graphemes(text: str) -> int:
    """The number of extended grapheme clusters in `text`."""
    return len(_CLUSTER.findall(text))
