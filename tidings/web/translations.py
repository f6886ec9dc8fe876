"""The interface languages: Babel message catalogues, and which language a request gets.

The web UI is offered in English (the source strings) and Korean (``locale/ko/LC_MESSAGES``).
A logged-in user's ``User.language`` chooses; a user who never chose, and a visitor who is not
logged in, get the best match for the browser's ``Accept-Language``, else English.

Catalogues are made with pybabel from ``tidings/web/*.py`` and ``templates/web/*.html``; the
steps are in ``locale/README.md``. ``tests/web/test_translations.py`` fails when the compiled
``.mo`` is stale or a message has no translation.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from babel import Locale
from babel.support import NullTranslations, Translations

from drafts.errors import TidingsError

# Marks a message for extraction without translating it: for text made once (a module's table
# of words, the services' sentences) and translated where it is shown.
from drafts.messages import N_ as N_
from drafts.messages import problem

LOCALE_FOLDER = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"
NOT_OFFERED = N_("%(value)s is not one of %(offered)s")
# Each offered language, named in itself (a language list is read by those who speak it).
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "ko": "한국어"}
LANGUAGES: tuple[str, ...] = tuple(LANGUAGE_NAMES)

_ACCEPT_ITEM = re.compile(
    r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([^\s;,]*))?\s*$"
)


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalogue for ``language`` (one of ``LANGUAGES``); English is the source."""
    if language not in LANGUAGE_NAMES:
        raise ValueError(f"{language!r} is not an interface language")
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    found = Translations.load(LOCALE_FOLDER, [language], DOMAIN)
    if not isinstance(found, Translations):
        raise FileNotFoundError(
            f"no compiled catalogue for {language} in {LOCALE_FOLDER} (see locale/README.md)"
        )
    return found


@cache
def babel_locale(language: str) -> Locale:
    """Babel's locale of ``language``, parsed once a process: given a tag, each of Babel's
    formatting calls parses it anew (some 70 µs, where formatting with the locale takes 10), and
    a page formats a date or a duration for each row it lists."""
    return Locale.parse(language, sep="-")


def interface_language(tag: str | None) -> str | None:
    """The offered language a BCP 47 tag asks for (``ko-KR`` → ``ko``), or None."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGE_NAMES else None


def parse_language(text: str) -> str:
    """A language a person typed or chose, as stored on the user; ``TidingsError`` otherwise."""
    language = interface_language(text)
    if language is None or text.strip().lower() != language:
        offered = ", ".join(LANGUAGES)
        raise TidingsError(problem("language", NOT_OFFERED, value=repr(text), offered=offered))
    return language


def accepted_language(header: str | None) -> str:
    """The offered language a browser's ``Accept-Language`` prefers most, else English.

    Tags are tried by quality (highest first, then in the order given); ``q=0`` refuses.
    """
    if not header:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:32]):
        found = _ACCEPT_ITEM.match(item)
        if found is None:
            continue
        try:
            quality = float(found[2]) if found[2] is not None else 1.0
        except ValueError:
            continue  # a malformed quality: the item is ignored
        if 0 < quality <= 1:
            ranked.append((-quality, position, found[1]))
    for _quality, _position, tag in sorted(ranked):
        if tag == "*":
            return DEFAULT_LANGUAGE
        language = interface_language(tag)
        if language is not None:
            return language
    return DEFAULT_LANGUAGE
