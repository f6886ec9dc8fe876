"""URLs in a text, found the way twitter-text finds them.

X shortens every URL it recognises to a 23-character t.co link, Mastodon reserves a fixed length for
each URL with a protocol, and Bluesky needs the span of every link to build its facets. All three
questions start here: `extract_urls` returns each URL with its span in the `str`
(``text[url.start:url.end] == url.url``).

Ported from twitter/twitter-text, JavaScript 3.1.0 (`js/src/extractUrlsWithIndices.js`,
`js/src/regexp/*.js`, `js/src/lib/idna.js`), Copyright 2018 Twitter, Inc., Apache License 2.0.
The regular expressions keep twitter-text's names and shapes so the two can be compared line by
line. The search around them is ours and finds the same matches faster: see `_matches`.

Two syntaxes are offered. `TWITTER` is twitter-text's own. `MASTODON` is how Mastodon's server
widens it (its `config/initializers/twitter_regex.rb`): a few more protocols, and paths and queries
that run on to the next space or bracket, so it measures the same URL spans Mastodon does.

The module is longer than most (about 440 lines) on purpose: twitter-text's regular expressions
and the search that runs them are one port, kept whole so that it can be read beside
twitter-text's sources; split, the patterns would lose the code that says what they match.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from drafts.text_rules.tlds import COUNTRY_TLDS, GENERIC_TLDS

__all__ = ["MASTODON", "TWITTER", "Url", "UrlSyntax", "extract_urls"]

# Longest URL twitter-text accepts, protocol included, in UTF-16 code units.
_MAX_URL_LENGTH = 4096
# t.co slugs longer than this are not t.co links.
_MAX_TCO_SLUG_LENGTH = 40
# DNS limit on one label once it is punycode-encoded.
_MAX_DOMAIN_LABEL_LENGTH = 63
# A URL written without protocol is measured as if it had this one.
_DEFAULT_PROTOCOL = "https://"


@dataclass(frozen=True)
class Url:
    """One URL found in a text: ``text[start:end] == url`` (indexes into the `str`)."""

    start: int
    end: int
    url: str
    has_protocol: bool


@dataclass(frozen=True)
class UrlSyntax:
    """What a platform's server accepts as a URL; see `TWITTER` and `MASTODON`.

    `source` is a regular expression for lower-cased text (see `_fold_case`).
    """

    name: str
    source: str

    @property
    def pattern(self) -> re.Pattern[str]:
        """The compiled pattern, built on first use: the TLD lists make it slow to compile."""
        return _compile(self.source)


@functools.cache
def _compile(source: str) -> re.Pattern[str]:
    """Patterns holding the TLD lists take some 30 ms each to compile: only on first use."""
    return re.compile(source)


# --- twitter-text's regular expressions (js/src/regexp/*.js) --------------------------------

_INVALID_CHARS = "\ufffe\ufeff\uffff"
_DIRECTIONAL_MARKERS = "\u202a-\u202e\u061c\u200e\u200f\u2066\u2067\u2068\u2069"
_SPACES = "\x09-\x0d\x20\x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# twitter-text's punctuation list, as it is: it has no '"' and no '`', so both may sit in a domain.
_PUNCT_OUTSIDE_DOMAINS = r"!'#%&()*+,\\/:;<=>?@\[\]\^{|}~$"
_PUNCT = _PUNCT_OUTSIDE_DOMAINS + r"\-._"
_LATIN_ACCENTS = (
    "\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263"
    "\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = "\u0400-\u04ff"

_NOT_IN_DOMAINS = f"{_SPACES}{_INVALID_CHARS}{_DIRECTIONAL_MARKERS}"
_DOMAIN_CHAR = f"[^{_PUNCT}{_NOT_IN_DOMAINS}]"
# twitter-text's (?:[_-]|domainChar) and (?:-|domainChar), as single classes: the same
# characters, tried in one step instead of a choice per character.
_DOMAIN_CHAR_DASH_UNDERSCORE = rf"[^{_PUNCT_OUTSIDE_DOMAINS}.{_NOT_IN_DOMAINS}]"
_DOMAIN_CHAR_DASH = rf"[^{_PUNCT_OUTSIDE_DOMAINS}._{_NOT_IN_DOMAINS}]"
# A label can only end at the next full stop, so it has one way to match: atomic groups (as in
# twitter-text's Java) change no result and spare the engine from retrying each label.
_SUBDOMAIN = rf"(?>(?:{_DOMAIN_CHAR}{_DOMAIN_CHAR_DASH_UNDERSCORE}*)?{_DOMAIN_CHAR}\.)"
_DOMAIN_NAME = rf"(?>(?:{_DOMAIN_CHAR}{_DOMAIN_CHAR_DASH}*)?{_DOMAIN_CHAR}\.)"
# A TLD must not run on into more letters, digits or '@+-' (so "foo.comm" and "a.com@b" don't
# match). JavaScript's `$` is the end of the text; Python's `$` also matches before a final
# newline, hence `\Z`.
_TLD_END = r"(?=[^0-9a-zA-Z@+\-]|\Z)"

_Trie = dict[str, "_Trie"]


def _alternatives(words: tuple[str, ...]) -> str:
    """A pattern for any of `words`, preferring the longest, shaped as a trie.

    It accepts what twitter-text's flat alternation accepts (whose order also tries 嘉里大酒店
    before 嘉里 and भारतम् before भारत), but Python's engine tries a flat alternation of 1,500
    words one by one at every full stop, and a trie in a few steps.
    """
    trie: _Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _render_trie(trie)


def _render_trie(node: _Trie) -> str:
    branches = [re.escape(char) + _render_trie(child) for char, child in node.items() if char]
    if not branches:
        return ""
    group = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    # Where a word ends but longer ones go on, the greedy `?` tries the longer words first.
    return f"(?:{group})?" if "" in node else group


_GENERIC_TLD = rf"(?:{_alternatives(GENERIC_TLDS)}{_TLD_END})"
_COUNTRY_TLD = rf"(?:{_alternatives(COUNTRY_TLDS)}{_TLD_END})"
_PUNYCODE_TLD = r"(?:xn--[\-0-9a-z]+)"
_TLD = rf"(?:{_GENERIC_TLD}|{_COUNTRY_TLD}|{_PUNYCODE_TLD})"
_DOMAIN = rf"(?:{_SUBDOMAIN}*{_DOMAIN_NAME}{_TLD})"
_ASCII_DOMAIN = rf"(?:(?:[\-a-z0-9{_LATIN_ACCENTS}]+)\.)+{_TLD}"
_PRECEDING_CHAR = rf"(?:[^A-Za-z0-9@＠$#＃{_INVALID_CHARS}]|[{_DIRECTIONAL_MARKERS}])"
_PRECEDING = rf"(?:{_PRECEDING_CHAR}|^)"
# A URL without protocol right after one of these is part of something else (a path, a file name).
_INVALID_BEFORE_BARE_DOMAIN = re.compile(r"[-_./]\Z")


def _balanced_parens(path_char: str) -> str:
    """Up to two nested levels of parentheses, as in /wiki/Primer_(film)."""
    return rf"\((?:{path_char}+|(?:{path_char}*\({path_char}+\){path_char}*))\)"


_PATH_CHAR = rf"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&{_LATIN_ACCENTS}]"
_PATH_PARENS = _balanced_parens(_PATH_CHAR)
# A path may not end on punctuation, so "see example.com/foo." leaves the full stop out.
_PATH_END_CHAR = rf"[+\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]"
# twitter-text's JavaScript and Java paste the path-ending rule into this one as a string, so its
# "|" splits the enclosing group: a path piece either ends on a path-ending character or is a
# parenthesised group alone ("/a(b)" is a path, "/a.(b)" stops at "/a"). Kept, as X does it.
_PATH = (
    rf"(?:(?:{_PATH_CHAR}*(?:{_PATH_PARENS}{_PATH_CHAR}*)*{_PATH_END_CHAR}|{_PATH_PARENS})"
    rf"|(?:@{_PATH_CHAR}+/))"
)
_QUERY_CHAR = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
_QUERY_END = r"[a-z0-9\-_&=#/]"
_TCO_URL = re.compile(rf"https?://t\.co/([a-z0-9]+)(?:\?{_QUERY_CHAR}*{_QUERY_END})?")


def _url_source(protocol: str, path: str, query_char: str, query_end: str) -> str:
    """twitter-text's extractUrl: preceding character, then protocol?, domain, port?, path?, query?"""
    return (
        rf"(?P<before>{_PRECEDING})"
        rf"(?P<url>(?P<protocol>{protocol})?(?P<domain>{_DOMAIN})(?::[0-9]+)?"
        rf"(?P<path>/{path}*)?(?:\?{query_char}*{query_end})?)"
    )


TWITTER = UrlSyntax("twitter-text", _url_source(r"https?://", _PATH, _QUERY_CHAR, _QUERY_END))

# --- Mastodon's widening, described rather than copied ----------------------------------------
# A path is any run of characters up to whitespace, '<', '>', '(', ')' or '?', with balanced
# parentheses allowed, and must not end on common punctuation; a query may also hold '^' and any
# non-ASCII character (RFC 3987 ucschar).

_WHITE_SPACE = "\x09-\x0d\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# ucschar (U+00A0 and up, less surrogates and non-characters), written as what it leaves out:
# a class of the few excluded ranges compiles in microseconds, the full one in milliseconds.
_NOT_UCSCHAR = (
    "\x00-\x9f\ud800-\udfff\ufdd0-\ufdef\ufff0-\uffff\U0001fffe\U0001ffff\U0002fffe\U0002ffff"
    "\U0003fffe\U0003ffff\U0004fffe\U0004ffff\U0005fffe\U0005ffff\U0006fffe\U0006ffff"
    "\U0007fffe\U0007ffff\U0008fffe\U0008ffff\U0009fffe\U0009ffff\U000afffe\U000affff"
    "\U000bfffe\U000bffff\U000cfffe\U000cffff\U000dfffe\U000dffff\U000e0000-\U000e0fff"
    "\U000efffe\U000effff\U000ffffe\U000fffff\U0010fffe\U0010ffff"
)
_UCSCHAR = f"[^{_NOT_UCSCHAR}]"
_MASTODON_PATH_CHAR = rf"[^{_WHITE_SPACE}<>()?]"
# Mastodon redefines the parentheses rule after the path-ending rule has already captured
# twitter-text's version, so the ending rule keeps twitter-text's parentheses.
_MASTODON_PATH_END = rf"(?:[^{_WHITE_SPACE}()?!*\"'「」<>;:=,.$%\[\]~&|@]|{_PATH_PARENS})"
_MASTODON_PATH_PARENS = _balanced_parens(_MASTODON_PATH_CHAR)
_MASTODON_PATH = (
    rf"(?:(?:{_MASTODON_PATH_CHAR}*(?:{_MASTODON_PATH_PARENS}{_MASTODON_PATH_CHAR}*)*"
    rf"{_MASTODON_PATH_END})|(?:{_MASTODON_PATH_CHAR}+/))"
)
MASTODON = UrlSyntax(
    "mastodon",
    _url_source(
        r"(?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://",
        _MASTODON_PATH,
        rf"(?:[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@\^]|{_UCSCHAR})",
        rf"(?:[a-z0-9_&=#/\-]|{_UCSCHAR})",
    ),
)


# --- extraction (js/src/extractUrlsWithIndices.js) ----------------------------------------------


def extract_urls(
    text: str, *, without_protocol: bool = True, syntax: UrlSyntax = TWITTER
) -> tuple[Url, ...]:
    """Every URL in `text`, in order, as twitter-text's extractUrlsWithIndices finds them.

    With `without_protocol`, bare domains such as ``example.com/path`` count too (X does this;
    Mastodon does not). A bare domain is only taken in its ASCII part, so in
    ``これはexample.com`` the URL is ``example.com``.
    """
    if not text or ("." not in text if without_protocol else ":" not in text):
        return ()
    folded = _fold_case(text)
    urls: list[Url] = []
    for match in _matches(folded, syntax.pattern):
        url = text[match.start("url") : match.end("url")]
        domain = text[match.start("domain") : match.end("domain")]
        if not _is_valid_url(url, match["protocol"] or _DEFAULT_PROTOCOL, domain):
            continue
        if match["protocol"]:
            found = _with_protocol(text, match)
            if found is not None:
                urls.append(found)
        elif without_protocol and not _INVALID_BEFORE_BARE_DOMAIN.search(match["before"]):
            urls.extend(_without_protocol(text, match))
    return tuple(urls)


def _with_protocol(text: str, match: re.Match[str]) -> Url | None:
    """The URL itself, except that a t.co link stops where its slug and query stop."""
    start, end = match.span("url")
    tco = _TCO_URL.match(match.string, start, end)
    if tco is not None:
        if len(tco[1]) > _MAX_TCO_SLUG_LENGTH:
            return None
        end = tco.end()
    return Url(start, end, text[start:end], has_protocol=True)


def _without_protocol(text: str, match: re.Match[str]) -> list[Url]:
    """The ASCII domains inside a bare domain; the last one also takes the path and query."""
    domain_start = match.start("domain")
    spans = [
        (domain_start + part.start(), domain_start + part.end())
        for part in _compile(_ASCII_DOMAIN).finditer(match["domain"])
    ]
    if spans and match["path"]:
        spans[-1] = (spans[-1][0], match.end("url"))
    return [Url(start, end, text[start:end], has_protocol=False) for start, end in spans]


def _is_valid_url(url: str, protocol: str, domain: str) -> bool:
    """twitter-text's isValidUrl: every DNS label fits once punycoded, and the URL isn't huge."""
    if domain.startswith("xn--") and not _compile(_ASCII_DOMAIN).search(_fold_case(domain)):
        return False  # a punycode domain cannot also hold non-ASCII characters
    if not all(map(_label_fits, domain.split("."))):
        return False
    return _utf16_length(protocol) + _utf16_length(url) <= _MAX_URL_LENGTH


# --- case folding ------------------------------------------------------------------------------
# twitter-text's patterns are case-insensitive JavaScript ones. Python's engine tries each branch of
# a case-insensitive alternation in full, which made the TLD lists twenty times slower to try, so
# the patterns are written for lower-case text and the text is lower-cased instead, keeping every
# index: str.lower() maps one character to one, except the three below, which are first swapped
# for letters with the same standing in twitter-text's character classes. What is left differs
# from JavaScript's /i only for a few dozen rare letters (ɠ, ι, ᲀ...) that JavaScript takes as
# case twins of URL characters through their upper case.
_BEFORE_LOWER = str.maketrans(
    {
        "\u0130": "\u0131",  # İ lowers to two characters; ı is a Latin letter as İ is
        "\u212a": "\u210e",  # Kelvin sign lowers to ASCII k; ℎ is, like it, no URL letter
        "\u212b": "\u210e",  # Angstrom sign lowers to å, a URL letter it is not
    }
)


def _fold_case(text: str) -> str:
    if "\u0130" in text or "\u212a" in text or "\u212b" in text:
        text = text.translate(_BEFORE_LOWER)
    return text.lower()


# --- where matches can start -------------------------------------------------------------------


def _matches(text: str, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
    """What ``pattern.finditer(text)`` yields, trying only where a match can start.

    Trying a URL at every position costs a lot in long runs without spaces (CJK text), so the
    search jumps between the stretches `_candidate_stretches` names.
    """
    position = 0  # earlier starts are inside a match, or known to fail
    for low, high in _candidate_stretches(text):
        start = max(low, position)
        while start < high:
            match = pattern.match(text, start)
            if match is not None:
                yield match
                position = match.end()
            else:
                position = _next_worth_trying(text, start)
            start = position


# The dots a TLD follows: every domain ends in one.
_TLD_ANCHOR = rf"\.(?={_TLD})"
# Domain labels, their dots, dashes and underscores: the run a domain must lie in.
_DOMAIN_RUN = re.compile(f"[^{_PUNCT_OUTSIDE_DOMAINS}{_NOT_IN_DOMAINS}]+")
_PROTOCOL_BEFORE = re.compile(r"[A-Za-z]+://\Z")
# Longer than any protocol twitter-text or Mastodon accepts.
_PROTOCOL_REACH = 12


def _candidate_stretches(text: str) -> Iterator[tuple[int, int]]:
    """Ascending ranges [low, high) of positions where a URL match could start.

    A match's domain lies in a run of domain characters and holds a '.' followed by a TLD in
    that run; the URL starts inside the run before that dot, or at the protocol just before the
    run. The match itself starts one character earlier (its preceding character), or at 0.
    """
    anchors = [anchor.start() for anchor in _compile(_TLD_ANCHOR).finditer(text)]
    if not anchors:
        return
    backwards = text[::-1]  # lets the run before an anchor be matched forwards, in C
    run_end = 0
    for anchor in anchors:
        if anchor < run_end:
            continue  # this run was handled at its first anchor
        run_end = _run_end(text, anchor)
        run_start = len(text) - _run_end(backwards, len(text) - 1 - anchor)
        last_anchor = anchors[bisect.bisect_left(anchors, run_end) - 1]
        protocol = _PROTOCOL_BEFORE.search(text, max(run_start - _PROTOCOL_REACH, 0), run_start)
        if protocol is not None:
            protocol_start = max(protocol.start() - 1, 0)
            yield protocol_start, protocol_start + 1
        yield max(run_start - 1, 0), last_anchor


_PRECEDING_CHAR_RE = re.compile(_PRECEDING_CHAR)
_DOMAIN_CHAR_RE = re.compile(_DOMAIN_CHAR)
# What ends a run of domain characters and dashes: punctuation but '-', spaces, and the like.
_LABEL_STOP = re.compile(f"[{_PUNCT_OUTSIDE_DOMAINS}._{_NOT_IN_DOMAINS}]")


def _next_worth_trying(text: str, failed: int) -> int:
    """The first start after `failed` that may match, now that a match at `failed` failed.

    If no domain starts at u, and text[u] is a domain character, none starts at the positions
    after u that only domain characters and dashes separate from it: the first label would just
    be shorter, and a label valid from there on would also be valid from u. Without this, a long
    run of text with a broken domain at its end (CJK text, then "my_site.com") costs quadratic
    time.
    """
    if failed == 0 and _DOMAIN_CHAR_RE.match(text, 0):
        domain_start = 0  # the attempt also tried a domain at 0, after "^"
    elif _PRECEDING_CHAR_RE.match(text, failed):
        domain_start = failed + 1
    else:
        return failed + 1  # it failed on the preceding character: nothing learned
    if not _DOMAIN_CHAR_RE.match(text, domain_start):
        return failed + 1
    stop = _LABEL_STOP.search(text, domain_start + 1)
    return len(text) if stop is None else stop.start()


def _run_end(text: str, start: int) -> int:
    """End of the run of domain characters starting at `start` (a '.', which is one)."""
    run = _DOMAIN_RUN.match(text, start)
    return start if run is None else run.end()


# --- label lengths (js/src/lib/idna.js, punycode.js toASCII) ----------------------------------

_LABEL_SEPARATORS = re.compile("[\u3002\uff0e\uff61]")
_PUNYCODE_PREFIX = "xn--"
# Punycode spends at most this many characters on one non-ASCII code point of a label short
# enough to matter (a variable-length integer below 0x110000 * 64 needs at most 9 digits).
_MAX_PUNYCODE_DIGITS = 9


def _label_fits(label: str) -> bool:
    """Whether punycode.js's toASCII(label) is 1 to 63 characters long.

    toASCII also splits on ideographic full stops and encodes each part holding anything but
    printable ASCII as "xn--" + punycode.
    """
    if label.isascii() and label.isprintable():
        return 1 <= len(label) <= _MAX_DOMAIN_LABEL_LENGTH
    parts = _LABEL_SEPARATORS.sub(".", label).split(".")
    bounds = [_encoded_length_bounds(part) for part in parts]
    separators = len(parts) - 1
    if sum(low for low, _ in bounds) + separators > _MAX_DOMAIN_LABEL_LENGTH:
        return False
    if sum(high for _, high in bounds) + separators <= _MAX_DOMAIN_LABEL_LENGTH:
        return True
    # Only near the limit is the real encoding worth its cost (Python's codec is slow).
    return sum(map(_encoded_length, parts)) + separators <= _MAX_DOMAIN_LABEL_LENGTH


def _encoded_length_bounds(part: str) -> tuple[int, int]:
    """Shortest and longest possible length of one part once encoded."""
    if part.isascii() and part.isprintable():
        return len(part), len(part)
    ascii_count = len(part.encode("ascii", "ignore"))
    shortest = len(_PUNYCODE_PREFIX) + len(part) + (ascii_count > 0)
    return shortest, shortest + (_MAX_PUNYCODE_DIGITS - 1) * (len(part) - ascii_count)


def _encoded_length(part: str) -> int:
    if part.isascii() and part.isprintable():
        return len(part)
    return len(_PUNYCODE_PREFIX) + len(_punycode(part))


@functools.lru_cache(maxsize=1024)
def _punycode(part: str) -> str:
    return part.encode("punycode").decode("ascii")


def _utf16_length(text: str) -> int:
    """JavaScript's String.length: UTF-16 code units."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
