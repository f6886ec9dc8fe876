"""Grapheme clusters: what a reader takes for one character.

Bluesky caps posts at 300 graphemes and Mastodon counts its limit in them, so "👨‍👩‍👧" and
"é" written as e + U+0301 are one each. Segmentation is Unicode's extended grapheme clusters
(UAX #29) as the `regex` module implements them (`\\X`).
"""

from __future__ import annotations

import functools
import re

import regex

__all__ = ["count_graphemes"]

_CLUSTER = regex.compile(r"\X")
# Characters that may share a cluster with a neighbour: between two characters neither of which
# is one of these, UAX #29 always breaks (CR is here for CR LF).
_JOINING_PROPERTIES = regex.compile(
    r"[\p{Grapheme_Cluster_Break=Extend}\p{Grapheme_Cluster_Break=ZWJ}"
    r"\p{Grapheme_Cluster_Break=SpacingMark}\p{Grapheme_Cluster_Break=Prepend}"
    r"\p{Grapheme_Cluster_Break=L}\p{Grapheme_Cluster_Break=V}\p{Grapheme_Cluster_Break=T}"
    r"\p{Grapheme_Cluster_Break=Regional_Indicator}\r]+"
)


def count_graphemes(text: str) -> int:
    """Number of extended grapheme clusters in `text`.

    Running \\X over a whole text costs a quarter of a microsecond per character, so where
    joining characters are few only the stretches around them are segmented. Every pair of
    characters that share a cluster holds a joining character, and a cluster always starts at a
    character that is not one, so each stretch (a run of joiners with one other character either
    side, merged with its neighbours where they share that character) counts its joins once.
    """
    runs: list[tuple[int, int]] = []
    for run in _joiner_runs().finditer(text):
        runs.append(run.span())
        if len(runs) >= _DENSE_RUNS and len(runs) * _DENSE_RUNS > run.end():
            return len(_CLUSTER.findall(text))  # joiners everywhere (Indic scripts): one pass
    if not runs:
        return len(text)
    joins = 0
    stretch_start, stretch_end = max(runs[0][0] - 1, 0), runs[0][1] + 1
    for run_start, run_end in runs[1:]:
        if run_start - 1 < stretch_end:  # the character between two runs is shared
            stretch_end = run_end + 1
            continue
        joins += _joins(text[stretch_start:stretch_end])
        stretch_start, stretch_end = run_start - 1, run_end + 1
    return len(text) - joins - _joins(text[stretch_start:stretch_end])


# Past one run of joiners per this many characters, segmenting the whole text is quicker.
_DENSE_RUNS = 8


def _joins(stretch: str) -> int:
    """How many characters of `stretch` continue a cluster rather than start one."""
    return len(stretch) - len(_CLUSTER.findall(stretch))


@functools.cache
def _joiner_runs() -> re.Pattern[str]:
    """Runs of (possible) joiners, built on first use (some 20 ms).

    The joiners of the Basic Multilingual Plane are listed exactly; every character beyond it
    is taken as a possible joiner (emoji modifiers, regional indicators and tags are there), so
    the class stays one that `re` tests in constant time.
    """
    basic_plane = "".join(map(chr, range(0x10000)))
    joiners = "".join(
        f"{re.escape(run[0][0])}-{re.escape(run[0][-1])}" if len(run[0]) > 1 else re.escape(run[0])
        for run in _JOINING_PROPERTIES.finditer(basic_plane)
    )
    return re.compile(f"[{joiners}\U00010000-\U0010ffff]+")
