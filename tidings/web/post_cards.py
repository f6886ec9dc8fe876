"""A post as its platform will show it: the text read back from the exact request the daemon
would send (``scheduler.preview``, guarantee 4), measured by the platform's own rules now
(an instance's limit can change after the post was stored), with the images it sends: the very
version its platform gets (``drafts.media.PostImage``), shown as its feed crops them (the
template and ``tidings.css``), with what was done to each for that platform. A text the
platform sends after the post (Telegram's caption over 1,024 characters) follows it. The text
looks as its feed shows it where a reviewer should see that (``feed_looks``: X's t.co links,
LinkedIn's and Facebook's "…see more", Bluesky's and Mastodon's link card), every character
of it still shown.

A post waiting on a channel that cannot send it (``drafts.credential_problems``) says so on
its card, as a warning that stays until the channel is reconnected.

Given the request's ``gettext``, a card's units, its counts' verdicts (``drafts.text_rules``,
told from the sentences they were made as), the characters readers cannot see, the channel's
credential problem and the web layer's own problem are in the viewer's language.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from drafts import credential_problems as credential
from drafts.composing import text_rules
from drafts.config import Config
from drafts.errors import NotFoundError
from drafts.learned_limits import LearnedLimits
from drafts.media import PostImage
from drafts.media_limits import NO_LEARNED, image_profile
from drafts.media_plan import image_problems
from drafts.messages import Said
from drafts.models import Post
from drafts.recurrence import Occurrence
from drafts.text_rules import hidden, measure
from scheduler.preview import preview, preview_images
from tidings.web.feed_looks import Look, look_of, plain
from tidings.web.media import image_url
from tidings.web.sentences import Teller
from tidings.web.translations import N_

# The units ``drafts.text_rules`` counts in, as a card names them (every unit of its
# ``MEASURES``: ``tests/web/test_card_units.py`` checks each one is here).
UNIT_WORDS = {
    "characters": N_("characters"),
    "weighted characters": N_("weighted characters"),
    "graphemes": N_("graphemes"),
    "UTF-8 bytes": N_("UTF-8 bytes"),
    "links": N_("links"),
}
ORPHAN = N_("channel %(channel)s is no longer in %(file)s")
# ``drafts.text_rules.hidden``'s problems, as a card says them.
HIDDEN_WORDS = {
    hidden.REORDERS: N_(
        "contains an invisible %(name)s (%(code)s) at character %(position)s, "
        "which changes the order readers see"
    ),
    hidden.REORDERS_SEVERAL: N_(
        "contains an invisible %(name)s (%(code)s) at character %(position)s (%(count)s in all), "
        "which changes the order readers see"
    ),
    hidden.HIDES: N_(
        "contains an invisible %(name)s (%(code)s) at character %(position)s, "
        "which readers do not see but platforms count"
    ),
    hidden.HIDES_SEVERAL: N_(
        "contains an invisible %(name)s (%(code)s) at character %(position)s (%(count)s in all), "
        "which readers do not see but platforms count"
    ),
}

# ``drafts.credential_problems``' sentences, as a card and the calendar say them.
CREDENTIAL_WORDS = {
    credential.NOT_CONNECTED: N_(
        "%(channel)s is not connected: an admin connects it on the Channels page"
    ),
    credential.NOT_CONNECTED_NOR_SET: N_(
        "%(channel)s is not connected and %(variable)s is not set: "
        "an admin connects it on the Channels page"
    ),
    credential.TOKEN_EXPIRES: N_(
        "%(channel)s's token expires on %(date)s, before this post is due: reconnect"
    ),
    credential.REFRESH_EXPIRES: N_(
        "%(channel)s's token can be renewed only until %(date)s, before this post is due: reconnect"
    ),
    credential.RENEWAL_FAILED: N_(
        "%(channel)s's token could not be renewed and expires on %(date)s, "
        "before this post is due: reconnect"
    ),
    credential.MISSING_SCOPE: N_(
        "%(channel)s was connected without %(scopes)s: reconnect and allow it"
    ),
    credential.MISSING_SCOPES: N_(
        "%(channel)s was connected without %(scopes)s: reconnect and allow them"
    ),
}


def _english(message: str) -> str:
    return message


@dataclass(frozen=True)
class Count:
    """One count the platform applies: length against limit, and what is wrong if it fails."""

    length: int
    limit: int | None
    unit: str
    problem: str | None


@dataclass(frozen=True)
class CardImage:
    """One image of a post as the card shows it: the version sent, where the browser reads
    it, its alt text, and its facts (pixels, format, bytes; what was done for the platform)."""

    sha256: str
    url: str
    alt: str
    width: int
    height: int
    facts: str
    change: str | None

    @property
    def shape(self) -> str:
        """``wide``, ``tall`` or ``square``, for a layout that follows the image's own ratio."""
        if self.width > self.height * 1.1:
            return "wide"
        return "tall" if self.height > self.width * 1.1 else "square"


def card_images(images: Sequence[PostImage]) -> tuple[CardImage, ...]:
    return tuple(
        CardImage(
            sha256=each.image.sha256,
            url=image_url(each.image.sha256),
            alt=each.alt,
            width=each.image.width,
            height=each.image.height,
            facts=each.image.describe(),
            change=each.change,
        )
        for each in images
    )


@dataclass(frozen=True)
class PostCard:
    id: int
    channel: str
    platform: str
    language: str
    text: str
    counts: tuple[Count, ...]
    problems: tuple[str, ...]
    status: str
    due_at: datetime | None
    channel_zone: ZoneInfo
    remote_url: str | None
    images: tuple[CardImage, ...] = ()
    alt_shown: bool = True  # False where the platform shows no alt text (Telegram)
    follow_ups: tuple[str, ...] = ()  # texts sent right after the post, each a message
    credential_problem: str | None = None  # its channel cannot send it when it is due
    look: Look | None = None  # the text as its feed shows it
    own_text: bool = False  # the channel's own text in its language, not the draft's
    occurrence: int = 1  # of a repeating draft's ``series`` occurrences (0: it does not repeat)
    series: int = 0
    occurrence_at: datetime | None = None  # when its occurrence is planned, once approved
    part: int = 1  # of its chain (``drafts.models.Post.part``); ``parts + 1``: the first comment
    parts: int = 1

    @property
    def is_comment(self) -> bool:
        """Whether the card is its chain's first comment, sent after the last part."""
        return self.part > self.parts

    @property
    def part_label(self) -> str | None:
        """``2/4``: the part of a thread; None for a plain post and for a first comment."""
        return f"{self.part}/{self.parts}" if self.parts > 1 and not self.is_comment else None

    @property
    def occurrence_label(self) -> str | None:
        """``3/8``: the post's occurrence of its series; None for a draft that does not repeat."""
        return f"{self.occurrence}/{self.series}" if self.series else None

    @property
    def feed(self) -> Look:
        """The text as its feed shows it; as it is, where no look was made."""
        return self.look or plain(self.text)

    @property
    def remote_link(self) -> str | None:
        """The published post's address, if it is a web address (never a ``javascript:`` one)."""
        url = self.remote_url
        return url if url is not None and url.startswith(("https://", "http://")) else None


def post_card(
    post: Post,
    config: Config,
    learned: LearnedLimits,
    *,
    gettext: Callable[[str], str] = _english,
    images: Sequence[PostImage] = (),
    media_limits: Mapping[str, Mapping[str, Any]] = NO_LEARNED,
    credential_problem: str | None = None,
    own_texts: Collection[tuple[str, str]] = (),
    series: Sequence[Occurrence] = (),
) -> PostCard:
    """The card for ``post`` and the ``images`` it sends (checked against its platform's
    limits, those ``channels check`` learned included), with its channel's
    ``credential_problem`` (``credential_line``), marked as the channel's own text where
    ``own_texts`` (``channel_texts_of``) holds its channel and language, and labelled with its
    occurrence of a repeating draft's ``series`` (its occurrences; none for a draft that does
    not repeat); a channel gone from config.toml is shown as a problem."""
    assert post.id is not None
    try:
        channel = config.channel(post.channel)
    except NotFoundError:
        return _orphan(post, config, gettext, images)
    built = preview(
        post_id=post.id,
        text=post.text,
        language=post.language,
        channel=channel,
        images=preview_images(images),
        part=post.part,
        parts=post.parts,
    )
    rules = text_rules(channel, learned)
    measurements = measure(post.platform, post.text, rules, comment=post.is_comment)
    tell = Teller(gettext, UTC)  # a verdict holds no time
    counts = tuple(
        Count(m.length, m.limit, _unit(m.unit, gettext), _told(m.said(), tell))
        for m in measurements
    )
    unseen = tuple(
        gettext(HIDDEN_WORDS[found.message]) % found.words
        for found in hidden.hidden_characters(post.text)
    )
    return PostCard(
        id=post.id,
        channel=post.channel,
        platform=post.platform,
        language=post.language,
        text=built.displayed,
        counts=counts,
        problems=tuple(c.problem for c in counts if c.problem is not None)
        + unseen
        + tuple(tell(found) for found in image_problems(images, channel, config, media_limits)),
        status=post.status,
        due_at=post.due_at,
        channel_zone=channel.zone(config.zone),
        remote_url=post.remote_url,
        images=card_images(images),
        alt_shown=image_profile(channel, media_limits).shows_alt,
        follow_ups=tuple(text for _request, text in built.follow_ups),
        credential_problem=credential_problem,
        look=look_of(post.platform, built, has_images=bool(images)),
        own_text=(post.channel, post.language) in own_texts,
        occurrence=post.occurrence,
        series=len(series),
        occurrence_at=next((o.at for o in series if o.number == post.occurrence), None),
        part=post.part,
        parts=post.parts,
    )


def channel_texts_of(source: str) -> frozenset[tuple[str, str]]:
    """The (channel, language) pairs whose post sends the channel's own text, from the draft
    file ``source`` (its ``[channel_text.<channel id>]`` tables, checked when it was read)."""
    try:
        tables = tomllib.loads(source).get("channel_text", {})
    except tomllib.TOMLDecodeError:
        return frozenset()
    return frozenset(
        (str(channel), str(language))
        for channel, texts in dict(tables).items()
        for language in dict(texts)
    )


def credential_line(
    problem: credential.CredentialProblem | None,
    gettext: Callable[[str], str] = _english,
    zone: tzinfo = UTC,
) -> str | None:
    """``problem`` in ``gettext``'s language, its date in ``zone``; None for none."""
    if problem is None:
        return None
    return gettext(CREDENTIAL_WORDS[problem.message]) % problem.words(zone)


def _told(verdict: Said | None, tell: Teller) -> str | None:
    return tell(verdict) if verdict is not None else None


def _unit(unit: str, gettext: Callable[[str], str]) -> str:
    word = UNIT_WORDS.get(unit)
    return gettext(word) if word is not None else unit


def _orphan(
    post: Post, config: Config, gettext: Callable[[str], str], images: Sequence[PostImage]
) -> PostCard:
    assert post.id is not None
    problem = gettext(ORPHAN) % {"channel": post.channel, "file": config.path.name}
    return PostCard(
        id=post.id,
        channel=post.channel,
        platform=post.platform,
        language=post.language,
        text=post.text,
        counts=(Count(post.length, post.length_limit, _unit("characters", gettext), None),),
        problems=(problem,),
        status=post.status,
        due_at=post.due_at,
        channel_zone=config.zone,
        remote_url=post.remote_url,
        images=card_images(images),
        part=post.part,
        parts=post.parts,
    )


def warm_up(config: Config) -> None:
    """Builds a card for every channel once, so the first visitor of a draft page does not wait
    for what is made on first use (twitter-text's URL patterns take some 250 ms to compile)."""
    for channel in config.channels:
        sample = Post(
            id=0,
            draft_id=0,
            author_id=0,
            channel=channel.id,
            platform=channel.platform,
            language=channel.languages[0],
            text="Warming up #Tidings https://example.org",
            length=0,
            status="preview",
        )
        post_card(sample, config, {})
