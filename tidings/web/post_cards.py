"""A post as its platform will show it: the text read back from the exact request the daemon
would send (``scheduler.preview``, guarantee 4), measured by the platform's own rules now
(an instance's limit can change after the post was stored).

Given the request's ``gettext``, a card's units, the characters readers cannot see and the web
layer's own problem are in the viewer's language; the platform rules' verdicts
(``drafts.text_rules``) stay as they are made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from drafts.composing import text_rules
from drafts.config import Config
from drafts.errors import NotFoundError
from drafts.learned_limits import LearnedLimits
from drafts.models import Post
from drafts.text_rules import hidden, measure
from scheduler.preview import preview
from tidings.web.translations import N_

# The units ``drafts.text_rules`` counts in, as a card names them.
UNIT_WORDS = {
    "characters": N_("characters"),
    "weighted characters": N_("weighted characters"),
    "graphemes": N_("graphemes"),
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
class PostCard:
    id: int
    channel: str
    platform: str
    platform_name: str
    language: str
    text: str
    counts: tuple[Count, ...]
    problems: tuple[str, ...]
    status: str
    due_at: datetime | None
    channel_zone: ZoneInfo
    remote_url: str | None

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
) -> PostCard:
    """The card for ``post``; a channel gone from config.toml is shown as a problem."""
    assert post.id is not None
    try:
        channel = config.channel(post.channel)
    except NotFoundError:
        return _orphan(post, config, gettext)
    built = preview(post_id=post.id, text=post.text, language=post.language, channel=channel)
    measurements = measure(post.platform, post.text, text_rules(channel, learned))
    counts = tuple(
        Count(m.length, m.limit, _unit(m.unit, gettext), m.problem()) for m in measurements
    )
    unseen = tuple(
        gettext(HIDDEN_WORDS[found.message]) % found.words
        for found in hidden.hidden_characters(post.text)
    )
    return PostCard(
        id=post.id,
        channel=post.channel,
        platform=post.platform,
        platform_name=measurements[0].platform,
        language=post.language,
        text=built.displayed,
        counts=counts,
        problems=tuple(c.problem for c in counts if c.problem is not None) + unseen,
        status=post.status,
        due_at=post.due_at,
        channel_zone=channel.zone(config.zone),
        remote_url=post.remote_url,
    )


def _unit(unit: str, gettext: Callable[[str], str]) -> str:
    word = UNIT_WORDS.get(unit)
    return gettext(word) if word is not None else unit


def _orphan(post: Post, config: Config, gettext: Callable[[str], str]) -> PostCard:
    assert post.id is not None
    problem = gettext(ORPHAN) % {"channel": post.channel, "file": config.path.name}
    return PostCard(
        id=post.id,
        channel=post.channel,
        platform=post.platform,
        platform_name=post.platform,
        language=post.language,
        text=post.text,
        counts=(Count(post.length, post.length_limit, _unit("characters", gettext), None),),
        problems=(problem,),
        status=post.status,
        due_at=post.due_at,
        channel_zone=config.zone,
        remote_url=post.remote_url,
    )


def warm_up(config: Config) -> None:
    """Builds a card for every channel once, so the first visitor of a draft page does not wait
    for what is made on first use (twitter-text's URL patterns take some 250 ms to compile)."""
    for channel in config.channels:
        sample = Post(
            id=0,
            draft_id=0,
            variant_id=0,
            channel=channel.id,
            platform=channel.platform,
            language=channel.languages[0],
            text="Warming up #Tidings https://example.org",
            length=0,
            status="preview",
        )
        post_card(sample, config, {})
