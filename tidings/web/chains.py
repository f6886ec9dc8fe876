"""A post's chain as a page shows it: its parts in order (a thread on the platforms that have
threads), then its first comment, each part a card of its own (``post_cards``). A plain post is
a chain of one card, shown exactly as a card alone.

How the chain follows on from one card to the next is said in the viewer's language: a part
replies to the part before it; a first comment is a comment under the post where the platform
comments (LinkedIn, Facebook) and a reply everywhere else (PRODUCT.md, "Threads and first
comments").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tidings.web.translations import N_

if TYPE_CHECKING:  # post_cards reaches the web context, which renders pages with chains
    from tidings.web.post_cards import PostCard

# Where the first comment is a comment under the post, not a reply to its last part.
COMMENTING_PLATFORMS = frozenset({"linkedin", "facebook"})

REPLIES_TO = N_("replies to part %(number)s")
COMMENT_UNDER = N_("First comment: a comment under the post")
COMMENT_REPLY = N_("First comment: a reply to part %(number)s")
COMMENT_REPLY_POST = N_("First comment: a reply to the post")


@dataclass(frozen=True)
class Link:
    """One card of a chain and, for a card after the first, how it follows the one before."""

    card: PostCard
    words: str | None


@dataclass(frozen=True)
class Chain:
    """The cards of one post's chain (one channel, language and occurrence), parts first."""

    links: tuple[Link, ...]

    @property
    def cards(self) -> tuple[PostCard, ...]:
        return tuple(link.card for link in self.links)

    @property
    def plain(self) -> bool:
        """A post of one part and no comment: shown as its card alone, as before threads."""
        return len(self.cards) == 1 and not self.cards[0].is_comment

    @property
    def parts(self) -> int:
        return self.cards[0].parts

    @property
    def comment(self) -> PostCard | None:
        return next((card for card in self.cards if card.is_comment), None)


def chains_of(cards: Sequence[PostCard], gettext: Callable[[str], str]) -> tuple[Chain, ...]:
    """``cards`` as chains, in the order each chain's first card comes, each in part order,
    how each card follows the one before said in ``gettext``'s language."""
    grouped: dict[tuple[str, str, int], list[PostCard]] = {}
    for card in cards:
        grouped.setdefault((card.channel, card.language, card.occurrence), []).append(card)
    return tuple(
        Chain(
            tuple(
                Link(card, link_words(card, gettext) if number else None)
                for number, card in enumerate(sorted(each, key=lambda card: card.part))
            )
        )
        for each in grouped.values()
    )


def link_words(card: PostCard, gettext: Callable[[str], str]) -> str:
    """How ``card`` (a part after the first, or a first comment) follows the card before it."""
    before = {"number": card.part - 1}
    if not card.is_comment:
        return gettext(REPLIES_TO) % before
    if card.platform in COMMENTING_PLATFORMS:
        return gettext(COMMENT_UNDER)
    if card.parts == 1:
        return gettext(COMMENT_REPLY_POST)
    return gettext(COMMENT_REPLY) % before
