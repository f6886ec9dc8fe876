"""What a notification says: a subject, a plain-text body and the link to the page that
settles it, in the reader's language, with its time in the reader's timezone.

The sentences are marked with ``N_`` and translated with the web app's catalogue
(``tidings/web/locale``, read from its folder: the daemon needs no part of the web app), so a
Korean reviewer reads the same words in an e-mail as on the draft's page. Rendering is pure: the
outbox reads the facts (``Notice``) and the reader, and this module only words them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.support import NullTranslations, Translations

from drafts.messages import N_
from drafts.models import User
from drafts.notification_events import Event

LOCALE_FOLDER = Path(__file__).resolve().parents[2] / "tidings" / "web" / "locale"
LANGUAGES = ("en", "ko")  # the interface languages; English is the catalogue's source

SUBJECTS: dict[Event, str] = {
    Event.REVIEW_REQUESTED: N_("Waiting for your review: %(title)s"),
    Event.CHANGES_REQUESTED: N_("Changes requested: %(title)s"),
    Event.APPROVED: N_("Approved: %(title)s"),
    Event.POST_FAILED: N_("Not published on %(channel)s: %(title)s"),
    Event.CREDENTIAL_EXPIRING: N_("The credential of %(channel)s expires soon"),
    Event.CREDENTIAL_REFRESH_FAILED: N_("The credential of %(channel)s could not be renewed"),
}
BODIES: dict[Event, str] = {
    Event.REVIEW_REQUESTED: N_(
        "%(author)s sent the draft “%(title)s” to review on %(date)s. "
        "Read it, then approve it or ask for changes:"
    ),
    Event.CHANGES_REQUESTED: N_(
        "A reviewer asked for changes to your draft “%(title)s” on %(date)s. "
        "Their comments are on the draft's page:"
    ),
    Event.APPROVED: N_("Your draft “%(title)s” was approved on %(date)s. Its page:"),
    Event.POST_FAILED: N_(
        "The post of “%(title)s” on %(channel)s was not published (%(date)s): %(reason)s. "
        "See what happened, then retry it or mark it published:"
    ),
    Event.CREDENTIAL_EXPIRING: N_(
        "The credential Tidings posts to %(channel)s with expires on %(date)s. "
        "Reconnect the account on the Channels page before then:"
    ),
    Event.CREDENTIAL_REFRESH_FAILED: N_(
        "Tidings could not renew the credential of %(channel)s (%(date)s): %(reason)s. "
        "Reconnect the account on the Channels page:"
    ),
}
FOOTER = N_("You get this e-mail from Tidings. Choose which e-mails you get in your preferences:")
NO_REASON = N_("no reason was given")


@dataclass(frozen=True)
class Notice:
    """An event and the facts its message says, read from its row and the rows it names
    (``at``: when it happened, or for an expiring credential when it expires)."""

    event: Event
    at: datetime
    title: str = ""
    author: str = ""
    channel: str = ""
    reason: str = ""
    draft_id: int | None = None
    post_id: int | None = None

    @property
    def path(self) -> str:
        """The web app's page that settles it."""
        if self.event is Event.POST_FAILED and self.post_id is not None:
            return f"/posts/{self.post_id}"
        if self.draft_id is not None:
            return f"/drafts/{self.draft_id}"
        return "/channels"


@dataclass(frozen=True)
class Reader:
    """Who reads a message: their interface language and timezone."""

    language: str
    zone: tzinfo

    @classmethod
    def of(cls, user: User, default_zone: ZoneInfo) -> Reader:
        """``user``'s language (English unless they chose another offered one) and timezone
        (the configuration's unless theirs is a known IANA zone)."""
        primary = (user.language or "en").replace("_", "-").split("-")[0].lower()
        return cls(primary if primary in LANGUAGES else "en", _zone(user.timezone, default_zone))


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    link: str


def render(notice: Notice, reader: Reader, public_url: str | None) -> Message:
    """``notice`` worded for ``reader``; links start with ``public_url`` (the web app's
    address) when it is configured."""
    gettext = translations(reader.language).gettext
    origin = public_url or ""
    link = origin + notice.path
    words = {
        "title": notice.title,
        "author": notice.author,
        "channel": notice.channel,
        "reason": notice.reason or gettext(NO_REASON),
        "date": when(notice.at, reader),
    }
    subject = gettext(SUBJECTS[notice.event]) % words
    lines = [gettext(BODIES[notice.event]) % words, link, "", "-- ", gettext(FOOTER)]
    body = "\n".join([*lines, origin + "/preferences", ""])
    return Message(subject=" ".join(subject.split()), body=body, link=link)


def when(at: datetime, reader: Reader) -> str:
    """``at`` as the reader's calendar says a day and a clock time, in their zone, named:
    ``Tuesday, December 1, 2026 10:00 AM Asia/Seoul``."""
    local = at.astimezone(reader.zone)
    day = format_date(local, "full", locale=reader.language)
    clock = format_time(local, "short", locale=reader.language)
    return f"{day} {clock} {reader.zone}"


@cache
def translations(language: str) -> NullTranslations:
    """The web app's compiled catalogue for ``language``; English is its source."""
    if language == "en":
        return NullTranslations()
    return Translations.load(LOCALE_FOLDER, [language], "messages")


def _zone(name: str | None, default: ZoneInfo) -> tzinfo:
    try:
        return ZoneInfo(name) if name else default
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return default
