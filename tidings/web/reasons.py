"""The daemon's reasons (a post's, an attempt's, a history line's), told in the viewer's language.

The daemon stores why an attempt ended as one English line, often around a platform's own
answer (``X refused the post (403): …``). Those lines are not ours to restructure after the fact,
so they are read here: a line of a known shape is told in the viewer's language, the platform's
words in it kept as they came; any other line is shown as recorded, after a lead-in that says
it is the original English. In English every line is shown as recorded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tidings.web.translations import DEFAULT_LANGUAGE, N_

Gettext = Callable[[str], str]

AS_RECORDED = N_("In English, as recorded: %(reply)s")
# The groups named ``reason`` hold a reason themselves, and ``listed`` what a reconcile looked
# through (each told the same way); the others are the platform's words, a name or a number,
# kept as they came.
SHAPES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), sentence)
    for pattern, sentence in (
        # A history line of the daemon's: the attempt, then what it came to.
        (
            r"attempt (?P<number>\d+): (?P<reason>.+)",
            N_("attempt %(number)s: %(reason)s"),
        ),
        (
            r"attempt (?P<number>\d+) by (?P<worker>\S+): (?P<reason>.+)",
            N_("attempt %(number)s by %(worker)s: %(reason)s"),
        ),
        (
            r"taken over from (?P<worker>\S+) \((?P<reason>.+)\) with this attempt in flight",
            N_("taken over from %(worker)s (%(reason)s) with this attempt in flight"),
        ),
        (r"its process had ended", N_("its process had ended")),
        (r"its lease ran out", N_("its lease ran out")),
        (r"no heartbeat for (?P<seconds>\d+) s", N_("no heartbeat for %(seconds)s s")),
        (
            r"(?P<reason>.+); gave up after (?P<count>\d+) attempts",
            N_("%(reason)s; gave up after %(count)s attempts"),
        ),
        (
            r"(?P<reason>.+); checking with the platform before anything is sent again",
            N_("%(reason)s; checking with the platform before anything is sent again"),
        ),
        (
            r"(?P<reason>.+); the post may or may not be live and the platform offers no way to "
            r"tell, so it was not sent again: check the channel, then mark it published or "
            r"retry it",
            N_(
                "%(reason)s; the post may or may not be live and the platform offers no way to "
                "tell, so it was not sent again: check the channel, then mark it published or "
                "retry it"
            ),
        ),
        (r"published", N_("published")),
        (r"could not connect: (?P<reply>.+)", N_("could not connect: %(reply)s")),
        (
            r"no answer in time after sending \((?P<reply>.+)\)",
            N_("no answer in time after sending (%(reply)s)"),
        ),
        (
            r"the connection broke after sending \((?P<reply>.+)\)",
            N_("the connection broke after sending (%(reply)s)"),
        ),
        (
            r"not sent: the request could not be written \((?P<reply>.+)\)",
            N_("not sent: the request could not be written (%(reply)s)"),
        ),
        (
            r"the post's images were not ready to upload: nothing was sent",
            N_("the post's images were not ready to upload: nothing was sent"),
        ),
        (
            r"not approved as it stands: it was not sent",
            N_("not approved as it stands: it was not sent"),
        ),
        (
            r"due after the draft expired \((?P<when>[^)]+)\)",
            N_("due after the draft expired (%(when)s)"),
        ),
        (
            r"channel (?P<channel>\S+) publishes to (?P<now>\S+) now, and this post was written "
            r"for (?P<then>\S+): nothing was sent",
            N_(
                "channel %(channel)s publishes to %(now)s now, and this post was written for "
                "%(then)s: nothing was sent"
            ),
        ),
        (
            r"Tidings hit an internal error \((?P<kind>\w+)\) during this attempt; the request "
            r"may or may not have reached the platform: check the channel, then mark the post "
            r"published or retry it, and please report the error",
            N_(
                "Tidings hit an internal error (%(kind)s) during this attempt; the request may or "
                "may not have reached the platform: check the channel, then mark the post "
                "published or retry it, and please report the error"
            ),
        ),
        (
            r"(?P<platform>[A-Z]\w*) refused the (?P<what>post|message) \((?P<code>[^)]*)\): "
            r"(?P<reply>.+)",
            N_("%(platform)s refused it (%(code)s): %(reply)s"),
        ),
        (
            r"(?P<platform>[A-Z]\w*) answered (?P<code>\d+) without (?P<reply>.+)",
            N_("%(platform)s answered %(code)s without saying what became of it (%(reply)s)"),
        ),
        (
            r"(?P<platform>[A-Z]\w*) is unavailable \((?P<code>\d+)\): (?P<reply>.+)",
            N_("%(platform)s is unavailable (%(code)s): %(reply)s"),
        ),
        (
            r"rate limited by (?P<platform>[A-Z]\w*)(?: \([^)]*\))?: (?P<reply>.+)",
            N_("%(platform)s limits how often it may be asked; waiting: %(reply)s"),
        ),
        (
            r"(?P<platform>[A-Z]\w*) rate limit:? (?P<reply>.+)",
            N_("%(platform)s limits how often it may be asked; waiting: %(reply)s"),
        ),
        (
            r"rate limited:? (?P<reply>.+)",
            N_("the platform limits how often it may be asked; waiting: %(reply)s"),
        ),
        (r"server error (?P<reply>.+)", N_("the platform had a server error: %(reply)s")),
        (r"refused (?P<reply>\(.+)", N_("the platform refused it: %(reply)s")),
        # A reconcile's look back through a listing (scheduler.platforms.look_back), and what
        # it looked through (``listed``, told the same way).
        (
            r"(?P<service>\S+) lists more than (?P<count>\d+) of (?P<listed>.+?) since the "
            r"earlier attempt and none is what it sent, so whether it was published cannot be "
            r"checked: look through (?P=listed), then mark it published or retry it",
            N_(
                "%(service)s lists more than %(count)s of %(listed)s since the earlier attempt "
                "and none is what it sent, so whether it was published cannot be checked: look "
                "through them, then mark it published or retry it"
            ),
        ),
        (
            r"could not list (?P<listed>.+?) to look for it: (?P<reason>.+)",
            N_("could not list %(listed)s to look for it: %(reason)s"),
        ),
        (r"the posts of page (?P<page>\S+)", N_("the posts of page %(page)s")),
        (r"the comments under post (?P<post>\S+)", N_("the comments under post %(post)s")),
        (r"the posts of (?P<author>\S+)", N_("the posts of %(author)s")),
        (
            r"could not list the author's posts: (?P<reason>.+)",
            N_("could not list the author's posts: %(reason)s"),
        ),
        (
            r"could not list the post's comments \((?P<status>\d+)\)",
            N_("could not list the post's comments (%(status)s)"),
        ),
        # A news feed's last read (scheduler.news_feeds), on the Channels page.
        (
            r"the feed's address answered HTTP (?P<code>\d+)(?: .*)?",
            N_("the feed's address answered HTTP %(code)s"),
        ),
        (r"not an RSS or Atom feed", N_("not an RSS or Atom feed")),
        (r"the feed did not answer in time", N_("the feed did not answer in time")),
        (
            r"the feed cannot be reached \((?P<reply>.+)\)",
            N_("the feed cannot be reached (%(reply)s)"),
        ),
        (
            r"the feed is larger than (?P<size>[\d,]+) bytes",
            N_("the feed is larger than %(size)s bytes"),
        ),
        (
            r"item (?P<title>'[^']*'|\"[^\"]*\"): (?P<reason>.+)",
            N_("item %(title)s: %(reason)s"),
        ),
        (
            r"cannot be sent to review: (?P<problems>.+)",
            N_("cannot be sent to review: %(problems)s"),
        ),
    )
)


@dataclass(frozen=True)
class Reasons:
    """Tells the daemon's reasons in one interface language."""

    language: str
    gettext: Gettext

    def __call__(self, recorded: str | None) -> str:
        """``recorded`` in this language: its shape's sentence, else the line with a lead-in."""
        if not recorded or self.language == DEFAULT_LANGUAGE:
            return recorded or ""
        told = self.known(recorded)
        return told if told is not None else self.gettext(AS_RECORDED) % {"reply": recorded}

    def known(self, recorded: str) -> str | None:
        """``recorded`` told by the first shape it has, or None for a line of no known shape."""
        for pattern, sentence in SHAPES:
            found = pattern.fullmatch(recorded.strip())
            if found is None:
                continue
            words = {name: value for name, value in found.groupdict().items() if value}
            if "reason" in words:
                words["reason"] = self(words["reason"])
            if "listed" in words:  # a part of a sentence: told if known, else as it came
                words["listed"] = self.known(words["listed"]) or words["listed"]
            return self.gettext(sentence) % words
        return None
