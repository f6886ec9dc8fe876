"""What a platform's feed does to a post's text, where it matters to a reviewer: X's t.co
links, hashtags and mentions; LinkedIn's and Facebook's hashtags; the point where LinkedIn and
Facebook fold a long post behind "…see more"; the link card Bluesky and Mastodon show under a
post.

A reviewer approves the exact text (guarantee 1), so a look never hides or changes a character
of it: the fold is a marker in the text, the rest shown after it; where X shows a link as its
t.co form, the card lists each link itself under the text (``Look.shortened``). Everything is
read from the text as the request carries it (``scheduler.preview``, guarantee 4), Bluesky's
links and card from the request's own facets and embed; nothing is fetched.

Neither LinkedIn nor Facebook documents where it folds a post (PLATFORMS.md says nothing; the
docs corpus has no platform page on it); the values below are the commonly observed ones (⚠).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import urlsplit

import regex

from drafts.text_rules.linkedin import hashtags
from drafts.text_rules.twitter import URL_WEIGHT
from drafts.text_rules.urls import MASTODON, extract_urls
from scheduler.preview import Preview

# How X shows and counts every link it recognises: 23 characters of t.co (twitter-text v3's
# transformedURLLength, PLATFORMS.md §2.5); the slug stands for the one X makes on posting.
TCO_PREFIX = "https://t.co/"
TCO_FORM = TCO_PREFIX + "x" * (URL_WEIGHT - len(TCO_PREFIX))


@dataclass(frozen=True)
class Fold:
    """Where a feed cuts a post off behind "…see more": after ``graphemes`` grapheme
    clusters, or at the end of line ``lines`` (line breaks spend the room too), whichever
    comes first."""

    graphemes: int
    lines: int | None = None


# ⚠ Undocumented. LinkedIn: about 210 characters or three lines on a phone, the feed most of its
# readers use (boltpost.app/linkedin-see-more-preview.html; web-3-apps.com/char-counter/articles/
# linkedin-post-length; skills.sh linkedin-post-preview calls 210 "unofficial and approximate").
# Facebook: about 480 characters (bulkpublish.com/blog/facebook-character-limit; kalali.me puts
# it at 400 to 500).
FOLDS: Mapping[str, Fold] = {
    "linkedin": Fold(graphemes=210, lines=3),
    "facebook": Fold(graphemes=480),
}

_CLUSTER = regex.compile(r"\X")
# twitter-text's validHashtag (js/src/regexp/validHashtag.js, hashtagAlpha and
# hashtagAlphaNumeric): a '#' not glued to a word, letters or marks with digits or '_', at least
# one letter; a tag followed by '#' or '://' is none (endHashtagMatch).
_X_HASHTAG = regex.compile(
    r"(?<![&\p{L}\p{M}\p{Nd}_])[#＃](?![\ufe0f\u20e3])"
    r"(?>[\p{L}\p{M}\p{Nd}_]*[\p{L}\p{M}][\p{L}\p{M}\p{Nd}_]*)(?![#＃]|://)"
)
# twitter-text's validMentionOrList: '@' not after a name's character, up to 20 of
# [a-zA-Z0-9_]; not followed by '@', a Latin accent or '://' (endMentionMatch).
_X_MENTION = regex.compile(
    r"(?<![a-zA-Z0-9_!#$%&*@＠])[@＠](?>[a-zA-Z0-9_]{1,20})"
    r"(?![@＠\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f]|://)"
)

# Mastodon's Tag::HASHTAG_RE (app/models/tag.rb), its plainer form: '#' not after '/', ')' or a
# word character, then word characters with at least one letter.
_MASTODON_HASHTAG = regex.compile(r"(?<![/)\w])#(?>\w*\p{Alpha}\w*)")

RunKind = Literal["text", "link", "tag", "mention"]


@dataclass(frozen=True)
class Run:
    """A stretch of the post's text, exactly as sent, and how the feed shows it: plain, or as
    a link, hashtag or mention; ``shown`` is what the feed puts in its place (X's t.co form)."""

    text: str
    kind: RunKind = "text"
    shown: str | None = None


@dataclass(frozen=True)
class LinkCard:
    """The card under a post for its first link, as far as it is known without fetching it:
    its address and host, and ``title``, the card's title if Tidings sends it (Bluesky), else
    None (Mastodon makes the card from the page once the post is out)."""

    url: str
    host: str
    title: str | None


@dataclass(frozen=True)
class Look:
    """A post's text as its feed shows it: ``runs`` up to the fold, ``folded`` after it (empty
    when the whole text shows), with the fold's ``fold`` rule, and the ``card`` under it."""

    runs: tuple[Run, ...]
    folded: tuple[Run, ...] = ()
    fold: Fold | None = None
    card: LinkCard | None = None

    @property
    def shortened(self) -> tuple[Run, ...]:
        """The links the feed shows in another form, each once, for the card to list."""
        links = (run for run in self.runs + self.folded if run.shown is not None)
        return tuple({run.text: run for run in links}.values())


def plain(text: str) -> Look:
    return Look(runs=(Run(text),))


def look_of(platform: str, built: Preview, has_images: bool) -> Look:
    """How ``platform``'s feed shows the post ``built`` (a post with images shows them in the
    place of a link card, on Bluesky by its record, on Mastodon by its web app ⚠)."""
    text = built.displayed
    if platform == "x":
        return Look(runs=_runs(text, _x_entities(text)))
    if platform == "bluesky":
        record = built.request.json()["record"]
        return Look(runs=_runs(text, _facet_entities(record)), card=_bluesky_card(record))
    if platform == "mastodon":
        links = extract_urls(text, without_protocol=False, syntax=MASTODON)
        spans: list[_Span] = [(url.start, url.end, "link", None) for url in links]
        tags: list[_Span] = [
            (found.start(), found.end(), "tag", None) for found in _MASTODON_HASHTAG.finditer(text)
        ]
        card = None if has_images or not links else _fetched_card(links[0].url)
        return Look(runs=_runs(text, spans + tags), card=card)
    runs = _runs(text, _folding_feed_tags(platform, text))
    fold = FOLDS.get(platform)
    cut = fold_at(text, fold) if fold is not None else None
    if cut is None:
        return Look(runs=runs)
    shown, folded = _cut(runs, cut)
    return Look(runs=shown, folded=folded, fold=fold)


def _folding_feed_tags(platform: str, text: str) -> list[_Span]:
    """LinkedIn links the hashtags its commentary leaves unescaped (``escape_little``).
    Facebook links hashtags too, by a rule it does not document (⚠): read here as X reads
    them."""
    if platform == "linkedin":
        return [(start, end, "tag", None) for start, end in hashtags(text)]
    if platform == "facebook":
        return [(found.start(), found.end(), "tag", None) for found in _X_HASHTAG.finditer(text)]
    return []


def fold_at(text: str, fold: Fold) -> int | None:
    """The index in ``text`` where ``fold`` cuts it off, or None if all of it shows (what
    would be cut is only white space)."""
    lines = 1
    for count, cluster in enumerate(_CLUSTER.finditer(text)):
        ends_line = cluster[0] in ("\n", "\r\n", "\r")
        if count == fold.graphemes or (ends_line and lines == fold.lines):
            return cluster.start() if text[cluster.start() :].strip() else None
        lines += ends_line
    return None


_Span = tuple[int, int, RunKind, str | None]


def _x_entities(text: str) -> list[_Span]:
    """X's links (each shown as its t.co form), then hashtags and mentions outside them."""
    links: list[_Span] = [(url.start, url.end, "link", TCO_FORM) for url in extract_urls(text)]
    others: list[_Span] = [
        *((found.start(), found.end(), "tag", None) for found in _X_HASHTAG.finditer(text)),
        *((found.start(), found.end(), "mention", None) for found in _X_MENTION.finditer(text)),
    ]
    return links + [span for span in others if not _overlaps(span, links)]


def _facet_entities(record: Mapping[str, Any]) -> list[_Span]:
    """The spans Bluesky links, read from the record's facets (UTF-8 byte offsets)."""
    encoded = str(record["text"]).encode("utf-8")
    spans: list[_Span] = []
    for facet in record.get("facets", ()):
        index, feature = facet["index"], facet["features"][0]
        kind: RunKind = "link" if feature["$type"].endswith("#link") else "tag"
        start = len(encoded[: index["byteStart"]].decode("utf-8", errors="ignore"))
        end = len(encoded[: index["byteEnd"]].decode("utf-8", errors="ignore"))
        spans.append((start, end, kind, None))
    return spans


def _bluesky_card(record: Mapping[str, Any]) -> LinkCard | None:
    """The card the record embeds (``app.bsky.embed.external``), if it embeds one."""
    embed = record.get("embed") or {}
    external = embed.get("external")
    if external is None:
        return None
    url = str(external["uri"])
    return LinkCard(url=url, host=_host(url), title=str(external["title"]))


def _fetched_card(url: str) -> LinkCard:
    """Mastodon's card for the first link with a protocol (its FetchLinkCardService): made by
    the server from the page, so only the address and host are known before."""
    return LinkCard(url=url, host=_host(url), title=None)


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _overlaps(span: _Span, others: list[_Span]) -> bool:
    return any(span[0] < other[1] and other[0] < span[1] for other in others)


def _cut(runs: tuple[Run, ...], at: int) -> tuple[tuple[Run, ...], tuple[Run, ...]]:
    """``runs`` before and after index ``at`` of their text; a run across it is cut in two."""
    before: list[Run] = []
    position = 0
    for index, run in enumerate(runs):
        end = position + len(run.text)
        if end > at:
            if at > position:
                before.append(replace(run, text=run.text[: at - position]))
                run = replace(run, text=run.text[at - position :])
            return tuple(before), (run, *runs[index + 1 :])
        before.append(run)
        position = end
    return tuple(before), ()


def _runs(text: str, spans: list[_Span]) -> tuple[Run, ...]:
    """``text`` cut into runs at ``spans`` (kept in order, an overlapping one dropped)."""
    runs: list[Run] = []
    position = 0
    for start, end, kind, shown in sorted(spans):
        if start < position:
            continue
        if start > position:
            runs.append(Run(text[position:start]))
        runs.append(Run(text[start:end], kind, shown))
        position = end
    if position < len(text) or not runs:
        runs.append(Run(text[position:]))
    return tuple(runs)
