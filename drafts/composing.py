"""From draft content to posts: one per (channel, language the channel takes), each rendered
for its platform (or the channel's own text in that language, where the draft gives one) and
measured by that platform's rules.

A post is a chain of parts: one for a plain post; a thread's parts on the platforms that have
threads (the parts the author wrote, or, with ``thread = "auto"``, a text too long for the
channel split and numbered ``1/3``), joined by a blank line on the others; and the first
comment after the last part. Each part is measured on its own.

The text here is the text the platform will show; the review preview, the length check and
(later) the request builders all start from it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from drafts.channels import Channel, MastodonChannel
from drafts.config import Config
from drafts.errors import DraftError
from drafts.media import MediaRef, PostImage
from drafts.messages import Said
from drafts.text_rules import Measurement, TextRules, measure

if TYPE_CHECKING:
    from drafts.draft_file import DraftContent, VariantContent
    from drafts.recurrence import Occurrence
    from drafts.rendering import TemplateLibrary  # Jinja and Babel, for composing only

THREAD_PLATFORMS = frozenset({"x", "bluesky", "mastodon", "threads"})
"""Where a post's parts go out as a thread, each a reply to the one before."""
PART_SEPARATOR = "\n\n"
"""How the parts of a text join on a platform without threads."""


@dataclass(frozen=True)
class RenderedPost:
    """One post's final text and how it measures on its platform."""

    channel: str
    platform: str
    language: str
    text: str
    measurements: tuple[Measurement, ...]
    images: tuple[PostImage, ...] = ()
    occurrence: int = 1  # of a repeating draft; a draft that does not repeat has one
    part: int = 1  # within its chain; the first comment is part ``parts + 1``
    parts: int = 1  # of the thread (the first comment not counted)

    @property
    def is_comment(self) -> bool:
        return self.part > self.parts

    @property
    def length(self) -> int:
        return self.measurements[0].length

    @property
    def limit(self) -> int | None:
        return self.measurements[0].limit


class MediaPlanner(Protocol):
    """Decides the version of an image a channel gets (``drafts.media_plan``)."""

    def plan(self, ref: MediaRef, channel: Channel, language: str) -> PostImage: ...


def compose(
    content: DraftContent,
    config: Config,
    library: TemplateLibrary,
    learned: Mapping[str, TextRules] = MappingProxyType({}),
    planner: MediaPlanner | None = None,
) -> list[RenderedPost]:
    """Every post the draft yields, in the order of its occurrences, then its channels, then
    its languages, then its parts, the first part with the images its channel carries as its
    platform will get them (``planner`` decides; a draft with images needs one)."""
    if content.template:
        _check_template(content, library)
    if content.media and planner is None:
        raise DraftError("media: images need the media store (this command cannot take them)")
    posts = []
    images: dict[tuple[str, str], tuple[PostImage, ...]] = {}
    for occurrence in content.series():
        for channel_id in content.channels:
            channel = config.channel(channel_id)
            for variant in content.variants:
                if not channel.takes(variant.language):
                    continue
                chain = _render(variant, channel, content, library, learned, occurrence, config)
                if planner is not None:
                    key = (channel.id, variant.language)
                    if key not in images:  # every occurrence carries the same images
                        images[key] = tuple(
                            planner.plan(ref, channel, variant.language)
                            for ref in content.media
                            if ref.carried_by(channel.id)
                        )
                    chain[0] = replace(chain[0], images=images[key])  # on the first part
                posts += chain
    return posts


def _render(
    variant: VariantContent,
    channel: Channel,
    content: DraftContent,
    library: TemplateLibrary,
    learned: Mapping[str, TextRules],
    occurrence: Occurrence,
    config: Config,
) -> list[RenderedPost]:
    """The chain of one post: its parts, then its first comment, if any."""
    own = variant.channel_texts.get(channel.id)
    written: tuple[str, ...] = ()
    if own is not None:
        text = own  # the channel's own text replaces the draft's, a template's too
    elif content.template is None:
        assert variant.text is not None
        text, written = variant.text, variant.parts
    else:
        text = library.render(
            content.template,
            variant.language,
            variant.fields,
            platform=channel.platform,
            occurrence=occurrence.number,
            occurrence_date=occurrence.day(config.zone),
        )
    rules = text_rules(channel, learned)
    texts = _thread(text, written, channel, rules) if content.thread or written else (text,)
    if variant.comment is not None:
        texts += (variant.comment,)
    count = len(texts) - (variant.comment is not None)
    return [
        RenderedPost(
            channel=channel.id,
            platform=channel.platform,
            language=variant.language,
            text=part,
            measurements=measure(channel.platform, part, rules, comment=number > count),
            occurrence=occurrence.number,
            part=number,
            parts=count,
        )
        for number, part in enumerate(texts, 1)
    ]


def _thread(
    text: str, written: tuple[str, ...], channel: Channel, rules: TextRules
) -> tuple[str, ...]:
    """The parts ``text`` goes out as on ``channel``: the parts written, where its platform has
    threads (else they are ``text``, joined); or, for ``thread = "auto"``, the text cut into
    numbered parts that each fit, when it does not fit whole."""
    if channel.platform not in THREAD_PLATFORMS:
        return (text,)
    if written:
        return written
    # The regex module: when a text is composed (as the hidden characters' check below)
    from drafts.text_rules.thread_split import WordTooLong, number_parts, split_thread

    def fits(candidate: str) -> bool:
        return all(m.fits for m in measure(channel.platform, candidate, rules))

    try:
        return number_parts(split_thread(text, fits))
    except WordTooLong as error:
        word = error.word if len(error.word) <= 40 else f"{error.word[:39]}…"
        raise DraftError(
            f'text: thread = "auto" cannot split the {channel.id} post: the word '
            f"'{word}' does not fit in one part; shorten it (it is never cut)"
        ) from None


def text_rules(
    channel: Channel, learned: Mapping[str, TextRules] = MappingProxyType({})
) -> TextRules:
    """The counting knobs for a channel: what its platform reported, else its configuration."""
    if channel.id in learned:
        return learned[channel.id]
    if isinstance(channel, MastodonChannel):
        return TextRules(
            max_characters=channel.max_characters,
            characters_reserved_per_url=channel.characters_reserved_per_url,
        )
    return TextRules()


def post_problems(
    post: PostText, config: Config, learned: Mapping[str, TextRules] = MappingProxyType({})
) -> list[Said]:
    """What keeps a stored post from going out as its author sees it (re-measured: limits can
    change), as sentences."""
    channel = config.channel(post.channel)
    rules = text_rules(channel, learned)
    measurements = measure(channel.platform, post.text, rules, comment=post.part > post.parts)
    return problem_sentences(post.text, measurements)


def text_problems(text: str, measurements: Iterable[Measurement]) -> list[str]:
    """Each count of ``text`` its platform refuses, then each character in it that readers
    cannot see (``drafts.text_rules.hidden``)."""
    return [str(sentence) for sentence in problem_sentences(text, measurements)]


def problem_sentences(text: str, measurements: Iterable[Measurement]) -> list[Said]:
    """``text_problems`` as sentences, for a page to say in its reader's language."""
    # The emoji sequences and the regex module: when a text is checked (not for a command
    # that checks none, such as `tidings queue` on an empty database).
    from drafts.text_rules.hidden import hidden_characters

    over = [said for m in measurements if (said := m.said()) is not None]
    return over + [hidden.said() for hidden in hidden_characters(text)]


def _check_template(content: DraftContent, library: TemplateLibrary) -> None:
    # Jinja's nodes, as the library that renders them: for composing only.
    from drafts.template_fields import check_shapes, template_fields

    assert content.template is not None
    given = {name for variant in content.variants for name in variant.fields}
    unused = library.unknown_fields(content.template, content.languages, given)
    for name, suggestion in sorted(unused.items()):
        hint = f" (did you mean {suggestion}?)" if suggestion else ""
        raise DraftError(f"fields.{name}: not used by template {content.template}{hint}")
    fields = template_fields(library, content.template)
    for variant in content.variants:
        check_shapes(fields, variant.fields)


class PostText(Protocol):
    @property
    def channel(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def occurrence(self) -> int: ...
    @property
    def part(self) -> int: ...
    @property
    def parts(self) -> int: ...


PostKey = tuple[str, str, int, int]
"""A post within its draft: its channel, language, occurrence and part."""

ImageRows = Mapping[PostKey, Sequence[PostImage]]
"""Each post's images, by ``post_key``."""


def post_key(post: PostText) -> PostKey:
    return (post.channel, post.language, post.occurrence, post.part)


def content_hash(posts: Sequence[PostText], images: ImageRows = MappingProxyType({})) -> str:
    """A fingerprint of exactly what reviewers see: every post's channel, language and text
    (the text sent, a channel's own text included), the bytes (SHA-256) and alt text of each
    image it sends, the occurrence of a repeating draft it belongs to, and its place in its
    chain (a thread's part, the first comment). A plain post without images, of a draft that
    does not repeat, hashes as it did before images, occurrences and parts existed, so
    approvals given then still hold."""
    rows: list[list[Any]] = []
    for post in posts:
        row: list[Any] = [post.channel, post.language, post.text]
        sent = images.get(post_key(post))
        if sent:
            row.append([image.hash_row() for image in sent])
        if post.occurrence != 1:
            row.append(["occurrence", post.occurrence])
        if post.part != 1 or post.parts != 1:
            row.append(["part", post.part, post.parts])
        rows.append(row)
    encoded = json.dumps(sorted(rows), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def rendered_images(posts: Sequence[RenderedPost]) -> dict[PostKey, Sequence[PostImage]]:
    """The images of freshly composed posts, as ``content_hash`` takes them."""
    return {post_key(post): post.images for post in posts if post.images}
