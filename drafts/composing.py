"""From draft content to posts: one per (channel, language the channel takes), each rendered
for its platform (or the channel's own text in that language, where the draft gives one) and
measured by that platform's rules.

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
from drafts.draft_file import DraftContent, VariantContent
from drafts.errors import DraftError
from drafts.media import MediaRef, PostImage
from drafts.messages import Said
from drafts.recurrence import Occurrence
from drafts.text_rules import Measurement, TextRules, measure
from drafts.text_rules.hidden import hidden_characters

if TYPE_CHECKING:
    from drafts.rendering import TemplateLibrary  # Jinja and Babel, for composing only


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
    its languages, each with the images its channel carries as its platform will get them
    (``planner`` decides; a draft with images needs one)."""
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
                post = _render(
                    variant, channel, content.template, library, learned, occurrence, config
                )
                if planner is not None:
                    key = (channel.id, variant.language)
                    if key not in images:  # every occurrence carries the same images
                        images[key] = tuple(
                            planner.plan(ref, channel, variant.language)
                            for ref in content.media
                            if ref.carried_by(channel.id)
                        )
                    post = replace(post, images=images[key])
                posts.append(post)
    return posts


def _render(
    variant: VariantContent,
    channel: Channel,
    template: str | None,
    library: TemplateLibrary,
    learned: Mapping[str, TextRules],
    occurrence: Occurrence,
    config: Config,
) -> RenderedPost:
    own = variant.channel_texts.get(channel.id)
    if own is not None:
        text = own  # the channel's own text replaces the draft's, a template's too
    elif template is None:
        assert variant.text is not None
        text = variant.text
    else:
        text = library.render(
            template,
            variant.language,
            variant.fields,
            platform=channel.platform,
            occurrence=occurrence.number,
            occurrence_date=occurrence.day(config.zone),
        )
    return RenderedPost(
        channel=channel.id,
        platform=channel.platform,
        language=variant.language,
        text=text,
        measurements=measure(channel.platform, text, text_rules(channel, learned)),
        occurrence=occurrence.number,
    )


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
    measurements = measure(channel.platform, post.text, text_rules(channel, learned))
    return problem_sentences(post.text, measurements)


def text_problems(text: str, measurements: Iterable[Measurement]) -> list[str]:
    """Each count of ``text`` its platform refuses, then each character in it that readers
    cannot see (``drafts.text_rules.hidden``)."""
    return [str(sentence) for sentence in problem_sentences(text, measurements)]


def problem_sentences(text: str, measurements: Iterable[Measurement]) -> list[Said]:
    """``text_problems`` as sentences, for a page to say in its reader's language."""
    over = [said for m in measurements if (said := m.said()) is not None]
    return over + [hidden.said() for hidden in hidden_characters(text)]


def _check_template(content: DraftContent, library: TemplateLibrary) -> None:
    assert content.template is not None
    given = {name for variant in content.variants for name in variant.fields}
    unused = library.unknown_fields(content.template, content.languages, given)
    for name, suggestion in sorted(unused.items()):
        hint = f" (did you mean {suggestion}?)" if suggestion else ""
        raise DraftError(f"fields.{name}: not used by template {content.template}{hint}")


class PostText(Protocol):
    @property
    def channel(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def occurrence(self) -> int: ...


PostKey = tuple[str, str, int]
"""A post within its draft: its channel, language and occurrence."""

ImageRows = Mapping[PostKey, Sequence[PostImage]]
"""Each post's images, by ``post_key``."""


def post_key(post: PostText) -> PostKey:
    return (post.channel, post.language, post.occurrence)


def content_hash(posts: Sequence[PostText], images: ImageRows = MappingProxyType({})) -> str:
    """A fingerprint of exactly what reviewers see: every post's channel, language and text
    (the text sent, a channel's own text included), the bytes (SHA-256) and alt text of each
    image it sends, and the occurrence of a repeating draft it belongs to. A post without
    images, of a draft that does not repeat, hashes as it did before images and occurrences
    existed, so approvals given then still hold."""
    rows: list[list[Any]] = []
    for post in posts:
        row: list[Any] = [post.channel, post.language, post.text]
        sent = images.get(post_key(post))
        if sent:
            row.append([image.hash_row() for image in sent])
        if post.occurrence != 1:
            row.append(["occurrence", post.occurrence])
        rows.append(row)
    encoded = json.dumps(sorted(rows), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def rendered_images(posts: Sequence[RenderedPost]) -> dict[PostKey, Sequence[PostImage]]:
    """The images of freshly composed posts, as ``content_hash`` takes them."""
    return {post_key(post): post.images for post in posts if post.images}
